"""SIGKILL during load, dbt build and publish, then a re-run: the state is a clean build's.

Each stage runs in a process of its own (tests/scripts/stage.py), killed at a random moment of
its work (measured from an uninterrupted run). Only kills that land before the stage finished
count. After each kill the published snapshot must be the one before (load, build) or exactly
the old or the new one (publish); after the re-run the state must equal a clean build's.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from opswh import contract
from opswh.config import REPO_ROOT
from opswh.paths import Paths
from tests.reliability.conftest import DAYS, data_dir, day, run, twin
from tests.reliability.figures import BUDGET, FIGURES
from tests.support import mart_digests

pytestmark = pytest.mark.reliability

STAGE = REPO_ROOT / "tests" / "scripts" / "stage.py"
SEED = int(os.environ.get("OPSWH_RELIABILITY_SEED", "20261202"))


def start(stage: str, paths: Paths, first: int, last: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, str(STAGE), stage, str(paths.root), str(day(first)), str(day(last))],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        env={**os.environ, "OPSWH_DATA_DIR": str(paths.root)},
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


def timed(stage: str, paths: Paths, first: int, last: int) -> float:
    """How long the stage's work takes, uninterrupted."""
    proc = start(stage, paths, first, last)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    return float(out.split()[-1])


def kill_during(stage: str, paths: Paths, first: int, last: int, work: float, rng: random.Random) -> bool:
    """Start the stage and SIGKILL it at a random moment of its work; whether it was still working."""
    proc = start(stage, paths, first, last)
    time.sleep(rng.uniform(0, work))
    alive = proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    return alive and "done" not in out


