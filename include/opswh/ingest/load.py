"""Raw ingestion: one feed's partition for one day into ``raw.<feed>``, with nothing lost.

DuckDB's own readers parse the files (``read_csv`` with ``store_rejects`` for CSV, ``read_json``
for JSON lines, ``read_parquet``); the contract's rules run as one SQL pass over the parsed
rows. Every landed record ends up in exactly one place:

- ``raw.<feed>``: the rows that obey the contract, with lineage (``_dt``, ``_file``, ``_line``,
  ``_load_id``, ``_loaded_at``);
- ``raw.raw_rejects``: the rows that do not, with file, line, column and reason;
- skipped as a byte-identical re-delivery of a file already in the partition (counted as
  ``deduplicated``).

So ``landed = loaded + rejected + deduplicated`` for every load, and ``raw.load_log`` records
it.

The raw layer is Parquet: a load writes each landed file's good rows to a new file under
``<warehouse>_raw/<feed>/dt=<day>/`` with ``COPY`` (several files at once), and ``raw.<feed>`` is a
view over the files listed in ``raw.raw_files``. One transaction then swaps the partition's
entry in that list, re-points the view and writes the rejects and the load log, so loading a
partition twice, or partitions out of order, gives the same tables, and a load that fails or
is killed leaves the previous state (its new files are never listed, and are removed). Writing
Parquet instead of inserting into DuckDB's own tables is what makes the load fast: DuckDB's
table storage compresses high-cardinality strings such as event ids at about 2M rows/s on
this machine, its Parquet writer at several times that (bench/RESULTS.md).
"""

from __future__ import annotations

import json
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from queue import Queue

import duckdb

from opswh import contract
from opswh.landing import LandedFile, LandingError, read_marker
from opswh.settings import FUTURE_SKEW, LAUNCH_DATE, PARQUET_WRITE_OPTIONS, Paths, day_bounds_utc

DEFAULT_MAX_REJECT_SHARE = 0.05
# A load fails on its rejected share only once it rejects more rows than this, so that one bad
# row in a small partition is quarantined rather than stopping the day.
DEFAULT_MIN_REJECTS = 5
LINEAGE = "_dt DATE, _file VARCHAR, _line BIGINT, _load_id VARCHAR, _loaded_at TIMESTAMP"
SAMPLE_RECORDS = 1000  # JSON records read to detect added or missing fields


class LoadError(LandingError):
    """The load was refused; nothing changed in the warehouse."""


@dataclass
class LoadResult:
    feed: str
    dt: str
    load_id: str
    run_id: str | None = None
    landed: int = 0
    loaded: int = 0
    rejected: int = 0
    deduplicated: int = 0
    duplicate_keys: int = 0
    files: list[str] = field(default_factory=list)
    duplicate_files: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reject_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.landed == self.loaded + self.rejected + self.deduplicated


