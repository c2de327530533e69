"""Run platform_ops_daily in-process with ``dag.test``, one run per argument, and print each run's state.

    python tests/scripts/run_days.py DAGS_FOLDER 2026-09-01 2026-09-02..2026-09-05 ...

An argument is a day or a range START..END (one run covering the range). Prints ``STATE <arg> <state>``.
"""

import sys

from airflow.models.dagbag import DagBag

dag = DagBag(dag_folder=sys.argv[1]).dags["platform_ops_daily"]
for arg in sys.argv[2:]:
    start, _, end = arg.partition("..")
    run = dag.test(run_conf={"start": start, "end": end or start})
    print("STATE", arg, run.state, flush=True)
