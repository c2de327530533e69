"""The incremental daily ``dbt build`` of a small platform: where per-node overhead shows first.

Simulates ``--days`` days at ``--scale`` (seed 1), loads and builds all but the last as history with
the pipeline's own stages (``pipeline.load_source``, ``pipeline.dbt_build``), then loads the last day
and builds it incrementally ``--repeat`` times (each a re-delivery of that day: the same work).
Prints each daily build's time, their median, and the nodes of the build (models, data tests) from
dbt's ``run_results.json``, and the data tests' summed node time by generic test (its ``manifest.json``).

To compare two commits, run it in a worktree of each, alternately:

    .venv/bin/python bench/bench_daily_build.py                     # about 1.5 minutes
    git worktree add /tmp/before <commit> && (cd /tmp/before && make setup && \\
        .venv/bin/python bench/bench_daily_build.py --work /tmp/bench_daily_before)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=8)
    ap.add_argument("--scale", default="small", help="a named scale of the simulator, or registrations a day")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--work", type=Path, default=Path("/tmp/opswh_bench_daily_build"))
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.environ["OPSWH_DATA_DIR"] = str(a.work)
    sys.path.insert(0, str(REPO))
    from opswh import contract
    from opswh.days import DayRange
    from opswh.pipeline import dbt_build, load_source
    from tests.support import START, simulate

    paths = simulate(a.work, days=a.days, scale=int(a.scale) if a.scale.isdigit() else a.scale)
    history = DayRange(START, START + timedelta(days=a.days - 2))
    for source in contract.SOURCES:
        load_source(paths, source, history, run_id="history")
    t = time.perf_counter()
    dbt_build(paths, history, run_id="history")
    print(f"history build ({a.days - 1} days): {time.perf_counter() - t:.1f} s", flush=True)
    day = DayRange(history.end + timedelta(days=1), history.end + timedelta(days=1))
    seconds = []
    for i in range(a.repeat):
        for source in contract.SOURCES:
            load_source(paths, source, day, run_id=f"daily {i}")
        t = time.perf_counter()
        dbt_build(paths, day, run_id=f"daily {i}")
        seconds.append(time.perf_counter() - t)
    results = json.loads((paths.dbt_target / "run_results.json").read_text())["results"]
    manifest = json.loads((paths.dbt_target / "manifest.json").read_text())["nodes"]
    nodes = Counter(r["unique_id"].split(".")[0] for r in results)
    test_time: Counter = Counter()
    for r in results:
        if r["unique_id"].startswith("test."):
            generic = (manifest[r["unique_id"]].get("test_metadata") or {}).get("name")
            test_time[generic or "singular"] += r["execution_time"]
    print(f"daily builds: {', '.join(f'{s:.1f}' for s in seconds)} s; median {statistics.median(seconds):.2f} s")
    print(f"nodes: {dict(nodes)}")
    print("data tests' node time by kind: " + ", ".join(f"{k} {v:.2f} s" for k, v in test_time.most_common()))


if __name__ == "__main__":
    main()
