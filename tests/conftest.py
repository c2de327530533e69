"""Shared fixtures: small simulated platforms, landed once per test session."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from opswh.paths import Paths
from opswh.simulate.faults import ORDER
from tests.support import simulate


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
