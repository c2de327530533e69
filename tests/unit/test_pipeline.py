"""Stage logic without Airflow: day ranges, publish by swap, the quality gate."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime

import duckdb
import pytest

from opswh.paths import Paths
from opswh.pipeline import DayRange, StageError, day_range
from opswh.publish import publish_snapshot, snapshot_meta
from tests.support import hand_built_warehouse


def test_a_scheduled_interval_is_one_reporting_day() -> None:
    # Asia/Shanghai midnight = 16:00 UTC the day before
    r = day_range(datetime(2026, 9, 2, 16, tzinfo=UTC), datetime(2026, 9, 3, 16, tzinfo=UTC))
    assert r == DayRange(date(2026, 9, 3), date(2026, 9, 3))


def test_conf_gives_a_history_range_and_is_checked() -> None:
    assert day_range(None, None, {"start": "2026-09-01", "end": "2026-09-05"}).days[-1] == date(2026, 9, 5)
    with pytest.raises(StageError, match="before start"):
        day_range(None, None, {"start": "2026-09-05", "end": "2026-09-01"})
    with pytest.raises(StageError, match="data interval or conf"):
        day_range(None, None, {})


def test_a_triggered_range_is_bounded_and_never_ends_in_the_future() -> None:
    """{"start": "2026-09-09", "end": "2099-12-31"} once held the daily schedule up for ever."""
    from opswh.days import DayRangeError, run_days

    today = date(2026, 12, 2)
    assert run_days(None, None, {"start": "2026-12-02"}, "UTC", 731, today).days == [today]
    with pytest.raises(DayRangeError, match="2099-12-31 is in the future"):
        run_days(None, None, {"start": "2026-09-09", "end": "2099-12-31"}, "UTC", 731, today)
    with pytest.raises(DayRangeError, match="covers 732 days, more than max_run_days"):
        run_days(None, None, {"start": "2024-12-01", "end": "2026-12-02"}, "UTC", 731, today)
    assert len(run_days(None, None, {"start": "2024-12-02", "end": "2026-12-02"}, "UTC", 731, today).days) == 731


def test_publish_writes_a_read_only_snapshot_and_removes_killed_publishes_files(tmp_path) -> None:
    import os
    import stat
    import subprocess

    paths = Paths(tmp_path)
    hand_built_warehouse(paths, 3)
    paths.published_dir.mkdir(parents=True)
    gone = subprocess.Popen(["true"])
    gone.wait()  # a process that has exited: its pid names a killed publish
    orphan = paths.published_dir / f".marts.{gone.pid}.tmp.duckdb"
    orphan.write_bytes(b"x" * 1000)
    (paths.published_dir / f".marts.{gone.pid}.tmp.duckdb.wal").write_bytes(b"x")
    running = paths.published_dir / f".marts.{os.getppid()}.tmp.duckdb"  # a publish still under way
    running.write_bytes(b"x")
    publish_snapshot(paths, date(2026, 9, 1), "run-1")
    assert not orphan.exists() and not orphan.with_name(orphan.name + ".wal").exists()
    assert running.exists()
    assert stat.S_IMODE(paths.published.stat().st_mode) == 0o444
    publish_snapshot(paths, date(2026, 9, 2), "run-2")  # the next swap replaces the read-only file
    assert snapshot_meta(paths.published)["as_of"] == "2026-09-02"
    versions = sorted(p.name for p in paths.published_dir.glob(".parquet.*"))
    assert len(versions) == 2  # the current Parquet version and the one before, for readers mid-query
    assert sorted(p.name for p in paths.published_dir.iterdir()) == sorted(
        ["marts.duckdb", "parquet", running.name, *versions]
    )
    publish_snapshot(paths, date(2026, 9, 3), "run-3")
    assert os.readlink(paths.published_parquet) not in versions
    assert sorted(p.name for p in paths.published_dir.glob(".parquet.*")) == sorted(
        [versions[1], os.readlink(paths.published_parquet)]
    )


def test_publish_writes_dbt_s_descriptions_from_the_build_s_manifest_as_comments(tmp_path) -> None:
    paths = Paths(tmp_path)
    hand_built_warehouse(paths, description="KPIs by day; it's quoted.")
    publish_snapshot(paths, date(2026, 9, 1), "run-1")
    with duckdb.connect(str(paths.published), read_only=True) as con:
        table = con.execute("select comment from duckdb_tables() where table_name = 'fct_kpi_daily'").fetchall()
        columns = con.execute(
            "select column_name, comment from duckdb_columns() where table_name = 'fct_kpi_daily'"
        ).fetchall()
    assert table == [("KPIs by day; it's quoted.",)]
    assert columns == [("dau", "Daily active users.")]  # a described column the table lacks is left out
    (paths.dbt_target / "manifest.json").unlink()
    with pytest.raises(RuntimeError, match="manifest.json: not found"):
        publish_snapshot(paths, date(2026, 9, 2), "run-2")


def test_what_a_pooled_reader_sees_after_a_publish_is_what_the_docs_say(tmp_path) -> None:
    """A process that keeps a connection open shares one instance of the file: its new connections see
    the old snapshot until every connection is closed; a query of published/parquet sees the new one."""
    paths = Paths(tmp_path)
    hand_built_warehouse(paths, 3)
    publish_snapshot(paths, date(2026, 9, 1), "run-1")
    parquet = paths.published_parquet / "fct_kpi_daily.parquet"
    pooled = duckdb.connect(str(paths.published), read_only=True)
    assert pooled.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()[0] == 3
    hand_built_warehouse(paths, 5)
    publish_snapshot(paths, date(2026, 9, 2), "run-2")
    assert pooled.execute("select count(*) from fct_kpi_daily").fetchone()[0] == 3
    with duckdb.connect(str(paths.published), read_only=True) as fresh:  # the pool's instance is still open
        assert fresh.execute("select count(*) from fct_kpi_daily").fetchone()[0] == 3
    assert pooled.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()[0] == 5
    pooled.close()
    with duckdb.connect(str(paths.published), read_only=True) as recycled:
        assert recycled.execute("select count(*) from fct_kpi_daily").fetchone()[0] == 5
        meta = recycled.execute(f"select meta from read_parquet('{paths.published_parquet / '_snapshot.parquet'}')")
        assert '"as_of": "2026-09-02"' in meta.fetchone()[0]


def test_publish_swaps_a_complete_snapshot_and_readers_never_see_a_partial_one(tmp_path) -> None:
    paths = Paths(tmp_path)
    hand_built_warehouse(paths, 3)
    publish_snapshot(paths, date(2026, 9, 1), "run-1")
    seen: set[int] = set()
    errors: list[Exception] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                with duckdb.connect(str(paths.published), read_only=True) as con:
                    seen.add(con.execute("select count(*) from fct_kpi_daily").fetchall()[0][0])
            except Exception as e:  # noqa: BLE001 - the test reports any error a reader meets
                errors.append(e)

    t = threading.Thread(target=reader)
    t.start()
    for n in (5, 7, 9):
        hand_built_warehouse(paths, n)
        publish_snapshot(paths, date(2026, 9, n), f"run-{n}")
    stop.set()
    t.join()
    assert not errors
    assert seen <= {3, 5, 7, 9} and seen
    meta = snapshot_meta(paths.published)
    assert meta["run_id"] == "run-9" and meta["row_counts"] == {"fct_kpi_daily": 9}


def test_publish_refuses_an_empty_marts_schema(tmp_path) -> None:
    paths = Paths(tmp_path)
    paths.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema marts")
    with pytest.raises(RuntimeError, match="nothing to publish"):
        publish_snapshot(paths, date(2026, 9, 1), "r")
    assert not paths.published.exists()


KPI_SUITE = {
    "name": "kpi_test",
    "meta": {"stage": "marts", "table": "marts.fct_kpi_daily", "partition_column": "date_day"},
    "expectations": [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "dau", "min_value": 1},
            "meta": {"severity": "critical"},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "gmv", "min_value": 60},
            "meta": {"severity": "warning"},
        },
    ],
}


def test_quality_gate_stops_on_critical_and_records_warnings(tmp_path) -> None:
    from opswh.quality import QualityGateError, validate_stage

    paths = Paths(tmp_path)
    paths.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_kpi_daily as select date '2026-09-01' as date_day, 10 as dau, "
            "100.0 as gmv union all select date '2026-09-02', 0, 50.0"
        )
    report = validate_stage(paths, "marts", [date(2026, 9, 1)], "ok-run", suites=[KPI_SUITE])
    assert report.validated == 1 and not report.findings
    with pytest.raises(QualityGateError, match=r"critical.*\n.*kpi_test 2026-09-02.*dau"):
        validate_stage(paths, "marts", [date(2026, 9, 2)], "bad-run", suites=[KPI_SUITE])
    saved = json.loads(next((paths.gx_dir / "results").glob("bad-run/marts/_report.json")).read_text())
    assert sorted((f["severity"], f["column"]) for f in saved["findings"]) == [("critical", "dau"), ("warning", "gmv")]


def test_quality_gate_failure_names_columns_and_values_in_plain_words(tmp_path) -> None:
    """A failed pair check says which columns, which values, and what the check means: not
    ``1 unexpected, e.g. [(np.int64(1), np.int64(2))]``."""
    from opswh.quality import QualityGateError, validate_stage

    suite = {
        "name": "pair_test",
        "meta": {"stage": "marts", "table": "marts.fct_kpi_daily", "partition_column": "date_day"},
        "expectations": [
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {"column_A": "dau", "column_B": "paying_users", "or_equal": True},
                "meta": {"severity": "critical", "notes": "a paying user is an active user"},
            },
            {
                "type": "expect_table_row_count_to_equal",
                "kwargs": {"value": 2},
                "meta": {"severity": "warning", "notes": "KPI rows that day"},
            },
        ],
    }
    paths = Paths(tmp_path)
    paths.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_kpi_daily as select date '2026-09-03' as date_day, 1 as dau, 2 as paying_users"
        )
    with pytest.raises(QualityGateError) as failed:
        validate_stage(paths, "marts", [date(2026, 9, 3)], "pair-run", suites=[suite])
    message = str(failed.value)
    assert "pair_test 2026-09-03" in message
    assert "1 rows with dau below paying_users (a paying user is an active user), e.g. dau=1, paying_users=2" in message
    assert "np." not in message
    saved = json.loads(next((paths.gx_dir / "results").glob("pair-run/marts/_report.json")).read_text())
    assert [f["observed"] for f in saved["findings"] if f["severity"] == "warning"] == ["1 KPI rows that day"]


def test_quality_gate_keeps_every_result_and_builds_no_cdn_site(tmp_path) -> None:
    """Each validation's GX result is kept; GX's Data Docs (CDN-dependent, megabytes a run) are not built."""
    from opswh.quality import validate_stage

    paths = Paths(tmp_path)
    paths.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_kpi_daily as select date '2026-09-01' as date_day, 10 as dau, 1.0 as gmv")
    report = validate_stage(paths, "marts", [date(2026, 9, 1)], "docs-run", suites=[KPI_SUITE])
    results = paths.gx_dir / "results" / "docs-run" / "marts"
    assert report.results == str(results)
    assert sorted(p.name for p in results.iterdir()) == ["_report.json", "kpi_test_2026-09-01.json"]
    saved = json.loads((results / "kpi_test_2026-09-01.json").read_text())
    assert saved["statistics"]["evaluated_expectations"] == len(KPI_SUITE["expectations"]) == len(saved["results"])
    assert not (paths.gx_dir / "data_docs").exists()


def test_every_committed_suite_is_valid_for_great_expectations() -> None:
    """A typo in a suite would fail every run at the gate: build each one with GX itself."""
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from opswh.quality import load_suites

    suites = load_suites("raw") + load_suites("marts")
    assert len(suites) >= 9
    for doc in suites:
        suite = ExpectationSuite(name=doc["name"], meta=doc["meta"])
        for e in doc["expectations"]:
            assert e["meta"]["severity"] in ("critical", "warning"), (doc["name"], e["type"])
            suite.add_expectation_configuration(
                ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"])
            )
        assert ("table" in doc["meta"] and "partition_column" in doc["meta"]) or "query" in doc["meta"]
