"""The Airflow pools the DAG uses, declared once in ``pools.json`` (the format of ``airflow pools import``).

The local services and the compose deployment both create them from that file; the DAG file
reads the writer pool's name from here.
"""

from __future__ import annotations

import json
from pathlib import Path

POOLS_FILE = Path(__file__).with_name("pools.json")
POOLS: dict[str, dict] = json.loads(POOLS_FILE.read_text(encoding="utf-8"))
# The project declares one pool: the one slot that serialises every writer of the DuckDB file.
(WRITER_POOL,) = POOLS