def raw_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """Where the raw layer's Parquet files live: ``<warehouse file's stem>_raw/`` next to the warehouse."""
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()[0][0]
    if not path:
        raise LoadError("the raw layer is kept next to the warehouse file: connect to a DuckDB file, not :memory:")
    db = Path(path).resolve()
    return db.with_name(db.stem + "_raw")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema: a view per feed over its Parquet files, the file list, rejects and the load log."""
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
    kinds = dict(
        con.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'raw'"
        ).fetchall()
    )
    # the views name their files by absolute path: when the data directory moved, re-point them all
    con.execute("create table if not exists raw.raw_layer (path varchar)")
    here = str(raw_dir(con))
    moved = con.execute("select path from raw.raw_layer").fetchall() != [(here,)]
    for feed in contract.FEEDS:
        if kinds.get(feed.name) == "BASE TABLE":
            _migrate_table(con, feed)
        elif feed.name not in kinds or moved:
            _refresh_view(con, feed)
    if moved:
        con.execute("delete from raw.raw_layer")
        con.execute("insert into raw.raw_layer values (?)", [here])
    sources = ", ".join(f"('{f.name}', '{f.source}')" for f in contract.FEEDS)
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


_HIVE = "hive_types = {'_dt': DATE, '_load_id': VARCHAR, '_loaded_at': BIGINT}"


def _load_dir(base: Path, feed: str, dt: date, load_id: str, loaded_at: datetime) -> Path:
    """Where a load writes its raw files: the path carries their lineage as Hive partitions (the day,
    the load and when it ran); each file is named after the landed file it holds."""
    micros = (loaded_at - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    return base / feed / f"_dt={dt.isoformat()}" / f"_load_id={load_id}" / f"_loaded_at={micros}"


def _refresh_view(con: duckdb.DuckDBPyConnection, feed: contract.Feed) -> None:
    """Point ``raw.<feed>`` at the feed's current files (the swap that publishes a load).

    Lineage comes from each file's path (``_dt``, ``_load_id``, ``_loaded_at`` as Hive partitions,
    ``_file`` from the file name); ``_line`` is stored in files written from JSON or CSV, and is
    the row number in a landed Parquet file kept as it came.
    """
    files = con.execute(
        "select path, lines_stored from raw.raw_files where feed = ? order by _dt, path", [feed.name]
    ).fetchall()
    data = ", ".join(f'"{c}"' for c in feed.column_names)
    if not files:
        nulls = ", ".join(f'null::{c.type} as "{c.name}"' for c in feed.columns)
        body = (
            f"select {nulls}, null::date as _dt, null::varchar as _file, null::bigint as _line, "
            "null::varchar as _load_id, null::timestamp as _loaded_at where false"
        )
    else:
        base = raw_dir(con)
        listed = ", ".join("'" + str(base / path).replace("'", "''") + "'" for path, _ in files)
        stored = {lines for _, lines in files}
        line = {frozenset({True}): "_line", frozenset({False}): "file_row_number + 1"}.get(
            frozenset(stored), "coalesce(_line, file_row_number + 1)"
        )
        body = (
            f"select {data}, _dt, '{feed.name}/dt=' || strftime(_dt, '%Y-%m-%d') || '/' || "
            f"regexp_extract(filename, '([^/]+)\\.parquet$', 1) as _file, {line}::bigint as _line, _load_id, "
            f"make_timestamp(_loaded_at) as _loaded_at "
            f"from read_parquet([{listed}], hive_partitioning = true, {_HIVE}, "
            # files of both kinds differ by _line; matching them by name reads every file's schema
            f"union_by_name = {str(len(stored) > 1).lower()}, filename = true, file_row_number = true)"
        )
    con.execute(f"create or replace view raw.{feed.name} as {body}")


def _migrate_table(con: duckdb.DuckDBPyConnection, feed: contract.Feed) -> None:
    """A warehouse from before the Parquet raw layer keeps ``raw.<feed>`` as a table: move it to files."""
    base = raw_dir(con)
    data = ", ".join(f'"{c}"' for c in feed.column_names)
    con.execute("begin transaction")
    try:
        loads = con.execute(
            f"select distinct _dt, _load_id, _loaded_at, _file from raw.{feed.name} order by all"
        ).fetchall()
        for dt, load_id, loaded_at, file in loads:
            path = _load_dir(base, feed.name, dt, load_id, loaded_at) / f"{Path(file).name}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            rows = con.execute(
                f"copy (select {data}, _line from raw.{feed.name} where _dt = ? and _load_id = ? and _file = ? "
                f"order by _line) to '{path}' (format parquet)",
                [dt, load_id, file],
            ).fetchall()[0][0]
            con.execute(
                "insert into raw.raw_files values (?, ?, ?, ?, ?, true)",
                [feed.name, dt, str(path.relative_to(base)), rows, load_id],
            )
        con.execute(f"drop table raw.{feed.name}")
        _refresh_view(con, feed)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def load_partition(
    con: duckdb.DuckDBPyConnection,
    paths: Paths,
    feed_name: str,
    dt: date,
    max_reject_share: float = DEFAULT_MAX_REJECT_SHARE,
    load_id: str | None = None,
    min_rejects: int = DEFAULT_MIN_REJECTS,
    run_id: str | None = None,
) -> LoadResult:
    """Load one partition of one feed. Raises LoadError (or LandingError) and changes nothing when refused.

    ``raw.load_log`` keeps one row per load attempt (tagged with the pipeline's ``run_id``), so
    ``raw.reconciliation`` can account for every run."""
    feed = contract.get_feed(feed_name)
    load_id = load_id or uuid.uuid4().hex[:12]
    started = _utcnow()
    result = LoadResult(feed.name, dt.isoformat(), load_id, run_id=run_id)
    ensure_schema(con)
    try:
        landed = read_marker(paths.partition(feed.name, dt))
    except LandingError as e:
        _log_failure(con, result, str(e), started)
        raise
    base = raw_dir(con)
    out = _load_dir(base, feed.name, dt, load_id, started)
    staged = [
        _Staged(lf, rel, out / f"{lf.path.name}.parquet", out / f".{lf.path.name}.rejects.parquet")
        for lf, rel in _distinct_files(landed, result, paths)
    ]
    partition = base / feed.name / f"_dt={dt.isoformat()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        _stage_files(con, feed, dt, staged, result, (load_id, started))
        _commit_load(con, feed, dt, staged, result, started, max_reject_share, min_rejects)
    except BaseException as e:
        shutil.rmtree(partition / f"_load_id={load_id}", ignore_errors=True)
        if isinstance(e, LandingError):
            _log_failure(con, result, str(e), started)
        raise
    finally:
        for s in staged:
            s.rejects_path.unlink(missing_ok=True)
    _drop_replaced_loads(partition, load_id)
    return result


def _distinct_files(landed: list[LandedFile], result: LoadResult, paths: Paths) -> list[tuple[LandedFile, str]]:
    """The partition's files minus byte-identical re-deliveries, which are counted as deduplicated."""
    seen: dict[str, str] = {}
    files = []
    for lf in landed:
        rel = str(lf.path.relative_to(paths.landing))
        result.landed += lf.rows
        if lf.sha256 in seen:
            result.deduplicated += lf.rows
            result.duplicate_files.append(rel)
            result.warnings.append(f"{rel} is a byte-identical re-delivery of {seen[lf.sha256]}; skipped")
            continue
        seen[lf.sha256] = rel
        result.files.append(rel)
        files.append((lf, rel))
    return files


@dataclass
class _Staged:
    """One landed file, parsed and checked: its good rows in a raw Parquet file, its rejects in another."""

    lf: LandedFile
    rel: str
    good_path: Path
    rejects_path: Path
    good: int = 0
    bad: int = 0
    kept_as_landed: bool = False  # a clean Parquet file in the contract's types is copied, not rewritten
    notes: LoadResult | None = None  # extra columns and warnings found while parsing


def _stage_files(
    con: duckdb.DuckDBPyConnection,
    feed: contract.Feed,
    dt: date,
    staged: list[_Staged],
    result: LoadResult,
    stamp: tuple[str, datetime],
) -> None:
    """Write each file's good rows (and rejects) to Parquet, several files at once.

    JSON and CSV rows are numbered ``WITH ORDINALITY``, which makes DuckDB scan a file on one
    thread; so those files are staged one per thread, each connection single-threaded, and run side
    by side. Parquet rows carry their own ``file_row_number``: one file at a time, every thread on it.
    """
    threads = con.execute("select current_setting('threads')").fetchall()[0][0]
    # the largest files first, so that no thread is left with a big one at the end
    numbered = sorted((s for s in staged if s.lf.path.suffix != ".parquet"), key=lambda s: -s.lf.rows)
    workers = min(len(numbered), threads)
    if workers > 1:
        con.execute("set threads = 1")  # a global setting: every connection of this database
        try:
            idle: Queue[duckdb.DuckDBPyConnection] = Queue()
            for _ in range(workers):
                idle.put(con.cursor())

            def stage(s: _Staged) -> None:
                cursor = idle.get()
                try:
                    _stage_file(cursor, feed, dt, s, stamp)
                finally:
                    idle.put(cursor)

            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(stage, numbered))
        finally:
            con.execute(f"set threads = {threads}")
    else:
        for s in numbered:
            _stage_file(con, feed, dt, s, stamp)
    for s in staged:
        if s.lf.path.suffix == ".parquet":
            _stage_file(con, feed, dt, s, stamp)
    for s in staged:
        if s.good + s.bad != s.lf.rows:
            raise LoadError(
                f"{s.lf.path}: the marker says {s.lf.rows} records but the file holds {s.good + s.bad}; "
                "the file is truncated or the marker is wrong. Ask the source to re-deliver."
            )
        result.loaded += s.good
        result.rejected += s.bad
        for extra in s.notes.extra_columns:
            if extra not in result.extra_columns:
                result.extra_columns.append(extra)
        result.warnings.extend(w for w in s.notes.warnings if w not in result.warnings)


