"""The summary tables `opswh report` and `opswh demo` print, read from the published marts.

Every figure comes from a mart (the KPI page from ``fct_kpi_daily``, channels from
``fct_channel_daily``, campaigns from ``fct_campaign_performance``, feedback from
``fct_feedback_periodic`` and ``fct_support_daily``, audiences from ``fct_audience_daily``); ratios over several rows
are recomputed from the marts' additive columns, never averaged.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
from rich import box
from rich.table import Table

KPI_SQL = """
select date_day, new_users, dau, dau_week_ago, orders, gmv, platform_revenue, spend, cac,
       roas_d7, retention_d1
from fct_kpi_daily order by date_day desc limit ?
"""

# Spend and registrations of the whole period; ROAS D7 over the cohorts whose 7 days are complete.
CHANNEL_SQL = """
select
    c.channel,
    d.channel_group,
    sum(c.spend) as spend,
    sum(c.registrations) as registrations,
    sum(c.new_paying_users) as new_paying_users,
    sum(c.spend) / nullif(sum(c.new_paying_users), 0) as cac,
    sum(c.revenue_d7) filter (where c.is_d7_complete)
        / nullif(sum(c.spend) filter (where c.is_d7_complete), 0) as roas_d7
from fct_channel_daily as c
inner join dim_channels as d on c.channel = d.channel
group by c.channel, d.channel_group
order by spend desc, registrations desc
"""

# Whole-run lift: additive columns summed over the days, divided by the (fixed) group sizes.
CAMPAIGN_SQL = """
select
    campaign_id,
    bool_or(has_holdout) as has_holdout,
    max(treated_users) as treated_users,
    max(holdout_users) as holdout_users,
    sum(treated_orders) / nullif(max(treated_users), 0) as orders_per_treated_user,
    sum(holdout_orders) / nullif(max(holdout_users), 0) as orders_per_holdout_user,
    sum(cost) as cost
from fct_campaign_performance
group by campaign_id
order by campaign_id
"""


def _money(v: Decimal | float | None, decimals: int = 2) -> str:
    return "-" if v is None else f"{v:,.{decimals}f}"


def _ratio(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:.1%}" if pct else f"{v:.2f}"


def _change(now: int | None, before: int | None) -> str:
    if not now or not before:
        return ""
    return f" ({(now - before) / before:+.0%})"


def kpi_table(con: duckdb.DuckDBPyConnection, currency: str, days: int = 7) -> Table:
    """The last ``days`` rows of the KPI page (amounts in ``currency``, the reporting currency), DAU with
    its week-over-week change."""
    rows = con.execute(KPI_SQL, [days]).fetchall()
    t = Table(
        "day",
        "new users",
        "DAU (wow)",
        "orders",
        "GMV",
        "platform rev.",
        "spend",
        "CAC",
        "ROAS D7",
        "D1 ret.",
        title=f"KPIs ({currency})",
        box=box.SIMPLE_HEAD,
    )
    for column in t.columns:
        column.no_wrap = True
    for r in reversed(rows):
        day, new, dau, dau_before, orders, gmv, platform, spend, cac, roas, d1 = r
        t.add_row(
            str(day),
            f"{new:,}",
            f"{dau:,}{_change(dau, dau_before)}",
            f"{orders:,}",
            _money(gmv, 0),
            _money(platform, 0),
            _money(spend, 0),
            _money(cac),
            _ratio(roas),
            _ratio(d1, pct=True),
        )
    return t


def channel_table(con: duckdb.DuckDBPyConnection) -> Table:
    """Spend, CAC and ROAS D7 by channel over the whole period, direct and organic included."""
    t = Table(
        "channel",
        "group",
        "spend",
        "registrations",
        "new payers",
        "CAC",
        "ROAS D7",
        title="Channels (first touch)",
        box=box.SIMPLE_HEAD,
    )
    for channel, group, spend, regs, payers, cac, roas in con.execute(CHANNEL_SQL).fetchall():
        t.add_row(channel, group, _money(spend), f"{regs:,}", f"{payers:,}", _money(cac), _ratio(roas))
    return t


def campaign_table(con: duckdb.DuckDBPyConnection) -> Table:
    """Each campaign's orders per treated and per held-out user over its run, and the lift."""
    t = Table(
        "campaign",
        "treated",
        "held out",
        "orders/treated",
        "orders/held out",
        "lift",
        "cost",
        title="Campaigns",
        box=box.SIMPLE_HEAD,
    )
    rows = con.execute(CAMPAIGN_SQL).fetchall()
    if not rows:
        available = con.execute("select bool_and(is_available) from dim_feeds where feed = 'campaigns'").fetchone()[0]
        t.caption = (
            "no campaigns in the period" if available else "not available: this deployment has no campaigns feed"
        )
    for cid, has_holdout, treated, held, per_treated, per_held, cost in rows:
        lift = (per_treated - per_held) / per_held if has_holdout and per_held else None
        t.add_row(
            cid,
            f"{treated:,}",
            f"{held:,}" if has_holdout else "no holdout",
            _ratio(per_treated),
            _ratio(per_held) if has_holdout else "-",
            f"{lift:+.1%}" if lift is not None else "-",
            _money(cost),
        )
    return t


