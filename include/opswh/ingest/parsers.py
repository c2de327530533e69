"""Readers of landed files: each turns one file into the relation the row rules check.

DuckDB's own readers parse the files (``read_csv`` typed by the contract, ``read_json`` for
JSON lines, ``read_parquet``). Whatever the format, a parser returns SQL selecting, in this
order (``select_parsed`` writes it, so the shape is stated once):

- for every contract column ``c``: ``"c"`` in the contract's type (null when absent, not
  parsable, or not representable without change), and ``"_raw_c"``, its value as landed when it
  was cast here (null when the reader already typed it, and so rejected bad values itself);
- ``_file`` (relative to the landing folder) and ``_line`` (the record's line, or row number);
- ``_parse_column``, ``_parse_error``, ``_record``: set when the reader could not read the
  record at all (the column, the reason, the record's text).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from opswh.contract import Column, Feed
from opswh.ingest import sniff
from opswh.ingest.rules import is_exact_number, raw_name
from opswh.ingest.sql import ident, literal
from opswh.landing import LandedFile, LoadError

SAMPLE_RECORDS = 1000  # JSON records read to detect added or missing fields
MAX_LINE = 16 * 1024 * 1024  # the default of the max_line_bytes setting
BROKEN = "not a JSON object"
# The table DuckDB's CSV reader writes the lines it rejects into (``store_rejects``), per connection.
CSV_REJECTS = "_rej"


@dataclass
class Notes:
    """What a parser noticed about a file besides its rows: columns not in the contract, warnings."""

    extra_columns: list[str]
    warnings: list[str]


def typed(c: Column, source: str | None = None) -> str:
    """Column ``c`` as the reader typed it (it rejects bad values itself)."""
    return f"{source or ident(c.name)} as {ident(c.name)}, null::varchar as {raw_name(c.name)}"


def absent(c: Column) -> str:
    """Column ``c`` missing from the file."""
    return f"null::{c.type} as {ident(c.name)}, null::varchar as {raw_name(c.name)}"


# A time stamp with an explicit offset (Z, +08:00, -0500, +08) after its time of day.
_OFFSET = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"


def from_text(c: Column, text: str, tz: str) -> str:
    """SQL for column ``c``'s value from its text as landed: exactly that value, or null (the rules then
    say why). A time stamp with an offset is converted to UTC; a naive one is read in the feed's time
    zone ``tz``. A number that does not fit the column's type without rounding is not rounded."""
    if c.type == "TIMESTAMP":
        naive = f"try_cast({text} as timestamp)"
        if tz != "UTC":
            naive = f"timezone('UTC', timezone({literal(tz)}, {naive}))"
        offset = f"regexp_replace(trim({text}), '\\s*([+-][0-9]{{2}}):?([0-9]{{2}})$', '\\1:\\2')"
        return (
            f"case when regexp_matches(trim({text}), {literal(_OFFSET)}) "
            f"then timezone('UTC', try_cast({offset} as timestamptz)) else {naive} end"
        )
    if is_exact_number(c.type):
        return (
            f"case when try_cast({text} as decimal(38, 18)) = try_cast({text} as {c.type}) "
            f"then try_cast({text} as {c.type}) end"
        )
    return f"try_cast({text} as {c.type})"


def cast(c: Column, tz: str) -> str:
    """Column ``c`` read as text and cast here to the contract's type; its text kept to explain a failed cast."""
    q = ident(c.name)
    return f"{from_text(c, q, tz)} as {q}, {q}::varchar as {raw_name(c.name)}"


def cast_typed(c: Column, file_type: str, tz: str) -> str:
    """Column ``c`` of a typed file (Parquet) in another type: converted when that loses nothing."""
    q = ident(c.name)
    if file_type == "VARCHAR":
        return cast(c, tz)
    if c.type == "TIMESTAMP" and file_type.startswith("TIMESTAMPWITHTIMEZONE"):
        value = f"timezone('UTC', {q})"
    elif c.type == "TIMESTAMP" and file_type.startswith("TIMESTAMP"):
        value = f"timezone('UTC', timezone({literal(tz)}, {q}))" if tz != "UTC" else f"{q}::timestamp"
    elif is_exact_number(c.type):
        value = f"case when try_cast({q} as {c.type})::{file_type} = {q} then try_cast({q} as {c.type}) end"
    else:
        value = f"try_cast({q} as {c.type})"
    return f"{value} as {q}, {q}::varchar as {raw_name(c.name)}"


