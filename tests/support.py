"""Helpers the tests share: small simulated platforms."""

from __future__ import annotations

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
    from opswh import contract
    from opswh.days import DayRange
    from opswh.pipeline import dbt_build, load_source, publish, validate, write_run_summary

    days = DayRange(start, end)
    stages = {"load": {s: load_source(paths, s, days, run_id=run_id) for s in contract.SOURCES}}
    stages["validate_raw"] = validate(paths, "raw", days, run_id)
    stages["dbt"] = dbt_build(paths, days, run_id=run_id)
    stages["validate_marts"] = validate(paths, "marts", days, run_id)
    stages["published"] = publish(paths, days, run_id, stages)
    write_run_summary(paths, days, run_id, stages)
    return stages


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
