"""The marts on a simulated platform: numbers against what the simulator knows to be true,
reconciliation with raw, and incremental runs that agree with a rebuild from scratch."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import duckdb
import pytest

from opswh import builds, contract
from opswh.days import DayRange
from opswh.dbt_runner import run_dbt
from opswh.ingest import load_partition
from opswh.paths import Paths
from opswh.pipeline import dbt_build
from opswh.publish import publish_snapshot
from tests.support import START, simulate

DAYS = 40
# Checked after the incremental run and again after a full refresh: every public mart, and the
# state spans the incremental state marts are derived from, must not differ.
COMPARED = ("marts", "intermediate.int_user_state_spans")


def _load(paths, days) -> None:
    with duckdb.connect(str(paths.warehouse)) as con:
        for day in days:
            for feed in contract.FEEDS:
                load_partition(con, paths, feed.name, day)


def _snapshot(paths) -> dict[str, list[tuple]]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        marts = con.execute(
            "select 'marts.' || table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'marts'"
        ).fetchall()
        tables = [t for (t,) in marts] + list(COMPARED[1:])
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    """40 days at 600 registrations a day: all but the last 3 days loaded and built, then each of
    the last 3 loaded and built incrementally as the daily DAG does (each build recorded, so the
    next rebuilds only the days its loads changed, and tests those days; every build runs the dbt
    tests, reconciliations included), then a full refresh to compare."""
    paths = simulate(tmp_path_factory.mktemp("marts"), days=DAYS, scale=600, seed=7)
    days = [START + timedelta(days=i) for i in range(DAYS)]
    _load(paths, days[:-3])
    run_dbt(paths, ["build"])  # with the unit tests, which the pipeline's builds leave to CI
    with duckdb.connect(str(paths.warehouse)) as con:
        builds.record(con, "history")
    for day in days[-3:]:
        _load(paths, [day])
        dbt_build(paths, DayRange(day, day), run_id=f"day {day}")
    incremental = _snapshot(paths)
    compiled = {"daily": _compiled_tests(paths)}
    run_dbt(paths, ["build", "--full-refresh"])
    compiled["full_refresh"] = _compiled_tests(paths)
    truth = json.loads((paths.landing / "_truth.json").read_text())
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    yield con, paths, truth, incremental, compiled
    con.close()


def _compiled_tests(paths) -> dict[str, str]:
    """The SQL each data test of the last build ran, by test name."""
    run = paths.dbt_target / "run" / "opswh"
    return {f.stem: f.read_text() for f in run.rglob("*.sql") if "models" in f.parts and f.parent.suffix == ".yml"}


def _whole_run_lift(con, campaign_id: str) -> tuple[bool, float | None]:
    has_holdout, treated, held = con.execute(
        """
        select bool_or(has_holdout),
               sum(treated_orders) / max(treated_users),
               sum(holdout_orders) / nullif(max(holdout_users), 0)
        from marts.fct_campaign_performance where campaign_id = ?""",
        [campaign_id],
    ).fetchall()[0]
    return has_holdout, (treated - held) / held if has_holdout else None


def _lift_standard_error(con, campaign_id: str) -> float:
    """The standard error of a campaign's lift in orders, from its 95% interval in fct_campaign_uplift."""
    low, high = con.execute(
        "select lift_ci_low, lift_ci_high from marts.fct_campaign_uplift where campaign_id = ? and metric = 'orders'",
        [campaign_id],
    ).fetchone()
    return (high - low) / 2 / 1.96


def test_campaign_lift_finds_the_simulated_effect_and_no_effect(marts) -> None:
    """The whole-run lift is within 3 standard errors of the simulated truth: +30% for the check-in
    campaign, none for the coupon. The holdouts are 10% of the users (a few hundred here), so a
    standard error is about 0.12 and a tighter band would fail for one seed in several."""
    con, _, truth, *_ = marts
    campaigns = truth["campaigns"]
    assert campaigns["CHK01"]["order_effect"] == 1.3 and campaigns["CPN01"]["order_effect"] == 1.0
    for campaign_id in ("CHK01", "CPN01"):
        has_holdout, lift = _whole_run_lift(con, campaign_id)
        se = _lift_standard_error(con, campaign_id)
        true_lift = campaigns[campaign_id]["order_effect"] - 1
        assert has_holdout and 0 < se < 0.2 and abs(lift - true_lift) <= 3 * se, (campaign_id, lift, se)
    has_holdout, lift = _whole_run_lift(con, "CNT01")
    assert not has_holdout and lift is None  # no holdout: no lift is claimed


