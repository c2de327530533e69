"""Helpers the tests share: small simulated platforms."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from opswh.paths import Paths
from opswh.simulate.faults import inject
from opswh.simulate.model import Simulator

START = date(2026, 9, 1)


def simulate(
    root: Path, days: int = 3, scale: str | int = "small", faults: list[str] | None = None, seed: int = 1, **kw
) -> Paths:
    paths = Paths(root)
    Simulator(paths.landing, START, days, scale, seed=seed, **kw).run()
    if faults:
        inject(paths.landing, START, days, faults)
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return paths
