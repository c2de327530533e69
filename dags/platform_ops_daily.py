"""
### platform_ops_daily

The daily pipeline of the Platform Ops Warehouse: one run = one reporting day
(`OPSWH_REPORTING_TZ`, default Asia/Shanghai), or a range of days when triggered with
conf `{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}` (a history load in one run).

wait for the landing markers -> load raw (per source) -> validate raw (Great Expectations)
-> dbt source freshness + dbt build -> validate marts (Great Expectations) -> publish -> summary

Every task that opens the DuckDB warehouse takes the one slot of the `duckdb_writer` pool, and
`max_active_runs=1`, so no two processes ever hold the file. Every stage is safe to re-run for
its days. The logic lives in the `opswh` package (include/opswh); this file is wiring.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task, task_group

from opswh.contract import SOURCES
from opswh.pipeline import WRITER_POOL

REPORTING_TZ = os.environ.get("OPSWH_REPORTING_TZ", "Asia/Shanghai")
# The first day the daily schedule covers; earlier history is loaded with one range run.
SCHEDULE_START = pendulum.parse(os.environ.get("OPSWH_SCHEDULE_START", "2026-01-01"), tz=REPORTING_TZ)
# How long a run waits for its landing markers before it fails (a source that never delivers).
LANDING_TIMEOUT = int(os.environ.get("OPSWH_LANDING_TIMEOUT_S", str(6 * 3600)))


def _paths():
    from opswh.settings import paths

    return paths()


def _days(r: dict):
    from datetime import date

    from opswh.pipeline import DayRange

    return DayRange(date.fromisoformat(r["start"]), date.fromisoformat(r["end"]))


@dag(
    dag_id="platform_ops_daily",
    doc_md=__doc__,
    # One data interval = one reporting day, run once the day is over. (A plain "@daily" is a
    # CronTriggerTimetable in Airflow 3: a zero-length interval at the start of the day.)
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone=REPORTING_TZ),
    start_date=SCHEDULE_START,
    catchup=True,
    max_active_runs=1,
    tags=["opswh", "daily"],
    default_args={"owner": "data-platform", "retries": 1, "retry_delay": timedelta(seconds=30)},
)
def platform_ops_daily() -> None:
    @task
    def plan(**context) -> dict:
        """Resolve the reporting days this run covers."""
        from opswh.pipeline import day_range

        dag_run = context["dag_run"]
        r = day_range(context.get("data_interval_start"), context.get("data_interval_end"), dag_run.conf)
        return {"start": r.start.isoformat(), "end": r.end.isoformat(), "run_id": dag_run.run_id}

    @task.sensor(poke_interval=30, timeout=LANDING_TIMEOUT, mode="reschedule")
    def wait_for_landing(r: dict):
        """Wait until every feed has written its completion marker for every day of the run."""
        from airflow.sdk import PokeReturnValue

        from opswh.pipeline import missing_partitions

        missing = missing_partitions(_paths(), _days(r))
        if missing:
            print(f"waiting for {len(missing)} partition(s), e.g. {missing[:5]}")
        return PokeReturnValue(is_done=not missing)

    @task(pool=WRITER_POOL)
    def load(source: str, r: dict) -> dict:
        """Load one source system's partitions into raw."""
        from opswh.pipeline import load_source

        return load_source(_paths(), source, _days(r), run_id=r["run_id"])

    @task_group
    def load_raw(r: dict) -> None:
        for source in SOURCES:
            load.override(task_id=f"load_{source}")(source, r)

    @task(pool=WRITER_POOL)
    def validate_raw(r: dict) -> dict:
        """Great Expectations on the raw partitions of the run (critical failures stop the run)."""
        from opswh.pipeline import validate

        return validate(_paths(), "raw", _days(r), r["run_id"])

    @task(pool=WRITER_POOL)
    def dbt_build(r: dict) -> dict:
        """dbt source freshness, then dbt build of staging, intermediate and marts."""
        from opswh.pipeline import dbt_build as build

        return build(_paths(), _days(r))

    @task(pool=WRITER_POOL)
    def validate_marts(r: dict) -> dict:
        """Great Expectations on the marts of the run's days, before anything is published."""
        from opswh.pipeline import validate

        return validate(_paths(), "marts", _days(r), r["run_id"])

    @task(pool=WRITER_POOL)
    def publish(r: dict) -> dict:
        """Swap the validated marts into the read-only published snapshot."""
        from opswh.pipeline import publish as do_publish

        return do_publish(_paths(), _days(r), r["run_id"])

    @task
    def summary(r: dict, raw: dict, marts: dict, built: dict, published: dict) -> str:
        """Write the run summary and print where to look."""
        from opswh.pipeline import write_run_summary

        path = write_run_summary(
            _paths(),
            _days(r),
            r["run_id"],
            {"validate_raw": raw, "dbt": built, "validate_marts": marts, "published": published},
        )
        print(f"run summary: {path}")
        return str(path)

    days = plan()
    loaded = load_raw(days)
    wait_for_landing(days) >> loaded
    raw = validate_raw(days)
    loaded >> raw
    built = dbt_build(days)
    raw >> built
    marts = validate_marts(days)
    built >> marts
    published = publish(days)
    marts >> published
    summary(days, raw, marts, built, published)


platform_ops_daily()
