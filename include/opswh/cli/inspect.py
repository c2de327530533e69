"""Commands that only look: the configuration, the runs, the published marts."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated

import typer
from rich.table import Table

from opswh import config
from opswh.cli.app import app, console, err, load_config

QUERY_ROWS_SHOWN = 200


@app.command("config")
def config_command(
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="NAME=VALUE to store in <data dir>/opswh.json (repeatable).")
    ] = None,
) -> None:
    """The effective configuration: every setting, its value and where it came from."""
    from opswh import config

    cfg = load_config()
    if set_:
        values = {}
        for item in set_:
            name, sep, value = item.partition("=")
            if not sep or name not in config.SETTINGS_BY_NAME or name == "data_dir":
                raise typer.BadParameter(f"{item!r}: use NAME=VALUE with a setting other than data_dir")
            values[name] = value
        try:
            config.store(cfg.data_dir, **values)
        except config.ConfigError as e:
            err.print(f"[red]{e}[/]", highlight=False)
            raise typer.Exit(2) from None
        cfg = load_config()
    t = Table("setting", "value", "from", title=f"Configuration (precedence: environment, {cfg.file}, default)")
    for name, value, source in cfg.describe():
        t.add_row(name, value, source)
    console.print(t)


@app.command()
def status(limit: Annotated[int, typer.Option(help="How many runs to list.")] = 10) -> None:
    """Recent runs, the published snapshot and the latest failing checks."""
    from opswh.airflow.runs import list_runs
    from opswh.publish import snapshot_meta

    cfg = load_config()
    paths = cfg.paths
    found = list_runs(cfg, limit)
    if found is None:
        console.print(f"No Airflow runs to show ({cfg.api_url} does not answer and no local metadata DB).")
    else:
        t = Table("run", "type", "state", "started", "ended", "days changed", title="platform_ops_daily runs")
        for r in found:
            color = {"success": "green", "failed": "red", "running": "yellow"}.get(r.state, "white")
            t.add_row(
                r.run_id,
                r.run_type,
                f"[{color}]{r.state}[/]",
                (r.start or "")[:19],
                (r.end or "")[:19],
                _changed_days(paths, r.run_id),
            )
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
        for name, path in (("Dashboards", paths.dashboard / "index.html"), ("dbt docs", paths.dbt_docs / "index.html")):
            if path.exists():
                console.print(f"{name}: {path}  (`opswh dashboard` serves them)")
        _print_alerts(paths, meta["as_of"])
    _print_findings(paths)


def _print_alerts(paths, as_of: str) -> None:
    """The KPI alerts of the snapshot's last 7 days (fct_kpi_alerts; the run's notify task sent them)."""
    import duckdb

    with duckdb.connect(str(paths.published), read_only=True) as con:
        try:
            rows = con.execute(
                "select date_day, severity, monitor, dimension_value, value, expected from fct_kpi_alerts "
                "where date_day > cast(? as date) - 7 order by date_day desc, severity, monitor",
                [as_of],
            ).fetchall()
        except duckdb.CatalogException:  # a snapshot published before monitors existed
            return
    if not rows:
        console.print("KPI alerts of the last 7 days: none.")
        return
    t = Table("day", "severity", "monitor", "of", "value", "expected", title="KPI alerts of the last 7 days")
    for day, severity, monitor, of, value, expected in rows:
        color = "red" if severity == "critical" else "yellow"
        t.add_row(
            str(day),
            f"[{color}]{severity}[/]",
            monitor,
            of,
            f"{value:,.2f}",
            "" if expected is None else f"{expected:,.2f}",
        )
    console.print(t)


def _changed_days(paths, run_id: str) -> str:
    """The reporting days the run's build changed, from its run summary (empty before it has one)."""
    from opswh.paths import safe_name

    for summary in paths.runs.glob(f"*_{safe_name(run_id)}.json"):
        built = json.loads(summary.read_text()).get("dbt") or {}
        return built.get("changed_days") or ("none" if built else "")
    return ""


def _print_findings(paths) -> None:
    reports = sorted((paths.gx_dir / "results").glob("*/*/_report.json"), key=lambda p: p.stat().st_mtime)
    if not reports:
        return
    latest = json.loads(reports[-1].read_text())
    findings = latest["findings"]
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
def query(
    sql: Annotated[str, typer.Argument(help="A read-only SQL query over the published marts.")],
    format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Run a read-only query against the published marts (never the working warehouse; no file access)."""
    from opswh.query import QueryError, run_query

    if format_ not in ("table", "csv", "json"):
        raise typer.BadParameter("format must be table, csv or json")
    paths = load_config().paths
    if not paths.published.exists():
        err.print(f"[red]nothing published yet at {paths.published}; run the pipeline first (make demo)[/]")
        raise typer.Exit(1)
    try:
        cols, rows = run_query(paths.published, sql)
    except QueryError as e:
        err.print(str(e), style="red", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if format_ == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        w.writerows(rows)
        typer.echo(buf.getvalue(), nl=False)
    elif format_ == "json":
        typer.echo(json.dumps([dict(zip(cols, r, strict=True)) for r in rows], default=str, ensure_ascii=False))
    else:
        t = Table(*cols)
        for r in rows[:QUERY_ROWS_SHOWN]:
            t.add_row(*("" if v is None else str(v) for v in r))
        console.print(t)
        if len(rows) > QUERY_ROWS_SHOWN:
            console.print(f"({len(rows):,} rows; first {QUERY_ROWS_SHOWN} shown; --format csv for all)")


@app.command("report")
def report_command() -> None:
    """KPIs of the last 7 days, spend, CAC and ROAS by channel, campaign lift, feedback and audiences, from the published marts."""
    paths = load_config().paths
    if not paths.published.exists():
        err.print(f"[red]No published marts at {paths.published}[/]: run `opswh run` or `opswh demo` first.")
        raise typer.Exit(1)
    print_report(paths)


def print_report(paths) -> None:
    import duckdb

    from opswh.cli import report

    currency = config.load(paths.root).reporting_currency
    with duckdb.connect(str(paths.published), read_only=True) as con:
        for table in (
            report.kpi_table(con, currency),
            report.channel_table(con),
            report.campaign_table(con),
            report.feedback_table(con),
            report.audience_table(con),
        ):
            console.print(table)
