"""Reviewed reference mappings: what a source's event names mean, its product funnels, its platform
values, and exchange rates.

The project ships defaults in ``mappings/`` (``events.yml``, ``fx_rates.csv``); a team adds its
own in ``<data dir>/mappings/`` without editing tracked files:

- ``events.yml``: a section the team's file has (``roles``, ``funnels``, ``platforms``) replaces
  the shipped one; a section it leaves out keeps the default. dbt gets the result as vars
  (``event_roles``, ``product_funnels``, ``platform_map``).
- ``fx_rates.csv``: the team's rows are added to the shipped ones and win for the same currency
  and day. The loader writes them to ``raw.fx_rates`` before it loads a partition, quarantines a
  row whose currency has no rate on its day, and staging converts with the rate in force.

Every file is checked when it is read; an error names the file, the row (or key) and the column.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from opswh.config import REPO_ROOT
from opswh.contract import PLATFORMS
from opswh.errors import PermanentError

SHIPPED = REPO_ROOT / "mappings"
ROLES = (
    "visit",
    "not_activity",
    "campaign_interaction",
    "points_earned",
    "points_redeemed",
    "reward_granted",
    "content_view",
    "content_like",
    "content_comment",
    "content_share",
)
FX_COLUMNS = ("currency", "valid_from", "units_per_usd")


class MappingError(PermanentError):
    """A mapping file cannot be used; the message names the file, the row or key, and the column."""


def team_dir(root: Path) -> Path:
    return Path(root) / "mappings"


@dataclass(frozen=True)
class EventsMapping:
    roles: dict[str, list[str]]
    funnels: list[dict[str, Any]]
    platforms: dict[str, str]
    files: dict[str, str]  # section -> the file it came from


def _read_yaml(path: Path) -> dict:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else "?"
        raise MappingError(f"{path} line {line}: not valid YAML ({e.problem})") from None
    if not isinstance(doc, dict):
        raise MappingError(f"{path}: expected a mapping with roles, funnels and platforms")
    unknown = sorted(set(doc) - {"roles", "funnels", "platforms"})
    if unknown:
        raise MappingError(f"{path}: unknown section(s) {', '.join(unknown)}; known: roles, funnels, platforms")
    return doc


def _names(path: Path, where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise MappingError(f"{path} {where}: expected a list of event names")
    return [v.strip() for v in value]


def _roles(path: Path, doc: Any) -> dict[str, list[str]]:
    if not isinstance(doc, dict):
        raise MappingError(f"{path} roles: expected role: [event names]")
    unknown = sorted(set(doc) - set(ROLES))
    if unknown:
        raise MappingError(f"{path} roles: unknown role(s) {', '.join(unknown)}; known: {', '.join(ROLES)}")
    return {role: _names(path, f"roles.{role}", doc.get(role) or []) for role in ROLES}


def _funnels(path: Path, doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, list):
        raise MappingError(f"{path} funnels: expected a list of {{name, window_days, steps}}")
    out, seen = [], set()
    for i, f in enumerate(doc, 1):
        where = f"funnels[{i}]"
        if not isinstance(f, dict) or set(f) != {"name", "window_days", "steps"}:
            raise MappingError(f"{path} {where}: expected exactly name, window_days and steps")
        name = f["name"]
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in seen:
            raise MappingError(f"{path} {where}.name: {name!r} must be a new lowercase identifier (a-z, 0-9, _)")
        seen.add(name)
        window = f["window_days"]
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise MappingError(f"{path} {where}.window_days: {window!r} must be a whole number of days >= 1")
        steps = _names(path, f"{where}.steps", f["steps"])
        if len(steps) < 2:
            raise MappingError(f"{path} {where}.steps: a funnel needs at least two steps")
        out.append({"name": name, "window_days": window, "steps": steps})
    return out


def _platforms(path: Path, doc: Any) -> dict[str, str]:
    if not isinstance(doc, dict):
        raise MappingError(f"{path} platforms: expected source value: platform")
    out = {}
    for value, platform in doc.items():
        if platform not in PLATFORMS:
            raise MappingError(f"{path} platforms.{value}: {platform!r} is not one of {', '.join(PLATFORMS)}")
        out[str(value).strip().lower()] = platform
    return out


def events_mapping(root: Path) -> EventsMapping:
    """The events mapping in force for a data directory: the team's sections over the shipped ones."""
    shipped, own = SHIPPED / "events.yml", team_dir(root) / "events.yml"
    docs = [(shipped, _read_yaml(shipped))] + ([(own, _read_yaml(own))] if own.exists() else [])
    sections: dict[str, tuple[Path, Any]] = {}
    for path, doc in docs:
        for name, value in doc.items():
            sections[name] = (path, value)
    roles_path, roles = sections["roles"]
    funnels_path, funnels = sections["funnels"]
    platforms_path, platforms = sections["platforms"]
    return EventsMapping(
        _roles(roles_path, roles),
        _funnels(funnels_path, funnels),
        _platforms(platforms_path, platforms),
        {"roles": str(roles_path), "funnels": str(funnels_path), "platforms": str(platforms_path)},
    )


