"""The ``opswh`` Typer app and the consoles every command prints to."""

from __future__ import annotations

import sys
from datetime import date

import typer
from rich.console import Console

from opswh import config

app = typer.Typer(
    help="Platform Ops Warehouse: simulate, load, run and query.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Outside a terminal (make demo piped to a log, CI) rich would wrap tables at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def load_config() -> config.Config:
    """The configuration, or a clear error naming the setting that cannot be used."""
    try:
        return config.load()
    except config.ConfigError as e:
        err.print(f"[red]{e}[/]", markup=True, highlight=False)
        raise typer.Exit(2) from None
