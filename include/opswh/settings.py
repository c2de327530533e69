"""Where things live. All state is under one data directory (``OPSWH_DATA_DIR``, default ``./data``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parents[2]
REPORTING_TZ = os.environ.get("OPSWH_REPORTING_TZ", "Asia/Shanghai")
LAUNCH_DATE = date.fromisoformat(os.environ.get("OPSWH_LAUNCH_DATE", "2020-01-01"))
# Timestamps may run this far past the end of their partition's day (clock skew) before
# they count as "in the future".
FUTURE_SKEW = timedelta(hours=1)
# DuckDB's Parquet writer builds a dictionary per string column until it outgrows this limit;
# ids never fit, so a small limit gives up on them early while enum-like columns keep theirs. A
# 10M-row day of events wrote in 3.3 s instead of 5.5 s, at the same size (bench/RESULTS.md).
PARQUET_WRITE_OPTIONS = "string_dictionary_page_size_limit 65536"


@dataclass(frozen=True)
class Paths:
    """The folders and files under one data directory."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "opswh.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.root / "published"

    @property
    def published(self) -> Path:
        return self.published_dir / "marts.duckdb"

    @property
    def airflow_home(self) -> Path:
        return self.root / "airflow"

    @property
    def gx_dir(self) -> Path:
        return self.root / "gx"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def partition(self, feed: str, dt: date) -> Path:
        return self.landing / feed / f"dt={dt.isoformat()}"


def data_dir() -> Path:
    return Path(os.environ.get("OPSWH_DATA_DIR", REPO_ROOT / "data")).resolve()


def paths() -> Paths:
    return Paths(data_dir())


def day_bounds_utc(dt: date, tz: str = REPORTING_TZ) -> tuple[datetime, datetime]:
    """The UTC instants (naive) where reporting day ``dt`` starts and ends."""
    zone = ZoneInfo(tz)
    start = datetime(dt.year, dt.month, dt.day, tzinfo=zone)
    end = start + timedelta(days=1)
    utc = ZoneInfo("UTC")
    return start.astimezone(utc).replace(tzinfo=None), end.astimezone(utc).replace(tzinfo=None)


def date_range(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
