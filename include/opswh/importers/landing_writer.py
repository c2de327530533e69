"""Land an importer's rows: one partition per feed and reporting day, as Parquet, marker last.

An importer produces, per feed, SQL selecting contract columns plus ``_day``, the reporting day
whose partition the row belongs to. Values stay as the export holds them (an amount that came as
text is written as text), so the loader types them exactly and quarantines what does not fit,
with the reason; only what the importer derives (a UTC time from epoch microseconds, a sum of
line items) is computed here. This writes
each day's rows to ``landing/<feed>/dt=<day>/part-0000.parquet`` (replacing what an earlier import
wrote there) and its ``_SUCCESS`` marker, so everything downstream (quarantine, reconciliation,
quality gates) applies unchanged. Days of the range with no rows get an empty partition: a quiet
day is delivered, not missing. A feed the export holds no row of at all is not landed (its
partitions, perhaps from another source, stay as they are).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from opswh import contract
from opswh.days import date_range
from opswh.ingest.sql import PARQUET_WRITE_OPTIONS, ident, literal
from opswh.landing import partition_dir, write_marker
from opswh.paths import Paths


def utc_timestamp(text: str) -> str:
    """SQL for an ISO 8601 text time stamp as a naive UTC TIMESTAMP: an offset (Z, +08:00, -0500) is
    applied, a naive value is taken as UTC."""
    from opswh.ingest.parsers import from_text

    return from_text(contract.Column("t", "TIMESTAMP", ""), text, "UTC")


def reporting_day(ts: str, tz: str) -> str:
    """SQL for the reporting day (in ``tz``) of a naive UTC TIMESTAMP."""
    return f"cast(timezone({literal(tz)}, timezone('UTC', {ts})) as date)"


@dataclass
class Landed:
    """What an import wrote: rows per feed, the partitions, and the feeds it does not deliver."""

    rows: dict[str, int] = field(default_factory=dict)
    partitions: int = 0
    days: tuple[date, date] | None = None
    notes: list[str] = field(default_factory=list)


def land(
    con: duckdb.DuckDBPyConnection,
    paths: Paths,
    feeds: dict[str, str],
    start: date | None = None,
    end: date | None = None,
) -> Landed:
    """Write each feed's rows (``feeds``: feed -> SQL with the contract's columns and ``_day``) as
    partitions of the days ``start``..``end`` (default: the days the rows cover, across feeds)."""
    out = Landed()
    for name, sql in list(feeds.items()):
        con.execute(f"create or replace temp table {ident('_import_' + name)} as {sql}")
        if con.execute(f"select count(*) from {ident('_import_' + name)}").fetchall()[0][0] == 0:
            # the format can carry this feed but the export has none of it (a Segment export without
            # e-commerce calls): it is not delivered, rather than delivered empty over another source
            out.notes.append(f"the export holds no {name}: {name} not landed")
            feeds = {k: v for k, v in feeds.items() if k != name}
    spans = [
        con.execute(f"select min(_day), max(_day) from {ident('_import_' + name)}").fetchall()[0] for name in feeds
    ]
    first = start or min((s for s, _ in spans if s is not None), default=None)
    last = end or max((e for _, e in spans if e is not None), default=None)
    if first is None or last is None:
        out.notes.append("the export holds no rows (in the given days)")
        return out
    out.days = (first, last)
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    for name in feeds:
        feed = contract.get_feed(name)
        table = ident("_import_" + name)
        produced = [r[0] for r in con.execute(f"select column_name from (describe {table})").fetchall()]
        unknown = [c for c in produced if c != "_day" and c not in feed.column_names]
        if unknown:
            raise ValueError(f"importer error: {', '.join(unknown)} is not a column of {name}")
        columns = ", ".join(ident(c) for c in feed.column_names if c in produced)
        out.rows[name] = con.execute(
            f"select count(*) from {table} where _day between ? and ?", [first, last]
        ).fetchall()[0][0]
        for day in date_range(first, last):
            part = partition_dir(paths.landing, name, day)
            staging = part.with_name(f".{part.name}.{stamp}.tmp")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            target = staging / "part-0000.parquet"
            con.execute(
                f"copy (select {columns} from {table} where _day = ?) to {literal(target)} "
                f"(format parquet, {PARQUET_WRITE_OPTIONS})",
                [day],
            )
            write_marker(staging, name, day)
            shutil.rmtree(part, ignore_errors=True)  # an import replaces the partitions it writes
            staging.rename(part)
            out.partitions += 1
    return out


def absent_from(produced: list[str]) -> list[str]:
    """The contract's feeds an importer does not deliver (a deployment fed by it declares them absent)."""
    return [f.name for f in contract.FEEDS if f.name not in produced]


def input_files(source: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The export's files: ``source`` itself, or the files under it with one of ``suffixes``."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: no such file or directory")
    files = sorted(p for p in source.rglob("*") if p.is_file() and p.name.endswith(suffixes))
    if not files:
        raise FileNotFoundError(f"{source}: no {', '.join(suffixes)} files in it")
    return files
