"""Does a daily run cost what the day costs, or what the history costs? (issue 17)

Scenarios (each in its own data directory under ``--work``; all print their figures and write
them to bench/out/growth.json):

- ``equal``: the daily run (pipeline stages, no Airflow: load, validate raw, dbt build, validate
  marts, publish) after ``--short`` and after ``--long`` days of history, with the measured day's
  volume held equal by the scale: the long history is simulated at ``--scale``, the short one at
  the scale that gives its measured day the long one's events (calibrated from a short run at
  ``--scale``; events grow in proportion to the scale). Prints both runs, the events of each
  measured day (within 10% of each other, or the script says so) and the ratio.
- ``refresh``: on the long history's warehouse, an incremental daily build against ``dbt build
  --full-refresh``.
- ``one``: only the long history's daily run and its full refresh (for profiling a change).
- ``airflow``: the daily run through Airflow's scheduler (``opswh run``, with the services kept up
  as a deployment's are) at the default scale after 30 days of history, scheduling included.
- ``tenm``: 10 M events a day (scale 600,000) after 7 days of history, end to end, with the peak
  memory (resident set of this process and its children).

Every timed run is repeated ``--repeat`` times (a re-delivery of the measured day, which replaces
its partitions: the same work) and the median is reported.

    .venv/bin/python bench/bench_growth.py                       # all scenarios, hours
    .venv/bin/python bench/bench_growth.py --only equal --long 120
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = Path(__file__).parent / "out"
START = date(2026, 1, 1)
KEEP = False  # --keep: reuse a data directory whose history was built before
TARGETS = {"equal_ratio": 1.2, "refresh_speedup": 5.0, "airflow_s": 25.0, "tenm_s": 120.0}


def simulate(data: Path, days: int, scale: int) -> None:
    env = {**os.environ, "OPSWH_DATA_DIR": str(data)}
    cmd = [str(REPO / ".venv/bin/opswh"), "simulate", "--start", str(START), "--days", str(days)]
    cmd += ["--scale", str(scale), "--events-format", "parquet"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"simulate failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")


def stage_times(paths, days, run_id: str) -> dict:
    """One daily run's stages in this process, in the DAG's order, each timed."""
    from opswh.pipeline import dbt_build, load_sources, publish, validate

    t, out = time.perf_counter(), {}
    load_sources(paths, days, run_id=run_id)
    out["load_s"] = time.perf_counter() - t
    for name, call in (
        ("validate_raw_s", lambda: validate(paths, "raw", days, run_id)),
        ("dbt_build_s", lambda: dbt_build(paths, days, run_id=run_id)),
        ("validate_marts_s", lambda: validate(paths, "marts", days, run_id)),
        ("publish_s", lambda: publish(paths, days, run_id)),
    ):
        s = time.perf_counter()
        call()
        out[name] = time.perf_counter() - s
    out["run_s"] = time.perf_counter() - t
    return {k: round(v, 2) for k, v in out.items()}


def slowest_nodes(paths, n: int = 12) -> list[list]:
    """The ``n`` slowest nodes of the last dbt command, from dbt's run_results.json."""
    results = json.loads((paths.dbt_target / "run_results.json").read_text())["results"]
    ranked = sorted(results, key=lambda r: -r["execution_time"])[:n]
    return [[r["unique_id"].split(".", 2)[-1], round(r["execution_time"], 2)] for r in ranked]


def day_volume(paths, day: date) -> dict:
    import duckdb

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        events = con.execute(
            "select loaded from raw.load_log where feed = 'events' and _dt = ? and status = 'loaded' "
            "order by finished_at desc limit 1",
            [day],
        ).fetchone()[0]
        active = con.execute(
            "select count(*) from intermediate.int_user_activity_daily where activity_date = ?", [day]
        ).fetchone()[0]
        states = con.execute("select count(*) from intermediate.int_user_state_spans").fetchone()[0]
    return {"events": int(events or 0), "active_users": int(active), "user_state_span_rows": int(states)}


