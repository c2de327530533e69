"""Load one feed's partition for one day into the raw layer, with nothing lost.

Every landed record ends up in exactly one place:

- ``raw.<feed>``: the rows that obey the contract, with lineage (``_dt``, ``_file``, ``_line``,
  ``_load_id``, ``_loaded_at``);
- ``raw.raw_rejects``: the rows that do not, with file, line, column and reason;
- skipped as a byte-identical re-delivery of a file already in the partition (counted as
  ``deduplicated``).

So ``landed = loaded + rejected + deduplicated`` for every load, and ``raw.load_log`` records
it. Each landed file is parsed (``parsers``) and checked (``rules``) in one SQL pass whose good
rows DuckDB copies to the raw layer's Parquet (``raw_layer``), several files at once; one
transaction then swaps the partition's files, rejects and load log, so loading a partition
twice, or partitions out of order, gives the same tables, and a load that fails or is killed
leaves the previous state. Writing Parquet instead of inserting into DuckDB's own tables is what
makes the load fast: DuckDB's table storage compresses high-cardinality strings such as event
ids at about 2M rows/s on this machine, its Parquet writer at several times that
(bench/RESULTS.md).
"""

from __future__ import annotations

import csv
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from queue import Queue

import duckdb

from opswh import config, contract
from opswh.days import FUTURE_SKEW, day_bounds_utc
from opswh.ingest import parsers, raw_layer, rules, sniff
from opswh.ingest.sql import PARQUET_WRITE_OPTIONS, columns, literal, literal_list, repeated_keys
from opswh.landing import FileProblem, LandedFile, LandingError, LoadError, inspect_partition
from opswh.paths import Paths

__all__ = ["LoadError", "LoadResult", "load_partition"]


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
    file_errors: list[tuple[str, str]] = field(default_factory=list)  # (file, why it cannot be loaded)

    @property
    def reconciles(self) -> bool:
        return self.landed == self.loaded + self.rejected + self.deduplicated


def load_partition(
    con: duckdb.DuckDBPyConnection,
    paths: Paths,
    feed_name: str,
    dt: date,
    max_reject_share: float | None = None,
    load_id: str | None = None,
    min_rejects: int | None = None,
    run_id: str | None = None,
) -> LoadResult:
    """Load one partition of one feed. Raises LoadError (or LandingError) and changes nothing when refused.

    The reject thresholds default to the configuration's (``max_reject_share``, ``min_rejects``).
    ``raw.load_log`` keeps one row per load attempt (tagged with the pipeline's ``run_id``), so
    ``raw.reconciliation`` can account for every run."""
    cfg = config.load(paths.root)
    feed = contract.get_feed(feed_name)
    load_id = load_id or uuid.uuid4().hex[:12]
    started = _utcnow()
    result = LoadResult(feed.name, dt.isoformat(), load_id, run_id=run_id)
    raw_layer.ensure_schema(con)
    part = paths.partition(feed.name, dt)
    try:
        delivery = inspect_partition(part, feed.name, dt, cfg.max_file_bytes)
    except LandingError as e:
        _log_failure(con, result, str(e), started)
        raise
    landed = delivery.files
    result.file_errors = [(_listed_as(part, p, paths), p.reason) for p in delivery.problems]
    for name in delivery.unlisted:
        result.warnings.append(f"{_rel(part / name, paths)!r} is not listed in the marker, so not loaded")
    base = raw_layer.raw_dir(con)
    out = raw_layer.load_dir(base, feed.name, dt, load_id, started)
    staged = [
        _Staged(lf, rel, out / f"{lf.path.name}.parquet", out / f".{lf.path.name}.rejects.parquet")
        for lf, rel in _distinct_files(landed, result, paths)
    ]
    partition = raw_layer.partition_dir(base, feed.name, dt)
    _, day_end = day_bounds_utc(dt, cfg.reporting_tz)
    bounds = rules.Bounds(
        day_end + FUTURE_SKEW,
        datetime.combine(cfg.launch_date, datetime.min.time()),
        cfg.reporting_tz,
        cfg.reporting_currency,
    )
    ctx = _Context(feed, dt, (load_id, started), bounds, cfg.source_timezones.get(feed.name, "UTC"), cfg.max_line_bytes)
    if any(c.currency for c in feed.columns):
        ensure_fx_rates(con, paths.root)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _stage_files(con, ctx, staged, result)
        if result.file_errors:
            raise LoadError(_file_errors_message(feed.name, dt, result, len(delivery.files) + len(delivery.problems)))
        _commit_load(
            con,
            feed,
            dt,
            staged,
            result,
            started,
            cfg.max_reject_share if max_reject_share is None else max_reject_share,
            cfg.min_rejects if min_rejects is None else min_rejects,
            cfg.reporting_tz,
        )
    except BaseException as e:
        shutil.rmtree(partition / f"_load_id={load_id}", ignore_errors=True)
        if isinstance(e, LandingError):
            _log_failure(con, result, str(e), started)
        raise
    finally:
        for s in staged:
            s.rejects_path.unlink(missing_ok=True)
            if not s.good:  # a file with no good rows is not listed in raw.raw_files: its empty copy goes
                s.good_path.unlink(missing_ok=True)
    raw_layer.drop_replaced_loads(partition, load_id)
    return result


