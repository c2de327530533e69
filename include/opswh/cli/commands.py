"""The ``opswh`` command line."""

from __future__ import annotations

import json
import sys
import time
from datetime import date, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from opswh import settings

__all__ = ["app"]

app = typer.Typer(
    help="Platform Ops Warehouse: simulate, load, run and query.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Outside a terminal (make demo piped to a log, CI) rich would wrap tables at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


@app.command()
def simulate(
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    days: Annotated[int, typer.Option(min=1, help="Number of days.")] = 7,
    scale: Annotated[str, typer.Option(help="tiny, small, default, large, or registrations per day.")] = "default",
    faults: Annotated[str | None, typer.Option(help="'all' or a comma list of fault classes.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
    events_format: Annotated[str, typer.Option(help="Format of the events feed: jsonl, csv or parquet.")] = "jsonl",
) -> None:
    """Simulate a platform and land its exports under <data dir>/landing."""
    from opswh.simulate.faults import inject, parse_faults
    from opswh.simulate.model import Simulator, resolve_scale

    first = _date(start)
    try:
        fault_list = parse_faults(faults)
        per_day = resolve_scale(scale)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    if events_format not in ("jsonl", "csv", "parquet"):
        raise typer.BadParameter("events format must be jsonl, csv or parquet")
    paths = settings.paths()
    paths.landing.mkdir(parents=True, exist_ok=True)
    console.print(f"Simulating {days} days from {first} at ~{per_day:,} registrations/day into {paths.landing}")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} days"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("simulate", total=days, info="")

        def tick(day: date, counts: dict[str, int]) -> None:
            progress.update(
                task, advance=1, info=f"{day}: {counts['events']:,} events, {counts['orders']:,} order rows"
            )

        sim = Simulator(paths.landing, first, days, per_day, seed=seed, events_format=events_format, progress=tick)
        stats = sim.run()
    console.print(
        f"Wrote {stats['rows']:,} rows ({stats['events']:,} events) in {stats['seconds']:.1f} s "
        f"({stats['events'] / max(stats['seconds'], 1e-9):,.0f} events/s)."
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
    max_reject_share: Annotated[float, typer.Option(help="Fail a load whose rejected share is above this.")] = 0.05,
) -> None:
    """Load landed partitions into the raw tables directly (no Airflow): for debugging a delivery."""
    import duckdb

    from opswh import contract
    from opswh.ingest import load_partition
    from opswh.landing import LandingError

    paths = settings.paths()
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    feeds = feed or [f.name for f in contract.FEEDS]
    con = duckdb.connect(str(paths.warehouse))
    t = Table("dt", "feed", "landed", "loaded", "rejected", "dedup", "status")
    failed = 0
    for dt in settings.date_range(_date(start), _date(end or start)):
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
                err.print(f"[red]{e}[/]")
    console.print(t)
    if failed:
        raise typer.Exit(1)


def _watch(paths, run_ids: set[str] | None, expect: int, timeout: float, before: set[str] | None = None) -> list:
    """Show progress until ``expect`` runs are finished (those in ``run_ids``, or every run not in
    ``before``), or one fails; return them."""
    from opswh.airflow import services as orchestrate

    start = time.monotonic()
    seen_before = before or set()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} runs"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bar = progress.add_task("platform_ops_daily", total=expect, info="")
        while True:
            current = [
                r
                for r in orchestrate.runs(paths, 500)
                if (r.run_id in run_ids if run_ids is not None else r.run_id not in seen_before)
            ]
            done = [r for r in current if r.state in ("success", "failed")]
            active = next((r for r in current if r.state == "running"), None)
            progress.update(bar, completed=len(done), info=f"running {active.run_id}" if active else "")
            failed = [r for r in done if r.state == "failed"]
            if failed or len(done) >= expect:
                return current
            if time.monotonic() - start > timeout:
                raise typer.Exit(_timeout(timeout))
            time.sleep(2)


def _timeout(timeout: float) -> int:
    err.print(f"[red]timed out after {timeout:.0f} s waiting for the runs; they go on in Airflow[/]")
    return 2


def _report_failures(paths, runs_: list) -> bool:
    from opswh.airflow import services as orchestrate

    failed = [r for r in runs_ if r.state == "failed"]
    for r in failed:
        err.print(f"[red]run {r.run_id} failed[/]")
        for task_id, state, tries in orchestrate.failed_tasks(paths, r.run_id):
            if state == "failed":
                err.print(f"[red]  task {task_id} failed (try {tries}); log excerpt:[/]")
                err.print(orchestrate.task_log_excerpt(paths, r.run_id, task_id), markup=False, highlight=False)
    return bool(failed)


@app.command()
def run(
    start: Annotated[str, typer.Option(help="First reporting day, YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option(help="Last reporting day (default: start).")] = None,
    one_run: Annotated[bool, typer.Option("--one-run", help="Load the whole range in one run (history).")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the runs.")] = 3600,
) -> None:
    """Run platform_ops_daily for those days through Airflow's scheduler: a run per day, or one range run."""
    from opswh.airflow import services as orchestrate

    paths = settings.paths()
    first, last = _date(start), _date(end or start)
    if last < first:
        raise typer.BadParameter("end is before start")
    console.print("Starting Airflow (api-server, scheduler, dag-processor) ...")
    orchestrate.start_services(paths)
    orchestrate.wait_for_dag(paths)
    orchestrate.set_paused(paths, False)
    if one_run:
        run_ids = [orchestrate.trigger_range(paths, first, last)]
        console.print(f"Triggered one run for {first}..{last}: {run_ids[0]}")
    else:
        run_ids = orchestrate.trigger_days(paths, first, last)
        console.print(f"Triggered {len(run_ids)} daily run(s) {first}..{last}")
    result = _watch(paths, set(run_ids), len(run_ids), timeout)
    if _report_failures(paths, result):
        raise typer.Exit(1)
    console.print(f"[green]{len(result)} run(s) succeeded[/]")


@app.command("airflow")
def airflow_ui(stop: Annotated[bool, typer.Option(help="Stop the services instead.")] = False) -> None:
    """Start the Airflow UI (and scheduler) for this project on localhost, and say how to log in."""
    from opswh.airflow import services as orchestrate

    paths = settings.paths()
    if stop:
        orchestrate.stop_services(paths)
        console.print("Airflow services stopped.")
        return
    running = orchestrate.start_services(paths)
    console.print(f"Airflow is up: [bold]{orchestrate.api_url()}[/] (services: {', '.join(running)})")
    console.print(
        f"Log in as [bold]admin[/] with password [bold]{orchestrate.admin_password(paths) or '(see '}[/]"
        f"  (passwords file: {paths.airflow_home / 'passwords.json'})"
    )
    console.print("Stop with: opswh airflow --stop")


@app.command()
def status(limit: Annotated[int, typer.Option(help="How many runs to list.")] = 10) -> None:
    """Recent runs, the published snapshot and the latest failing checks."""
    from opswh.airflow import services as orchestrate
    from opswh.publish import snapshot_meta

    paths = settings.paths()
    t = Table("run", "type", "state", "started", "ended", title="platform_ops_daily runs")
    for r in orchestrate.runs(paths, limit):
        color = {"success": "green", "failed": "red", "running": "yellow"}.get(r.state, "white")
        t.add_row(r.run_id, r.run_type, f"[{color}]{r.state}[/]", (r.start or "")[:19], (r.end or "")[:19])
    console.print(t)
    meta = snapshot_meta(paths.published)
    if meta is None:
        console.print("Nothing published yet.")
    else:
        console.print(
            f"Published snapshot: as of [bold]{meta['as_of']}[/], run {meta['run_id']}, "
            f"at {meta['published_at']} ({paths.published})"
        )
        t = Table("mart", "rows")
        for name, n in meta["row_counts"].items():
            t.add_row(name, f"{n:,}")
        console.print(t)
    _print_findings(paths)


def _print_findings(paths) -> None:
    reports = sorted((paths.gx_dir / "results").glob("*/*/_report.json"), key=lambda p: p.stat().st_mtime)
    if not reports:
        return
    latest = json.loads(reports[-1].read_text())
    findings = latest["findings"]
    if latest.get("data_docs"):
        console.print(f"GX Data Docs of the latest validation: {latest['data_docs']}")
    if not findings:
        console.print(f"Latest checks ({reports[-1].parent}): all {latest['validated']} validations passed.")
        return
    t = Table(
        "severity",
        "suite",
        "partition",
        "expectation",
        "column",
        "observed",
        title=f"Failing checks of the latest validation ({reports[-1].parent})",
    )
    for f in findings[:20]:
        t.add_row(f["severity"], f["suite"], f["partition"], f["expectation"], f["column"] or "", f["observed"][:80])
    console.print(t)


@app.command()
def query(sql: Annotated[str, typer.Argument(help="A read-only SQL query over the published marts.")]) -> None:
    """Run a read-only query against the published marts (never the working warehouse)."""
    import duckdb

    paths = settings.paths()
    if not paths.published.exists():
        err.print(f"[red]nothing published yet at {paths.published}; run the pipeline first (make demo)[/]")
        raise typer.Exit(1)
    with duckdb.connect(str(paths.published), read_only=True) as con:
        try:
            cur = con.execute(sql)
        except duckdb.Error as e:
            err.print(f"[red]{e}[/]")
            raise typer.Exit(1) from None
        cols = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    t = Table(*cols)
    for r in rows[:200]:
        t.add_row(*("" if v is None else str(v) for v in r))
    console.print(t)
    if len(rows) > 200:
        console.print(f"({len(rows):,} rows; first 200 shown)")


@app.command("report")
def report_command() -> None:
    """KPIs of the last 7 days, spend, CAC and ROAS by channel, and campaign lift, from the published marts."""
    paths = settings.paths()
    if not paths.published.exists():
        err.print(f"[red]No published marts at {paths.published}[/]: run `opswh run` or `opswh demo` first.")
        raise typer.Exit(1)
    _kpi_summary(paths)


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="Days to simulate, ending yesterday.")] = 60,
    daily: Annotated[int, typer.Option(help="Of those, the last days run as scheduled daily runs.")] = 7,
    scale: Annotated[str, typer.Option(help="Simulator scale.")] = "default",
    keep_running: Annotated[bool, typer.Option(help="Leave the Airflow services running at the end.")] = False,
) -> None:
    """The whole product on the embedded default: simulate, load the history, run daily, publish, summarise."""
    import shutil
    from zoneinfo import ZoneInfo

    from opswh.airflow import services as orchestrate
    from opswh.settings import REPORTING_TZ

    paths = settings.paths()
    started = time.monotonic()
    yesterday = datetime.now(ZoneInfo(REPORTING_TZ)).date() - timedelta(days=1)
    first = yesterday - timedelta(days=days - 1)
    go_live = yesterday - timedelta(days=daily - 1)
    orchestrate.stop_services(paths)
    for sub in ("landing", "warehouse", "published", "airflow", "gx", "runs", "dbt", "opswh.json"):
        target = paths.root / sub
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    console.rule("[bold]1. Simulate the platform")
    simulate(start=first.isoformat(), days=days, scale=scale, faults=None, seed=7, events_format="jsonl")
    console.rule("[bold]2. Airflow")
    orchestrate.schedule_start(paths, set_to=go_live)
    orchestrate.start_services(paths)
    orchestrate.wait_for_dag(paths)
    before = {r.run_id for r in orchestrate.runs(paths, 1000)}
    console.print(f"Airflow is up at {orchestrate.api_url()}; the daily schedule starts on {go_live}.")
    console.rule(f"[bold]3. History {first}..{go_live - timedelta(days=1)} as one run, then {daily} daily runs")
    history = orchestrate.trigger_range(paths, first, go_live - timedelta(days=1))
    orchestrate.set_paused(paths, False)  # the scheduler now catches up the daily runs, after the history run
    try:
        result = _watch(paths, None, 1 + daily, timeout=3600, before=before)
    finally:
        if not keep_running:
            orchestrate.stop_services(paths)
    if _report_failures(paths, result):
        raise typer.Exit(1)
    scheduled = [r for r in result if r.run_type == "scheduled"]
    console.print(f"[green]history run {history} and {len(scheduled)} scheduled daily runs succeeded[/]")
    console.rule("[bold]4. KPIs of the last 7 days, channels and campaigns (published marts)")
    _kpi_summary(paths)
    from opswh.dbt_runner import run_dbt

    docs = run_dbt(paths, ["docs", "generate", "--static"], check=False)
    console.rule("[bold]What to look at next")
    console.print(f"- Airflow UI with every run: [bold]opswh airflow[/] (then {orchestrate.api_url()}, user admin)")
    console.print('- Query the published marts: [bold]opswh query "select * from fct_kpi_daily order by date_day"[/]')
    docs_index = sorted((paths.gx_dir / "data_docs").glob("*/marts/index.html"), key=lambda p: p.stat().st_mtime)
    console.print("- Runs and checks: [bold]opswh status[/]")
    if docs_index:
        console.print(
            f"- GX Data Docs of the last run's audit: {docs_index[-1]} (every run: {paths.gx_dir / 'data_docs'})"
        )
    if docs.success:
        console.print(f"- dbt docs (lineage, every model and column): {paths.dbt_target / 'static_index.html'}")
    console.print(f"- BI tools: open {paths.published} read-only (DuckDB)")
    console.print(f"Demo finished in {time.monotonic() - started:.0f} s.")


def _kpi_summary(paths) -> None:
    import duckdb

    from opswh.cli import report

    with duckdb.connect(str(paths.published), read_only=True) as con:
        for table in (report.kpi_table(con), report.channel_table(con), report.campaign_table(con)):
            console.print(table)


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