def test_incremental_runs_agree_with_a_full_rebuild(marts) -> None:
    _, paths, _, incremental, _ = marts
    rebuilt = _snapshot(paths)
    assert len(incremental) > 20 and incremental.keys() == rebuilt.keys()
    for table in incremental:
        assert incremental[table] == rebuilt[table], table


def test_a_daily_build_tests_the_days_it_changed_and_a_full_refresh_tests_everything(marts) -> None:
    """A model with a day column is tested from the first day the build rebuilt; reconciliations
    with another relation, and every test of a full refresh, see whole tables."""
    *_, compiled = marts
    daily, full = compiled["daily"], compiled["full_refresh"]
    unique_events = next(name for name in daily if name.startswith("unique_stg_events__events_event_id"))
    assert "where event_date >= least(" in daily[unique_events] and "stg_loader__changes" in daily[unique_events]
    assert "event_date >=" not in full[unique_events]
    spend = next(name for name in daily if name.startswith("channel_daily_spend_reconciles"))
    assert "stg_loader__changes" not in daily[spend]
    assert not any("stg_loader__changes" in sql for sql in full.values())


def _newest_channel_day_changed(paths: Paths, tmp_path, assignments: str, where: str) -> tuple[Paths, int]:
    """A copy of the marts whose fct_channel_daily rows of the newest day (a day the build changed) that
    match ``where`` are updated by ``assignments``; returns the copy and the number of rows changed."""
    broken = Paths(tmp_path / "broken")
    broken.warehouse.parent.mkdir(parents=True)
    shutil.copy(paths.warehouse, broken.warehouse)
    with duckdb.connect(str(broken.warehouse)) as writer:
        (changed,) = writer.execute(
            f"update marts.fct_channel_daily set {assignments} "
            f"where date_day = (select max(date_day) from marts.fct_channel_daily) and {where}"
        ).fetchone()
    assert changed > 0
    return broken, changed


def test_a_null_where_a_value_is_required_fails_its_test_naming_the_column(marts, tmp_path) -> None:
    """A model's required columns are checked by one not_null_columns test: NULLs in campaign_id on
    the newest day of fct_channel_daily (a day the build changed) fail it, and its rows name that
    column and count its NULLs; the columns that hold values are not reported."""
    con, paths, *_ = marts
    broken, nulled = _newest_channel_day_changed(paths, tmp_path, "campaign_id = null", "true")
    result = run_dbt(broken, ["test", "--select", "fct_channel_daily,test_name:not_null_columns"], check=False)
    assert not result.success and len(result.failures) == 1
    assert "not_null_columns_fct_channel_daily" in result.failures[0] and "Got 1 result" in result.failures[0]
    (compiled,) = (broken.dbt_target / "compiled").rglob("not_null_columns_fct_channel_d*.sql")  # long names are hashed
    with duckdb.connect(str(broken.warehouse), read_only=True) as reader:
        assert reader.execute(compiled.read_text()).fetchall() == [("campaign_id", nulled)]
    assert con.execute(compiled.read_text()).fetchall() == []  # the same test on the intact marts


