"""The dashboards in a real browser (Debian's headless Chromium through Playwright), built from a small
simulated platform's published snapshot: every page loads offline with no console error and no failed
request, the tiles and charts show the marts' numbers, and the filters change them as the marts say.
The tests read what the page draws (texts, and each drawn item's description), never pixels."""

from __future__ import annotations

import json
import os
import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from opswh.cli.dashboard import serve
from opswh.dashboard.browser import launch
from opswh.dashboard.pages import load_pages
from opswh.pipeline import build_dashboard
from tests.support import START, publish_days, simulate

pytestmark = pytest.mark.e2e

DAYS = 20
AS_OF = START + timedelta(days=DAYS - 1)
# sections that draw nothing on 20 days with the page's default filters, and why
EMPTY = {
    "funnel_time_to_convert": "medians need one channel and one platform chosen",
    "acq_roas_d30": "no cohort is 30 days old",
    "health_kpi_alerts": "20 clean days raise no KPI alert",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """20 small days published in two runs; the dashboards built in English, and in Chinese elsewhere."""
    from playwright.sync_api import sync_playwright

    paths = simulate(tmp_path_factory.mktemp("dashboards"), days=DAYS, faults=["malformed_rows"])
    publish_days(paths, START, AS_OF - timedelta(days=1), run_id="history")
    publish_days(paths, AS_OF, AS_OF, run_id="daily")
    built = build_dashboard(paths, "en")
    zh = tmp_path_factory.mktemp("zh")
    from opswh.dashboard.site import build_site

    build_site(paths, "zh", "CNY", zh)
    servers = {lang: serve(folder, 0) for lang, folder in (("en", paths.dashboard), ("zh", zh))}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    urls = {lang: f"http://127.0.0.1:{s.server_address[1]}" for lang, s in servers.items()}
    with sync_playwright() as p:
        browser = launch(p, tmp_path_factory.mktemp("chromium-profile"))
        yield paths, built, urls, browser
        browser.close()
    for server in servers.values():
        server.shutdown()


class Page:
    """One dashboard page open in the browser, with what it reported."""

    def __init__(self, browser, url: str) -> None:
        self.problems: list[str] = []
        self.page = browser.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed request: {r.url}"))

        def offline(route) -> None:  # nothing may come from the internet
            if route.request.url.startswith("http://127.0.0.1:"):
                route.continue_()
            else:
                self.problems.append(f"external request: {route.request.url}")
                route.abort()

        self.page.route("**/*", offline)
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready=true]", state="attached", timeout=20_000)

    def items(self, prefix: str) -> list[tuple[list[str], str]]:
        """Every drawn item whose description starts with ``prefix|``: its fields and its text."""
        found = self.page.eval_on_selector_all(
            "[aria-label]", "els => els.map(e => [e.getAttribute('aria-label'), e.textContent])"
        )
        return [(label.split("|"), text) for label, text in found if label.startswith(f"{prefix}|")]

    def change(self, act, prefix: str) -> None:
        """Do ``act`` and wait until the items of ``prefix`` are redrawn."""
        before = self.items(prefix)
        act()
        for _ in range(50):
            self.page.wait_for_timeout(100)
            if self.items(prefix) != before:
                return
        raise AssertionError(f"{prefix}: nothing changed")

    def close(self) -> None:
        self.page.close()