def ensure_fx_rates(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """The exchange rates the currency rule reads: stored from the mappings unless already there."""
    from opswh.mappings import store_fx_rates

    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'fx_rates' "
        "and table_catalog = current_database()"
    ).fetchall()[0][0]
    if not exists:
        store_fx_rates(con, root)


def _rel(path: Path, paths: Paths) -> str:
    return str(path.relative_to(paths.landing))


def _listed_as(part: Path, problem: FileProblem, paths: Paths) -> str:
    """A refused file as messages name it: its path under the landing folder, or the marker's entry verbatim."""
    return _rel(part / problem.name, paths) if problem.in_folder else repr(problem.name)


def _file_errors_message(feed: str, dt: date, result: LoadResult, listed: int) -> str:
    lines = "\n".join(f"  {f}: {why}" for f, why in result.file_errors)
    return (
        f"{feed} dt={dt.isoformat()}: {len(result.file_errors)} of {listed} listed files cannot be loaded, so "
        f"nothing of the partition was (a day is loaded whole or not at all):\n{lines}\n"
        "Fix or re-deliver these files, then re-run the day."
    )


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
    failed: bool = False  # the file could not be read (its reason is in the load's file_errors)
    notes: parsers.Notes = field(default_factory=lambda: parsers.Notes([], []))


@dataclass(frozen=True)
class _Context:
    """What every file of one load is read and checked with."""

    feed: contract.Feed
    dt: date
    stamp: tuple[str, datetime]  # the load id and when it started
    bounds: rules.Bounds
    tz: str  # the feed's time zone for naive time stamps
    max_line: int  # the longest line a reader reads (max_line_bytes)


def _stage_files(con: duckdb.DuckDBPyConnection, ctx: _Context, staged: list[_Staged], result: LoadResult) -> None:
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
                    _stage_file(cursor, ctx, s, result)
                finally:
                    idle.put(cursor)

            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(stage, numbered))
        finally:
            con.execute(f"set threads = {int(threads)}")
    else:
        for s in numbered:
            _stage_file(con, ctx, s, result)
    for s in staged:
        if s.lf.path.suffix == ".parquet":
            _stage_file(con, ctx, s, result)
    for s in staged:
        if s.failed:
            continue
        if s.good + s.bad != s.lf.rows:
            result.file_errors.append((s.rel, _count_mismatch(s, ctx.max_line)))
            continue
        result.loaded += s.good
        result.rejected += s.bad
        for extra in s.notes.extra_columns:
            if extra not in result.extra_columns:
                result.extra_columns.append(extra)
        result.warnings.extend(w for w in s.notes.warnings if w not in result.warnings)


def _stage_file(con: duckdb.DuckDBPyConnection, ctx: _Context, s: _Staged, result: LoadResult) -> None:
    """Stage one file; a file that cannot be read is recorded as that file's failure, and the others go on."""
    try:
        try:
            _stage_rows(con, ctx, s, line_by_line=False)
        except _NotReadableByDuckDB:  # bytes that are not UTF-8: DuckDB refuses the whole JSON file
            _stage_rows(con, ctx, s, line_by_line=True)
    except (LoadError, duckdb.Error, csv.Error, UnicodeError, OSError, ValueError) as e:
        s.failed = True
        why = str(e).removeprefix(f"{s.lf.path}: ") if isinstance(e, LoadError) else f"cannot be read ({e})"
        result.file_errors.append((s.rel, why.strip()))


