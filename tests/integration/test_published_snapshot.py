"""The published snapshot as BI tools meet it: dbt's descriptions as comments, the pipeline's health in
schema ``ops``, Parquet beside it, and a file an older DuckDB (through a BI tool's SQLAlchemy driver,
in an isolated environment) opens read-only."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import duckdb
import pytest
import yaml

from opswh.config import REPO_ROOT
from opswh.publish import STORAGE_VERSION
from tests.support import START, publish_days, simulate

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Four days with malformed rows and a re-delivered file: run r1 publishes days 1-3, r2 day 4."""
    paths = simulate(tmp_path_factory.mktemp("published"), days=4, faults=["malformed_rows", "duplicate_file"])
    first = publish_days(paths, START, START + timedelta(days=2), run_id="r1")
    second = publish_days(paths, START + timedelta(days=3), START + timedelta(days=3), run_id="r2")
    return paths, {"r1": first, "r2": second}


@pytest.fixture(scope="module")
def bi_python(tmp_path_factory):
    """A virtualenv of its own with what a BI tool has (deploy/superset/requirements.txt)."""
    venv = tmp_path_factory.mktemp("bi") / "venv"
    uv = REPO_ROOT / ".tools" / "bin" / "uv"
    subprocess.run([uv, "venv", "-q", "--python", "python3.11", venv], check=True)
    requirements = REPO_ROOT / "deploy" / "superset" / "requirements.txt"
    subprocess.run([uv, "pip", "install", "-q", "-p", venv / "bin" / "python", "-r", requirements], check=True)
    return venv / "bin" / "python"


def _comments(con, database: str, schema: str) -> dict[str, tuple]:
    tables = dict(
        con.execute(
            "select table_name, comment from duckdb_tables() where database_name = ? and schema_name = ?",
            [database, schema],
        ).fetchall()
    )
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns() where database_name = ? and schema_name = ?",
        [database, schema],
    ).fetchall()
    return {t: (c, {col: com for tt, col, com in columns if tt == t}) for t, c in tables.items()}


def test_the_snapshot_keeps_every_description_dbt_has(published) -> None:
    paths, _ = published
    manifest = json.loads((paths.dbt_target / "manifest.json").read_text())
    with duckdb.connect() as con:
        con.execute(f"attach '{paths.warehouse}' as wh (read_only)")
        con.execute(f"attach '{paths.published}' as pub (read_only)")
        for schema, target in (("marts", "main"), ("ops", "ops")):
            built, snapshot = _comments(con, "wh", schema), _comments(con, "pub", target)
            assert len(built) >= (25 if schema == "marts" else 2)
            for table, (_, columns) in built.items():
                (node,) = [n for n in manifest["nodes"].values() if (n["schema"], n["alias"]) == (schema, table)]
                described = {c: node["columns"][c]["description"] for c in columns}
                assert snapshot[table] == (node["description"], described), table
                assert node["description"] and all(described.values()), (
                    f"{table}: a mart or column without a description"
                )
        records = _comments(con, "pub", "ops")
        for table in ("runs", "validations", "findings"):
            comment, columns = records[table]
            assert comment and columns and all(columns.values()), table


