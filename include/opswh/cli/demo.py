"""``opswh demo``: the whole product on the embedded default, in a data directory of its own."""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from opswh.cli.app import app, console, err, load_config, parse_date
from opswh.cli.inspect import print_report
from opswh.cli.operate import airflow_session, report_failures, simulate, watch

# Written into a data directory the demo created: only such a directory is wiped by the next demo.
DEMO_MARKER = ".opswh-demo"
DEMO_STATE = ("landing", "warehouse", "published", "dashboard", "airflow", "gx", "runs", "dbt", "logs", "opswh.json")


def claim_data_dir(root) -> None:
    """Make ``root`` the demo's: refuse a directory that holds anything the demo did not create."""
    if root.exists() and any(root.iterdir()) and not (root / DEMO_MARKER).exists():
        err.print(
            f"[red]{root} holds data the demo did not create[/] ({', '.join(sorted(p.name for p in root.iterdir())[:6])}). "
            "The demo deletes and rebuilds its data directory, so it will not touch this one: "
            "set OPSWH_DATA_DIR to an empty or new folder for the demo.",
            highlight=False,
        )
        raise typer.Exit(2)
    root.mkdir(parents=True, exist_ok=True)
    for sub in DEMO_STATE:
        target = root / sub
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    (root / DEMO_MARKER).write_text("Created by `opswh demo`; the next demo wipes this directory.\n")


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="Days to simulate, ending on --end.")] = 60,
    daily: Annotated[int, typer.Option(help="Of those, the last days run as scheduled daily runs.")] = 7,
    scale: Annotated[str, typer.Option(help="Simulator scale.")] = "default",
    end: Annotated[str | None, typer.Option(help="Last simulated day (default: yesterday).")] = None,
    keep_running: Annotated[bool, typer.Option(help="Leave the Airflow services running at the end.")] = False,
) -> None:
    """The whole product on the embedded default: simulate, load the history, run daily, publish, summarise."""
    from opswh.airflow import runs, services

    started = time.monotonic()
    cfg = load_config()
    if cfg.airflow_url is not None:
        raise typer.BadParameter("the demo runs its own local Airflow: unset OPSWH_AIRFLOW_URL")
    paths = cfg.paths
    last = parse_date(end) if end else datetime.now(ZoneInfo(cfg.reporting_tz)).date() - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    go_live = last - timedelta(days=daily - 1)
    services.stop_services(cfg)
    claim_data_dir(paths.root)
    console.rule("[bold]1. Simulate the platform")
    simulate(start=first.isoformat(), days=days, scale=scale, faults=None, seed=7, events_format="jsonl")
    console.rule("[bold]2. Airflow")
    cfg = services.ensure_schedule_start(cfg, set_to=go_live)
    with airflow_session(cfg, keep_running=keep_running) as airflow:
        before = {r.run_id for r in airflow.runs(1000)}
        console.print(f"Airflow is up at {cfg.api_url}; the daily schedule starts on {go_live}.")
        console.rule(f"[bold]3. History {first}..{go_live - timedelta(days=1)} as one run, then {daily} daily runs")
        history = runs.trigger_range(airflow, first, go_live - timedelta(days=1))
        airflow.set_paused(False)  # the scheduler now catches up the daily runs, after the history run
        result = watch(airflow, None, 1 + daily, timeout=3600, before=before)
        if report_failures(airflow, result):
            raise typer.Exit(1)
    scheduled = [r for r in result if r.run_type == "scheduled"]
    console.print(f"[green]history run {history} and {len(scheduled)} scheduled daily runs succeeded[/]")
    console.rule("[bold]4. KPIs of the last 7 days, channels and campaigns (published marts)")
    print_report(paths)
    console.rule("[bold]What to look at next")
    console.print(f"- Airflow UI with every run: [bold]opswh airflow[/] (then {cfg.api_url}, user admin)")
    console.print('- Query the published marts: [bold]opswh query "select * from fct_kpi_daily order by date_day"[/]')
    console.print("- Runs, checks and KPI alerts: [bold]opswh status[/], and the dashboards' data-health page")
    console.print("- Audiences to act on: [bold]opswh audience list[/], then [bold]opswh audience export NAME[/]")
    console.print(
        '- What users say: [bold]opswh query "select * from fct_support_daily order by date_day desc limit 7"[/], '
        "fct_feedback_periodic (NPS, CSAT), and the dashboards' feedback page"
    )
    console.print(
        f"- Dashboards (built by every run): [bold]opswh dashboard[/] serves {paths.dashboard / 'index.html'} "
        f"on http://127.0.0.1:{cfg.dashboard_port}/ (Superset: docker-compose.yml's superset service)"
    )
    console.print(f"- dbt docs (lineage, every model and column): {paths.dbt_docs / 'index.html'}")
    console.print(f"- BI tools: open {paths.published} read-only (DuckDB), or {paths.published_parquet}/ (Parquet)")
    console.print(f"Demo finished in {time.monotonic() - started:.0f} s.")
