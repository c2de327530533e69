"""Sections of a dashboard page as Vega-Lite (through Altair): tiles, line, bar, heatmap, table, funnel,
waterfall and interval charts over the page's named datasets.

Everything an operator changes on the page (the date range, channel, platform, the switches) is a
Vega-Lite parameter bound to an input, and every section filters and aggregates its dataset in the
browser with them: the numbers on the page are the marts' rows, summed from their additive parts
(a ratio over a range is the ratio of the sums, as docs/metrics.md defines it, never an average of
daily ratios). Each drawn item carries a description ``section|series|x|value`` (the raw value), which
the browser shows to screen readers and the tests read back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import altair as alt

from opswh.dashboard.pages import Page, label, text

# d3-format specifiers; "$" is the reporting currency (the page's format locale)
FORMATS = {
    "int": ",d",
    "number": ",.2f",
    "currency": "$,.2f",
    "pct": ".1%",
    "ratio": ",.2f",
    "days": ",.1f",
    "hours": ",.1f",
}
DAY_MS = 86_400_000
WIDTH, HEIGHT = 520, 220


@dataclass(frozen=True)
class Context:
    page: Page
    lang: str
    columns: dict[str, list[str]]  # dataset -> its columns

    def label(self, key: str) -> str:
        return label(key, self.lang)

    def ui(self, key: str) -> str:
        return label(key, self.lang, "ui")


def _q(name: str) -> str:
    return f"datum[{json.dumps(name)}]"


def _date(column: str) -> str:
    return f"time(toDate({_q(column)}))"


def filters(ctx: Context, dataset: str, date_mode: str = "range", date: str | None = None) -> list[str]:
    """The page's filters that apply to a dataset: the date range on its date column, channel and
    platform where it has them, the switches on the columns they name."""
    columns = ctx.columns[dataset]
    out = []
    date = date or ctx.page.datasets[dataset].date
    if date and date_mode in ("range", "to"):
        out.append(f"{_date(date)} <= time(toDate(date_to))")
        if date_mode == "range":
            out.append(f"{_date(date)} >= time(toDate(date_from))")
    for f in ctx.page.filters:
        if f in columns:
            out.append(f"{f} == 'all' || {_q(f)} == {f}")
    for switch in ctx.page.switches:
        column = switch.get("column")
        if column and column in columns:
            out.append(f"{_q(column)} == {switch['name']}")
    return out


def _base(ctx: Context, section: dict[str, Any], date_mode: str = "range") -> alt.Chart:
    chart = alt.Chart(alt.Data(name=section["dataset"]))
    for expression in filters(ctx, section["dataset"], section.get("date_filter", date_mode), section.get("date")):
        chart = chart.transform_filter(expression)
    for name, expression in (section.get("calculate") or {}).items():
        chart = chart.transform_calculate(**{name: expression})
    if section.get("where"):
        chart = chart.transform_filter(section["where"])
    return chart


def _measures(section: dict[str, Any]) -> list[dict[str, Any]]:
    """``spend`` (a sum), ``{name, ratio: [numerator, denominator]}``, ``{name, op}`` (max, min, mean)."""
    out = []
    for m in section["measures"]:
        out.append({"name": m, "op": "sum"} if isinstance(m, str) else {"op": "sum", **m})
    return out


def _aggregate(chart: alt.Chart, measures: list[dict[str, Any]], groupby: list[str]) -> alt.Chart:
    parts: dict[str, str] = {}
    for m in measures:
        if "ratio" in m:
            for f in m["ratio"]:
                parts.setdefault(f, "sum")
        else:
            parts[m.get("field", m["name"])] = m["op"]
    chart = chart.transform_aggregate(
        [alt.AggregatedFieldDef(op=op, field=f, **{"as": f"_{f}"}) for f, op in parts.items()], groupby=groupby
    )
    for m in measures:
        if "ratio" in m:
            a, b = (_q(f"_{f}") for f in m["ratio"])
            expression = f"isValid({b}) && {b} != 0 && isValid({a}) ? {a} / {b} : null"
        else:
            expression = _q(f"_{m.get('field', m['name'])}")
        chart = chart.transform_calculate(**{m["name"]: expression})
    return chart


def _shown(value: str, fmt: str) -> str:
    """A Vega expression: the value formatted for the page, '–' when it is missing."""
    return f"(isValid({value}) && isFinite({value}) ? format({value}, {json.dumps(FORMATS[fmt])}) : '–')"


def _x_day(field: str, title: str | None = None, ranged: bool = True) -> alt.X:
    """A day axis; on the date range's days when the chart follows the range (so an empty chart keeps its axis)."""
    domain = [{"expr": "time(toDate(date_from))"}, {"expr": "time(toDate(date_to))"}] if ranged else alt.Undefined
    return alt.X(
        f"{field}:T",
        timeUnit="utcyearmonthdate",
        scale=alt.Scale(type="utc", domain=domain),
        axis=alt.Axis(format="%m-%d", labelAngle=0),
        title=title,
    )


