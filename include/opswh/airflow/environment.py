"""The environment of this project's local Airflow processes (api-server, scheduler, dag-processor,
triggerer, and the ``airflow`` CLI): everything Airflow writes lives under ``<data dir>/airflow``."""

from __future__ import annotations

import os

from opswh.config import REPO_ROOT, Config

AUTH_USER = "admin"  # the simple auth manager's one user (role admin); its password is generated
# How long the scheduler sleeps after a loop that found nothing to do (Airflow's default: 1 s). A task
# that can start waits for the next loop, so this is most of the gap before each of a run's tasks.
SCHEDULER_IDLE_SLEEP_S = "0.25"


def airflow_env(cfg: Config) -> dict[str, str]:
    """Environment for every local Airflow process of this data directory."""
    home = cfg.paths.airflow_home
    port = str(cfg.airflow_port)
    env = dict(os.environ)  # PATH, locale, and the OPSWH_* settings the tasks read again
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "OPSWH_DATA_DIR": str(cfg.data_dir),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": cfg.executor,
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            # naive dates (the UI's trigger and backfill forms, the CLI) are read as reporting days
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": cfg.reporting_tz,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": port,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": SCHEDULER_IDLE_SLEEP_S,
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{AUTH_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT / "include"), env.get("PYTHONPATH")])),
        }
    )
    return env