def _count_mismatch(s: _Staged, max_line: int) -> str:
    why = (
        f"the marker says {s.lf.rows} records but the file holds {s.good + s.bad}; "
        "the file is truncated or the marker is wrong. Ask the source to re-deliver."
    )
    blank = sniff.blank_lines(s.lf.path, max_line) if s.lf.path.suffix != ".parquet" else 0
    if blank and s.lf.rows == s.good + s.bad + blank:
        why = (
            f"the marker says {s.lf.rows} records but the file holds {s.good + s.bad} and {blank} blank "
            f"line{'s' if blank > 1 else ''}, which the marker counted as records; blank lines are not "
            "records: ask the source to count records, not lines."
        )
    return why


class _NotReadableByDuckDB(Exception):
    pass


def _stage_rows(con: duckdb.DuckDBPyConnection, ctx: _Context, s: _Staged, line_by_line: bool) -> None:
    """Copy the file's good rows to ``s.good_path``; only when some are not good, read it again for the rejects.

    The common case (a clean file) costs one read and one write. For CSV, rows that DuckDB's
    reader rejects shift the numbering of the rows after them, so a file with reader rejects
    is read again with each row mapped to its true line.
    """
    feed, lf, rel = ctx.feed, s.lf, s.rel
    s.notes = parsers.Notes([], [])
    suffix = lf.path.suffix
    sniffed = sniff.check(lf.path, lf.rows)
    if sniffed.refusal:
        raise LoadError(f"{lf.path}: {sniffed.refusal}")
    s.notes.warnings.extend(f"{rel} {w}" for w in sniffed.warnings)
    if sniffed.empty:
        return
    if suffix == ".jsonl" and not line_by_line and (sniffed.bom or sniff.long_lines(lf.path, ctx.max_line)):
        line_by_line = True  # DuckDB's JSON reader would misread these lines
    if suffix == ".csv":
        parsed = parsers.parse_csv(con, feed, lf, rel, s.notes, ctx.tz, ctx.max_line)
    elif suffix == ".jsonl":
        parsed = parsers.parse_jsonl(con, feed, lf, rel, s.notes, line_by_line, ctx.tz, ctx.max_line)
    else:
        types = parsers.parquet_types(con, lf)
        parsed = parsers.parse_parquet(feed, lf, rel, s.notes, types, ctx.tz)
    checked = rules.checks_sql(feed, parsed, ctx.bounds)
    naive_elsewhere = ctx.tz != "UTC" and any(c.type == "TIMESTAMP" for c in feed.columns)
    if suffix == ".parquet" and parsers.in_contract_form(feed, types) and not naive_elsewhere:
        good = con.execute(f"select count(*) from ({checked}) where _fail is null").fetchall()[0][0]
        if good == lf.rows:
            shutil.copyfile(lf.path, s.good_path)
            s.good, s.kept_as_landed = good, True
            return
    try:
        s.good = _copy_good(con, feed, checked, s.good_path)
    except duckdb.Error as e:
        if suffix == ".jsonl" and not line_by_line:
            raise _NotReadableByDuckDB() from e
        raise LoadError(f"{lf.path}: DuckDB cannot read the file ({e}).") from e
    if s.good == lf.rows:
        return
    if suffix == ".csv":
        if parsers.csv_reader_rejected(con):
            checked = rules.checks_sql(
                feed, parsers.parse_csv_with_rejects(con, feed, lf, rel, ctx.tz, ctx.max_line), ctx.bounds
            )
            s.good = _copy_good(con, feed, checked, s.good_path)
        else:  # the reader is about to run again, and keeps its rejects in a fresh table
            parsers.forget_csv_rejects(con)
    s.bad = con.execute(
        "copy (select ?::varchar as feed, ?::date as _dt, _file::varchar as _file, _line::bigint as _line, "
        "_column as column_name, _reason as reason, "
        f"left(_record, 2000) as record, ? as _load_id, ?::timestamp as _loaded_at "
        f"from ({rules.rejects_sql(feed, checked)})) to {literal(s.rejects_path)} (format parquet)",
        [feed.name, ctx.dt, *ctx.stamp],
    ).fetchall()[0][0]


