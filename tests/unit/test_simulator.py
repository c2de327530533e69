"""The simulator is deterministic, streams in bounded parts, and models what the marts need."""

from __future__ import annotations

import json

import duckdb
import pytest

from opswh.landing import MARKER, data_files, read_marker
from tests.support import START, simulate


def _markers(paths) -> dict[str, str]:
    return {str(p.relative_to(paths.landing)): p.read_text() for p in sorted(paths.landing.rglob(MARKER))}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path) -> None:
    a = simulate(tmp_path / "a", days=2, scale="tiny", seed=3)
    b = simulate(tmp_path / "b", days=2, scale="tiny", seed=3)
    c = simulate(tmp_path / "c", days=2, scale="tiny", seed=4)
    assert _markers(a) == _markers(b)
    assert _markers(a) != _markers(c)


def test_large_days_stream_in_parts_and_counts_add_up(tmp_path) -> None:
    paths = simulate(tmp_path, days=2, scale="small", chunk_rows=500)
    part = paths.partition("events", START)
    files = data_files(part)
    assert len(files) > 2
    marker = json.loads((part / MARKER).read_text())
    assert marker["total_rows"] == sum(f["rows"] for f in marker["files"])
    counted = duckdb.execute(f"select count(*) from read_json('{part}/part-*.jsonl')").fetchall()[0][0]
    assert counted == marker["total_rows"]
    assert [f["rows"] for f in marker["files"][:-1]] == [500] * (len(files) - 1)  # files roll at chunk_rows
    assert 0 < marker["files"][-1]["rows"] <= 500
    for p in paths.landing.rglob(MARKER):  # written behind the generator, each marker after its parts
        read_marker(p.parent)


def test_a_failed_write_stops_the_simulation(tmp_path, monkeypatch) -> None:
    from opswh.simulate.writer import PartWriter

    def disk_full(self, part, sql):
        raise OSError("No space left on device")

    monkeypatch.setattr(PartWriter, "_copy", disk_full)
    with pytest.raises(OSError, match="No space left"):
        simulate(tmp_path, days=2, scale="tiny")


def test_events_can_land_as_parquet_or_csv(tmp_path) -> None:
    for fmt in ("parquet", "csv"):
        paths = simulate(tmp_path / fmt, days=1, scale="tiny", events_format=fmt)
        files = data_files(paths.partition("events", START))
        assert files and all(f.suffix == "." + fmt for f in files)


def test_simulated_platform_has_the_shapes_the_marts_need(clean_landing) -> None:
    land = clean_landing.landing
    con = duckdb.connect()
    regs = con.sql(f"select * from read_json('{land}/registrations/*/*.jsonl')")  # noqa: F841 - queried by name
    by_channel = dict(
        con.sql("select coalesce(first_touch_source, 'direct'), count(*) from regs group by 1").fetchall()
    )
    assert len(by_channel) >= 8 and "direct" in by_channel
    assert con.execute("select count(*) filter (where is_test) from regs").fetchall()[0][0] >= 1
    statuses = {r[0] for r in con.sql(f"select distinct status from read_csv('{land}/orders/*/*.csv')").fetchall()}
    assert {"placed", "paid", "shipped", "cancelled"} <= statuses
    visits = con.sql(
        f"select count(*) from read_json('{land}/events/*/*.jsonl') where event_type = 'visit' and user_id is null"
    ).fetchall()[0][0]
    assert visits > 0  # anonymous touches before registration, for attribution
    spend_usd = con.execute(
        f"select count(*) from read_csv('{land}/ad_spend/*/*.csv') where currency = 'USD'"
    ).fetchall()[0][0]
    assert spend_usd > 0
    truth = json.loads((land / "_truth.json").read_text())
    assert truth["campaigns"]["CHK01"]["order_effect"] > 1 and truth["campaigns"]["CPN01"]["order_effect"] == 1


def test_no_user_has_an_event_before_registering(clean_landing) -> None:
    """Logged-in events follow their user's registration; only anonymous visits (the touches) precede it."""
    land = clean_landing.landing
    early = duckdb.sql(f"""
        select count(*), count(distinct e.user_id)
        from read_json('{land}/events/*/*.jsonl', format = 'newline_delimited') as e
        inner join read_json('{land}/registrations/*/*.jsonl', format = 'newline_delimited') as r using (user_id)
        where e.event_at::timestamptz < r.registered_at::timestamptz""").fetchall()[0]
    assert early == (0, 0)
    anonymous = duckdb.sql(
        f"select count(*) from read_json('{land}/events/*/*.jsonl', format = 'newline_delimited') where user_id is null"
    ).fetchall()[0][0]
    assert anonymous > 0


