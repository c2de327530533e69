"""The reviewed GX suites and what each reads for one day.

Suites are JSON in ``expectations/suites/`` (GX's suite format plus, in ``meta``, the stage they
guard and what they read: a ``table`` and its ``partition_column``, or a ``query`` with the
tokens ``$day``, ``$day_start`` and ``$day_end`` (the UTC instants where the day starts and ends: a
range on a raw timestamp column, which DuckDB prunes, unlike a cast of every row to the reporting
timezone), ``$upper`` (the end of the day plus clock skew, UTC), ``$launch``, ``$tz``, and the
loader's thresholds ``$max_reject_share`` and ``$min_rejects``).
A suite with ``meta.volume`` gets the parameters ``volume_min`` and ``volume_max``: a band
around the median row count of the previous days' partitions (a volume anomaly check), set by
the configuration's ``gx_volume_*`` settings (``meta.volume`` may override them for one suite).
"""

from __future__ import annotations

import json
from datetime import date

import duckdb

from opswh.config import REPO_ROOT, Config
from opswh.days import FUTURE_SKEW, day_bounds_utc
from opswh.ingest.sql import ident, literal

SUITES_DIR = REPO_ROOT / "expectations" / "suites"


def load_suites(stage: str) -> list[dict]:
    """The suites of a stage: the reviewed ones and those generated from the contract (``generated/``)."""
    suites = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(SUITES_DIR.rglob("*.json"))]
    return [s for s in suites if s["meta"]["stage"] == stage]


def partition_sql(meta: dict, d: date, cfg: Config) -> str:
    """The rows a suite validates for day ``d``."""
    if "query" in meta:
        start, end = day_bounds_utc(d, cfg.reporting_tz)
        return (
            meta["query"]
            .replace("$day_start", literal(start))
            .replace("$day_end", literal(end))
            .replace("$day", literal(d))
            .replace("$upper", literal(end + FUTURE_SKEW))
            .replace("$launch", f"timestamp {literal(cfg.launch_date.isoformat())}")
            .replace("$tz", literal(cfg.reporting_tz))
            .replace("$max_reject_share", literal(cfg.max_reject_share))
            .replace("$min_rejects", literal(cfg.min_rejects))
        )
    return f"select * from {meta['table']} where {ident(meta['partition_column'])} = {literal(d)}"


def volume_band(meta: dict, cfg: Config) -> dict | None:
    """The suite's volume band settings, or None for a suite without a volume check."""
    volume = meta.get("volume")
    if not volume:
        return None
    band = {
        "lookback_days": cfg.gx_volume_lookback_days,
        "min_history": cfg.gx_volume_min_history,
        "low": cfg.gx_volume_low,
        "high": cfg.gx_volume_high,
    }
    return {**band, **volume} if isinstance(volume, dict) else band


def parameters(con: duckdb.DuckDBPyConnection, meta: dict, d: date, cfg: Config) -> dict:
    """Suite parameters for day ``d``: the feeds this deployment has (``present_feeds``) and the volume
    band learned from the previous days (``volume_min``, ``volume_max``)."""
    from opswh import contract

    present = {"present_feeds": len([f for f in contract.FEEDS if f.name not in cfg.absent_feeds])}
    band = volume_band(meta, cfg)
    if band is None:
        return present
    column = ident(meta["partition_column"])
    rows = con.execute(
        f"select count(*) from {meta['table']} where {column} >= ?::date - ?::integer and {column} < ?::date "
        f"group by {column}",
        [d, band["lookback_days"], d],
    ).fetchall()
    if len(rows) < band["min_history"]:
        return {**present, "volume_min": 0, "volume_max": 10**15}  # not enough history to learn a band yet
    median = sorted(r[0] for r in rows)[len(rows) // 2]
    return {**present, "volume_min": int(median * band["low"]), "volume_max": int(median * band["high"]) + 1}