def test_broken_ratios_and_ranges_fail_their_model_tests_naming_the_columns(marts, tmp_path) -> None:
    """A model's ratio columns are one ratio_columns test and its bounded columns one range_columns test:
    on the newest day of fct_channel_daily, a CTR pushed above 1 breaks its ratio and its range, a CPC
    removed where there were clicks breaks its ratio; the rows name those columns with their counts."""
    con, paths, *_ = marts
    broken, changed = _newest_channel_day_changed(paths, tmp_path, "ctr = ctr + 1, cpc = null", "clicks > 0")
    result = run_dbt(
        broken,
        ["test", "--select", "fct_channel_daily,test_name:ratio_columns fct_channel_daily,test_name:range_columns"],
        check=False,
    )
    assert not result.success and len(result.failures) == 2, result.failures
    for test, expected in (
        ("ratio_columns_fct_channel_daily", [("ctr", changed), ("cpc", changed)]),
        ("range_columns_fct_channel_daily", [("ctr", changed)]),
    ):
        (compiled,) = (broken.dbt_target / "compiled").rglob(f"{test[:24]}*.sql")  # long names are hashed
        with duckdb.connect(str(broken.warehouse), read_only=True) as reader:
            assert sorted(reader.execute(compiled.read_text()).fetchall()) == sorted(expected), test
        assert con.execute(compiled.read_text()).fetchall() == []  # the same test on the intact marts


def test_channel_spend_reconciles_with_the_latest_raw_delivery(marts) -> None:
    con, *_ = marts
    gaps = con.execute(
        """
        with raw_latest as (
            select stat_date, spend * case currency when 'USD' then 7.10 else 1 end as spend
            from raw.ad_spend
            qualify row_number() over (
                partition by stat_date, channel, account_id, campaign_id order by _dt desc, _file desc, _line desc) = 1
        )
        select count(*) from (
            select stat_date, sum(spend) as spend from raw_latest group by stat_date
        ) as r
        full outer join (select date_day, sum(spend) as spend from marts.fct_channel_daily group by date_day) as m
            on r.stat_date = m.date_day
        where abs(coalesce(r.spend, 0) - coalesce(m.spend, 0)) > 0.5"""
    ).fetchall()[0][0]
    assert gaps == 0


def test_every_real_user_is_attributed_to_exactly_one_channel(marts) -> None:
    con, *_ = marts
    raw_users = con.execute(
        """select count(distinct user_id) from raw.registrations
           where not is_test and user_id not in (select user_id from raw.profile_updates where is_test)"""
    ).fetchall()[0][0]
    users, by_channel, direct = con.execute(
        """select (select count(*) from marts.fct_user_attribution),
                  (select sum(registrations) from marts.fct_channel_daily),
                  (select sum(registrations) from marts.fct_channel_daily where channel = 'direct')"""
    ).fetchall()[0]
    assert users == by_channel == raw_users
    assert 0.05 * users < direct < 0.15 * users  # the simulator sends 10% of users with no touch


def test_kpi_page_matches_the_marts_it_summarises(marts) -> None:
    con, *_ = marts
    rows = con.execute(
        """
        select count(*) from marts.fct_kpi_daily as k
        inner join marts.fct_active_users_daily as a on a.date_day = k.date_day and a.platform = 'all'
        inner join marts.fct_revenue_daily as r on r.date_day = k.date_day and r.is_day_total
        where k.dau != a.dau or k.gmv != r.gmv or k.platform_revenue != r.platform_revenue
           or k.dau_week_ago is distinct from (
               select dau from marts.fct_kpi_daily as w where w.date_day = k.date_day - 7)"""
    ).fetchall()[0][0]
    assert rows == 0
    assert con.execute("select count(*) from marts.fct_kpi_daily").fetchall()[0][0] == DAYS


def test_report_reads_the_published_marts(marts, monkeypatch) -> None:
    from typer.testing import CliRunner

    from opswh.cli import app

    con, paths, *_ = marts
    con.close()  # publishing reads the warehouse; this is the module's last test
    publish_snapshot(paths, START + timedelta(days=DAYS - 1), "test")
    monkeypatch.setenv("OPSWH_DATA_DIR", str(paths.root))
    out = CliRunner().invoke(app, ["report"])
    assert out.exit_code == 0, out.output
    for text in ("KPIs (CNY)", "sem_baidu", "direct", "CHK01", "no holdout", "Audiences today", "dormant_buyers"):
        assert text in out.output
    with duckdb.connect(str(paths.published), read_only=True) as snap:
        (week, nps) = snap.execute(
            "select period_start, (sum(promoters) - sum(detractors)) * 100.0 / sum(nps_respondents) "
            "from fct_feedback_periodic where period = 'week' group by 1 order by 1 desc limit 1"
        ).fetchone()
    feedback = out.output[out.output.index("User feedback and support") :]
    assert f"{week}" in feedback and f"{nps:+.1f}" in feedback


