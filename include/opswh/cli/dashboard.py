"""``opswh dashboard``: build the dashboards from the published snapshot, then serve them on localhost."""

from __future__ import annotations

import functools
import http.server
from typing import Annotated

import typer

from opswh.cli.app import app, console, load_config


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


def serve(folder, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server of ``folder`` on 127.0.0.1 (port 0: any free port)."""
    handler = functools.partial(_Handler, directory=str(folder))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


@app.command()
def dashboard(
    lang: Annotated[str | None, typer.Option(help="zh or en (default: the dashboard_lang setting).")] = None,
    port: Annotated[int | None, typer.Option(help="Port on localhost (default: the dashboard_port setting).")] = None,
    build_only: Annotated[bool, typer.Option("--build-only", help="Build, print where, do not serve.")] = False,
) -> None:
    """Build the dashboards (and dbt docs) from the published snapshot and serve them on localhost."""
    from opswh.config import DASHBOARD_LANGS
    from opswh.pipeline import build_dashboard

    cfg = load_config()
    if lang is not None and lang not in DASHBOARD_LANGS:
        raise typer.BadParameter(f"--lang must be one of {', '.join(DASHBOARD_LANGS)}, not {lang!r}")
    if not cfg.paths.published.exists():
        console.print(f"[red]Nothing published yet[/] ({cfg.paths.published}): run `opswh demo` or `opswh run` first.")
        raise typer.Exit(1)
    built = build_dashboard(cfg.paths, lang)
    console.print(
        f"Built {len(built['pages'])} pages in {built['seconds']} s from the snapshot as of {built['as_of']}."
    )
    if build_only:
        console.print(f"Dashboards: {cfg.paths.dashboard / 'index.html'}")
        return
    try:
        server = serve(cfg.paths.dashboard, port if port is not None else cfg.dashboard_port)
    except OSError as e:
        console.print(f"[red]Cannot listen on 127.0.0.1:{port or cfg.dashboard_port}[/]: {e}; choose another --port.")
        raise typer.Exit(1) from None
    host, bound = server.server_address[:2]
    console.print(f"Dashboards: [bold]http://{host}:{bound}/[/]  (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
