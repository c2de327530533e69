"""Landing partitions and their completion markers.

A partition is ``<data dir>/landing/<feed>/dt=YYYY-MM-DD/`` holding ``part-*.{csv,jsonl,parquet}``
and, written last, ``_SUCCESS``: a JSON document listing every file with its record count and
SHA-256. A partition without a marker is not delivered (or still being delivered).
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from opswh.errors import PermanentError

MARKER = "_SUCCESS"
DATA_SUFFIXES = (".csv", ".jsonl", ".parquet")


class LandingError(PermanentError):
    """A partition cannot be loaded as delivered. The message says where and what to do."""


class LoadError(LandingError):
    """The load was refused; nothing changed in the warehouse."""


def partition_dir(landing: Path, feed: str, dt: date) -> Path:
    """The folder of one feed's delivery for one reporting day: ``<landing>/<feed>/dt=YYYY-MM-DD``."""
    return landing / feed / f"dt={dt.isoformat()}"


@dataclass(frozen=True)
class LandedFile:
    path: Path
    rows: int
    sha256: str


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def count_records(path: Path) -> int:
    """Records in a data file as its producer counts them: lines (less a CSV header), or Parquet rows."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    lines = 0
    last = b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(0, lines - 1) if path.suffix == ".csv" else lines


def data_files(part_dir: Path) -> list[Path]:
    return sorted(p for p in part_dir.iterdir() if p.name.startswith("part-") and p.suffix in DATA_SUFFIXES)


def write_marker(part_dir: Path, feed: str, dt: date, rows: dict[str, int] | None = None) -> Path:
    """Write ``_SUCCESS`` for every data file in the partition (counting records unless given)."""
    files = []
    for p in data_files(part_dir):
        n = rows[p.name] if rows and p.name in rows else count_records(p)
        files.append({"name": p.name, "rows": n, "sha256": sha256_of(p), "bytes": p.stat().st_size})
    marker = {"feed": feed, "dt": dt.isoformat(), "files": files, "total_rows": sum(f["rows"] for f in files)}
    path = part_dir / MARKER
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(marker, indent=1))
    tmp.replace(path)
    return path


def read_marker(part_dir: Path) -> list[LandedFile]:
    """The files a partition's marker lists, checked against what is on disk."""
    marker = part_dir / MARKER
    if not part_dir.exists():
        raise LandingError(
            f"{part_dir}: partition missing (no folder). The source has not delivered this day; "
            "re-run when it has, or skip the day on purpose."
        )
    if not marker.exists():
        raise LandingError(
            f"{marker}: completion marker missing, so the partition is incomplete or still "
            "being delivered. Re-run when the source has written _SUCCESS."
        )
    try:
        doc = json.loads(marker.read_text())
        listed = [(f["name"], int(f["rows"]), f["sha256"]) for f in doc["files"]]
    except (ValueError, KeyError, TypeError) as e:
        raise LandingError(f"{marker}: unreadable marker ({e}); expected JSON with files[name, rows, sha256].") from e
    for name, _, _ in listed:
        if not (part_dir / name).exists():
            raise LandingError(f"{part_dir / name}: listed in {MARKER} but not on disk.")
    # hashlib releases the GIL on large buffers: a partition's files are checked side by side
    with ThreadPoolExecutor(min(len(listed), os.cpu_count() or 1) or 1) as pool:
        digests = list(pool.map(sha256_of, (part_dir / name for name, _, _ in listed)))
    out = []
    for (name, rows, digest), actual in zip(listed, digests, strict=True):
        path = part_dir / name
        if actual != digest:
            raise LandingError(
                f"{path}: checksum {actual[:12]}… does not match {MARKER} ({digest[:12]}…); "
                "the file changed after delivery or is truncated."
            )
        out.append(LandedFile(path, rows, digest))
    return out