def history(work: Path, name: str, days: int, scale: int) -> tuple:
    """A data directory with ``days`` days of history loaded and built, and the day after landed."""
    from opswh.days import DayRange
    from opswh.paths import Paths
    from opswh.pipeline import dbt_build, load_sources, publish

    data = work / name
    day = START + timedelta(days=days)
    os.environ["OPSWH_DATA_DIR"] = str(data)
    if KEEP and (data / "history.done").exists():
        print(f"  {name}: reusing the history in {data}")
        return Paths(data), DayRange(day, day)
    shutil.rmtree(data, ignore_errors=True)
    t = time.perf_counter()
    simulate(data, days + 1, scale)
    sim_s = time.perf_counter() - t
    paths, hist = Paths(data), DayRange(START, START + timedelta(days=days - 1))
    t = time.perf_counter()
    load_sources(paths, hist, run_id="history")
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    dbt_build(paths, hist, run_id="history")
    build_s = time.perf_counter() - t
    publish(paths, hist, "history")
    print(f"  {name}: {days} days at scale {scale}: simulate {sim_s:.0f} s, load {load_s:.0f} s, build {build_s:.0f} s")
    (data / "history.done").write_text(json.dumps({"simulate_s": sim_s, "load_s": load_s, "build_s": build_s}))
    return paths, DayRange(day, day)


def measured_runs(paths, day, repeat: int) -> dict:
    runs = [stage_times(paths, day, f"bench_{i}") for i in range(repeat)]
    median = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
    return {"median": median, "runs": runs, "slowest_nodes": slowest_nodes(paths), **day_volume(paths, day.start)}


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 0)


def equal_work(args, results: dict) -> None:
    print(f"equal work: {args.short} vs {args.long} days of history")
    probe_paths, probe_day = history(args.work, "probe", args.short, args.scale)
    from opswh.pipeline import dbt_build, load_source  # noqa: F401 - imported: the runs below are not charged for it

    load_source(probe_paths, "events", probe_day, run_id="probe")  # the measured day's events, counted by the loader
    probe_events = day_volume(probe_paths, probe_day.start)["events"]
    shutil.rmtree(args.work / "probe")
    long_paths, long_day = history(args.work, f"long_{args.long}", args.long, args.scale)
    long = measured_runs(long_paths, long_day, args.repeat)
    short_scale = round(args.scale * long["events"] / probe_events)
    short_paths, short_day = history(args.work, f"short_{args.short}", args.short, short_scale)
    short = measured_runs(short_paths, short_day, args.repeat)
    ratio = long["median"]["run_s"] / short["median"]["run_s"]
    volume_gap = abs(long["events"] - short["events"]) / long["events"]
    results["equal"] = {
        "short": {"history_days": args.short, "scale": short_scale, **short},
        "long": {"history_days": args.long, "scale": args.scale, **long},
        "ratio": round(ratio, 2),
        "events_gap": round(volume_gap, 3),
    }
    for label, r in (("short", short), ("long", long)):
        print(f"  {label}: {r['events']:,} events, {r['active_users']:,} active users, median {r['median']}")
        print(f"    slowest dbt nodes: {r['slowest_nodes'][:6]}")
    print(
        f"  ratio long/short daily run: {ratio:.2f} (target <= {TARGETS['equal_ratio']}); "
        f"measured days' events differ by {volume_gap:.1%}" + (" (MORE THAN 10%)" if volume_gap > 0.1 else "")
    )
    if "refresh" in args.only and args.refresh_repeat:
        refresh(long_paths, long_day, results, args.refresh_repeat)


def refresh(paths, day, results: dict, repeat: int) -> None:
    from opswh.pipeline import dbt_build, load_sources

    incremental, full = [], []
    for i in range(repeat):
        load_sources(paths, day, run_id=f"refresh_{i}")  # a re-delivery of the day, so that the build has work to do
        t = time.perf_counter()
        dbt_build(paths, day, run_id=f"refresh_{i}")
        incremental.append(time.perf_counter() - t)
        t = time.perf_counter()
        dbt_build(paths, day, full_refresh=True, run_id=f"refresh_full_{i}")
        full.append(time.perf_counter() - t)
    inc, fr = statistics.median(incremental), statistics.median(full)
    results["refresh"] = {"incremental_s": round(inc, 2), "full_refresh_s": round(fr, 2), "speedup": round(fr / inc, 2)}
    print(f"  incremental build {inc:.1f} s, full refresh {fr:.1f} s: {fr / inc:.1f}x (target >= 5x)")