def _published(paths, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(paths.published), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _close(a: float | None, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def _number(raw: str) -> float | None:
    return float(raw) if raw not in ("", "null", "NaN") else None


def _shown(value, fmt: str) -> str:
    """What d3-format draws for the page's formats (a minus sign is U+2212)."""
    if value is None:
        return "–"
    v = float(value) if isinstance(value, Decimal) else value
    text = {
        "int": lambda: f"{round(v):,}",
        "currency": lambda: f"¥{v:,.2f}",
        "pct": lambda: f"{v * 100:.1f}%",
        "ratio": lambda: f"{v:,.2f}",
    }[fmt]()
    return text.replace("-", "\u2212")


def test_every_page_loads_offline_with_no_error_and_every_section_drawn(site) -> None:
    paths, built, urls, browser = site
    pages = load_pages()
    assert built["pages"] == [p.file_name for p in pages] and len(pages) == 10
    for lang in ("en", "zh"):
        for page in pages:
            opened = Page(browser, f"{urls[lang]}/{page.file_name}")
            assert opened.problems == [], (lang, page.slug, opened.problems)
            assert opened.page.locator("#error").text_content() == ""
            drawn = {s["id"]: len(opened.items(s["id"])) for s in page.sections if s["kind"] != "tiles"}
            assert sorted(k for k, n in drawn.items() if n == 0) == sorted(k for k in drawn if k in EMPTY), drawn
            nav = opened.page.locator("header a").all_text_contents()
            assert len(nav) == len(pages) and opened.page.locator("h1").text_content() == nav[page.order - 1]
            opened.close()


def test_the_next_build_reads_the_kept_views_and_writes_the_same_pages(site) -> None:
    """The views drawn by the first build are kept (paths.cache); a build from them writes every page
    byte for byte as drawing them did."""
    from opswh import config
    from opswh.dashboard.site import build_site

    paths, built, *_ = site
    cfg = config.load(paths.root)
    kept = sorted(p.name for p in (paths.cache / "dashboard").glob("*.en.*.json"))
    assert len(kept) == len(built["pages"])
    drawn = {name: (paths.dashboard / name).read_bytes() for name in built["pages"]}
    again = build_site(paths, "en", cfg.reporting_currency, tz=cfg.reporting_tz)
    assert {name: (paths.dashboard / name).read_bytes() for name in again["pages"]} == drawn
    assert sorted(p.name for p in (paths.cache / "dashboard").glob("*.en.*.json")) == kept


def test_the_dbt_docs_page_shows_every_model_with_the_sql_the_build_ran(site) -> None:
    paths, built, *_ = site
    page = Path(built["dbt_docs"]["index"]).read_text(encoding="utf-8")
    manifest = json.loads((paths.dbt_target / "manifest.json").read_text(encoding="utf-8"))
    models = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    assert len(models) > 60

    def shown(sql: str | None) -> bool:
        return bool(sql) and any(json.dumps(sql, ensure_ascii=a)[1:120] in page for a in (True, False))

    assert [k for k, n in models.items() if not shown(n.get("compiled_code"))] == []


def test_the_dbt_docs_page_is_the_builds_and_is_generated_again_when_older_than_its_manifest(site) -> None:
    from opswh.dbt_docs import publish_docs

    paths, built, *_ = site
    assert built["dbt_docs"]["generated"] is False  # the build generated it, in its own process
    page, manifest = paths.dbt_target / "static_index.html", paths.dbt_target / "manifest.json"
    before = manifest.stat().st_mtime - 60  # as if a later build had not generated its page
    os.utime(page, (before, before))
    again = publish_docs(paths)
    assert again["generated"] is True
    assert page.stat().st_mtime >= manifest.stat().st_mtime
    assert Path(again["index"]).read_bytes() == page.read_bytes()


def test_chinese_labels_are_drawn_in_a_cjk_font(site) -> None:
    *_, urls, browser = site
    opened = Page(browser, f"{urls['zh']}/index.html")
    assert opened.page.locator("h1").text_content() == "总览"
    assert "日活 DAU" in opened.page.locator("#view").text_content()
    cdp = opened.page.context.new_cdp_session(opened.page)  # the fonts Chromium really drew the title with
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    for selector in ("h1", "p.question"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert fonts and all(f["familyName"].startswith("Noto Sans CJK") for f in fonts), (selector, fonts)
    assert opened.page.locator("html").get_attribute("lang") == "zh-CN"
    opened.close()


def _kpi(paths, day: date) -> dict:
    with duckdb.connect(str(paths.published), read_only=True) as con:
        cur = con.execute("select * from fct_kpi_daily where date_day = ?", [day])
        return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


def test_the_overview_tiles_show_fct_kpi_daily_of_the_last_day_and_follow_the_range(site) -> None:
    paths, _, urls, browser = site
    (overview,) = [p for p in load_pages() if p.slug == "overview"]
    tiles = {t["field"]: t for t in overview.sections[0]["tiles"]}
    opened = Page(browser, f"{urls['en']}/index.html")
    for day in (AS_OF, AS_OF - timedelta(days=8)):
        if day != AS_OF:
            opened.change(lambda d=day: opened.page.fill("input[name=date_to]", d.isoformat()), "tile")
        row = _kpi(paths, day)
        shown = {fields[1]: (fields[2], text) for fields, text in opened.items("tile")}
        assert set(shown) == set(tiles)
        for field, (raw, text) in shown.items():
            assert _close(_number(raw), row[field]), (day, field, raw, row[field])
            assert text == _shown(row[field], tiles[field]["format"]), (day, field, text)
        for fields, _ in opened.items("wow"):
            field, change = fields[1], _number(fields[2])
            now, before = row[field], row[tiles[field]["week_ago"]]
            expected = None if before in (None, 0) or now is None else (float(now) - float(before)) / abs(float(before))
            assert _close(change, expected), (day, field, change, expected)
    opened.close()


def test_charts_have_the_series_and_points_of_the_marts_on_the_days_of_the_marts(site) -> None:
    """The browser runs in America/Los_Angeles: the days drawn are still the reporting days."""
    paths, _, urls, browser = site
    opened = Page(browser, f"{urls['en']}/acquisition.html")
    spend = {(f[1], f[2]): _number(f[3]) for f, _ in opened.items("acq_spend")}
    expected = _published(
        paths, "select channel, strftime(date_day, '%Y-%m-%d'), sum(spend) from fct_channel_daily group by all"
    )
    assert spend.keys() == {(c, d) for c, d, _ in expected} and len({c for c, _ in spend}) >= 5
    assert all(_close(spend[(c, d)], v) for c, d, v in expected)
    opened.close()

    opened = Page(browser, f"{urls['en']}/lifecycle.html")
    bars = {(f[1], f[2]): _number(f[3]) for f, _ in opened.items("lifecycle_bars")}
    weeks = _published(
        paths,
        "select strftime(period_start, '%Y-%m-%d'), new_users, returning_users, resurrecting_users, dormant_users "
        "from fct_lifecycle where period_type = 'week'",
    )
    assert len(bars) == 4 * len(weeks) and len(weeks) >= 2
    for week, new, returning, resurrecting, dormant in weeks:
        assert [bars[(s, week)] for s in ("New", "Returning", "Resurrecting", "Dormant (negative)")] == [
            new,
            returning,
            resurrecting,
            dormant,
        ]
    opened.change(lambda: opened.page.check("input[name=period][value=month]"), "lifecycle_bars")
    months = _published(paths, "select count(*) from fct_lifecycle where period_type = 'month'")[0][0]
    assert len(opened.items("lifecycle_bars")) == 4 * months
    opened.close()

    opened = Page(browser, f"{urls['en']}/retention.html")
    cells = {(f[1], f[2]): _number(f[3]) for f, _ in opened.items("retention_matrix")}
    shown = {(f[1], f[2]): text for f, text in opened.items("retention_matrix:label")}
    matrix = _published(
        paths,
        "select strftime(cohort_start, '%Y-%m-%d'), periods_since::varchar, retention_rate, is_period_partial "
        "from fct_cohort_retention where period_type = 'week'",
    )
    assert len(cells) == len(shown) == len(matrix) > 2
    for cohort, period, rate, partial in matrix:  # an incomplete period is starred, not drawn as a drop
        assert _close(cells[(cohort, period)], rate) and shown[(cohort, period)] == _shown(rate, "pct") + "*" * partial
    opened.close()


def test_the_date_range_and_the_channel_filter_change_the_numbers_as_the_marts_say(site) -> None:
    paths, _, urls, browser = site
    opened = Page(browser, f"{urls['en']}/acquisition.html")
    first, last = START + timedelta(days=3), START + timedelta(days=5)
    opened.change(lambda: opened.page.fill("input[name=date_from]", first.isoformat()), "acq_channels")
    opened.change(lambda: opened.page.fill("input[name=date_to]", last.isoformat()), "acq_channels")
    table = {(f[1], f[2]): _number(f[3]) for f, _ in opened.items("acq_channels")}
    sums = _published(
        paths,
        "select channel, sum(spend), sum(registrations), sum(new_paying_users) from fct_channel_daily "
        "where date_day between ? and ? group by channel",
        [first, last],
    )
    for channel, spend, registrations, paying in sums:
        assert _close(table[(channel, "spend")], spend) and table[(channel, "registrations")] == registrations
        cac = float(spend) / paying if paying else None
        assert _close(table[(channel, "cac")], cac), channel  # the ratio of the range's sums
    days = {f[2] for f, _ in opened.items("acq_spend")}
    assert days == {(first + timedelta(days=i)).isoformat() for i in range(3)}
    channel = max(sums, key=lambda r: r[1])[0]
    opened.change(lambda: opened.page.select_option("select[name=channel]", channel), "acq_channels")
    rows = {f[1] for f, _ in opened.items("acq_channels")}
    assert rows == {channel}
    assert {f[1] for f, _ in opened.items("acq_registrations")} == {channel}
    opened.close()
