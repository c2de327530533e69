"""Where things live: every folder and file under one data directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

__all__ = ["Paths", "paths", "safe_name"]


@dataclass(frozen=True)
class Paths:
    """The folders and files under one data directory."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def exports(self) -> Path:
        """Source systems' own exports, before an importer lands them (the simulator's Segment export)."""
        return self.root / "exports"

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
    def published_parquet(self) -> Path:
        """The same snapshot as one Parquet file per mart (a link swapped to each new version)."""
        return self.published_dir / "parquet"

    @property
    def dashboard(self) -> Path:
        """The dashboard site, built from the published snapshot after each publish."""
        return self.root / "dashboard"

    @property
    def dbt_docs(self) -> Path:
        """dbt's documentation of the published build (``dbt docs generate``), served with the dashboards."""
        return self.dashboard / "dbt-docs"

    @property
    def spark_dir(self) -> Path:
        """The Spark engine's own files: its metastore, the tables it builds, the raw layer's loader tables."""
        return self.root / "spark"

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

    @property
    def cache(self) -> Path:
        """Derived files kept between runs to save work, each keyed by everything it derives from; safe to delete."""
        return self.root / "cache"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def partition(self, feed: str, dt: date) -> Path:
        from opswh.landing import partition_dir

        return partition_dir(self.landing, feed, dt)


def paths() -> Paths:
    """The paths of the configured data directory (``OPSWH_DATA_DIR``, default ``./data``)."""
    from opswh.config import data_dir

    return Paths(data_dir())


def safe_name(s: str) -> str:
    """``s`` as a file name: a run id like ``scheduled__2026-09-01T16:00:00+00:00`` -> ``scheduled__2026-09-01T16_00_00_00_00``."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in s)
