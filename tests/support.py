"""Helpers the tests share: small simulated platforms."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

from opswh.paths import Paths
from opswh.simulate.faults import inject
from opswh.simulate.model import Simulator

START = date(2026, 9, 1)


def simulate(
    root: Path, days: int = 3, scale: str | int = "small", faults: list[str] | None = None, seed: int = 1, **kw
) -> Paths:
    paths = Paths(root)
    Simulator(paths.landing, START, days, scale, seed=seed, exports=paths.exports, **kw).run()
    if faults:
        inject(paths.landing, START, days, faults)
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return paths


def publish_days(paths: Paths, start: date, end: date, run_id: str = "test") -> dict:
    """The pipeline's stages for start..end, without Airflow, as the DAG wires them: load, validate raw,
    build, validate marts, publish (with the run's health), write the run summary."""
    from opswh.days import DayRange
    from opswh.pipeline import dbt_build, load_sources, publish, validate, write_run_summary

    days = DayRange(start, end)
    stages = {"load": load_sources(paths, days, run_id=run_id)}
    stages["validate_raw"] = validate(paths, "raw", days, run_id)
    stages["dbt"] = dbt_build(paths, days, run_id=run_id)
    stages["validate_marts"] = validate(paths, "marts", days, run_id)
    stages["published"] = publish(paths, days, run_id, stages)
    write_run_summary(paths, days, run_id, stages)
    return stages


def hand_built_warehouse(
    paths: Paths, rows: int = 3, description: str = "KPIs by day.", select: str | None = None
) -> None:
    """What a build leaves, made by hand: ``marts.fct_kpi_daily`` (column ``dau``, ``rows`` rows; or the
    rows of ``select``) and the manifest that describes it (its columns, one of them not in the table)."""
    import json

    import duckdb

    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.fct_kpi_daily as "
            + (select or f"select range::int as dau from range({int(rows)})")
        )
    node = {
        "resource_type": "model",
        "schema": "marts",
        "alias": "fct_kpi_daily",
        "description": description,
        "columns": {"dau": {"description": "Daily active users."}, "gone": {"description": "Not built."}},
    }
    paths.dbt_target.mkdir(parents=True, exist_ok=True)
    (paths.dbt_target / "manifest.json").write_text(json.dumps({"nodes": {"model.opswh.fct_kpi_daily": node}}))


def mart_digests(paths: Paths) -> dict[str, tuple]:
    """Every published mart's row count and an order-independent digest of its rows (not the
    publication's own `_snapshot` record, which names the run)."""
    import duckdb

    with duckdb.connect(str(paths.published), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_catalog = 'marts' and table_schema = 'main'"
        )
        return {
            t: con.execute(f"select count(*), sum(hash(m::varchar)) from marts.{t} as m").fetchall()[0]
            for (t,) in tables.fetchall()
            if not t.startswith("_")
        }


Table = tuple[list[str], list[tuple]]  # a table's columns and its rows


def tables(database: Path, schemas: tuple[str, ...]) -> dict[str, Table]:
    """Every table of ``schemas`` in a DuckDB file (a warehouse, or a published snapshot's ``main`` and
    ``ops``): its columns and its rows, by ``schema.table``."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = current_database() and list_contains(?, table_schema) order by all",
                [list(schemas)],
            ).fetchall()
        ]
        out = {}
        for name in names:
            rel = con.execute(f"select * from {name}")
            out[name] = ([d[0] for d in rel.description], rel.fetchall())
    return out


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, type(v).__name__, v if v is not None else 0) for v in row)


def _equal(a, b) -> bool:
    """Keys, integers, dates, strings and decimals exactly (and of the same type); floats to 1e-9 relative."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return type(a) is type(b) and a == b


def without(table: Table, columns: tuple[str, ...]) -> Table:
    """``table`` less ``columns`` (which it must have)."""
    assert set(columns) <= set(table[0]), columns
    keep = [i for i, c in enumerate(table[0]) if c not in columns]
    return [table[0][i] for i in keep], [tuple(r[i] for i in keep) for r in table[1]]


def table_differences(first: Table, second: Table, names: tuple[str, str] = ("DuckDB", "Spark")) -> list[str]:
    """How two versions of a table differ row by row, whatever their row and column order (at most
    a few differences); empty when they are the same."""
    a_cols, a_rows = first
    b_cols, b_rows = second
    if sorted(a_cols) != sorted(b_cols):
        return [f"columns differ: {sorted(set(a_cols) ^ set(b_cols))}"]
    order = [b_cols.index(c) for c in a_cols]
    b_rows = [tuple(r[i] for i in order) for r in b_rows]
    if len(a_rows) != len(b_rows):
        return [f"{len(a_rows)} rows on {names[0]}, {len(b_rows)} on {names[1]}"]
    out = []
    for a, b in zip(sorted(a_rows, key=_sort_key), sorted(b_rows, key=_sort_key)):
        for column, x, y in zip(a_cols, a, b):
            if not _equal(x, y):
                out.append(f"{column}: {names[0]} {x!r}, {names[1]} {y!r} (row {a})")
        if len(out) > 5:
            break
    return out
