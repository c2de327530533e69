"""One pipeline stage in its own process, for the reliability suite to SIGKILL mid-work.

    python tests/scripts/stage.py STAGE DATA_DIR START END      (STAGE: load, build or publish)

Prints ``ready`` once imported (the killer's clock starts then) and ``done <seconds>`` at the end.
"""

import os
import sys
import time
from datetime import date
from pathlib import Path

stage, root, start, end = (
    sys.argv[1],
    Path(sys.argv[2]),
    date.fromisoformat(sys.argv[3]),
    date.fromisoformat(sys.argv[4]),
)
os.environ["OPSWH_DATA_DIR"] = str(root)

from opswh.days import DayRange  # noqa: E402
from opswh.paths import Paths  # noqa: E402
from opswh.pipeline import dbt_build, load_sources, publish  # noqa: E402

if stage == "build":
    import dbt.cli.main  # noqa: E402, F401 - imported before "ready": the kill lands in the build, not in imports

paths, days = Paths(root), DayRange(start, end)
print("ready", flush=True)
t = time.perf_counter()
if stage == "load":
    load_sources(paths, days, run_id="stage")
elif stage == "build":
    dbt_build(paths, days, run_id="stage")
elif stage == "publish":
    publish(paths, days, "stage")
else:
    raise SystemExit(f"unknown stage {stage!r}")
print(f"done {time.perf_counter() - t:.3f}", flush=True)
