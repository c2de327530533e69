"""Hostile partitions: every case is loaded, quarantined or refused with a named reason.

Hypothesis writes partitions of odd names (quotes, SQL, unicode, control characters, paths),
damaged bytes (truncations, stray bytes, other encodings, compression, byte-order marks, CR-only
line endings, oversized lines, values that are SQL) and lying markers (wrong counts, checksums,
feed or day; entries out of the folder; links out of it; files it does not list). For every case:
the load succeeds with landed = loaded + rejected + deduplicated, every reject with a line and a
reason, or it raises LandingError with a message and a failed load-log row, nothing loaded. No SQL
of the files runs, and no byte outside the partition reaches a table or a message.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from opswh.ingest import load_partition
from opswh.landing import MARKER, LandingError, count_records
from opswh.paths import Paths
from tests.reliability.figures import BUDGET, FIGURES
from tests.support import START

pytestmark = pytest.mark.reliability

SECRET = "SENTINEL-SECRET-4711"
MAX_LINE = 4096  # the cases' max_line_bytes: oversized lines stay cheap to write
PWNED = "pwned_by_landing"
SQL = f"x'); create table raw.{PWNED} as select 1; select ('"

FEEDS = {"orders": ".csv", "events": ".jsonl", "ad_spend": ".csv"}

names = st.one_of(
    st.integers(0, 9).map(lambda i: f"part-{i:04d}"),
    st.just(f"part-{SQL} --"),
    st.just("part-x', hive_partitioning = false)); create table raw." + PWNED + " as select 42 as v; --"),
    st.sampled_from(
        ['part-"quoted"', "part-订单-✓", "part- space ;", "part-back\\slash", "part-\u202eevil", "part-$HOME"]
    ),
    st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=30).map(lambda t: "p" + t),
)
entries = st.sampled_from(["../escape.csv", "/etc/hostname", "sub/part-1.csv", "", "..", "part-\n.csv", "part-0.txt"])
damages = st.sampled_from(
    [
        "none",
        "none",
        "none",
        "none",
        "truncate",
        "stray_bytes",
        "latin1",
        "utf16",
        "gzip",
        "bom",
        "cr_only",
        "long_line",
        "sql_value",
        "empty",
        "binary",
        "blank_line",
        "extra_column",
        "parquet_magic",
    ]
)
marker_lies = st.sampled_from(
    [
        "none",
        "none",
        "none",
        "none",
        "none",
        "none",
        "count",
        "checksum",
        "feed",
        "day",
        "entry",
        "missing",
        "link_out",
        "unlisted",
        "no_marker",
    ]
)


def _damage(data: bytes, how: str, suffix: str, draw) -> bytes:
    lines = data.splitlines(keepends=True)
    if how == "truncate":
        return data[: draw(st.integers(0, max(0, len(data) - 1)))]
    if how == "stray_bytes":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
    if how == "latin1":
        return data.decode("utf-8").replace("a", "é", 3).encode("latin-1", errors="replace")
    if how == "utf16":
        return data.decode("utf-8").encode("utf-16")
    if how == "gzip":
        return gzip.compress(data)
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "cr_only":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    if how == "long_line":
        at = draw(st.integers(1, max(1, len(lines) - 1)))
        long = (
            (b'{"user_id": "' + b"u" * (MAX_LINE * 2) + b'"}\n')
            if suffix == ".jsonl"
            else b"x" * (MAX_LINE * 2) + b"\n"
        )
        return b"".join(lines[:at] + [long] + lines[at:])
    if how == "sql_value":
        text = data.decode("utf-8")
        return text.replace("u_", SQL.replace("'", "''") if suffix == ".csv" else SQL, 2).encode("utf-8")
    if how == "empty":
        return b""
    if how == "binary":
        return draw(st.binary(min_size=1, max_size=300))
    if how == "blank_line":
        return data + b"\n"
    if how == "extra_column":
        return b"".join(line.rstrip(b"\n") + b",extra\n" if i == 1 else line for i, line in enumerate(lines))
    if how == "parquet_magic":
        return b"PAR1" + data
    return data


@st.composite
def cases(draw) -> dict:
    feed = draw(st.sampled_from(sorted(FEEDS)))
    files = []
    for name in draw(st.lists(names, min_size=1, max_size=3, unique=True)):
        files.append((name + FEEDS[feed], draw(damages)))
    if draw(st.booleans()) and len(files) > 1:
        files[-1] = (files[-1][0], "duplicate")  # a byte-identical re-delivery of the first file
    return {"feed": feed, "files": files, "lie": draw(marker_lies), "entry": draw(entries)}


def _write(part: Path, feed: str, case: dict, template: bytes, draw_data, outside: Path) -> None:
    part.mkdir(parents=True)
    written = {}
    for name, how in case["files"]:
        data = written[case["files"][0][0]] if how == "duplicate" else _damage(template, how, FEEDS[feed], draw_data)
        (part / name).write_bytes(data)
        written[name] = data
    listed = []
    for name in written:
        rows = count_records(part / name) if not name.endswith(".parquet") else 0
        digest = hashlib.sha256(written[name]).hexdigest()
        listed.append({"name": name, "rows": rows, "sha256": digest, "bytes": len(written[name])})
    doc = {"feed": feed, "dt": START.isoformat(), "files": listed}
    lie = case["lie"]
    if lie == "count":
        listed[0]["rows"] += 1
    elif lie == "checksum":
        listed[0]["sha256"] = "0" * 64
    elif lie == "feed":
        doc["feed"] = "payments"
    elif lie == "day":
        doc["dt"] = "2026-09-02"
    elif lie == "entry":
        listed.append({"name": case["entry"], "rows": 1, "sha256": "0" * 64})
    elif lie == "link_out":
        os.symlink(outside, part / "part-link.csv")
        listed.append({"name": "part-link.csv", "rows": 1, "sha256": hashlib.sha256(outside.read_bytes()).hexdigest()})
    elif lie == "unlisted":
        (part / "part-9999.csv").write_bytes(template)
    if lie != "no_marker":
        (part / MARKER).write_text(json.dumps(doc))
    if lie == "missing":
        (part / case["files"][0][0]).unlink()


def _check(con: duckdb.DuckDBPyConnection, feed: str, result, error: LandingError | None) -> None:
    FIGURES.fuzz_cases += 1
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert PWNED not in tables, "SQL from the landing folder ran"
    status, message = con.execute("select status, message from raw.load_log").fetchall()[-1]
    if error is None:
        assert status == "loaded" and result.reconciles
        FIGURES.rows_unaccounted += abs(result.landed - result.loaded - result.rejected - result.deduplicated)
        loaded = con.execute(f"select count(*) from raw.{feed}").fetchone()[0]
        rejects = con.execute("select count(*), count(_line), count(reason) from raw.raw_rejects").fetchone()
        assert loaded == result.loaded and rejects == (result.rejected,) * 3
        text = con.execute(f"select string_agg(t::varchar, '') from raw.{feed} as t").fetchone()[0] or ""
        text += con.execute("select string_agg(record, '') from raw.raw_rejects").fetchone()[0] or ""
        assert SECRET not in text and SECRET not in (message or "")
        FIGURES.fuzz_outcomes["loaded"] += 1
    else:
        assert status == "failed" and message == str(error) and str(error).strip()
        assert SECRET not in str(error)
        assert con.execute(f"select count(*) from raw.{feed}").fetchone()[0] == 0
        FIGURES.fuzz_outcomes["refused"] += 1


@settings(
    max_examples=BUDGET["fuzz"],
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
@given(case=cases(), data=st.data())
def test_every_hostile_partition_is_loaded_quarantined_or_refused_with_a_reason(templates, case, data) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = Paths(Path(tmp))
        paths.warehouse.parent.mkdir(parents=True)
        (paths.root / "opswh.json").write_text(json.dumps({"max_line_bytes": MAX_LINE}))
        outside = Path(tmp) / "outside.csv"
        outside.write_text(f"{SECRET}\n{SECRET}\n")
        feed = case["feed"]
        _write(paths.partition(feed, START), feed, case, templates[feed], data.draw, outside)
        with duckdb.connect(str(paths.warehouse)) as con:
            result, error = None, None
            try:
                result = load_partition(con, paths, feed, START)
            except LandingError as e:
                error = e
            _check(con, feed, result, error)


@pytest.fixture(scope="module")
def templates(history) -> dict[str, bytes]:
    """Each feed's first landed file of the tiny history: valid rows to damage."""
    out = {}
    for feed in FEEDS:
        part = history.landing / feed / f"dt={START.isoformat()}"
        out[feed] = sorted(p for p in part.iterdir() if p.name != MARKER)[0].read_bytes()
    return out
