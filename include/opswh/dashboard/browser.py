"""The headless Chromium that renders the dashboards for the browser tests, ``make screenshots`` and the
benchmark: Debian's ``chromium`` (never a downloaded browser), driven by Playwright, with Debian's
Noto CJK font so that Chinese labels are drawn, not boxes."""

from __future__ import annotations

from pathlib import Path

from opswh.debian import ensure_debian_package

CHROMIUM = Path("/usr/bin/chromium")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def ensure_browser() -> None:
    ensure_debian_package(CHROMIUM, "chromium")
    ensure_debian_package(CJK_FONT, "fonts-noto-cjk")


def launch(playwright, user_data_dir: Path):
    """A persistent headless context in a fresh user data dir (Chromium's own profile, never the user's)."""
    ensure_browser()
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=str(CHROMIUM),
        headless=True,
        args=ARGS,
        viewport={"width": 1360, "height": 900},
        timezone_id="America/Los_Angeles",  # far from the reporting time zone: dates must not shift
    )
