"""Importers: real exports in the formats teams have, written as landing partitions with markers.

``import_export(paths, fmt, source)`` reads an export with DuckDB's readers and lands the feeds it
holds (``landing_writer``), so quarantine, reconciliation and the quality gates apply unchanged.
One module per format: ``segment`` (also RudderStack and Jitsu), ``amplitude``, ``ga4`` (the
BigQuery export schema), ``shopify`` (the orders CSV), and ``mapped`` (any CSV, JSON or Parquet
file, through a column-mapping file).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from opswh import config
from opswh.errors import PermanentError
from opswh.importers import amplitude, ga4, mapped, segment, shopify
from opswh.importers.landing_writer import Landed, absent_from, land
from opswh.paths import Paths

FORMATS = {
    "segment": segment,
    "amplitude": amplitude,
    "ga4": ga4,
    "shopify": shopify,
    "mapped": mapped,
}


class ImportError_(PermanentError):
    """The export cannot be imported as given; the message names the file and what is wrong."""


def import_export(
    paths: Paths,
    fmt: str,
    source: Path,
    start: date | None = None,
    end: date | None = None,
    mapping: Path | None = None,
    currency: str | None = None,
) -> Landed:
    """Land the feeds an export holds, for the reporting days ``start``..``end`` (default: all it covers)."""
    if fmt not in FORMATS:
        raise ImportError_(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    if fmt == "mapped" and mapping is None:
        raise ImportError_("--format mapped needs --mapping FILE (see docs/landing_contract.md)")
    cfg = config.load(paths.root)
    module = FORMATS[fmt]
    with duckdb.connect() as con:
        try:
            if fmt == "mapped":
                feeds = module.feeds(con, source, cfg.reporting_tz, mapping)
            else:
                feeds = module.feeds(con, source, cfg.reporting_tz, currency)
            landed = land(con, paths, feeds, start, end)
        except (duckdb.Error, FileNotFoundError, ValueError) as e:
            raise ImportError_(f"importing {source} as {fmt}: {e}") from None
    missing = [f for f in absent_from(list(landed.rows)) if f not in cfg.absent_feeds]
    if missing:
        landed.notes.append(
            f"this export does not deliver {', '.join(missing)}: if the deployment has no other source for "
            f"them, declare them absent:\n  opswh config --set absent_feeds={','.join(sorted(set(missing) | set(cfg.absent_feeds)))}"
        )
    return landed
