"""Print, as JSON, how platform_ops_daily is wired (its tasks' pools, retries and owners), as Airflow parses it.

python tests/scripts/dag_wiring.py DAGS_FOLDER
"""

import json
import sys

from airflow.models.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1])
dag = bag.dags["platform_ops_daily"]
tasks = {t.task_id: {"pool": t.pool, "retries": t.retries, "owner": t.owner} for t in dag.tasks}
print(
    json.dumps(
        {
            "errors": {k: str(v) for k, v in bag.import_errors.items()},
            "tasks": tasks,
            "max_active_runs": dag.max_active_runs,
            "catchup": dag.catchup,
            "tags": sorted(dag.tags),
            "doc": bool(dag.doc_md),
            "timetable": type(dag.timetable).__name__,
        }
    )
)
