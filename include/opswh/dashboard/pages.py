"""The dashboard pages as declared in ``dashboards/``: one YAML file per page, the labels in ``_labels.yml``.

A page names its datasets (SQL on the published snapshot, nothing else), its filters and switches,
and its sections (tiles, line, bar, heatmap, table, funnel, waterfall, interval); ``opswh.dashboard.charts``
turns each section into Vega-Lite, ``opswh.dashboard.site`` writes the static site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from opswh.config import REPO_ROOT

DASHBOARDS = REPO_ROOT / "dashboards"
FILTERS = ("channel", "platform")  # the filters a page may have besides the date range (every page has that)


@dataclass(frozen=True)
class Dataset:
    name: str
    sql: str
    date: str | None = None  # the column the date range filters on


@dataclass(frozen=True)
class Page:
    slug: str
    order: int
    title: dict[str, str]
    question: dict[str, str]
    datasets: dict[str, Dataset]
    sections: list[dict[str, Any]]
    filters: tuple[str, ...] = ()
    switches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return "index.html" if self.order == 1 else f"{self.slug}.html"


def _page(path: Path) -> Page:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    order, _, slug = path.stem.partition("_")
    unknown = set(doc.get("filters", [])) - set(FILTERS)
    if unknown:
        raise ValueError(f"{path}: unknown filters {sorted(unknown)} (known: {', '.join(FILTERS)})")
    datasets = {
        name: Dataset(name, d["sql"], d.get("date")) if isinstance(d, dict) else Dataset(name, d)
        for name, d in doc["datasets"].items()
    }
    _bilingual(path, "title", doc["title"])
    for section in doc["sections"]:
        _bilingual(path, f"section {section.get('id')}: title", section.get("title", {"zh": "", "en": ""}))
        if section.get("dataset") not in datasets:
            raise ValueError(f"{path}: section {section.get('id')} reads unknown dataset {section.get('dataset')}")
    return Page(
        slug=slug,
        order=int(order),
        title=doc["title"],
        question=doc.get("question", {}),
        datasets=datasets,
        sections=doc["sections"],
        filters=tuple(doc.get("filters", [])),
        switches=doc.get("switches", []),
    )


def _bilingual(path: Path, what: str, value: Any) -> None:
    """A text the page shows is {zh: ..., en: ...} (a comma in an unquoted flow mapping splits it)."""
    if not (isinstance(value, dict) and set(value) == {"zh", "en"} and all(isinstance(v, str) for v in value.values())):
        raise ValueError(f"{path}: {what} must be {{zh: ..., en: ...}} with two texts, found {value!r}")


@cache
def load_pages(folder: Path = DASHBOARDS) -> tuple[Page, ...]:
    """Every page, in the order of their file names (``01_overview.yml`` is the index)."""
    return tuple(sorted((_page(p) for p in folder.glob("[0-9][0-9]_*.yml")), key=lambda p: p.order))


@cache
def load_labels(folder: Path = DASHBOARDS) -> dict[str, dict[str, dict[str, str]]]:
    """``{"fields": {name: {lang: text}}, "ui": {...}}``: one home for every label the pages show."""
    path = folder / "_labels.yml"
    labels = yaml.safe_load(path.read_text(encoding="utf-8"))
    for kind, entries in labels.items():
        for key, value in entries.items():
            _bilingual(path, f"{kind}.{key}", value)
    return labels


def label(key: str, lang: str, kind: str = "fields") -> str:
    """The label of a field (or a ``ui`` text) in ``lang``; the key itself when none is declared."""
    entry = load_labels().get(kind, {}).get(key)
    return entry.get(lang) or entry.get("en") or key if entry else key


def text(value: dict[str, str] | str, lang: str) -> str:
    """A page's own bilingual text (``{zh: ..., en: ...}``) in ``lang``."""
    return value if isinstance(value, str) else value.get(lang) or value.get("en", "")
