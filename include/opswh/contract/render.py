"""Files derived from the contract: the dbt sources, the tables of docs/landing_contract.md and the
structural part of the GX raw suites. ``python -m opswh.contract`` regenerates them; tests fail when
one drifts from the contract."""

from __future__ import annotations

import json
from pathlib import Path

from opswh.config import REPO_ROOT
from opswh.contract.feeds import FEEDS, SOURCES, feeds_of
from opswh.contract.model import Feed
from opswh.ingest.sql import ident, literal_list, repeated_keys

GENERATED_SUITES = REPO_ROOT / "expectations" / "suites" / "generated"
HEADER = "Generated from include/opswh/contract/ by `python -m opswh.contract`; do not edit by hand."


def render_markdown() -> str:
    """The per-feed tables of docs/landing_contract.md, generated from FEEDS."""
    out: list[str] = []
    for source in SOURCES:
        out.append(f"### Source `{source}`\n")
        for feed in feeds_of(source):
            kind = "full snapshot" if feed.snapshot else "daily delta"
            out.append(f"#### `{feed.name}` ({feed.format}, {kind})\n")
            out.append(feed.description + "\n")
            out.append(f"Key: {', '.join(f'`{k}`' for k in feed.key)}.\n")
            if feed.needed_by:
                out.append(f"Needed by (NULL there when the feed is declared absent): {feed.needed_by}.\n")
            out.append("| column | type | rules | description |")
            out.append("|---|---|---|---|")
            for c in feed.columns:
                out.append(f"| `{c.name}` | {c.type} | {c.rules} | {c.description} |")
            if feed.row_checks:
                out.append("")
                out.append("Row rules: " + "; ".join(f"`{r.sql}` ({r.reason})" for r in feed.row_checks) + ".")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_dbt_sources(source: str) -> str:
    """``dbt_project/models/staging/<source>/_<source>__sources.yml``, generated from FEEDS."""
    import yaml

    tables = []
    for feed in feeds_of(source):
        cols = []
        for c in feed.columns:
            col: dict = {"name": c.name, "description": c.description, "data_type": c.type.lower()}
            cols.append(col)
        tables.append(
            {
                "name": feed.name,
                "meta": {"needed_by": feed.needed_by},
                "description": f"{feed.description} Landed by opswh.ingest; one row per landed record of a partition "
                f"(`_dt`), with lineage columns. Generated from opswh.contract.",
                "columns": cols
                + [
                    {"name": "_dt", "description": "Landing partition (reporting day) the row was delivered in."},
                    {"name": "_file", "description": "File the row came from, relative to the landing folder."},
                    {"name": "_line", "description": "Line of the file."},
                    {"name": "_loaded_at", "description": "When the load ran (UTC)."},
                ],
            }
        )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": source,
                "schema": "raw",
                "description": f"Feeds of the `{source}` source system, as landed (see docs/landing_contract.md).",
                "config": {
                    "loaded_at_field": "_loaded_at",
                    "freshness": {
                        "warn_after": {"count": 36, "period": "hour"},
                        "error_after": {"count": 72, "period": "hour"},
                    },
                },
                "tables": tables,
            }
        ],
    }
    header = f"# {HEADER}\n"
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)


def structural_checks(feed: Feed) -> list[tuple[str, str, str, str]]:
    """The contract's rules of one feed as counts over a partition: (name, predicate, severity, what it counts).

    The loader already quarantines every row that breaks one, so each count must be 0: the GX gate
    checks it again, independently and cheaply, on one row of counts computed in DuckDB."""
    checks = []
    for c in feed.columns:
        q = ident(c.name)
        if c.required:
            checks.append((f"{c.name}__null", f"{q} is null", "critical", f"rows whose {c.name} is null"))
        if c.enum:
            allowed = ", ".join(c.enum)
            checks.append(
                (
                    f"{c.name}__not_allowed",
                    f"not list_contains({literal_list(c.enum)}, {q})",
                    "critical",
                    f"rows whose {c.name} is not one of {allowed}",
                )
            )
        if c.non_negative:
            checks.append((f"{c.name}__negative", f"{q} < 0", "critical", f"rows with a negative {c.name}"))
        if c.max_length:
            checks.append(
                (
                    f"{c.name}__too_long",
                    f"length({q}) > {c.max_length}",
                    "critical",
                    f"rows whose {c.name} is longer than {c.max_length} characters",
                )
            )
        if c.not_future:
            checks.append(
                (
                    f"{c.name}__outside_window",
                    f"{q} not between $launch and $upper",
                    "critical",
                    f"rows whose {c.name} is before the launch or after the end of the day (plus clock skew)",
                )
            )
        if c.currency:
            checks.append(
                (
                    f"{c.name}__not_iso_4217",
                    f"not regexp_matches({q}, '^[A-Z]{{3}}$')",
                    "critical",
                    f"rows whose {c.name} is not an ISO 4217 code",
                )
            )
    for rc in feed.row_checks:
        checks.append((f"{rc.name}__violated", f"not coalesce({rc.sql}, true)", "critical", f"rows where {rc.reason}"))
    return checks


def render_raw_suite(feed: Feed) -> dict:
    """The structural GX suite of one raw feed: the contract's rules, counted per partition, all 0."""
    counts = [f"count(*) filter (where {pred}) as {ident(name)}" for name, pred, _, _ in structural_checks(feed)]
    # a snapshot feed (a catalogue) must not repeat a key; a delta feed may (re-sent rows), staging keeps one
    counts.append(f"{repeated_keys(feed.key)} as key__repeated")
    query = f"select count(*) as row_count, {', '.join(counts)} from raw.{ident(feed.name)} where _dt = $day"
    expectations = [
        {
            "type": "expect_column_max_to_be_between",
            "kwargs": {"column": name, "max_value": 0},
            "meta": {"severity": severity, "notes": what},
        }
        for name, _, severity, what in structural_checks(feed)
    ]
    expectations.append(
        {
            "type": "expect_column_max_to_be_between",
            "kwargs": {"column": "key__repeated", "max_value": 0},
            "meta": {
                "severity": "critical" if feed.snapshot else "warning",
                "notes": f"rows repeating a key ({', '.join(feed.key)})"
                + ("" if feed.snapshot else "; staging keeps one"),
            },
        }
    )
    return {
        "name": f"raw_{feed.name}__contract",
        "meta": {
            "stage": "raw",
            "generated": HEADER,
            "description": f"The landing contract's rules of {feed.name}, counted over one partition.",
            "query": query,
        },
        "expectations": expectations,
    }


def write_generated(repo_root: Path | None = None) -> None:
    """Regenerate the files derived from the contract: dbt sources, the doc's tables and the GX raw suites."""
    import re

    root = repo_root or REPO_ROOT
    suites = root / GENERATED_SUITES.relative_to(REPO_ROOT)
    suites.mkdir(parents=True, exist_ok=True)
    for feed in FEEDS:
        doc = render_raw_suite(feed)
        (suites / f"{doc['name']}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    for source in SOURCES:
        path = root / "dbt_project" / "models" / "staging" / source / f"_{source}__sources.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_dbt_sources(source), encoding="utf-8")
    doc = root / "docs" / "landing_contract.md"
    text = doc.read_text(encoding="utf-8")
    text = re.sub(
        r"(<!-- contract:begin -->\n).*(<!-- contract:end -->)",
        lambda m: m.group(1) + render_markdown() + "\n" + m.group(2),
        text,
        flags=re.S,
    )
    doc.write_text(text, encoding="utf-8")
