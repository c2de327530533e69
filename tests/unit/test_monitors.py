"""KPI monitor definitions and the alert message: the shipped file, a team's additions, and monitors
that cannot be used."""

from __future__ import annotations

import pytest

from opswh import monitors
from opswh.monitors import MonitorError


def _team(root, text: str) -> None:
    (root / "operations").mkdir(exist_ok=True)
    (root / "operations" / "monitors.yml").write_text(text, encoding="utf-8")


def test_the_shipped_monitors_are_valid_and_each_rule_asks_for_the_history_it_needs(tmp_path) -> None:
    shipped = {m.name: m for m in monitors.load(tmp_path)}
    assert shipped["dau_drop"].history_days == 28 and shipped["orders_outlier"].history_days == 14
    assert shipped["no_orders"].history_days == 0
    assert shipped["channel_registrations_drop"].dimension == "channel"


def test_a_team_file_adds_a_monitor_and_replaces_one_by_name(tmp_path) -> None:
    _team(
        tmp_path,
        """monitors:
  - {name: dau_drop, metric: dau, severity: warning, rule: {type: seasonal, max_drop: 0.2}, history_days: 35}
  - {name: spend_by_channel, metric: spend, table: fct_channel_daily, dimension: channel, severity: warning,
     rule: {type: robust_z, days: 7}}
""",
    )
    by_name = {m.name: m for m in monitors.load(tmp_path)}
    assert by_name["dau_drop"].severity == "warning" and by_name["dau_drop"].history_days == 35
    assert by_name["spend_by_channel"].rule == {"type": "robust_z", "days": 7, "threshold": 3.5}
    assert "gmv_drop" in by_name


@pytest.mark.parametrize(
    ("monitor", "says"),
    [
        (
            "{name: m, metric: daus, severity: critical, rule: {type: bound, min: 1}}",
            "not a numeric column of fct_kpi_daily",
        ),
        ("{name: m, metric: dau, severity: urgent, rule: {type: bound, min: 1}}", "severity 'urgent'"),
        (
            "{name: m, metric: dau, severity: critical, rule: {type: trend}}",
            "expected {type: seasonal | robust_z | bound",
        ),
        ("{name: m, metric: dau, severity: critical, rule: {type: seasonal}}", "needs max_drop or max_rise"),
        ("{name: m, metric: dau, severity: critical, rule: {type: seasonal, max_drop: 1.5}}", "must be below 1"),
        ("{name: m, metric: dau, severity: critical, rule: {type: robust_z, days: 2}}", "days >= 5"),
        ("{name: m, metric: dau, severity: critical, rule: {type: robust_z}}", "days required"),
        ("{name: m, metric: dau, severity: critical, rule: {type: bound, min: 5, max: 1}}", "above max"),
        (
            "{name: m, metric: dau, dimension: channel, severity: critical, rule: {type: bound, min: 1}}",
            "dimension 'channel'",
        ),
        ("{name: m, metric: dau, severity: critical, rule: {type: seasonal, max_drop: 0.3}, history_days: 7}", ">= 28"),
        (
            "{name: m, metric: dau, table: fct_orders, severity: critical, rule: {type: bound, min: 1}}",
            "table 'fct_orders'",
        ),
    ],
)
def test_a_monitor_that_cannot_be_used_fails_with_its_name_and_file(tmp_path, monitor, says) -> None:
    _team(tmp_path, f"monitors:\n  - {monitor}\n")
    with pytest.raises(MonitorError) as e:
        monitors.load(tmp_path)
    assert says in str(e.value) and "monitors.yml" in str(e.value), str(e.value)


def test_the_alert_message_escapes_its_values_and_no_value_is_read_as_a_template() -> None:
    from datetime import date

    from jinja2 import Environment

    from opswh.alerts import alert_message
    from opswh.days import DayRange

    alert = {
        "monitor": "channel_registrations_drop",
        "date_day": date(2026, 10, 5),
        "severity": "critical",
        "metric": "registrations",
        "dimension_value": "<b>{{ 7 * 7 }}</b>",
        "value": 0.0,
        "expected": 31.0,
        "lower_bound": 6.2,
        "upper_bound": None,
        "score": -1.0,
        "rule_type": "seasonal",
    }
    subject, body, payload = alert_message([alert], DayRange(date(2026, 10, 5), date(2026, 10, 5)), "run-1")
    render = lambda s: Environment().from_string(s).render()  # noqa: E731  (what a notifier does to its fields)
    assert "1 KPI alert(s), 1 critical" in render(subject)
    assert "&lt;b&gt;{{ 7 * 7 }}&lt;/b&gt;" in render(body) and "49" not in render(body)
    assert render(payload["alerts"][0]["dimension_value"]) == "<b>{{ 7 * 7 }}</b>"
    assert payload["alerts"][0]["value"] == 0.0 and payload["alerts"][0]["date_day"] == "2026-10-05"
