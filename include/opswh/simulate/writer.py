"""The simulator's writer: the day's rows queued per feed, written as part files by DuckDB on one
thread behind the generator, then each partition's marker.

Each feed has one projection from the simulator's Arrow columns to the contract's columns
(``PROJECTIONS``), rendered for the output format: JSON lines and CSV write timestamps as ISO
8601 UTC text, Parquet as native timestamps. DuckDB releases the GIL while it writes, so
generating a day overlaps writing the previous one; at most ``MAX_PENDING_WRITES`` parts wait, so
memory stays bounded. Files roll at exactly ``chunk_rows`` records, as exporters roll theirs.
"""

from __future__ import annotations

import shutil
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from opswh import contract
from opswh.ingest.sql import PARQUET_WRITE_OPTIONS, literal
from opswh.landing import partition_dir, write_marker

CHUNK_ROWS = 1_000_000  # records per part file, as exporters roll their files
# Writes queued behind the generator: each holds at most one part, so memory stays bounded.
MAX_PENDING_WRITES = 2
TEXT_TIMESTAMP = "'%Y-%m-%dT%H:%M:%S.%gZ'"
OPTIONS = {
    "csv": "(format csv, header true)",
    "jsonl": "(format json)",
    "parquet": f"(format parquet, {PARQUET_WRITE_OPTIONS})",
}

Timestamp = Callable[[str], str]  # renders epoch milliseconds as the format's timestamp


def text_timestamp(ms: str) -> str:
    return f"strftime(make_timestamp({ms} * 1000), {TEXT_TIMESTAMP})"


def native_timestamp(ms: str) -> str:
    return f"make_timestamp({ms} * 1000)"


# Only the keys an event type carries, as the tracking SDK sends them.
_PROPERTIES = """case event_type
    when 'visit' then json_object('page', p_page, 'utm_source', p_utm_source, 'utm_medium', p_utm_medium,
                                  'utm_campaign', p_utm_campaign)
    when 'page_view' then json_object('page', p_page, 'content_id', 'c' || p_content_idx)
    when 'like' then json_object('content_id', 'c' || p_content_idx)
    when 'comment' then json_object('content_id', 'c' || p_content_idx)
    when 'share' then json_object('content_id', 'c' || p_content_idx)
    when 'search' then json_object('query', p_query)
    when 'points_earn' then json_object('points', p_points, 'campaign_id', p_campaign_id)
    when 'points_redeem' then json_object('points', p_points)
    when 'coupon_claim' then json_object('campaign_id', p_campaign_id, 'coupon_id', p_coupon_id)
    when 'check_in' then json_object('campaign_id', p_campaign_id)
    when 'campaign_join' then json_object('campaign_id', p_campaign_id)
    when 'reward_granted' then json_object('campaign_id', p_campaign_id)
    when 'app_open' then case when p_page is null then '{}'::json else json_object('page', p_page) end
    else '{}'::json end"""

