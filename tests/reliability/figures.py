"""The reliability suite's figures, gathered by its tests and printed at the end of the session."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field, fields

# make reliability: the CI profile; make reliability-long: OPSWH_RELIABILITY=long
PROFILE = os.environ.get("OPSWH_RELIABILITY", "ci")
BUDGET = {
    "ci": {"kills": 10, "orders": 5, "fuzz": 200},
    "long": {"kills": 100, "orders": 200, "fuzz": 1000},
}[PROFILE]


@dataclass
class Figures:
    kills_tried: Counter = field(default_factory=Counter)
    kills_survived: Counter = field(default_factory=Counter)
    orders_tried: int = 0
    orders_matching: int = 0
    fuzz_cases: int = 0
    fuzz_outcomes: Counter = field(default_factory=Counter)  # loaded / refused
    reads: int = 0
    lock_errors: int = 0
    rows_unaccounted: int = 0
    wrong_snapshots: int = 0

    @property
    def any(self) -> bool:
        return bool(self.fuzz_cases or self.orders_tried or sum(self.kills_tried.values()) or self.reads)

    def as_dict(self) -> dict:
        """Plain types only: pytest-xdist sends this from a worker to the controller."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}  # not asdict: it rebuilds a Counter from pairs
        return {k: dict(v) if isinstance(v, Counter) else v for k, v in values.items()}

    def add(self, other: dict) -> None:
        """Add the figures of another process (a pytest-xdist worker's)."""
        for name, value in other.items():
            mine = getattr(self, name)
            setattr(self, name, mine + Counter(value) if isinstance(mine, Counter) else mine + value)

    def lines(self) -> list[str]:
        kills = ", ".join(
            f"{stage} {self.kills_survived[stage]}/{self.kills_tried[stage]}" for stage in ("load", "build", "publish")
        )
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.fuzz_outcomes.items()))
        return [
            f"profile: {PROFILE} {BUDGET}",
            f"kills survived / tried: {kills}",
            f"orders tried: {self.orders_tried} (publishing the in-order marts: {self.orders_matching})",
            f"fuzz cases tried: {self.fuzz_cases} ({outcomes})",
            f"reads of the published snapshot: {self.reads}, lock errors: {self.lock_errors}",
            f"rows unaccounted for: {self.rows_unaccounted}",
            f"wrong snapshots published: {self.wrong_snapshots}",
        ]


FIGURES = Figures()
