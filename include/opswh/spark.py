"""The Spark engine (``engine: spark``): the session dbt-spark builds on, and the raw layer it reads.

DuckDB stays the warehouse of record for the raw layer: the loader writes each load's rows as
Parquet files and lists the current ones in ``raw.raw_files`` (``opswh.ingest.raw_layer``). Before
a build on Spark, ``register_raw_layer`` gives Spark the same ``raw`` schema:

- a Parquet table per feed whose partitions are exactly the load folders of the files ``raw.raw_files``
  lists, behind a view (so a replaced load is never
  read twice), with the lineage columns DuckDB's view has: ``_dt``, ``_file``, ``_line``,
  ``_load_id``, ``_loaded_at`` (read off ``raw.raw_files`` and the file's path, not re-derived);
- the loader's own tables (the load log, the rejects, the build log, the fx rates) as Parquet
  snapshots under ``<data dir>/spark/raw/``, each behind a view of the same name.

The session's settings have one home, ``conf``: the profile's ``spark`` target reads them from
the ``spark_conf`` var, and ``session`` builds the in-process session dbt-spark's ``session``
method then reuses (``SparkSession.builder.getOrCreate``). Timestamps are naive UTC instants, as
in DuckDB: the session time zone is pinned to UTC and Parquet's naive timestamps read as
``timestamp_ntz``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import duckdb

from opswh import config, contract
from opswh.ingest.sql import literal
from opswh.paths import Paths

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# DuckDB's types of the landing contract in Spark's spelling (JSON is text in both).
_TYPES = {"VARCHAR": "string", "JSON": "string", "TIMESTAMP": "timestamp_ntz", "INTEGER": "int"}


def conf(paths: Paths) -> dict[str, str]:
    """The Spark session's settings for this data directory (the profile's ``server_side_parameters``).

    In-process (``spark_method: session``) the session keeps its metastore and tables under
    ``<data dir>/spark``; on a cluster (``thrift``) those are the cluster's own, and only the SQL
    settings the models rely on are sent."""
    sql = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
    }
    if config.load(paths.root).spark_method != "session":
        return sql
    home = paths.spark_dir
    return {
        **sql,
        "spark.sql.warehouse.dir": str(home / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={home / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={home}",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "4",  # 2 cores, small days: Spark's 200 would be 200 tasks a stage
    }


def dbt_vars(paths: Paths) -> dict[str, Any]:
    """The vars the profile's ``spark`` target reads: how to reach Spark, and the session's settings."""
    c = config.load(paths.root)
    return {
        "spark_method": c.spark_method,
        "spark_host": c.spark_host,
        "spark_port": c.spark_port,
        "spark_conf": conf(paths),
    }


def session(paths: Paths) -> SparkSession:
    """The in-process Spark session (local, with Hive's metastore under ``<data dir>/spark``): the one
    dbt-spark's ``session`` method then gets from ``SparkSession.builder.getOrCreate()``."""
    from pyspark.sql import SparkSession

    paths.spark_dir.mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.master("local[*]").appName("opswh").enableHiveSupport()
    for key, value in conf(paths).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def stop() -> None:
    """End this process's Spark session and its JVM (an idle session's JVM keeps using CPU)."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        proc = getattr(gateway, "proc", None)
        if proc is not None:
            proc.kill()
            proc.wait()
        SparkContext._gateway = None
        SparkContext._jvm = None


def executor(paths: Paths) -> Callable[[str], list[tuple]]:
    """Run one Spark SQL statement, returning its rows: in the in-process session, or through the
    cluster's Thrift server (``spark_method: thrift``, PyHive, as dbt-spark's own thrift method)."""
    c = config.load(paths.root)
    if c.spark_method == "thrift":
        from pyhive import hive

        cursor = hive.connect(host=c.spark_host, port=c.spark_port).cursor()

        def run(statement: str) -> list[tuple]:
            cursor.execute(statement)
            return [tuple(r) for r in cursor.fetchall()] if cursor.description else []

        return run
    spark = session(paths)
    return lambda statement: [tuple(r) for r in spark.sql(statement).collect()]


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _partition(path: str) -> str:
    """A raw file's load folder as a partition spec: ``_dt=..., _load_id=..., _loaded_at=...``."""
    parts = dict(p.split("=", 1) for p in PurePosixPath(path).parent.parts if "=" in p)
    return (
        f"_dt = date'{parts['_dt']}', _load_id = {_literal(parts['_load_id'])}, _loaded_at = {int(parts['_loaded_at'])}"
    )