def _stage_file(
    con: duckdb.DuckDBPyConnection, feed: contract.Feed, dt: date, s: _Staged, stamp: tuple[str, datetime]
) -> None:
    try:
        _stage_rows(con, feed, dt, s, stamp, line_by_line=False)
    except _NotReadableByDuckDB:  # bytes that are not UTF-8: DuckDB refuses the whole JSON file
        _stage_rows(con, feed, dt, s, stamp, line_by_line=True)


class _NotReadableByDuckDB(Exception):
    pass


def _stage_rows(
    con: duckdb.DuckDBPyConnection,
    feed: contract.Feed,
    dt: date,
    s: _Staged,
    stamp: tuple[str, datetime],
    line_by_line: bool,
) -> None:
    """Copy the file's good rows to ``s.good_path``; only when some are not good, read it again for the rejects.

    The common case (a clean file) costs one read and one write. For CSV, rows that DuckDB's
    reader rejects shift the numbering of the rows after them, so a file with reader rejects
    is read again with each row mapped to its true line.
    """
    lf, rel = s.lf, s.rel
    s.notes = LoadResult(feed.name, dt.isoformat(), stamp[0])
    if lf.path.suffix == ".csv":
        parsed = _parse_csv(con, feed, lf, rel, s.notes)
    elif lf.path.suffix == ".jsonl":
        parsed = _parse_jsonl(con, feed, lf, rel, s.notes, line_by_line)
    else:
        types = _parquet_types(con, lf)
        parsed = _parse_parquet(con, feed, lf, rel, s.notes, types)
    checked = _checks_sql(feed, dt, parsed)
    if lf.path.suffix == ".parquet" and _in_contract_form(feed, types):
        good = con.execute(f"select count(*) from ({checked}) where _fail is null").fetchall()[0][0]
        if good == lf.rows:
            shutil.copyfile(lf.path, s.good_path)
            s.good, s.kept_as_landed = good, True
            return
    try:
        s.good = _copy_good(con, feed, dt, checked, stamp, s.good_path)
    except duckdb.Error as e:
        if lf.path.suffix == ".jsonl" and not line_by_line:
            raise _NotReadableByDuckDB() from e
        raise LoadError(f"{lf.path}: DuckDB cannot read the file ({e}).") from e
    if s.good == lf.rows:
        return
    if lf.path.suffix == ".csv":
        if con.execute("select count(*) from _rej").fetchall()[0][0]:
            checked = _checks_sql(feed, dt, _parse_csv_with_rejects(con, feed, lf, rel))
            s.good = _copy_good(con, feed, dt, checked, stamp, s.good_path)
        else:  # the reader is about to run again, and keeps its rejects in a fresh table
            con.execute("drop table if exists _rej; drop table if exists _rej_scan")
    s.bad = con.execute(
        "copy (select ?::varchar as feed, ?::date as _dt, _file::varchar as _file, _line::bigint as _line, "
        "_column as column_name, _reason as reason, "
        f"left(_record, 2000) as record, ? as _load_id, ?::timestamp as _loaded_at from ({_rejects_sql(feed, checked)})) "
        f"to '{s.rejects_path}' (format parquet)",
        [feed.name, dt, *stamp],
    ).fetchall()[0][0]


