"""The opswh command line, as a user drives it."""

from __future__ import annotations

from datetime import date

import duckdb
from typer.testing import CliRunner

from opswh import contract
from opswh.cli import app
from opswh.paths import Paths
from opswh.publish import publish_snapshot
from tests.support import hand_built_warehouse

runner = CliRunner()


def test_simulate_rejects_bad_arguments_clearly(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPSWH_DATA_DIR", str(tmp_path))
    r = runner.invoke(app, ["simulate", "--start", "2026-13-01"])
    assert r.exit_code != 0 and "not a date" in r.output
    r = runner.invoke(app, ["simulate", "--start", "2026-09-01", "--faults", "meteor_strike"])
    assert r.exit_code != 0 and "unknown fault class meteor_strike" in r.output


def test_simulate_then_load_reports_every_partition(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPSWH_DATA_DIR", str(tmp_path))
    assert runner.invoke(app, ["simulate", "--start", "2026-09-01", "--days", "1", "--scale", "tiny"]).exit_code == 0
    r = runner.invoke(app, ["load", "--start", "2026-09-01"])
    assert r.exit_code == 0, r.output
    with duckdb.connect(str(tmp_path / "warehouse" / "opswh.duckdb"), read_only=True) as con:
        loaded = con.execute("select count(*) from raw.load_log where status = 'loaded'").fetchall()[0][0]
    assert loaded == len(contract.FEEDS)  # one partition of every feed of the contract


def test_query_reads_the_published_snapshot_only(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPSWH_DATA_DIR", str(tmp_path))
    r = runner.invoke(app, ["query", "select 1"])
    assert r.exit_code == 1 and "nothing published yet" in r.output
    paths = Paths(tmp_path)
    hand_built_warehouse(paths, select="select 42 as dau")
    publish_snapshot(paths, date(2026, 9, 1), "r1")
    r = runner.invoke(app, ["query", "select dau from fct_kpi_daily"])
    assert r.exit_code == 0 and "42" in r.output
    r = runner.invoke(app, ["query", "drop table fct_kpi_daily"])
    assert r.exit_code == 1 and "read-only" in r.output.lower()


def test_status_without_runs_says_so(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPSWH_DATA_DIR", str(tmp_path))
    r = runner.invoke(app, ["status"])
    assert r.exit_code == 0 and "Nothing published yet" in r.output