# The feedback feeds as staging should read them, recomputed from raw: the latest delivery of each
# record, dated in the reporting time zone (Asia/Shanghai, the default), real users only.
_LOCAL = "cast(timezone('Asia/Shanghai', {} at time zone 'UTC') as date)"
_RESPONSES = f"""select user_id, survey_type, score, answered_at, {_LOCAL.format("answered_at")} as answered_date
    from raw.survey_responses where user_id in (select user_id from marts.dim_users)
    qualify row_number() over (partition by response_id order by _dt desc, _file desc, _line desc) = 1"""
_TICKET_CHANGES = f"""select ticket_id, user_id, status, category, satisfaction, created_at, changed_at,
        {_LOCAL.format("created_at")} as created_date, {_LOCAL.format("changed_at")} as changed_date
    from raw.support_tickets where user_id in (select user_id from marts.dim_users)
    qualify row_number() over (partition by ticket_id, changed_at order by _dt desc, _file desc, _line desc) = 1"""
# Each user's latest NPS answer and tickets open at the end of $day.
_LATEST_NPS = f"""select user_id, arg_max(score, answered_at) as latest_nps_score from ({_RESPONSES})
    where survey_type = 'nps' and answered_date <= $day group by user_id"""
_OPEN_TICKETS = f"""select user_id, count(*) as open_tickets from (
        select ticket_id, any_value(user_id) as user_id, arg_max(status, changed_at) as status
        from ({_TICKET_CHANGES}) where changed_date <= $day group by ticket_id
    ) where status != 'resolved' group by user_id"""


def _members_recomputed(con, predicate: str, day) -> set[str]:
    """An audience's members on ``day``, recomputed without its marts: each real user's state that day
    (state spans), last active day (activity), the latest Sunday's RFM snapshot, channel, the latest
    NPS answer and the tickets open (from raw)."""
    rows = con.execute(
        f"""
        with users as (
            select user_id, channel, platform, region, registered_date from marts.dim_users where registered_date <= $day
        ), states as (
            select user_id, user_state from intermediate.int_user_state_spans
            where valid_from <= $day and (valid_to is null or valid_to >= $day)
        ), last_active as (
            select a.user_id, max(a.activity_date) as last_active_date
            from intermediate.int_user_activity_daily as a join users as u using (user_id)
            where a.activity_date between u.registered_date and $day group by a.user_id
        ), rfm as (
            select * from marts.fct_rfm_weekly where snapshot_date = $day - cast(dayofweek($day) as integer)
        ), nps as ({_LATEST_NPS}
        ), tickets as ({_OPEN_TICKETS}
        ), profile as (
            select u.*, c.channel_type, c.channel_group, s.user_state, l.last_active_date,
                   coalesce(r.rfm_segment, 'no_orders') as rfm_segment, coalesce(r.value_tier, 'none') as value_tier,
                   coalesce(r.orders, 0) as orders, coalesce(r.net_spend, 0) as net_spend,
                   n.latest_nps_score, coalesce(t.open_tickets, 0) as open_tickets
            from users as u join states as s using (user_id) left join last_active as l using (user_id)
            left join rfm as r using (user_id) left join marts.dim_channels as c on u.channel = c.channel
            left join nps as n using (user_id) left join tickets as t using (user_id)
        )
        select user_id from profile where ({predicate})""",
        {"day": day},
    ).fetchall()
    return {u for (u,) in rows}


