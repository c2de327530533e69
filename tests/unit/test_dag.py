"""The DAG files: importable, Airflow 3 idioms only, wired so that writers never overlap."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from opswh.config import REPO_ROOT

DAGS = sorted((REPO_ROOT / "dags").glob("*.py"))
AIRFLOW2_IDIOMS = [
    r"airflow\.operators\.python",
    r"airflow\.decorators",
    r"schedule_interval",
    r"execution_date",
    r"days_ago",
    r"airflow\.models\.dag import",
    r"SubDag",
    r"\bsla\s*=",
    r"provide_context",
]


@pytest.mark.parametrize("path", DAGS, ids=lambda p: p.name)
def test_dag_files_use_airflow3_idioms_and_stay_light(path: Path) -> None:
    text = path.read_text()
    assert "airflow" in text and "dag" in text  # or the DAG processor skips the file silently
    for idiom in AIRFLOW2_IDIOMS:
        assert not re.search(idiom, text), f"{path.name} uses an Airflow 2 idiom: {idiom}"
    top_level_imports = [line for line in text.splitlines() if re.match(r"^(import|from) ", line)]
    for heavy in ("duckdb", "great_expectations", "pandas", "dbt", "opswh.ingest", "opswh.quality"):
        assert not any(heavy in line for line in top_level_imports), f"{path.name} imports {heavy} at parse time"


DAGBAG_SCRIPT = """
import json, sys
from airflow.models.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
dag = bag.dags["platform_ops_daily"]
tasks = {t.task_id: {"pool": t.pool, "retries": t.retries, "owner": t.owner} for t in dag.tasks}
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "tasks": tasks,
    "max_active_runs": dag.max_active_runs, "catchup": dag.catchup, "tags": sorted(dag.tags),
    "doc": bool(dag.doc_md), "timetable": type(dag.timetable).__name__}))
"""


def _airflow_env(tmp_path: Path) -> dict[str, str]:
    from opswh import config
    from opswh.airflow.environment import airflow_env

    return airflow_env(config.load(tmp_path))


def test_dag_imports_and_is_wired_safely(tmp_path) -> None:
    import json

    out = subprocess.run(
        [sys.executable, "-c", DAGBAG_SCRIPT, str(REPO_ROOT / "dags")],
        env=_airflow_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    info = json.loads(out.strip().splitlines()[-1])
    assert info["errors"] == {}
    assert info["max_active_runs"] == 1 and info["catchup"] is True and info["doc"] and info["tags"]
    assert info["timetable"] == "CronDataIntervalTimetable"
    tasks = info["tasks"]
    warehouse_tasks = [
        t for t in tasks if t.startswith("load_raw.") or t in ("validate_raw", "dbt_build", "validate_marts", "publish")
    ]
    assert len(warehouse_tasks) == 9
    assert all(tasks[t]["pool"] == "duckdb_writer" for t in warehouse_tasks)
    assert all(t["retries"] >= 1 and t["owner"] == "data-platform" for t in tasks.values())


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
    script = f"""
import pendulum
from airflow.models.dagbag import DagBag
dag = DagBag(dag_folder={str(REPO_ROOT / "dags")!r}).get_dag("platform_ops_daily")
run = dag.test(run_conf={{"start": "{START}", "end": "{START.replace(day=START.day + 1)}"}})
print("STATE", run.state)
"""
    r = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "OPSWH_DATA_DIR": str(paths.root)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "STATE success" in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]
    with duckdb.connect(str(Paths(tmp_path).published), read_only=True) as con:
        days = con.execute("select count(*), min(dau) from fct_kpi_daily").fetchall()[0]
    assert days[0] == 2 and days[1] > 0
    assert os.path.exists(paths.root / "runs")


@pytest.mark.e2e
def test_opswh_run_through_the_scheduler_names_the_failing_task(tmp_path) -> None:
    """Two daily runs through Airflow's scheduler; the second day's order_items renamed a column."""
    from tests.support import START, simulate

    simulate(tmp_path, days=2, scale="small", faults=["schema_drift_renamed"])
    opswh = str(Path(sys.executable).parent / "opswh")
    env = {**os.environ, "OPSWH_DATA_DIR": str(tmp_path), "OPSWH_AIRFLOW_PORT": "8796"}
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
        assert "task load_raw.load_orders failed" in out
        assert "unit_price" in out and "renamed upstream" in out  # the log excerpt carries the cause
        assert "failed (try 1)" in out and "exc_type" not in out and "frames" not in out  # not retried, no JSON
        from opswh import config
        from opswh.airflow.services import running_services

        assert running_services(config.load(tmp_path)) == {}  # opswh run stops the services it started
        status = subprocess.run([opswh, "status"], env=env, capture_output=True, text=True, timeout=120).stdout
        assert status.count("success") == 1 and status.count("failed") == 1
        assert "as of 2026-09-01" in status  # the failed day published nothing; the previous day stays
    finally:
        subprocess.run([opswh, "airflow", "--stop"], env=env, capture_output=True, timeout=120)
