"""Real runs of platform_ops_daily: in-process with dag.test, and through Airflow's scheduler with opswh run."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opswh.config import REPO_ROOT

SCRIPTS = REPO_ROOT / "tests" / "scripts"


@pytest.mark.e2e
def test_a_complete_run_with_dag_test_publishes_marts(tmp_path) -> None:
    """One real run of platform_ops_daily (dag.test: Airflow, dbt and GX for real, in-process)."""
    import duckdb

    from opswh import config
    from opswh.airflow import services
    from opswh.airflow.environment import airflow_env
    from opswh.paths import Paths
    from tests.support import START, simulate

    paths = simulate(tmp_path, days=2, scale="tiny")
    env = airflow_env(config.load(paths.root))
    services.migrate(config.load(paths.root))
    r = subprocess.run(
        [
            sys.executable,
            str(SCRIPTS / "run_days.py"),
            str(REPO_ROOT / "dags"),
            f"{START}..{START.replace(day=START.day + 1)}",
        ],
        env={**env, "OPSWH_DATA_DIR": str(paths.root)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert f"STATE {START}..{START.replace(day=START.day + 1)} success" in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]
    with duckdb.connect(str(Paths(tmp_path).published), read_only=True) as con:
        days = con.execute("select count(*), min(dau) from fct_kpi_daily").fetchall()[0]
    assert days[0] == 2 and days[1] > 0
    assert os.path.exists(paths.root / "runs")


@pytest.mark.e2e
def test_opswh_run_through_the_scheduler_names_the_failing_task(tmp_path) -> None:
    """Two daily runs through Airflow's scheduler; the second day's order_items renamed a column. The
    failed task notifies, with its cause, a real SMTP server and a real HTTP server on loopback."""
    from tests.servers import alert_env, mail_text, smtp_receiver, webhook_receiver
    from tests.support import START, simulate

    simulate(tmp_path, days=2, scale="small", faults=["schema_drift_renamed"])
    opswh = str(Path(sys.executable).parent / "opswh")
    receivers = contextlib.ExitStack()
    smtp, webhook = receivers.enter_context(smtp_receiver()), receivers.enter_context(webhook_receiver())
    env = {**os.environ, "OPSWH_DATA_DIR": str(tmp_path), "OPSWH_AIRFLOW_PORT": "8796", **alert_env(smtp, webhook)}
    try:
        r = subprocess.run(
            [opswh, "run", "--start", str(START), "--end", str(START.replace(day=START.day + 1))],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        out = r.stdout + r.stderr
        assert r.returncode == 1, out[-3000:]
        assert "task load_raw failed" in out
        assert "unit_price" in out and "renamed upstream" in out  # the log excerpt carries the cause
        assert "failed (try 1)" in out and "exc_type" not in out and "frames" not in out  # not retried, no JSON
        import duckdb

        from opswh.paths import Paths

        with duckdb.connect(str(Paths(tmp_path).warehouse), read_only=True) as con:
            statuses = dict(
                con.execute(
                    "select feed, max(status) from raw.load_log where _dt = ? and feed in ('events', 'order_items') "
                    "group by feed",
                    [START.replace(day=START.day + 1)],
                ).fetchall()
            )
        # the one load task tried every source before failing: the other feeds of the failed day are loaded
        assert statuses == {"events": "loaded", "order_items": "failed"}, statuses
        from opswh import config
        from opswh.airflow.services import running_services

        assert running_services(config.load(tmp_path)) == {}  # opswh run stops the services it started
        status = subprocess.run([opswh, "status"], env=env, capture_output=True, text=True, timeout=120).stdout
        assert status.count("success") == 1 and status.count("failed") == 1
        assert "as of 2026-09-01" in status  # the failed day published nothing; the previous day stays
        failed = [m for m in smtp.items if "failed: load_raw" in m["Subject"]]
        assert len(failed) == 1 and failed[0]["To"] == "ops@example.com", [m["Subject"] for m in smtp.items]
        assert "renamed upstream" in mail_text(failed[0])
        (notice,) = [p["json"] for p in webhook.items if p["json"].get("kind") == "run_failed"]
        assert notice["task_id"] == "load_raw" and "renamed upstream" in notice["cause"]
    finally:
        subprocess.run([opswh, "airflow", "--stop"], env=env, capture_output=True, timeout=120)
        receivers.close()
