"""The stages of ``platform_ops_daily``, callable without Airflow: the only API the DAG and the CLI call.

Every stage works on a range of reporting days (one day for a scheduled run, many for a
history load) and is safe to re-run: loads replace their partitions, dbt rebuilds, publish
swaps a whole snapshot.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from opswh import config, contract
from opswh.days import DayRange, DayRangeError, run_days
from opswh.errors import PermanentError
from opswh.paths import Paths, safe_name

__all__ = [
    "DayRange",
    "StageError",
    "day_range",
    "dbt_build",
    "load_source",
    "load_sources",
    "missing_partitions",
    "publish",
]


class StageError(PermanentError):
    """A stage failed; the message says what and where."""


def day_range(
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    conf: dict[str, Any] | None = None,
    paths: Paths | None = None,
) -> DayRange:
    """The reporting days a run covers: ``conf`` start/end (a history run) or its data interval, cut in the
    configured reporting time zone."""
    cfg = config.load(paths.root if paths else None)
    try:
        return run_days(data_interval_start, data_interval_end, conf, cfg.reporting_tz, cfg.max_run_days)
    except DayRangeError as e:
        raise StageError(str(e)) from None


def present_feeds(paths: Paths, source: str | None = None) -> list[contract.Feed]:
    """The feeds this deployment has (all but the configuration's ``absent_feeds``), of one source or all."""
    absent = set(config.load(paths.root).absent_feeds)
    return [f for f in (contract.feeds_of(source) if source else contract.FEEDS) if f.name not in absent]


def missing_partitions(paths: Paths, days: DayRange) -> list[str]:
    """Partitions of the range whose completion marker is not there yet (absent feeds are never waited for)."""
    from opswh.landing import MARKER, partition_dir

    return [
        str(partition_dir(Path(), f.name, d))
        for d in days.days
        for f in present_feeds(paths)
        if not (paths.partition(f.name, d) / MARKER).exists()
    ]


def load_source(
    paths: Paths, source: str, days: DayRange, max_reject_share: float | None = None, run_id: str | None = None
) -> dict:
    """Load every feed of one source system for the range; fail after trying them all if any failed."""
    import duckdb

    from opswh.ingest import load_partition
    from opswh.landing import LandingError
    from opswh.mappings import store_fx_rates

    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    totals = {"landed": 0, "loaded": 0, "rejected": 0, "deduplicated": 0, "partitions": 0}
    failures: list[str] = []
    warnings: list[str] = []
    with duckdb.connect(str(paths.warehouse)) as con:
        store_fx_rates(con, paths.root)  # the rates in force now, team's included, for the currency rule
        for feed in present_feeds(paths, source):
            for d in days.days:
                try:
                    r = load_partition(con, paths, feed.name, d, max_reject_share=max_reject_share, run_id=run_id)
                except LandingError as e:
                    failures.append(str(e))
                    continue
                totals["partitions"] += 1
                for k in ("landed", "loaded", "rejected", "deduplicated"):
                    totals[k] += getattr(r, k)
                warnings += [f"{feed.name} {d}: {w}" for w in r.warnings]
    if failures:
        raise StageError(
            f"loading {source} for {days} failed for {len(failures)} partition(s):\n" + "\n".join(failures)
        )
    return {**totals, "warnings": warnings[:20]}


def load_sources(
    paths: Paths, days: DayRange, run_id: str | None = None, max_reject_share: float | None = None
) -> dict[str, dict]:
    """Load every source system for the range (``load_source`` for each); after trying them all, fail
    naming each source that failed. Returns each source's totals."""
    loaded: dict[str, dict] = {}
    failed: list[str] = []
    for source in contract.SOURCES:
        try:
            loaded[source] = load_source(paths, source, days, max_reject_share=max_reject_share, run_id=run_id)
        except StageError as e:
            failed.append(str(e))
    if failed:
        raise StageError("\n".join(failed))
    return loaded


def dbt_build(paths: Paths, days: DayRange, full_refresh: bool = False, run_id: str = "manual") -> dict:
    """``dbt source freshness`` then ``dbt build`` (seeds, models, tests) in one process, on one parse of the
    project; record the build and the reporting days it changed (``opswh.builds``); then ``dbt docs
    generate`` (``opswh.dbt_docs``)."""
    import duckdb

    from opswh import builds
    from opswh.dbt_docs import generate_docs
    from opswh.dbt_runner import parse, run_dbt

    t = time.perf_counter()
    with duckdb.connect(str(paths.warehouse)) as con:
        builds.ensure(con)
    absent = [f"source:{f.source}.{f.name}" for f in contract.FEEDS if f not in present_feeds(paths)]
    project = parse(paths)  # once for the three commands below
    # --no-write-json: the result is read here; its artifacts would only be overwritten by the build's
    freshness = run_dbt(
        paths,
        ["source", "freshness", "--no-write-json", *(["--exclude", *absent] if absent else [])],
        check=False,
        manifest=project,
    )
    # Unit tests are hand-computed for the project's default vars: they run in CI (make test), not in a
    # deployment's build, whose configuration (revenue model, absent feeds ...) may differ, as dbt advises.
    args = ["build", "--exclude", "resource_type:source", "test_type:unit"] + (
        ["--full-refresh"] if full_refresh else []
    )
    # Incremental models find the days to rebuild from the data (stg_loader__changes: the loads since
    # the last successful build), so the run's days are not passed: the vars stay the same from run to
    # run, and dbt's partial parsing keeps its cache.
    built = run_dbt(paths, args, manifest=project)
    if config.load(paths.root).engine == "spark":  # the GX gate and publish read the marts from DuckDB
        from opswh import spark

        spark.export_marts(paths)
    for warning in built.warnings:
        print(f"warning: {warning}")
    with duckdb.connect(str(paths.warehouse)) as con:
        changed = builds.record(con, run_id)
    # dbt's documentation of this build, while dbt is warm in this process (1 s less than in a new one);
    # it is published with the dashboards. A failure here does not stop the run: the dashboard stage
    # generates the page again, and fails there as it would have.
    docs = generate_docs(paths, project, check=False)
    return {
        "seconds": round(time.perf_counter() - t, 1),
        "full_refresh": full_refresh,
        "changed_days": str(changed) if changed else None,
        "freshness_ok": freshness.success,
        "freshness_failures": freshness.failures[:10],
        "warnings": built.warnings[:20] + [f"dbt docs: {f}" for f in docs.failures[:3]],
    }


def validate(paths: Paths, stage: str, days: DayRange, run_id: str) -> dict:
    """Run the Great Expectations suites of a stage; raises QualityGateError on a critical failure."""
    from opswh.quality import validate_stage

    checked = days.days
    if stage == "marts":  # every day the build changed, not only the run's own
        import duckdb

        from opswh import builds

        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            checked = builds.days_to_check(days, builds.changed_days(con, run_id))
    report = validate_stage(paths, stage, checked, run_id)
    print(f"GX results: {report.results}")
    for finding in report.warnings:
        print(f"warning: {finding}")
    return {
        "days_checked": str(DayRange(checked[0], checked[-1])),
        "validated": report.validated,
        "warnings": [str(f) for f in report.warnings],
        "results": report.results,
    }


def publish(paths: Paths, days: DayRange, run_id: str, stages: dict[str, Any] | None = None) -> dict:
    """Publish the validated marts, with the pipeline's health (``stages``: this run's results so far)."""
    from opswh.publish import publish_snapshot
    from opswh.run_records import run_summary

    current = run_summary(run_id, str(days.start), str(days.end), stages) if stages is not None else None
    return publish_snapshot(paths, days.end, run_id, current_run=current)


def build_dashboard(paths: Paths, lang: str | None = None) -> dict:
    """After publish: dbt's documentation of the build, then the dashboard site from the published snapshot."""
    from opswh.dashboard.site import build_site
    from opswh.dbt_docs import publish_docs

    cfg = config.load(paths.root)
    docs = publish_docs(paths)
    site = build_site(paths, lang or cfg.dashboard_lang, cfg.reporting_currency, tz=cfg.reporting_tz)
    print(f"dashboard: {paths.dashboard / 'index.html'} (dbt docs: {docs['index']})")
    return {**site, "dbt_docs": docs}


def notify(paths: Paths, days: DayRange, run_id: str, context: dict) -> dict:
    """After publish: send the KPI alerts of the run's days (fct_kpi_alerts) on the configured channels."""
    from opswh.alerts import send_kpi_alerts

    sent = send_kpi_alerts(config.load(paths.root), paths.published, days, run_id, context)
    print(
        f"KPI alerts of {days}: {sent['alerts']} ({sent['critical']} critical), sent to {sent['sent_to'] or 'no channel'}"
    )
    return sent


def write_run_summary(paths: Paths, days: DayRange, run_id: str, stages: dict[str, Any]) -> Path:
    """A JSON summary of the run under <data dir>/runs/, linked from the task log."""
    from opswh.run_records import run_summary

    paths.runs.mkdir(parents=True, exist_ok=True)
    path = paths.runs / f"{days.end}_{safe_name(run_id)}.json"
    path.write_text(json.dumps(run_summary(run_id, str(days.start), str(days.end), stages), indent=1, default=str))
    return path
