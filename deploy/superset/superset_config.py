"""Superset's configuration in docker-compose.yml: its own metadata (SQLite on the superset-home
volume) and the secret from .env; the marts are a database connection that superset-init.sh
registers (read-only DuckDB on the published volume)."""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = "sqlite:////app/superset_home/superset.db"
# Superset opens a new DuckDB connection per query (no pool), so each query sees the snapshot the
# last publish swapped in.
