"""Real exports in: each importer's sample files (written from the format's specification, in
tests/fixtures/exports/) are imported with the CLI and published; the marts' numbers equal what
was computed by hand from the files.

The Segment, Amplitude and GA4 samples describe the same week (reporting time zone UTC):

- 09-01: user-a arrives (a newsletter-tagged visit, then identifies) and views an item; user-b
  arrives and opens the app.
- 09-02: user-a buys (GMV 140: 2 x 70, coupon); user-c arrives and views an item twice (a re-send
  in Segment's sample: one event).
- 09-03: user-c buys (GMV 50) and is refunded 20.
- 09-04..09-07: nothing at all (quiet days).
- 09-08: user-a comes back.

So DAU is 2, 2, 1, 0, 0, 0, 0, 1; new users 2 (09-01) and 1 (09-02); the 09-01 cohort (2 users)
keeps user-a on D1 and D7, the 09-02 cohort (user-c) is back on D1 and its D7 is not yet known.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from opswh import contract
from opswh.cli.app import app
from opswh.paths import Paths
from tests.support import START, mart_digests, publish_days, simulate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
EVENT_FEEDS = {"events", "orders", "order_items", "payments", "refunds"}
WEEK = [date(2026, 9, 1) + timedelta(days=i) for i in range(8)]


def _deployment(tmp_path: Path, monkeypatch, delivered: set[str], **settings) -> Paths:
    """A data directory whose configuration declares absent every feed the imports do not deliver."""
    monkeypatch.setenv("OPSWH_DATA_DIR", str(tmp_path))
    for var in ("OPSWH_REPORTING_TZ", "OPSWH_REPORTING_CURRENCY", "OPSWH_ABSENT_FEEDS", "OPSWH_REVENUE_MODEL"):
        monkeypatch.delenv(var, raising=False)
    absent = sorted(f.name for f in contract.FEEDS if f.name not in delivered)
    cfg = {"reporting_tz": "UTC", "reporting_currency": "USD", "absent_feeds": absent, **settings}
    (tmp_path / "opswh.json").write_text(json.dumps(cfg))
    return Paths(tmp_path)


def _import(*args: str) -> str:
    result = CliRunner().invoke(app, ["import", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _kpis(paths: Paths) -> dict[date, tuple]:
    with duckdb.connect(str(paths.published), read_only=True) as con:
        rows = con.execute(
            "select date_day, dau, new_users, orders, gmv from marts.fct_kpi_daily order by date_day"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _cohorts(paths: Paths) -> dict[date, tuple]:
    """Per registration day: cohort size, users retained on D1 and on D7 (None: not yet known)."""
    with duckdb.connect(str(paths.published), read_only=True) as con:
        rows = con.execute("""
            select registered_date, sum(cohort_size), sum(retained_d1), sum(retained_d7)
            from marts.fct_retention_daily_cohorts group by registered_date order by registered_date""").fetchall()
    return {r[0]: tuple(None if v is None else int(v) for v in r[1:]) for r in rows}


def _one(paths: Paths, sql: str) -> list[tuple]:
    with duckdb.connect(str(paths.published), read_only=True) as con:
        return con.execute(sql).fetchall()


def _assert_the_week(paths: Paths) -> None:
    kpis = _kpis(paths)
    assert [kpis[d][0] for d in WEEK] == [2, 2, 1, 0, 0, 0, 0, 1]  # DAU, quiet days included
    assert [kpis[d][1] for d in WEEK] == [2, 1, 0, 0, 0, 0, 0, 0]  # new users
    assert [kpis[d][2] for d in WEEK] == [0, 1, 1, 0, 0, 0, 0, 0]  # orders
    assert [float(kpis[d][3]) for d in WEEK[:4]] == [0.0, 140.0, 50.0, 0.0]  # GMV
    cohorts = _cohorts(paths)
    assert cohorts[date(2026, 9, 1)] == (2, 1, 1)
    assert cohorts[date(2026, 9, 2)] == (1, 1, None)
    assert _one(paths, "select first_touch_channel from marts.fct_user_attribution where user_id = 'user-a'") == [
        ("newsletter",)
    ]
    refunds = _one(
        paths, "select sum(refunds) from marts.fct_revenue_daily where is_day_total and date_day = '2026-09-03'"
    )
    assert float(refunds[0][0]) == 20.0


@pytest.mark.parametrize(
    "fmt, source",
    [("segment", "segment"), ("amplitude", "amplitude"), ("ga4", "ga4/events_20260901_20260908.json")],
)
def test_an_event_export_publishes_the_hand_computed_week(tmp_path, monkeypatch, fmt, source):
    paths = _deployment(tmp_path, monkeypatch, EVENT_FEEDS)
    out = _import("--format", fmt, "--from", str(FIXTURES / source))
    assert "reporting days 2026-09-01..2026-09-08" in out
    result = publish_days(paths, WEEK[0], WEEK[-1])
    assert result["published"]
    _assert_the_week(paths)


def test_a_history_that_starts_before_the_first_order_gets_its_orders(tmp_path, monkeypatch):
    """The first build has no orders (09-01 alone); the incremental marts pick them up later."""
    paths = _deployment(tmp_path, monkeypatch, EVENT_FEEDS)
    _import("--format", "segment", "--from", str(FIXTURES / "segment"))
    publish_days(paths, WEEK[0], WEEK[0])
    assert _one(paths, "select count(*) from marts.fct_orders") == [(0,)]
    publish_days(paths, WEEK[1], WEEK[-1], run_id="test-2")
    _assert_the_week(paths)


def test_an_orders_only_export_publishes_buyers_as_active(tmp_path, monkeypatch):
    """Shopify's orders CSV: no events at all; buyers are active on the days they order."""
    paths = _deployment(
        tmp_path, monkeypatch, {"orders", "order_items", "payments", "refunds"}, revenue_model="retailer"
    )
    out = _import("--format", "shopify", "--from", str(FIXTURES / "shopify" / "orders_export_1.csv"))
    assert "reporting days 2026-09-02..2026-09-09" in out
    days = [date(2026, 9, 2) + timedelta(days=i) for i in range(8)]
    publish_days(paths, days[0], days[-1])
    kpis = _kpis(paths)
    # A@Example.com and a@example.com are one customer
    assert [kpis[d][0] for d in days] == [1, 1, 0, 0, 0, 0, 0, 1]
    assert [kpis[d][1] for d in days] == [1, 1, 0, 0, 0, 0, 0, 0]
    assert [kpis[d][2] for d in days] == [1, 1, 0, 0, 0, 0, 0, 1]
    # GMV before discounts (subtotal 120 + discount 20), the subtotal without shipping, two lines
    assert [float(kpis[d][3]) for d in (days[0], days[1], days[-1])] == [140.0, 50.0, 35.0]
    assert _cohorts(paths)[date(2026, 9, 2)] == (1, 0, 1)
    orders = _one(paths, "select order_id, gmv, paid_amount, refunded_amount from marts.fct_orders order by 1")
    assert [(o, float(g), float(p), float(r or 0)) for o, g, p, r in orders] == [
        ("#1001", 140.0, 120.0, 0.0),
        ("#1002", 50.0, 53.5, 20.0),  # paid with shipping; refunded 20
        ("#1003", 35.0, 35.0, 0.0),
    ]
    # a retailer's platform revenue is its net revenue: GMV - discounts - refunds (shipping is not sales)
    revenue = _one(paths, "select date_day, platform_revenue from marts.fct_kpi_daily where orders > 0 order by 1")
    assert [float(r) for _, r in revenue] == [140.0 - 20.0, 50.0 - 20.0, 35.0]
    emails = _one(paths, "select count(*) from marts.dim_users where user_id like '%@%'")
    assert emails == [(0,)]  # the export's e-mail addresses are hashed, never kept
    # no spend feed: spend and CAC are not available (NULL), not zero; the report says so
    assert _one(paths, "select count(*) from marts.fct_kpi_daily where spend is not null or cac is not null") == [(0,)]
    report = CliRunner().invoke(app, ["report"], terminal_width=200)
    assert report.exit_code == 0, report.output
    assert "KPIs (USD)" in report.output
    assert "not available: this deployment has no campaigns feed" in report.output