def feed_sql(feed: contract.Feed, base: Path, files: list[str]) -> list[str]:
    """The statements that put the feed's current ``files`` (paths in ``base``) behind ``raw.<feed>``.

    ``raw._files_<feed>`` is a Parquet table partitioned by the lineage folders of the raw layer's
    paths, with exactly the load folders of ``files`` as its partitions (a load's folder holds its
    files only, and the loader lists every file of a load it commits); the view adds ``_file``,
    ``_line`` and ``_loaded_at`` as DuckDB's ``raw.<feed>`` view has them.
    """
    table = f"raw.`_files_{feed.name}`"
    data = ", ".join(f"`{c.name}` {_TYPES.get(c.type, c.type.lower())}" for c in feed.columns)
    out = [
        f"drop table if exists {table}",
        f"create table {table} ({data}, _line bigint, _dt date, _load_id string, _loaded_at bigint) using parquet "
        f"partitioned by (_dt, _load_id, _loaded_at) location {_literal(str(base / feed.name))}",
    ]
    folders = sorted({str(PurePosixPath(f).parent) for f in files})
    for i in range(0, len(folders), 500):
        specs = " ".join(
            f"partition ({_partition(d + '/x')}) location {_literal(str(base / d))}" for d in folders[i : i + 500]
        )
        out.append(f"alter table {table} add if not exists {specs}")
    columns = ", ".join(f"`{c.name}`" for c in feed.columns)
    out.append(
        f"create or replace view raw.`{feed.name}` as select {columns}, _dt, "
        f"concat({_literal(feed.name + '/dt=')}, cast(_dt as string), '/', "
        "regexp_extract(_metadata.file_name, '([^/]+)\\\\.parquet$', 1)) as _file, "
        "coalesce(_line, _metadata.row_index + 1) as _line, _load_id, "
        f"cast(timestamp_micros(_loaded_at) as timestamp_ntz) as _loaded_at from {table}"
    )
    return out


def _loader_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The raw schema's own tables (load log, rejects, builds, fx rates ...), not the feeds' views."""
    return [
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = current_database() "
            "and table_schema = 'raw' and table_type = 'BASE TABLE' order by table_name"
        ).fetchall()
    ]


def raw_layer_sql(paths: Paths) -> list[str]:
    """The statements that give Spark the warehouse's raw schema as it stands (exporting the loader's
    tables to ``<data dir>/spark/raw/`` on the way)."""
    from opswh.ingest.raw_layer import raw_dir

    out = paths.spark_dir / "raw"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    statements = ["create database if not exists raw"]
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        base = raw_dir(con)
        for feed in contract.FEEDS:
            files = con.execute("select path from raw.raw_files where feed = ? order by path", [feed.name]).fetchall()
            statements += feed_sql(feed, base, [f for (f,) in files])
        for table in _loader_tables(con):
            target = out / f"{table}.parquet"
            con.execute(f'copy (select * from raw."{table}") to ? (format parquet)', [str(target)])
            statements.append(
                f"create or replace view raw.`{table}` as select * from parquet.`{str(target).replace('`', '``')}`"
            )
    return statements


def register_raw_layer(paths: Paths) -> None:
    """Give Spark the warehouse's raw schema as it stands (see the module's docstring)."""
    run = executor(paths)
    for statement in raw_layer_sql(paths):
        run(statement)


# The schemas of the build that readers see (published and validated as on DuckDB).
PUBLIC_SCHEMAS = ("marts", "ops")
# And what the pipeline itself reads of the rest: the days the build changed (opswh.builds.record).
PIPELINE_TABLES = (("staging", "stg_loader__changes"),)


def export_marts(paths: Paths) -> list[str]:
    """After a build on Spark: the public marts into the DuckDB warehouse, so that the GX gate and
    publish read them where they read DuckDB's own build (each through a Parquet copy Spark writes
    under ``<data dir>/spark/export/``, its columns in the contract's order). Returns their names."""
    run = executor(paths)
    out = paths.spark_dir / "export"
    shutil.rmtree(out, ignore_errors=True)
    schemas = {row[0] for row in run("show databases")}
    tables = [
        (schema, name)
        for schema in PUBLIC_SCHEMAS
        if schema in schemas
        for _, name, temporary in run(f"show tables in {schema}")
        if not temporary  # an incremental build's __dbt_tmp views
    ] + list(PIPELINE_TABLES)
    with duckdb.connect(str(paths.warehouse)) as con:
        for schema, table in tables:
            target = out / schema / table
            run(f"insert overwrite directory {_literal(str(target))} using parquet select * from {schema}.`{table}`")
            order = _contract_order(table) or [
                r[0]
                for r in con.execute(
                    f"describe select * from read_parquet({literal(f'{target}/*.parquet')})"
                ).fetchall()
            ]
            columns = ", ".join(f'"{c}"' for c in order)
            con.execute(f"create schema if not exists {schema}")
            con.execute(
                f'create or replace table {schema}."{table}" as select {columns} from read_parquet(?)',
                [f"{target}/*.parquet"],
            )
    return [f"{schema}.{table}" for schema, table in tables if (schema, table) not in PIPELINE_TABLES]


def _contract_order(table: str) -> list[str]:
    from opswh.mart_contracts import mart_columns

    try:
        return list(mart_columns(table))
    except KeyError:
        return []
