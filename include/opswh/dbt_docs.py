"""dbt's documentation site of the warehouse, one self-contained file (``dbt docs generate --static``).

Built after each publish, beside the dashboards that link to it, at ``<data dir>/dbt/docs/index.html``:
the models, their columns and descriptions, the tests and the lineage, readable offline (the static
page inlines the manifest and the catalog, so it needs no server). The generate step reads the
working warehouse (the catalog: every relation's columns and types), which no other process writes
then: it runs inside the pipeline run, after publish.
"""

from __future__ import annotations

import os
import time

from opswh.dbt_runner import run_dbt
from opswh.paths import Paths


def generate_docs(paths: Paths) -> dict:
    t = time.perf_counter()
    # --no-compile: the build just compiled every node, and its compiled SQL is what the page shows;
    # compiling the project again cost 4-5 s of the dashboard stage.
    run_dbt(paths, ["docs", "generate", "--static", "--no-compile"])
    paths.dbt_docs.mkdir(parents=True, exist_ok=True)
    target = paths.dbt_docs / "index.html"
    tmp = target.with_name(f".index.{os.getpid()}.tmp")
    tmp.write_bytes((paths.dbt_target / "static_index.html").read_bytes())
    os.replace(tmp, target)
    return {"index": str(target), "seconds": round(time.perf_counter() - t, 1)}
