"""``opswh audience list | show NAME | export NAME``: the published audiences, as lists to act on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from opswh.cli.app import app, console, err, load_config

audience_app = typer.Typer(help="Audiences for lifecycle operations (operations/audiences.yml), as published.")
app.add_typer(audience_app, name="audience")


def _snapshot() -> Path:
    paths = load_config().paths
    if not paths.published.exists():
        err.print(f"[red]Nothing published yet[/] ({paths.published}): run `opswh demo` or `opswh run` first.")
        raise typer.Exit(1)
    return paths.published


def _found(call, *args):
    from opswh.audience_lists import AudienceNotFound

    try:
        return call(*args)
    except AudienceNotFound as e:
        err.print(str(e), style="red", highlight=False, markup=False)
        raise typer.Exit(1) from None


@audience_app.command("list")
def list_command() -> None:
    """Every audience and its members on the snapshot's day."""
    from opswh.audience_lists import audiences

    rows = audiences(_snapshot())
    t = Table(
        "audience", "members", "description", title=f"Audiences as of {rows[0]['snapshot_date']}" if rows else None
    )
    for a in rows:
        t.add_row(a["audience"], f"{a['members']:,}", a["description"])
    console.print(t if rows else "No audiences are defined (operations/audiences.yml).")


@audience_app.command("show")
def show_command(name: Annotated[str, typer.Argument(help="The audience's name.")]) -> None:
    """An audience's definition, today's members by lifecycle state, and its last days' entries and exits."""
    from opswh.audience_lists import audience

    a = _found(audience, _snapshot(), name)
    console.print(f"[bold]{a['audience']}[/]: {a['description']}", highlight=False)
    console.print(f"predicate: {a['predicate']}", markup=False, highlight=False)
    console.print(f"members on {a['snapshot_date']}: {a['members']:,}")
    if a["by_state"]:
        console.print("by lifecycle state: " + ", ".join(f"{s} {n:,}" for s, n in a["by_state"]), highlight=False)
    t = Table("day", "members", "entered", "exited")
    for day, members, entered, exited in a["trend"]:
        t.add_row(str(day), f"{members:,}", f"{entered:,}", f"{exited:,}")
    console.print(t)


@audience_app.command("export")
def export_command(
    name: Annotated[str, typer.Argument(help="The audience's name.")],
    format_: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    out: Annotated[Path | None, typer.Option(help="File to write (default: <name>_<snapshot day>.<format>).")] = None,
) -> None:
    """Write the audience's members on the snapshot's day, with the day in the file name and every row."""
    from opswh.audience_lists import FORMATS, export

    if format_ not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}, not {format_!r}")
    done = _found(export, _snapshot(), name, format_, out)
    console.print(
        f"{done.members:,} members of {done.audience} as of {done.snapshot_date} -> {done.path}", highlight=False
    )
