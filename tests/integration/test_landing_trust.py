"""The landing folder is a trust boundary: names, links, markers and bytes a source chose are data,
never instructions; every file is loaded, quarantined or refused with a reason that says what it is."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from opswh.ingest import LoadError, load_partition
from opswh.landing import MARKER, LandingError, write_marker
from opswh.paths import Paths
from tests.support import START, simulate

INJECTION = (
    "part-x', hive_partitioning = false)); create table raw.pwned as select 42 as v; select 'merchant_id', 'VARCHAR' --"
)


@pytest.fixture(scope="module")
def delivered(tmp_path_factory) -> Path:
    return simulate(tmp_path_factory.mktemp("delivered"), days=1, scale="tiny").root


@pytest.fixture()
def paths(delivered, tmp_path) -> Paths:
    shutil.copytree(delivered, tmp_path / "d")
    return Paths(tmp_path / "d")


def settings(paths: Paths, **values) -> None:
    (paths.root / "opswh.json").write_text(json.dumps(values))


def load(paths: Paths, feed: str):
    with duckdb.connect(str(paths.warehouse)) as con:
        try:
            return load_partition(con, paths, feed, START), None
        except LandingError as e:
            return None, e
        finally:
            pass


def log(paths: Paths) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse)) as con:
        return con.execute("select status, message, file_errors from raw.load_log order by started_at").fetchall()


def tables(paths: Paths) -> set[str]:
    with duckdb.connect(str(paths.warehouse)) as con:
        return {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}


def only_file(paths: Paths, feed: str) -> Path:
    (f,) = [p for p in paths.partition(feed, START).iterdir() if p.name != MARKER]
    return f


def rewrite(paths: Paths, feed: str, data: bytes, rows: int | None = None) -> Path:
    f = only_file(paths, feed)
    f.write_bytes(data)
    write_marker(f.parent, feed, START, rows={f.name: rows} if rows is not None else None)
    return f


def edit_marker(paths: Paths, feed: str, change) -> None:
    marker = paths.partition(feed, START) / MARKER
    doc = json.loads(marker.read_text())
    change(doc)
    marker.write_text(json.dumps(doc))


@pytest.mark.parametrize("feed", ["orders", "events", "ad_spend"])
def test_a_file_name_is_data_never_sql(paths, feed) -> None:
    f = only_file(paths, feed)
    f.rename(f.with_name(INJECTION + f.suffix))
    write_marker(f.parent, feed, START)
    r, err = load(paths, feed)
    assert err is None and r.loaded > 0 and r.files == [f"{feed}/dt={START}/{INJECTION}{f.suffix}"]
    assert "pwned" not in tables(paths)
    with duckdb.connect(str(paths.warehouse)) as con:
        assert con.execute(f"select count(*), min(_file) from raw.{feed}").fetchone() == (r.loaded, r.files[0])


@pytest.mark.parametrize("entry", ["../x.csv", "/etc/hostname", "sub/part-1.csv", "", "part\n1.csv", "..", 7])
def test_marker_entries_must_be_plain_file_names(paths, entry) -> None:
    edit_marker(paths, "orders", lambda d: d["files"].append({"name": entry, "rows": 1, "sha256": "0" * 64}))
    r, err = load(paths, "orders")
    assert r is None and isinstance(err, LoadError)
    assert "checksum" not in str(err) and "not on disk" not in str(err)  # never looked for, never read
    status, message, file_errors = log(paths)[-1]
    assert status == "failed" and len(file_errors) == 1
    assert file_errors[0]["file"] == repr(entry) or "not a landing format" in file_errors[0]["reason"]
    assert (
        "plain file name" in file_errors[0]["reason"]
        or "names are non-empty" in file_errors[0]["reason"]
        or ("control characters" in file_errors[0]["reason"])
    )


def test_a_link_out_of_the_partition_is_refused_unread(paths, tmp_path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    f = only_file(paths, "orders")
    f.unlink()
    os.symlink(secret, f)
    write_marker(f.parent, "orders", START)
    _, err = load(paths, "orders")
    assert isinstance(err, LoadError) and "symbolic link to a file outside its partition" in str(err)
    assert "root:x" not in str(err)


def test_a_link_to_a_file_of_the_same_partition_is_read_like_the_file(paths) -> None:
    f = only_file(paths, "orders")
    os.symlink(f.name, f.with_name("part-0001.csv"))
    write_marker(f.parent, "orders", START)
    r, err = load(paths, "orders")
    assert err is None and r.deduplicated == r.loaded > 0  # a byte-identical second delivery


@pytest.mark.parametrize("said", [{"feed": "payments"}, {"dt": "2026-09-05"}, {"feed": None}])
def test_a_marker_for_another_partition_is_refused(paths, said) -> None:
    edit_marker(paths, "orders", lambda d: d.update(said))
    r, err = load(paths, "orders")
    assert r is None and "a marker copied from another partition" in str(err)
    assert log(paths)[-1][0] == "failed"


def test_files_the_marker_does_not_list_are_reported(paths) -> None:
    f = only_file(paths, "orders")
    shutil.copy(f, f.with_name("part-0009.csv"))
    (f.parent / ".DS_Store").write_bytes(b"\x00")
    r, err = load(paths, "orders")
    assert err is None
    assert any("part-0009.csv' is not listed in the marker" in w for w in r.warnings)
    assert any(".DS_Store' is not listed in the marker" in w for w in r.warnings)
    assert "part-0009.csv" in log(paths)[-1][1]


def test_a_line_over_the_limit_is_quarantined(paths) -> None:
    csv_file, jsonl = only_file(paths, "orders"), only_file(paths, "registrations")
    limit = max(len(line) for f in (csv_file, jsonl) for line in f.read_bytes().splitlines()) + 10
    settings(paths, max_line_bytes=limit)
    rows = csv_file.read_text().splitlines()
    rows[2] = rows[2] + "x" * limit  # the last field grows past the limit
    rewrite(paths, "orders", ("\n".join(rows) + "\n").encode())
    r, err = load(paths, "orders")
    assert err is None and r.rejected == 1
    lines = jsonl.read_bytes().splitlines()
    lines.insert(1, json.dumps({"user_id": "u_long", "nickname": "n" * limit}).encode())
    rewrite(paths, "registrations", b"\n".join(lines) + b"\n")
    r, err = load(paths, "registrations")
    assert err is None and r.rejected == 1
    with duckdb.connect(str(paths.warehouse)) as con:
        reasons = con.execute("select _file, _line, reason from raw.raw_rejects order by _file").fetchall()
    assert [(Path(f).parent.parent.name, line) for f, line, _ in reasons] == [("orders", 3), ("registrations", 2)]
    assert all("max_line_bytes limit" in reason for _, _, reason in reasons)


def test_a_file_over_the_size_limit_is_refused(paths) -> None:
    size = only_file(paths, "orders").stat().st_size
    settings(paths, max_file_bytes=size - 1)
    _, err = load(paths, "orders")
    assert f"{size:,} bytes, over the max_file_bytes limit ({size - 1:,})" in str(err)


@pytest.mark.parametrize(
    ("feed", "damage", "says"),
    [
        ("orders", lambda b: gzip.compress(b), "is gzip-compressed, not CSV text"),
        ("events", lambda b: gzip.compress(b), "is gzip-compressed, not JSON lines"),
        ("orders", lambda b: b.replace(b"\n", b"\r"), "CR-only line endings"),
        ("orders", lambda b: b.decode().encode("utf-16"), "is UTF-16 text"),
        ("orders", lambda b: b"PAR1" + b, "is a Parquet file named .csv"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_named_for_what_it_is(paths, feed, damage, says) -> None:
    f = only_file(paths, feed)
    rewrite(paths, feed, damage(f.read_bytes()), rows=3)
    _, err = load(paths, feed)
    assert isinstance(err, LoadError) and says in str(err)
    assert log(paths)[-1][2][0]["file"] == f"{feed}/dt={START}/{f.name}"


def test_every_unreadable_file_is_reported_and_the_partition_fails_whole(paths) -> None:
    part = paths.partition("orders", START)
    good = only_file(paths, "orders")
    shutil.copy(good, part / "part-0001.csv")
    (part / "part-0002.csv").write_bytes(gzip.compress(good.read_bytes()))
    (part / "part-0003.parquet").write_bytes(good.read_bytes() + b"\n")  # text named .parquet
    write_marker(part, "orders", START, rows={"part-0001.csv": 4, "part-0002.csv": 4, "part-0003.parquet": 4})
    edit_marker(paths, "orders", lambda d: d["files"].append({"name": "part-0004.txt", "rows": 1, "sha256": "0"}))
    _, err = load(paths, "orders")
    assert "3 of 5 listed files cannot be loaded" in str(err)
    status, _, file_errors = log(paths)[-1]
    reasons = {Path(e["file"]).name: e["reason"] for e in file_errors}
    assert status == "failed" and set(reasons) == {"part-0002.csv", "part-0003.parquet", "part-0004.txt"}
    assert "is not a Parquet file" in reasons["part-0003.parquet"] and "'.txt'" in reasons["part-0004.txt"]
    with duckdb.connect(str(paths.warehouse)) as con:
        assert con.execute("select count(*) from raw.orders").fetchone()[0] == 0  # nothing of the day


@pytest.mark.parametrize("feed", ["orders", "registrations"])
def test_a_utf8_byte_order_mark_is_read_past_and_said(paths, feed) -> None:
    f = only_file(paths, feed)
    rows = len(f.read_bytes().splitlines()) - (1 if f.suffix == ".csv" else 0)
    rewrite(paths, feed, b"\xef\xbb\xbf" + f.read_bytes())
    r, err = load(paths, feed)
    assert err is None and (r.loaded, r.rejected) == (rows, 0)
    assert any("UTF-8 byte-order mark" in w for w in r.warnings)


def test_an_empty_file_is_no_records_unless_the_marker_says_otherwise(paths) -> None:
    rewrite(paths, "orders", b"", rows=0)
    r, err = load(paths, "orders")
    assert err is None and r.loaded == 0 and "is empty (0 bytes, no header line)" in r.warnings[0]
    rewrite(paths, "orders", b"", rows=4)
    _, err = load(paths, "orders")
    assert "is empty (0 bytes) but 4 records listed in the marker" in str(err)


def test_a_marker_that_counted_a_trailing_blank_line_is_told_so(paths) -> None:
    f = only_file(paths, "orders")
    rewrite(paths, "orders", f.read_bytes() + b"\n")  # write_marker counts lines, as a naive source does
    _, err = load(paths, "orders")
    assert "holds 4 and 1 blank line, which the marker counted as records" in str(err)


def test_a_row_with_an_extra_column_is_quarantined_with_its_text(paths) -> None:
    f = only_file(paths, "orders")
    rows = f.read_text().splitlines()
    rows[2] += ",unescaped comma"
    rewrite(paths, "orders", ("\n".join(rows) + "\n").encode())
    r, err = load(paths, "orders")
    assert err is None and (r.loaded, r.rejected) == (3, 1) and r.reconciles
    with duckdb.connect(str(paths.warehouse)) as con:
        line, column, reason, record = con.execute(
            "select _line, column_name, reason, record from raw.raw_rejects"
        ).fetchone()
        assert con.execute("select count(*) from raw.orders where order_id is null").fetchone()[0] == 0
    assert (line, column) == (3, "record") and "wrong column count" in reason and record.endswith("unescaped comma")
