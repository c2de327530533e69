"""Amplitude's export (the Export API's JSON lines, one event per line, gzipped or not).

Mapping (https://amplitude.com/docs/apis/analytics/export):

- every line becomes an **event**: ``$insert_id`` (else ``uuid``) its id, ``user_id``,
  ``device_id``, ``event_type`` its name (``$identify``, Amplitude's identify call, is ``identify``),
  ``event_time`` when it happened and
  ``server_received_time`` when it was received (both UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``). Its
  properties are ``event_properties``, plus ``platform``, and ``utm_source`` / ``utm_medium`` /
  ``utm_campaign`` from the event's properties, else the user's.
- an event with a revenue property (``$revenue``, or ``$price`` x ``$quantity``) becomes an order
  and its payment (``$revenueType`` ``refund``, or a negative revenue, a refund instead): the order
  id is ``event_properties.order_id``, else the event's id; its line is ``$productId``; the
  currency is ``event_properties.currency``, else the ``--currency`` of the import (Amplitude
  records revenue in one currency a project chooses, USD by default).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from opswh.importers.landing_writer import input_files, reporting_day, utc_timestamp
from opswh.ingest.sql import literal, literal_list

SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")
PRODUCES = ["events", "orders", "order_items", "payments", "refunds"]

_COLUMNS = {
    "$insert_id": "VARCHAR",
    "uuid": "VARCHAR",
    "event_type": "VARCHAR",
    "user_id": "VARCHAR",
    "device_id": "VARCHAR",
    "event_time": "VARCHAR",
    "server_received_time": "VARCHAR",
    "platform": "VARCHAR",
    "event_properties": "JSON",
    "user_properties": "JSON",
}


def _prop(name: str) -> str:
    return f"json_extract_string(event_properties, {literal('$.' + chr(34) + name + chr(34))})"


def _utm(key: str) -> str:
    return (
        f"coalesce(json_extract_string(event_properties, '$.{key}'), json_extract_string(user_properties, '$.{key}'))"
    )


def feeds(con: duckdb.DuckDBPyConnection, source: Path, tz: str, currency: str | None) -> dict[str, str]:
    """The feeds' SQL for an Amplitude export (see the module docstring)."""
    files = input_files(source, SUFFIXES)
    spec = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in _COLUMNS.items()) + "}"
    con.execute(f"""
        create or replace temp table _amplitude as
        select
            *,
            coalesce("$insert_id", uuid) as _id,
            {utc_timestamp("event_time")} as _at,
            {utc_timestamp("coalesce(server_received_time, event_time)")} as _received,
            coalesce(try_cast({_prop("$revenue")} as decimal(38, 10)),
                     try_cast({_prop("$price")} as decimal(38, 10))
                         * coalesce(try_cast({_prop("$quantity")} as decimal(38, 10)), 1)) as _revenue,
            coalesce({_prop("$revenueType")}, '') as _revenue_type
        from read_json({literal_list(files)}, format = 'newline_delimited', columns = {spec},
                       maximum_object_size = 16777216)""")
    default_currency = literal((currency or "USD").upper())
    extra = (
        f"json_object('platform', platform, 'utm_source', {_utm('utm_source')}, "
        f"'utm_medium', {_utm('utm_medium')}, 'utm_campaign', {_utm('utm_campaign')})"
    )
    events = f"""
        select
            _id as event_id,
            user_id,
            device_id,
            case event_type when '$identify' then 'identify' else event_type end as event_type,
            _at as event_at,
            _received as received_at,
            json_merge_patch(coalesce(event_properties, '{{}}'), {extra}) as properties,
            {reporting_day("_received", tz)} as _day
        from _amplitude"""
    purchase = "from _amplitude where _revenue is not null and _revenue > 0 and lower(_revenue_type) != 'refund'"
    refund = "from _amplitude where _revenue is not null and (_revenue < 0 or lower(_revenue_type) = 'refund')"
    order_id = f"coalesce({_prop('order_id')}, _id)"
    cur = f"upper(coalesce({_prop('currency')}, {default_currency}))"
    orders = f"""
        select {order_id} as order_id, coalesce(user_id, device_id) as user_id, 'paid' as status,
            _at as placed_at, _at as updated_at, {cur} as currency, cast(_revenue as varchar) as gmv_amount,
            '0' as discount_amount, {reporting_day("_at", tz)} as _day
        {purchase}"""
    payments = f"""
        select 'amplitude:' || _id as payment_id, {order_id} as order_id, coalesce(user_id, device_id) as user_id,
            _at as paid_at, {cur} as currency, cast(_revenue as varchar) as amount, {reporting_day("_at", tz)} as _day
        {purchase}"""
    items = f"""
        select {order_id} as order_id, 1 as line_number, coalesce({_prop("$productId")}, 'unknown') as sku,
            coalesce({_prop("category")}, 'unknown') as category, coalesce({_prop("$quantity")}, '1') as quantity,
            coalesce({_prop("$price")}, cast(_revenue as varchar)) as unit_price, {reporting_day("_at", tz)} as _day
        {purchase}"""
    paid = f"""(select cast(p._revenue as varchar) from _amplitude as p
                where p._revenue > 0 and coalesce(json_extract_string(p.event_properties, '$.order_id'), p._id)
                      = {order_id} limit 1)"""
    refunds = f"""
        select 'amplitude:' || _id as refund_id, {order_id} as order_id, _at as refunded_at, {cur} as currency,
            cast(abs(_revenue) as varchar) as amount, coalesce({paid}, cast(abs(_revenue) as varchar)) as paid_amount,
            '0' as fee_refund_amount, {_prop("reason")} as reason, {reporting_day("_at", tz)} as _day
        {refund}"""
    return {"events": events, "orders": orders, "order_items": items, "payments": payments, "refunds": refunds}