def _copy_good(
    con: duckdb.DuckDBPyConnection, feed: contract.Feed, dt: date, checked: str, stamp: tuple[str, datetime], to: Path
) -> int:
    cols = ", ".join(f'"{c}"' for c in feed.column_names)
    return con.execute(
        f"copy (select {cols}, _line::bigint as _line from ({checked}) where _fail is null) to '{to}' "
        f"(format parquet, {PARQUET_WRITE_OPTIONS})"
    ).fetchall()[0][0]


def _commit_load(
    con: duckdb.DuckDBPyConnection,
    feed: contract.Feed,
    dt: date,
    staged: list[_Staged],
    result: LoadResult,
    started: datetime,
    max_reject_share: float,
    min_rejects: int,
) -> None:
    """One transaction: the partition's rejects, its files in ``raw.raw_files``, the view, the load log."""
    con.execute("begin transaction")
    try:
        con.execute("delete from raw.raw_rejects where feed = ? and _dt = ?", [feed.name, dt])
        rejected = [s for s in staged if s.bad]
        if rejected:
            listed = ", ".join(f"'{s.rejects_path}'" for s in rejected)
            con.execute(
                f"insert into raw.raw_rejects by name select * from read_parquet([{listed}], hive_partitioning = false)"
            )
        for s in rejected:
            if s.lf.path.suffix == ".jsonl":
                _explain_broken_json(con, feed, dt, s.lf.path, s.rel)
        result.reject_reasons = dict(
            con.execute(
                "select column_name || ': ' || trim(regexp_replace(reason, '[:(].*$', '')), count(*) "
                "from raw.raw_rejects where feed = ? and _dt = ? group by all order by 2 desc",
                [feed.name, dt],
            ).fetchall()
        )
        kept = [s for s in staged if s.good]
        keys = ", ".join(f'"{k}"' for k in feed.key)
        if kept:
            listed = ", ".join(f"'{s.good_path}'" for s in kept)
            result.duplicate_keys = con.execute(
                f"select count(*) - count(distinct ({keys})) from read_parquet([{listed}], hive_partitioning = false)"
            ).fetchall()[0][0]
        if result.duplicate_keys:
            result.warnings.append(f"{result.duplicate_keys} rows repeat a key ({keys}); staging keeps one")
        _check_counts(result, max_reject_share, min_rejects, con)
        base = raw_dir(con)
        con.execute("delete from raw.raw_files where feed = ? and _dt = ?", [feed.name, dt])
        for s in kept:
            con.execute(
                "insert into raw.raw_files values (?, ?, ?, ?, ?, ?)",
                [feed.name, dt, str(s.good_path.relative_to(base)), s.good, result.load_id, not s.kept_as_landed],
            )
        _refresh_view(con, feed)
        con.execute(
            "insert into raw.load_log (load_id, feed, _dt, status, landed, loaded, rejected, deduplicated, "
            "duplicate_keys, files, duplicate_files, extra_columns, message, started_at, finished_at, run_id) "
            "values (?, ?, ?, 'loaded', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                result.load_id,
                feed.name,
                dt,
                result.landed,
                result.loaded,
                result.rejected,
                result.deduplicated,
                result.duplicate_keys,
                result.files,
                result.duplicate_files,
                result.extra_columns,
                "; ".join(result.warnings) or None,
                started,
                _utcnow(),
                result.run_id,
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _drop_replaced_loads(partition: Path, load_id: str) -> None:
    """After the commit: the partition's files from earlier loads (or from loads killed midway) go."""
    for d in partition.glob("_load_id=*"):
        if d.name != f"_load_id={load_id}":
            shutil.rmtree(d, ignore_errors=True)


def _check_counts(
    result: LoadResult, max_reject_share: float, min_rejects: int, con: duckdb.DuckDBPyConnection
) -> None:
    if not result.reconciles:
        raise LoadError(
            f"{result.feed} dt={result.dt}: counts do not reconcile: landed {result.landed} != loaded "
            f"{result.loaded} + rejected {result.rejected} + deduplicated {result.deduplicated}."
        )
    considered = result.loaded + result.rejected
    if result.rejected > min_rejects and result.rejected / considered > max_reject_share:
        sample = con.execute(
            "select _file, _line, column_name, reason from raw.raw_rejects where feed = ? and _dt = ? "
            "order by _file, _line limit 5",
            [result.feed, date.fromisoformat(result.dt)],
        ).fetchall()
        lines = "\n".join(f"  {Path(f).name} line {ln}, column {c}: {r}" for f, ln, c, r in sample)
        raise LoadError(
            f"{result.feed} dt={result.dt}: {result.rejected} of {considered} rows rejected "
            f"({result.rejected / considered:.1%}), over the {max_reject_share:.0%} threshold "
            f"(applied above {min_rejects} rejected rows). First rejects:\n"
            f"{lines}\nFix the export and re-deliver, or raise the threshold for this load on purpose."
        )


def _log_failure(con: duckdb.DuckDBPyConnection, result: LoadResult, message: str, started: datetime) -> None:
    con.execute(
        "insert into raw.load_log (load_id, feed, _dt, status, landed, files, duplicate_files, extra_columns, "
        "message, started_at, finished_at, run_id) values (?, ?, ?, 'failed', ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.load_id,
            result.feed,
            date.fromisoformat(result.dt),
            result.landed or None,
            result.files,
            result.duplicate_files,
            result.extra_columns,
            message,
            started,
            _utcnow(),
            result.run_id,
        ],
    )


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------------- parsing