def select_parsed(
    columns: list[str],
    rel: str,
    line: str,
    source: str,
    parse_column: str = "null::varchar",
    parse_error: str = "null::varchar",
    record: str = "null::varchar",
) -> str:
    """The parsed relation of one file: the columns (from ``typed``/``absent``/``cast``), then lineage and parse failures."""
    return (
        f"select {', '.join(columns)}, {literal(rel)} as _file, {line} as _line, {parse_column} as _parse_column, "
        f"{parse_error} as _parse_error, {record} as _record from {source}"
    )


def missing_required(feed: Feed, present: list[str], lf: LandedFile, what: str) -> None:
    missing = [c.name for c in feed.columns if c.required and c.name not in present]
    if missing:
        unknown = [_shown(p) for p in present if p not in feed.column_names]
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        hint = f" It has {', '.join(unknown[:10])}{more} instead: renamed upstream?" if unknown else ""
        raise LoadError(
            f"{lf.path}: required {what} {', '.join(missing)} missing from the file.{hint} "
            f"The contract for {feed.name} is in docs/landing_contract.md."
        )


def _shown(name: str) -> str:
    """A column name as an error message may show it: printable and short."""
    text = name if name.isprintable() else repr(name)
    return text if len(text) <= 60 else text[:57] + "..."


def note_extra(feed: Feed, present: list[str], rel: str, notes: Notes) -> None:
    for e in (p for p in present if p not in feed.column_names):
        if e not in notes.extra_columns:
            notes.extra_columns.append(e)
            notes.warnings.append(f"{rel}: column {e} is not in the contract; ignored (schema drift)")


# ---------------------------------------------------------------------- CSV


def csv_header(feed: Feed, lf: LandedFile, rel: str, notes: Notes, max_line: int = MAX_LINE) -> list[str]:
    first = next(sniff.lines(lf.path, max_line), (1, b"", 0))[1]
    if first is None:
        raise LoadError(f"{lf.path}: the header line is over the max_line_bytes limit ({max_line:,} bytes).")
    header_line = first.removeprefix(sniff.UTF8_BOM).decode("utf-8", errors="replace").strip()
    header = next(csv.reader([header_line])) if header_line else []
    missing_required(feed, header, lf, "column")
    note_extra(feed, header, rel, notes)
    return header


def _read_typed(c: Column) -> bool:
    """Whether DuckDB's CSV reader types column ``c`` itself: not time stamps (it would drop their offsets)
    nor numbers (it would round them), which are read as text and cast exactly here."""
    return not (c.type == "TIMESTAMP" or is_exact_number(c.type) or c.type == "DOUBLE")


def _csv_reader(feed: Feed, lf: LandedFile, header: list[str], max_line: int) -> str:
    """DuckDB's CSV reader for the file; lines it cannot read go to ``CSV_REJECTS``."""

    def reader_type(h: str) -> str:
        return feed.column(h).type if h in feed.column_names and _read_typed(feed.column(h)) else "VARCHAR"

    types = "{" + ", ".join(f"{literal(h)}: {literal(reader_type(h))}" for h in header) + "}"
    return (
        f"read_csv({literal(lf.path)}, header = true, delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
        f"columns = {types}, store_rejects = true, rejects_table = {literal(CSV_REJECTS)}, "
        f"rejects_scan = {literal(CSV_REJECTS + '_scan')}, rejects_limit = 0, max_line_size = {int(max_line)}, "
        "hive_partitioning = false)"
    )


def _csv_columns(feed: Feed, header: list[str], tz: str, alias: str = "") -> list[str]:
    prefix = f"{alias}." if alias else ""

    def column(c: Column) -> str:
        if c.name not in header:
            return absent(c)
        if _read_typed(c):
            return typed(c, prefix + ident(c.name))
        text = prefix + ident(c.name)
        return f"{from_text(c, text, tz)} as {ident(c.name)}, {text}::varchar as {raw_name(c.name)}"

    return [column(c) for c in feed.columns]


def forget_csv_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the reader's rejects tables, so that the next read of a CSV file starts them afresh."""
    con.execute(f"drop table if exists {CSV_REJECTS}; drop table if exists {CSV_REJECTS}_scan")


def csv_reader_rejected(con: duckdb.DuckDBPyConnection) -> int:
    """How many lines the last CSV read rejected."""
    return con.execute(f"select count(*) from {CSV_REJECTS}").fetchall()[0][0]


