"""Landing partitions and their completion markers.

A partition is ``<data dir>/landing/<feed>/dt=YYYY-MM-DD/`` holding ``part-*.{csv,jsonl,parquet}``
and, written last, ``_SUCCESS``: a JSON document listing every file with its record count and
SHA-256. A partition without a marker is not delivered (or still being delivered).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
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


def read_marker(part_dir: Path, feed: str | None = None, dt: date | None = None) -> list[LandedFile]:
    """The files a partition's marker lists, checked against what is on disk; any problem refuses it."""
    delivery = inspect_partition(part_dir, feed or part_dir.parent.name, dt or _folder_day(part_dir))
    if delivery.problems:
        raise LandingError(delivery.problems[0].message(part_dir))
    return delivery.files


@dataclass(frozen=True)
class FileProblem:
    """Why one file of a delivery cannot be loaded (the name as the marker lists it, or as found)."""

    name: str
    reason: str

    @property
    def in_folder(self) -> bool:
        """The name can name a file of the partition folder (messages show its path, else the entry verbatim)."""
        name = self.name
        return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and name.isprintable()

    def message(self, part_dir: Path) -> str:
        return f"{part_dir / self.name}: {self.reason}" if self.in_folder else f"{self.name!r}: {self.reason}"


@dataclass
class Delivery:
    """What a partition delivers: the files that may be read, the ones that may not, and the ones not listed."""

    files: list[LandedFile]
    problems: list[FileProblem]
    unlisted: list[str]


def inspect_partition(part_dir: Path, feed: str, dt: date, max_file_bytes: int | None = None) -> Delivery:
    """Check a partition against its marker before a byte of its data is read.

    The marker is the source's word for what it delivered. It must name this partition's feed and
    day, and list plain file names (no folders, no ``..``, no control characters) of the three
    formats. A listed file must be a regular file inside the partition (a symbolic link may point
    at another file of the partition, never out of it), no larger than ``max_file_bytes``, with
    the marker's SHA-256. Problems with the marker as a whole raise ``LandingError``; problems with
    a file are returned, one per file, so that every file's fault is reported at once. Files in the
    folder that the marker does not list are returned too: they are not loaded, and the load says so.
    """
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
    listed = _marker_entries(marker, feed, dt)
    real_dir = part_dir.resolve()
    problems, ok = [], []
    for name, rows, digest in listed:
        reason = _name_problem(name) or _file_problem(part_dir / name, real_dir, max_file_bytes)
        if reason:
            problems.append(FileProblem(name, reason))
        else:
            ok.append((name, rows, digest))
    # hashlib releases the GIL on large buffers: a partition's files are checked side by side
    with ThreadPoolExecutor(min(len(ok), os.cpu_count() or 1) or 1) as pool:
        digests = list(pool.map(sha256_of, (part_dir / name for name, _, _ in ok)))
    files = []
    for (name, rows, digest), actual in zip(ok, digests, strict=True):
        if actual != digest:
            problems.append(
                FileProblem(
                    name,
                    f"checksum {actual[:12]}… does not match {MARKER} ({str(digest)[:12]}…); "
                    "the file changed after delivery or is truncated.",
                )
            )
        else:
            files.append(LandedFile(part_dir / name, rows, digest))
    names = {name for name, _, _ in listed} | {MARKER, MARKER + ".tmp"}
    unlisted = sorted(p.name for p in part_dir.iterdir() if p.name not in names)
    return Delivery(files, problems, unlisted)


MAX_MARKER_BYTES = 64 * 1024 * 1024


def _marker_entries(marker: Path, feed: str, dt: date) -> list[tuple[str, int, str]]:
    if marker.stat().st_size > MAX_MARKER_BYTES:
        raise LandingError(f"{marker}: {marker.stat().st_size} bytes, not a completion marker (at most 64 MiB).")
    try:
        doc = json.loads(marker.read_bytes().decode("utf-8"))
        listed = [(f["name"], int(f["rows"]), f["sha256"]) for f in doc["files"]]
        said = (doc["feed"], doc["dt"])
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise LandingError(
            f"{marker}: unreadable marker ({type(e).__name__}: {e}); expected JSON with feed, dt and "
            "files[name, rows, sha256]."
        ) from e
    if said != (feed, dt.isoformat()):
        raise LandingError(
            f"{marker}: the marker says feed {said[0]!r}, dt {said[1]!r}, but it is in the folder of "
            f"{feed} dt={dt.isoformat()}; a marker copied from another partition? Nothing was loaded."
        )
    names = [name for name, _, _ in listed]
    twice = sorted({str(n) for n in names if names.count(n) > 1})
    if twice:
        raise LandingError(f"{marker}: lists {', '.join(map(repr, twice))} more than once.")
    bad_counts = [str(name) for name, rows, _ in listed if rows < 0]
    if bad_counts:
        raise LandingError(f"{marker}: negative record count for {', '.join(map(repr, bad_counts))}.")
    return listed


def _name_problem(name: object) -> str | None:
    """Why a marker's file name is not a plain file name of one of the three formats, if it is not."""
    if not isinstance(name, str) or not name:
        return f"{MARKER} lists {name!r} as a file name; names are non-empty strings."
    if "/" in name or "\\" in name or name in (".", "..") or name == MARKER:
        return (
            f"{MARKER} lists {name!r}, which is not a plain file name of this folder "
            "(a marker lists its own partition's files only); refused."
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return f"{MARKER} lists {name!r}, a name with control characters; refused."
    if Path(name).suffix not in DATA_SUFFIXES:
        return (
            f"suffix {Path(name).suffix or '(none)'!r} is not a landing format; the contract reads "
            f"{', '.join(DATA_SUFFIXES)} files."
        )
    return None


def _file_problem(path: Path, real_dir: Path, max_file_bytes: int | None) -> str | None:
    """Why a listed file may not be read, if it may not: missing, a link out of the partition, not a
    regular file, too large."""
    if not path.exists() and not path.is_symlink():
        return f"listed in {MARKER} but not on disk."
    real = path.resolve()
    if real.parent != real_dir:
        return "is a symbolic link to a file outside its partition; refused (deliver the file itself)."
    if not real.exists():
        return f"listed in {MARKER} but not on disk (a link to a missing file)."
    if not stat.S_ISREG(real.stat().st_mode):
        return "is not a regular file (a folder, a device or a pipe); refused."
    size = real.stat().st_size
    if max_file_bytes is not None and size > max_file_bytes:
        return (
            f"{size:,} bytes, over the max_file_bytes limit ({max_file_bytes:,}); split the day into "
            "several part files, or raise the limit on purpose."
        )
    return None


def _folder_day(part_dir: Path) -> date:
    return date.fromisoformat(part_dir.name.removeprefix("dt="))
