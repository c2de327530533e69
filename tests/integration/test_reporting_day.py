"""The reporting time zone is one setting: the loader, the GX gate and the marts cut days at the same midnight."""

from __future__ import annotations

import json

import duckdb

from opswh import config, contract
from opswh.days import DayRange
from opswh.ingest import load_partition
from opswh.landing import write_marker
from opswh.paths import Paths
from opswh.pipeline import dbt_build, load_source, validate
from opswh.quality.suites import load_suites, partition_sql
from tests.support import START, simulate

LATE = "2026-09-01T23:30:00.000Z"  # Sep 1 in UTC, 07:30 on Sep 2 in Asia/Shanghai


def _add_late_user(paths: Paths) -> None:
    """A user who registers 30 minutes before UTC midnight and opens the app right after."""
    for feed, record in (
        (
            "registrations",
            {
                "user_id": "u_midnight",
                "registered_at": LATE,
                "device_id": "d_midnight",
                "platform": "ios",
                "is_test": False,
            },
        ),
        (
            "events",
            {
                "event_id": "ev_midnight",
                "user_id": "u_midnight",
                "device_id": "d_midnight",
                "event_type": "app_open",
                "event_at": LATE,
                "received_at": LATE,
                "properties": {},
            },
        ),
    ):
        part = paths.partition(feed, START)
        f = sorted(part.glob("part-*.jsonl"))[0]
        f.write_text(f.read_text(encoding="utf-8") + json.dumps(record) + "\n", encoding="utf-8")
        write_marker(part, feed, START)


def test_one_setting_moves_a_late_event_to_the_same_day_in_raw_gx_and_the_marts(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OPSWH_REPORTING_TZ", raising=False)
    paths = simulate(tmp_path, days=1, scale="tiny", reporting_tz="UTC")
    (tmp_path / "opswh.json").write_text(json.dumps({"reporting_tz": "UTC"}))
    _add_late_user(paths)
    days = DayRange(START, START)
    for source in contract.SOURCES:
        load_source(paths, source, days, run_id="tz")
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        # raw: loaded in the partition of Sep 1, not quarantined as "in the future"
        assert con.execute("select _dt from raw.events where event_id = 'ev_midnight'").fetchall() == [(START,)]
        assert not con.execute("select * from raw.raw_rejects where record like '%midnight%'").fetchall()
        # GX: the contract suite counts no event of Sep 1 outside Sep 1 as the configuration cuts it
        suite = next(s for s in load_suites("raw") if s["name"] == "raw_events__contract")
        outside = "select event_at__outside_window from ({})"
        utc = config.load(paths.root)
        assert con.execute(outside.format(partition_sql(suite["meta"], START, utc))).fetchall() == [(0,)]
        shanghai = config.load(paths.root, environ={"OPSWH_REPORTING_TZ": "Asia/Shanghai"})
        assert con.execute(outside.format(partition_sql(suite["meta"], START, shanghai))).fetchall()[0][0] > 0
    validate(paths, "raw", days, "tz")
    dbt_build(paths, days)
    recon = next(s for s in load_suites("marts") if s["name"] == "marts_reconciliation")
    # the registrations of the day, cut at its midnight in the reporting time zone (UTC+0 or UTC+8)
    registered = (
        "select count(distinct user_id) from raw.registrations where not is_test and user_id not in "
        "(select user_id from raw.profile_updates where is_test) and cast(registered_at + interval {} hour as date) = ?"
    )
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        # the marts: the user registered on Sep 1, the day the marts' snapshot ends (the event's day)
        assert con.execute(
            "select registered_date, snapshot_date from marts.dim_users where user_id = 'u_midnight'"
        ).fetchall() == [(START, START)]
        # the marts' reconciliation suite counts the feed's registrations between the same midnights
        for cfg, hours in ((utc, 0), (shanghai, 8)):
            counted = con.execute(f"select raw_new_users from ({partition_sql(recon['meta'], START, cfg)})").fetchall()
            assert counted == con.execute(registered.format(hours), [START]).fetchall()
        assert counted != con.execute(registered.format(0), [START]).fetchall()


def test_under_the_default_time_zone_the_same_event_is_in_the_future_of_its_partition(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OPSWH_REPORTING_TZ", raising=False)
    paths = simulate(tmp_path, days=1, scale="tiny", reporting_tz="UTC")
    _add_late_user(paths)
    with duckdb.connect(str(paths.warehouse)) as con:
        load_partition(con, paths, "events", START, max_reject_share=1.0)
        reason = con.execute("select reason from raw.raw_rejects where record like '%ev_midnight%'").fetchall()
    assert reason and reason[0][0].startswith("in the future")