# NPS and CSAT of the last weeks from the additive counts; support over the same weeks (each week's
# tickets per 1,000 DAU as the ratio of its sums, the backlog at the week's last day).
FEEDBACK_SQL = """
with nps as (
    select
        period_start as week_start,
        sum(nps_respondents) as respondents,
        (sum(promoters) - sum(detractors)) * 100.0 / nullif(sum(nps_respondents), 0) as nps,
        sum(csat_satisfied) / nullif(sum(csat_ratings), 0) as csat
    from fct_feedback_periodic
    where period = 'week'
    group by period_start
),
support as (
    select
        cast(date_trunc('week', date_day) as date) as week_start,
        sum(tickets_created) as tickets,
        sum(tickets_created) * 1000.0 / nullif(sum(dau), 0) as per_1000_dau,
        arg_max(backlog, date_day) as backlog,
        sum(tickets_reopened) / nullif(sum(tickets_resolved), 0) as reopen_rate,
        sum(satisfied_ratings) / nullif(sum(satisfaction_ratings), 0) as satisfaction
    from fct_support_daily
    group by 1
)
select week_start, nps.respondents, nps.nps, nps.csat, support.tickets, support.per_1000_dau, support.backlog,
       support.reopen_rate, support.satisfaction
from nps full join support using (week_start)
order by week_start desc limit ?
"""


def feedback_table(con: duckdb.DuckDBPyConnection, weeks: int = 4) -> Table:
    """NPS, CSAT and the support load of the last ``weeks`` weeks (the newest may still be running)."""
    t = Table(
        "week of",
        "NPS answers",
        "NPS",
        "CSAT",
        "tickets",
        "per 1k DAU",
        "backlog",
        "reopened",
        "satisfaction",
        title="User feedback and support",
        box=box.SIMPLE_HEAD,
    )
    rows = con.execute(FEEDBACK_SQL, [weeks]).fetchall()
    if not rows:
        t.caption = "no survey answers or tickets (feeds survey_responses, support_tickets)"
    for week, answers, nps, csat, tickets, per_dau, backlog, reopen, satisfaction in reversed(rows):
        t.add_row(
            str(week),
            "-" if answers is None else f"{answers:,}",
            "-" if nps is None else f"{nps:+.1f}",
            _ratio(csat, pct=True),
            "-" if tickets is None else f"{tickets:,}",
            _ratio(per_dau),
            "-" if backlog is None else f"{backlog:,}",
            _ratio(reopen, pct=True),
            _ratio(satisfaction, pct=True),
        )
    return t


AUDIENCE_SQL = """
select d.audience, d.members, d.entered, d.exited, a.description
from fct_audience_daily as d
inner join dim_audiences as a on d.audience = a.audience and d.date_day = a.snapshot_date
order by d.audience
"""


def audience_table(con: duckdb.DuckDBPyConnection) -> Table:
    """Each audience's members on the snapshot's day, and who entered and exited that day."""
    t = Table("audience", "members", "entered", "exited", "for", title="Audiences today", box=box.SIMPLE_HEAD)
    rows = con.execute(AUDIENCE_SQL).fetchall()
    if not rows:
        t.caption = "no audiences defined (operations/audiences.yml)"
    for name, members, entered, exited, description in rows:
        t.add_row(name, f"{members:,}", f"{entered:,}", f"{exited:,}", description)
    return t
