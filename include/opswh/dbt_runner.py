"""Run dbt on a data directory's warehouse, in-process, with the configuration's vars.

One ``dbtRunner`` invocation per command: dbt's start-up is paid once per call, so a stage runs
one ``dbt build`` rather than one call per model. Every invocation gets ``--vars`` from the
configuration (``Config.dbt_vars``: the reporting time zone, currency, launch date, lookback,
revenue model, absent feeds and the metric overrides), the mappings (event roles, product funnels,
platform values) and the warehouse path the profile reads, so the marts cut days where
the loader and the GX gate do; the process environment is left as it was. The vars are the
same from run to run, so dbt's partial parsing keeps its cache.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from opswh import config
from opswh.config import REPO_ROOT
from opswh.errors import PermanentError
from opswh.paths import Paths

PROJECT_DIR = REPO_ROOT / "dbt_project"
# Statuses of a node that failed on its data or its SQL: the same input fails again.
_FAILED = ("error", "fail", "runtime error")
# What a failure that may pass says: another process holds the file, the disk, the connection.
_TRANSIENT = ("could not set lock", "io error", "no space left", "connection")


@dataclass
class DbtResult:
    success: bool
    failures: list[str]
    warnings: list[str] = field(default_factory=list)  # tests of severity warn that found rows


class DbtError(RuntimeError):
    """A dbt command failed for a reason that may pass (a lock, a killed connection)."""


class DbtBuildFailed(DbtError, PermanentError):
    """A model or test failed on the data or its SQL; the message lists the failing nodes."""


def dbt_vars(paths: Paths) -> dict:
    """The mappings, audiences and KPI monitors, then the configuration's values and metric overrides, and the warehouse path."""
    from opswh import audiences, mappings, monitors, spark

    engine = spark.dbt_vars(paths) if config.load(paths.root).engine == "spark" else {}
    return {
        **mappings.dbt_vars(paths.root),
        **audiences.dbt_vars(paths.root),
        **monitors.dbt_vars(paths.root),
        **config.load(paths.root).dbt_vars(),
        "warehouse_path": str(paths.warehouse),
        **engine,
    }


def dbt_args(paths: Paths, args: Sequence[str]) -> list[str]:
    """The full command line for ``dbt <args>`` on this data directory."""
    settings = config.load(paths.root)
    return [
        *args,
        "--target",
        settings.engine,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(paths.dbt_target),
        "--log-path",
        str(paths.logs / "dbt"),
        "--log-level-file",
        settings.dbt_log_level_file,
        "--vars",
        json.dumps(dbt_vars(paths), sort_keys=True),
    ]


def _close_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB instance open after a command; drop it so the file is free."""
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    DuckDBConnectionManager.close_all_connections()
    gc.collect()


def _invoke(paths: Paths, args: Sequence[str], manifest=None):
    """One ``dbtRunner`` invocation of ``dbt <args>``; dbt's result (``dbtRunnerResult``), the file freed after."""
    from dbt.cli.main import dbtRunner

    paths.dbt_target.mkdir(parents=True, exist_ok=True)
    if config.load(paths.root).engine == "spark" and args and args[0] in ("build", "run", "test", "seed", "source"):
        from opswh import spark

        spark.register_raw_layer(paths)
    try:
        return dbtRunner(manifest=manifest).invoke(dbt_args(paths, args))
    finally:
        _close_duckdb()


def parse(paths: Paths):
    """The project parsed once (``dbt parse``; dbt's ``Manifest``), for the commands of one stage to share
    (``run_dbt(..., manifest=)``, dbt's documented way to reuse a parse): each command would otherwise
    parse the project again, about 0.5 s with partial parsing."""
    # --no-write-json: the command that uses the parse writes manifest.json (a build's, with its
    # compiled SQL); written here too, the 2 MB file cost 0.1-0.2 s more.
    res = _invoke(paths, ["parse", "--no-write-json"])
    if not res.success:
        raise DbtBuildFailed(f"dbt parse failed: {res.exception or '(see the dbt log)'}")
    return res.result


def run_dbt(paths: Paths, args: Sequence[str], check: bool = True, manifest=None) -> DbtResult:
    """``dbt <args>`` on the warehouse of ``paths`` (with the project as ``parse`` returned it, if given);
    raises DbtBuildFailed (or DbtError) listing failures when ``check``."""
    res = _invoke(paths, args, manifest)
    failures, warnings = [], []
    if res.result is not None and hasattr(res.result, "results"):
        for r in res.result.results:
            status = str(getattr(r, "status", "")).lower()
            if status in _FAILED:
                failures.append(f"{r.node.unique_id}: {status}: {(r.message or '').strip()[:300]}")
            elif status == "warn":
                warnings.append(f"{r.node.name}: {(r.message or '').strip()[:300]}")
    if res.exception is not None:
        failures.append(str(res.exception))
    result = DbtResult(bool(res.success), failures, warnings)
    if check and not result.success:
        message = f"dbt {' '.join(args)} failed:\n  " + "\n  ".join(failures or ["(see the dbt log)"])
        transient = any(marker in f.lower() for f in failures for marker in _TRANSIENT)
        raise DbtError(message) if transient else DbtBuildFailed(message)
    return result
