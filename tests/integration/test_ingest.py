"""Raw ingestion: every landed row is loaded, quarantined with a reason, or deduplicated."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import timedelta

import pytest

from opswh import contract
from opswh.ingest import LoadError, load_partition
from opswh.landing import LandingError, write_marker
from opswh.paths import Paths
from tests.support import START, simulate

DAYS = [START + timedelta(days=i) for i in range(3)]
LENIENT = 0.3  # the faulted day is small: let quarantine, not the threshold, decide


def load_all(con, paths, days=DAYS, **kw) -> tuple[dict, dict]:
    results, failures = {}, {}
    for dt in days:
        for feed in contract.FEEDS:
            try:
                results[(feed.name, dt.isoformat())] = load_partition(con, paths, feed.name, dt, **kw)
            except LandingError as e:
                failures[(feed.name, dt.isoformat())] = str(e)
    return results, failures


@pytest.fixture(scope="module")
def faulted(faulted_landing, tmp_path_factory):
    import duckdb

    con = duckdb.connect(str(tmp_path_factory.mktemp("wh") / "wh.duckdb"))
    results, failures = load_all(con, faulted_landing, max_reject_share=LENIENT)
    manifest = json.loads((faulted_landing.landing / "_faults.json").read_text())
    return con, results, failures, manifest


def rejects(con, feed: str, dt: str) -> list[tuple]:
    return con.execute(
        "select _file, _line, column_name, reason from raw.raw_rejects where feed = ? and _dt = ? "
        "order by _file, _line",
        [feed, dt],
    ).fetchall()


def test_every_fault_class_is_injected(faulted) -> None:
    from opswh.simulate.faults import FAULTS

    _, _, _, manifest = faulted
    assert {m["fault"] for m in manifest if m["expect"] != "skipped"} == set(FAULTS)


def test_every_load_reconciles(faulted) -> None:
    con, results, _, _ = faulted
    for key, r in results.items():
        assert r.landed == r.loaded + r.rejected + r.deduplicated, key
        in_raw = con.execute(f"select count(*) from raw.{r.feed} where _dt = ?", [r.dt]).fetchall()[0][0]
        in_rejects = con.execute(
            "select count(*) from raw.raw_rejects where feed = ? and _dt = ?", [r.feed, r.dt]
        ).fetchall()[0][0]
        assert (in_raw, in_rejects) == (r.loaded, r.rejected), key
    logged = con.execute(
        "select count(*) from raw.load_log where status = 'loaded' and landed != loaded + rejected + deduplicated"
    ).fetchall()[0][0]
    assert logged == 0
    per_source = con.execute(
        "select source, sum(landed), sum(unaccounted) from raw.reconciliation group by source order by source"
    ).fetchall()
    assert [r[0] for r in per_source] == sorted(contract.SOURCES)
    assert all(landed > 0 and unaccounted == 0 for _, landed, unaccounted in per_source)


@pytest.mark.parametrize(
    "fault",
    [
        "malformed_rows",
        "null_keys",
        "negative_amounts",
        "refund_exceeds_payment",
        "future_timestamps",
        "non_utf8",
        "long_strings",
        "off_scale_feedback",
    ],
)
def test_quarantined_faults_name_file_line_and_column(faulted, fault) -> None:
    con, results, _, manifest = faulted
    expected_columns = {
        "null_keys": {"orders": {"order_id"}},
        "negative_amounts": {"payments": {"amount"}, "ad_spend": {"spend"}},
        "refund_exceeds_payment": {"refunds": {"amount"}},
        "future_timestamps": {"events": {"event_at"}},
        "non_utf8": {"merchants": {"merchant_name"}},
        "long_strings": {"registrations": {"nickname"}},
        "off_scale_feedback": {"survey_responses": {"score"}, "support_tickets": {"satisfaction"}},
        "malformed_rows": {"orders": {"fee_amount", "gmv_amount", "placed_at"}, "events": {"record", "event_at"}},
    }[fault]
    entries = [m for m in manifest if m["fault"] == fault and m["feed"] in expected_columns]
    assert entries
    for m in entries:
        assert m["expect"] == "quarantined"
        got = {(f, line): col for f, line, col, _ in rejects(con, m["feed"], m["dt"])}
        for line in m["lines"]:
            assert (m["file"], line) in got, (fault, m, got)
            assert got[(m["file"], line)] in expected_columns[m["feed"]], (fault, got[(m["file"], line)])
        r = results[(m["feed"], m["dt"])]
        assert r.rejected >= len(m["lines"])
        assert r.landed == r.loaded + r.rejected + r.deduplicated


def test_reject_reasons_say_what_was_wrong(faulted) -> None:
    con, _, _, _ = faulted
    reasons = " | ".join(r[0] for r in con.execute("select reason from raw.raw_rejects").fetchall())
    for phrase in (
        "wrong column count",
        "unparsable",
        "null key",
        "negative value",
        "refund larger than the payment",
        "in the future",
        "not UTF-8",
        "longer than 256 characters",
        "invalid JSON",
        "score outside the survey's scale",
        "a rating outside 1-5 or on a row that is not a resolution",
    ):
        assert phrase in reasons, phrase
    assert con.execute("select count(*) from raw.raw_rejects where record is null").fetchall()[0][0] == 0


def test_load_fails_name_the_problem(faulted) -> None:
    _, _, failures, manifest = faulted
    renamed = next(m for m in manifest if m["fault"] == "schema_drift_renamed")
    msg = failures[(renamed["feed"], renamed["dt"])]
    assert "unit_price" in msg and "price" in msg and renamed["file"].split("/")[-1] in msg
    missing = next(m for m in manifest if m["fault"] == "missing_partition")
    msg = failures[(missing["feed"], missing["dt"])]
    assert "partition missing" in msg and f"dt={missing['dt']}" in msg
    # nothing else failed: every other fault is repaired, quarantined or loaded
    assert set(failures) == {(renamed["feed"], renamed["dt"]), (missing["feed"], missing["dt"])}


def test_one_load_of_every_source_tries_them_all_and_names_each_that_failed(faulted_landing, tmp_path) -> None:
    import duckdb

    from opswh.days import DayRange
    from opswh.pipeline import StageError, load_sources

    shutil.copytree(faulted_landing.landing, tmp_path / "landing")
    paths = Paths(tmp_path)
    with pytest.raises(StageError) as failed:
        load_sources(paths, DayRange(DAYS[0], DAYS[-1]), run_id="t", max_reject_share=LENIENT)
    message = str(failed.value)
    assert "loading orders for" in message and "unit_price" in message  # schema_drift_renamed
    assert "loading reference for" in message and "partition missing" in message  # missing_partition
    assert "loading events" not in message and "loading users" not in message
    manifest = json.loads((faulted_landing.landing / "_faults.json").read_text())
    expected = {(m["feed"], m["dt"]) for m in manifest if m["expect"] == "load_fails"}
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        statuses = con.execute("select feed, _dt::varchar, status from raw.load_log").fetchall()
    assert {(feed, dt) for feed, dt, status in statuses if status == "failed"} == expected
    assert {dt for feed, dt, status in statuses if feed == "events" and status == "loaded"} == {
        d.isoformat() for d in DAYS
    }  # the sources after the failing ones were loaded too


def test_failed_load_is_logged_and_leaves_no_rows(faulted) -> None:
    con, _, _, manifest = faulted
    renamed = next(m for m in manifest if m["fault"] == "schema_drift_renamed")
    status, message = con.execute(
        "select status, message from raw.load_log where feed = ? and _dt = ?", [renamed["feed"], renamed["dt"]]
    ).fetchall()[0]
    assert status == "failed" and "unit_price" in message
    assert con.execute("select count(*) from raw.order_items where _dt = ?", [renamed["dt"]]).fetchall()[0][0] == 0


def test_duplicate_file_is_loaded_once(faulted) -> None:
    con, results, _, manifest = faulted
    m = next(m for m in manifest if m["fault"] == "duplicate_file")
    r = results[("orders", m["dt"])]
    assert r.duplicate_files == [m["file"]]
    assert r.deduplicated > 0 and r.landed == r.loaded + r.rejected + r.deduplicated
    dupes = con.execute(
        "select count(*) - count(distinct (order_id, updated_at)) from raw.orders where _dt = ?", [m["dt"]]
    ).fetchall()[0][0]
    assert dupes == 0


def test_duplicate_events_are_kept_in_raw_and_counted(faulted) -> None:
    con, results, _, manifest = faulted
    m = next(m for m in manifest if m["fault"] == "duplicate_events")
    assert results[("events", m["dt"])].duplicate_keys == len(m["lines"])


def test_late_events_load_into_the_partition_they_arrived_in(faulted) -> None:
    con, _, _, manifest = faulted
    m = next(m for m in manifest if m["fault"] == "late_events")
    late = con.execute(
        "select count(*) from raw.events where _dt = ? and _file = ? and _line in "
        f"({', '.join(map(str, m['lines']))}) and event_at < ?::date - interval 8 hour",
        [m["dt"], m["file"], m["dt"]],
    ).fetchall()[0][0]
    assert late == len(m["lines"])


def test_schema_drift_added_is_loaded_and_reported(faulted) -> None:
    con, results, _, manifest = faulted
    for m in (m for m in manifest if m["fault"] == "schema_drift_added"):
        r = results[(m["feed"], m["dt"])]
        assert r.extra_columns == [{"registrations": "app_version", "ad_spend": "reach"}[m["feed"]]]
        assert r.loaded > 0 and any("schema drift" in w for w in r.warnings)
        logged = con.execute(
            "select extra_columns from raw.load_log where feed = ? and _dt = ?", [m["feed"], m["dt"]]
        ).fetchall()[0][0]
        assert logged == r.extra_columns


def test_empty_partition_loads_zero_rows(faulted) -> None:
    _, results, _, manifest = faulted
    m = next(m for m in manifest if m["fault"] == "empty_partition")
    r = results[(m["feed"], m["dt"])]
    assert (r.landed, r.loaded, r.rejected) == (0, 0, 0)


def test_chinese_text_loads_intact(faulted) -> None:
    con, _, _, manifest = faulted
    m = next(m for m in manifest if m["fault"] == "chinese_text")
    names = {r[0] for r in con.execute("select merchant_name from raw.merchants where _dt = ?", [m["dt"]]).fetchall()}
    assert '王记"老字号",面馆 🍜' in names and "Café 咖啡, 第二家" in names


def test_lines_point_at_the_record_in_the_file(faulted, faulted_landing) -> None:
    """`_line` of every loaded row is the line of the file that holds it, despite rejects around it."""
    con, _, _, manifest = faulted
    m = next(m for m in manifest if m["fault"] == "malformed_rows" and m["feed"] == "orders")
    path = faulted_landing.landing / m["file"]
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = con.execute("select order_id, updated_at, _line from raw.orders where _file = ?", [m["file"]]).fetchall()
    assert rows
    for order_id, updated_at, line in rows:
        rec = next(csv.reader([lines[line - 1]]))
        assert rec[0] == order_id and rec[5].startswith(updated_at.strftime("%Y-%m-%dT%H:%M:%S")), line


def test_reload_and_out_of_order_give_the_same_tables(clean_landing, tmp_path) -> None:
    import duckdb

    def snapshot(con) -> dict:
        out = {}
        for feed in contract.FEEDS:
            cols = ", ".join(f'"{c}"' for c in feed.column_names)
            out[feed.name] = sorted(
                map(repr, con.execute(f"select {cols}, _dt, _file, _line from raw.{feed.name}").fetchall())
            )
        return out

    a = duckdb.connect(str(tmp_path / "a.duckdb"))
    load_all(a, clean_landing)
    first = snapshot(a)
    load_all(a, clean_landing, days=[DAYS[1]])  # load a day again
    assert snapshot(a) == first
    b = duckdb.connect(str(tmp_path / "b.duckdb"))
    load_all(b, clean_landing, days=list(reversed(DAYS)))
    assert snapshot(b) == first
    assert sum(len(v) for v in first.values()) > 1000


def test_over_threshold_fails_and_keeps_the_previous_state(tmp_path, warehouse) -> None:
    paths = simulate(tmp_path, days=2, scale="small")
    before = load_partition(warehouse, paths, "orders", DAYS[1])
    part = paths.partition("orders", DAYS[1])
    f = part / "part-0000.csv"
    rows = list(csv.reader(f.open(encoding="utf-8")))
    for r in rows[1:]:
        r[7] = "not-a-number"  # gmv_amount
    with f.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    write_marker(part, "orders", DAYS[1])
    with pytest.raises(LoadError, match=r"over the 5% threshold.*\n.*part-0000.csv line 2, column gmv_amount"):
        load_partition(warehouse, paths, "orders", DAYS[1])
    kept = warehouse.execute("select count(*) from raw.orders where _dt = ?", [DAYS[1]]).fetchall()[0][0]
    assert kept == before.loaded
    statuses = [
        r[0]
        for r in warehouse.execute(
            "select status from raw.load_log where feed = 'orders' order by started_at"
        ).fetchall()
    ]
    assert statuses == ["loaded", "failed"]


@pytest.mark.parametrize("damage", ["no_marker", "bad_checksum", "wrong_count", "missing_file"])
def test_marker_problems_refuse_the_load(tmp_path, warehouse, damage) -> None:
    paths = simulate(tmp_path, days=1, scale="tiny")
    part = paths.partition("payments", START)
    marker = part / "_SUCCESS"
    doc = json.loads(marker.read_text())
    if damage == "no_marker":
        marker.unlink()
        expected = "completion marker missing"
    elif damage == "bad_checksum":
        (part / "part-0000.csv").write_text("payment_id\n")
        expected = "checksum"
    elif damage == "wrong_count":
        doc["files"][0]["rows"] += 1
        marker.write_text(json.dumps(doc))
        expected = "the marker says"
    else:
        shutil.move(part / "part-0000.csv", tmp_path / "elsewhere.csv")
        expected = "not on disk"
    with pytest.raises(LandingError, match=expected):
        load_partition(warehouse, paths, "payments", START)


def test_a_load_killed_midway_leaves_the_previous_state(tmp_path, warehouse, monkeypatch) -> None:
    import opswh.ingest.load as ingest

    paths = simulate(tmp_path, days=1, scale="tiny")
    first = load_partition(warehouse, paths, "events", START)

    def boom(*a, **k):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(ingest, "_check_counts", boom)  # dies after the deletes and inserts, before commit
    with pytest.raises(KeyboardInterrupt):
        load_partition(warehouse, paths, "events", START)
    assert warehouse.execute("select count(*) from raw.events").fetchall()[0][0] == first.loaded


def test_non_utf8_json_line_is_quarantined_and_the_rest_loads(tmp_path, warehouse) -> None:
    paths = simulate(tmp_path, days=1, scale="tiny")
    part = paths.partition("registrations", START)
    f = part / "part-0000.jsonl"
    good = f.read_bytes().count(b"\n")
    f.write_bytes(f.read_bytes() + b'{"user_id": "u_latin1", "nickname": "caf\xe9"}\n')
    write_marker(part, "registrations", START)
    r = load_partition(warehouse, paths, "registrations", START)
    assert (r.loaded, r.rejected) == (good, 1)
    line, reason = warehouse.execute("select _line, reason from raw.raw_rejects").fetchall()[0]
    assert (line, reason) == (good + 1, "not UTF-8 text")


def test_parquet_partition_loads_typed_and_quarantines_bad_rows(tmp_path, warehouse) -> None:
    import duckdb as ddb

    paths = simulate(tmp_path, days=1, scale="tiny", events_format="parquet")
    part = paths.partition("events", START)
    f = part / "part-0000.parquet"
    ddb.execute(f"""
        copy (select * replace (case when row_number() over () = 3 then null else event_type end as event_type,
                                case when row_number() over () = 4 then event_at + interval 400 day
                                     else event_at end as event_at)
              from read_parquet('{f}')) to '{tmp_path}/fixed.parquet' (format parquet)""")
    shutil.move(tmp_path / "fixed.parquet", f)
    write_marker(part, "events", START)
    r = load_partition(warehouse, paths, "events", START)
    assert r.rejected == 2 and r.landed == r.loaded + r.rejected
    got = warehouse.execute("select _line, column_name, reason, record from raw.raw_rejects order by _line").fetchall()
    assert [(line, col) for line, col, _, _ in got] == [(3, "event_type"), (4, "event_at")]
    assert "missing required value" in got[0][2] and "in the future" in got[1][2]
    assert '"device_id":' in got[0][3]  # the record shows the row as landed
    types = dict(
        warehouse.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'events'"
        ).fetchall()
    )
    assert types["event_at"] == "TIMESTAMP"


def test_raw_layer_holds_exactly_the_listed_files(tmp_path, warehouse) -> None:
    """raw.<feed> is a view over the files raw.raw_files lists; a reload replaces them and leaves no strays."""
    from opswh.ingest import raw_dir

    paths = simulate(tmp_path, days=1, scale="tiny")
    first = load_partition(warehouse, paths, "events", START)
    second = load_partition(warehouse, paths, "events", START)
    part = raw_dir(warehouse) / "events" / f"_dt={START.isoformat()}"
    on_disk = sorted(str(f.relative_to(raw_dir(warehouse))) for f in part.rglob("*") if f.is_file())
    listed = warehouse.execute("select path, rows, load_id from raw.raw_files where feed = 'events'").fetchall()
    assert on_disk == sorted(p for p, _, _ in listed)
    assert {load_id for _, _, load_id in listed} == {second.load_id} != {first.load_id}
    assert sum(rows for _, rows, _ in listed) == second.loaded == first.loaded
    kind = warehouse.execute(
        "select table_type from information_schema.tables where table_schema = 'raw' and table_name = 'events'"
    ).fetchall()
    assert kind == [("VIEW",)]


def test_a_killed_load_leaves_no_files_behind_after_the_next_load(tmp_path, warehouse, monkeypatch) -> None:
    import opswh.ingest.load as ingest
    from opswh.ingest import raw_dir

    paths = simulate(tmp_path, days=1, scale="tiny")
    load_partition(warehouse, paths, "orders", START)
    part = raw_dir(warehouse) / "orders" / f"_dt={START.isoformat()}"
    before = sorted(part.rglob("*.parquet"))

    def hard_kill(*a, **k):  # the process dies: no rollback handler, no clean-up
        raise SystemExit("killed")

    monkeypatch.setattr(ingest, "_commit_load", hard_kill)
    monkeypatch.setattr(ingest.shutil, "rmtree", lambda *a, **k: None)  # nor does the clean-up run
    with pytest.raises(SystemExit):
        load_partition(warehouse, paths, "orders", START)
    monkeypatch.undo()
    assert len(list(part.rglob("*.parquet"))) > len(before)  # the dead load's files are there, but not listed
    assert warehouse.execute("select count(*) from raw.raw_files where feed = 'orders'").fetchall()[0][0] == len(before)
    again = load_partition(warehouse, paths, "orders", START)
    assert [d.name for d in part.iterdir()] == [f"_load_id={again.load_id}"]


def test_a_partition_of_many_files_is_loaded_side_by_side_with_true_lines(tmp_path, warehouse) -> None:
    """JSON files are staged in parallel, one per thread; every row still points at its own line."""
    paths = simulate(tmp_path, days=1, scale="small", chunk_rows=700)
    files = sorted(paths.partition("events", START).glob("part-*.jsonl"))
    assert len(files) >= 3
    warehouse.execute("set threads = 2")
    r = load_partition(warehouse, paths, "events", START)
    assert (r.loaded, r.rejected) == (sum(1 for f in files for _ in f.open("rb")), 0)
    assert warehouse.execute("select current_setting('threads')").fetchall()[0][0] == 2  # restored
    for f in files:
        lines = f.read_text(encoding="utf-8").splitlines()
        rel = str(f.relative_to(paths.landing))
        got = warehouse.execute("select _line, event_id from raw.events where _file = ?", [rel]).fetchall()
        assert len(got) == len(lines)
        assert all(json.loads(lines[line - 1])["event_id"] == event_id for line, event_id in got)


def test_clean_parquet_is_kept_as_landed_and_reads_like_a_rewritten_file(tmp_path, warehouse) -> None:
    """A clean Parquet file in the contract's types is copied, not rewritten; lineage reads the same."""
    import duckdb as ddb

    paths = simulate(tmp_path, days=2, scale="tiny", events_format="parquet")
    damaged = paths.partition("events", DAYS[1]) / "part-0000.parquet"
    ddb.execute(f"""
        copy (select * replace (case when row_number() over () = 2 then null else event_type end as event_type)
              from read_parquet('{damaged}')) to '{tmp_path}/fixed.parquet' (format parquet)""")
    shutil.move(tmp_path / "fixed.parquet", damaged)
    write_marker(damaged.parent, "events", DAYS[1])
    clean, fixed = (load_partition(warehouse, paths, "events", dt) for dt in DAYS[:2])
    assert (clean.rejected, fixed.rejected) == (0, 1)
    stored = dict(warehouse.execute("select _dt, lines_stored from raw.raw_files where feed = 'events'").fetchall())
    assert stored == {DAYS[0]: False, DAYS[1]: True}
    for dt, result in ((DAYS[0], clean), (DAYS[1], fixed)):
        landed = paths.partition("events", dt) / "part-0000.parquet"
        ids = [r[0] for r in ddb.execute(f"select event_id from read_parquet('{landed}')").fetchall()]
        got = warehouse.execute(
            "select _file, _line, event_id, _load_id, _loaded_at from raw.events where _dt = ?", [dt]
        ).fetchall()
        assert len(got) == result.loaded
        assert {(f, load_id) for f, _, _, load_id, _ in got} == {(f"events/dt={dt}/part-0000.parquet", result.load_id)}
        assert all(ids[line - 1] == event_id for _, line, event_id, _, _ in got)
        assert 2 not in {line for _, line, _, _, _ in got} or dt == DAYS[0]  # the rejected row is not in raw
    assert warehouse.execute("select count(distinct _loaded_at) from raw.events").fetchall()[0][0] == 2


