"""Commands that change things: simulate a platform, load a delivery, run and cancel the pipeline, Airflow."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from opswh.cli.app import app, console, err, load_config, parse_date
from opswh.config import Config
from opswh.days import DayRange, DayRangeError, date_range, run_days

MISSING_SHOWN = 20


@app.command()
def simulate(
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    days: Annotated[int, typer.Option(min=1, help="Number of days.")] = 7,
    scale: Annotated[str, typer.Option(help="tiny, small, default, large, or registrations per day.")] = "default",
    faults: Annotated[str | None, typer.Option(help="'all' or a comma list of fault classes.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
    events_format: Annotated[
        str,
        typer.Option(
            help="Format of the events feed: jsonl, csv or parquet; or segment: a Segment export under "
            "<data dir>/exports/segment/ for `opswh import --format segment`, instead of the landing's events."
        ),
    ] = "jsonl",
) -> None:
    """Simulate a platform and land its exports under <data dir>/landing."""
    from opswh.simulate.faults import inject, parse_faults
    from opswh.simulate.model import Simulator, resolve_scale

    first = parse_date(start)
    try:
        fault_list = parse_faults(faults)
        per_day = resolve_scale(scale)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    if events_format not in ("jsonl", "csv", "parquet", "segment"):
        raise typer.BadParameter("events format must be jsonl, csv, parquet or segment")
    if events_format == "segment" and fault_list:
        raise typer.BadParameter("faults are injected into the landing: not with --events-format segment")
    cfg = load_config()
    paths = cfg.paths
    paths.landing.mkdir(parents=True, exist_ok=True)
    console.print(f"Simulating {days} days from {first} at ~{per_day:,} registrations/day into {paths.landing}")
    with _progress("days") as progress:
        task = progress.add_task("simulate", total=days, info="")

        def tick(day, counts: dict[str, int]) -> None:
            progress.update(
                task, advance=1, info=f"{day}: {counts['events']:,} events, {counts['orders']:,} order rows"
            )

        sim = Simulator(
            paths.landing,
            first,
            days,
            per_day,
            seed=seed,
            events_format=events_format,
            exports=paths.exports,
            progress=tick,
            reporting_tz=cfg.reporting_tz,
        )
        stats = sim.run()
    console.print(
        f"Wrote {stats['rows']:,} rows ({stats['events']:,} events) in {stats['seconds']:.1f} s "
        f"({stats['events'] / max(stats['seconds'], 1e-9):,.0f} events/s)."
    )
    if events_format == "segment":
        console.print(
            f"Events written as a Segment export to {paths.exports / 'segment'}; land them with "
            f"opswh import --format segment --from {paths.exports / 'segment'} --start {first} "
            f"--end {first + timedelta(days=days - 1)}"
        )
    if fault_list:
        injected = inject(paths.landing, first, days, fault_list)
        t = Table("fault", "feed", "dt", "expected outcome", "detail", title="Injected faults (landing/_faults.json)")
        for i in injected:
            t.add_row(i["fault"], i["feed"], i["dt"], i["expect"], i["detail"])
        console.print(t)


@app.command()
def load(
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option(help="Last day (default: start).")] = None,
    feed: Annotated[list[str] | None, typer.Option(help="Feeds to load (default: all).")] = None,
    max_reject_share: Annotated[
        float | None, typer.Option(help="Fail a load whose rejected share is above this (default: configured).")
    ] = None,
) -> None:
    """Load landed partitions into the raw tables directly (no Airflow): for debugging a delivery."""
    import duckdb

    from opswh.ingest import load_partition
    from opswh.landing import LandingError
    from opswh.mappings import store_fx_rates
    from opswh.pipeline import present_feeds

    cfg = load_config()
    paths = cfg.paths
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    feeds = feed or [f.name for f in present_feeds(paths)]
    t = Table("dt", "feed", "landed", "loaded", "rejected", "dedup", "status")
    failed = 0
    with duckdb.connect(str(paths.warehouse)) as con:
        store_fx_rates(con, paths.root)
        for dt in date_range(parse_date(start), parse_date(end or start)):
            for name in feeds:
                try:
                    r = load_partition(con, paths, name, dt, max_reject_share=max_reject_share)
                    t.add_row(
                        str(dt),
                        name,
                        f"{r.landed:,}",
                        f"{r.loaded:,}",
                        f"{r.rejected:,}",
                        f"{r.deduplicated:,}",
                        "[yellow]warn[/]" if r.warnings or r.rejected else "[green]ok[/]",
                    )
                except LandingError as e:
                    failed += 1
                    t.add_row(str(dt), name, "", "", "", "", "[red]failed[/]")
                    err.print(f"[red]{e}[/]", highlight=False)
    console.print(t)
    if failed:
        raise typer.Exit(1)


@app.command("import")
def import_command(
    format_: Annotated[str, typer.Option("--format", help="segment, amplitude, ga4, shopify or mapped.")],
    from_: Annotated[Path, typer.Option("--from", help="The export: a file, or a folder of its files.")],
    start: Annotated[
        str | None, typer.Option(help="First reporting day to land (default: the export's first).")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last reporting day to land (default: the export's last).")] = None,
    mapping: Annotated[Path | None, typer.Option(help="The column-mapping file (--format mapped).")] = None,
    currency: Annotated[
        str | None, typer.Option(help="Currency of amounts the export gives without one (default: USD).")
    ] = None,
) -> None:
    """Land a real export (Segment, Amplitude, GA4, Shopify, or any file through a mapping) as landing partitions."""
    from opswh.importers import ImportError_, import_export

    cfg = load_config()
    first, last = (parse_date(start) if start else None), (parse_date(end) if end else None)
    try:
        landed = import_export(cfg.paths, format_, from_, first, last, mapping, currency)
    except ImportError_ as e:
        err.print(str(e), style="red", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    t = Table("feed", "rows", title=f"Imported {from_} ({format_}) into {cfg.paths.landing}")
    for feed, n in landed.rows.items():
        t.add_row(feed, f"{n:,}")
    console.print(t)
    if landed.days:
        console.print(f"{landed.partitions} partitions, reporting days {landed.days[0]}..{landed.days[1]}.")
    for note in landed.notes:
        console.print(note, style="yellow", highlight=False, markup=False, soft_wrap=True)
    if landed.days:
        console.print(f"Next: opswh run --start {landed.days[0]} --end {landed.days[1]} --one-run")


def _progress(unit: str) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} " + unit),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
    )


@contextmanager
def airflow_session(cfg: Config, keep_running: bool = False):
    """An API client of the configured Airflow. Locally, the services this starts are stopped at the
    end (unless ``keep_running``), and the DAG's paused state is restored."""
    from opswh.airflow import services
    from opswh.airflow.api import Airflow

    airflow = Airflow(cfg)
    local = cfg.airflow_url is None
    started: list[str] = []
    if local:
        services.ensure_schedule_start(cfg)
        try:
            started = services.start_services(cfg)
        except services.ServiceError as e:
            err.print(f"[red]{e}[/]", highlight=False)
            raise typer.Exit(2) from None
    try:
        services.wait_for_dag(airflow)
        was_paused = airflow.is_paused()
        try:
            yield airflow
        finally:
            if was_paused and not keep_running:
                airflow.set_paused(True)
    finally:
        if local and started and not keep_running:
            console.print(f"Stopping the Airflow services this command started ({', '.join(started)}).")
            services.stop_services(cfg, started)


