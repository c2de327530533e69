"""docker-compose.yml and the Dockerfile hold together (there is no Docker engine here to run them;
tests/e2e/test_server_deployment.py runs the same commands outside containers)."""

from __future__ import annotations

import re
import tomllib

import yaml

from opswh.airflow.pools import POOLS_FILE, WRITER_POOL
from opswh.config import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


def test_compose_has_every_airflow_service_with_healthchecks() -> None:
    services = COMPOSE["services"]
    assert {"postgres", "airflow-init", *AIRFLOW_SERVICES} <= set(services)
    for name in ("postgres", *AIRFLOW_SERVICES):
        assert "healthcheck" in services[name], name
    assert [services[n]["command"] for n in AIRFLOW_SERVICES] == [
        ["api-server"],
        ["scheduler"],
        ["dag-processor"],
        ["triggerer"],
    ]


def test_init_creates_the_declared_pools_and_the_admin_user_and_refuses_placeholders() -> None:
    init = COMPOSE["services"]["airflow-init"]
    assert init["command"] == ["/opt/opswh/deploy/airflow-init.sh"]
    script = (REPO_ROOT / "deploy" / "airflow-init.sh").read_text()
    assert "airflow db migrate" in script and "airflow users create" in script
    assert "include/opswh/airflow/pools.json" in script and POOLS_FILE.exists() and WRITER_POOL == "duckdb_writer"
    for secret in ("POSTGRES_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD"):
        assert secret in script.split("for name in", 1)[1].split(";", 1)[0]


def test_airflow_services_share_the_data_volume_and_wait_for_init() -> None:
    for name in AIRFLOW_SERVICES:
        svc = COMPOSE["services"][name]
        assert "opswh-data:/data" in svc["volumes"]
        assert "opswh-published:/data/published" in svc["volumes"]  # readers mount it read-only
        assert svc["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        env = svc["environment"]
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
        assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("fab_auth_manager.FabAuthManager")
        assert env["OPSWH_DATA_DIR"] == "/data"
        assert svc["build"] == "."
    assert "opswh-published" in COMPOSE["volumes"]


def test_no_default_credentials_and_the_api_on_loopback() -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    assert "SIMPLE_AUTH_MANAGER" not in text and "admin:admin" not in text
    assert COMPOSE["services"]["airflow-apiserver"]["ports"] == ["${AIRFLOW_API_BIND:-127.0.0.1}:8080:8080"]
    example = (REPO_ROOT / ".env.example").read_text()
    for secret in ("POSTGRES_PASSWORD", "AIRFLOW_JWT_SECRET", "AIRFLOW_SECRET_KEY", "AIRFLOW_FERNET_KEY"):
        assert "${" + secret + "}" in text
        assert re.search(rf"^{secret}=change-me$", example, re.M)  # a placeholder init refuses, never a value
    assert re.search(r"^AIRFLOW_ADMIN_PASSWORD=change-me$", example, re.M)
    used = set(re.findall(r"\$\{([A-Z_]+)\}", text))
    assert used <= set(re.findall(r"^#? ?([A-Z_]+)=", example, re.M)), "every secret compose needs is in .env.example"
    assert ".env" in (REPO_ROOT / ".gitignore").read_text().splitlines()


def test_image_installs_from_the_lock_with_its_driver_and_runs_as_a_user() -> None:
    docker = (REPO_ROOT / "Dockerfile").read_text()
    assert "uv sync --locked" in docker and "COPY pyproject.toml uv.lock" in docker
    for folder in ("include", "dags", "dbt_project", "expectations", "deploy", "mappings"):
        assert f"COPY {folder}" in docker
    assert re.search(r"^USER airflow$", docker, re.M)
    locked = {p["name"] for p in tomllib.loads((REPO_ROOT / "uv.lock").read_text())["package"]}
    assert {"psycopg2-binary", "apache-airflow-providers-fab", "apache-airflow-client"} <= locked


def test_superset_reads_the_published_volume_read_only_with_the_tested_driver() -> None:
    svc = COMPOSE["services"]["superset"]
    assert "opswh-published:/data/published:ro" in svc["volumes"]
    assert not any(v.startswith("opswh-data") for v in svc["volumes"])  # never the working warehouse
    uri = svc["environment"]["SUPERSET_MARTS_URI"]
    assert uri == "duckdb:////data/published/marts.duckdb?access_mode=read_only"
    assert svc["ports"] == ["${SUPERSET_BIND:-127.0.0.1}:8088:8088"] and "healthcheck" in svc
    docker = (REPO_ROOT / svc["build"]["dockerfile"]).read_text()
    assert "pip install --no-cache-dir -r /app/opswh/requirements.txt" in docker
    assert "COPY deploy/superset/requirements.txt /app/opswh/requirements.txt" in docker
    script = (REPO_ROOT / "deploy" / "superset" / "superset-init.sh").read_text()
    assert svc["command"] == ["/app/opswh/superset-init.sh"] and "COPY deploy/superset/superset-init.sh " in docker
    assert 'set-database-uri --database_name "Platform Ops marts" --uri "${SUPERSET_MARTS_URI}"' in script
    for secret in ("SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_PASSWORD"):
        assert secret in script.split("for name in", 1)[1].split(";", 1)[0]
        assert re.search(rf"^{secret}=change-me$", (REPO_ROOT / ".env.example").read_text(), re.M)
    assert "superset-home" in COMPOSE["volumes"]


def test_the_spark_profile_is_a_cluster_the_airflow_services_reach_through_thrift(tmp_path) -> None:
    from opswh import spark
    from opswh.paths import Paths

    services = COMPOSE["services"]
    cluster = ("spark-master", "spark-worker", "spark-thrift")
    for name in cluster:
        svc = services[name]
        assert svc["profiles"] == ["spark"], name  # opt-in: `docker compose --profile spark up`
        assert svc["image"].startswith("apache/spark:"), name  # the official Apache Spark image
        assert "opswh-data:/data" in svc["volumes"], name  # the raw files and exports at the same paths
    for name in set(services) - set(cluster):
        assert "profiles" not in services[name], name  # the default deployment is unchanged
    worker = services["spark-worker"]["command"]
    assert worker[-1] == "spark://spark-master:7077" and "--host" in services["spark-master"]["command"]
    thrift = services["spark-thrift"]["command"]
    assert thrift[thrift.index("--class") + 1].endswith("HiveThriftServer2")
    assert thrift[thrift.index("--master") + 1] == "spark://spark-master:7077"
    # the server's session settings are the ones opswh sends from its own session (opswh.spark.conf)
    served = dict(thrift[i + 1].split("=", 1) for i, a in enumerate(thrift) if a == "--conf")
    (tmp_path / "opswh.json").write_text('{"engine": "spark", "spark_method": "thrift"}')
    assert spark.conf(Paths(tmp_path)).items() <= served.items()
    port = dict(thrift[i + 1].split("=", 1) for i, a in enumerate(thrift) if a == "--hiveconf")[
        "hive.server2.thrift.port"
    ]
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["OPSWH_ENGINE"] == "${OPSWH_ENGINE:-duckdb}"  # DuckDB stays the default
        assert (env["OPSWH_SPARK_METHOD"], env["OPSWH_SPARK_HOST"], env["OPSWH_SPARK_PORT"]) == (
            "thrift",
            "spark-thrift",
            port,
        )
