"""The DAG files: importable, Airflow 3 idioms only, wired so that writers never overlap."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from opswh.config import REPO_ROOT

DAGS = sorted((REPO_ROOT / "dags").glob("*.py"))
SCRIPTS = REPO_ROOT / "tests" / "scripts"
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


def _airflow_env(tmp_path: Path) -> dict[str, str]:
    from opswh import config
    from opswh.airflow.environment import airflow_env

    return airflow_env(config.load(tmp_path))


def test_dag_imports_and_is_wired_safely(tmp_path) -> None:
    import json

    out = subprocess.run(
        [sys.executable, str(SCRIPTS / "dag_wiring.py"), str(REPO_ROOT / "dags")],
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
    warehouse_tasks = ["load_raw", "validate_raw", "dbt_build", "validate_marts", "publish", "dashboard"]
    assert set(warehouse_tasks) <= set(tasks)  # one load of every source system, then the stages
    assert all(tasks[t]["pool"] == "duckdb_writer" for t in warehouse_tasks)
    assert all(t["retries"] >= 1 and t["owner"] == "data-platform" for t in tasks.values())