def _described(chart: alt.Chart, section_id: str, series: str, x: str, x_is_date: bool) -> alt.Chart:
    x_text = f"utcFormat(toDate({_q(x)}), '%Y-%m-%d')" if x_is_date else f"'' + {_q(x)}"
    return chart.transform_calculate(_x=x_text).transform_calculate(
        _desc=f"'{section_id}|' + {series} + '|' + datum._x + '|' + (isValid(datum.value) ? datum.value : '')"
    )


def _series_chart(ctx: Context, section: dict[str, Any]) -> alt.Chart:
    """Line or bar charts of measures over x (a day, a period start, a number), by one color column
    or, without one, one series per measure."""
    measures = _measures(section)
    x, color = section["x"], section.get("color")
    x_type = section.get(
        "x_type", "temporal"
    )  # temporal (days), period (a week's / month's start), ordinal, quantitative
    x_is_date = x_type in ("temporal", "period")
    groupby = [x] + ([color] if color else []) + ([section["partial"]] if section.get("partial") else [])
    chart = _aggregate(_base(ctx, section), measures, groupby)
    names = {m["name"]: ctx.label(m["name"]) for m in measures}
    negative = set(section.get("negative", []))
    if color:
        (measure,) = measures
        chart = chart.transform_calculate(value=_q(measure["name"]), series=f"'' + {_q(color)}")
    else:
        chart = chart.transform_fold(list(names), as_=["measure", "value"]).transform_calculate(
            series=f"{json.dumps(names)}[datum.measure]"
        )
    if negative:
        chart = chart.transform_calculate(
            value=f"indexof({json.dumps(sorted(negative))}, datum.measure) >= 0 ? -datum.value : datum.value"
        )
    chart = _described(chart, section["id"], "datum.series", x, x_is_date)
    fmt = FORMATS[section.get("format", "int")]
    x_title = ctx.label(section.get("x_label", x))
    if x_type == "temporal":
        x_enc = _x_day(x, x_title, ranged=section.get("date_filter", "range") == "range")
    elif x_type == "period":
        x_enc = alt.X("_x:O", title=x_title, axis=alt.Axis(labelAngle=0))
    else:
        x_enc = alt.X(f"{x}:{'Q' if x_type == 'quantitative' else 'O'}", title=x_title)
    encoding: dict[str, Any] = {
        "x": x_enc,
        "y": alt.Y(
            "value:Q",
            title=section.get("y_title") and ctx.label(section["y_title"]),
            axis=alt.Axis(format=fmt),
        ),
        "color": alt.Color("series:N", title=ctx.label(color))
        if color
        else alt.Color("series:N", title=None, scale=alt.Scale(domain=list(names.values()))),
        "description": alt.Description("_desc:N"),
        "tooltip": [
            alt.Tooltip("series:N", title=ctx.ui("series")),
            alt.Tooltip("_x:N", title=x_title),
            alt.Tooltip("value:Q", title=ctx.ui("value"), format=fmt),
        ],
    }
    if section["kind"] == "bar":
        if section.get("partial"):
            encoding["opacity"] = alt.condition(
                f"datum[{json.dumps(section['partial'])}]", alt.value(0.35), alt.value(1)
            )
        drawn = chart.mark_bar().encode(**encoding)
    else:
        line = chart.mark_line().encode(**{k: v for k, v in encoding.items() if k not in ("description", "tooltip")})
        drawn = alt.layer(line, chart.mark_point(size=18, filled=True).encode(**encoding))
    return drawn.properties(width=WIDTH, height=HEIGHT, title=text(section["title"], ctx.lang))


