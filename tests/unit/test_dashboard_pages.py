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