def test_a_moved_data_directory_keeps_its_raw_views(tmp_path) -> None:
    """The views name their files by absolute path; the next load in the new place re-points them."""
    import duckdb

    paths = simulate(tmp_path / "before", days=2, scale="tiny")
    con = duckdb.connect(str(paths.warehouse))
    load_partition(con, paths, "orders", DAYS[0])
    rows = sorted(con.execute("select * from raw.orders").fetchall())
    con.close()
    shutil.move(tmp_path / "before", tmp_path / "after")
    moved = Paths(tmp_path / "after")
    con = duckdb.connect(str(moved.warehouse))
    load_partition(con, moved, "orders", DAYS[1])
    assert sorted(con.execute("select * from raw.orders where _dt = ?", [DAYS[0]]).fetchall()) == rows


def test_events_without_an_id_are_loaded_for_staging_to_name(faulted) -> None:
    """The contract lets an export lack event ids: the rows load, and staging derives a deterministic id."""
    con, results, _, manifest = faulted
    (m,) = [m for m in manifest if m["fault"] == "null_keys" and m["feed"] == "events"]
    assert m["expect"] == "loaded"
    lines = con.execute(
        "select _line from raw.events where event_id is null and _file = ? order by 1", [m["file"]]
    ).fetchall()
    assert [r[0] for r in lines] == m["lines"]