PROJECTIONS: dict[str, Callable[[Timestamp], str]] = {
    "channel_catalog": lambda ts: (
        "select channel, channel_name, channel_type, channel_group, cost_model, is_paid, native_timezone from part"
    ),
    "ad_spend": lambda ts: (
        "select stat_date, channel, account_id, campaign_id, currency, spend, impressions, clicks, "
        "conversions from part"
    ),
    "acquisition_costs": lambda ts: "select cost_id, cost_date, cost_type, channel, currency, amount from part",
    "registrations": lambda ts: (
        f"select 'u' || user_idx as user_id, {ts('registered_ms')} as registered_at, "
        "'d' || user_idx as device_id, platform, region, nickname, first_touch_source, first_touch_medium, "
        "first_touch_campaign, last_touch_source, last_touch_medium, last_touch_campaign, referrer, invite_code, "
        "is_test from part"
    ),
    "profile_updates": lambda ts: (
        f"select 'u' || user_idx as user_id, {ts('updated_ms')} as updated_at, nickname, region, is_test from part"
    ),
    "events": lambda ts: (
        "select 'ev' || event_seq as event_id, case when user_idx >= 0 then 'u' || user_idx end as "
        f"user_id, 'd' || device_idx as device_id, event_type, {ts('event_ms')} as event_at, "
        f"{ts('received_ms')} as received_at, {_PROPERTIES} as properties from part"
    ),
    "orders": lambda ts: (
        "select 'o' || order_idx as order_id, 'u' || user_idx as user_id, 'm' || merchant_idx as "
        f"merchant_id, status, {ts('placed_ms')} as placed_at, {ts('updated_ms')} as updated_at, 'CNY' as currency, "
        "round(gmv_amount, 2) as gmv_amount, round(discount_amount, 2) as discount_amount, coupon_id, campaign_id, "
        "round(commission_amount, 2) as commission_amount, round(fee_amount, 2) as fee_amount from part"
    ),
    "order_items": lambda ts: (
        "select 'o' || order_idx as order_id, line_number, sku, category, quantity, "
        "round(unit_price, 2) as unit_price from part"
    ),
    "payments": lambda ts: (
        "select 'p' || order_idx as payment_id, 'o' || order_idx as order_id, 'u' || user_idx as "
        f"user_id, {ts('paid_ms')} as paid_at, 'CNY' as currency, round(amount, 2) as amount, method from part"
    ),
    "refunds": lambda ts: (
        "select 'r' || order_idx as refund_id, 'o' || order_idx as order_id, "
        f"{ts('refunded_ms')} as refunded_at, 'CNY' as currency, round(amount, 2) as amount, round(paid_amount, 2) as "
        "paid_amount, round(fee_refund_amount, 2) as fee_refund_amount, reason from part"
    ),
    "memberships": lambda ts: (
        "select 'b' || billing_seq as billing_event_id, 'u' || user_idx as user_id, event_type, "
        f"plan, round(amount, 2) as amount, period_months, {ts('occurred_ms')} as occurred_at from part"
    ),
    "merchant_billing": lambda ts: (
        "select 'mb' || billing_seq as billing_id, 'm' || merchant_idx as merchant_id, "
        "service_type, billed_date, 'CNY' as currency, round(amount, 2) as amount from part"
    ),
    "merchants": lambda ts: (
        "select 'm' || merchant_idx as merchant_id, merchant_name, category, commission_rate, "
        "joined_date, is_creator from part"
    ),
    "campaigns": lambda ts: (
        "select campaign_id, campaign_name, campaign_type, budget, start_date, end_date, "
        "eligibility, holdout_share, reward_cost, points_unit_cost from part"
    ),
    "campaign_assignments": lambda ts: (
        "select campaign_id, 'u' || user_idx as user_id, assignment_group, "
        f"{ts('assigned_ms')} as assigned_at from part"
    ),
    "content_items": lambda ts: (
        "select 'c' || content_idx as content_id, creator_id, content_type, topic, title, "
        f"{ts('published_ms')} as published_at, is_removed from part"
    ),
    "survey_responses": lambda ts: (
        "select 'sr' || response_seq as response_id, survey_id, survey_type, 'u' || user_idx as user_id, "
        f"survey_channel, score, comment, {ts('answered_ms')} as answered_at from part"
    ),
    "support_tickets": lambda ts: (
        f"select 't' || ticket_seq as ticket_id, 'u' || user_idx as user_id, status, {ts('created_ms')} as created_at, "
        f"{ts('changed_ms')} as changed_at, category, priority, contact_channel, satisfaction from part"
    ),
}


def projection(feed: contract.Feed, fmt: str, part: pa.Table | None) -> str:
    """The SQL that writes ``part`` (registered as ``part``) as the feed's columns in ``fmt``."""
    if part is None or part.num_rows == 0:  # an empty partition: the contract's columns, no rows
        cols = ", ".join(f"cast(null as {c.type}) as {c.name}" for c in feed.columns)
        return f"select {cols} where false"
    return PROJECTIONS[feed.name](native_timestamp if fmt == "parquet" else text_timestamp)


