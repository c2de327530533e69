"""Any order of runs publishes the marts an in-order build does.

Hypothesis draws a schedule for the tiny history (late events, duplicated events and a re-delivered
file are in it already): the days split into runs in a random order, re-runs of random ranges, a
partition delivered late (runs that include its day fail at the load, as the DAG's do, until it
arrives) and a partition restated after it was first loaded. Every day whose landing changed is
run again after the change; then every published mart must equal the in-order build's.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from opswh.landing import MARKER, write_marker
from opswh.pipeline import StageError
from tests.reliability.conftest import DAYS, day, run, twin
from tests.reliability.figures import BUDGET, FIGURES
from tests.support import mart_digests

pytestmark = pytest.mark.reliability


@dataclass(frozen=True)
class Change:
    """At step ``at``, the landing of ``feed`` on day ``n`` becomes final: delivered late, or restated."""

    at: int
    kind: str  # "late" or "restated"
    feed: str
    n: int


@st.composite
def schedules(draw) -> tuple[list[tuple[int, int]], list[Change]]:
    cuts = sorted(draw(st.sets(st.integers(2, DAYS), max_size=2)))
    bounds = [1, *cuts, DAYS + 1]
    runs = [(a, b - 1) for a, b in zip(bounds, bounds[1:])]
    runs = draw(st.permutations(runs))
    for _ in range(draw(st.integers(0, 1))):  # a re-run of a random range
        first = draw(st.integers(1, DAYS))
        runs.insert(draw(st.integers(0, len(runs))), (first, draw(st.integers(first, DAYS))))
    changes = []
    if draw(st.booleans()):
        changes.append(Change(draw(st.integers(1, len(runs))), "late", "events", draw(st.integers(1, DAYS))))
    if draw(st.booleans()):
        changes.append(Change(draw(st.integers(1, len(runs))), "restated", "orders", draw(st.integers(1, DAYS))))
    for c in changes:  # the changed day is run again after its change
        if not any(a <= c.n <= b for a, b in runs[c.at :]):
            runs.append((c.n, c.n))
    return runs, changes


def _first_version(paths, c: Change) -> Path | None:
    """Put the landing of ``c`` in its state before the change; returns where the final marker waits."""
    part = paths.partition(c.feed, day(c.n))
    if c.kind == "late":
        waiting = part.parent / f".{part.name}.{MARKER}"
        (part / MARKER).rename(waiting)
        return waiting
    final = part.parent / f".{part.name}.final"
    shutil.copytree(part, final)
    f = sorted(p for p in part.iterdir() if p.name != MARKER)[0]
    lines = f.read_bytes().splitlines(keepends=True)
    f.write_bytes(b"".join(lines[:-1]) if len(lines) > 2 else b"".join(lines) + lines[-1])  # a record less, or more
    write_marker(part, c.feed, day(c.n))
    return final


def _change(paths, c: Change, waiting: Path) -> None:
    part = paths.partition(c.feed, day(c.n))
    if c.kind == "late":
        waiting.rename(part / MARKER)
    else:
        shutil.rmtree(part)
        waiting.rename(part)


@settings(
    max_examples=BUDGET["orders"],
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # each example costs several builds: report, do not shrink
    suppress_health_check=list(HealthCheck),
)
@given(schedules())
# Found by CI: day 6 first left a row on a registration day of a user whose registration (loaded with
# days 4-5) moved them to another day; delete+insert kept the day, which no longer had any row.
@example(([(6, 6), (4, 5), (1, 3)], []))
def test_any_order_of_runs_publishes_the_in_order_marts(history, schedule) -> None:
    runs, changes = schedule
    FIGURES.orders_tried += 1
    with tempfile.TemporaryDirectory() as tmp:
        paths = twin(Path(tmp), history.landing)
        waiting = {c: _first_version(paths, c) for c in changes}
        log, failed = [], []
        for step in range(len(runs) + 1):
            due = [c for c in changes if c.at == step]
            for c in due:
                _change(paths, c, waiting[c])
            # the data arrived: the operator clears the runs that failed waiting for it
            todo = ([*failed] if due else []) + ([runs[step]] if step < len(runs) else [])
            failed = [] if due else failed
            for first, last in todo:
                try:
                    run(paths, first, last, f"run-{len(log)}")
                    log.append((first, last, "published"))
                except StageError as e:
                    log.append((first, last, f"failed: {str(e).splitlines()[0][:200]}"))
                    failed.append((first, last))
        digests = mart_digests(paths)
    wrong = sorted(t for t in history.reference if digests.get(t) != history.reference[t])
    FIGURES.wrong_snapshots += bool(wrong)
    FIGURES.orders_matching += not wrong
    assert not wrong, json.dumps({"runs": log, "changes": [c.__dict__ for c in changes], "wrong": wrong})
