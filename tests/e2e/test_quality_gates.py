"""Every fault class of the simulator, through a real DAG run: repaired and published,
quarantined and published with a warning, or stopped before publishing with the problem named.
The published marts are always either the previous day's or correct, never partly updated."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import duckdb
import pytest

from opswh import config
from opswh.airflow import services
from opswh.airflow.environment import airflow_env
from opswh.config import REPO_ROOT
from opswh.paths import Paths
from opswh.publish import snapshot_meta
from opswh.simulate.faults import FAULTS
from tests.support import START, simulate

pytestmark = pytest.mark.e2e
SCRIPTS = REPO_ROOT / "tests" / "scripts"

DAY1, DAY2, DAY3 = START, START + timedelta(days=1), START + timedelta(days=2)
STOPPING = {"schema_drift_renamed": "load_fails", "missing_partition": "load_fails"}
PUBLISHED = [f for f in FAULTS if f not in STOPPING]


def run_days(paths: Paths, days: list, extra_env: dict | None = None) -> str:
    services.migrate(config.load(paths.root))
    env = {**airflow_env(config.load(paths.root)), **(extra_env or {})}
    r = subprocess.run(
        [sys.executable, str(SCRIPTS / "run_days.py"), str(REPO_ROOT / "dags"), *map(str, days)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return r.stdout + r.stderr


def findings(paths: Paths, day) -> list[dict]:
    out = []
    for report in (paths.gx_dir / "results").glob("*/*/_report.json"):
        out += [f for f in json.loads(report.read_text())["findings"] if f["partition"] == str(day)]
    return out


@pytest.fixture(scope="module")
def published_run(tmp_path_factory):
    """Day 1 clean, day 2 with every fault that must still publish (late events arrive on day 3);
    a reader process polls the published marts throughout."""
    root = tmp_path_factory.mktemp("gates")
    paths = simulate(root, days=3, scale="default", faults=PUBLISHED)
    stop, out = root / "stop-reader", root / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "snapshot_reader.py"), str(paths.published), str(stop), str(out)]
    )
    try:
        log = run_days(paths, [DAY1, DAY2, DAY3])
    finally:
        stop.touch()
        reader.wait(timeout=60)
    manifest = json.loads((paths.landing / "_faults.json").read_text())
    return paths, log, manifest, json.loads(out.read_text())


def test_every_day_publishes_despite_the_faults(published_run) -> None:
    paths, log, _, _ = published_run
    for day in (DAY1, DAY2, DAY3):
        assert f"STATE {day} success" in log, log[-4000:]
    assert snapshot_meta(paths.published)["as_of"] == str(DAY3)


def test_a_reader_never_meets_a_lock_or_a_partial_day(published_run) -> None:
    _, _, _, reader = published_run
    assert reader["errors"] == []
    assert len(reader["seen"]) > 10
    for snapshot in reader["seen"]:
        assert snapshot["days"][-1] == snapshot["as_of"], snapshot  # the snapshot holds exactly its days
    assert {s["as_of"] for s in reader["seen"]} <= {str(DAY1), str(DAY2), str(DAY3)}


@pytest.mark.parametrize("fault", PUBLISHED)
def test_each_publishable_fault_has_its_outcome(published_run, fault) -> None:
    paths, _, manifest, _ = published_run
    entries = [m for m in manifest if m["fault"] == fault]
    assert entries and all(m["expect"] in ("repaired", "quarantined", "loaded") for m in entries)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for m in entries:
            rejected = {
                (r[0], r[1])
                for r in con.execute(
                    "select _file, _line from raw.raw_rejects where feed = ? and _dt = ?", [m["feed"], m["dt"]]
                ).fetchall()
            }
            if m["expect"] == "quarantined":
                assert all((m["file"], line) in rejected for line in m["lines"]), m
                warned = [
                    f
                    for f in findings(paths, m["dt"])
                    if f["suite"] == "raw_load_reconciliation"
                    and f["severity"] == "warning"
                    and f["column"] == "rejected"
                ]
                assert warned, "quarantined rows must leave a warning in the quality report"
            elif m["expect"] == "repaired" and m["feed"] == "events":
                dupes = con.execute(
                    "select count(*) - count(distinct event_id) from staging.stg_events__events"
                ).fetchall()[0][0]
                assert dupes == 0
            elif m["fault"] == "unknown_channel":  # one new channel does not block the day: kept, flagged
                with duckdb.connect(str(paths.published), read_only=True) as pub:
                    flagged = pub.execute(
                        "select channel_group, is_catalogued from dim_channels where channel = 'tiktok_ads_cn'"
                    ).fetchall()
                assert flagged == [("unknown", False)]
                warned = [f for f in findings(paths, m["dt"]) if f["suite"] == "raw_ad_spend"]
                assert warned and warned[0]["severity"] == "warning"
            elif m["expect"] == "repaired":
                log = con.execute(
                    "select deduplicated from raw.load_log where feed = ? and _dt = ?", [m["feed"], m["dt"]]
                ).fetchall()[0][0]
                assert log > 0
        reconciles = con.execute(
            "select count(*) from raw.load_log where status = 'loaded' and landed != loaded + rejected + deduplicated"
        ).fetchall()[0][0]
        assert reconciles == 0
    with duckdb.connect(str(paths.published), read_only=True) as pub:
        kpi = pub.execute("select new_users, dau from fct_kpi_daily where date_day = ?", [DAY2]).fetchall()
    assert kpi and kpi[0][1] > 0


def test_drift_and_empty_deliveries_are_published_with_warnings(published_run) -> None:
    paths, _, _, _ = published_run
    notes = [f["column"] for f in findings(paths, DAY2) if f["suite"] == "raw_load_reconciliation"]
    assert "extra_columns" in notes and "empty_delivery" in notes


@pytest.mark.parametrize("fault", sorted(STOPPING))
def test_stopping_faults_keep_the_previous_day_published(tmp_path, fault) -> None:
    paths = simulate(tmp_path, days=2, scale="small", faults=[fault])
    log = run_days(paths, [DAY1, DAY2], extra_env={"OPSWH_LANDING_TIMEOUT_S": "1"})
    assert f"STATE {DAY1} success" in log and f"STATE {DAY2} failed" in log, log[-4000:]
    named = {
        "schema_drift_renamed": "unit_price",
        "missing_partition": f"content_items/dt={DAY2}",
    }[fault]
    assert named in log
    assert snapshot_meta(paths.published)["as_of"] == str(DAY1)
    with duckdb.connect(str(paths.published), read_only=True) as pub:
        assert [str(r[0]) for r in pub.execute("select date_day from fct_kpi_daily").fetchall()] == [str(DAY1)]