def _missing_required(feed: contract.Feed, present: list[str], lf: LandedFile, what: str) -> None:
    missing = [c.name for c in feed.columns if c.required and c.name not in present]
    if missing:
        unknown = [p for p in present if p not in feed.column_names]
        hint = f" It has {', '.join(unknown)} instead: renamed upstream?" if unknown else ""
        raise LoadError(
            f"{lf.path}: required {what} {', '.join(missing)} missing from the file.{hint} "
            f"The contract for {feed.name} is in docs/landing_contract.md."
        )


def _note_extra(feed: contract.Feed, present: list[str], rel: str, result: LoadResult) -> None:
    extra = [p for p in present if p not in feed.column_names]
    for e in extra:
        if e not in result.extra_columns:
            result.extra_columns.append(e)
            result.warnings.append(f"{rel}: column {e} is not in the contract; ignored (schema drift)")


def _csv_reader(feed: contract.Feed, lf: LandedFile, header: list[str]) -> str:
    """DuckDB's CSV reader for the file, typed by the contract, with reader errors kept in ``_rej``."""
    types = {h: (feed.column(h).type if h in feed.column_names else "VARCHAR") for h in header}
    return (
        f"read_csv('{lf.path}', header = true, delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
        f"columns = {types!r}, store_rejects = true, rejects_table = '_rej', rejects_scan = '_rej_scan', "
        f"rejects_limit = 0, max_line_size = 4194304, hive_partitioning = false)"
    )


