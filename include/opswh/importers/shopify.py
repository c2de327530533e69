"""Shopify's orders export (Admin > Orders > Export, CSV): one row per line item, the order's own
fields on its first row.

Mapping (https://help.shopify.com/en/manual/fulfillment/managing-orders/exporting-orders):

- each order (``Name``, e.g. ``#1001``) becomes an order: a ``placed`` version at ``Created at``,
  ``paid`` at ``Paid at`` and ``cancelled`` at ``Cancelled at`` when the export has them
  (Shopify writes these with their offset, e.g. ``2026-09-01 10:30:45 -0500``). Its GMV is
  ``Subtotal`` + ``Discount Amount`` (the subtotal is after discounts), its discount ``Discount
  Amount``, its coupon ``Discount Code``. A single-seller shop: no merchant, commission or fees.
- the export names customers by ``Email`` only: the user id is ``shopify:`` and the SHA-256 of the
  lowercased address (never the address itself); an order without one is its own guest.
- a paid order has a payment of its ``Total`` (what the customer paid, shipping and taxes
  included); ``Refunded Amount`` becomes a refund of that payment. The export has no refund time:
  the refund is dated at the order's last recorded change (cancelled, else fulfilled, else paid).
- every line item row becomes an order line: ``Lineitem sku`` (else the name), ``Lineitem
  quantity``, ``Lineitem price``, and ``Vendor`` as its category.

An orders export has no app events: the marts count buyers as active on their order days.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from opswh.importers.landing_writer import input_files, reporting_day, utc_timestamp
from opswh.ingest.sql import ident, literal_list

SUFFIXES = (".csv",)
PRODUCES = ["orders", "order_items", "payments", "refunds"]
REQUIRED = ("Name", "Email", "Created at", "Currency", "Subtotal", "Total")


def _c(name: str) -> str:
    return ident(name)


def _money(name: str) -> str:
    return f"try_cast(nullif(trim({_c(name)}), '') as decimal(38, 10))"


def feeds(con: duckdb.DuckDBPyConnection, source: Path, tz: str, currency: str | None) -> dict[str, str]:
    """The feeds' SQL for a Shopify orders export (see the module docstring)."""
    files = input_files(source, SUFFIXES)
    con.execute(
        "create or replace temp table _shopify_rows as select *, row_number() over () as _row "
        f"from read_csv({literal_list(files)}, header = true, all_varchar = true, union_by_name = true)"
    )
    columns = {r[0] for r in con.execute("select column_name from (describe _shopify_rows)").fetchall()}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ValueError(f"{source}: no column {', '.join(missing)}: not a Shopify orders export")

    def col(name: str) -> str:
        return _c(name) if name in columns else "null"

    at = {
        name: utc_timestamp(f"nullif(trim({col(name)}), '')")
        for name in ("Created at", "Paid at", "Cancelled at", "Fulfilled at")
    }
    con.execute(f"""
        create or replace temp table _shopify as
        select
            {_c("Name")} as order_id,
            case when nullif(trim({_c("Email")}), '') is null then 'shopify-guest:' || {_c("Name")}
                 else 'shopify:' || sha256(lower(trim({_c("Email")}))) end as user_id,
            {at["Created at"]} as created_at,
            {at["Paid at"]} as paid_at,
            {at["Cancelled at"]} as cancelled_at,
            {at["Fulfilled at"]} as fulfilled_at,
            upper(trim({_c("Currency")})) as currency,
            cast({_money("Subtotal")} + coalesce({_money("Discount Amount") if "Discount Amount" in columns else "null"}, 0)
                 as varchar) as gmv_amount,
            coalesce(nullif(trim({col("Discount Amount")}), ''), '0') as discount_amount,
            nullif(trim({col("Discount Code")}), '') as coupon_id,
            nullif(trim({_c("Total")}), '') as total,
            nullif(trim({col("Refunded Amount")}), '') as refunded_amount
        from _shopify_rows
        where nullif(trim({_c("Created at")}), '') is not null""")
    version = """
            select order_id, user_id, '{status}' as status, created_at as placed_at, {at} as updated_at, currency,
                gmv_amount, discount_amount, coupon_id, {day} as _day
            from _shopify where {at} is not null"""
    orders = " union all ".join(
        version.format(status=status, at=ts, day=reporting_day(ts, tz))
        for status, ts in (("placed", "created_at"), ("paid", "paid_at"), ("cancelled", "cancelled_at"))
    )
    payments = f"""
        select 'shopify:' || order_id as payment_id, order_id, user_id, paid_at, currency, total as amount,
            {reporting_day("paid_at", tz)} as _day
        from _shopify where paid_at is not null"""
    refunded_at = "coalesce(cancelled_at, fulfilled_at, paid_at, created_at)"
    refunds = f"""
        select 'shopify-refund:' || order_id as refund_id, order_id, {refunded_at} as refunded_at, currency,
            refunded_amount as amount, total as paid_amount, '0' as fee_refund_amount,
            {reporting_day(refunded_at, tz)} as _day
        from _shopify where try_cast(refunded_amount as decimal(38, 10)) > 0"""
    items = f"""
        select
            line.{_c("Name")} as order_id,
            cast(row_number() over (partition by line.{_c("Name")} order by line._row) as integer) as line_number,
            coalesce(nullif(trim(line.{col("Lineitem sku")}), ''), line.{col("Lineitem name")}) as sku,
            coalesce(nullif(trim(line.{col("Vendor")}), ''), 'unknown') as category,
            line.{col("Lineitem quantity")} as quantity,
            line.{col("Lineitem price")} as unit_price,
            {reporting_day("o.created_at", tz)} as _day
        from _shopify_rows as line
        inner join _shopify as o on line.{_c("Name")} = o.order_id
        where nullif(trim(line.{col("Lineitem name")}), '') is not null"""
    return {"orders": orders, "order_items": items, "payments": payments, "refunds": refunds}
