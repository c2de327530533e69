"""The Spark engine's wiring, without Spark: the statements that give Spark the raw layer, the
session's settings and what dbt is told (tests/integration/test_spark_parity.py runs Spark)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from opswh import config, contract, spark
from opswh.config import REPO_ROOT
from opswh.dbt_runner import dbt_args, dbt_vars
from opswh.paths import Paths

FEED = next(f for f in contract.FEEDS if f.name == "orders")


def _paths(tmp_path: Path, **settings) -> Paths:
    (tmp_path / "opswh.json").write_text(json.dumps(settings))
    return Paths(tmp_path)


def test_a_feed_is_a_table_whose_partitions_are_exactly_the_current_load_folders() -> None:
    files = [
        "orders/_dt=2026-09-01/_load_id=a1/_loaded_at=1788220800000000/part-0000.parquet",
        "orders/_dt=2026-09-01/_load_id=a1/_loaded_at=1788220800000000/part-0001.parquet",
        "orders/_dt=2026-09-02/_load_id=b'2/_loaded_at=1788307200000001/part-0000.parquet",
    ]
    statements = spark.feed_sql(FEED, Path("/data/warehouse/opswh_raw"), files)
    create, partitions, view = statements[1], statements[2], statements[3]
    assert statements[0] == "drop table if exists raw.`_files_orders`"
    assert "partitioned by (_dt, _load_id, _loaded_at) location '/data/warehouse/opswh_raw/orders'" in create
    assert all(f"`{c.name}` " in create for c in FEED.columns)
    # one partition per load folder (two files of one load: one partition), its lineage from the path
    assert partitions.count("partition (") == 2
    assert (
        "partition (_dt = date'2026-09-01', _load_id = 'a1', _loaded_at = 1788220800000000) "
        "location '/data/warehouse/opswh_raw/orders/_dt=2026-09-01/_load_id=a1/_loaded_at=1788220800000000'"
    ) in partitions
    assert "_load_id = 'b\\'2'" in partitions  # quoted as a Spark string literal
    # the view has DuckDB's lineage columns, and only the contract's data columns besides
    assert view.startswith("create or replace view raw.`orders` as select ")
    for lineage in ("_dt", "as _file", "as _line", "_load_id", "as timestamp_ntz) as _loaded_at"):
        assert lineage in view
    assert "coalesce(_line, _metadata.row_index + 1)" in view  # stored, or the row of a kept Parquet file


def test_a_feed_without_files_is_an_empty_table_of_the_contracts_types() -> None:
    statements = spark.feed_sql(FEED, Path("/raw"), [])
    assert len(statements) == 3 and "add if not exists" not in " ".join(statements)
    create = statements[1]
    types = {c.name: c.type for c in FEED.columns}
    assert (types["order_id"], types["placed_at"], types["gmv_amount"]) == ("VARCHAR", "TIMESTAMP", "DECIMAL(18,2)")
    # in Spark's spelling: naive UTC instants are timestamp_ntz
    assert (
        "`order_id` string" in create
        and "`placed_at` timestamp_ntz" in create
        and "`gmv_amount` decimal(18,2)" in create
    )


def test_the_session_keeps_its_metastore_in_the_data_directory_and_a_cluster_keeps_its_own(tmp_path) -> None:
    local = spark.conf(_paths(tmp_path, engine="spark"))
    assert local["spark.sql.session.timeZone"] == "UTC"
    assert local["spark.sql.warehouse.dir"] == str(tmp_path / "spark" / "warehouse")
    assert str(tmp_path / "spark" / "metastore_db") in local["spark.hadoop.javax.jdo.option.ConnectionURL"]
    cluster = spark.conf(_paths(tmp_path, engine="spark", spark_method="thrift"))
    assert cluster.items() < local.items() and not any("warehouse" in k or "jdo" in k for k in cluster)


def test_dbt_is_told_the_engines_target_and_how_to_reach_spark(tmp_path) -> None:
    duck = _paths(tmp_path)
    args = dbt_args(duck, ["build"])
    assert args[args.index("--target") + 1] == "duckdb" and "spark_conf" not in dbt_vars(duck)
    cluster = _paths(tmp_path, engine="spark", spark_method="thrift", spark_host="spark-thrift", spark_port=10001)
    args = dbt_args(cluster, ["build"])
    assert args[args.index("--target") + 1] == "spark"
    vars_ = json.loads(args[args.index("--vars") + 1])
    assert (vars_["spark_method"], vars_["spark_host"], vars_["spark_port"]) == ("thrift", "spark-thrift", 10001)
    assert vars_["spark_conf"] == spark.conf(cluster)


def test_an_unknown_engine_or_spark_method_is_refused_naming_the_setting(tmp_path) -> None:
    with pytest.raises(config.ConfigError, match="engine"):
        config.load(_paths(tmp_path, engine="snowflake").root)
    with pytest.raises(config.ConfigError, match="spark_method"):
        config.load(_paths(tmp_path, engine="spark", spark_method="odbc").root)


def _casts(sql: str):
    """Each ``cast(<expression> as <type>)`` of ``sql``: (line, expression, type), nested ones too."""
    for match in re.finditer(r"\bcast\s*\(", sql, re.IGNORECASE):
        end, depth = match.end(), 1
        while depth and end < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            end += 1
        body = sql[match.end() : end - 1]
        typed = re.search(r"\bas\s+([a-z]+(?:\s*\([^)]*\))?)\s*$", body, re.IGNORECASE)
        if typed:
            yield sql[: match.start()].count("\n") + 1, body[: typed.start()], typed.group(1)


def test_a_quotient_becomes_a_decimal_only_through_to_decimal() -> None:
    """DuckDB divides decimals in double and Spark in decimal, and their casts of a double to a decimal
    round differently: a quotient cast straight to a decimal gave an AOV of 64.97 on DuckDB and 64.98
    on Spark (129.95 / 2). Every quotient that becomes a decimal goes through macro to_decimal."""
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{line}: cast({' '.join(expression.split())} as {kind})"
        for path in sorted((REPO_ROOT / "dbt_project" / "models").rglob("*.sql"))
        for line, expression, kind in _casts(path.read_text())
        if kind.lower().startswith("decimal") and "/" in re.sub(r"--[^\n]*", "", expression)
    ]
    assert not offenders, "round quotients with to_decimal:\n" + "\n".join(offenders)


def test_the_cast_scanner_finds_a_quotient_cast_to_a_decimal() -> None:
    sql = "select\n  cast(a / nullif(b, 0) as decimal(18, 2)) as x,\n  cast(c as decimal(18, 2)) as y"
    assert [(line, kind) for line, expression, kind in _casts(sql) if "/" in expression] == [(2, "decimal(18, 2)")]
