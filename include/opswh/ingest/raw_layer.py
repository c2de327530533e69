"""The raw layer: each load's rows as Parquet files, listed in ``raw.raw_files``, behind ``raw.<feed>`` views.

A load writes each landed file's good rows to a new file under
``<warehouse>_raw/<feed>/_dt=<day>/_load_id=<id>/_loaded_at=<µs>/<landed file>.parquet``, whose
path carries the rows' lineage as Hive partitions. Its commit swaps the partition's entries in
``raw.raw_files`` and re-points the view in one transaction (``swap_files``), so readers see
the old files or the new ones; afterwards the files of replaced, failed or killed loads go.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from opswh import contract
from opswh.ingest.sql import columns, ident, literal, literal_list
from opswh.landing import LoadError

_HIVE = "hive_types = {'_dt': DATE, '_load_id': VARCHAR, '_loaded_at': BIGINT}"


def raw_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """Where the raw layer's Parquet files live: ``<warehouse file's stem>_raw/`` next to the warehouse."""
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()[0][0]
    if not path:
        raise LoadError("the raw layer is kept next to the warehouse file: connect to a DuckDB file, not :memory:")
    db = Path(path).resolve()
    return db.with_name(db.stem + "_raw")


def partition_dir(base: Path, feed: str, dt: date) -> Path:
    """The raw layer's folder of one feed's day (every load of it, one folder each)."""
    return base / feed / f"_dt={dt.isoformat()}"


def load_dir(base: Path, feed: str, dt: date, load_id: str, loaded_at: datetime) -> Path:
    """Where a load writes its raw files: the path carries their lineage as Hive partitions (the day,
    the load and when it ran); each file is named after the landed file it holds."""
    micros = (loaded_at - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    return partition_dir(base, feed, dt) / f"_load_id={load_id}" / f"_loaded_at={micros}"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema: a view per feed over its Parquet files, the file list, rejects, the load log
    and the build log."""
    con.execute("create schema if not exists raw")
    con.execute(
        "create table if not exists raw.raw_files "
        "(feed varchar, _dt date, path varchar, rows bigint, load_id varchar, lines_stored boolean)"
    )
    con.execute("""
        create table if not exists raw.raw_rejects (
            feed varchar, _dt date, _file varchar, _line bigint, column_name varchar, reason varchar,
            record varchar, _load_id varchar, _loaded_at timestamp)""")
    con.execute("""
        create table if not exists raw.load_log (
            load_id varchar, feed varchar, _dt date, status varchar, landed bigint, loaded bigint,
            rejected bigint, deduplicated bigint, duplicate_keys bigint, files varchar[], duplicate_files varchar[],
            extra_columns varchar[], message varchar, started_at timestamp, finished_at timestamp)""")
    con.execute("alter table raw.load_log add column if not exists run_id varchar")
    # the earliest reporting day the load may change (NULL in logs from before it was recorded: its _dt)
    con.execute("alter table raw.load_log add column if not exists earliest_day date")
    # the files a failed load could not read, each with its reason
    con.execute("alter table raw.load_log add column if not exists file_errors struct(file varchar, reason varchar)[]")
    # the successful dbt builds and the newest load each included (opswh.builds; dbt's stg_loader__changes)
    con.execute(
        "create table if not exists raw.dbt_builds "
        "(run_id varchar, built_at timestamp, watermark timestamp, changed_from date, changed_to date)"
    )
    existing = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'raw'"
        ).fetchall()
    }
    # the views name their files by absolute path: when the data directory moved, re-point them all
    con.execute("create table if not exists raw.raw_layer (path varchar)")
    here = str(raw_dir(con))
    moved = con.execute("select path from raw.raw_layer").fetchall() != [(here,)]
    for feed in contract.FEEDS:
        if feed.name not in existing or moved:
            refresh_view(con, feed)
    if moved:
        con.execute("delete from raw.raw_layer")
        con.execute("insert into raw.raw_layer values (?)", [here])
    sources = ", ".join(f"({literal(f.name)}, {literal(f.source)})" for f in contract.FEEDS)
    con.execute(f"""
        create or replace view raw.reconciliation as
        -- Per pipeline run, source system and day: every landed row is loaded, rejected or deduplicated.
        select
            log.run_id,
            feeds.source,
            log._dt,
            count(*) as feeds_loaded,
            sum(log.landed) as landed,
            sum(log.loaded) as loaded,
            sum(log.rejected) as rejected,
            sum(log.deduplicated) as deduplicated,
            sum(log.landed) - sum(log.loaded) - sum(log.rejected) - sum(log.deduplicated) as unaccounted
        from raw.load_log as log
        inner join (values {sources}) as feeds (feed, source) on log.feed = feeds.feed
        where log.status = 'loaded'
        group by log.run_id, feeds.source, log._dt""")


