"""Where the time of one daily run goes, under Airflow's scheduler, at the default scale.

1. Simulates ``--days`` days at ``--scale``, loads days 1..N-1 with one history run, then
   times one ordinary daily run for day N, twice: with ``opswh.airflow.executor.PreloadingLocalExecutor``
   (the default) and with Airflow's plain ``LocalExecutor``. Per task: its run time and the
   scheduling gap before it, from Airflow's CLI.
2. dbt: one ``dbt build`` against one ``dbt build --select <model>`` per model (what a
   per-model task layout such as astronomer-cosmos's local execution mode runs), in one
   process, on the same warehouse.

    .venv/bin/python bench/bench_run.py            # about 5 minutes
Figures are printed and written to bench/out/run.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).parent / "out"
REPO = Path(__file__).resolve().parents[1]


def opswh(env: dict, *args: str) -> None:
    r = subprocess.run([str(REPO / ".venv" / "bin" / "opswh"), *args], env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"opswh {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")


def task_table(data: Path, run_prefix: str) -> dict:
    """Per task of the newest run whose id starts with ``run_prefix``: its run time and the gap before it,
    from Airflow's CLI (``dags list-runs``, ``tasks states-for-dag-run``) on the metadata DB."""
    from opswh import config
    from opswh.airflow.services import airflow_json

    cfg = config.load(data)

    def cli_json(*args: str) -> list[dict]:
        return airflow_json(cfg, *args) or []

    run = next(r for r in cli_json("dags", "list-runs", "platform_ops_daily") if r["run_id"].startswith(run_prefix))
    parse = datetime.fromisoformat
    prev = parse(run["start_date"])
    tasks = []
    states = cli_json("tasks", "states-for-dag-run", "platform_ops_daily", run["run_id"])
    for ti in sorted(states, key=lambda x: x["start_date"]):
        s, e = parse(ti["start_date"]), parse(ti["end_date"])
        tasks.append(
            {
                "task": ti["task_id"],
                "gap_s": round((s - prev).total_seconds(), 2),
                "run_s": round((e - s).total_seconds(), 2),
            }
        )
        prev = e
    return {
        "run_id": run["run_id"],
        "total_s": round((parse(run["end_date"]) - parse(run["start_date"])).total_seconds(), 1),
        "tasks": tasks,
    }


def daily_run(base_env: dict, data: Path, executor: str, day: date) -> dict:
    env = {**base_env, "OPSWH_EXECUTOR": executor}
    opswh(env, "airflow", "--stop")
    opswh(env, "run", "--start", day.isoformat())
    result = task_table(data, f"opswh_day__{day}")
    opswh(env, "airflow", "--stop")
    return result


def dbt_compare(data: Path) -> dict:
    """One ``dbt build`` against one ``dbt build --select <model>`` per model, in this process."""
    from opswh.dbt_runner import run_dbt
    from opswh.paths import Paths

    paths = Paths(data)
    t = time.perf_counter()
    run_dbt(paths, ["build"])
    one = time.perf_counter() - t
    manifest = json.loads((paths.dbt_target / "manifest.json").read_text())
    models = [n["name"] for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    t = time.perf_counter()
    for m in models:
        run_dbt(paths, ["build", "--select", m])
    per = time.perf_counter() - t
    return {
        "models_and_seeds": len(models),
        "one_build_s": round(one, 1),
        "per_model_s": round(per, 1),
        "per_model_each_s": round(per / len(models), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="default")
    ap.add_argument("--days", type=int, default=8)
    ap.add_argument("--work", type=Path, default=OUT / "run_work")
    ap.add_argument("--port", default="8797")
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OPSWH_DATA_DIR": str(args.work), "OPSWH_AIRFLOW_PORT": args.port}
    first = date(2026, 9, 1)
    last = first + timedelta(days=args.days - 1)
    opswh(env, "simulate", "--start", first.isoformat(), "--days", str(args.days), "--scale", args.scale)
    t = time.perf_counter()
    opswh(env, "run", "--start", first.isoformat(), "--end", (last - timedelta(days=1)).isoformat(), "--one-run")
    history = round(time.perf_counter() - t, 1)
    results = {"scale": args.scale, "history_days": args.days - 1, "history_wall_s": history}
    for executor in ("opswh.airflow.executor.PreloadingLocalExecutor", "LocalExecutor"):
        r = daily_run(env, args.work, executor, last)
        results[executor] = r
        print(f"\none daily run, {executor}: {r['total_s']} s")
        for task in r["tasks"]:
            print(f"  {task['task']:28} gap {task['gap_s']:5.1f} s   run {task['run_s']:5.1f} s")
        print(
            f"  scheduling gaps {sum(t['gap_s'] for t in r['tasks']):.1f} s, task time "
            f"{sum(t['run_s'] for t in r['tasks']):.1f} s"
        )
    d = dbt_compare(args.work)
    results["dbt"] = d
    print(
        f"\ndbt: one build of {d['models_and_seeds']} models and seeds {d['one_build_s']} s; one invocation per "
        f"model {d['per_model_s']} s ({d['per_model_each_s']} s each, before Airflow's per-task overhead)"
    )
    print(f"history load of {args.days - 1} days in one run: {history} s (wall, including Airflow start-up)")
    (OUT / "run.json").write_text(json.dumps(results, indent=1))
    print(f"written to {OUT / 'run.json'}")


if __name__ == "__main__":
    main()
