"""Write-audit-publish, the publish step: make validated marts visible to readers atomically.

dbt builds into the working warehouse, which only the pipeline opens. Publishing copies every
table of the ``marts`` schema into a new DuckDB file and swaps it into place with one
``os.replace``: BI tools and ``opswh query`` open ``<data dir>/published/marts.duckdb``
read-only, never hit the writer's lock, and see either the previous snapshot or the new one.
The same tables are written as ``published/parquet/<mart>.parquet``: ``parquet`` is a symbolic
link to a new version folder, swapped with one ``os.replace`` after the DuckDB file (the
version before stays until the next publish, for readers in the middle of a query).

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

META_TABLE = "_snapshot"
TMP_PREFIX = ".marts."
PARQUET_PREFIX = ".parquet."
LINK_PREFIX = ".link."


def publish_snapshot(paths: Paths, as_of: date, run_id: str) -> dict:
    import duckdb

    paths.published_dir.mkdir(parents=True, exist_ok=True)
    remove_orphans(paths.published_dir)
    tmp = paths.published_dir / f"{TMP_PREFIX}{os.getpid()}.tmp.duckdb"
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute(f"attach {literal(paths.warehouse)} as wh (read_only)")
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'wh' and table_schema = 'marts' "
                "order by 1"
            ).fetchall()
        ]
        if not tables:
            raise RuntimeError(f"{paths.warehouse}: schema marts has no tables; nothing to publish")
        con.execute(f"attach {literal(tmp)} as pub")
        for t in tables:
            con.execute(f"create table pub.main.{ident(t)} as select * from wh.marts.{ident(t)}")
            counts[t] = con.execute(f"select count(*) from pub.main.{ident(t)}").fetchall()[0][0]
        meta = {
            "as_of": as_of.isoformat(),
            "run_id": run_id,
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "row_counts": counts,
        }
        con.execute(f"create table pub.main.{META_TABLE} as select ?::json as meta", [json.dumps(meta)])
        version = paths.published_dir / f"{PARQUET_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S%f}.{os.getpid()}"
        version.mkdir()
        for t in [*tables, META_TABLE]:
            con.execute(f"copy pub.main.{ident(t)} to {literal(version / f'{t}.parquet')} (format parquet)")
        con.execute("detach pub")
    os.chmod(tmp, 0o444)
    _fsync(tmp)
    for f in version.iterdir():
        os.chmod(f, 0o444)
        _fsync(f)
    _fsync(version)
    os.replace(tmp, paths.published)
    previous = _swap_link(paths.published_parquet, version)
    _fsync(paths.published_dir)
    for old in paths.published_dir.glob(f"{PARQUET_PREFIX}*"):
        if old.is_dir() and not old.is_symlink() and old.name not in (version.name, previous):
            _remove_version(old)
    return meta


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
