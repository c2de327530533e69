"""A BI tool's view during a run: poll the published snapshot until STOP exists; record what it saw.

    python tests/scripts/snapshot_reader.py PUBLISHED STOP OUT

PUBLISHED is ``published/marts.duckdb``; its sibling ``parquet/`` (the same snapshot as Parquet) is
read too, through the version folder the link points at when the read starts. Writes OUT as JSON:
every snapshot read (how, its as_of and the days of fct_kpi_daily) and every error.
"""

import json
import os
import sys
import time
from pathlib import Path

import duckdb

published, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
parquet = published.with_name("parquet")
seen, errors = [], []
while not stop.exists():
    if published.exists():
        try:
            with duckdb.connect(str(published), read_only=True) as con:
                as_of = json.loads(con.execute("select meta from _snapshot").fetchall()[0][0])["as_of"]
                days = [str(r[0]) for r in con.execute("select date_day from fct_kpi_daily order by 1").fetchall()]
            seen.append({"via": "duckdb", "as_of": as_of, "days": days})
        except Exception as e:  # a reader must never meet one: the test asserts there are none
            errors.append(repr(e))
    if parquet.exists():
        try:
            version = Path(os.path.realpath(parquet))
            with duckdb.connect() as con:
                meta = con.execute(f"select meta from read_parquet('{version / '_snapshot.parquet'}')").fetchone()[0]
                kpi = version / "fct_kpi_daily.parquet"
                days = [str(r[0]) for r in con.execute(f"select date_day from '{kpi}' order by 1").fetchall()]
            seen.append({"via": "parquet", "as_of": json.loads(meta)["as_of"], "days": days})
        except Exception as e:
            errors.append(repr(e))
    time.sleep(0.05)
out.write_text(json.dumps({"seen": seen, "errors": errors}))
