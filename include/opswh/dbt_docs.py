"""dbt's documentation site of the warehouse, one self-contained file (``dbt docs generate --static``).

Published after each publish, beside the dashboards that link to it, at ``<data dir>/dbt/docs/index.html``:
the models, their columns and descriptions, the tests and the lineage, readable offline (the static
page inlines the manifest and the catalog, so it needs no server).

The page is generated right after the build, in the build's process and with its parsed project
(``generate_docs``): the catalog reads the working warehouse (every relation's columns and types),
which no other process writes then. It is published with the dashboards (``publish_docs``), after the
marts are. A page older than the build's manifest (a build that did not generate one, or a failed
generate) is generated again then.
"""

from __future__ import annotations

import os
import time

from opswh.dbt_runner import DbtResult, run_dbt
from opswh.paths import Paths


def generate_docs(paths: Paths, manifest=None, check: bool = True) -> DbtResult:
    """``dbt docs generate --static`` into dbt's target folder (``static_index.html``)."""
    # --no-compile: the build just compiled every node, and its manifest (with the compiled SQL) is what
    # the page shows; compiling the project again cost 4-5 s.
    return run_dbt(paths, ["docs", "generate", "--static", "--no-compile"], check=check, manifest=manifest)


def publish_docs(paths: Paths) -> dict:
    """Copy the page of the last build beside the dashboards, generating it first if the build did not."""
    t = time.perf_counter()
    page = paths.dbt_target / "static_index.html"
    manifest = paths.dbt_target / "manifest.json"
    generated = not page.exists() or (manifest.exists() and page.stat().st_mtime < manifest.stat().st_mtime)
    if generated:
        generate_docs(paths)
    paths.dbt_docs.mkdir(parents=True, exist_ok=True)
    target = paths.dbt_docs / "index.html"
    tmp = target.with_name(f".index.{os.getpid()}.tmp")
    tmp.write_bytes(page.read_bytes())
    os.replace(tmp, target)
    return {"index": str(target), "generated": generated, "seconds": round(time.perf_counter() - t, 1)}
