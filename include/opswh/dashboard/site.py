"""Build the dashboard site from the published snapshot: one static HTML page per ``dashboards/`` page.

Each page holds its datasets (the rows its SQL returns from the published snapshot, never the
working warehouse) and one Vega-Lite view; the filters run in the browser. The site works offline:
Vega, Vega-Lite and vega-embed are one local script (``assets/vega.js``, from the vl-convert wheel
in the lock), fonts are the machine's (Noto Sans CJK for Chinese), and nothing is fetched from the
internet when a page is viewed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
import math
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from opswh.dashboard import charts
from opswh.dashboard.charts import Context, section_chart
from opswh.dashboard.pages import Page, label, load_labels, load_pages, text
from opswh.paths import Paths

ASSET = "assets/vega.js"
DEFAULT_DAYS = 90  # the date range a page opens with: the snapshot's days, the last 90 at most
CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$", "KRW": "₩"}
FONTS = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'


def _json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _rows(con, sql: str) -> tuple[list[str], list[dict[str, Any]]]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return columns, [{c: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in cursor.fetchall()]


def _params(page: Page, lang: str, as_of: dt.date, first: dt.date | None, values: dict[str, set]) -> list:
    import altair as alt

    ui = lambda key: label(key, lang, "ui")  # noqa: E731
    start = max(as_of - dt.timedelta(days=DEFAULT_DAYS - 1), first or as_of)
    params = [
        alt.param(name="date_from", value=start.isoformat(), bind=alt.binding(input="date", name=ui("date_from"))),
        alt.param(name="date_to", value=as_of.isoformat(), bind=alt.binding(input="date", name=ui("date_to"))),
    ]
    for f in page.filters:
        options = ["all", *sorted(values.get(f, set()))]
        params.append(
            alt.param(
                name=f,
                value="all",
                bind=alt.binding_select(options=options, labels=[ui("all"), *options[1:]], name=label(f, lang)),
            )
        )
    for switch in page.switches:
        options = switch["options"]
        params.append(
            alt.param(
                name=switch["name"],
                value=switch.get("default", options[0]),
                bind=alt.binding_radio(
                    options=options, labels=[label(str(o), lang, "ui") for o in options], name=ui(switch["name"])
                ),
            )
        )
    return params


def _view(ctx: Context) -> dict[str, Any]:
    """The page's Vega-Lite view, without its data and its controls: every section, the wide ones
    first, the others two to a row."""
    import altair as alt

    page = ctx.page
    full = [section_chart(ctx, s) for s in page.sections if s["kind"] == "tiles" or s.get("wide")]
    halves = [section_chart(ctx, s) for s in page.sections if not (s["kind"] == "tiles" or s.get("wide"))]
    independent = {"color": "independent", "opacity": "independent"}
    parts = [*full, *([alt.concat(*halves, columns=2, spacing=40).resolve_scale(**independent)] if halves else [])]
    chart = alt.vconcat(*parts, spacing=30).resolve_scale(**independent)
    chart = chart.configure(font=FONTS).configure_view(stroke=None).configure_axis(labelFont=FONTS, titleFont=FONTS)
    return chart.to_dict(validate=True)


def _code_stamp() -> str:
    """Altair's version and the source of the modules that draw a view: a change to either draws it anew."""
    import altair as alt

    digest = hashlib.sha256(alt.__version__.encode())
    for module_file in (charts.__file__, __file__):
        digest.update(Path(module_file).read_bytes())
    return digest.hexdigest()


# Taken when the drawing code is imported, so that it names the code that runs: the executor preloads
# this module, and its tasks run that code even after the files change on disk.
CODE_STAMP = _code_stamp()


