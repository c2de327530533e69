"""How values and names reach SQL: through these helpers or bound parameters, never pasted.

DuckDB cannot bind a parameter in every place a value appears (a file list of
``read_parquet``, the options of ``COPY``, a view's body), so those places quote with
``literal`` and ``ident``. A file name from the landing folder is data a source system chose:
``x', hive_partitioning = false)); create table ...`` must stay a string.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

# DuckDB's Parquet writer builds a dictionary per string column until it outgrows this limit;
# ids never fit, so a small limit gives up on them early while enum-like columns keep theirs. A
# 10M-row day of events wrote in 3.3 s instead of 5.5 s, at the same size (bench/RESULTS.md).
PARQUET_WRITE_OPTIONS = "string_dictionary_page_size_limit 65536"


def literal(value: str | Path | date | datetime | int | float | bool | None) -> str:
    """A SQL literal for ``value``: strings and paths quoted, with quotes doubled."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"timestamp {literal(value.isoformat(sep=' '))}"
    if isinstance(value, date):
        return f"date {literal(value.isoformat())}"
    text = str(value)
    if "\x00" in text:
        raise ValueError(f"{text!r}: a NUL character cannot reach SQL")
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted identifier (a column or table name), with double quotes doubled."""
    if "\x00" in name:
        raise ValueError(f"{name!r}: a NUL character cannot reach SQL")
    return '"' + name.replace('"', '""') + '"'


def literal_list(values: Iterable[str | Path]) -> str:
    """``['a', 'b']``: a DuckDB list of string literals (a file list, an enum)."""
    return "[" + ", ".join(literal(v) for v in values) + "]"


def columns(names: Iterable[str], alias: str = "") -> str:
    """``"a", "b"``, or ``t."a", t."b"`` with an alias."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + ident(n) for n in names)


def repeated_keys(key: Iterable[str]) -> str:
    """SQL counting the rows that repeat a key already seen (rows with a null key part have no key)."""
    names = list(key)
    known = " and ".join(f"{ident(k)} is not null" for k in names)
    return f"count(*) filter (where {known}) - count(distinct ({columns(names)})) filter (where {known})"
