"""The marts' dbt contracts (``dbt_project/models/marts/*/_*__models.yml``): each mart's columns and
their types, read once per process. Audience predicates and KPI monitors are checked against them."""

from __future__ import annotations

import functools

from opswh.config import REPO_ROOT

MARTS = REPO_ROOT / "dbt_project" / "models" / "marts"


@functools.cache
def _contracts() -> dict[str, dict[str, str]]:
    import yaml

    # libyaml's safe loader where PyYAML has it: the pure-Python one took 0.3 s of every task that reads them
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out: dict[str, dict[str, str]] = {}
    for path in sorted(MARTS.rglob("_*__models.yml")):
        for model in yaml.load(path.read_text(encoding="utf-8"), Loader=loader).get("models", []):
            out[model["name"]] = {c["name"]: c.get("data_type", "") for c in model.get("columns", [])}
    return out


def mart_columns(mart: str) -> dict[str, str]:
    """Column -> data type of a mart, from its contract (KeyError for an unknown mart)."""
    return dict(_contracts()[mart])