def parse_csv(
    con: duckdb.DuckDBPyConnection,
    feed: Feed,
    lf: LandedFile,
    rel: str,
    notes: Notes,
    tz: str = "UTC",
    max_line: int = MAX_LINE,
) -> str:
    """Rows of a CSV file, each on line (row number + 1): right as long as the reader rejects nothing.

    The read writes the lines it could not read into ``CSV_REJECTS`` (see ``csv_reader_rejected``)."""
    header = csv_header(feed, lf, rel, notes, max_line)
    forget_csv_rejects(con)
    return select_parsed(
        _csv_columns(feed, header, tz),
        rel,
        "ordinality + 1",
        f"{_csv_reader(feed, lf, header, max_line)} with ordinality",
    )


def parse_csv_with_rejects(
    con: duckdb.DuckDBPyConnection, feed: Feed, lf: LandedFile, rel: str, tz: str = "UTC", max_line: int = MAX_LINE
) -> str:
    """Rows of a CSV file whose reader rejected lines: good rows mapped to their true lines, plus the rejects."""
    header = csv_header(feed, lf, rel, Notes([], []), max_line)
    forget_csv_rejects(con)
    con.execute(
        "create or replace temp table _good as select *, ordinality as _k from "
        f"{_csv_reader(feed, lf, header, max_line)} "
        "with ordinality"
    )
    con.execute(
        "create or replace temp table _lines as select range as line, row_number() over (order by range) as _k "
        f"from range(2, ? + 2) where range not in (select line from {CSV_REJECTS})",
        [lf.rows],
    )
    good = select_parsed(_csv_columns(feed, header, tz, "g"), rel, "l.line", "_good g join _lines l using (_k)")
    rejected = select_parsed(
        [absent(c) for c in feed.columns],
        rel,
        "line",
        f"{CSV_REJECTS} group by line",
        parse_column="coalesce(first(column_name order by column_idx), 'record')",
        parse_error="""first(case error_type
                when 'CAST' then 'unparsable value (' || error_message || ')'
                when 'MISSING COLUMNS' then 'wrong column count (' || error_message || ')'
                when 'TOO MANY COLUMNS' then 'wrong column count (' || error_message || ')'
                when 'INVALID ENCODING' then 'not UTF-8 text'
                when 'LINE SIZE OVER MAXIMUM' then 'line over the max_line_bytes limit (' || error_message || ')'
                else lower(error_type) || ' (' || error_message || ')' end order by column_idx)""",
        record="first(csv_line)",
    )
    return f"{good} union all by name {rejected}"


# ---------------------------------------------------------------------- JSON lines


def _json_types(feed: Feed) -> dict[str, str]:
    """The reader reads every field as text (JSON stays JSON): the rules cast and explain."""
    return {c.name: ("JSON" if c.type == "JSON" else "VARCHAR") for c in feed.columns}


def parse_jsonl(
    con: duckdb.DuckDBPyConnection,
    feed: Feed,
    lf: LandedFile,
    rel: str,
    notes: Notes,
    line_by_line: bool = False,
    tz: str = "UTC",
    max_line: int = MAX_LINE,
) -> str:
    """Rows of a JSON lines file. DuckDB's reader reads it, unless ``line_by_line``: bytes that are not
    UTF-8, a byte-order mark or a line over ``max_line`` bytes make DuckDB refuse (or misread) the whole
    file, so such a file is parsed here line by line, and those lines are quarantined with their reason."""
    keys = _sample_json_keys(lf.path, max_line)
    if lf.rows:
        missing_required(feed, keys, lf, "field")
    note_extra(feed, keys, rel, notes)
    types = _json_types(feed)
    if not line_by_line:
        spec = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in types.items()) + "}"
        source = (
            f"(select *, ordinality as _line from read_json({literal(lf.path)}, format = 'newline_delimited', "
            f"columns = {spec}, ignore_errors = true, maximum_object_size = {int(max_line)}, "
            "hive_partitioning = false) with ordinality)"
        )
        too_long = "null::varchar"
    else:
        _python_jsonl(con, feed, lf.path, max_line)
        source, too_long = "_raw", "_too_long"
    all_null = " and ".join(f"{ident(c)} is null" for c in types)
    # a line whose fields are all null was not a JSON object: explain_broken_json says why
    return select_parsed(
        [typed(c) if c.type == "JSON" else cast(c, tz) for c in feed.columns],
        rel,
        "_line",
        source,
        parse_column=f"case when {too_long} is not null or ({all_null}) then 'record' end",
        parse_error=f"coalesce({too_long}, case when {all_null} then {literal(BROKEN)} end)",
    )


