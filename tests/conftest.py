"""Shared fixtures: small simulated platforms, landed once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

from opswh.paths import Paths
from opswh.simulate.faults import ORDER
from tests.reliability.figures import FIGURES
from tests.support import simulate

# A pytest-xdist worker's __main__ has no __file__: pyspark (dbt-spark's), which Great Expectations
# imports, takes that for a doctest run without Spark Connect and calls sys.exit(0) on import.
if not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = __file__


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker: hand the reliability figures to the controller."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["reliability_figures"] = FIGURES.as_dict()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """On pytest-xdist's controller: add up the figures of each worker as it finishes."""
    FIGURES.add(getattr(node, "workeroutput", {}).get("reliability_figures", {}))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """The reliability suite's figures (tests/reliability), when it ran."""
    if FIGURES.any:
        terminalreporter.section("reliability figures")
        for line in FIGURES.lines():
            terminalreporter.write_line(line)


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