def cached_view(ctx: Context, cache_dir: Path | None) -> dict[str, Any]:
    """``_view``, kept in ``cache_dir`` under a key of everything it is drawn from (the page's
    definition, the labels, the language, the datasets' columns, the drawing code and Altair).

    Drawing a page's view with Altair is most of the dashboard stage (compound charts deep-copy
    their subcharts: about 4 s for the ten pages on every run), while the view only changes when
    the page, its labels or the code do; the data and the controls' values are added per build.
    """
    if cache_dir is None:
        return _view(ctx)
    key = hashlib.sha256(
        json.dumps(
            [CODE_STAMP, dataclasses.asdict(ctx.page), load_labels(), ctx.lang, ctx.columns],
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()[:20]
    path = cache_dir / f"{ctx.page.slug}.{ctx.lang}.{key}.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    view = _view(ctx)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for stale in cache_dir.glob(f"{ctx.page.slug}.{ctx.lang}.*.json"):
        stale.unlink(missing_ok=True)
    _write(path, json.dumps(view, ensure_ascii=False))
    return view


def page_spec(
    con, page: Page, lang: str, currency: str, as_of: dt.date, cache_dir: Path | None = None
) -> dict[str, Any]:
    """The page's Vega-Lite spec, its datasets inlined (its view drawn once, then from ``cache_dir``)."""
    datasets, columns, values = {}, {}, {}
    for ds in page.datasets.values():
        columns[ds.name], datasets[ds.name] = _rows(con, ds.sql)
        for f in page.filters:
            if f in columns[ds.name]:
                values.setdefault(f, set()).update(r[f] for r in datasets[ds.name] if r[f] is not None)
    spec = cached_view(Context(page, lang, columns), cache_dir)
    days = [r[ds.date] for ds in page.datasets.values() if ds.date for r in datasets[ds.name] if r[ds.date]]
    first = dt.date.fromisoformat(min(days)[:10]) if days else None
    # The page's controls are top-level variable parameters. Added to the finished spec: Altair's
    # add_params on a compound chart deep-copies every subchart (half of the dashboard stage's time,
    # for the same spec).
    spec["params"] = [*spec.get("params", []), *(p.param.to_dict() for p in _params(page, lang, as_of, first, values))]
    spec["datasets"] = datasets
    return spec


def _embed_options(currency: str, lang: str) -> dict[str, Any]:
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    options: dict[str, Any] = {
        "renderer": "svg",
        "actions": False,
        "bind": "#filters",
        "formatLocale": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": [symbol, ""]},
    }
    if lang == "zh":
        options["timeFormatLocale"] = {
            "dateTime": "%x %A %X",
            "date": "%Y年%-m月%-d日",
            "time": "%H:%M:%S",
            "periods": ["上午", "下午"],
            "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
            "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
            "months": [f"{m}月" for m in range(1, 13)],
            "shortMonths": [f"{m}月" for m in range(1, 13)],
        }
    return options


PAGE = """<!doctype html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {product}</title>
<link rel="icon" href="data:,">
<style>
body {{ font-family: {fonts}; margin: 0; color: #222; background: #fafafa; }}
header {{ background: #1f2d3d; color: #fff; padding: 10px 24px; }}
header a {{ color: #cfd8e3; margin-right: 16px; text-decoration: none; font-size: 14px; }}
header a.current {{ color: #fff; font-weight: bold; border-bottom: 2px solid #fff; }}
main {{ padding: 12px 24px 32px; }}
h1 {{ font-size: 22px; margin: 8px 0 2px; }}
.question {{ color: #555; margin: 0 0 8px; }}
.meta {{ color: #777; font-size: 12px; }}
#filters {{ margin: 10px 0 16px; padding: 8px 12px; background: #fff; border: 1px solid #e3e3e3; }}
#filters .vega-bind {{ display: inline-block; margin-right: 18px; }}
#filters .vega-bind-name {{ margin-right: 6px; font-size: 13px; color: #444; }}
#error {{ color: #b00; }}
</style>
<script src="{asset}"></script>
</head>
<body>
<header><strong>{product}</strong> &nbsp; {nav}</header>
<main>
<h1>{title}</h1>
<p class="question">{question}</p>
<p class="meta">{as_of_label}: <span id="as-of">{as_of}</span> · {run_label}: {run_id} · {published_label}: {published_at} · {links}</p>
<div id="filters"></div>
<div id="view"></div>
<p id="error"></p>
</main>
<script>
const spec = {spec};
vegaEmbed("#view", spec, {options})
  .then((result) => {{ window.opswhView = result.view; document.body.dataset.ready = "true"; }})
  .catch((error) => {{ document.getElementById("error").textContent = String(error); console.error(error); }});
</script>
</body>
</html>
"""


def _write(path: Path, content: str) -> None:
    """Write a file of the site in one step (a reader sees the old page or the new one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, path)


def _asset(out: Path) -> None:
    import vl_convert

    target = out / ASSET
    stamp = target.with_suffix(".version")
    version = f"vl-convert {getattr(vl_convert, '__version__', '?')}"
    if target.exists() and stamp.exists() and stamp.read_text() == version:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    _write(target, vl_convert.javascript_bundle())
    _write(stamp, version)


def _local(iso: str, tz: str) -> str:
    """A UTC timestamp of the snapshot in the reporting time zone, the zone named."""
    from zoneinfo import ZoneInfo

    return f"{dt.datetime.fromisoformat(iso).astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M} ({tz})"


def build_site(paths: Paths, lang: str, currency: str, out: Path | None = None, tz: str = "UTC") -> dict[str, Any]:
    """Build every page from the published snapshot into ``out`` (default: the data directory's
    ``dashboard/``); returns what was built and how long it took."""
    import duckdb

    from opswh.publish import snapshot_meta

    t0 = time.perf_counter()
    meta = snapshot_meta(paths.published)
    if meta is None:
        raise FileNotFoundError(f"{paths.published}: nothing published yet; run the pipeline first")
    out = out or paths.dashboard
    out.mkdir(parents=True, exist_ok=True)
    _asset(out)
    pages = load_pages()
    as_of = dt.date.fromisoformat(meta["as_of"])
    ui = lambda key: label(key, lang, "ui")  # noqa: E731
    built = []
    docs = paths.dbt_docs / "index.html"
    with duckdb.connect(str(paths.published), read_only=True) as con:
        for page in pages:
            nav = " ".join(
                f'<a href="{p.file_name}"{" class=current" if p is page else ""}>{html.escape(text(p.title, lang))}</a>'
                for p in pages
            )
            links = f'<a href="{os.path.relpath(docs, out)}">{ui("dbt_docs")}</a>' if docs.exists() else ""
            spec = page_spec(con, page, lang, currency, as_of, paths.cache / "dashboard")
            content = PAGE.format(
                html_lang="zh-CN" if lang == "zh" else "en",
                title=html.escape(text(page.title, lang)),
                product=html.escape(ui("product")),
                fonts=FONTS,
                asset=ASSET,
                nav=nav,
                question=html.escape(text(page.question, lang)),
                as_of_label=ui("as_of"),
                as_of=meta["as_of"],
                run_label=ui("run"),
                run_id=html.escape(meta["run_id"]),
                published_label=ui("published_at"),
                published_at=_local(meta["published_at"], tz),
                links=links,
                spec=json.dumps(spec, ensure_ascii=False).replace("</", "<\\/"),
                options=json.dumps(_embed_options(currency, lang), ensure_ascii=False),
            )
            _write(out / page.file_name, content)
            built.append(page.file_name)
    return {"pages": built, "dir": str(out), "as_of": meta["as_of"], "seconds": round(time.perf_counter() - t0, 2)}
