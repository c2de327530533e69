"""Google Analytics 4's BigQuery export schema (``events_YYYYMMDD``), read from Parquet or from JSON
lines as BigQuery exports them.

Mapping (https://support.google.com/analytics/answer/7029846):

- every row becomes an **event**: GA4 has no event id, so the contract's fallback (a hash of the
  record) names it; ``user_id`` its user, ``user_pseudo_id`` its device, ``event_name`` its name,
  ``event_timestamp`` (epoch microseconds, UTC) when it happened, plus
  ``event_server_timestamp_offset`` when it was received. Its properties are the
  ``event_params`` (each key with its string, int, float or double value), plus ``platform``
  and ``utm_source`` / ``utm_medium`` / ``utm_campaign`` from the event's ``source``, ``medium``
  and ``campaign`` params, else ``collected_traffic_source``.
- ``purchase`` becomes an order with its payment and lines (``items``): the order id is
  ``ecommerce.transaction_id``, the value ``ecommerce.purchase_revenue`` (else the ``value``
  param), the currency the ``currency`` param (else the ``--currency`` of the import).
- ``refund`` becomes a refund of ``ecommerce.refund_value`` (else ``value``) of that transaction.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from opswh.importers.landing_writer import input_files, reporting_day
from opswh.ingest.sql import literal, literal_list

SUFFIXES = (".parquet", ".json", ".jsonl", ".json.gz", ".jsonl.gz")
PRODUCES = ["events", "orders", "order_items", "payments", "refunds"]


def _read(files: list[Path]) -> str:
    if all(f.name.endswith(".parquet") for f in files):
        return f"read_parquet({literal_list(files)}, union_by_name = true)"
    return f"read_json({literal_list(files)}, format = 'newline_delimited', union_by_name = true, maximum_object_size = 16777216)"


def _param(key: str) -> str:
    """An event param's value as text, whichever of its value fields holds it."""
    return (
        "(select coalesce(p.value.string_value, cast(p.value.int_value as varchar), "
        "cast(p.value.double_value as varchar), cast(p.value.float_value as varchar)) "
        f"from unnest(event_params) as t(p) where p.key = {literal(key)} limit 1)"
    )


def feeds(con: duckdb.DuckDBPyConnection, source: Path, tz: str, currency: str | None) -> dict[str, str]:
    """The feeds' SQL for a GA4 export (see the module docstring)."""
    files = input_files(source, SUFFIXES)
    con.execute(f"create or replace temp table _ga4_raw as select * from {_read(files)}")
    columns = {r[0] for r in con.execute("select column_name from (describe _ga4_raw)").fetchall()}
    for needed in ("event_name", "event_timestamp", "event_params", "user_pseudo_id"):
        if needed not in columns:
            raise ValueError(f"{source}: no column {needed}: not the GA4 BigQuery export schema")

    def field(expr: str, column: str) -> str:
        return expr if column in columns else "null"

    params = (
        "json_group_object(p.key, coalesce(p.value.string_value, cast(p.value.int_value as varchar), "
        "cast(p.value.double_value as varchar), cast(p.value.float_value as varchar)))"
    )
    ecommerce = "ecommerce" in columns
    traffic = "collected_traffic_source" in columns

    def utm(param: str, manual: str) -> str:
        return f"coalesce({_param(param)}, collected_traffic_source.{manual})" if traffic else _param(param)

    con.execute(f"""
        create or replace temp table _ga4 as
        select
            *,
            make_timestamp(cast(event_timestamp as bigint)) as _at,
            make_timestamp(cast(event_timestamp as bigint)
                           + coalesce({field("cast(event_server_timestamp_offset as bigint)", "event_server_timestamp_offset")}, 0))
                as _received,
            coalesce((select {params} from unnest(event_params) as t(p)), '{{}}') as _params,
            json_object('utm_source', {utm("source", "manual_source")}, 'utm_medium', {utm("medium", "manual_medium")},
                        'utm_campaign', {utm("campaign", "manual_campaign_name")},
                        'platform', {field("platform", "platform")}) as _extra,
            coalesce({"ecommerce.transaction_id" if ecommerce else "null"}, {_param("transaction_id")}) as _txn,
            coalesce({"cast(ecommerce.purchase_revenue as varchar)" if ecommerce else "null"}, {_param("value")})
                as _value,
            coalesce({"cast(ecommerce.refund_value as varchar)" if ecommerce else "null"}, {_param("value")})
                as _refund_value,
            upper(coalesce({_param("currency")}, {literal((currency or "USD").upper())})) as _currency,
            {_param("coupon")} as _coupon,
            coalesce({field("user_id", "user_id")}, user_pseudo_id) as _buyer,
            row_number() over () as _row
        from _ga4_raw""")
    events = f"""
        select
            {field("user_id", "user_id")} as user_id,
            user_pseudo_id as device_id,
            event_name as event_type,
            _at as event_at,
            _received as received_at,
            json_merge_patch(_params::json, _extra) as properties,
            {reporting_day("_received", tz)} as _day
        from _ga4"""
    purchases = "from _ga4 where event_name = 'purchase'"
    out = {
        "events": events,
        "orders": f"""
            select _txn as order_id, _buyer as user_id, 'paid' as status, _at as placed_at, _at as updated_at,
                _currency as currency, _value as gmv_amount, '0' as discount_amount, _coupon as coupon_id,
                {reporting_day("_at", tz)} as _day
            {purchases}""",
        "payments": f"""
            select 'ga4:' || _txn as payment_id, _txn as order_id, _buyer as user_id, _at as paid_at,
                _currency as currency, _value as amount, {reporting_day("_at", tz)} as _day
            {purchases}""",
        "refunds": f"""
            select 'ga4:' || r._row as refund_id, r._txn as order_id, r._at as refunded_at, r._currency as currency,
                r._refund_value as amount,
                coalesce((select p._value from _ga4 as p where p.event_name = 'purchase' and p._txn = r._txn limit 1),
                         r._refund_value) as paid_amount,
                '0' as fee_refund_amount, {reporting_day("r._at", tz)} as _day
            from _ga4 as r where r.event_name = 'refund'""",
    }
    if "items" in columns:
        out["order_items"] = f"""
            select _txn as order_id, cast(i.n as integer) as line_number,
                coalesce(i.item.item_id, i.item.item_name, 'unknown') as sku,
                coalesce(i.item.item_category, 'unknown') as category,
                coalesce(cast(i.item.quantity as varchar), '1') as quantity,
                cast(i.item.price as varchar) as unit_price, {reporting_day("_at", tz)} as _day
            from _ga4, unnest(items) with ordinality as i(item, n)
            where event_name = 'purchase'"""
    return out