def _csv_header(feed: contract.Feed, lf: LandedFile, rel: str, result: LoadResult) -> list[str]:
    import csv

    with lf.path.open("rb") as f:
        header_line = f.readline().decode("utf-8", errors="replace").strip()
    header = next(csv.reader([header_line])) if header_line else []
    _missing_required(feed, header, lf, "column")
    _note_extra(feed, header, rel, result)
    return header


def _csv_columns(feed: contract.Feed, header: list[str], alias: str = "") -> str:
    return ", ".join(
        (
            f'{alias}"{c.name}", null::varchar as "_raw_{c.name}"'  # typed by the reader, which rejects bad values
            if c.name in header
            else f'null::{c.type} as "{c.name}", null::varchar as "_raw_{c.name}"'
        )
        for c in feed.columns
    )


def _parse_csv(
    con: duckdb.DuckDBPyConnection, feed: contract.Feed, lf: LandedFile, rel: str, result: LoadResult
) -> str:
    """Rows of a CSV file, each on line (row number + 1): right as long as the reader rejects nothing."""
    header = _csv_header(feed, lf, rel, result)
    con.execute("drop table if exists _rej; drop table if exists _rej_scan")
    return (
        f"select {_csv_columns(feed, header)}, '{rel}' as _file, ordinality + 1 as _line, "
        f"null::varchar as _parse_column, null::varchar as _parse_error, null::varchar as _record "
        f"from {_csv_reader(feed, lf, header)} with ordinality"
    )


def _parse_csv_with_rejects(con: duckdb.DuckDBPyConnection, feed: contract.Feed, lf: LandedFile, rel: str) -> str:
    """Rows of a CSV file whose reader rejected lines: good rows mapped to their true lines, plus the rejects."""
    header = _csv_header(feed, lf, rel, LoadResult(feed.name, "", ""))
    con.execute("drop table if exists _rej; drop table if exists _rej_scan")
    con.execute(
        f"create or replace temp table _good as select *, ordinality as _k from {_csv_reader(feed, lf, header)} "
        "with ordinality"
    )
    con.execute(f"""
        create or replace temp table _lines as
        select range as line, row_number() over (order by range) as _k
        from range(2, {lf.rows + 2}) where range not in (select line from _rej)""")
    good = (
        f"select {_csv_columns(feed, header, 'g.')}, '{rel}' as _file, l.line as _line, null::varchar as _parse_column, "
        f"null::varchar as _parse_error, null::varchar as _record from _good g join _lines l using (_k)"
    )
    nulls = ", ".join(f'null::{c.type} as "{c.name}", null::varchar as "_raw_{c.name}"' for c in feed.columns)
    rejected = f"""
        select {nulls}, '{rel}' as _file, line as _line, first(column_name order by column_idx) as _parse_column,
            first(case error_type
                when 'CAST' then 'unparsable value (' || error_message || ')'
                when 'MISSING COLUMNS' then 'wrong column count (' || error_message || ')'
                when 'TOO MANY COLUMNS' then 'wrong column count (' || error_message || ')'
                when 'INVALID ENCODING' then 'not UTF-8 text'
                else lower(error_type) || ' (' || error_message || ')' end order by column_idx) as _parse_error,
            first(csv_line) as _record
        from _rej group by line"""
    return f"{good} union all by name {rejected}"


