"""A CLI that is safe to use: it refuses what would hang, clobber or leak, and says why."""

from __future__ import annotations

import json
import socket
from datetime import date

import pytest
from typer.testing import CliRunner

from opswh import contract
from opswh.cli import app
from opswh.paths import Paths
from opswh.publish import publish_snapshot
from tests.support import hand_built_warehouse

runner = CliRunner()


@pytest.fixture()
def published(tmp_path, monkeypatch) -> Paths:
    monkeypatch.setenv("OPSWH_DATA_DIR", str(tmp_path))
    paths = Paths(tmp_path)
    hand_built_warehouse(paths, select="select 42 as dau, 'a,b' as note")
    publish_snapshot(paths, date(2026, 9, 1), "r1")
    return paths


@pytest.mark.parametrize(
    "sql",
    [
        "copy (select 1) to '{tmp}/out.csv'",
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('/etc/hostname')",
        "attach '{tmp}/other.duckdb' as other",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
        "export database '{tmp}/export'",
    ],
)
def test_query_refuses_to_touch_files_or_change_its_sandbox(published, tmp_path, sql) -> None:
    r = runner.invoke(app, ["query", sql.format(tmp=tmp_path)])
    assert r.exit_code == 1, r.output
    assert "disabled" in r.output.lower() or "cannot change" in r.output.lower(), r.output
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()
    assert not (tmp_path / "export").exists()


def test_an_empty_query_is_a_clear_error_not_a_traceback(published) -> None:
    r = runner.invoke(app, ["query", "  ; "])
    assert r.exit_code == 1 and "the query is empty" in r.output and "Traceback" not in r.output


def test_query_writes_csv_and_json(published) -> None:
    r = runner.invoke(app, ["query", "select dau, note from fct_kpi_daily", "--format", "csv"])
    assert r.exit_code == 0 and r.output == 'dau,note\n42,"a,b"\n'
    r = runner.invoke(app, ["query", "select dau, note from fct_kpi_daily", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.output) == [{"dau": 42, "note": "a,b"}]


def test_run_for_days_never_delivered_stops_and_lists_them(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPSWH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OPSWH_AIRFLOW_URL", raising=False)
    r = runner.invoke(app, ["run", "--start", "2026-09-01", "--end", "2026-09-02"])
    assert r.exit_code == 2, r.output
    assert f"{2 * len(contract.FEEDS)} partition(s) of 2026-09-01..2026-09-02 are not delivered yet" in r.output
    assert "events/dt=2026-09-01" in r.output and "--wait" in r.output
    assert not (tmp_path / "airflow").exists()  # nothing was started


def test_a_port_held_by_another_process_is_refused_before_anything_starts(tmp_path, monkeypatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        monkeypatch.setenv("OPSWH_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("OPSWH_AIRFLOW_PORT", str(port))
        r = runner.invoke(app, ["airflow"])
    assert r.exit_code == 2, r.output
    assert f"port {port} is already in use by another process" in r.output
    assert "OPSWH_AIRFLOW_PORT" in r.output
    assert not (tmp_path / "airflow" / "api-server.pid").exists()


def test_the_demo_refuses_a_data_directory_it_did_not_create(tmp_path, monkeypatch) -> None:
    (tmp_path / "landing" / "orders").mkdir(parents=True)
    (tmp_path / "landing" / "orders" / "export.csv").write_text("order_id\no1\n")
    monkeypatch.setenv("OPSWH_DATA_DIR", str(tmp_path))
    r = runner.invoke(app, ["demo"])
    assert r.exit_code == 2, r.output
    assert "holds data the demo did not create" in r.output and "OPSWH_DATA_DIR" in r.output
    assert (tmp_path / "landing" / "orders" / "export.csv").read_text() == "order_id\no1\n"


def test_the_demo_reclaims_a_directory_it_created(tmp_path) -> None:
    from opswh.cli.demo import DEMO_MARKER, claim_data_dir

    (tmp_path / DEMO_MARKER).write_text("")
    (tmp_path / "landing").mkdir()
    (tmp_path / "opswh.json").write_text("{}")
    claim_data_dir(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [DEMO_MARKER]


def test_permanent_errors_fail_the_task_without_retries_and_others_are_retried() -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from opswh.airflow.failures import fail_fast
    from opswh.quality.gate import QualityGateError

    @fail_fast
    def gate() -> None:
        raise QualityGateError("2 critical expectation(s) failed")

    @fail_fast
    def locked() -> None:
        raise OSError("Could not set lock on file")

    with pytest.raises(AirflowFailException, match="QualityGateError: 2 critical"):
        gate()
    with pytest.raises(OSError):
        locked()


def test_nothing_reads_airflows_metadata_tables() -> None:
    import re

    from opswh.config import REPO_ROOT

    private = re.compile(
        r"(from|join|update|into)\s+(slot_pool|dag_run|task_instance|serialized_dag)\b|sqlite3|airflow\.api\.common"
        r"|airflow\.models\.(dagrun|taskinstance|pool)|airflow\.utils\.db"
    )
    files = [
        *(REPO_ROOT / "include").rglob("*.py"),
        *(REPO_ROOT / "dags").glob("*.py"),
        *(REPO_ROOT / "bench").glob("*.py"),
    ]
    for path in files:
        assert not private.search(path.read_text()), f"{path} uses Airflow's internals"
