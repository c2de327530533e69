"""
### platform_ops_daily

The daily pipeline of the Platform Ops Warehouse: one run = one reporting day (the
configuration's `reporting_tz`, default Asia/Shanghai), or a range of days when triggered with
conf `{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}` (a history load in one run); with
`"full_refresh": true` in conf, dbt rebuilds every model from scratch.

resolve the run's days and wait for their landing markers -> load raw (every source) -> validate raw (Great Expectations)
-> dbt source freshness + dbt build + dbt docs -> validate marts (Great Expectations) -> publish -> dashboard (dbt docs, dashboards), KPI alerts
(notify: e-mail and webhook) and summary; a task that fails for good notifies too, with the cause

Every task that opens the DuckDB warehouse takes the one slot of the writer pool, and
`max_active_runs=1`, so no two processes ever hold the file. Every stage is safe to re-run for
its days. Deterministic failures (a quality gate, a contract violation) fail at once; only
transient ones are retried. The logic lives in the `opswh` package (include/opswh); this file
is wiring.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

from opswh import config
from opswh.airflow.failures import fail_fast
from opswh.airflow.pools import WRITER_POOL
from opswh.alerts import failure_notifiers

CONFIG = config.load()
# The first day the daily schedule covers (`opswh` stores it when Airflow first starts); earlier
# history is loaded with one range run.
_START = CONFIG.schedule_start or pendulum.today(CONFIG.reporting_tz).date()
SCHEDULE_START = pendulum.datetime(_START.year, _START.month, _START.day, tz=CONFIG.reporting_tz)


def _paths():
    return config.load().paths


def _days(r: dict):
    from opswh.days import DayRange

    return DayRange.from_dict(r)


@dag(
    dag_id="platform_ops_daily",
    doc_md=__doc__,
    # One data interval = one reporting day, run once the day is over. (A plain "@daily" is a
    # CronTriggerTimetable in Airflow 3: a zero-length interval at the start of the day.)
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone=CONFIG.reporting_tz),
    start_date=SCHEDULE_START,
    catchup=True,
    max_active_runs=1,
    tags=["opswh", "daily"],
    default_args={
        "owner": "data-platform",
        "retries": 1,
        "retry_delay": timedelta(seconds=30),
        # a task that fails for good notifies the configured channels, with the cause (opswh.alerts)
        "on_failure_callback": failure_notifiers(CONFIG),
    },
)
def platform_ops_daily() -> None:
    @task.sensor(poke_interval=30, timeout=CONFIG.landing_timeout_s, mode="reschedule")
    @fail_fast
    def wait_for_landing(**context):
        """Resolve the reporting days this run covers (returned), and wait until every feed has written its
        completion marker for every one of them. One task, not two: each task costs a scheduling gap."""
        from airflow.sdk import PokeReturnValue

        from opswh.pipeline import day_range, missing_partitions

        dag_run = context["dag_run"]
        paths = _paths()
        r = day_range(context.get("data_interval_start"), context.get("data_interval_end"), dag_run.conf, paths)
        missing = missing_partitions(paths, r)
        print(f"{r}: waiting for {len(missing)} partition(s), e.g. {missing[:5]}" if missing else f"{r}: landed")
        run = {**r.as_dict(), "run_id": dag_run.run_id, "full_refresh": bool((dag_run.conf or {}).get("full_refresh"))}
        return PokeReturnValue(is_done=not missing, xcom_value=run)

    @task(pool=WRITER_POOL)
    @fail_fast
    def load_raw(r: dict) -> dict:
        """Load every source system's partitions into raw; a failure names each source that failed, after
        trying them all. One task, not one per source: the loads take the writer's slot in turn anyway,
        and each task costs a scheduling gap (about 2 s of a daily run for six). Loading is safe to re-run."""
        from opswh.pipeline import load_sources

        return load_sources(_paths(), _days(r), run_id=r["run_id"])

    @task(pool=WRITER_POOL)
    @fail_fast
    def validate_raw(r: dict) -> dict:
        """Great Expectations on the raw partitions of the run (critical failures stop the run)."""
        from opswh.pipeline import validate

        return validate(_paths(), "raw", _days(r), r["run_id"])

    @task(pool=WRITER_POOL)
    @fail_fast
    def dbt_build(r: dict) -> dict:
        """dbt source freshness, then dbt build of staging, intermediate and marts, then dbt's docs page of the build
        (published with the dashboards)."""
        from opswh.pipeline import dbt_build as build

        return build(_paths(), _days(r), full_refresh=r.get("full_refresh", False), run_id=r["run_id"])

    @task(pool=WRITER_POOL)
    @fail_fast
    def validate_marts(r: dict) -> dict:
        """Great Expectations on the marts of the run's days, before anything is published."""
        from opswh.pipeline import validate

        return validate(_paths(), "marts", _days(r), r["run_id"])

    @task(pool=WRITER_POOL)
    @fail_fast
    def publish(r: dict, loaded: dict, raw: dict, built: dict, marts: dict) -> dict:
        """Swap the validated marts, and the pipeline's health with this run's, into the read-only snapshot."""
        from opswh.pipeline import publish as do_publish

        stages = {"load": loaded, "validate_raw": raw, "dbt": built, "validate_marts": marts}
        return do_publish(_paths(), _days(r), r["run_id"], stages)

    @task(pool=WRITER_POOL)
    @fail_fast
    def dashboard(published: dict) -> dict:
        """The build's dbt docs page, then the dashboards, built from the snapshot just published (readers see the
        marts first)."""
        from opswh.pipeline import build_dashboard

        return build_dashboard(_paths())

    @task
    @fail_fast
    def notify(r: dict, published: dict, **context) -> dict:
        """Send the KPI alerts of the run's days (fct_kpi_alerts, as published) by e-mail and webhook."""
        from opswh.pipeline import notify as send

        return send(_paths(), _days(r), r["run_id"], context)

    @task
    def summary(r: dict, loaded: dict, raw: dict, built: dict, marts: dict, published: dict) -> str:
        """Write the run summary and print where to look."""
        from opswh.pipeline import write_run_summary

        stages = {"load": loaded, "validate_raw": raw, "dbt": built, "validate_marts": marts, "published": published}
        path = write_run_summary(_paths(), _days(r), r["run_id"], stages)
        print(f"run summary: {path}")
        return str(path)

    days = wait_for_landing()
    loaded = load_raw(days)
    raw = validate_raw(days)
    loaded >> raw
    built = dbt_build(days)
    raw >> built
    marts = validate_marts(days)
    built >> marts
    published = publish(days, loaded, raw, built, marts)
    dashboard(published)
    notify(days, published)
    summary(days, loaded, raw, built, marts, published)


platform_ops_daily()
