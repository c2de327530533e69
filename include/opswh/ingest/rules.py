"""The contract's row rules as one SQL pass over a parsed file.

``checks_sql`` reads the relation a parser produces (see ``opswh.ingest.parsers``: every
contract column typed, its text as landed in ``_raw_<column>``, and ``_file``, ``_line``,
``_parse_column``, ``_parse_error``, ``_record``) and adds ``_fail``: null for a good row,
else the failing column and the reason, joined by ``chr(31)``. The first failing rule wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opswh.contract import Column, Feed
from opswh.ingest.sql import columns, ident, literal, literal_list

SEPARATOR = "chr(31)"


_EXACT_NUMBERS = ("INTEGER", "BIGINT", "SMALLINT")


def is_exact_number(type_: str) -> bool:
    """A type whose values the loader never rounds into: whole numbers and decimals."""
    return type_ in _EXACT_NUMBERS or type_.startswith("DECIMAL")


def raw_name(column: str) -> str:
    """The parsed relation's column holding ``column``'s text as landed (null when the reader typed it)."""
    return ident(f"_raw_{column}")


@dataclass(frozen=True)
class Bounds:
    """What a partition's rows are checked against: time stamps in [``launch``, ``upper``] (UTC, naive),
    and exchange rates for the reporting day (in ``reporting_tz``) of the feed's ``rate_date``."""

    upper: datetime
    launch: datetime
    reporting_tz: str
    reporting_currency: str


def reporting_day(c: Column, tz: str) -> str:
    """SQL of the reporting day (in ``tz``) of a TIMESTAMP (naive UTC) or DATE column's value."""
    q = ident(c.name)
    return f"cast(timezone({literal(tz)}, timezone('UTC', {q})) as date)" if c.type == "TIMESTAMP" else q


def _rate_day(feed: Feed, tz: str) -> str:
    return reporting_day(feed.column(feed.rate_date), tz)


def _no_rate(currency: str, day: str) -> str:
    return f"not exists (select 1 from raw.fx_rates as r where r.currency = {currency} and r.valid_from <= {day})"


def _unparsable(c: Column, raw: str) -> str:
    if is_exact_number(c.type):
        return (
            f"case when try_cast({raw} as double) is not null then {literal(f'does not fit {c.type} without rounding: ')} "
            f"else {literal(f'unparsable {c.type}: ')} end || left({raw}, 80)"
        )
    return f"{literal(f'unparsable {c.type}: ')} || left({raw}, 80)"


def checks_sql(feed: Feed, parsed: str, bounds: Bounds) -> str:
    """``parsed`` with ``_fail``: the first rule of the contract each row breaks, or null."""
    rules: list[tuple[str, str, str]] = [("_parse_error is not null", "_parse_column", "_parse_error")]
    upper, launch = bounds.upper, bounds.launch
    upper_text, launch_text = upper.isoformat(sep=" "), launch.date().isoformat()
    for c in feed.columns:
        q, name, raw = ident(c.name), literal(c.name), raw_name(c.name)
        if c.type != "JSON":
            rules.append((f"{q} is null and {raw} is not null", name, _unparsable(c, raw)))
        if c.required:
            what = "null key" if c.name in feed.key else "missing required value"
            rules.append((f"{q} is null", name, literal(what)))
        if c.enum:
            # list_contains is a scalar function; a long `not in (...)` list is planned as a join
            rules.append(
                (
                    f"not list_contains({literal_list(c.enum)}, {q})",
                    name,
                    f"'not an allowed value: ' || left({q}::varchar, 80)",
                )
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
                (
                    f"{q} > {literal(upper)}",
                    name,
                    f"'in the future: ' || {q}::varchar || {literal(f' is after {upper_text} UTC')}",
                )
            )
            rules.append(
                (
                    f"{q} < {literal(launch)}",
                    name,
                    f"{literal(f'before the platform launch ({launch_text}): ')} || {q}::varchar",
                )
            )
        if c.currency:
            rules.append(
                (
                    f"not regexp_matches({q}, '^[A-Z]{{3}}$')",
                    name,
                    f"'not an ISO 4217 currency code: ' || left({q}, 80)",
                )
            )
            day = _rate_day(feed, bounds.reporting_tz)
            hint = " (add it to <data dir>/mappings/fx_rates.csv)"
            rules.append(
                (
                    _no_rate(q, day),
                    name,
                    f"'no exchange rate for ' || {q} || ' on ' || {day}::varchar || {literal(hint)}",
                )
            )
            reporting = literal(bounds.reporting_currency)
            rules.append(
                (
                    _no_rate(reporting, day),
                    name,
                    f"{literal(f'no exchange rate for the reporting currency {bounds.reporting_currency} on ')} "
                    f"|| {day}::varchar || {literal(hint)}",
                )
            )
    for rc in feed.row_checks:
        rules.append((f"not coalesce({rc.sql}, true)", literal(rc.column), literal(rc.reason)))
    fail = "case " + " ".join(f"when {cond} then {col} || {SEPARATOR} || {why}" for cond, col, why in rules) + " end"
    raws = ", ".join(raw_name(c.name) for c in feed.columns)
    return f"select {columns(feed.column_names)}, _file, _line, _record, {raws}, {fail} as _fail from ({parsed})"


def rejects_sql(feed: Feed, checked: str) -> str:
    """The failing rows of ``checks_sql`` as reject rows: file, line, column, reason and the record as landed."""
    record = (
        "coalesce(_record, to_json({"
        + ", ".join(f"{literal(c.name)}: coalesce({raw_name(c.name)}, {ident(c.name)}::varchar)" for c in feed.columns)
        + "})::varchar)"
    )
    return (
        f"select _file, _line, split_part(_fail, {SEPARATOR}, 1) as _column, "
        f"split_part(_fail, {SEPARATOR}, 2) as _reason, {record} as _record from ({checked}) where _fail is not null"
    )
