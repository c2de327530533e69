"""Audiences as lists to act on, read from the published snapshot: what exists, one audience's
definition and trend, and its members on the snapshot's day written to CSV or Parquet.

Everything is read from the published snapshot (read-only), so a list is always the validated one
the dashboards show, and names the day it is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = ("csv", "parquet")
TREND_DAYS = 14


class AudienceNotFound(LookupError):
    """The snapshot has no audience of that name; the message lists those it has."""


@dataclass(frozen=True)
class Export:
    audience: str
    snapshot_date: str
    members: int
    path: Path


def _connect(snapshot: Path):
    import duckdb

    return duckdb.connect(str(snapshot), read_only=True)


def audiences(snapshot: Path) -> list[dict[str, Any]]:
    """Every published audience with its members on the snapshot's day."""
    with _connect(snapshot) as con:
        cur = con.execute("select * from dim_audiences order by audience")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def audience(snapshot: Path, name: str) -> dict[str, Any]:
    """One audience's definition, members, and its daily members, entries and exits of the last days."""
    found = {a["audience"]: a for a in audiences(snapshot)}
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise AudienceNotFound(f"no audience {name!r} in {snapshot}; published audiences: {known}")
    with _connect(snapshot) as con:
        trend = con.execute(
            "select date_day, members, entered, exited from fct_audience_daily where audience = ? "
            "order by date_day desc limit ?",
            [name, TREND_DAYS],
        ).fetchall()
        by_state = con.execute(
            "select user_state, count(*) from fct_audience_members where audience = ? group by all order by 2 desc",
            [name],
        ).fetchall()
    return {**found[name], "trend": list(reversed(trend)), "by_state": by_state}


def default_path(name: str, snapshot_date: Any, fmt: str) -> Path:
    return Path(f"{name}_{snapshot_date}.{fmt}")


def export(snapshot: Path, name: str, fmt: str, out: Path | None = None) -> Export:
    """Write the audience's members on the snapshot's day (fct_audience_members, by user_id) to ``out``
    (default ``<name>_<snapshot day>.<fmt>``); every row carries the snapshot's day."""
    import pyarrow.csv
    import pyarrow.parquet

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    info = audience(snapshot, name)
    with _connect(snapshot) as con:
        table = con.sql(
            "select * from fct_audience_members where audience = $name order by user_id", params={"name": name}
        ).to_arrow_table()
    path = Path(out) if out is not None else default_path(name, info["snapshot_date"], fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if fmt == "csv":
        pyarrow.csv.write_csv(table, tmp)
    else:
        pyarrow.parquet.write_table(table, tmp)
    tmp.replace(path)
    return Export(name, str(info["snapshot_date"]), table.num_rows, path)
