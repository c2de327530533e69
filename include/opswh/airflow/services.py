"""The local Airflow services of one data directory: api-server, scheduler, dag-processor and triggerer.

They run as background processes with LocalExecutor (the preloading one) on SQLite, with pid
files under ``<data dir>/airflow`` so that ``opswh`` can reuse or stop them. A team's server
runs the same services from ``docker-compose.yml`` instead (``deploy/`` holds its commands).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from opswh import config
from opswh.airflow.api import Airflow, AirflowApiError
from opswh.airflow.environment import airflow_env
from opswh.airflow.pools import POOLS_FILE
from opswh.config import Config
from opswh.errors import PermanentError

SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")
BIN = Path(sys.executable).parent


class ServiceError(RuntimeError):
    """A local Airflow service could not be started; the message says why and where its log is."""


class PortTaken(ServiceError, PermanentError):
    """Another process (often another data directory's Airflow) listens on the configured port."""


def ensure_schedule_start(cfg: Config, set_to: date | None = None) -> Config:
    """The first day the daily schedule covers stays put: when it is not configured, the day it is first
    asked for is stored in ``<data dir>/opswh.json`` (so nothing before it is caught up)."""
    if set_to is None and cfg.schedule_start is not None:
        return cfg
    day = set_to or datetime.now(ZoneInfo(cfg.reporting_tz)).date()
    config.store(cfg.data_dir, schedule_start=day)
    return config.load(cfg.data_dir)


def airflow_cli(cfg: Config, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "airflow"), *args], env=airflow_env(cfg), capture_output=True, text=True, check=False
    )


def airflow_json(cfg: Config, *args: str) -> list[dict] | None:
    """``airflow <args> --output json`` parsed (the CLI logs warnings before its JSON), or None on failure."""
    import json

    r = airflow_cli(cfg, *args, "--output", "json")
    if r.returncode:
        return None
    lines = r.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("[")), None)
    return [] if start is None else json.loads("\n".join(lines[start:]))


def migrate(cfg: Config) -> None:
    """Create or upgrade the metadata DB and create the declared pools (idempotent)."""
    cfg.paths.airflow_home.mkdir(parents=True, exist_ok=True)
    for args in (("db", "migrate"), ("pools", "import", str(POOLS_FILE))):
        r = airflow_cli(cfg, *args)
        if r.returncode:
            raise ServiceError(f"airflow {' '.join(args)} failed:\n{r.stderr[-3000:]}")


def _pidfile(cfg: Config, name: str) -> Path:
    return cfg.paths.airflow_home / f"{name}.pid"


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def running_services(cfg: Config) -> dict[str, int]:
    out = {}
    for name in SERVICES:
        f = _pidfile(cfg, name)
        if f.exists():
            pid = int(f.read_text())
            if _alive(pid):
                out[name] = pid
    return out


def port_holder(port: int) -> int | None:
    """The pid listening on ``port`` on this machine, or None when nothing listens there."""
    import psutil

    for c in psutil.net_connections(kind="tcp"):
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port:
            return c.pid or -1
    return None


def _ours(pid: int, api_server: int | None) -> bool:
    import psutil

    if api_server is None:
        return False
    try:
        proc = psutil.Process(pid)
        return pid == api_server or any(p.pid == api_server for p in proc.parents())
    except psutil.Error:
        return False


def check_port(cfg: Config) -> None:
    """Refuse to start when another process holds the api-server's port: its workers would talk to it."""
    holder = port_holder(cfg.airflow_port)
    if holder is None or _ours(holder, running_services(cfg).get("api-server")):
        return
    raise PortTaken(
        f"port {cfg.airflow_port} is already in use by another process (pid {holder}), probably the Airflow "
        f"of another data directory; this one ({cfg.data_dir}) would send its tasks there. Stop it "
        "(`opswh airflow --stop` with its OPSWH_DATA_DIR), or set OPSWH_AIRFLOW_PORT to a free port."
    )


def start_services(cfg: Config, wait: float = 120) -> list[str]:
    """Start the services that are not running and wait until the API answers; return those it started."""
    check_port(cfg)
    migrate(cfg)
    env = airflow_env(cfg)
    logs = cfg.paths.airflow_home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    running = running_services(cfg)
    started = []
    for name in SERVICES:
        if name in running:
            continue
        with (logs / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                [str(BIN / "airflow"), name], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        _pidfile(cfg, name).write_text(str(proc.pid))
        started.append(name)
    airflow = Airflow(cfg)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if "api-server" not in running_services(cfg):
            raise ServiceError(f"the Airflow api-server exited; see {logs / 'api-server.log'}")
        if airflow.healthy():
            return started
        time.sleep(1)
    raise ServiceError(f"the Airflow API did not come up within {wait:.0f} s; see {logs / 'api-server.log'}")


def stop_services(cfg: Config, names: list[str] | None = None) -> None:
    """Stop the running services (or only ``names``)."""
    for name, pid in running_services(cfg).items():
        if names is not None and name not in names:
            continue
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            pass
        for _ in range(100):
            if not _alive(pid):
                break
            time.sleep(0.2)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        _pidfile(cfg, name).unlink(missing_ok=True)


def wait_for_dag(airflow: Airflow, timeout: float = 180) -> None:
    """Wait until the dag-processor has parsed the DAG (its import errors, if any, in the message)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if airflow.dag_is_parsed():
            return
        time.sleep(1)
    try:
        errors = "\n".join(airflow.import_errors()) or "(none reported)"
    except AirflowApiError as e:
        errors = str(e)
    raise ServiceError(f"platform_ops_daily was not parsed within {timeout:.0f} s; import errors:\n{errors}")