def airflow(args, results: dict) -> None:
    print("airflow: the daily run through the scheduler, default scale, after 30 days")
    data = args.work / "airflow"
    shutil.rmtree(data, ignore_errors=True)
    simulate(data, 31 + args.repeat, 2000)
    env = {**os.environ, "OPSWH_DATA_DIR": str(data)}
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_run import opswh, task_table

    opswh(env, "run", "--start", str(START), "--end", str(START + timedelta(days=29)))
    # A deployment's services are up all the time: start them once and keep them up, as `opswh airflow`
    # does. (`opswh run` alone starts them and stops them again, and the first task after a start
    # waits about 3 s for the API server's first task-instance request.)
    opswh(env, "airflow")
    runs = []
    for i in range(args.repeat):
        day = START + timedelta(days=30 + i)
        opswh(env, "run", "--start", str(day))
        os.environ["OPSWH_DATA_DIR"] = str(data)
        runs.append(task_table(data, f"opswh_day__{day}"))
    opswh(env, "airflow", "--stop")
    median = statistics.median(r["total_s"] for r in runs)
    results["airflow"] = {"median_s": median, "runs": runs}
    for r in runs:
        print(
            f"  {r['run_id']}: {r['total_s']} s "
            + ", ".join(f"{t['task']} {t['gap_s']}+{t['run_s']}" for t in r["tasks"])
        )
    print(f"  median daily run under Airflow: {median:.1f} s (target <= {TARGETS['airflow_s']} s)")


def tenm(args, results: dict) -> None:
    print("10M events a day: scale 600,000, 7 days of history")
    paths, day = history(args.work, "tenm", 7, 600_000)
    r = measured_runs(paths, day, 1)
    r["peak_rss_mib"] = peak_rss_mib()
    results["tenm"] = r
    print(
        f"  {r['events']:,} events, {r['active_users']:,} active users: {r['median']}, peak RSS {r['peak_rss_mib']} MiB"
    )
    print(f"    slowest dbt nodes: {r['slowest_nodes'][:8]}")
    print(f"  target: run <= {TARGETS['tenm_s']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="equal,refresh,airflow,tenm", help="comma list of scenarios")
    parser.add_argument("--short", type=int, default=30, help="the short history, days")
    parser.add_argument("--long", type=int, default=365, help="the long history, days")
    parser.add_argument("--scale", type=int, default=2000, help="the long history's registrations a day")
    parser.add_argument("--repeat", type=int, default=3, help="timed daily runs per scenario (the median is reported)")
    parser.add_argument(
        "--refresh-repeat", type=int, default=3, help="incremental / full-refresh build pairs (0: none)"
    )
    parser.add_argument("--keep", action="store_true", help="reuse histories built by an earlier run")
    parser.add_argument("--work", type=Path, default=Path("/tmp/opswh_bench_growth"))
    args = parser.parse_args()
    args.only = args.only.split(",")
    global KEEP
    KEEP = args.keep
    os.environ.setdefault("DBT_QUIET", "true")
    args.work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO / "include"))
    results: dict = {"args": {k: str(v) for k, v in vars(args).items()}}
    if "equal" in args.only:
        equal_work(args, results)
    if "one" in args.only:
        print(f"one history: {args.long} days at scale {args.scale}")
        paths, day = history(args.work, f"one_{args.long}", args.long, args.scale)
        results["one"] = r = measured_runs(paths, day, args.repeat)
        print(f"  {r['events']:,} events, {r['active_users']:,} active users, median {r['median']}")
        print(f"    slowest dbt nodes: {r['slowest_nodes']}")
        if args.refresh_repeat:
            refresh(paths, day, results, args.refresh_repeat)
    if "airflow" in args.only:
        airflow(args, results)
    if "tenm" in args.only:
        tenm(args, results)
    OUT.mkdir(exist_ok=True)
    (OUT / "growth.json").write_text(json.dumps(results, indent=1))
    print(f"written to {OUT / 'growth.json'}")


if __name__ == "__main__":
    main()