def _copy_good(con: duckdb.DuckDBPyConnection, feed: contract.Feed, checked: str, to: Path) -> int:
    return con.execute(
        f"copy (select {columns(feed.column_names)}, _line::bigint as _line from ({checked}) where _fail is null) "
        f"to {literal(to)} (format parquet, {PARQUET_WRITE_OPTIONS})"
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
    reporting_tz: str,
) -> None:
    """One transaction: the partition's rejects, its files in ``raw.raw_files``, the view, the load log."""
    con.execute("begin transaction")
    try:
        rejected = [s for s in staged if s.bad]
        raw_layer.replace_rejects(con, feed, dt, [s.rejects_path for s in rejected])
        for s in rejected:
            if s.lf.path.suffix == ".jsonl":
                parsers.explain_broken_json(con, feed, dt, s.lf.path, s.rel)
        kept = [s for s in staged if s.good]
        keys = columns(feed.key)
        if kept:
            result.duplicate_keys = con.execute(
                f"select {repeated_keys(feed.key)} from "
                f"read_parquet({literal_list(s.good_path for s in kept)}, hive_partitioning = false)"
            ).fetchall()[0][0]
        if result.duplicate_keys:
            result.warnings.append(f"{result.duplicate_keys} rows repeat a key ({keys}); staging keeps one")
        _check_counts(result, max_reject_share, min_rejects, con)
        earliest = _earliest_day(con, feed, dt, [s.good_path for s in kept], reporting_tz)
        raw_layer.swap_files(con, feed, dt, result.load_id, [(s.good_path, s.good, not s.kept_as_landed) for s in kept])
        con.execute(
            "insert into raw.load_log (load_id, feed, _dt, status, landed, loaded, rejected, deduplicated, "
            "duplicate_keys, files, duplicate_files, extra_columns, message, started_at, finished_at, run_id, "
            "earliest_day) values (?, ?, ?, 'loaded', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                earliest,
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _earliest_day(
    con: duckdb.DuckDBPyConnection, feed: contract.Feed, dt: date, new_files: list[Path], tz: str
) -> date:
    """The earliest reporting day a load may change, for the incremental models (``changed_from`` in
    dbt): the partition's day, and the reporting day of every time stamp and date of the rows it
    brings and of the rows it replaces (a late event, an order placed days ago and changed today, a
    restated delivery). A snapshot feed describes the present: its day."""
    stamps = [c for c in feed.columns if c.type in ("TIMESTAMP", "DATE")]
    base = raw_layer.raw_dir(con)
    old = [
        base / r[0]
        for r in con.execute("select path from raw.raw_files where feed = ? and _dt = ?", [feed.name, dt]).fetchall()
    ]
    files = [*new_files, *old]
    if feed.snapshot or not stamps or not files:
        return dt
    days = ", ".join(f"min({rules.reporting_day(c, tz)})" for c in stamps)
    found = con.execute(
        f"select least({days}) from read_parquet({literal_list(files)}, hive_partitioning = false, union_by_name = true)"
    ).fetchone()[0]
    return min(dt, found) if found else dt


def _check_counts(
    result: LoadResult, max_reject_share: float, min_rejects: int, con: duckdb.DuckDBPyConnection
) -> None:
    if not result.reconciles:
        raise LoadError(
            f"{result.feed} dt={result.dt}: counts do not reconcile: landed {result.landed} != loaded "
            f"{result.loaded} + rejected {result.rejected} + deduplicated {result.deduplicated}."
        )
    considered = result.loaded + result.rejected
    every_row = result.rejected > 0 and result.loaded == 0
    over = result.rejected > min_rejects and result.rejected / considered > max_reject_share
    if every_row or over:
        sample = con.execute(
            "select _file, _line, column_name, reason from raw.raw_rejects where feed = ? and _dt = ? "
            "order by _file, _line limit 5",
            [result.feed, date.fromisoformat(result.dt)],
        ).fetchall()
        lines = "\n".join(f"  {Path(f).name} line {ln}, column {c}: {r}" for f, ln, c, r in sample)
        why = (
            f"over the {max_reject_share:.0%} threshold (applied above {min_rejects} rejected rows)"
            if over
            else "every row of the delivery (a feed whose rows are all rejected fails, whatever its size)"
        )
        raise LoadError(
            f"{result.feed} dt={result.dt}: {result.rejected} of {considered} rows rejected "
            f"({result.rejected / considered:.1%}), {why}. First rejects:\n"
            f"{lines}\nFix the export and re-deliver, or raise the threshold for this load on purpose."
        )


def _log_failure(con: duckdb.DuckDBPyConnection, result: LoadResult, message: str, started: datetime) -> None:
    con.execute(
        "insert into raw.load_log (load_id, feed, _dt, status, landed, files, duplicate_files, extra_columns, "
        "message, started_at, finished_at, run_id, file_errors) values (?, ?, ?, 'failed', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            [{"file": f, "reason": why} for f, why in result.file_errors],
        ],
    )


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