def test_any_export_through_a_mapping_file(tmp_path, monkeypatch):
    """Four exports, each with its mapping: sign-ups and an app log (CSV, Berlin wall-clock times), a
    survey tool's NPS responses (times with their offset) and a help desk's ticket event log (Berlin
    wall-clock, its own event names mapped to the contract's statuses).

    u1 signs up 09-01 10:00 and opens the app on 09-02 09:00 (D1) and 09-08 20:00 (D7). u2 signs up
    09-01 23:30 Berlin (21:30 UTC, still 09-01) and opens the app 09-02 00:30 Berlin, which is
    09-01 22:30 UTC: the same reporting day, not D1. qa1 is an internal account (is_test from a
    SQL expression over the e-mail column) and counts nowhere.

    Answers (UTC): u1 10 on 09-02, u2 3 on 09-03, u1 8 on 09-05; qa1's does not count; u2's 11 on
    09-05 is off the scale and quarantined with its line and column. The week of Aug 31 counts each
    user's latest answer: u1 a passive (8), u2 a detractor: NPS -50. Tickets (UTC): T1 opened 09-02
    08:00, answered 11:00 (3 h), solved 09-03 08:00 (24 h, rated 4); T2 opened 09-04 07:00, still
    open on 09-08.
    """
    paths = _deployment(tmp_path, monkeypatch, {"registrations", "events", "survey_responses", "support_tickets"})
    mapped = FIXTURES / "mapped"
    week = ["--start", str(WEEK[0]), "--end", str(WEEK[-1])]  # the exports cover the week, sign-ups or not
    for export in ("signups", "app_log", "nps_survey", "helpdesk_ticket_events"):
        _import(
            "--format",
            "mapped",
            "--from",
            str(mapped / f"{export}.csv"),
            "--mapping",
            str(mapped / f"{export}.yml"),
            *week,
        )
    publish_days(paths, WEEK[0], WEEK[-1])
    kpis = _kpis(paths)
    assert [kpis[d][0] for d in WEEK] == [1, 1, 0, 0, 0, 0, 0, 1]
    assert [kpis[d][1] for d in WEEK] == [2, 0, 0, 0, 0, 0, 0, 0]
    assert _cohorts(paths)[date(2026, 9, 1)] == (2, 1, 1)
    channels = _one(paths, "select user_id, first_touch_channel from marts.fct_user_attribution order by 1")
    assert channels == [("u1", "newsletter"), ("u2", "direct")]
    nps = _one(
        paths,
        "select period, period_start, sum(nps_respondents), sum(promoters), sum(passives), sum(detractors), "
        "(sum(promoters) - sum(detractors)) * 100.0 / sum(nps_respondents) from marts.fct_feedback_periodic "
        "where period in ('day', 'week') group by all order by all",
    )
    assert nps == [
        ("day", date(2026, 9, 2), 1, 1, 0, 0, 100.0),
        ("day", date(2026, 9, 3), 1, 0, 0, 1, -100.0),
        ("day", date(2026, 9, 5), 1, 0, 1, 0, 0.0),
        ("week", date(2026, 8, 31), 2, 0, 1, 1, -50.0),
    ]
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        rejects = con.execute("select feed, _line, column_name from raw.raw_rejects order by all").fetchall()
    assert rejects == [("survey_responses", 2, "score")]  # d5, after d3 in the partition of 09-05
    support = {
        r[0]: r[1:]
        for r in _one(
            paths,
            "select date_day, tickets_created, backlog, tickets_resolved, first_response_hours_median, "
            "resolution_hours_median, satisfaction from marts.fct_support_daily order by date_day",
        )
    }
    assert support[date(2026, 9, 2)] == (1, 1, 0, None, None, None)
    assert support[date(2026, 9, 3)] == (0, 0, 1, 3.0, 24.0, 1.0)
    assert support[date(2026, 9, 4)][:2] == (1, 1) and support[date(2026, 9, 8)][:2] == (0, 1)
    users = _one(paths, "select user_id, latest_nps_score, open_tickets from marts.dim_users order by user_id")
    assert users == [("u1", 8, 0), ("u2", 3, 1)]