def test_every_fault_says_what_it_did_even_when_it_finds_nothing_to_break(tmp_path) -> None:
    from opswh.simulate.faults import FAULTS, ORDER, inject

    out = inject(tmp_path, START, 1, ORDER)  # an empty landing folder: nothing to break
    assert {i["fault"] for i in out} == set(FAULTS)
    assert all(i["expect"] == "skipped" and i["detail"] for i in out)


@pytest.fixture(scope="module")
def feedback_landing(tmp_path_factory):
    """30 days at 800 registrations a day, with the app-crash incident on the last day."""
    return simulate(tmp_path_factory.mktemp("feedback"), days=30, scale=800, seed=11, faults=["incident_app_crash"])


def test_channels_differ_in_nps_and_unhappy_users_churn_more(feedback_landing) -> None:
    """The feedback behaviour the marts measure: the channel the simulator makes happiest has a higher
    NPS than the unhappiest; within each channel, a detractor is active on fewer of the 10 days
    after answering than other respondents (the channels differ in activity, so they are compared
    within a channel)."""
    land = feedback_landing.landing
    truth = json.loads((land / "_truth.json").read_text())["channels"]
    con = duckdb.connect()
    con.execute(f"""
        create view regs as select user_id, coalesce(first_touch_source, 'direct') as channel
            from read_json('{land}/registrations/*/*.jsonl');
        create view answers as select * from read_json('{land}/survey_responses/*/*.jsonl') where survey_type = 'nps';
        create view active_days as select distinct user_id, cast(event_at as date) as day
            from read_json('{land}/events/*/*.jsonl') where user_id is not null;
    """)
    nps = dict(
        con.execute("""select channel, 100.0 * (count(*) filter (where score >= 9) - count(*) filter (where score <= 6))
                       / count(*) from answers join regs using (user_id) group by channel""").fetchall()
    )
    happiest = max(truth, key=lambda c: truth[c]["nps_mean"])
    unhappiest = min(truth, key=lambda c: truth[c]["nps_mean"])
    assert nps[happiest] - nps[unhappiest] > 30, nps

    def stratified_gap(flagged_sql: str) -> float:
        """Active days of the flagged users against what the other users of their channel had: the
        flagged users' days / the days their channels' unflagged means predict, less 1."""
        ((actual, predicted),) = con.execute(f"""
            with base as ({flagged_sql}),
            activity as (
                select b.user_id, b.channel, b.flagged, count(a.day) as days
                from base as b left join active_days as a
                  on a.user_id = b.user_id and a.day > b.since and a.day <= b.since + 10
                group by all
            ),
            channels as (
                select channel, avg(days) filter (where not flagged) as unflagged, count(*) filter (where flagged) as n
                from activity group by channel having count(*) filter (where not flagged) >= 10
            )
            select sum(days), (select sum(unflagged * n) from channels)
            from activity join channels using (channel) where flagged""").fetchall()
        return actual / predicted - 1

    detractors = """select a.user_id, r.channel, cast(a.answered_at as date) as since, a.score <= 6 as flagged
        from answers as a join regs as r using (user_id) where cast(a.answered_at as date) <= date '2026-09-19'
        qualify row_number() over (partition by a.user_id order by a.answered_at) = 1"""
    assert stratified_gap(detractors) < -0.1  # the simulator makes it -30% (DETRACTOR_ACTIVITY)


def test_the_app_crash_incident_floods_support_with_one_category(feedback_landing) -> None:
    from datetime import timedelta

    land = feedback_landing.landing
    (incident,) = [i for i in json.loads((land / "_faults.json").read_text()) if i["fault"] == "incident_app_crash"]
    last = START + timedelta(days=29)
    assert incident["dt"] == str(last) and incident["monitors"] == ["support_tickets_spike:all"]

    def created(day) -> dict[str, int]:
        part = feedback_landing.partition("support_tickets", day)
        return dict(
            duckdb.execute(
                f"select category, count(*) from read_csv('{part}/*.csv') where status = 'created' group by all"
            ).fetchall()
        )

    on_day, day_before = created(last), created(last - timedelta(days=1))
    others = sum(n for c, n in on_day.items() if c != "app_bug")
    assert on_day["app_bug"] >= max(40, 5 * sum(day_before.values()) // 2) and on_day["app_bug"] > 3 * others
