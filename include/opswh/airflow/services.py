"""Airflow for this project: its environment, its services, and runs of ``platform_ops_daily``.

Everything Airflow writes lives under ``<data dir>/airflow`` (metadata DB, logs, generated
passwords); nothing goes to ``~/airflow``. Services are started as background processes
(api-server, scheduler, dag-processor) with LocalExecutor on SQLite, with pid files so that
``opswh`` can reuse or stop them.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from opswh.pipeline import WRITER_POOL
from opswh.settings import REPO_ROOT, REPORTING_TZ, Paths

DAG_ID = "platform_ops_daily"
SERVICES = ("api-server", "scheduler", "dag-processor")
BIN = Path(sys.executable).parent


def schedule_start(paths: Paths, set_to: date | None = None) -> date:
    """The first day the daily schedule covers, kept in ``<data dir>/opswh.json`` so the DAG's
    start_date stays put (default: the day it is first asked for, so nothing is caught up)."""
    f = paths.root / "opswh.json"
    conf = json.loads(f.read_text()) if f.exists() else {}
    if set_to is not None or "schedule_start" not in conf:
        day = set_to or datetime.now(ZoneInfo(REPORTING_TZ)).date()
        conf["schedule_start"] = day.isoformat()
        paths.root.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(conf, indent=1))
    return date.fromisoformat(conf["schedule_start"])


def airflow_env(paths: Paths) -> dict[str, str]:
    """Environment for every Airflow process of this project."""
    home = paths.airflow_home
    port = os.environ.get("OPSWH_AIRFLOW_PORT", "8080")
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "OPSWH_DATA_DIR": str(paths.root),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": os.environ.get(
                "OPSWH_EXECUTOR", "opswh.airflow.executor.PreloadingLocalExecutor"
            ),
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": port,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "OPSWH_REPORTING_TZ": REPORTING_TZ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT / "include"), os.environ.get("PYTHONPATH")])),
        }
    )
    env["OPSWH_SCHEDULE_START"] = schedule_start(paths).isoformat()
    return env


def _airflow(paths: Paths, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "airflow"), *args], env=env or airflow_env(paths), capture_output=True, text=True, check=False
    )


def migrate(paths: Paths) -> None:
    """Create or upgrade the metadata DB and the writer pool (idempotent)."""
    paths.airflow_home.mkdir(parents=True, exist_ok=True)
    r = _airflow(paths, "db", "migrate")
    if r.returncode:
        raise RuntimeError(f"airflow db migrate failed:\n{r.stderr[-3000:]}")
    ensure_pool(paths)


def ensure_pool(paths: Paths) -> None:
    """The one-slot pool that serialises every task that opens the DuckDB warehouse."""
    with sqlite3.connect(paths.airflow_home / "airflow.db") as db:
        row = db.execute("select slots from slot_pool where pool = ?", [WRITER_POOL]).fetchone()
        if row is None:
            r = _airflow(paths, "pools", "set", WRITER_POOL, "1", "Writers to the DuckDB warehouse (one at a time)")
            if r.returncode:
                raise RuntimeError(f"creating pool {WRITER_POOL} failed:\n{r.stderr[-2000:]}")


# ---------------------------------------------------------------------------- services


def _pidfile(paths: Paths, name: str) -> Path:
    return paths.airflow_home / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def running_services(paths: Paths) -> dict[str, int]:
    out = {}
    for name in SERVICES:
        f = _pidfile(paths, name)
        if f.exists():
            pid = int(f.read_text())
            if _alive(pid):
                out[name] = pid
    return out


def api_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('OPSWH_AIRFLOW_PORT', '8080')}"


def start_services(paths: Paths, wait: float = 120) -> dict[str, int]:
    """Start the services that are not running; wait until the API answers."""
    migrate(paths)
    env = airflow_env(paths)
    logs = paths.airflow_home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    running = running_services(paths)
    for name in SERVICES:
        if name in running:
            continue
        with (logs / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                [str(BIN / "airflow"), name], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        _pidfile(paths, name).write_text(str(proc.pid))
        running[name] = proc.pid
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api_url()}/api/v2/monitor/health", timeout=2) as r:
                if r.status == 200:
                    return running
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"the Airflow API did not come up within {wait:.0f} s; see {logs}/api-server.log")


def stop_services(paths: Paths) -> None:
    for name, pid in running_services(paths).items():
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            pass
        for _ in range(50):
            if not _alive(pid):
                break
            time.sleep(0.2)
        else:
            os.killpg(pid, signal.SIGKILL)
        _pidfile(paths, name).unlink(missing_ok=True)


def admin_password(paths: Paths) -> str | None:
    f = paths.airflow_home / "passwords.json"
    if f.exists():
        return json.loads(f.read_text()).get("admin")
    return None


# ---------------------------------------------------------------------------- runs


@dataclass
class RunState:
    run_id: str
    state: str
    run_type: str
    start: str | None
    end: str | None
    conf: str | None
    logical_date: str | None


def _db(paths: Paths) -> sqlite3.Connection:
    return sqlite3.connect(paths.airflow_home / "airflow.db", timeout=30)


def wait_for_dag(paths: Paths, timeout: float = 180) -> None:
    """Wait until the dag-processor has serialized the DAG."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _db(paths) as db:
            if db.execute("select 1 from serialized_dag where dag_id = ?", [DAG_ID]).fetchone():
                return
        time.sleep(1)
    raise RuntimeError(
        f"{DAG_ID} was not parsed within {timeout:.0f} s; see "
        f"{paths.airflow_home / 'logs' / 'dag-processor.log'} and `airflow dags list-import-errors`"
    )


