"""The simulator's events as a Segment export: one JSON-lines file of track calls per day under
``<data dir>/exports/segment/``, instead of the landing's events feed.

So ``make test`` runs the whole pipeline through an importer (``opswh import --format segment``):
each simulated event becomes a track call with its name as ``event``, its id as ``messageId``,
its user and device as ``userId`` and ``anonymousId``, its times as ``timestamp`` and
``receivedAt`` (ISO 8601, UTC), its properties as ``properties``, and a visit's UTM fields also
as ``context.campaign``, where Segment's libraries put them.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb

from opswh.ingest.sql import literal, literal_list
from opswh.landing import partition_dir

_EVENT_COLUMNS = (
    "{'event_id': 'VARCHAR', 'user_id': 'VARCHAR', 'device_id': 'VARCHAR', 'event_type': 'VARCHAR', "
    "'event_at': 'VARCHAR', 'received_at': 'VARCHAR', 'properties': 'JSON'}"
)


def _utm(key: str) -> str:
    return f"json_extract_string(properties, '$.utm_{key}')"


_TRACK = f"""
    select
        'track' as type,
        event_type as event,
        user_id as userId,
        device_id as anonymousId,
        event_id as messageId,
        event_at as timestamp,
        received_at as receivedAt,
        properties,
        json_object(
            'library', json_object('name', 'opswh-simulator'),
            'campaign', case when {_utm("source")} is not null then json_object(
                'source', {_utm("source")}, 'medium', {_utm("medium")}, 'name', {_utm("campaign")}) end
        ) as context"""


def export_events(landing: Path, exports: Path, start: date, days: int) -> Path:
    """Move the simulated events of ``start`` and the ``days`` after it from the landing to a Segment
    export (``exports``/segment/<day>.jsonl, one file per delivered day); returns its folder."""
    out = exports / "segment"
    out.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        for d in range(days):
            day = start + timedelta(days=d)
            part = partition_dir(landing, "events", day)
            files = sorted(part.glob("part-*.jsonl"))
            if not files:
                raise FileNotFoundError(f"{part}: no JSON-lines events to export (events format must be jsonl)")
            rows = f"read_json({literal_list(files)}, format = 'newline_delimited', columns = {_EVENT_COLUMNS})"
            target = out / f"{day.isoformat()}.jsonl"
            con.execute(f"copy ({_TRACK} from {rows}) to {literal(target)} (format json)")
            shutil.rmtree(part)
    return out