def raw_state(paths: Paths) -> dict:
    """Every raw table and the rejects, less the lineage a load stamps (its id, its time)."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        state = {
            f.name: con.execute(
                f"select count(*), sum(hash(t::varchar)) from (select * exclude (_load_id, _loaded_at) "
                f"from raw.{f.name}) as t"
            ).fetchone()
            for f in contract.FEEDS
        }
        state["raw_rejects"] = con.execute(
            "select count(*), sum(hash(t::varchar)) from (select * exclude (_load_id, _loaded_at) "
            "from raw.raw_rejects) as t"
        ).fetchone()
        return state


def unaccounted(paths: Paths) -> int:
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute("select coalesce(sum(abs(unaccounted)), 0) from raw.reconciliation").fetchone()[0]


def stray_raw_files(paths: Paths) -> set[str]:
    """Files in the raw layer that raw.raw_files does not list (left by killed loads until the next one)."""
    from opswh.ingest.raw_layer import raw_dir

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        base = raw_dir(con)
        listed = {r[0] for r in con.execute("select path from raw.raw_files").fetchall()}
    return {str(p.relative_to(base)) for p in base.rglob("*.parquet")} - listed


def save(paths: Paths, to: Path) -> None:
    shutil.rmtree(to, ignore_errors=True)
    shutil.copytree(paths.root, to, symlinks=True, ignore=shutil.ignore_patterns("landing"))


def restore(paths: Paths, saved: Path) -> None:
    for name in os.listdir(saved):
        shutil.rmtree(paths.root / name, ignore_errors=True)
        shutil.copytree(saved / name, paths.root / name, symlinks=True)


def loop(stage: str, attempt, failures: list[str] | None = None) -> None:
    """Kill until the budget of kills that landed mid-work is reached (at most three times as many tries)."""
    for _ in range(3 * BUDGET["kills"]):
        if FIGURES.kills_tried[stage] >= BUDGET["kills"]:
            break
        attempt()
    assert FIGURES.kills_tried[stage] >= BUDGET["kills"]
    assert FIGURES.kills_survived[stage] == FIGURES.kills_tried[stage], failures


def test_a_killed_load_leaves_the_previous_state_and_a_rerun_completes_it(history, tmp_path) -> None:
    paths = twin(tmp_path / "d", history.landing)
    run(paths, 1, DAYS, "clean")
    clean, published = raw_state(paths), mart_digests(paths)
    work = timed("load", paths, 1, DAYS)
    rng = random.Random(SEED)
    failures: list[str] = []

    def attempt() -> None:
        from_empty = rng.random() < 0.3  # the first load of a warehouse, killed, too
        if from_empty:
            shutil.rmtree(paths.warehouse.parent)
            paths.warehouse.parent.mkdir()
        if not kill_during("load", paths, 1, DAYS, work, rng):
            return
        FIGURES.kills_tried["load"] += 1
        ok = True
        if paths.warehouse.exists():
            try:
                lost = unaccounted(paths)
            except duckdb.CatalogException:  # killed before the load log existed
                lost = 0
            FIGURES.rows_unaccounted += lost
            # the same data re-loaded: whichever partitions the kill reached, the tables hold the same rows
            ok = lost == 0 and (from_empty or raw_state(paths) == clean)
        wrong = mart_digests(paths) != published
        FIGURES.wrong_snapshots += wrong
        with data_dir(paths):
            from opswh.days import DayRange
            from opswh.pipeline import load_source

            for source in contract.SOURCES:
                load_source(paths, source, DayRange(day(1), day(DAYS)), run_id="rerun")
        problems = {
            "state after the kill": not ok,
            "published changed": wrong,
            "state after the re-run": raw_state(paths) != clean,
            "unaccounted rows": unaccounted(paths) != 0,
            "stray raw files": bool(stray_raw_files(paths)),
        }
        failures.extend(k for k, v in problems.items() if v)
        FIGURES.kills_survived["load"] += not any(problems.values())

    loop("load", attempt, failures)


def test_a_killed_build_publishes_nothing_and_a_rerun_builds_what_a_clean_build_does(history, tmp_path) -> None:
    paths = twin(tmp_path / "d", history.landing)
    run(paths, 1, DAYS - 1, "before")
    with data_dir(paths):
        from opswh.days import DayRange
        from opswh.pipeline import load_source

        for source in contract.SOURCES:
            load_source(paths, source, DayRange(day(DAYS), day(DAYS)), run_id="last day")
    before = mart_digests(paths)
    saved = tmp_path / "saved"
    save(paths, saved)
    work = timed("build", paths, DAYS, DAYS)
    restore(paths, saved)
    rng = random.Random(SEED + 1)

    def attempt() -> None:
        try:
            if not kill_during("build", paths, DAYS, DAYS, work, rng):
                return
            FIGURES.kills_tried["build"] += 1
            wrong = mart_digests(paths) != before
            from opswh.days import DayRange
            from opswh.pipeline import dbt_build, publish

            with data_dir(paths):
                dbt_build(paths, DayRange(day(DAYS), day(DAYS)), run_id="rerun")
                publish(paths, DayRange(day(DAYS), day(DAYS)), "rerun")
            wrong = wrong or mart_digests(paths) != history.reference
            FIGURES.wrong_snapshots += wrong
            FIGURES.kills_survived["build"] += not wrong
        finally:
            restore(paths, saved)

    loop("build", attempt)


def test_a_killed_publish_leaves_the_old_or_the_new_snapshot_and_no_litter(history, tmp_path) -> None:
    paths = twin(tmp_path / "d", history.landing)
    run(paths, 1, DAYS - 1, "before")
    old = mart_digests(paths)
    saved = tmp_path / "saved"  # the published folder of day 5: each kill starts from it
    shutil.copytree(paths.published_dir, saved, symlinks=True)
    run(paths, DAYS, DAYS, "built")
    new = mart_digests(paths)
    assert new == history.reference and old != new
    work = timed("publish", paths, DAYS, DAYS)
    rng = random.Random(SEED + 2)

    def put_back() -> None:
        shutil.rmtree(paths.published_dir)
        shutil.copytree(saved, paths.published_dir, symlinks=True)

    put_back()

    def attempt() -> None:
        if not kill_during("publish", paths, DAYS, DAYS, work, rng):
            return
        FIGURES.kills_tried["publish"] += 1
        seen = mart_digests(paths)
        parquet_ok = (paths.published_parquet / "fct_kpi_daily.parquet").exists()
        wrong = seen not in (old, new) or not parquet_ok
        from opswh.days import DayRange
        from opswh.pipeline import publish

        publish(paths, DayRange(day(DAYS), day(DAYS)), "rerun")
        litter = [p.name for p in paths.published_dir.iterdir() if p.name.startswith((".marts.", ".link."))]
        versions = list(paths.published_dir.glob(".parquet.*"))
        wrong = wrong or mart_digests(paths) != new or bool(litter) or len(versions) > 2
        FIGURES.wrong_snapshots += wrong
        FIGURES.kills_survived["publish"] += not wrong
        put_back()

    loop("publish", attempt)


@pytest.fixture(autouse=True)
def _no_leftover_processes():
    yield
    subprocess.run(["pkill", "-KILL", "-f", str(STAGE)], check=False)
