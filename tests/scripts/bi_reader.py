"""Read the published snapshot the way a BI tool does: SQLAlchemy through duckdb-engine, with an
older DuckDB. Run by tests/integration/test_published_snapshot.py in an isolated environment
(deploy/superset/requirements.txt), never the project's venv; prints what it found as JSON."""

import json
import sys

import duckdb
import sqlalchemy as sa

uri, mart = sys.argv[1], sys.argv[2]
engine = sa.create_engine(uri)
inspector = sa.inspect(engine)
found = {"duckdb": duckdb.__version__, "sqlalchemy": sa.__version__, "schemas": {}}
for schema in ("main", "ops"):
    found["schemas"][schema] = {
        table: {
            "comment": inspector.get_table_comment(table, schema=schema)["text"],
            "columns": {c["name"]: c.get("comment") for c in inspector.get_columns(table, schema=schema)},
        }
        for table in inspector.get_table_names(schema=schema)
    }
with engine.connect() as con:
    found["rows"] = [list(map(str, r)) for r in con.execute(sa.text(f"select * from {mart} order by 1")).fetchall()]
    try:
        con.execute(sa.text(f"delete from {mart}"))
        found["write"] = "allowed"
    except Exception as e:  # noqa: BLE001 - what the driver says is the point
        found["write"] = type(e).__name__ + ": " + str(e).splitlines()[0]
print(json.dumps(found))
