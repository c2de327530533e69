"""The reliability suite: kill loops, landing orders, hostile landings and readers, with figures.

``make reliability`` runs it with the CI budget (at least 10 kills per stage, 5 orders, 200 fuzz
cases), ``make reliability-long`` with the long one; both print the figures at the end (the hooks
that gather and print them are in tests/conftest.py, which pytest-xdist's controller loads).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from opswh.paths import Paths
from tests.support import START, mart_digests, simulate

DAYS = 6
HISTORY_FAULTS = ["late_events", "duplicate_events", "duplicate_file"]


@contextmanager
def data_dir(paths: Paths):
    """The configuration (dbt's profile included) reads OPSWH_DATA_DIR: point it at ``paths``."""
    before = os.environ.get("OPSWH_DATA_DIR")
    os.environ["OPSWH_DATA_DIR"] = str(paths.root)
    try:
        yield paths
    finally:
        if before is None:
            os.environ.pop("OPSWH_DATA_DIR", None)
        else:
            os.environ["OPSWH_DATA_DIR"] = before


def day(n: int):
    from datetime import timedelta

    return START + timedelta(days=n - 1)


def run(paths: Paths, first: int, last: int, run_id: str) -> dict:
    """One pipeline run of days first..last without the GX gates (which change nothing): wait for the
    landing, load every source, build, publish. A partition not delivered fails the run before any
    load, as the DAG's sensor does."""
    from opswh import contract
    from opswh.days import DayRange
    from opswh.pipeline import StageError, dbt_build, load_source, missing_partitions, publish

    days = DayRange(day(first), day(last))
    with data_dir(paths):
        missing = missing_partitions(paths, days)
        if missing:
            raise StageError(f"not delivered: {', '.join(missing)}")
        for source in contract.SOURCES:
            load_source(paths, source, days, run_id=run_id)
        out = dbt_build(paths, days, run_id=run_id)
        publish(paths, days, run_id)
    return out


@dataclass(frozen=True)
class History:
    """A tiny simulated history with late, duplicated and re-delivered data, and its in-order marts."""

    landing: Path
    reference: dict


@pytest.fixture(scope="session")
def history(tmp_path_factory) -> History:
    source = simulate(tmp_path_factory.mktemp("history"), days=DAYS, scale="tiny", faults=HISTORY_FAULTS)
    reference = twin(tmp_path_factory.mktemp("reference"), source.landing)
    run(reference, 1, DAYS, "in-order")
    return History(source.landing, mart_digests(reference))


def twin(root: Path, landing: Path) -> Paths:
    """A data directory of its own with a copy of ``landing``."""
    import shutil

    paths = Paths(root)
    shutil.copytree(landing, paths.landing, symlinks=True)
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return paths
