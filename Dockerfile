# The Platform Ops Warehouse image: the project and its locked dependencies.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    OPSWH_DATA_DIR=/data \
    AIRFLOW_HOME=/data/airflow \
    PATH=/opt/opswh/.venv/bin:$PATH

RUN pip install --no-cache-dir uv==0.13.9 \
 && useradd --create-home --uid 50000 airflow \
 && mkdir -p /data && chown airflow /data

WORKDIR /opt/opswh
# Dependencies first (cached while only the code changes), exactly as locked.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY include ./include
COPY dags ./dags
COPY dbt_project ./dbt_project
COPY expectations ./expectations
COPY docs ./docs
COPY deploy ./deploy
COPY mappings ./mappings
RUN uv sync --locked --no-dev

USER airflow
ENTRYPOINT ["airflow"]