def explain_broken_json(
    con: duckdb.DuckDBPyConnection, feed: Feed, dt, path: Path, rel: str, max_line: int = MAX_LINE
) -> None:
    """Replace the placeholder reason of unreadable JSON lines by the parser's own message."""
    where = "where feed = ? and _dt = ? and _file = ?"
    broken = [
        r[0]
        for r in con.execute(
            f"select _line from raw.raw_rejects {where} and reason = ?", [feed.name, dt, rel, BROKEN]
        ).fetchall()
    ]
    for line, (error, record) in (_json_errors(path, broken, max_line) if broken else {}).items():
        con.execute(
            f"update raw.raw_rejects set reason = ?, record = ? {where} and _line = ?",
            [error, record[:2000], feed.name, dt, rel, line],
        )


def _python_jsonl(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, max_line: int) -> None:
    """Slow path for files DuckDB cannot read as they are: parse line by line (a byte-order mark read past)."""
    cols = _json_types(feed)
    nothing = tuple(None for _ in cols)
    rows = []
    for number, line, length in sniff.lines(path, max_line):
        if line is None:
            rows.append((*nothing, number, f"line of {length:,} bytes, over the max_line_bytes limit ({max_line:,})"))
            continue
        try:
            rec = json.loads(line.removeprefix(sniff.UTF8_BOM).decode("utf-8") if number == 1 else line.decode("utf-8"))
            values = tuple(None if rec.get(c) is None else _json_text(rec[c], t) for c, t in cols.items())
        except (ValueError, UnicodeDecodeError, AttributeError):
            values = nothing
        rows.append((*values, number, None))
    defs = ", ".join(f"{ident(c)} {t}" for c, t in cols.items())
    con.execute(f"create or replace temp table _raw ({defs}, _line bigint, _too_long varchar)")
    if rows:
        con.executemany(f"insert into _raw values ({', '.join('?' for _ in cols)}, ?, ?)", rows)


def _json_text(value: object, type_: str) -> str:
    """A JSON field's value as DuckDB's reader would give it as text."""
    if isinstance(value, dict | list) or type_ == "JSON":
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _sample_json_keys(path: Path, max_line: int) -> list[str]:
    keys: dict[str, None] = {}
    for number, line, _ in sniff.lines(path, max_line):
        if number > SAMPLE_RECORDS:
            break
        try:
            rec = json.loads(line.removeprefix(sniff.UTF8_BOM)) if line is not None else None
        except ValueError:
            continue
        if isinstance(rec, dict):
            keys.update(dict.fromkeys(rec))
    return list(keys)


def _json_errors(path: Path, lines: list[int], max_line: int) -> dict[int, tuple[str, str]]:
    wanted = set(lines)
    out = {}
    for i, raw, _ in sniff.lines(path, max_line):
        if i in wanted and raw is not None:
            text = raw.decode("utf-8", errors="replace")
            try:
                rec = json.loads(raw.removeprefix(sniff.UTF8_BOM).decode("utf-8").strip())
                out[i] = (
                    "not a JSON object" if not isinstance(rec, dict) else "record has none of the contract's fields",
                    text,
                )
            except UnicodeDecodeError:
                out[i] = ("not UTF-8 text", text)
            except ValueError as e:
                out[i] = (f"invalid JSON ({e})", text)
    return out


# ---------------------------------------------------------------------- Parquet


def parquet_types(con: duckdb.DuckDBPyConnection, lf: LandedFile) -> dict[str, str]:
    """The file's columns and their DuckDB types, in file order, spelled as the contract spells them."""
    return {
        name: type_name(t)
        for name, t in con.execute(
            f"select column_name, column_type from (describe select * from read_parquet({literal(lf.path)}, "
            "hive_partitioning = false))"
        ).fetchall()
    }


def type_name(t: str) -> str:
    return t.replace(" ", "").upper()


def in_contract_form(feed: Feed, types: dict[str, str]) -> bool:
    """The file holds exactly the contract's columns, in its order and types."""
    return list(types.items()) == [(c.name, type_name(c.type)) for c in feed.columns]


def parse_parquet(feed: Feed, lf: LandedFile, rel: str, notes: Notes, types: dict[str, str], tz: str = "UTC") -> str:
    present = list(types)
    missing_required(feed, present, lf, "column")
    note_extra(feed, present, rel, notes)

    def column(c: Column) -> str:
        if c.name not in types:
            return absent(c)
        if types[c.name] == type_name(c.type) and not (c.type == "TIMESTAMP" and tz != "UTC"):
            return typed(c)
        return cast_typed(c, types[c.name], tz)

    cols = [column(c) for c in feed.columns]
    return select_parsed(
        cols,
        rel,
        "file_row_number + 1",
        f"read_parquet({literal(lf.path)}, file_row_number = true, hive_partitioning = false)",
    )
