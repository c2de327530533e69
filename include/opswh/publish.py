"""Write-audit-publish, the publish step: make validated marts visible to readers atomically.

dbt builds into the working warehouse, which only the pipeline opens. Publishing copies every table
of the ``marts`` schema, with dbt's table and column descriptions as comments (from the build's
``manifest.json``), into a new DuckDB file and swaps it into place with one ``os.replace``: BI tools
and ``opswh query`` open ``<data dir>/published/marts.duckdb`` read-only, never hit the writer's
lock, and see either the previous snapshot or the new one. The marts are in the file's default
schema; its ``ops`` schema holds the pipeline's health (dbt's ``ops`` models: the loads'
reconciliation and the rejects; and ``opswh.run_records``: the runs, their validations and
findings). The file is written in DuckDB's storage format of ``STORAGE_VERSION``, so that BI tools
bundling an older DuckDB open it. The same tables are written as
``published/parquet/<mart>.parquet`` (``parquet/ops/<table>.parquet`` for the health): ``parquet``
is a symbolic link to a new version folder, swapped with one ``os.replace`` after the DuckDB file
(the version before stays until the next publish, for readers in the middle of a query).

What a reader sees: a DuckDB process keeps one database instance per file while any connection
to it is open, and every connection it opens to that path shares it. So a new connection sees
the new snapshot only once the process has closed every connection to the file (a BI pool must
recycle its connections, e.g. close idle ones after a minute); a query of
``published/parquet/`` opens the files afresh and sees the newest snapshot at once, from any
connection. The new files and their folder are fsynced around the swaps, the snapshot is
written read-only (0444), and the temporary files of publishes that were killed are removed by
the next one.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

from opswh.ingest.sql import ident, literal
from opswh.paths import Paths
from opswh.run_records import TABLES as RECORD_TABLES
from opswh.run_records import RecordTable, run_rows, validation_rows

# The oldest DuckDB release that opens the snapshot (BI tools bundle their own DuckDB; 1.1 is the
# oldest still common, e.g. in duckdb-engine deployments of Superset and Metabase's driver).
STORAGE_VERSION = "v1.1.0"
# warehouse schema -> snapshot schema ("main": readers query the marts without a schema name)
SCHEMAS = {"marts": "main", "ops": "ops"}
META_TABLE = "_snapshot"
TMP_PREFIX = ".marts."
PARQUET_PREFIX = ".parquet."
LINK_PREFIX = ".link."


def publish_snapshot(paths: Paths, as_of: date, run_id: str, current_run: dict | None = None) -> dict:
    """Publish the warehouse's marts and health as of ``as_of``; ``current_run`` is the publishing run's
    summary so far (``run_records.run_summary``), its row in ``ops.runs``."""
    import duckdb

    paths.published_dir.mkdir(parents=True, exist_ok=True)
    remove_orphans(paths.published_dir)
    tmp = paths.published_dir / f"{TMP_PREFIX}{os.getpid()}.tmp.duckdb"
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute(f"attach {literal(paths.warehouse)} as wh (read_only)")
        tables = {
            schema: [
                r[0]
                for r in con.execute(
                    "select table_name from information_schema.tables where table_catalog = 'wh' "
                    "and table_schema = ? order by 1",
                    [schema],
                ).fetchall()
            ]
            for schema in SCHEMAS
        }
        if not tables["marts"]:
            raise RuntimeError(f"{paths.warehouse}: schema marts has no tables; nothing to publish")
        descriptions = _dbt_descriptions(paths)
        columns: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() where database_name = 'wh'"
        ).fetchall():
            columns.setdefault((schema, table), set()).add(column)
        con.execute(f"attach {literal(tmp)} as pub (storage_version {literal(STORAGE_VERSION)})")
        con.execute("create schema pub.ops")
        published: list[str] = []  # "table" (a mart) or "ops.table"
        for schema, names in tables.items():
            for t in names:
                target = f"pub.{SCHEMAS[schema]}.{ident(t)}"
                con.execute(f"create table {target} as select * from wh.{schema}.{ident(t)}")
                _write_comments(con, target, descriptions.get((schema, t)), columns.get((schema, t), set()))
                published.append(t if schema == "marts" else f"ops.{t}")
        validations, findings = validation_rows(paths)
        rows = {"runs": run_rows(paths, current_run), "validations": validations, "findings": findings}
        for table in RECORD_TABLES:
            _write_records(con, table, rows[table.name])
            published.append(f"ops.{table.name}")
        for name in published:
            counts[name] = con.execute(f"select count(*) from pub.{_qualified(name)}").fetchall()[0][0]
        meta = {
            "as_of": as_of.isoformat(),
            "run_id": run_id,
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "row_counts": {n: c for n, c in counts.items() if not n.startswith("ops.")},
            "ops_row_counts": {n: c for n, c in counts.items() if n.startswith("ops.")},
            "storage_version": STORAGE_VERSION,
        }
        con.execute(f"create table pub.main.{META_TABLE} as select ?::json as meta", [json.dumps(meta)])
        con.execute(f"comment on table pub.main.{META_TABLE} is 'What this snapshot holds, one row.'")
        con.execute(
            f"comment on column pub.main.{META_TABLE}.meta is "
            "'as_of (the reporting day), run_id, published_at, row_counts of the marts and of ops, storage_version.'"
        )
        version = paths.published_dir / f"{PARQUET_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S%f}.{os.getpid()}"
        (version / "ops").mkdir(parents=True)
        for name in [*published, META_TABLE]:
            file = version / f"{name.replace('.', '/')}.parquet"
            con.execute(f"copy pub.{_qualified(name)} to {literal(file)} (format parquet)")
        con.execute("detach pub")
    os.chmod(tmp, 0o444)
    _fsync(tmp)
    for f in [*version.rglob("*.parquet")]:
        os.chmod(f, 0o444)
        _fsync(f)
    _fsync(version / "ops")
    _fsync(version)
    os.replace(tmp, paths.published)
    previous = _swap_link(paths.published_parquet, version)
    _fsync(paths.published_dir)
    for old in paths.published_dir.glob(f"{PARQUET_PREFIX}*"):
        if old.is_dir() and not old.is_symlink() and old.name not in (version.name, previous):
            _remove_version(old)
    return meta


def _qualified(name: str) -> str:
    """A published table's name in the snapshot: "fct_x" -> main."fct_x", "ops.x" -> ops."x"."""
    schema, _, table = name.rpartition(".")
    return f"{schema or 'main'}.{ident(table)}"


