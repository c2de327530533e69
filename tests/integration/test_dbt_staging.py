"""dbt builds the staging layer on a loaded warehouse, and staging repairs what it must."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import pytest

from opswh import contract
from opswh.dbt_runner import run_dbt
from opswh.ingest import load_partition
from opswh.landing import LandingError
from tests.support import START, simulate


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    paths = simulate(tmp_path_factory.mktemp("dbt"), days=3, scale="small", faults=["late_events", "duplicate_events"])
    con = duckdb.connect(str(paths.warehouse))
    for i in range(3):
        for feed in contract.FEEDS:
            try:
                load_partition(con, paths, feed.name, START + timedelta(days=i))
            except LandingError:
                pass
    con.close()
    run_dbt(paths, ["build", "--select", "+staging", "--indirect-selection", "cautious"])
    manifest = json.loads((paths.landing / "_faults.json").read_text())
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    yield con, manifest, paths
    con.close()


def test_events_keep_one_copy_the_earliest_received(built) -> None:
    con, manifest, _ = built
    raw, distinct = con.execute("select count(*), count(distinct event_id) from raw.events").fetchall()[0]
    staged = con.execute("select count(*) from staging.stg_events__events").fetchall()[0][0]
    assert raw > distinct == staged
    m = next(m for m in manifest if m["fault"] == "duplicate_events")
    later = con.execute(
        """
        select count(*) from raw.events r join staging.stg_events__events s using (event_id)
        where r._file = ? and r._line in (select unnest(?::bigint[])) and s.received_at < r.received_at""",
        [m["file"], m["lines"]],
    ).fetchall()[0][0]
    assert later == len(m["lines"])  # for every re-sent copy, staging kept the earlier one


def test_late_events_are_dated_when_they_happened(built) -> None:
    con, manifest, _ = built
    m = next(m for m in manifest if m["fault"] == "late_events")
    rows = con.execute(
        """
        select s.event_date, s.delivered_date from raw.events r join staging.stg_events__events s using (event_id)
        where r._file = ? and r._line in (select unnest(?::bigint[]))""",
        [m["file"], m["lines"]],
    ).fetchall()
    assert rows and all(event_date < delivered for event_date, delivered in rows)


def test_restated_spend_keeps_the_latest_delivery(built) -> None:
    con, _, _ = built
    restated = con.execute("""
        select count(*) from (select stat_date, channel, account_id, campaign_id from raw.ad_spend
                              group by all having count(*) > 1)""").fetchall()[0][0]
    assert restated > 0
    stale = con.execute("""
        select count(*) from staging.stg_channels__ad_spend s
        join raw.ad_spend r on r.stat_date = s.date_day and r.channel = s.channel and r.campaign_id = s.campaign_id
        where r._dt > s.delivered_date""").fetchall()[0][0]
    assert stale == 0


def test_usd_spend_is_converted_with_the_rates_seed(built) -> None:
    con, _, _ = built
    pairs = con.execute(
        "select spend, spend_source_currency from staging.stg_channels__ad_spend "
        "where source_currency = 'USD' and spend_source_currency > 0"
    ).fetchall()
    assert pairs and all(abs(float(a) - float(b) * 7.10) <= 0.01 for a, b in pairs)


def test_orders_are_one_row_each_at_their_latest_status(built) -> None:
    con, _, _ = built
    n_raw = con.execute("select count(distinct order_id) from raw.orders").fetchall()[0][0]
    n_stg, paid_without_time = con.execute(
        "select count(*), count(*) filter (where is_paid and paid_at is null) from staging.stg_orders__orders"
    ).fetchall()[0]
    assert n_stg == n_raw and paid_without_time == 0


def test_kpi_mart_builds_with_its_hand_computed_unit_test(built) -> None:
    """`dbt build --select +fct_kpi_daily` runs the unit tests (hand-computed fixtures) of the KPI
    table and everything it is built from, then the marts."""
    con, _, paths = built
    con.close()  # dbt writes to the warehouse; this is the module's last test
    assert run_dbt(paths, ["build", "--select", "+fct_kpi_daily", "--indirect-selection", "cautious"]).success
    with duckdb.connect(str(paths.warehouse), read_only=True) as fresh:
        days, dau = fresh.execute("select count(*), min(dau) from marts.fct_kpi_daily").fetchall()[0]
    assert days == 3 and dau > 0
