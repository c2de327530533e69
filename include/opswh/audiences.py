"""Audience definitions: reviewed, named SQL predicates over the users' profile spans.

The project ships ``operations/audiences.yml``; a team adds audiences, or replaces one by name, in
``<data dir>/operations/audiences.yml``. dbt gets the result as var ``audiences``, and the marts
``fct_user_profile_spans`` (what each user was on each day), ``fct_audience_membership``,
``fct_audience_members``, ``fct_audience_daily`` and ``dim_audiences`` are built from it.

Every predicate is compiled when the file is read, against an empty table with the columns and
types of ``fct_user_profile_spans`` (its dbt contract), so a predicate that names an unknown
column, does not parse or is not a boolean fails before any build, with the audience's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opswh.config import REPO_ROOT
from opswh.errors import PermanentError

SHIPPED = REPO_ROOT / "operations" / "audiences.yml"
SPANS_MODEL = "fct_user_profile_spans"
NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
# A predicate is one expression: no statement separator, and no comment that could hide the rest.
FORBIDDEN = (";", "--", "/*")


class AudienceError(PermanentError):
    """An audience cannot be used; the message names the file and the audience."""


@dataclass(frozen=True)
class Audience:
    name: str
    description: str
    predicate: str
    file: str


def team_file(root: Path) -> Path:
    return Path(root) / "operations" / "audiences.yml"


def _read(path: Path) -> list[Audience]:
    from opswh.reviewed_files import entries

    out: list[Audience] = []
    for where, item in entries(path, "audiences", "{name, description, predicate}", AudienceError):
        if not isinstance(item, dict) or set(item) != {"name", "description", "predicate"}:
            raise AudienceError(f"{where}: expected exactly name, description and predicate")
        name, description, predicate = item["name"], item["description"], item["predicate"]
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise AudienceError(f"{where}.name: {name!r} must be a lowercase identifier (a-z, 0-9, _)")
        if name in {a.name for a in out}:
            raise AudienceError(f"{where}.name: audience {name!r} is defined twice")
        for field, value in (("description", description), ("predicate", predicate)):
            if not isinstance(value, str) or not value.strip():
                raise AudienceError(f"{where}.{field}: audience {name!r} needs a {field} (text)")
        out.append(Audience(name, " ".join(description.split()), predicate.strip(), str(path)))
    return out


def load(root: Path) -> list[Audience]:
    """The audiences in force for a data directory: the shipped ones, then the team's (by name)."""
    audiences = {a.name: a for a in _read(SHIPPED)}
    own = team_file(root)
    if own.exists():
        audiences.update({a.name: a for a in _read(own)})
    checked = list(audiences.values())
    check(checked)
    return checked


def span_columns() -> dict[str, str]:
    """Column -> type of fct_user_profile_spans, from its dbt contract (the one place they are declared)."""
    from opswh.mart_contracts import mart_columns

    return mart_columns(SPANS_MODEL)


def check(audiences: list[Audience]) -> None:
    """Compile every predicate against an empty fct_user_profile_spans; raise naming the first that fails."""
    import duckdb

    columns = ", ".join(f"{name} {type_}" for name, type_ in span_columns().items())
    with duckdb.connect(":memory:") as con:
        con.execute(f"create table {SPANS_MODEL} ({columns})")
        for a in audiences:
            where = f"{a.file}: audience {a.name!r}"
            bad = next((s for s in FORBIDDEN if s in a.predicate), None)
            if bad:
                raise AudienceError(f"{where}: the predicate must be one SQL expression, without {bad!r}")
            try:
                kind = con.execute(f"describe select ({a.predicate}) as is_member from {SPANS_MODEL}").fetchall()
            except duckdb.Error as e:
                raise AudienceError(f"{where}: the predicate does not compile: {e}") from None
            if len(kind) != 1 or kind[0][1] != "BOOLEAN":
                got = ", ".join(str(k[1]) for k in kind)
                raise AudienceError(f"{where}: the predicate must be a boolean expression (it is {got})")


def dbt_vars(root: Path) -> dict[str, Any]:
    """The audiences as dbt var ``audiences``."""
    return {"audiences": [{"name": a.name, "description": a.description, "predicate": a.predicate} for a in load(root)]}
