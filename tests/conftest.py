"""Shared fixtures: small simulated platforms, landed once per test session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from opswh.faults import ORDER, inject
from opswh.settings import Paths
from opswh.simulator import Simulator

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


@pytest.fixture(scope="session")
def clean_landing(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    return simulate(tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="session")
def faulted_landing(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    return simulate(tmp_path_factory.mktemp("faulted"), faults=ORDER)


@pytest.fixture()
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield con
    con.close()
