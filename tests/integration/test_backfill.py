"""Days loaded in any order, re-runs and late deliveries publish the marts an in-order build does.

The incremental models rebuild from the earliest day the loads since the last build may have
changed (raw.load_log.earliest_day, stg_loader__changes), not only the trailing lookback_days,
and the marts gate checks every day a build changed.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import duckdb

from opswh.landing import write_marker
from opswh.paths import Paths
from tests.support import START, mart_digests, publish_days, simulate

DAYS = 12


def _day(n: int):
    return START + timedelta(days=n - 1)


def _twin(tmp_path, monkeypatch, name: str, source: Paths) -> Paths:
    """A second data directory with the same landing folder."""
    paths = Paths(tmp_path / name)
    shutil.copytree(source.landing, paths.landing)
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return paths


def _in_order(tmp_path, monkeypatch, source: Paths) -> dict:
    reference = _twin(tmp_path, monkeypatch, "reference", source)
    monkeypatch.setenv("OPSWH_DATA_DIR", str(reference.root))
    publish_days(reference, _day(1), _day(DAYS), run_id="reference")
    return mart_digests(reference)


def test_days_loaded_out_of_order_and_rerun_publish_the_in_order_marts(tmp_path, monkeypatch):
    """Days 1-6, then 10-12, then 7-9, then 12 again: each build rebuilds from the first changed day."""
    mixed = simulate(tmp_path / "mixed", days=DAYS, scale="tiny")
    reference = _in_order(tmp_path, monkeypatch, mixed)
    monkeypatch.setenv("OPSWH_DATA_DIR", str(mixed.root))
    for n, (first, last) in enumerate([(1, 6), (10, 12), (7, 9), (12, 12)]):
        out = publish_days(mixed, _day(first), _day(last), run_id=f"mixed-{n}")
        # the backfill of 7-9 changed 7 (or earlier: an order placed before and changed then) to 12
        # (MAU and retention of the later days), and the gate checked every one of them
        if (first, last) == (7, 9):
            changed_from, changed_to = out["dbt"]["changed_days"].split("..")
            assert changed_from <= str(_day(7)) and changed_to == str(_day(12))
            assert out["validate_marts"]["days_checked"] == out["dbt"]["changed_days"]
    assert mart_digests(mixed) == reference


def test_events_delivered_a_week_late_reach_the_day_they_happened(tmp_path, monkeypatch):
    """Every day-3 event of a third of that day's users arrives with day 12's delivery, well past
    lookback_days."""
    mixed = simulate(tmp_path / "mixed", days=DAYS, scale="tiny")
    day3, day12 = mixed.partition("events", _day(3)), mixed.partition("events", _day(12))
    lines = (day3 / "part-0000.jsonl").read_text().splitlines()
    users = sorted({json.loads(line)["user_id"] for line in lines} - {None})[::3]
    late = [line for line in lines if json.loads(line)["user_id"] in users]
    keep = [line for line in lines if line not in late]
    received = f"{_day(12)}T04:00:00.000Z"  # received on day 12 (Asia/Shanghai)
    (day3 / "part-0000.jsonl").write_text("".join(line + "\n" for line in keep))
    (day12 / "part-0099.jsonl").write_text(
        "".join(json.dumps({**json.loads(line), "received_at": received}) + "\n" for line in late)
    )
    write_marker(day3, "events", _day(3))
    write_marker(day12, "events", _day(12))
    reference = _in_order(tmp_path, monkeypatch, mixed)
    monkeypatch.setenv("OPSWH_DATA_DIR", str(mixed.root))
    publish_days(mixed, _day(1), _day(11), run_id="days")
    with duckdb.connect(str(mixed.published), read_only=True) as con:
        dau_before = con.execute(f"select dau from marts.fct_kpi_daily where date_day = '{_day(3)}'").fetchone()[0]
    out = publish_days(mixed, _day(12), _day(12), run_id="late")
    assert out["dbt"]["changed_days"] == f"{_day(3)}..{_day(12)}"
    with duckdb.connect(str(mixed.published), read_only=True) as con:
        dau_after = con.execute(f"select dau from marts.fct_kpi_daily where date_day = '{_day(3)}'").fetchone()[0]
    assert dau_after > dau_before
    assert mart_digests(mixed) == reference