def refresh_view(con: duckdb.DuckDBPyConnection, feed: contract.Feed) -> None:
    """Point ``raw.<feed>`` at the feed's current files (the swap that publishes a load).

    Lineage comes from each file's path (``_dt``, ``_load_id``, ``_loaded_at`` as Hive partitions,
    ``_file`` from the file name); ``_line`` is stored in files written from JSON or CSV, and is
    the row number in a landed Parquet file kept as it came.
    """
    files = con.execute(
        "select path, lines_stored from raw.raw_files where feed = ? order by _dt, path", [feed.name]
    ).fetchall()
    data = columns(feed.column_names)
    if not files:
        nulls = ", ".join(f"null::{c.type} as {ident(c.name)}" for c in feed.columns)
        body = (
            f"select {nulls}, null::date as _dt, null::varchar as _file, null::bigint as _line, "
            "null::varchar as _load_id, null::timestamp as _loaded_at where false"
        )
    else:
        base = raw_dir(con)
        stored = {lines for _, lines in files}
        line = {frozenset({True}): "_line", frozenset({False}): "file_row_number + 1"}.get(
            frozenset(stored), "coalesce(_line, file_row_number + 1)"
        )
        body = (
            f"select {data}, _dt, {literal(feed.name + '/dt=')} || strftime(_dt, '%Y-%m-%d') || '/' || "
            f"regexp_extract(filename, '([^/]+)\\.parquet$', 1) as _file, {line}::bigint as _line, _load_id, "
            f"make_timestamp(_loaded_at) as _loaded_at "
            f"from read_parquet({literal_list(base / path for path, _ in files)}, hive_partitioning = true, {_HIVE}, "
            # files of both kinds differ by _line; matching them by name reads every file's schema
            f"union_by_name = {str(len(stored) > 1).lower()}, filename = true, file_row_number = true)"
        )
    con.execute(f"create or replace view raw.{ident(feed.name)} as {body}")


def swap_files(
    con: duckdb.DuckDBPyConnection, feed: contract.Feed, dt: date, load_id: str, files: list[tuple[Path, int, bool]]
) -> None:
    """Inside the load's transaction: the partition's files are now ``files`` (path, rows, lines stored)."""
    base = raw_dir(con)
    con.execute("delete from raw.raw_files where feed = ? and _dt = ?", [feed.name, dt])
    for path, rows, lines_stored in files:
        con.execute(
            "insert into raw.raw_files values (?, ?, ?, ?, ?, ?)",
            [feed.name, dt, str(path.relative_to(base)), rows, load_id, lines_stored],
        )
    refresh_view(con, feed)


def replace_rejects(con: duckdb.DuckDBPyConnection, feed: contract.Feed, dt: date, files: list[Path]) -> None:
    """Inside the load's transaction: the partition's rejects are now the rows of these Parquet files."""
    con.execute("delete from raw.raw_rejects where feed = ? and _dt = ?", [feed.name, dt])
    if files:
        con.execute(
            f"insert into raw.raw_rejects by name select * from read_parquet({literal_list(files)}, "
            "hive_partitioning = false)"
        )


def drop_replaced_loads(partition: Path, load_id: str) -> None:
    """After the commit: the partition's files from earlier loads (or from loads killed midway) go."""
    for d in partition.glob("_load_id=*"):
        if d.name != f"_load_id={load_id}":
            shutil.rmtree(d, ignore_errors=True)
