"""Any CSV, JSON or Parquet export, through a reviewed column-mapping file.

The mapping file (YAML) says which feeds the export feeds and where each contract column comes
from::

    format: csv                 # csv, json or parquet (default: from the files' suffix)
    timezone: Europe/Berlin     # the export's naive time stamps (default UTC; offsets always apply)
    feeds:
      registrations:
        day: registered_at      # the column whose reporting day is the partition (default: the
                                # feed's first time stamp or date column)
        columns:
          user_id: customer_id                  # a column of the export
          registered_at: signup_time
          platform: {value: web}                # a constant
          is_test: {sql: "email like '%@example.com'"}   # a SQL expression over the export's columns

A column the mapping leaves out is absent (optional columns take the contract's fallbacks).
Values stay as the export holds them, so the loader types them exactly; time stamps are converted
to UTC here, from the mapping's time zone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from opswh import contract
from opswh.importers.landing_writer import input_files, reporting_day
from opswh.ingest.parsers import from_text
from opswh.ingest.sql import ident, literal, literal_list

SUFFIXES = (".csv", ".json", ".jsonl", ".json.gz", ".jsonl.gz", ".parquet")


def _spec(mapping: Path) -> dict[str, Any]:
    import yaml

    try:
        doc = yaml.safe_load(mapping.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ValueError(f"{mapping}: cannot read the mapping ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("feeds"), dict) or not doc["feeds"]:
        raise ValueError(f"{mapping}: expected `feeds:` with at least one feed and its `columns:`")
    for name, feed in doc["feeds"].items():
        if name not in contract.FEEDS_BY_NAME:
            raise ValueError(f"{mapping} feeds.{name}: not a feed of the landing contract")
        if not isinstance(feed, dict) or not isinstance(feed.get("columns"), dict):
            raise ValueError(f"{mapping} feeds.{name}: expected `columns:` (contract column: source)")
        known = contract.get_feed(name).column_names
        for column, source in feed["columns"].items():
            if column not in known:
                raise ValueError(
                    f"{mapping} feeds.{name}.columns.{column}: not a column of {name} ({', '.join(known)})"
                )
            if not (
                isinstance(source, str)
                or (isinstance(source, dict) and len(source) == 1 and set(source) <= {"value", "sql"})
            ):
                raise ValueError(
                    f"{mapping} feeds.{name}.columns.{column}: expected a column name, {{value: ...}} or {{sql: ...}}"
                )
    return doc


def _read(files: list[Path], fmt: str | None) -> str:
    kind = fmt or ("parquet" if files[0].suffix == ".parquet" else "csv" if files[0].suffix == ".csv" else "json")
    if kind == "csv":
        return f"read_csv({literal_list(files)}, header = true, all_varchar = true, union_by_name = true)"
    if kind == "parquet":
        return f"read_parquet({literal_list(files)}, union_by_name = true)"
    if kind == "json":
        return (
            f"read_json({literal_list(files)}, format = 'auto', union_by_name = true, maximum_object_size = 16777216)"
        )
    raise ValueError(f"format must be csv, json or parquet, not {kind!r}")


def feeds(con: duckdb.DuckDBPyConnection, source: Path, tz: str, mapping: Path) -> dict[str, str]:
    """The feeds' SQL for an export and its mapping file (see the module docstring)."""
    doc = _spec(mapping)
    files = input_files(source, SUFFIXES)
    zone = doc.get("timezone", "UTC")
    con.execute(f"create or replace temp table _mapped as select * from {_read(files, doc.get('format'))}")
    present = {r[0] for r in con.execute("select column_name from (describe _mapped)").fetchall()}
    out = {}
    for name, spec in doc["feeds"].items():
        feed = contract.get_feed(name)
        exprs = {}
        for column, src in spec["columns"].items():
            c = feed.column(column)
            if isinstance(src, str):
                if src not in present:
                    raise ValueError(f"{mapping} feeds.{name}.columns.{column}: the export has no column {src!r}")
                expr = ident(src)
            elif "value" in src:
                expr = literal(src["value"])
            else:
                expr = f"({src['sql']})"
            if c.type == "TIMESTAMP":
                expr = from_text(c, f"cast({expr} as varchar)", zone)
            exprs[column] = expr
        day_column = spec.get("day") or next(
            (c.name for c in feed.columns if c.type in ("TIMESTAMP", "DATE") and c.name in exprs), None
        )
        if day_column not in exprs:
            raise ValueError(f"{mapping} feeds.{name}: `day` must name a mapped time stamp or date column")
        day_type = feed.column(day_column).type
        day = (
            reporting_day(exprs[day_column], tz)
            if day_type == "TIMESTAMP"
            else f"try_cast({exprs[day_column]} as date)"
        )
        selected = ", ".join(f"{e} as {ident(k)}" for k, e in exprs.items())
        out[name] = f"select {selected}, {day} as _day from _mapped"
    return out
