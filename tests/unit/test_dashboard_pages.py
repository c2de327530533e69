"""The dashboard pages as declared: every page loads, its texts are bilingual, and the dbt exposures
point at real pages."""

from __future__ import annotations

import re

import pytest
import yaml

from opswh.config import REPO_ROOT, SETTINGS_BY_NAME
from opswh.dashboard.pages import _page, load_pages


def test_every_page_is_declared_with_its_datasets_and_bilingual_texts() -> None:
    pages = load_pages()
    assert [p.slug for p in pages] == [
        "overview", "acquisition", "funnel", "retention", "lifecycle", "campaigns", "content", "revenue", "health",
        "feedback",
    ]  # fmt: skip
    assert pages[0].file_name == "index.html" and pages[1].file_name == "acquisition.html"
    for page in pages:
        for ds in page.datasets.values():
            assert re.search(r"\bfrom (ops\.)?(fct|dim|ops)_|\bfrom ops\.", ds.sql), (page.slug, ds.name)


def test_a_comma_in_an_unquoted_title_is_refused_with_the_file_named(tmp_path) -> None:
    bad = tmp_path / "01_bad.yml"
    bad.write_text(
        "title: {zh: 总览, en: GMV, net revenue}\ndatasets: {kpi: select 1}\nsections: []\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"01_bad.yml: title must be \{zh: \.\.\., en: \.\.\.\}"):
        _page(bad)


def test_the_exposures_point_at_the_dashboard_pages() -> None:
    exposures = yaml.safe_load((REPO_ROOT / "dbt_project" / "models" / "marts" / "_exposures.yml").read_text())
    files = {p.file_name for p in load_pages()}
    port = SETTINGS_BY_NAME["dashboard_port"].default
    for exposure in exposures["exposures"]:
        host, _, page = exposure["url"].rpartition("/")
        assert host == f"http://127.0.0.1:{port}" and page in files, exposure["name"]


def test_a_pages_view_is_drawn_once_then_read_and_drawn_again_when_what_it_is_drawn_from_changes(tmp_path) -> None:
    import dataclasses
    import json

    from opswh.dashboard.charts import Context
    from opswh.dashboard.site import _view, cached_view

    page = next(p for p in load_pages() if p.filters)
    columns = {name: list(page.filters) for name in page.datasets}
    ctx = Context(page, "en", columns)
    drawn = cached_view(ctx, tmp_path)
    assert drawn == _view(ctx) and "vconcat" in drawn
    (kept,) = tmp_path.glob(f"{page.slug}.en.*.json")
    # the next build reads the kept view: marked here, the mark comes back
    kept.write_text(json.dumps({**drawn, "description": "read from the cache"}))
    assert cached_view(ctx, tmp_path)["description"] == "read from the cache"
    # without the filters' columns, in another language, with a changed section: drawn anew, and the
    # stale view of the page in that language removed
    no_filters = Context(page, "en", {name: [] for name in page.datasets})
    assert cached_view(no_filters, tmp_path) == _view(no_filters) != drawn
    assert not kept.exists() and len(list(tmp_path.glob(f"{page.slug}.en.*.json"))) == 1
    assert cached_view(Context(page, "zh", columns), tmp_path) == _view(Context(page, "zh", columns))
    first = {**page.sections[0], "title": {"zh": "改了", "en": "Retitled"}}
    retitled = Context(dataclasses.replace(page, sections=[first, *page.sections[1:]]), "en", columns)
    assert "Retitled" in json.dumps(cached_view(retitled, tmp_path)) and "Retitled" not in json.dumps(drawn)
    assert len(list(tmp_path.glob(f"{page.slug}.*.json"))) == 2