def dbt_vars(root: Path) -> dict[str, Any]:
    """The mappings as dbt vars."""
    m = events_mapping(root)
    return {"event_roles": m.roles, "product_funnels": m.funnels, "platform_map": m.platforms}


def read_fx_file(path: Path) -> list[tuple[str, date, Decimal, str, int]]:
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        lines = [(n, line) for n, line in enumerate(f, 1) if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return rows
    header_line, header = lines[0][0], next(csv.reader([lines[0][1]]))
    if tuple(h.strip() for h in header) != FX_COLUMNS:
        raise MappingError(
            f"{path} line {header_line}: the header must be {','.join(FX_COLUMNS)}, not {','.join(header)}"
        )
    for n, line in lines[1:]:
        values = next(csv.reader([line]))
        if len(values) != len(FX_COLUMNS):
            raise MappingError(
                f"{path} line {n}: expected {len(FX_COLUMNS)} columns ({','.join(FX_COLUMNS)}), got {len(values)}"
            )
        currency, valid_from, units = (v.strip() for v in values)
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise MappingError(f"{path} line {n}, column currency: {currency!r} is not an ISO 4217 code such as EUR")
        try:
            day = date.fromisoformat(valid_from)
        except ValueError:
            raise MappingError(
                f"{path} line {n}, column valid_from: {valid_from!r} is not a date, YYYY-MM-DD"
            ) from None
        try:
            rate = Decimal(units)
        except InvalidOperation:
            rate = Decimal(0)
        if not rate.is_finite() or rate <= 0:
            raise MappingError(f"{path} line {n}, column units_per_usd: {units!r} must be a number > 0")
        rows.append((currency, day, rate, str(path), n))
    return rows


def fx_rates(root: Path) -> list[tuple[str, date, Decimal, str, int]]:
    """Every rate in force: the shipped ones, then the team's, which win for the same currency and day."""
    own = team_dir(root) / "fx_rates.csv"
    rates: dict[tuple[str, date], tuple[str, date, Decimal, str, int]] = {}
    for path in (SHIPPED / "fx_rates.csv", own):
        if path.exists():
            for row in read_fx_file(path):
                rates[(row[0], row[1])] = row
    return sorted(rates.values())


def store_fx_rates(con, root: Path) -> int:
    """Replace ``raw.fx_rates`` with the rates in force; the loader and staging read it."""
    rows = fx_rates(root)
    con.execute("create schema if not exists raw")
    con.execute("begin transaction")
    try:
        con.execute(
            "create or replace table raw.fx_rates (currency varchar, valid_from date, units_per_usd decimal(18, 6), "
            "source_file varchar, source_line integer)"
        )
        con.executemany("insert into raw.fx_rates values (?, ?, ?, ?, ?)", rows)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return len(rows)