def test_feedback_marts_match_a_recount_from_raw(marts) -> None:
    """NPS and CSAT per week and slice, the support day (created, backlog, times, reopens, ratings),
    the weekly categories and dim_users' feedback columns, each recounted from the raw feeds."""
    import numpy as np

    _, paths, *_ = marts
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    recount = con.execute(
        f"""
        with latest as (
            select r.*, cast(date_trunc('week', r.answered_date) as date) as period_start,
                   row_number() over (partition by r.user_id, r.survey_type, date_trunc('week', r.answered_date)
                                      order by r.answered_at desc) as k
            from ({_RESPONSES}) as r
        )
        select l.period_start, u.channel, u.platform, coalesce(s.user_state, 'unknown'),
               count(*) filter (where survey_type = 'nps'), count(*) filter (where survey_type = 'nps' and score >= 9),
               count(*) filter (where survey_type = 'nps' and score between 7 and 8),
               count(*) filter (where survey_type = 'nps' and score <= 6),
               count(*) filter (where survey_type = 'csat'), count(*) filter (where survey_type = 'csat' and score >= 4)
        from latest as l join marts.dim_users as u using (user_id)
        left join intermediate.int_user_state_spans as s
            on s.user_id = l.user_id and l.answered_date between s.valid_from and coalesce(s.valid_to, l.answered_date)
        where l.k = 1 group by all order by all"""
    ).fetchall()
    mart = con.execute(
        """select period_start, channel, platform, user_state, nps_respondents, promoters, passives, detractors,
                  csat_ratings, csat_satisfied from marts.fct_feedback_periodic where period = 'week' order by all"""
    ).fetchall()
    assert mart == recount and sum(r[4] for r in mart) > 100
    wrong_nps = con.execute(
        "select count(*) from marts.fct_feedback_periodic where nps_respondents > 0 "
        "and abs(nps - (promoters - detractors) * 100.0 / nps_respondents) > 1e-9"
    ).fetchall()[0][0]
    assert wrong_nps == 0

    changes = con.execute(f"select * from ({_TICKET_CHANGES})").df()
    support = con.execute("select * from marts.fct_support_daily order by date_day").df().set_index("date_day")
    created = changes.groupby("ticket_id").created_date.min().value_counts()
    first_response = changes[changes.status == "first_response"].groupby("ticket_id").changed_at.min()
    for day, row in support.iterrows():
        assert row.tickets_created == created.get(day, 0), day
        last = changes[changes.changed_date <= day].sort_values("changed_at").groupby("ticket_id").status.last()
        assert row.backlog == (last != "resolved").sum(), day
        resolved = changes[(changes.status == "resolved") & (changes.changed_date == day)]
        resolved = resolved.sort_values("changed_at").groupby("ticket_id").last()
        assert row.tickets_resolved == len(resolved), day
        if len(resolved):
            hours = (resolved.changed_at - resolved.created_at).dt.total_seconds() / 3600
            assert row.resolution_hours_median == pytest.approx(np.median(hours), rel=1e-12), day
            assert row.resolution_hours_p90 == pytest.approx(np.percentile(hours, 90), rel=1e-12), day
            answered = (first_response.reindex(resolved.index) - resolved.created_at).dropna().dt.total_seconds() / 3600
            assert row.first_response_hours_median == pytest.approx(np.median(answered), rel=1e-12), day
            reopened = ((changes.status == "reopened") & (changes.changed_date == day)).sum()
            assert row.reopen_rate == pytest.approx(reopened / len(resolved), rel=1e-12), day
        ratings = changes[(changes.status == "resolved") & (changes.changed_date == day)].satisfaction.dropna()
        assert row.satisfaction_ratings == len(ratings) and row.satisfied_ratings == (ratings >= 4).sum(), day
    assert support.tickets_created.sum() > 100 and support.backlog.max() > 0

    weekly = con.execute(
        "select week_start, sum(tickets_created) from marts.fct_support_categories_weekly group by 1 order by 1"
    ).fetchall()
    by_week = con.execute(
        "select date_trunc('week', date_day)::date, sum(tickets_created) from marts.fct_support_daily "
        "group by 1 having sum(tickets_created) > 0 order by 1"
    ).fetchall()
    assert [w for w in weekly if w[1]] == by_week

    as_of = con.execute("select max(snapshot_date) from marts.dim_users").fetchall()[0][0]
    users = con.execute(
        f"""
        with nps as ({_LATEST_NPS}), open as ({_OPEN_TICKETS})
        select count(*) filter (where u.latest_nps_score is distinct from nps.latest_nps_score),
               count(*) filter (where u.open_tickets != coalesce(open.open_tickets, 0)),
               count(nps.latest_nps_score), sum(open.open_tickets)
        from marts.dim_users as u left join nps using (user_id) left join open using (user_id)""",
        {"day": as_of},
    ).fetchall()[0]
    con.close()
    assert users[:2] == (0, 0) and users[2] > 100 and users[3] > 0, users


