"""The ``opswh`` command line."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from opswh import settings

app = typer.Typer(
    help="Platform Ops Warehouse: simulate, load, run and query.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)


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
    from opswh.faults import inject, parse_faults
    from opswh.simulator import Simulator, resolve_scale

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


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
