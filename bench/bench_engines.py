"""The same history built on DuckDB and on Spark (in-process, ``local[*]``), at two scales.

For each scale: simulates ``--days`` days, loads them, then times one full ``dbt build`` (models
and data tests, as the pipeline runs it) on each engine, on the same raw layer, in separate
processes (each engine's start-up included: dbt's, and the JVM's for Spark). Prints the build time
of each, their ratio, and how each grew from the small scale to the large one.

    .venv/bin/python bench/bench_engines.py                      # scales 300 and 1200, 7 days: ~25 min
    .venv/bin/python bench/bench_engines.py --scales 2000 --days 30

Figures are printed and written to bench/out/engines.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).parent / "out"
REPO = Path(__file__).resolve().parents[1]
BUILD = ["build", "--exclude", "resource_type:unit_test"]


def prepare(root: Path, days: int, scale: int) -> None:
    """Simulate and load ``days`` days at ``scale`` into ``root`` (refused partitions skipped)."""
    import duckdb

    from opswh import contract
    from opswh.ingest import load_partition
    from opswh.landing import LandingError, LoadError
    from opswh.paths import Paths
    from opswh.simulate.model import Simulator

    paths = Paths(root)
    start = date(2026, 9, 1)
    Simulator(paths.landing, start, days, scale, seed=1, exports=paths.exports).run()
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(paths.warehouse)) as con:
        for i in range(days):
            for feed in contract.FEEDS:
                try:
                    load_partition(con, paths, feed.name, start + timedelta(days=i))
                except (LandingError, LoadError):
                    pass
        events = con.execute("select count(*) from raw.events").fetchone()[0]
    (root / "events.txt").write_text(str(events))


def build(root: Path, engine: str) -> float:
    """One full build on ``engine`` in a new process; its wall time in seconds."""
    (root / "opswh.json").write_text(json.dumps({"engine": engine}))
    code = (
        "import sys; from pathlib import Path; from opswh.paths import Paths; from opswh.dbt_runner import run_dbt; "
        f"run_dbt(Paths(Path({str(root)!r})), {BUILD!r})"
    )
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if r.returncode:
        sys.exit(f"{engine} build failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="300,1200", help="registrations a day, comma-separated")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--work", type=Path, default=Path("/tmp/opswh_bench_engines"))
    a = ap.parse_args()
    rows = []
    for scale in [int(s) for s in a.scales.split(",")]:
        root = a.work / f"scale_{scale}"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        prepare(root, a.days, scale)
        events = int((root / "events.txt").read_text())
        duck, spark = build(root, "duckdb"), build(root, "spark")
        rows.append(
            {"scale": scale, "days": a.days, "events": events, "duckdb_s": round(duck, 1), "spark_s": round(spark, 1)}
        )
        print(
            f"scale {scale:>6} x {a.days} days ({events:,} events): DuckDB {duck:6.1f} s, Spark {spark:6.1f} s, "
            f"Spark/DuckDB {spark / duck:4.1f}x",
            flush=True,
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(
            f"from {first['events']:,} to {last['events']:,} events ({last['events'] / first['events']:.1f}x): "
            f"DuckDB {last['duckdb_s'] / first['duckdb_s']:.2f}x, Spark {last['spark_s'] / first['spark_s']:.2f}x"
        )
    OUT.mkdir(exist_ok=True)
    (OUT / "engines.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
