"""A reader polling the published marts during a multi-day run never meets a lock, an error or a
snapshot other than a complete published day; the day-by-day run ends with the in-order marts."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import pytest

from opswh.config import REPO_ROOT
from tests.reliability.conftest import DAYS, run, twin
from tests.reliability.figures import FIGURES
from tests.support import START, mart_digests

pytestmark = pytest.mark.reliability

READER = REPO_ROOT / "tests" / "scripts" / "snapshot_reader.py"


def test_a_reader_during_a_multi_day_run_sees_only_whole_published_days(history, tmp_path) -> None:
    paths = twin(tmp_path / "d", history.landing)
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, str(READER), str(paths.published), str(stop), str(out)])
    try:
        for n in range(1, DAYS + 1):  # one run per day, as the daily schedule does
            run(paths, n, n, f"day-{n}")
    finally:
        stop.touch()
        reader.wait(timeout=120)
    seen = json.loads(out.read_text())
    FIGURES.reads += len(seen["seen"])
    FIGURES.lock_errors += len(seen["errors"])

    def whole(snapshot) -> bool:
        last = date.fromisoformat(snapshot["as_of"])
        return snapshot["days"] == [str(START + timedelta(days=i)) for i in range((last - START).days + 1)]

    wrong = [s for s in seen["seen"] if not whole(s)]
    FIGURES.wrong_snapshots += len(wrong)
    assert seen["errors"] == [] and not wrong
    assert {s["via"] for s in seen["seen"]} == {"duckdb", "parquet"} and len(seen["seen"]) > 20
    assert mart_digests(paths) == history.reference
