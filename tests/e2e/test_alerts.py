"""KPI monitors and their alerts, end to end: the incidents the simulator injects (a channel's
traffic collapses, an app crash floods support with tickets) raise exactly the alerts they declare, in the run of its day (Airflow's dag.test), sent through Airflow's SMTP and HTTP
notifiers to a real SMTP server and a real HTTP server on loopback; the clean days before raise no
critical alert."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import duckdb
import pytest

from opswh.config import REPO_ROOT

DAYS = 36  # 28 days of history for the seasonal rules, a week of clean days checked, the incident day


@pytest.mark.e2e
def test_an_incident_raises_exactly_its_alerts_by_email_and_webhook(tmp_path) -> None:
    from opswh import config
    from opswh.airflow import services
    from opswh.airflow.environment import airflow_env
    from tests.servers import alert_env, mail_text, smtp_receiver, webhook_receiver
    from tests.support import START, publish_days, simulate

    paths = simulate(tmp_path, days=DAYS, scale="small", faults=["incident_channel_outage", "incident_app_crash"])
    incidents = {
        i["fault"]: i for i in json.loads((paths.landing / "_faults.json").read_text()) if i["expect"] == "alerts"
    }
    last = START + timedelta(days=DAYS - 1)
    assert set(incidents) == {"incident_channel_outage", "incident_app_crash"}
    assert all(i["dt"] == str(last) and i["monitors"] for i in incidents.values())
    expected = {m for i in incidents.values() for m in i["monitors"]}
    publish_days(paths, START, last - timedelta(days=1), run_id="history")  # the clean days, without Airflow

    cfg = config.load(paths.root)
    services.migrate(cfg)
    with smtp_receiver() as smtp, webhook_receiver() as webhook:
        env = {**airflow_env(cfg), "OPSWH_DATA_DIR": str(paths.root), **alert_env(smtp, webhook)}
        r = subprocess.run(
            [sys.executable, str(REPO_ROOT / "tests" / "scripts" / "run_days.py"), str(REPO_ROOT / "dags"), str(last)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert f"STATE {last} success" in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]

    with duckdb.connect(str(paths.published), read_only=True) as con:
        raised = {
            f"{m}:{d}"
            for m, d in con.execute(
                "select monitor, dimension_value from fct_kpi_alerts where date_day = ?", [last]
            ).fetchall()
        }
        clean_critical = con.execute(
            "select monitor, dimension_value, date_day from fct_kpi_alerts where date_day < ? and severity = 'critical'",
            [last],
        ).fetchall()
        checked = con.execute(
            "select count(distinct date_day) from fct_kpi_monitor_checks where status in ('ok', 'alert') and date_day < ?",
            [last],
        ).fetchone()[0]
    assert raised == expected, (raised, incidents)
    assert clean_critical == [] and checked >= 7, (clean_critical, checked)

    channel = incidents["incident_channel_outage"]["monitors"][0].split(":", 1)[1]
    (mail,) = smtp.items
    assert mail["To"] == "ops@example.com" and "KPI alert" in mail["Subject"] and "1 critical" in mail["Subject"]
    body = mail_text(mail)
    assert "channel_registrations_drop" in body and channel in body and "support_tickets_spike" in body
    (post,) = webhook.items
    assert post["path"] == "/opswh/alerts" and post["json"]["kind"] == "kpi_alerts"
    alerts = {f"{a['monitor']}:{a['dimension_value']}": a for a in post["json"]["alerts"]}
    assert set(alerts) == expected
    drop, spike = alerts[f"channel_registrations_drop:{channel}"], alerts["support_tickets_spike:all"]
    assert drop["value"] < drop["lower_bound"] and spike["value"] > spike["upper_bound"]