def test_audience_history_is_each_days_predicate_on_that_days_user_states(marts) -> None:
    """Every shipped audience's members on a day, by fct_audience_membership and by the daily counts,
    are the users the predicate selects on that day's independently rebuilt user profile."""
    from opswh import audiences

    _, paths, *_ = marts  # a connection of its own: the report test closes the fixture's
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    days = [START + timedelta(days=DAYS - 1 - back) for back in (0, 1, 6, 15, 30)]
    sizes = {}
    for a in audiences.load(paths.root):
        for day in days:
            expected = _members_recomputed(con, a.predicate, day)
            members = {
                u
                for (u,) in con.execute(
                    "select user_id from marts.fct_audience_membership where audience = $a and entered_date <= $day "
                    "and (exited_date is null or exited_date > $day)",
                    {"a": a.name, "day": day},
                ).fetchall()
            }
            assert members == expected, (a.name, day, len(members ^ expected))
            daily = con.execute(
                "select members from marts.fct_audience_daily where audience = $a and date_day = $day",
                {"a": a.name, "day": day},
            ).fetchall()
            assert daily == [(len(expected),)], (a.name, day)
            sizes[a.name, day] = len(expected)
    assert sum(1 for n in sizes.values() if n > 0) >= len(sizes) // 2, sizes  # most are not empty sets
    today = con.execute("select audience, members from marts.dim_audiences").fetchall()
    con.close()
    assert dict(today) == {a: n for (a, d), n in sizes.items() if d == days[0]}


def test_audience_export_writes_the_published_members_of_the_snapshots_day(marts, monkeypatch, tmp_path) -> None:
    """`opswh audience export` writes, named by the snapshot's day, exactly the users the audience's
    predicate selects on the published profile spans of that day; no test account is among them."""
    import pyarrow.csv
    import pyarrow.parquet
    from typer.testing import CliRunner

    from opswh import audiences
    from opswh.cli import app

    con, paths, *_ = marts
    con.close()  # publishing reads the warehouse
    as_of = START + timedelta(days=DAYS - 1)
    publish_snapshot(paths, as_of, "test")
    with duckdb.connect(str(paths.warehouse), read_only=True) as wh:
        test_accounts = {u for (u,) in wh.execute("select user_id from raw.registrations where is_test").fetchall()}
    assert test_accounts
    monkeypatch.setenv("OPSWH_DATA_DIR", str(paths.root))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(app, ["audience", "list"])
    assert listed.exit_code == 0, listed.output
    for a in audiences.load(paths.root):
        assert a.name in listed.output
        with duckdb.connect(str(paths.published), read_only=True) as snap:
            expected = {
                u
                for (u,) in snap.execute(
                    f"select user_id from fct_user_profile_spans where valid_to is null and ({a.predicate})"
                ).fetchall()
            }
        out = runner.invoke(app, ["audience", "export", a.name])
        assert out.exit_code == 0, out.output
        written = pyarrow.csv.read_csv(tmp_path / f"{a.name}_{as_of}.csv").to_pylist()
        assert {r["user_id"] for r in written} == expected and len(written) == len(expected)
        assert {r["snapshot_date"] for r in written} <= {as_of}
        assert not expected & test_accounts
        out = runner.invoke(app, ["audience", "export", a.name, "--format", "parquet", "--out", "lists/a.parquet"])
        assert out.exit_code == 0, out.output
        assert pyarrow.parquet.read_table(tmp_path / "lists" / "a.parquet").column("user_id").to_pylist() == sorted(
            expected
        )
    shown = runner.invoke(app, ["audience", "show", "dormant_buyers"])
    assert shown.exit_code == 0 and "user_state = 'dormant' and orders > 0" in shown.output, shown.output
    missing = runner.invoke(app, ["audience", "show", "no_such_audience"])
    assert missing.exit_code == 1 and "dormant_buyers" in missing.output
