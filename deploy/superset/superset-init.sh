#!/usr/bin/env bash
# The superset service of docker-compose.yml: refuse placeholder secrets, migrate Superset's own
# metadata, create the admin, register the published marts (read-only DuckDB) as a database, serve.
set -euo pipefail

placeholder=()
for name in SUPERSET_SECRET_KEY SUPERSET_ADMIN_PASSWORD; do
  value="${!name:-}"
  if [[ -z "$value" || "$value" == change-me* ]]; then
    placeholder+=("$name")
  fi
done
if (( ${#placeholder[@]} )); then
  echo "superset-init: refusing to start: ${placeholder[*]} in .env still unset or 'change-me'." >&2
  exit 1
fi

superset db upgrade
superset fab create-admin --username "${SUPERSET_ADMIN_USERNAME:-admin}" --password "${SUPERSET_ADMIN_PASSWORD}" \
  --firstname Superset --lastname Admin --email "${SUPERSET_ADMIN_EMAIL:-admin@localhost}"  # an existing admin is kept
superset init
superset set-database-uri --database_name "Platform Ops marts" --uri "${SUPERSET_MARTS_URI}"
exec /usr/bin/run-server.sh
