"""False alarms of the shipped KPI monitors (issue 19): the demo's data (60 clean simulated days at the
default scale, seed 7), loaded and built once, and every alert fct_kpi_alerts holds, by severity.

    .venv/bin/python bench/bench_monitors.py [--days 60] [--scale default] [--keep DIR]  (DIR with a warehouse: reuse it)

Prints the days checked (with enough history), the alerts by monitor and severity, and writes
bench/out/monitors.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "include"), str(ROOT)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--scale", default="default")
    ap.add_argument("--keep", type=Path, help="data directory to build in (and keep)")
    args = ap.parse_args()

    import duckdb

    from opswh import contract
    from opswh.dbt_runner import run_dbt
    from opswh.ingest import load_partition
    from opswh.paths import Paths
    from opswh.simulate.model import Simulator

    root = args.keep or Path(tempfile.mkdtemp(prefix="opswh-bench-monitors-"))
    paths = Paths(root)
    start = date(2026, 9, 1)
    t0 = time.perf_counter()
    if not paths.warehouse.exists():  # --keep DIR of an earlier run: reuse its loaded warehouse
        Simulator(paths.landing, start, args.days, args.scale, seed=7, exports=paths.exports).run()
        paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(paths.warehouse)) as con:
            for i in range(args.days):
                for feed in contract.FEEDS:
                    load_partition(con, paths, feed.name, start + timedelta(days=i))
    run_dbt(paths, ["run", "--select", "+fct_kpi_alerts"])  # the models only: the tests are CI's
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        checked = con.execute(
            "select count(distinct date_day), count(*) from marts.fct_kpi_monitor_checks where status in ('ok', 'alert')"
        ).fetchone()
        statuses = dict(
            con.execute("select status, count(*) from marts.fct_kpi_monitor_checks group by all").fetchall()
        )
        alerts = con.execute(
            "select severity, monitor, dimension_value, date_day, value, expected from marts.fct_kpi_alerts order by all"
        ).fetchall()
    out = {
        "days": args.days,
        "scale": args.scale,
        "days_checked": checked[0],
        "checks_evaluated": checked[1],
        "statuses": statuses,
        "critical_alerts": sum(a[0] == "critical" for a in alerts),
        "warning_alerts": sum(a[0] == "warning" for a in alerts),
        "alerts": [[str(v) for v in a] for a in alerts],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(f"{args.days} clean days at scale {args.scale}: {checked[0]} days checked, {checked[1]} checks evaluated")
    print(f"statuses: {statuses}")
    print(f"false alarms: {out['critical_alerts']} critical, {out['warning_alerts']} warning")
    for a in alerts:
        print("  ", *a)
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "monitors.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
