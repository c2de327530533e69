"""The Segment spec: track, page, screen and identify calls as JSON (newline-delimited or an array,
gzipped or not), as Segment's warehouse and storage destinations, RudderStack and Jitsu write them.

Mapping (https://segment.com/docs/connections/spec/):

- every track, page, screen and identify call becomes an **event**: ``messageId`` its id,
  ``userId`` its user, ``context.device.id`` else ``anonymousId`` its device, the track's
  ``event`` (or ``page``, ``screen``, ``identify``) its name, ``timestamp`` (else
  ``originalTimestamp``) when it happened, ``receivedAt`` when it was received; its partition is
  the reporting day it was received, as a daily export cuts it. Its properties keep the call's
  own (which win over these), plus ``utm_source``, ``utm_medium``, ``utm_campaign`` from
  ``context.campaign``, ``platform`` from ``context.os.name`` (else ``context.device.type``,
  else ``web`` for a page call) and a page call's ``name`` as ``page``. An identify call is the
  user's arrival when the export has no registration records (the events mapping keeps it out of
  activity).
- the e-commerce spec's **Order Completed** becomes an order (status ``paid``, placed when the
  call happened), its payment and its lines (``products``): GMV is the sum of the products' price
  x quantity, else ``revenue`` + ``discount``, else ``total``; the discount is ``discount``; the
  payment is ``total`` (what the customer paid); the currency is ``currency``, else the
  ``--currency`` of the import (the spec's default is USD).
- **Order Refunded** becomes a refund of its ``total`` (else the products' sum), against the
  payment of the same order in the export.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from opswh.importers.landing_writer import input_files, reporting_day, utc_timestamp
from opswh.ingest.sql import literal, literal_list

SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
PRODUCES = ["events", "orders", "order_items", "payments", "refunds"]

_COLUMNS = {
    "type": "VARCHAR",
    "event": "VARCHAR",
    "name": "VARCHAR",
    "userId": "VARCHAR",
    "anonymousId": "VARCHAR",
    "messageId": "VARCHAR",
    "timestamp": "VARCHAR",
    "originalTimestamp": "VARCHAR",
    "receivedAt": "VARCHAR",
    "properties": "JSON",
    "context": "JSON",
    "traits": "JSON",
}


def _messages(files: list[Path]) -> str:
    spec = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in _COLUMNS.items()) + "}"
    return (
        f"select *, {utc_timestamp('coalesce(timestamp, originalTimestamp)')} as _at, "
        f"{utc_timestamp('coalesce(receivedAt, timestamp, originalTimestamp)')} as _received "
        f"from read_json({literal_list(files)}, format = 'auto', columns = {spec}, maximum_object_size = 16777216)"
    )


def _text(json: str, path: str) -> str:
    return f"json_extract_string({json}, {literal(path)})"


def feeds(con: duckdb.DuckDBPyConnection, source: Path, tz: str, currency: str | None) -> dict[str, str]:
    """The feeds' SQL for a Segment export (see the module docstring)."""
    files = input_files(source, SUFFIXES)
    con.execute(f"create or replace temp table _segment as {_messages(files)}")
    default_currency = literal((currency or "USD").upper())
    ctx = "context"
    platform = (
        f"coalesce({_text(ctx, '$.os.name')}, {_text(ctx, '$.device.type')}, case when type = 'page' then 'web' end)"
    )
    extra = (
        f"json_object('utm_source', {_text(ctx, '$.campaign.source')}, 'utm_medium', {_text(ctx, '$.campaign.medium')}, "
        f"'utm_campaign', {_text(ctx, '$.campaign.name')}, 'platform', {platform}, "
        f"'page', case when type = 'page' then name end)"
    )
    events = f"""
        select
            messageId as event_id,
            userId as user_id,
            coalesce({_text(ctx, "$.device.id")}, anonymousId) as device_id,
            case type when 'track' then event else type end as event_type,
            _at as event_at,
            _received as received_at,
            json_merge_patch({extra}, coalesce(properties, '{{}}')) as properties,  -- the call's own win
            {reporting_day("_received", tz)} as _day
        from _segment
        where type in ('track', 'page', 'screen', 'identify')"""
    completed = "from _segment where type = 'track' and event = 'Order Completed'"
    products = f"""
        select
            {_text("properties", "$.order_id")} as order_id,
            row_number() over (partition by {_text("properties", "$.order_id")} order by p.i) as line_number,
            {_text("p.product", "$.sku")} as sku,
            {_text("p.product", "$.product_id")} as product_id,
            {_text("p.product", "$.category")} as category,
            {_text("p.product", "$.quantity")} as quantity,
            {_text("p.product", "$.price")} as price,
            _at
        from _segment, unnest(json_extract(properties, '$.products[*]')) with ordinality as p(product, i)
        where type = 'track' and event = 'Order Completed'"""
    con.execute(f"create or replace temp table _segment_products as {products}")
    gmv = f"""coalesce(
        (select cast(sum(try_cast(price as decimal(38, 10)) * try_cast(quantity as decimal(38, 10))) as varchar)
         from _segment_products as sp where sp.order_id = {_text("properties", "$.order_id")}),
        cast(try_cast({_text("properties", "$.revenue")} as decimal(38, 10))
             + coalesce(try_cast({_text("properties", "$.discount")} as decimal(38, 10)), 0) as varchar),
        {_text("properties", "$.total")})"""
    orders = f"""
        select
            {_text("properties", "$.order_id")} as order_id,
            coalesce(userId, anonymousId) as user_id,
            'paid' as status,
            _at as placed_at,
            _at as updated_at,
            upper(coalesce({_text("properties", "$.currency")}, {default_currency})) as currency,
            {gmv} as gmv_amount,
            coalesce({_text("properties", "$.discount")}, '0') as discount_amount,
            {_text("properties", "$.coupon")} as coupon_id,
            {reporting_day("_at", tz)} as _day
        {completed}"""
    payments = f"""
        select
            'segment:' || {_text("properties", "$.order_id")} as payment_id,
            {_text("properties", "$.order_id")} as order_id,
            coalesce(userId, anonymousId) as user_id,
            _at as paid_at,
            upper(coalesce({_text("properties", "$.currency")}, {default_currency})) as currency,
            coalesce({_text("properties", "$.total")}, {gmv}) as amount,
            {reporting_day("_at", tz)} as _day
        {completed}"""
    items = f"""
        select
            order_id,
            line_number,
            coalesce(sku, product_id) as sku,
            coalesce(category, 'unknown') as category,
            coalesce(quantity, '1') as quantity,
            price as unit_price,
            {reporting_day("_at", tz)} as _day
        from _segment_products"""
    refunds = f"""
        select
            'segment:' || messageId as refund_id,
            {_text("r.properties", "$.order_id")} as order_id,
            r._at as refunded_at,
            upper(coalesce({_text("r.properties", "$.currency")}, {default_currency})) as currency,
            {_text("r.properties", "$.total")} as amount,
            coalesce(
                (select {_text("c.properties", "$.total")} from _segment as c
                 where c.type = 'track' and c.event = 'Order Completed'
                   and {_text("c.properties", "$.order_id")} = {_text("r.properties", "$.order_id")} limit 1),
                {_text("r.properties", "$.total")}
            ) as paid_amount,
            '0' as fee_refund_amount,
            {_text("r.properties", "$.reason")} as reason,
            {reporting_day("r._at", tz)} as _day
        from _segment as r where r.type = 'track' and r.event = 'Order Refunded'"""
    return {"events": events, "orders": orders, "order_items": items, "payments": payments, "refunds": refunds}
