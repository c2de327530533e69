"""Queries a user types against the published snapshot: read-only, and sealed off from the machine.

``opswh query`` runs what it is given, so the connection can do nothing but read the snapshot:
it is opened read-only with DuckDB's external access disabled (no file reads or writes, no
``COPY ... TO``, no ``ATTACH``, no extension installs or loads) and its configuration locked, so
a query cannot switch any of that back on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SANDBOX = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}


class QueryError(ValueError):
    """The query was refused or failed; the message is DuckDB's, or says what was missing."""


def run_query(snapshot: Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The columns and rows of ``sql`` on the snapshot, in the sandbox."""
    import duckdb

    if not sql.strip().rstrip(";").strip():
        raise QueryError(
            "the query is empty; give a SELECT over the published marts, e.g. 'select * from fct_kpi_daily'"
        )
    with duckdb.connect(str(snapshot), read_only=True, config=SANDBOX) as con:
        try:
            cur = con.execute(sql)
            columns = [d[0] for d in cur.description or []]
            return columns, cur.fetchall()
        except duckdb.Error as e:
            raise QueryError(str(e)) from None
