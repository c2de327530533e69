"""LocalExecutor whose workers start with the pipeline's heavy libraries already imported.

Measured on the project's 2-core machine, importing Great Expectations takes about 8 s and
dbt about 4 s, in every task process: most of a small daily run. Airflow 3's LocalExecutor
forks its workers from the scheduler, and each worker forks its task processes
(``os.fork`` on Linux), so modules imported here, once, before the workers start, are
already loaded in every task. Set with ``AIRFLOW__CORE__EXECUTOR=opswh.airflow.executor.PreloadingLocalExecutor``.
"""

from __future__ import annotations

import logging
import os
import time

from airflow.executors.local_executor import LocalExecutor

log = logging.getLogger(__name__)


def preload() -> float:
    """Import what the tasks of platform_ops_daily use (Altair for the dashboards too); return the seconds it took."""
    started = time.perf_counter()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import altair  # noqa: F401
    import duckdb  # noqa: F401
    import great_expectations  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
    from dbt.adapters.duckdb import connections  # noqa: F401
    from dbt.cli.main import dbtRunner  # noqa: F401

    import opswh.dashboard.site  # noqa: F401
    import opswh.ingest  # noqa: F401
    import opswh.quality  # noqa: F401

    return time.perf_counter() - started


class PreloadingLocalExecutor(LocalExecutor):
    """LocalExecutor that imports GX, dbt and DuckDB before forking its workers."""

    def start(self) -> None:
        seconds = preload()
        log.info("preloaded duckdb, great_expectations and dbt in %.1f s", seconds)
        super().start()
