"""The same dbt project on DuckDB and on Spark: one small simulated platform (faults included) built
on both engines, and every public mart compared row by row.

Keys, integers, dates, strings and decimals must be equal; floating point within 1e-9 relative.
dbt's unit tests (hand-computed fixtures) pass on both engines too; the data tests run in both builds.
Spark's build runs in-process (dbt-spark's ``session`` method, pyspark on the machine's Java); its
marts come back into the DuckDB warehouse through ``opswh.spark.export_marts``, as the pipeline
publishes them.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import duckdb
import pytest

from opswh import builds, contract, spark
from opswh.days import DayRange
from opswh.dbt_runner import run_dbt
from opswh.ingest import load_partition
from opswh.landing import LandingError, LoadError
from opswh.paths import Paths
from opswh.pipeline import dbt_build
from opswh.simulate.faults import ORDER
from tests.support import START, simulate, table_differences, tables, without

DAYS = 8
BUILD = ["build", "--exclude", "resource_type:unit_test"]
# The last day is loaded into each engine's data directory by a load of its own, so when the loader
# ran differs there (the history's loads are one, copied): the daily comparison leaves these out.
LOAD_CLOCK = {"ops.ops_load_reconciliation": ("loaded_at", "last_attempt_at")}


def _load(paths, days) -> None:
    with duckdb.connect(str(paths.warehouse)) as con:
        for day in days:
            for feed in contract.FEEDS:
                try:
                    load_partition(con, paths, feed.name, day)
                except (LandingError, LoadError):
                    pass  # a fault that refuses the partition: both engines see the same raw layer


def _unit_tests(paths) -> dict[str, str]:
    """dbt's unit tests (the hand-computed fixtures of every non-trivial model) on the engine: their statuses."""
    run_dbt(paths, ["test", "--select", "test_type:unit"], check=False)
    results = json.loads((paths.dbt_target / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results}


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """Per engine: the public marts after a history build of all days but the last, and after the
    last day's incremental build as the daily DAG runs it (``pipeline.dbt_build``: freshness, build,
    the build recorded; on Spark the marts exported). Both start from one loaded raw layer."""
    root = tmp_path_factory.mktemp("parity")
    duck = simulate(root / "duckdb", days=DAYS, scale="small", faults=ORDER)
    days = [START + timedelta(days=i) for i in range(DAYS)]
    _load(duck, days[:-1])
    sparks = Paths(root / "spark")
    shutil.copytree(duck.root, sparks.root)
    (sparks.root / "opswh.json").write_text(json.dumps({"engine": "spark"}))
    out = {}
    for name, paths in (("duckdb", duck), ("spark", sparks)):
        run_dbt(paths, BUILD)
        exported = spark.export_marts(paths) if name == "spark" else None
        history = tables(paths.warehouse, ("marts", "ops"))
        with duckdb.connect(str(paths.warehouse)) as con:
            builds.record(con, "history")
        _load(paths, days[-1:])
        dbt_build(paths, DayRange(days[-1], days[-1]), run_id="daily")
        out[name] = {
            "history": history,
            "daily": tables(paths.warehouse, ("marts", "ops")),
            "exported": exported,
            "unit": _unit_tests(paths),
        }
    spark.stop()  # the session's JVM would otherwise stay up, and busy, for the rest of the suite
    return out


def test_every_public_mart_is_built_on_spark(engines) -> None:
    assert sorted(engines["spark"]["exported"]) == sorted(engines["duckdb"]["history"])
    assert len(engines["duckdb"]["history"]) >= 25


@pytest.mark.parametrize("build", ["history", "daily"])
def test_spark_builds_the_same_marts_as_duckdb_row_by_row(engines, build) -> None:
    duck, sparks = engines["duckdb"][build], engines["spark"][build]
    assert sorted(sparks) == sorted(duck)
    ignored = LOAD_CLOCK if build == "daily" else {}
    differences = {
        name: table_differences(
            without(duck[name], ignored.get(name, ())), without(sparks[name], ignored.get(name, ()))
        )
        for name in duck
    }
    differences = {name: d for name, d in differences.items() if d}
    assert not differences, json.dumps(differences, indent=1, default=str)
    assert sum(len(rows) for _, rows in duck.values()) > 1000


def test_the_unit_tests_pass_on_both_engines(engines) -> None:
    duck, sparks = engines["duckdb"]["unit"], engines["spark"]["unit"]
    assert sorted(sparks) == sorted(duck) and len(duck) >= 30
    assert all(unique_id.startswith("unit_test.") for unique_id in duck)
    failed = {name: {k: v for k, v in built["unit"].items() if v != "pass"} for name, built in engines.items()}
    assert failed == {"duckdb": {}, "spark": {}}


def test_the_daily_build_changed_the_marts(engines) -> None:
    """The incremental day is a real change on both engines (the comparison above is not of two
    unchanged histories)."""
    for name in ("duckdb", "spark"):
        history, daily = engines[name]["history"], engines[name]["daily"]
        assert daily["marts.fct_kpi_daily"][1] != history["marts.fct_kpi_daily"][1], name
