"""Simulator and raw-ingestion throughput at >= 10 million events per day.

Simulates ``--days`` days at ``--scale`` registrations/day (the last day must hold at least
10M events for the issue's target; the script says so if it does not), then loads the last
day's events partition with ``opswh.ingest.load_partition`` in each format, next to DuckDB's
own raw read of the same files (``create table as select * from read_*``) as the ceiling.

Parquet is measured twice: as the simulator writes it (the contract's columns and types, so a
clean file is copied into the raw layer as it landed) and with its columns in another order
(so the loader rewrites it, as it does any Parquet file with rejects or other types).

    .venv/bin/python bench/bench_ingest.py               # the full run (a few minutes)
    .venv/bin/python bench/bench_ingest.py --scale 20000 # a quick look

Figures are printed and written to bench/out/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from opswh import contract
from opswh.ingest import load_partition
from opswh.landing import data_files, write_marker
from opswh.paths import Paths
from opswh.simulate.model import Simulator

OUT = Path(__file__).parent / "out"
START = date(2026, 9, 1)


def simulate(root: Path, days: int, scale: int, fmt: str) -> dict:
    shutil.rmtree(root, ignore_errors=True)
    sim = Simulator(Paths(root).landing, START, days, scale, seed=11, events_format=fmt)
    t = time.perf_counter()
    stats = sim.run()
    seconds = time.perf_counter() - t
    return {
        "format": fmt,
        "events": stats["events"],
        "rows": stats["rows"],
        "seconds": round(seconds, 2),
        "events_per_s": round(stats["events"] / seconds),
        "rows_per_s": round(stats["rows"] / seconds),
    }


def convert(paths: Paths, dt: date, fmt: str, target: Paths) -> None:
    """Write the day's events again in another format, with its marker (``parquet_reordered``:
    Parquet with the columns in reverse order)."""
    src = paths.partition("events", dt)
    dst = target.partition("events", dt)
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    con = duckdb.connect()
    cols = {c.name: ("JSON" if c.type == "JSON" else c.type) for c in contract.get_feed("events").columns}
    options = "(format csv, header true)" if fmt == "csv" else "(format parquet)"
    order = list(cols)[::-1] if fmt == "parquet_reordered" else list(cols)
    suffix = "csv" if fmt == "csv" else "parquet"
    for f in data_files(src):
        con.execute(
            f"copy (select {', '.join(order)} from read_json('{f}', columns = {cols!r}, hive_partitioning = false)) "
            f"to '{dst / (f.stem + '.' + suffix)}' {options}"
        )
    write_marker(dst, "events", dt)


def raw_read(paths: Paths, dt: date, fmt: str) -> float:
    files = [str(f) for f in data_files(paths.partition("events", dt))]
    cols = {c.name: c.type for c in contract.get_feed("events").columns}
    reader = {
        "jsonl": f"read_json({files!r}, format = 'newline_delimited', columns = {cols!r}, hive_partitioning = false)",
        "csv": f"read_csv({files!r}, header = true, delim = ',', quote = '\"', escape = '\"', auto_detect = false, columns = {cols!r}, hive_partitioning = false)",
        "parquet": f"read_parquet({files!r}, hive_partitioning = false)",
        "parquet_reordered": f"read_parquet({files!r}, hive_partitioning = false)",
    }[fmt]
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute(f"create table t as select * from {reader}")
    return time.perf_counter() - t


def ingest(paths: Paths, dt: date) -> tuple[int, float]:
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    paths.warehouse.unlink(missing_ok=True)
    con = duckdb.connect(str(paths.warehouse))
    t = time.perf_counter()
    r = load_partition(con, paths, "events", dt)
    seconds = time.perf_counter() - t
    assert r.landed == r.loaded + r.rejected + r.deduplicated
    return r.loaded, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=500_000, help="registrations per day")
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--work", type=Path, default=OUT / "work")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    last = START + timedelta(days=args.days - 1)
    results: dict = {"scale": args.scale, "days": args.days, "simulator": [], "ingest": []}

    print(f"simulating {args.days} days at {args.scale:,} registrations/day ...", flush=True)
    for fmt in ("jsonl", "parquet"):
        r = simulate(args.work / f"sim_{fmt}", args.days, args.scale, fmt)
        results["simulator"].append(r)
        print(
            f"  simulator ({fmt:7} events): {r['events']:>12,} events in {r['seconds']:7.1f} s = "
            f"{r['events_per_s']:>10,} events/s ({r['rows_per_s']:,} rows/s, all feeds)",
            flush=True,
        )
    base = Paths(args.work / "sim_jsonl")
    day_events = json.loads((base.partition("events", last) / "_SUCCESS").read_text())["total_rows"]
    results["events_on_measured_day"] = day_events
    print(
        f"measured day {last}: {day_events:,} events"
        + ("" if day_events >= 10_000_000 else "  (below 10M: raise --scale for the target)")
    )
    shutil.rmtree(args.work / "sim_parquet", ignore_errors=True)
    for fmt in ("jsonl", "csv", "parquet", "parquet_reordered"):
        paths = base if fmt == "jsonl" else Paths(args.work / f"conv_{fmt}")
        if fmt != "jsonl":
            convert(base, last, fmt, paths)
        raw = raw_read(paths, last, fmt)
        rows, seconds = ingest(paths, last)
        r = {
            "format": fmt,
            "rows": rows,
            "ingest_seconds": round(seconds, 2),
            "ingest_rows_per_s": round(rows / seconds),
            "duckdb_raw_read_seconds": round(raw, 2),
            "duckdb_raw_rows_per_s": round(rows / raw),
            "factor_vs_raw": round(seconds / raw, 2),
        }
        results["ingest"].append(r)
        print(
            f"  ingest {fmt:17}: {rows:>12,} rows in {seconds:6.1f} s = {r['ingest_rows_per_s']:>10,} rows/s | "
            f"DuckDB raw read {raw:6.1f} s = {r['duckdb_raw_rows_per_s']:>10,} rows/s | x{r['factor_vs_raw']}",
            flush=True,
        )
    (OUT / "ingest.json").write_text(json.dumps(results, indent=2))
    shutil.rmtree(args.work, ignore_errors=True)
    print(f"written to {OUT / 'ingest.json'}")


if __name__ == "__main__":
    main()
