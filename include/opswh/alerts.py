"""KPI alerts and failed-run notices, sent through Airflow's own notifiers.

Channels are configured, not coded: e-mail with ``alert_email_to`` (``SmtpNotifier`` of the SMTP
provider, on the Airflow connection ``alert_smtp_conn_id``) and a webhook with
``alert_webhook_conn_id`` / ``alert_webhook_endpoint`` (``HttpNotifier`` of the HTTP provider,
POSTing JSON). The connections hold the hosts and credentials and live where Airflow keeps
connections (``AIRFLOW_CONN_<ID>`` in the environment, a secrets backend, the UI): nothing secret is
in the repository or in ``opswh.json``.

- After publish, the run's ``notify`` task sends the KPI alerts (``fct_kpi_alerts``) of its days
  from the published snapshot, one message for all of them.
- A task that fails for good notifies with the run, the task, the days and the cause
  (``failure_notifiers``, the DAG's ``on_failure_callback``).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from opswh.config import Config
from opswh.days import DayRange

ALERT_COLUMNS = (
    "monitor",
    "date_day",
    "severity",
    "metric",
    "dimension_value",
    "value",
    "expected",
    "lower_bound",
    "upper_bound",
    "score",
    "rule_type",
)


def channels(cfg: Config) -> list[str]:
    """The configured channels, for messages and status."""
    return [*(["email"] if cfg.alert_email_to else []), *(["webhook"] if cfg.alert_webhook_conn_id else [])]


def notifiers(cfg: Config, subject: str, body_html: str, payload: dict[str, Any]) -> list:
    """One notifier per configured channel. Their fields are Jinja templates, rendered with the
    task's context when called (``{{ ti.task_id }}``, ``{{ exception }}`` ...)."""
    out = []
    if cfg.alert_email_to:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        out.append(
            SmtpNotifier(
                to=list(cfg.alert_email_to),
                from_email=cfg.alert_email_from,
                smtp_conn_id=cfg.alert_smtp_conn_id,
                subject=subject,
                html_content=body_html,
            )
        )
    if cfg.alert_webhook_conn_id:
        from airflow.providers.http.notifications.http import HttpNotifier

        out.append(
            HttpNotifier(
                http_conn_id=cfg.alert_webhook_conn_id,
                endpoint=cfg.alert_webhook_endpoint,
                method="POST",
                json=payload,
                headers={"Content-Type": "application/json"},
            )
        )
    return out


def failure_notifiers(cfg: Config) -> list:
    """The notifiers of a task that failed for good (the DAG's on_failure_callback)."""
    subject = "[opswh] run {{ dag_run.run_id }} failed: {{ ti.task_id }}"
    body = (
        "<p>Run <b>{{ dag_run.run_id }}</b> of {{ dag.dag_id }} failed at task <b>{{ ti.task_id }}</b> "
        "(try {{ ti.try_number }}).</p><p>Cause: <pre>{{ exception }}</pre></p>"
        "<p>Log: {{ ti.log_url }}</p>"
    )
    payload = {
        "kind": "run_failed",
        "dag_id": "{{ dag.dag_id }}",
        "run_id": "{{ dag_run.run_id }}",
        "task_id": "{{ ti.task_id }}",
        "cause": "{{ exception }}",
        "log_url": "{{ ti.log_url }}",
    }
    return notifiers(cfg, subject, body, payload)


def run_alerts(published: Path, days: DayRange) -> list[dict[str, Any]]:
    """The KPI alerts of the run's days in the published snapshot, critical first."""
    import duckdb

    with duckdb.connect(str(published), read_only=True) as con:
        cur = con.execute(
            f"select {', '.join(ALERT_COLUMNS)} from fct_kpi_alerts where date_day between ? and ? "
            "order by severity = 'critical' desc, date_day, monitor, dimension_value",
            [days.start, days.end],
        )
        return [dict(zip(ALERT_COLUMNS, row, strict=True)) for row in cur.fetchall()]


def _number(v: Any) -> str:
    return "" if v is None else f"{v:,.4g}" if isinstance(v, float) and abs(v) < 10 else f"{v:,.0f}"


def alert_message(alerts: list[dict[str, Any]], days: DayRange, run_id: str) -> tuple[str, str, dict]:
    """Subject, HTML body and JSON payload of one message for the run's alerts. Nothing in them is a
    template: every value is escaped, so an alert can never be read as Jinja."""
    critical = sum(a["severity"] == "critical" for a in alerts)
    subject = f"[opswh] {len(alerts)} KPI alert(s), {critical} critical, {days}"
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(_number(a[c]) if c in ('value', 'expected', 'lower_bound', 'upper_bound', 'score') else str(a[c]))}</td>"
            for c in ALERT_COLUMNS
        )
        + "</tr>"
        for a in alerts
    )
    header = "".join(f"<th>{c}</th>" for c in ALERT_COLUMNS)
    body = f"<p>Run {html.escape(run_id)}, days {days}:</p><table><tr>{header}</tr>{rows}</table>"
    payload = {
        "kind": "kpi_alerts",
        "run_id": run_id,
        "days": str(days),
        "alerts": [{c: (str(a[c]) if c == "date_day" else a[c]) for c in ALERT_COLUMNS} for a in alerts],
    }
    # Notifier fields are Jinja templates: keep braces in the data from being read as one.
    raw = lambda s: "{% raw %}" + s + "{% endraw %}"  # noqa: E731
    return raw(subject), raw(body), _raw_payload(payload, raw)


def _raw_payload(value: Any, raw) -> Any:
    if isinstance(value, dict):
        return {k: _raw_payload(v, raw) for k, v in value.items()}
    if isinstance(value, list):
        return [_raw_payload(v, raw) for v in value]
    return raw(value) if isinstance(value, str) and ("{" in value or "%" in value) else value


def send_kpi_alerts(cfg: Config, published: Path, days: DayRange, run_id: str, context: dict) -> dict[str, Any]:
    """Send the run's KPI alerts on every configured channel; what was sent."""
    alerts = run_alerts(published, days)
    sent = channels(cfg) if alerts else []
    if alerts:
        subject, body, payload = alert_message(alerts, days, run_id)
        for notifier in notifiers(cfg, subject, body, payload):
            notifier(context)
    return {
        "alerts": len(alerts),
        "critical": sum(a["severity"] == "critical" for a in alerts),
        "monitors": sorted({a["monitor"] for a in alerts}),
        "sent_to": sent,
    }