class PartWriter:
    """Queues the rows of each simulated day per feed and writes its partitions and markers."""

    def __init__(self, landing: Path, start: date, days: int, events_format: str, chunk_rows: int) -> None:
        self.landing = landing
        self.start = start
        self.days = days
        self.events_format = events_format
        self.chunk_rows = chunk_rows
        self.buffer: dict[int, dict[str, list[pa.Table]]] = defaultdict(lambda: defaultdict(list))
        self.con = duckdb.connect()  # used by the writer thread only
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="opswh-simulator-writer")
        self._pending: deque[Future] = deque()
        self._parts: dict[tuple[str, int], dict[str, int]] = {}

    def queue(self, feed: str, table: pa.Table, day: int) -> None:
        """Queue rows for the partition of day index ``day`` (beyond the range: dropped)."""
        if 0 <= day < self.days:
            self.buffer[day][feed].append(table)

    def spill(self, d: int, feed: str) -> None:
        """Write today's queued rows of a feed to part files of ``chunk_rows`` each, keeping the rest queued."""
        tables = self.buffer[d][feed]
        if sum(t.num_rows for t in tables) >= self.chunk_rows:
            table = pa.concat_tables(tables)
            full = table.num_rows - table.num_rows % self.chunk_rows
            for s in range(0, full, self.chunk_rows):
                self._write_part(contract.get_feed(feed), d, table.slice(s, self.chunk_rows))
            self.buffer[d][feed] = [table.slice(full)] if full < table.num_rows else []

    def flush(self, d: int) -> dict[str, int]:
        """Write the rest of day ``d`` and every partition's marker, after its parts; the rows per feed."""
        day = self.start + timedelta(days=d)
        queued = self.buffer.pop(d, {})
        counts = {}
        for feed in contract.FEEDS:
            tables = queued.get(feed.name, [])
            if tables or (feed.name, d) not in self._parts:
                table = pa.concat_tables(tables) if tables else None
                for s in range(0, max(1, 0 if table is None else table.num_rows), self.chunk_rows):
                    self._write_part(feed, d, None if table is None else table.slice(s, self.chunk_rows))
            parts = self._parts.pop((feed.name, d))
            # after the partition's parts, in the same writer thread: the marker is written last
            self._submit(write_marker, partition_dir(self.landing, feed.name, day), feed.name, day, parts)
            counts[feed.name] = sum(parts.values())
        return counts

    def close(self, wait: bool) -> None:
        """Wait for every queued write (a failed one raises here), or drop them."""
        try:
            if wait:
                self._wait_for_writes(0)
        finally:
            self._thread.shutdown(wait=True, cancel_futures=True)

    def _submit(self, fn: Callable[..., object], *args: object) -> None:
        """Queue a write for the writer thread, waiting while MAX_PENDING_WRITES are queued."""
        self._wait_for_writes(MAX_PENDING_WRITES - 1)
        self._pending.append(self._thread.submit(fn, *args))

    def _wait_for_writes(self, at_most: int) -> None:
        """Wait until no more than ``at_most`` writes are queued; a failed write raises here."""
        while self._pending and (len(self._pending) > at_most or self._pending[0].done()):
            self._pending.popleft().result()

    def _write_part(self, feed: contract.Feed, d: int, part: pa.Table | None) -> None:
        part_dir = partition_dir(self.landing, feed.name, self.start + timedelta(days=d))
        if (feed.name, d) not in self._parts:
            if part_dir.exists():
                shutil.rmtree(part_dir)
            part_dir.mkdir(parents=True)
            self._parts[(feed.name, d)] = {}
        fmt = self.events_format if feed.name == "events" else feed.format
        parts = self._parts[(feed.name, d)]
        path = part_dir / f"part-{len(parts):04d}.{fmt}"
        sql = f"copy ({projection(feed, fmt, part)}) to {literal(path)} {OPTIONS[fmt]}"
        self._submit(self._copy, part, sql)
        parts[path.name] = 0 if part is None else part.num_rows

    def _copy(self, part: pa.Table | None, sql: str) -> None:
        """The writer thread's job: one part file written by DuckDB from the Arrow table."""
        if part is None or part.num_rows == 0:  # an empty partition: the SQL selects no rows
            self.con.execute(sql)
            return
        self.con.register("part", part)
        self.con.execute(sql)
        self.con.unregister("part")