def _parse_jsonl(
    con: duckdb.DuckDBPyConnection,
    feed: contract.Feed,
    lf: LandedFile,
    rel: str,
    result: LoadResult,
    line_by_line: bool = False,
) -> str:
    keys = _sample_json_keys(lf.path)
    if lf.rows:
        _missing_required(feed, keys, lf, "field")
    _note_extra(feed, keys, rel, result)
    cols = {c.name: ("JSON" if c.type == "JSON" else "VARCHAR") for c in feed.columns}
    if not line_by_line:
        source = (
            f"(select *, ordinality as _line from read_json('{lf.path}', format = 'newline_delimited', "
            f"columns = {cols!r}, ignore_errors = true, maximum_object_size = 16777216, hive_partitioning = false) "
            f"with ordinality)"
        )
    else:  # DuckDB refuses a whole file with bytes that are not UTF-8: parse it line by line
        _python_jsonl(con, feed, lf.path)
        source = "_raw"
    all_null = " and ".join(f'"{c}" is null' for c in cols)
    sel = ", ".join(
        (
            f'"{c.name}" as "{c.name}", "{c.name}"::varchar as "_raw_{c.name}"'
            if c.type == "JSON"
            else f'try_cast("{c.name}" as {c.type}) as "{c.name}", "{c.name}" as "_raw_{c.name}"'
        )
        for c in feed.columns
    )
    # a line whose fields are all null was not a JSON object: _explain_broken_json says why
    return (
        f"select {sel}, '{rel}' as _file, _line, case when {all_null} then 'record' end as _parse_column, "
        f"case when {all_null} then '{_BROKEN}' end as _parse_error, null::varchar as _record from {source}"
    )


_BROKEN = "not a JSON object"


def _explain_broken_json(con: duckdb.DuckDBPyConnection, feed: contract.Feed, dt: date, path: Path, rel: str) -> None:
    """Replace the placeholder reason of unreadable JSON lines by the parser's own message."""
    where = "where feed = ? and _dt = ? and _file = ?"
    broken = [
        r[0]
        for r in con.execute(
            f"select _line from raw.raw_rejects {where} and reason = ?", [feed.name, dt, rel, _BROKEN]
        ).fetchall()
    ]
    for line, (error, record) in (_json_errors(path, broken) if broken else {}).items():
        con.execute(
            f"update raw.raw_rejects set reason = ?, record = ? {where} and _line = ?",
            [error, record[:2000], feed.name, dt, rel, line],
        )


def _python_jsonl(con: duckdb.DuckDBPyConnection, feed: contract.Feed, path: Path) -> None:
    """Slow path for files DuckDB cannot read at all (bytes that are not UTF-8): parse line by line."""
    cols = {c.name: ("JSON" if c.type == "JSON" else "VARCHAR") for c in feed.columns}
    rows = []
    with path.open("rb") as f:
        for line in f:
            try:
                rec = json.loads(line.decode("utf-8"))
                rows.append(
                    tuple(
                        None
                        if rec.get(c) is None
                        else (
                            json.dumps(rec[c], ensure_ascii=False)
                            if isinstance(rec[c], (dict, list)) or cols[c] == "JSON"
                            else str(rec[c]).lower()
                            if isinstance(rec[c], bool)
                            else str(rec[c])
                        )
                        for c in cols
                    )
                )
            except (ValueError, UnicodeDecodeError, AttributeError):
                rows.append(tuple(None for _ in cols))
    defs = ", ".join(f'"{c}" {t}' for c, t in cols.items())
    con.execute(f"create or replace temp table _raw ({defs}, _line bigint)")
    con.executemany(
        f"insert into _raw values ({', '.join('?' for _ in cols)}, ?)", [r + (i + 1,) for i, r in enumerate(rows)]
    )


def _sample_json_keys(path: Path) -> list[str]:
    keys: dict[str, None] = {}
    with path.open("rb") as f:
        for i, line in enumerate(f):
            if i >= SAMPLE_RECORDS:
                break
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                keys.update(dict.fromkeys(rec))
    return list(keys)


def _json_errors(path: Path, lines: list[int]) -> dict[int, tuple[str, str]]:
    wanted = set(lines)
    out = {}
    with path.open("rb") as f:
        for i, raw in enumerate(f, start=1):
            if i not in wanted:
                continue
            text = raw.decode("utf-8", errors="replace").rstrip("\n")
            try:
                rec = json.loads(raw.decode("utf-8").strip())
                out[i] = (
                    "not a JSON object" if not isinstance(rec, dict) else "record has none of the contract's fields",
                    text,
                )
            except UnicodeDecodeError:
                out[i] = ("not UTF-8 text", text)
            except ValueError as e:
                out[i] = (f"invalid JSON ({e})", text)
    return out


def _parquet_types(con: duckdb.DuckDBPyConnection, lf: LandedFile) -> dict[str, str]:
    """The file's columns and their DuckDB types, in file order, spelled as the contract spells them."""
    return {
        name: _type_name(t)
        for name, t in con.execute(
            f"select column_name, column_type from (describe select * from read_parquet('{lf.path}', "
            "hive_partitioning = false))"
        ).fetchall()
    }


def _type_name(t: str) -> str:
    return t.replace(" ", "").upper()


