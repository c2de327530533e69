"""Runs of ``platform_ops_daily``: triggering reporting days, and what a failed run says."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from opswh.airflow.api import Airflow, RunState
from opswh.days import date_range


def run_after(end: date, tz: str) -> datetime:
    """When a run of the days up to ``end`` may start: the end of that reporting day. The scheduler
    takes queued runs by run_after, so a history range starts before the runs of later days."""
    return (datetime(end.year, end.month, end.day, tzinfo=ZoneInfo(tz)) + timedelta(days=1)).astimezone(UTC)


def trigger_ranges(airflow: Airflow, ranges: list[tuple[date, date]], full_refresh: bool = False) -> list[str]:
    """One manual run per (start, end), queued in that order; with ``full_refresh``, the first run's dbt
    build rebuilds every model from scratch."""
    stamp = int(time.time())
    out = []
    for i, (start, end) in enumerate(ranges):
        kind = "range" if start != end else "day"
        run_id = f"opswh_{kind}__{start}" + (f"_{end}" if start != end else "") + f"__{stamp}"
        conf = {"start": str(start), "end": str(end), **({"full_refresh": True} if full_refresh and i == 0 else {})}
        out.append(airflow.trigger(run_id, conf, run_after(end, airflow.cfg.reporting_tz)))
    return out


def trigger_range(airflow: Airflow, start: date, end: date, full_refresh: bool = False) -> str:
    """One run covering start..end (a history load)."""
    return trigger_ranges(airflow, [(start, end)], full_refresh)[0]


def trigger_days(airflow: Airflow, start: date, end: date, full_refresh: bool = False) -> list[str]:
    """One run per reporting day, queued in day order."""
    return trigger_ranges(airflow, [(d, d) for d in date_range(start, end)], full_refresh)


def failure_cause(airflow: Airflow, run: RunState) -> list[str]:
    """For each failed task of the run: one paragraph with its cause, then where its full log is."""
    out = []
    for t in airflow.task_states(run.run_id):
        if t.state != "failed":
            continue
        records = airflow.log_records(run.run_id, t.task_id, max(t.try_number, 1))
        where = f"  full log: {airflow.task_url(run.run_id, t.task_id)}"
        files = log_files(records)
        out.append(
            f"task {t.task_id} failed (try {t.try_number}): {cause(records)}\n{where}"
            + "".join(f"\n  log file: {f}" for f in files)
        )
    return out


def log_files(records: list[dict]) -> list[str]:
    """The files Airflow read the log from (its "Log message source details" group), when it says."""
    events = [str(r.get("event", "")) for r in records]
    if "::group::Log message source details" not in events:
        return []
    start = events.index("::group::Log message source details") + 1
    end = events.index("::endgroup::", start) if "::endgroup::" in events[start:] else start
    return [e for e in events[start:end] if e.startswith("/")]


def cause(records: list[dict]) -> str:
    """The exception a task log ends with, as ``Type: message``, or its last error lines."""
    for rec in reversed(records):
        for detail in reversed(rec.get("error_detail") or []):
            if isinstance(detail, dict) and detail.get("exc_type"):
                if detail["exc_type"] == "AirflowFailException":  # fail_fast's wrapper: its message is the cause
                    return str(detail.get("exc_value", ""))
                return f"{detail['exc_type']}: {detail.get('exc_value', '')}".strip()
    errors = [str(r.get("event", "")) for r in records if str(r.get("level", "")).lower() in ("error", "critical")]
    return "\n".join(errors[-5:]) or "(the log records no error; see the full log)"


def list_runs(cfg, limit: int = 20) -> list[RunState] | None:
    """The newest runs: through the API when it answers (locally, only this data directory's own
    api-server), else (local, services stopped) through the ``airflow`` CLI on the metadata DB; None
    when there is no Airflow to ask."""
    from opswh.airflow.api import DAG_ID, Airflow
    from opswh.airflow.services import airflow_json, running_services

    airflow = Airflow(cfg)
    if cfg.airflow_url is not None:
        return airflow.runs(limit) if airflow.healthy() else None
    if "api-server" in running_services(cfg) and airflow.healthy():  # this data directory's own
        return airflow.runs(limit)
    if not (cfg.paths.airflow_home / "airflow.db").exists():
        return None
    rows = airflow_json(cfg, "dags", "list-runs", DAG_ID)  # newest run_after first
    if rows is None:
        return None
    return [
        RunState(
            x["run_id"],
            x["state"],
            "scheduled" if x["run_id"].startswith("scheduled__") else "manual",
            x.get("start_date") or None,
            x.get("end_date") or None,
            None,
            x.get("logical_date") or None,
        )
        for x in rows[:limit]
    ]