def tiles(ctx: Context, section: dict[str, Any]) -> alt.ConcatChart:
    """KPI tiles: each measure on the last day of the range, its change against the same day a week
    before (the mart's ``*_week_ago`` column), and its trend over the last ``trend`` days."""
    date = ctx.page.datasets[section["dataset"]].date
    cells = []
    for tile in section["tiles"]:
        f, fmt = tile["field"], tile.get("format", "int")
        base = _base(ctx, section, "to").transform_calculate(_t=_date(date)).transform_joinaggregate(_last="max(_t)")
        last = base.transform_filter("datum._t == datum._last")
        value = last.transform_calculate(
            _shown=_shown(_q(f), fmt), _desc=f"'tile|{f}|' + (isValid({_q(f)}) ? {_q(f)} : '')"
        ).mark_text(align="left", baseline="top", fontSize=22, fontWeight="bold", x=0, y=0)
        value = value.encode(text="_shown:N", description="_desc:N")
        week_ago = tile.get("week_ago")
        layers = [value]
        if week_ago:
            a, b = _q(f), _q(week_ago)
            change = last.transform_calculate(
                _chg=f"isValid({a}) && isValid({b}) && {b} != 0 ? ({a} - {b}) / abs({b}) : null",
            ).transform_calculate(
                _shown=f"'{ctx.ui('week_over_week')} ' + (isValid(datum._chg) ? format(datum._chg, '+.1%') : '–')",
                _desc=f"'wow|{f}|' + (isValid(datum._chg) ? datum._chg : '')",
            )
            layers.append(
                change.mark_text(align="left", baseline="top", fontSize=12, color="#666", x=0, y=30).encode(
                    text="_shown:N", description="_desc:N"
                )
            )
        spark = (
            base.transform_filter(f"datum._t > datum._last - trend * {DAY_MS}")
            .mark_line(color="#4c78a8")
            .encode(
                x=alt.X(f"{date}:T", axis=None, scale=alt.Scale(type="utc")),
                y=alt.Y(f"{f}:Q", axis=None, scale=alt.Scale(zero=False)),
            )
            .properties(width=170, height=36)
        )
        cells.append(
            alt.vconcat(alt.layer(*layers).properties(width=170, height=46), spark, spacing=2).properties(
                title=alt.TitleParams(ctx.label(f), anchor="start", fontSize=12)
            )
        )
    return alt.concat(*cells, columns=section.get("columns", 4), spacing=18)


def table(ctx: Context, section: dict[str, Any]) -> alt.Chart:
    """A table of measures by one column (rows), as a text grid; sorted by a measure, top N."""
    measures = _measures(section)
    by = section["by"]
    sort = section.get("sort", measures[0]["name"])
    hidden = [] if any(m["name"] == sort for m in measures) else [{"name": sort, "op": "max"}]  # sorts, not shown
    chart = _aggregate(_base(ctx, section), measures + hidden, [by])
    chart = chart.transform_window(_rank="row_number()", sort=[alt.SortField(sort, order="descending")])
    if section.get("top"):
        chart = chart.transform_filter(f"datum._rank <= {int(section['top'])}")
    formats = {m["name"]: m.get("format", section.get("format", "int")) for m in measures}
    names = {m["name"]: ctx.label(m["name"]) for m in measures}
    shown = " : ".join(f"datum.measure == '{n}' ? ({_shown('datum.value', formats[n])})" for n in names) + " : ''"
    chart = (
        chart.transform_fold(list(names), as_=["measure", "value"])
        .transform_calculate(_shown=shown, column=f"{json.dumps(names)}[datum.measure]")
        .transform_calculate(
            _desc=f"'{section['id']}|' + {_q(by)} + '|' + datum.measure + '|' + (isValid(datum.value) ? datum.value : '')"
        )
    )
    rows = alt.Y(f"{by}:N", sort=alt.EncodingSortField("_rank", order="ascending"), title=ctx.label(by))
    return (
        chart.mark_text(align="right", dx=40)
        .encode(
            x=alt.X("column:N", sort=list(names.values()), axis=alt.Axis(orient="top", labelAngle=0, title=None)),
            y=rows,
            text="_shown:N",
            description="_desc:N",
        )
        .properties(width=max(WIDTH, 95 * len(names)), title=text(section["title"], ctx.lang))
    )


