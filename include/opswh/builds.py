"""Which reporting days a dbt build changed, and what the last successful build included.

The loader records, for every load, the earliest reporting day it may change
(``raw.load_log.earliest_day``). dbt's ``stg_loader__changes`` turns the loads since the last
successful build into the days the build changes (``changed_from`` .. ``changed_to``), and the
incremental models rebuild from ``changed_from``, so days loaded in any order, late events and
re-deliveries all reach the marts. After a successful build, ``record`` stores its watermark (the
newest load it included) in ``raw.dbt_builds``; a failed build records nothing, so the next one
rebuilds the same days again. The marts gate checks the changed days.
"""

from __future__ import annotations

from datetime import date

import duckdb

from opswh.days import DayRange


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """The tables dbt reads about loads and builds (the raw schema's; created by the first load, or
    here before a warehouse's first build)."""
    from opswh.ingest import raw_layer

    raw_layer.ensure_schema(con)


def record(con: duckdb.DuckDBPyConnection, run_id: str) -> DayRange | None:
    """After a successful build: store its watermark; return the days it changed (None: no new loads)."""
    # the days the warehouse covers: an order placed before the first delivered day changes no reported day
    changed_from, changed_to = con.execute(
        "select greatest(changed_from, (select min(_dt) from raw.load_log where status = 'loaded')), changed_to "
        "from staging.stg_loader__changes"
    ).fetchone()
    con.execute(
        "insert into raw.dbt_builds select ?, now()::timestamp, max(finished_at), ?, ? "
        "from raw.load_log where status = 'loaded'",
        [run_id, changed_from, changed_to],
    )
    return DayRange(changed_from, changed_to) if changed_from else None


def changed_days(con: duckdb.DuckDBPyConnection, run_id: str) -> DayRange | None:
    """The days the latest successful build of ``run_id`` changed (None: it changed none, or never built)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'dbt_builds' "
        "and table_catalog = current_database()"
    ).fetchone()[0]
    if not exists:
        return None
    row = con.execute(
        "select changed_from, changed_to from raw.dbt_builds where run_id = ? order by built_at desc limit 1",
        [run_id],
    ).fetchone()
    return DayRange(*row) if row and row[0] else None


def days_to_check(run_days: DayRange, changed: DayRange | None) -> list[date]:
    """The run's own days and every day its build changed."""
    if changed is None:
        return run_days.days
    return DayRange(min(run_days.start, changed.start), max(run_days.end, changed.end)).days