def test_a_mapping_that_names_a_missing_column_is_refused(tmp_path, monkeypatch):
    _deployment(tmp_path, monkeypatch, {"registrations"})
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "feeds:\n  registrations:\n    columns:\n      user_id: customer\n      registered_at: signup_time\n"
    )
    result = CliRunner().invoke(
        app, ["import", "--format", "mapped", "--from", str(FIXTURES / "mapped" / "signups.csv"), "--mapping", str(bad)]
    )
    assert result.exit_code == 1
    assert "feeds.registrations.columns.user_id: the export has no column 'customer'" in result.output


def test_the_simulator_through_the_segment_importer_publishes_the_same_marts(tmp_path, monkeypatch):
    """The same simulated platform, its events landed directly and through a Segment export."""
    days = 3
    first, last = START, START + timedelta(days=days - 1)
    published = {}
    for route in ("landing", "segment"):
        root = tmp_path / route
        root.mkdir()
        monkeypatch.setenv("OPSWH_DATA_DIR", str(root))
        paths = simulate(root, days=days, scale="tiny", events_format="jsonl" if route == "landing" else "segment")
        if route == "segment":
            assert not paths.partition("events", first).exists()
            out = _import(
                "--format",
                "segment",
                "--from",
                str(paths.exports / "segment"),
                "--start",
                str(first),
                "--end",
                str(last),
            )
            assert "the export holds no orders: orders not landed" in out
        publish_days(paths, first, last)
        published[route] = mart_digests(paths)
    assert len(published["landing"]) >= 22
    assert published["segment"] == published["landing"]
