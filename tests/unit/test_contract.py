"""docs/landing_contract.md, opswh.contract and the simulator's files agree."""

from __future__ import annotations

import csv
import json
import re

import pyarrow.parquet as pq

from opswh import contract
from opswh.config import REPO_ROOT
from opswh.contract import render
from opswh.landing import MARKER, data_files, read_marker


def test_doc_tables_are_the_contract() -> None:
    doc = (REPO_ROOT / "docs" / "landing_contract.md").read_text(encoding="utf-8")
    section = re.search(r"<!-- contract:begin -->\n(.*)<!-- contract:end -->", doc, re.S)
    assert section, "docs/landing_contract.md lost its generated section"
    assert section.group(1).strip() == render.render_markdown().strip(), (
        "docs/landing_contract.md is out of date: regenerate the section from opswh.render.render_markdown()"
    )


def test_doc_lists_every_fault_class() -> None:
    from opswh.simulate.faults import FAULTS

    doc = (REPO_ROOT / "docs" / "landing_contract.md").read_text(encoding="utf-8")
    for name in FAULTS:
        assert f"| `{name}` |" in doc, name


def _columns_of(path) -> list[str]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8") as f:
            return next(csv.reader(f))
    if path.suffix == ".parquet":
        return pq.read_schema(path).names
    with path.open(encoding="utf-8") as f:
        first = f.readline()
    return list(json.loads(first)) if first else []


def test_simulator_writes_what_the_contract_says(clean_landing) -> None:
    for feed in contract.FEEDS:
        parts = sorted((clean_landing.landing / feed.name).glob("dt=*"))
        assert len(parts) == 3, feed.name
        for part in parts:
            assert (part / MARKER).exists()
            files = read_marker(part)  # checksums and listed files hold
            assert {f.path for f in files} == set(data_files(part))
            for f in files:
                assert f.path.suffix == "." + feed.format
                cols = _columns_of(f.path)
                if cols:  # an empty JSON file has no keys to show
                    assert cols == feed.column_names, (feed.name, f.path)


def test_event_properties_keys_match_the_documented_ones(clean_landing) -> None:
    documented = contract.get_feed("events").column("properties").description
    f = data_files(next((clean_landing.landing / "events").glob("dt=*")))[0]
    keys = json.loads(f.open(encoding="utf-8").readline())["properties"].keys()
    for k in keys:
        assert k in documented, k


def test_dbt_sources_are_generated_from_the_contract() -> None:
    for source in contract.SOURCES:
        path = REPO_ROOT / "dbt_project" / "models" / "staging" / source / f"_{source}__sources.yml"
        assert path.read_text(encoding="utf-8") == render.render_dbt_sources(source), (
            f"{path} is out of date: run `python -m opswh.contract`"
        )


def test_the_gx_raw_suites_structural_part_is_generated_from_the_contract() -> None:
    for feed in contract.FEEDS:
        expected = render.render_raw_suite(feed)
        path = render.GENERATED_SUITES / f"{expected['name']}.json"
        assert path.exists() and json.loads(path.read_text(encoding="utf-8")) == expected, (
            f"{path} is out of date: run `python -m opswh.contract`"
        )
    assert {p.stem for p in render.GENERATED_SUITES.glob("*.json")} == {
        f"raw_{f.name}__contract" for f in contract.FEEDS
    }


def test_every_contract_rule_has_its_count_in_the_generated_suite() -> None:
    events = render.render_raw_suite(contract.get_feed("events"))
    checked = {e["kwargs"]["column"] for e in events["expectations"]}
    assert {
        "event_type__null",
        "event_type__too_long",
        "event_at__outside_window",
        "received_after_event__violated",
    } <= checked
    assert "key__repeated" in checked and "event_id__null" not in checked  # an export may lack event ids
    orders = {e["kwargs"]["column"] for e in render.render_raw_suite(contract.get_feed("orders"))["expectations"]}
    assert {"currency__not_iso_4217", "order_id__null", "gmv_amount__negative"} <= orders


def test_the_default_events_mapping_covers_the_simulators_names() -> None:
    """Event names are the source's own; the shipped mapping gives the simulator's their roles."""
    from opswh.mappings import events_mapping
    from opswh.simulate.world import EVENT_MIX

    roles = events_mapping(REPO_ROOT / "nowhere").roles
    simulated = set(EVENT_MIX) | {
        "check_in",
        "points_earn",
        "points_redeem",
        "post_create",
        "campaign_join",
        "coupon_claim",
    }
    mapped = {name for names in roles.values() for name in names}
    assert {"visit", "check_in", "points_earn", "points_redeem", "page_view", "like", "comment", "share"} <= mapped
    assert mapped & simulated and roles["not_activity"] == ["visit", "session_start", "first_visit", "identify"]