def heatmap(ctx: Context, section: dict[str, Any]) -> alt.Chart:
    """Cohort cells: x periods since, y the cohort, color the rate; incomplete cells faded and starred."""
    x, y, value = section["x"], section["y"], section["value"]
    fmt = section.get("format", "pct")
    chart = _base(ctx, section).transform_calculate(
        value=_q(value),
        _cohort=f"utcFormat(toDate({_q(y)}), '%Y-%m-%d')",
        _shown=_shown(_q(value), fmt) + (f" + ({_q(section['partial'])} ? '*' : '')" if section.get("partial") else ""),
    )
    chart = _described(chart, section["id"], "datum._cohort", x, False)
    encoding = {
        "x": alt.X(f"{x}:O", title=ctx.label(x)),
        "y": alt.Y("_cohort:O", title=ctx.label(y), sort="descending"),
        "description": alt.Description("_desc:N"),
        "tooltip": [
            alt.Tooltip("_cohort:O", title=ctx.label(y)),
            alt.Tooltip(f"{x}:O", title=ctx.label(x)),
            alt.Tooltip("_shown:N", title=ctx.label(value)),
        ],
    }
    rect = chart.mark_rect().encode(
        color=alt.Color(
            "value:Q", title=ctx.label(value), scale=alt.Scale(scheme="blues"), legend=alt.Legend(format=FORMATS[fmt])
        ),
        opacity=alt.condition(f"datum[{json.dumps(section['partial'])}]", alt.value(0.35), alt.value(1))
        if section.get("partial")
        else alt.value(1),
        **encoding,
    )
    labels = chart.transform_calculate(_label=f"'{section['id']}:label|' + datum._cohort + '|' + datum._x")
    labels = labels.mark_text(fontSize=9).encode(
        x=encoding["x"],
        y=encoding["y"],
        text="_shown:N",
        description="_label:N",
        color=alt.condition("datum.value > 0.5", alt.value("white"), alt.value("black")),
    )
    return alt.layer(rect, labels).properties(width=WIDTH, title=text(section["title"], ctx.lang))


def funnel(ctx: Context, section: dict[str, Any]) -> alt.Chart:
    """Step bars: each step's users summed over the range, with the step and overall conversion."""
    steps = section["steps"]
    names = {s: ctx.label(s) for s in steps}
    chart = _aggregate(_base(ctx, section), [{"name": s, "op": "sum"} for s in steps], [])
    chart = (
        chart.transform_fold(steps, as_=["step", "value"])
        .transform_calculate(
            _order=f"indexof({json.dumps(steps)}, datum.step)", series=f"{json.dumps(names)}[datum.step]"
        )
        .transform_window(_previous="lag(value)", _first="first_value(value)", sort=[alt.SortField("_order")])
        .transform_calculate(
            step_rate="datum._order == 0 ? null : (datum._previous ? datum.value / datum._previous : null)",
            overall_rate="datum._first ? datum.value / datum._first : null",
        )
        .transform_calculate(
            _shown=f"format(datum.value, ',d') + (datum._order == 0 ? '' : '  ' + '{ctx.ui('step_conversion')} ' + "
            f"({_shown('datum.step_rate', 'pct')}) + ' · {ctx.ui('overall_conversion')} ' + ({_shown('datum.overall_rate', 'pct')}))",
            _desc=f"'{section['id']}|' + datum.step + '|' + datum.step_rate + '|' + datum.value",
        )
    )
    y = alt.Y("series:N", sort=list(names.values()), title=None)
    bars = chart.mark_bar().encode(x=alt.X("value:Q", title=ctx.ui("users")), y=y, description="_desc:N")
    labels = chart.mark_text(align="left", dx=4).encode(x="value:Q", y=y, text="_shown:N")
    return alt.layer(bars, labels).properties(
        width=WIDTH - 120, height=HEIGHT - 40, title=text(section["title"], ctx.lang)
    )


