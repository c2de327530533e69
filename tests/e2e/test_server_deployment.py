"""The team-server deployment, run for real outside containers: a real PostgreSQL as Airflow's metadata DB,
the FAB auth manager, and exactly the commands and environment of docker-compose.yml.

The test reads each service's command and the shared environment from docker-compose.yml (so the
two cannot drift), maps the container paths and host names to this machine (``/opt/opswh`` is the
clone, ``/data`` a temporary data directory, ``postgres:5432`` the test's server), runs
airflow-init and the four services, and drives them with ``opswh`` through Airflow's REST API.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from opswh.config import REPO_ROOT
from tests.servers import free_port, postgres_server
from tests.support import START, simulate

pytestmark = pytest.mark.e2e

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")
DOCKER_ENTRYPOINT = re.search(r'^ENTRYPOINT \["(\w+)"\]', (REPO_ROOT / "Dockerfile").read_text(), re.M).group(1)
BIN = Path(sys.executable).parent


def _interpolate(value: str, dotenv: dict[str, str]) -> str:
    """Compose's ${VAR} and ${VAR:-default}, from the .env file."""
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: dotenv.get(m.group(1)) or (m.group(2) or ""), str(value))


def _to_host(value: str, data: Path, pg_port: int, api_port: int) -> str:
    value = value.replace("@postgres:5432/", f"@127.0.0.1:{pg_port}/")
    value = value.replace("http://airflow-apiserver:8080", f"http://127.0.0.1:{api_port}")
    value = value.replace("/opt/opswh", str(REPO_ROOT))
    return str(data) + value[len("/data") :] if value == "/data" or value.startswith("/data/") else value


def compose_env(service: str, dotenv: dict[str, str], data: Path, pg_port: int, api_port: int) -> dict[str, str]:
    svc = COMPOSE["services"][service]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **dotenv}  # env_file: .env
    for key, value in svc["environment"].items():
        env[key] = _to_host(_interpolate(value, dotenv), data, pg_port, api_port)
    env["AIRFLOW__API__PORT"] = str(api_port)  # the container's 8080, published on the host
    return env


def service_command(service: str) -> list[str]:
    svc = COMPOSE["services"][service]
    entry = svc.get("entrypoint", [DOCKER_ENTRYPOINT])
    entry = [str(BIN / "airflow")] if entry == ["airflow"] else entry
    return [_to_host(part, Path("/data"), 0, 0) for part in [*entry, *svc["command"]]]


def test_the_compose_deployment_runs_on_postgres_with_fab_and_opswh_drives_it_through_the_api(tmp_path) -> None:
    data = tmp_path / "data"
    api_port = free_port()
    simulate(data, days=2, scale="tiny")
    with postgres_server() as pg:
        dotenv = {
            "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password,
            "POSTGRES_DB": pg.database,
            "AIRFLOW_JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW_SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW_FERNET_KEY": "Jr0lS2_hNLuGjMcSl7_h7ZKSRsZzcQpEkAPsUqxUqBc=",
            "AIRFLOW_ADMIN_USERNAME": "ops-admin",
            "AIRFLOW_ADMIN_PASSWORD": secrets.token_urlsafe(16),
            # the daily schedule goes live tomorrow: this test drives its own runs only
            "OPSWH_SCHEDULE_START": str(date.today() + timedelta(days=1)),
        }
        init = service_command("airflow-init")
        # init refuses placeholders, and says which
        env = compose_env("airflow-init", {**dotenv, "AIRFLOW_FERNET_KEY": "change-me"}, data, pg.port, api_port)
        r = subprocess.run(init, env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "AIRFLOW_FERNET_KEY" in r.stderr and "POSTGRES_PASSWORD" not in r.stderr
        env = compose_env("airflow-init", dotenv, data, pg.port, api_port)
        r = subprocess.run(init, env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
        procs = []
        logs = tmp_path / "logs"
        logs.mkdir()
        try:
            for name in SERVICES:
                with (logs / f"{name}.log").open("wb") as log:
                    procs.append(
                        subprocess.Popen(
                            service_command(name),
                            env=compose_env(name, dotenv, data, pg.port, api_port),
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
            opswh_env = {
                **os.environ,
                "OPSWH_DATA_DIR": str(data),
                "OPSWH_AIRFLOW_URL": f"http://127.0.0.1:{api_port}",
                "OPSWH_AIRFLOW_USERNAME": dotenv["AIRFLOW_ADMIN_USERNAME"],
                "OPSWH_AIRFLOW_PASSWORD": dotenv["AIRFLOW_ADMIN_PASSWORD"],
                "OPSWH_SCHEDULE_START": dotenv["OPSWH_SCHEDULE_START"],
            }
            _wait_for_health(api_port, logs)

            def opswh(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
                return subprocess.run(
                    [str(BIN / "opswh"), *args], env=opswh_env, capture_output=True, text=True, timeout=timeout
                )

            day2 = START + timedelta(days=1)
            r = opswh("run", "--start", str(START), "--end", str(day2))
            assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:] + _tail(logs)
            status = opswh("status", timeout=120).stdout
            assert status.count("success") == 2 and f"as of {day2}" in status, status
            # a day never delivered: --wait queues it, the sensor waits, and cancel ends it
            day3 = START + timedelta(days=2)
            r = opswh("run", "--start", str(day3), "--wait", "--timeout", "20")
            assert r.returncode == 2 and "timed out" in r.stderr, r.stdout + r.stderr
            r = opswh("cancel", timeout=120)
            assert r.returncode == 0 and f"ended opswh_day__{day3}" in r.stdout, r.stdout + r.stderr
            status = opswh("status", timeout=120).stdout
            assert status.count("failed") == 1 and status.count("success") == 2, status
            # the wrong password is refused with a clear message
            opswh_env["OPSWH_AIRFLOW_PASSWORD"] = "wrong"
            r = opswh("cancel", timeout=120)
            assert r.returncode != 0 and "refused the credentials of user 'ops-admin'" in r.stdout + r.stderr
        finally:
            for p in procs:
                try:
                    os.killpg(p.pid, 15)
                except OSError:
                    pass
            for p in procs:
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, 9)


def _wait_for_health(port: int, logs: Path, timeout: float = 180) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError("the api-server did not come up:\n" + _tail(logs))


def _tail(logs: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}" for p in sorted(logs.glob("*.log")))