def _dbt_descriptions(paths: Paths) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    """(schema, table) -> (description, {column: description}) of every model, from the manifest dbt
    wrote with the last build (its documented artifact; doc blocks are rendered in it)."""
    manifest = paths.dbt_target / "manifest.json"
    try:
        nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    except FileNotFoundError:
        raise RuntimeError(f"{manifest}: not found; the descriptions come from dbt build's artifacts") from None
    return {
        (node["schema"], node["alias"]): (
            node["description"],
            {name: column["description"] for name, column in node["columns"].items()},
        )
        for node in nodes.values()
        if node["resource_type"] == "model"
    }


def _write_comments(con, target: str, described: tuple[str, dict[str, str]] | None, columns: set[str]) -> None:
    """A model's description and its columns' (those the table has) onto the published copy, as comments
    (what BI tools list); in one call, since each statement alone is a round trip."""
    description, described_columns = described or ("", {})
    statements = [f"comment on table {target} is {literal(description)}"] if description else []
    statements += [
        f"comment on column {target}.{ident(column)} is {literal(comment)}"
        for column, comment in described_columns.items()
        if comment and column in columns
    ]
    if statements:
        con.execute(";\n".join(statements))


def _write_records(con, table: RecordTable, rows: list[tuple]) -> None:
    target = f"pub.ops.{ident(table.name)}"
    con.execute(f"create table {target} ({', '.join(f'{ident(c.name)} {c.type}' for c in table.columns)})")
    if rows:
        con.executemany(f"insert into {target} values ({', '.join('?' for _ in table.columns)})", rows)
    con.execute(f"comment on table {target} is {literal(table.description)}")
    for c in table.columns:
        con.execute(f"comment on column {target}.{ident(c.name)} is {literal(c.description)}")


def _swap_link(link: Path, target: Path) -> str | None:
    """Point ``link`` at ``target`` (a sibling folder) in one step; returns the folder it pointed at."""
    previous = os.readlink(link) if link.is_symlink() else None
    if link.exists() and not link.is_symlink():  # a folder left by hand: the link takes its place
        _remove_version(link)
    tmp = link.with_name(f"{LINK_PREFIX}{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(target.name, tmp)
    os.replace(tmp, link)
    return previous


def _remove_version(folder: Path) -> None:
    import shutil

    os.chmod(folder, 0o755)
    shutil.rmtree(folder, ignore_errors=True)


def remove_orphans(folder: Path) -> list[Path]:
    """Remove the temporary files of publishes whose process is gone (killed mid-publish)."""
    removed = []
    for path in [*folder.glob(f"{TMP_PREFIX}*.tmp.duckdb*"), *folder.glob(f"{LINK_PREFIX}*")]:
        pid = path.name.removeprefix(TMP_PREFIX).removeprefix(LINK_PREFIX).split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def snapshot_meta(published: Path) -> dict | None:
    """What the published snapshot holds, or None when nothing was published yet."""
    import duckdb

    if not published.exists():
        return None
    with duckdb.connect(str(published), read_only=True) as con:
        return json.loads(con.execute(f"select meta from {META_TABLE}").fetchall()[0][0])
