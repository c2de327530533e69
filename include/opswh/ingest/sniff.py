"""What a landed file is, from its bytes, before a reader sees it.

A reader's own error for a file that is not what its name says ("required column order_id
missing", "No magic bytes found") sends people looking in the wrong place. ``check`` looks at
the first bytes and says what the file is: empty, compressed, Parquet named as text, UTF-16,
CR-only line endings. A UTF-8 byte-order mark (Excel's "CSV UTF-8") is read past, with a
warning. ``long_lines`` finds JSON lines over the line limit, which DuckDB's JSON reader does
not bound; ``blank_lines`` explains a marker that counted blank lines as records.
"""

from __future__ import annotations

import codecs
import mmap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

UTF8_BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 1 << 20
_CHUNK = 64 << 20
_COMPRESSED = {
    b"\x1f\x8b": "gzip-compressed",
    b"\x28\xb5\x2f\xfd": "zstd-compressed",
    b"BZh": "bzip2-compressed",
    b"\xfd7zXZ\x00": "xz-compressed",
    b"PK\x03\x04": "a zip archive",
}
_UTF16 = (b"\xff\xfe", b"\xfe\xff")


@dataclass
class Sniffed:
    """What ``check`` found: why the file cannot be read as named (or None), what to warn about."""

    refusal: str | None = None
    warnings: list[str] = field(default_factory=list)
    bom: bool = False
    empty: bool = False


def check(path: Path, rows: int) -> Sniffed:
    """Look at the first bytes of a landed file whose marker says it holds ``rows`` records."""
    suffix = path.suffix
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if not head:
        if rows:
            return Sniffed(f"is empty (0 bytes) but {_records(rows)} listed in the marker: truncated in delivery?")
        if suffix == ".parquet":
            return Sniffed("is empty (0 bytes): not a Parquet file (a Parquet file with no rows still has its footer).")
        what = "no header line" if suffix == ".csv" else "no lines"
        return Sniffed(warnings=[f"is empty (0 bytes, {what}): loaded as no records"], empty=True)
    for magic, what in _COMPRESSED.items():
        if head.startswith(magic):
            return Sniffed(f"is {what}, not {_format(suffix)}; deliver it uncompressed under its format's suffix.")
    if suffix == ".parquet":
        if not head.startswith(b"PAR1"):
            kind = "text" if _looks_like_text(head) else "something else"
            return Sniffed(f"is not a Parquet file (it does not start with PAR1; it looks like {kind}).")
        return Sniffed()
    if head.startswith(b"PAR1"):
        return Sniffed(f"is a Parquet file named {suffix}; deliver it as .parquet.")
    if head.startswith(_UTF16):
        return Sniffed("is UTF-16 text (it starts with a UTF-16 byte-order mark); the contract reads UTF-8.")
    if b"\n" not in head and head.count(b"\r") > 1:
        return Sniffed("has CR-only line endings (classic Mac); the contract reads LF or CRLF line endings.")
    if head.startswith(UTF8_BOM):
        return Sniffed(warnings=["starts with a UTF-8 byte-order mark (Excel's CSV UTF-8): read past"], bom=True)
    return Sniffed()


def long_lines(path: Path, limit: int) -> list[tuple[int, int]]:
    """(line number, bytes) of every line longer than ``limit`` bytes (its newline not counted).

    A line longer than ``limit`` covers a whole window of ``limit // 2`` bytes aligned on that
    size, so a file whose every window holds a newline has none: one ``find`` per window rules
    that out (a 1M-line file in a few milliseconds); only a file with a window without a newline
    is scanned line by line."""
    size = path.stat().st_size
    if size <= limit:
        return []
    window = max(1, limit // 2)
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if all(mm.find(b"\n", start, start + window) != -1 for start in range(0, size - window + 1, window)):
            return []
    return _scan_long_lines(path, limit)


def _scan_long_lines(path: Path, limit: int) -> list[tuple[int, int]]:
    found, line, start, offset = [], 1, 0, 0  # start: the offset where the current line began
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10) + offset
            starts = np.concatenate(([start], ends[:-1] + 1)) if len(ends) else np.array([], dtype=np.int64)
            for i in np.flatnonzero(ends - starts > limit):
                found.append((line + int(i), int(ends[i] - starts[i])))
            if len(ends):
                line += len(ends)
                start = int(ends[-1]) + 1
            offset += len(chunk)
    if offset - start > limit:  # a last line without a newline
        found.append((line, offset - start))
    return found


def lines(path: Path, limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, the line without its line ending, or None when over ``limit`` bytes, its length),
    never holding more than ``limit`` bytes of one line in memory."""
    with path.open("rb") as f:
        number = 0
        while raw := f.readline(limit + 2):
            number += 1
            if raw.endswith(b"\n") or len(raw) < limit + 2:  # the whole line (or the file's last)
                content = raw.rstrip(b"\r\n")
                yield number, content if len(content) <= limit else None, len(content)
                continue
            length = len(raw)
            while raw and not raw.endswith(b"\n"):  # skip the rest of an oversized line
                raw = f.readline(_CHUNK)
                length += len(raw)
            yield number, None, length - (1 if raw.endswith(b"\n") else 0)


def blank_lines(path: Path, limit: int) -> int:
    """Lines holding nothing but white space: no record, though a naive line count counts them."""
    return sum(1 for _, line, _ in lines(path, limit) if line is not None and not line.strip())


def _records(rows: int) -> str:
    return f"{rows} record{'s' if rows != 1 else ''}"


def _format(suffix: str) -> str:
    return {".csv": "CSV text", ".jsonl": "JSON lines", ".parquet": "Parquet"}.get(suffix, suffix)


def _looks_like_text(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head[:4096], final=False)
    except UnicodeDecodeError:
        return False
    return True