def _in_contract_form(feed: contract.Feed, types: dict[str, str]) -> bool:
    """The file holds exactly the contract's columns, in its order and types."""
    return list(types.items()) == [(c.name, _type_name(c.type)) for c in feed.columns]


def _parse_parquet(
    con: duckdb.DuckDBPyConnection,
    feed: contract.Feed,
    lf: LandedFile,
    rel: str,
    result: LoadResult,
    types: dict[str, str],
) -> str:
    present = list(types)
    _missing_required(feed, present, lf, "column")
    _note_extra(feed, present, rel, result)

    def column(c: contract.Column) -> str:
        if c.name not in types:
            return f'null::{c.type} as "{c.name}", null::varchar as "_raw_{c.name}"'
        if types[c.name] == _type_name(c.type):
            return f'"{c.name}", null::varchar as "_raw_{c.name}"'  # already the contract's type
        return f'try_cast("{c.name}" as {c.type}) as "{c.name}", "{c.name}"::varchar as "_raw_{c.name}"'

    sel = ", ".join(column(c) for c in feed.columns)
    return (
        f"select {sel}, '{rel}' as _file, file_row_number + 1 as _line, null::varchar as _parse_column, "
        f"null::varchar as _parse_error, null::varchar as _record "
        f"from read_parquet('{lf.path}', file_row_number = true, hive_partitioning = false)"
    )


# ---------------------------------------------------------------------- the contract's rules


def _checks_sql(feed: contract.Feed, dt: date, parsed: str) -> str:
    """One CASE per rule, the first failing one wins; ``_reason`` is null for a good row."""
    _, day_end = day_bounds_utc(dt)
    upper = (day_end + FUTURE_SKEW).isoformat(sep=" ")
    rules: list[tuple[str, str, str]] = [("_parse_error is not null", "_parse_column", "_parse_error")]
    for c in feed.columns:
        q = f'"{c.name}"'
        name = f"'{c.name}'"
        if c.type != "JSON":
            rules.append(
                (
                    f'{q} is null and "_raw_{c.name}" is not null',
                    name,
                    f"'unparsable {c.type}: ' || left(\"_raw_{c.name}\", 80)",
                )
            )
        if c.required:
            what = "null key" if c.name in feed.key else "missing required value"
            rules.append((f"{q} is null", name, f"'{what}'"))
        if c.enum:
            allowed = ", ".join(f"'{v}'" for v in c.enum)
            # list_contains is a scalar function; a long `not in (...)` list is planned as a join
            rules.append(
                (f"not list_contains([{allowed}], {q})", name, f"'not an allowed value: ' || left({q}::varchar, 80)")
            )
        if c.non_negative:
            rules.append((f"{q} < 0", name, f"'negative value: ' || {q}::varchar"))
        if c.max_length:
            rules.append(
                (
                    f"length({q}) > {c.max_length}",
                    name,
                    f"'longer than {c.max_length} characters (' || length({q}) || ')'",
                )
            )
        if c.not_future:
            rules.append(
                (f"{q} > timestamp '{upper}'", name, f"'in the future: ' || {q}::varchar || ' is after {upper} UTC'")
            )
            rules.append(
                (
                    f"{q} < timestamp '{LAUNCH_DATE.isoformat()}'",
                    name,
                    f"'before the platform launch ({LAUNCH_DATE.isoformat()}): ' || {q}::varchar",
                )
            )
    for rc in feed.row_checks:
        rules.append((f"not coalesce({rc.sql}, true)", f"'{rc.column}'", f"'{rc.reason}'"))
    fail = "case " + " ".join(f"when {cond} then {col} || chr(31) || {why}" for cond, col, why in rules) + " end"
    cols = ", ".join(f'"{c}"' for c in feed.column_names)
    return f"select {cols}, _file, _line, _record, {_raw_columns(feed)}, {fail} as _fail from ({parsed})"


def _raw_columns(feed: contract.Feed) -> str:
    return ", ".join(f'"_raw_{c.name}"' for c in feed.columns)


def _rejects_sql(feed: contract.Feed, checked: str) -> str:
    """The failing rows of ``_checks_sql`` as raw_rejects rows: column, reason and the record as landed."""
    record = (
        "coalesce(_record, to_json({"
        + ", ".join(f'\'{c.name}\': coalesce("_raw_{c.name}", "{c.name}"::varchar)' for c in feed.columns)
        + "})::varchar)"
    )
    return (
        f"select _file, _line, split_part(_fail, chr(31), 1) as _column, split_part(_fail, chr(31), 2) as _reason, "
        f"{record} as _record from ({checked}) where _fail is not null"
    )