def set_paused(paths: Paths, paused: bool) -> None:
    r = _airflow(paths, "dags", "pause" if paused else "unpause", DAG_ID)
    if r.returncode:
        raise RuntimeError(f"airflow dags {'pause' if paused else 'unpause'} failed:\n{r.stderr[-2000:]}")


def trigger_range(paths: Paths, start: date, end: date) -> str:
    """One manual run covering start..end (conf). Its run_after is the end of the range, so the
    scheduler, which takes queued runs by run_after, starts it before the runs of later days."""
    return trigger_runs(paths, [(start, end)])[0]


def trigger_days(paths: Paths, start: date, end: date) -> list[str]:
    """One manual run per day, queued in day order."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return trigger_runs(paths, [(d, d) for d in days])


def trigger_runs(paths: Paths, ranges: list[tuple[date, date]]) -> list[str]:
    tz = ZoneInfo(REPORTING_TZ)
    stamp = int(time.time())
    specs = []
    for start, end in ranges:
        run_after = datetime(end.year, end.month, end.day, tzinfo=tz) + timedelta(days=1)
        kind = "range" if start != end else "day"
        specs.append(
            {
                "dag_id": DAG_ID,
                "run_id": f"opswh_{kind}__{start}" + (f"_{end}" if start != end else "") + f"__{stamp}",
                "conf": {"start": str(start), "end": str(end)},
                "run_after": run_after.astimezone(UTC).isoformat(),
            }
        )
    code = (
        "import sys, json, datetime\n"
        "from airflow.api.common.trigger_dag import trigger_dag\n"
        "from airflow.utils.types import DagRunTriggeredByType\n"
        "for a in json.loads(sys.argv[1]):\n"
        "    trigger_dag(a['dag_id'], run_id=a['run_id'], conf=a['conf'], logical_date=None,\n"
        "                run_after=datetime.datetime.fromisoformat(a['run_after']),\n"
        "                triggered_by=DagRunTriggeredByType.CLI)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, json.dumps(specs)], env=airflow_env(paths), capture_output=True, text=True
    )
    if r.returncode:
        raise RuntimeError(f"triggering runs failed:\n{r.stderr[-3000:]}")
    return [s["run_id"] for s in specs]


def runs(paths: Paths, limit: int = 20) -> list[RunState]:
    db_path = paths.airflow_home / "airflow.db"
    if not db_path.exists():
        return []
    with _db(paths) as db:
        rows = db.execute(
            "select run_id, state, run_type, start_date, end_date, conf, logical_date from dag_run "
            "where dag_id = ? order by coalesce(start_date, run_after) desc limit ?",
            [DAG_ID, limit],
        ).fetchall()
    return [RunState(*r) for r in rows]


def failed_tasks(paths: Paths, run_id: str) -> list[tuple[str, str, int]]:
    with _db(paths) as db:
        return db.execute(
            "select task_id, state, try_number from task_instance where dag_id = ? and run_id = ? "
            "and state in ('failed', 'upstream_failed') order by task_id",
            [DAG_ID, run_id],
        ).fetchall()


def task_log_excerpt(paths: Paths, run_id: str, task_id: str, lines: int = 40) -> str:
    base = paths.airflow_home / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={task_id}"
    files = sorted(base.glob("**/*.log"), key=lambda p: p.stat().st_mtime) if base.exists() else []
    if not files:
        return f"(no log under {base})"
    text = files[-1].read_text(errors="replace").splitlines()
    out = []
    for line in text:
        try:
            rec = json.loads(line)
            msg = rec.get("event", "")
            if rec.get("error_detail"):
                msg += "\n" + json.dumps(rec["error_detail"], indent=1)[:3000]
            out.append(msg)
        except ValueError:
            out.append(line)
    return "\n".join(out[-lines:]) + f"\n(full log: {files[-1]})"
