"""Write-audit-publish, the publish step: make validated marts visible to readers atomically.

dbt builds into the working warehouse, which only the pipeline opens. Publishing copies every
table of the ``marts`` schema into a new DuckDB file and swaps it into place with one
``os.replace``: BI tools and ``opswh query`` open ``<data dir>/published/marts.duckdb``
read-only, never hit the writer's lock, and see either the previous snapshot or the new one.
A reader that has the old file open keeps reading it until it reconnects. The new file and its
folder are fsynced around the swap, the snapshot is written read-only (0444), and the temporary
files of publishes that were killed are removed by the next one.
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
        con.execute("detach pub")
    os.chmod(tmp, 0o444)
    _fsync(tmp)
    os.replace(tmp, paths.published)
    _fsync(paths.published_dir)
    return meta


def remove_orphans(folder: Path) -> list[Path]:
    """Remove the temporary files of publishes whose process is gone (killed mid-publish)."""
    removed = []
    for path in folder.glob(f"{TMP_PREFIX}*.tmp.duckdb*"):
        pid = path.name[len(TMP_PREFIX) :].split(".")[0]
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
