"""``make screenshots``: a PNG of every dashboard page, built from the data directory's published snapshot
(``make demo`` makes one), rendered in headless Chromium; the README shows them.

    python -m opswh.dashboard.screenshots [--lang zh|en] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

from opswh import config
from opswh.config import REPO_ROOT


def take(paths, lang: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from opswh.cli.dashboard import serve
    from opswh.dashboard.browser import launch
    from opswh.dashboard.pages import load_pages
    from opswh.dashboard.site import build_site

    cfg = config.load(paths.root)
    site = Path(tempfile.mkdtemp(prefix="opswh-screenshots-"))
    build_site(paths, lang, cfg.reporting_currency, site, tz=cfg.reporting_tz)
    server = serve(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    try:
        with sync_playwright() as p:
            browser = launch(p, Path(tempfile.mkdtemp(prefix="opswh-chromium-")))
            page = browser.new_page()
            for dashboard in load_pages():
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/{dashboard.file_name}")
                page.wait_for_selector("body[data-ready=true]", state="attached", timeout=20_000)
                shot = out / f"{dashboard.order:02d}_{dashboard.slug}.png"
                page.screenshot(path=str(shot), full_page=True)
                shots.append(shot)
            browser.close()
    finally:
        server.shutdown()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=config.DASHBOARD_LANGS, default=None)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    cfg = config.load()
    if not cfg.paths.published.exists():
        print(f"{cfg.paths.published}: nothing published yet; run `make demo` first.", file=sys.stderr)
        return 1
    for shot in take(cfg.paths, args.lang or cfg.dashboard_lang, args.out):
        print(shot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
