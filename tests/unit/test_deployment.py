"""docker-compose.yml and the Dockerfile hold together (there is no Docker engine here to run them)."""

from __future__ import annotations

import re

import yaml

from opswh.settings import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_airflow_service_with_healthchecks() -> None:
    services = COMPOSE["services"]
    for name in (
        "postgres",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    ):
        assert name in services, name
    for name in ("postgres", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        assert "healthcheck" in services[name], name
    assert services["airflow-scheduler"]["command"] == "scheduler"
    init = " ".join(services["airflow-init"]["command"])
    assert "db migrate" in init and "pools set duckdb_writer 1" in init


def test_airflow_services_share_the_data_volume_and_wait_for_init() -> None:
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        svc = COMPOSE["services"][name]
        assert "opswh-data:/data" in svc["volumes"]
        assert svc["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        env = svc["environment"]
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
        assert env["OPSWH_DATA_DIR"] == "/data"
        assert svc["build"] == "."


def test_secrets_come_from_an_uncommitted_env_file() -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "AIRFLOW_JWT_SECRET", "AIRFLOW_FERNET_KEY"):
        assert "${" + secret + "}" in text
        assert re.search(rf"^{secret}=", (REPO_ROOT / ".env.example").read_text(), re.M)
    assert ".env" in (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert not (REPO_ROOT / ".env").exists() or ".env" in (REPO_ROOT / ".gitignore").read_text()


def test_image_installs_from_the_lock() -> None:
    docker = (REPO_ROOT / "Dockerfile").read_text()
    assert "uv sync --locked" in docker and "COPY pyproject.toml uv.lock" in docker
    for folder in ("include", "dags", "dbt_project", "expectations"):
        assert f"COPY {folder}" in docker