def waterfall(ctx: Context, section: dict[str, Any]) -> alt.Chart:
    """A bridge of the last period in the range: the starting total, the signed movements, the ending total."""
    steps = section["steps"]  # [{field, sign: 1 | -1 | total}]; the first and the last are totals
    fields = [s["field"] for s in steps]
    date = ctx.page.datasets[section["dataset"]].date
    signs = {s["field"]: s.get("sign", 1) for s in steps}
    names = {f: ctx.label(f) for f in fields}
    chart = (
        _base(ctx, section)
        .transform_calculate(_t=_date(date))
        .transform_joinaggregate(_last="max(_t)")
        .transform_filter("datum._t == datum._last")
        .transform_fold(fields, as_=["step", "amount"])
        .transform_calculate(
            _order=f"indexof({json.dumps(fields)}, datum.step)",
            _sign=f"{json.dumps(signs)}[datum.step]",
            series=f"{json.dumps(names)}[datum.step]",
        )
        .transform_calculate(
            delta="datum._sign == 'total' ? (datum._order == 0 ? datum.amount : 0) : datum._sign * datum.amount"
        )
        .transform_window(_level="sum(delta)", sort=[alt.SortField("_order")])
        .transform_calculate(
            _y0="datum._sign == 'total' ? 0 : datum._level - datum.delta",
            _y1="datum._sign == 'total' ? datum.amount : datum._level",
            value="datum._sign == 'total' ? datum.amount : datum.delta",
            _kind="datum._sign == 'total' ? 'total' : (datum.delta >= 0 ? 'up' : 'down')",
        )
    )
    fmt = section.get("format", "currency")
    chart = _described(chart, section["id"], "datum.step", date, True).transform_calculate(
        _shown=_shown("datum.value", fmt)
    )
    x = alt.X("series:N", sort=list(names.values()), title=None, axis=alt.Axis(labelAngle=0))
    bars = chart.mark_bar().encode(
        x=x,
        y=alt.Y("_y0:Q", title=ctx.label(section.get("y_title", fields[-1])), axis=alt.Axis(format=FORMATS[fmt])),
        y2="_y1:Q",
        color=alt.Color(
            "_kind:N",
            scale=alt.Scale(domain=["total", "up", "down"], range=["#4c78a8", "#54a24b", "#e45756"]),
            legend=None,
        ),
        description="_desc:N",
    )
    labels = chart.mark_text(dy=-6).encode(x=x, y="_y1:Q", text="_shown:N")
    return alt.layer(bars, labels).properties(width=WIDTH, height=HEIGHT, title=text(section["title"], ctx.lang))


def interval(ctx: Context, section: dict[str, Any]) -> alt.Chart:
    """An estimate with its interval per category (a campaign's lift and its 95% CI), zero marked."""
    category, value, low, high = section["x"], section["value"], section["low"], section["high"]
    fmt = section.get("format", "pct")
    chart = _base(ctx, section).transform_calculate(value=_q(value))
    chart = _described(chart, section["id"], f"'' + {_q(category)}", category, False)
    x = alt.X(f"{category}:N", title=ctx.label(category), axis=alt.Axis(labelAngle=0))
    tooltip = [alt.Tooltip(f"{c}:Q", title=ctx.label(c), format=FORMATS[fmt]) for c in (value, low, high)]
    tooltip += [alt.Tooltip(f"{c}:Q", title=ctx.label(c), format=",d") for c in section.get("sizes", [])]
    points = chart.mark_point(filled=True, size=60).encode(
        x=x,
        y=alt.Y("value:Q", title=ctx.label(value), axis=alt.Axis(format=FORMATS[fmt])),
        description="_desc:N",
        tooltip=tooltip,
    )
    rules = chart.mark_rule().encode(x=x, y=f"{low}:Q", y2=f"{high}:Q")
    zero = alt.Chart(alt.Data(values=[{"zero": 0}])).mark_rule(strokeDash=[4, 4], color="#999").encode(y="zero:Q")
    return alt.layer(rules, points, zero).properties(width=WIDTH, height=HEIGHT, title=text(section["title"], ctx.lang))


KINDS = {
    "tiles": tiles,
    "line": _series_chart,
    "bar": _series_chart,
    "table": table,
    "heatmap": heatmap,
    "funnel": funnel,
    "waterfall": waterfall,
    "interval": interval,
}


def section_chart(ctx: Context, section: dict[str, Any]):
    try:
        build = KINDS[section["kind"]]
    except KeyError:
        raise ValueError(
            f"page {ctx.page.slug}: section {section.get('id')} has unknown kind {section.get('kind')}"
        ) from None
    return build(ctx, section)