def watch(airflow, run_ids: set[str] | None, expect: int, timeout: float, before: set[str] | None = None) -> list:
    """Show progress until ``expect`` runs are finished (those in ``run_ids``, or every run not in
    ``before``), or one fails; return them."""
    from opswh.airflow.api import FINISHED_STATES

    start = time.monotonic()
    seen_before = before or set()
    with _progress("runs") as progress:
        bar = progress.add_task("platform_ops_daily", total=expect, info="")
        while True:
            current = [
                r
                for r in airflow.runs(500)
                if (r.run_id in run_ids if run_ids is not None else r.run_id not in seen_before)
            ]
            done = [r for r in current if r.state in FINISHED_STATES]
            active = next((r for r in current if r.state == "running"), None)
            progress.update(bar, completed=len(done), info=f"running {active.run_id}" if active else "")
            if any(r.state == "failed" for r in done) or len(done) >= expect:
                return current
            if time.monotonic() - start > timeout:
                err.print(f"[red]timed out after {timeout:.0f} s waiting for the runs; they go on in Airflow[/]")
                raise typer.Exit(2)
            time.sleep(2)


def report_failures(airflow, runs_: list) -> bool:
    """Print, for every failed run, the cause of each failed task and where its log is."""
    from opswh.airflow.runs import failure_cause

    failed = [r for r in runs_ if r.state == "failed"]
    for r in failed:
        err.print(f"[red]run {r.run_id} failed[/]", highlight=False)
        for paragraph in failure_cause(airflow, r):
            err.print(paragraph, markup=False, highlight=False)
    return bool(failed)


