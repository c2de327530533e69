"""The same history built on DuckDB and on Spark (in-process, ``local[*]``), at two scales.

For each scale: simulates ``--days`` days, loads them, then times one full ``dbt build`` (models
and data tests, as the pipeline runs it) on each engine, on the same raw layer, in separate
processes (each engine's start-up included: dbt's, and the JVM's for Spark). Prints the build time
of each, their ratio, and how each grew from the small scale to the large one.

    .venv/bin/python bench/bench_engines.py                      # scales 2,000 and 20,000, 7 days: ~7.5 min
    .venv/bin/python bench/bench_engines.py --scales 2000 --days 30
    .venv/bin/python bench/bench_engines.py --pipeline 3         # the pipeline through Airflow on both engines

``--pipeline N`` instead runs the whole pipeline the way a user does, ``opswh run --start D1 --end DN``
(one run per day through Airflow's scheduler) with ``OPSWH_ENGINE=duckdb`` and ``OPSWH_ENGINE=spark``
on the same N days simulated as the demo simulates its first days (default scale, seed 7), times
both, and compares every published mart row by row (as tests/integration/test_spark_parity.py does).

Figures are printed and written to bench/out/engines.json.
"""

from __future__ import annotations

import argparse
import json
import os
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


def pipeline(work: Path, days: int) -> dict:
    """``opswh run`` over ``days`` days on each engine, from one simulated landing; the published marts compared."""
    sys.path.insert(0, str(REPO))
    from opswh.paths import Paths
    from tests.support import table_differences, tables

    start = date(2026, 9, 1)
    end = start + timedelta(days=days - 1)
    opswh = str(REPO / ".venv" / "bin" / "opswh")
    roots = {engine: work / "pipeline" / engine for engine in ("duckdb", "spark")}
    shutil.rmtree(work / "pipeline", ignore_errors=True)
    env = {**os.environ, "OPSWH_DATA_DIR": str(roots["duckdb"])}
    subprocess.run([opswh, "simulate", "--start", str(start), "--days", str(days), "--seed", "7"], env=env, check=True)
    shutil.copytree(roots["duckdb"] / "landing", roots["spark"] / "landing", symlinks=True)
    seconds = {}
    for engine, root in roots.items():
        env = {**os.environ, "OPSWH_DATA_DIR": str(root), "OPSWH_ENGINE": engine}
        t = time.perf_counter()
        r = subprocess.run(
            [opswh, "run", "--start", str(start), "--end", str(end)], env=env, text=True, capture_output=True
        )
        seconds[engine] = round(time.perf_counter() - t, 1)
        if r.returncode:
            sys.exit(f"opswh run on {engine} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
        print(f"opswh run --start {start} --end {end} with OPSWH_ENGINE={engine}: {seconds[engine]} s", flush=True)
    duck, spark = (tables(Paths(root).published, ("main",)) for root in roots.values())
    duck.pop("main._snapshot"), spark.pop("main._snapshot")  # the publication's own record: its run and time
    differences = {name: table_differences(duck[name], spark[name]) for name in duck if name in spark}
    differences = {name: d for name, d in differences.items() if d}
    missing = sorted(set(duck) ^ set(spark))
    rows = sum(len(r) for _, r in duck.values())
    print(
        f"published marts: {len(duck)} on DuckDB, {len(spark)} on Spark, {rows:,} rows on DuckDB; "
        f"not on both: {missing or 'none'}; differing: {sorted(differences) or 'none'}"
    )
    for name, d in differences.items():
        print(f"  {name}: {d[:3]}")
    return {
        "days": days,
        "seconds": seconds,
        "marts": len(duck),
        "rows": rows,
        "missing": missing,
        "differing": differences,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="2000,20000", help="registrations a day, comma-separated")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--work", type=Path, default=Path("/tmp/opswh_bench_engines"))
    ap.add_argument("--pipeline", type=int, default=0, help="instead: opswh run over this many days on both engines")
    a = ap.parse_args()
    if a.pipeline:
        result = pipeline(a.work, a.pipeline)
        OUT.mkdir(exist_ok=True)
        (OUT / "engines_pipeline.json").write_text(json.dumps(result, indent=1, default=str))
        sys.exit(1 if result["differing"] or result["missing"] else 0)
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
