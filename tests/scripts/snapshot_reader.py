"""A BI tool's view during a run: poll the published snapshot until STOP exists; record what it saw.

    python tests/scripts/snapshot_reader.py PUBLISHED STOP OUT

Writes OUT as JSON: every snapshot read (its as_of and the days of fct_kpi_daily) and every error.
"""

import json
import sys
import time
from pathlib import Path

import duckdb

published, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
seen, errors = [], []
while not stop.exists():
    if published.exists():
        try:
            with duckdb.connect(str(published), read_only=True) as con:
                as_of = json.loads(con.execute("select meta from _snapshot").fetchall()[0][0])["as_of"]
                days = [str(r[0]) for r in con.execute("select date_day from fct_kpi_daily order by 1").fetchall()]
            seen.append({"as_of": as_of, "days": days})
        except Exception as e:  # a reader must never meet one: the test asserts there are none
            errors.append(repr(e))
    time.sleep(0.05)
out.write_text(json.dumps({"seen": seen, "errors": errors}))
