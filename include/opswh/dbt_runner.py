"""Run dbt against the warehouse, in-process (one ``dbtRunner`` invocation: dbt's start-up is
paid once per call, so a stage runs one ``dbt build`` rather than one call per model)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from opswh.settings import REPO_ROOT, Paths

PROJECT_DIR = REPO_ROOT / "dbt_project"


@dataclass
class DbtResult:
    success: bool
    failures: list[str]


def _close_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB instance open after a command; drop it so the file is free."""
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    DuckDBConnectionManager.close_all_connections()
    gc.collect()


class DbtError(RuntimeError):
    """A dbt command failed; the message lists the failing nodes."""


def run_dbt(paths: Paths, args: Sequence[str], check: bool = True) -> DbtResult:
    """``dbt <args>`` on the warehouse of ``paths``; raises DbtError listing failures when ``check``."""
    from dbt.cli.main import dbtRunner

    paths.dbt_target.mkdir(parents=True, exist_ok=True)
    os.environ["OPSWH_WAREHOUSE"] = str(paths.warehouse)
    cli = [
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(paths.dbt_target),
        "--log-path",
        str(paths.logs / "dbt"),
    ]
    try:
        res = dbtRunner().invoke(cli)
    finally:
        _close_duckdb()
    failures = []
    if res.result is not None and hasattr(res.result, "results"):
        for r in res.result.results:
            status = str(getattr(r, "status", "")).lower()
            if status in ("error", "fail", "runtime error"):
                failures.append(f"{r.node.unique_id}: {status}: {(r.message or '').strip()[:300]}")
    if res.exception is not None:
        failures.append(str(res.exception))
    result = DbtResult(bool(res.success), failures)
    if check and not result.success:
        raise DbtError(f"dbt {' '.join(args)} failed:\n  " + "\n  ".join(failures or ["(see the dbt log)"]))
    return result