def test_the_snapshot_holds_the_loads_reconciliation_the_rejects_and_the_runs(published) -> None:
    paths, stages = published
    with duckdb.connect(str(paths.published), read_only=True) as pub:
        recon = pub.execute(
            "select feed, reporting_date, status, rows_landed, rows_loaded, rows_rejected, rows_deduplicated, "
            "is_reconciled from ops.ops_load_reconciliation"
        ).fetchall()
        rejects = pub.execute(
            "select feed, reporting_date, file_path, line_number, column_name, reason from ops.ops_rejects"
        )
        rejects = rejects.fetchall()
        runs = pub.execute(
            "select run_id, first_day, last_day, rows_landed, rows_rejected, rows_deduplicated, raw_validations, "
            "marts_warnings from ops.runs"
        ).fetchall()
        validations = pub.execute("select run_id, stage, validated, warnings, passed from ops.validations").fetchall()
        findings = pub.execute("select run_id, stage, count(*) from ops.findings group by all").fetchall()
    with duckdb.connect(str(paths.warehouse), read_only=True) as wh:
        partitions = wh.execute("select count(distinct (feed, _dt)) from raw.load_log").fetchall()[0][0]
        stored_rejects = wh.execute("select count(*) from raw.raw_rejects").fetchall()[0][0]
    assert len(recon) == partitions > 4 * 10
    assert all(r[2] == "loaded" and r[7] is True and r[3] == r[4] + r[5] + r[6] for r in recon)
    faulted = {(r[0], r[1]): r[5:7] for r in recon if r[5] or r[6]}
    assert faulted[("orders", START + timedelta(days=1))][1] > 0  # the re-delivered orders file
    assert sum(r[5] for r in recon) == len(rejects) == stored_rejects >= 4
    assert all(r[2].startswith(f"{r[0]}/dt=") and r[3] >= 1 and r[5] for r in rejects)
    assert {r[4] for r in rejects} >= {"gmv_amount", "placed_at"}  # the column named, per the contract

    def totals(run: dict, key: str) -> int:
        return sum(source[key] for source in run["load"].values())

    assert [r[:3] for r in runs] == [  # the newest first: this snapshot's run, then the summaries
        ("r2", START + timedelta(days=3), START + timedelta(days=3)),
        ("r1", START, START + timedelta(days=2)),
    ]
    for row in runs:
        run = stages[row[0]]
        assert row[3:6] == (totals(run, "landed"), totals(run, "rejected"), totals(run, "deduplicated"))
        assert row[6] == run["validate_raw"]["validated"] and row[7] == len(run["validate_marts"]["warnings"])
    assert sorted(v[:2] for v in validations) == [("r1", "marts"), ("r1", "raw"), ("r2", "marts"), ("r2", "raw")]
    for run_id, stage, validated, warnings, passed in validations:
        run = stages[run_id][f"validate_{stage}"]
        assert passed and validated == run["validated"] and warnings == len(run["warnings"])
    assert sorted(findings) == sorted(
        (run_id, stage, len(run[f"validate_{stage}"]["warnings"]))
        for run_id, run in stages.items()
        for stage in ("raw", "marts")
        if run[f"validate_{stage}"]["warnings"]
    )


def test_parquet_carries_the_same_marts_and_health(published) -> None:
    paths, _ = published
    with duckdb.connect(str(paths.published), read_only=True) as pub:
        tables = pub.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = 'marts'"
        ).fetchall()
        for schema, table in tables:
            file = paths.published_parquet / ("ops/" if schema == "ops" else "") / f"{table}.parquet"
            count = pub.execute(f"select count(*) from {schema}.{table}").fetchall()[0][0]
            assert pub.execute(f"select count(*) from '{file}'").fetchall()[0][0] == count, file
    assert len(tables) > 30 and {s for s, _ in tables} == {"main", "ops"}


def test_an_older_duckdb_reads_the_snapshot_through_a_bi_tools_sqlalchemy_driver(published, bi_python) -> None:
    """What Superset does with docker-compose.yml's connection URI: list the marts with their comments,
    query one; the file opens read-only in DuckDB 1.1, not only in the DuckDB that wrote it."""
    paths, _ = published
    uri = COMPOSE["services"]["superset"]["environment"]["SUPERSET_MARTS_URI"]
    uri = uri.replace("/data/published/marts.duckdb", str(paths.published))
    out = subprocess.run(
        [bi_python, REPO_ROOT / "tests" / "scripts" / "bi_reader.py", uri, "fct_kpi_daily"],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(out.stdout)
    assert found["duckdb"] == "1.1.3" and STORAGE_VERSION == "v1.1.0" and found["sqlalchemy"].startswith("1.4.")
    with duckdb.connect(str(paths.published), read_only=True) as con:
        for schema in ("main", "ops"):
            expected = {t: (c, cols) for t, (c, cols) in _comments(con, "marts", schema).items()}
            got = {t: (v["comment"], v["columns"]) for t, v in found["schemas"][schema].items()}
            assert got == expected, schema
        rows = [list(map(str, r)) for r in con.execute("select * from fct_kpi_daily order by 1").fetchall()]
    assert len(rows) == 4 and found["rows"] == rows
    assert found["write"].startswith(("ProgrammingError", "OperationalError")) and "read-only" in found["write"]
