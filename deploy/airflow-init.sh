#!/usr/bin/env bash
# airflow-init of docker-compose.yml: refuse placeholder secrets, migrate the metadata DB, create
# the pools the DAG uses and the admin user. tests/e2e/test_server_deployment.py runs this same
# script (and the services' commands from docker-compose.yml) against a real PostgreSQL.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

placeholder=()
for name in POSTGRES_PASSWORD AIRFLOW_FERNET_KEY AIRFLOW_JWT_SECRET AIRFLOW_SECRET_KEY AIRFLOW_ADMIN_PASSWORD; do
  value="${!name:-}"
  if [[ -z "$value" || "$value" == change-me* ]]; then
    placeholder+=("$name")
  fi
done
if (( ${#placeholder[@]} )); then
  echo "airflow-init: refusing to start: ${placeholder[*]} in .env still unset or 'change-me'." >&2
  echo "Generate each as .env.example says, then run 'docker compose up' again." >&2
  exit 1
fi
if [[ -z "${AIRFLOW_ADMIN_USERNAME:-}" ]]; then
  echo "airflow-init: refusing to start: AIRFLOW_ADMIN_USERNAME in .env is unset." >&2
  exit 1
fi

airflow db migrate
airflow pools import "$here/../include/opswh/airflow/pools.json"
if airflow users list --output json | grep -q "\"username\": \"${AIRFLOW_ADMIN_USERNAME}\""; then
  echo "airflow-init: user ${AIRFLOW_ADMIN_USERNAME} exists"
else
  airflow users create --role Admin --username "${AIRFLOW_ADMIN_USERNAME}" \
    --password "${AIRFLOW_ADMIN_PASSWORD}" --email "${AIRFLOW_ADMIN_EMAIL:-${AIRFLOW_ADMIN_USERNAME}@localhost}" \
    --firstname Airflow --lastname Admin
fi
