"""Reviewed definition files (``operations/audiences.yml``, ``operations/monitors.yml``): one key holding
a list of entries, each a mapping; what a file reads as, or an error naming the file and the line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any


def entries(path: Path, key: str, shape: str, error: type[Exception]) -> Iterator[tuple[str, Any]]:
    """``(where, entry)`` for each entry of the list under ``key`` (``where`` names the file and index);
    raises ``error`` when the file is not YAML or not ``{key: [...]}`` (``shape`` describes an entry)."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else "?"
        raise error(f"{path} line {line}: not valid YAML ({e.problem})") from None
    if not isinstance(doc, dict) or set(doc) - {key} or not isinstance(doc.get(key, []), list):
        raise error(f"{path}: expected one key, {key}: a list of {shape}")
    for i, item in enumerate(doc.get(key) or [], 1):
        yield f"{path} {key}[{i}]", item