@app.command()
def run(
    start: Annotated[str, typer.Option(help="First reporting day, YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option(help="Last reporting day (default: start).")] = None,
    one_run: Annotated[bool, typer.Option("--one-run", help="Load the whole range in one run (history).")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Trigger even if partitions are missing: the runs wait for them.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the runs.")] = 3600,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild every dbt model from scratch (in the first run).")
    ] = False,
) -> None:
    """Run platform_ops_daily for those days through Airflow's scheduler: a run per day, or one range run."""
    from opswh.airflow import runs
    from opswh.pipeline import missing_partitions

    cfg = load_config()
    first, last = parse_date(start), parse_date(end or start)
    if last < first:
        raise typer.BadParameter("end is before start")
    try:  # what the DAG would refuse, refused before anything is triggered
        for a, b in [(first, last)] if one_run else [(last, last)]:
            run_days(None, None, {"start": str(a), "end": str(b)}, cfg.reporting_tz, cfg.max_run_days)
    except DayRangeError as e:
        raise typer.BadParameter(str(e)) from None
    if cfg.airflow_url is None and not wait:  # a remote Airflow's landing folder is not this one
        missing = missing_partitions(cfg.paths, DayRange(first, last))
        if missing:
            err.print(
                f"[red]{len(missing)} partition(s) of {DayRange(first, last)} are not delivered yet "
                f"(no _SUCCESS marker under {cfg.paths.landing}):[/]",
                highlight=False,
            )
            for m in missing[:MISSING_SHOWN]:
                err.print(f"  {m}", highlight=False)
            if len(missing) > MISSING_SHOWN:
                err.print(f"  ... and {len(missing) - MISSING_SHOWN} more", highlight=False)
            err.print("Deliver them first, or pass --wait to trigger anyway and let the runs wait for them.")
            raise typer.Exit(2)
    console.print(f"Airflow: {cfg.api_url}")
    with airflow_session(cfg) as airflow:
        airflow.set_paused(False)
        if one_run:
            run_ids = [runs.trigger_range(airflow, first, last, full_refresh)]
            console.print(f"Triggered one run for {first}..{last}: {run_ids[0]}")
        else:
            run_ids = runs.trigger_days(airflow, first, last, full_refresh)
            console.print(f"Triggered {len(run_ids)} daily run(s) {first}..{last}")
        result = watch(airflow, set(run_ids), len(run_ids), timeout)
        if report_failures(airflow, result):
            raise typer.Exit(1)
    console.print(f"[green]{len(result)} run(s) succeeded[/]")


@app.command()
def cancel(
    run_ids: Annotated[
        list[str] | None, typer.Argument(help="Runs to end (default: every queued or running run).")
    ] = None,
) -> None:
    """End queued or running runs of platform_ops_daily (they are marked failed; running tasks stop)."""
    from opswh.airflow.api import ACTIVE_STATES

    cfg = load_config()
    with airflow_session(cfg) as airflow:
        active = {r.run_id: r for r in airflow.runs(500, states=list(ACTIVE_STATES))}
        targets = run_ids or list(active)
        unknown = [r for r in targets if r not in active]
        if unknown:
            err.print(f"[red]not queued or running: {', '.join(unknown)}[/]", highlight=False)
            raise typer.Exit(1)
        for run_id in targets:
            airflow.mark_failed(run_id)
            console.print(f"ended {run_id} (was {active[run_id].state})", highlight=False)
        if not targets:
            console.print("No queued or running runs.")


@app.command("airflow")
def airflow_ui(stop: Annotated[bool, typer.Option(help="Stop the services instead.")] = False) -> None:
    """Start the Airflow UI (and scheduler) for this data directory on localhost, and keep it up."""
    from opswh.airflow import services
    from opswh.airflow.api import credentials

    cfg = load_config()
    if stop:
        services.stop_services(cfg)
        console.print("Airflow services stopped.")
        return
    with airflow_session(cfg, keep_running=True):
        running = services.running_services(cfg)
    user, password = credentials(cfg)
    console.print(f"Airflow is up: [bold]{cfg.api_url}[/] (services: {', '.join(running)})")
    console.print(
        f"Log in as [bold]{user}[/] with password [bold]{password}[/]"
        f"  (passwords file: {cfg.paths.airflow_home / 'passwords.json'})"
    )
    console.print("Stop with: opswh airflow --stop")
