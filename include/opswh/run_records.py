"""The pipeline's own records as rows: run summaries and quality reports, for the snapshot's ``ops`` schema.

Each run writes a JSON summary (``<data dir>/runs/``) and one report per quality stage
(``<data dir>/gx/results/<run>/<stage>/_report.json``, failed validations included). Publish turns
the newest of them into ``ops.runs``, ``ops.validations`` and ``ops.findings`` of the snapshot,
beside the loader's reconciliation (dbt's ``ops_*`` models), so the data-health page and BI tools
read the pipeline's health from the published snapshot, never from the working warehouse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opswh.paths import Paths

RUNS_KEPT = 60  # the newest runs (and their stages' reports) a snapshot carries


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class RecordTable:
    name: str
    description: str
    columns: tuple[Column, ...]


RUNS = RecordTable(
    "runs",
    "One row per pipeline run that published (the newest first; this snapshot's own run included): "
    "its days, what it loaded, what its checks found and what its build changed.",
    (
        Column("run_id", "varchar", "The pipeline run (Airflow's run id)."),
        Column("first_day", "date", "First reporting day of the run."),
        Column("last_day", "date", "Last reporting day of the run."),
        Column("rows_landed", "bigint", "Records the run's loads found in the landing files."),
        Column("rows_loaded", "bigint", "Of those, records loaded into raw."),
        Column("rows_rejected", "bigint", "Of those, records quarantined (ops.ops_rejects)."),
        Column("rows_deduplicated", "bigint", "Of those, records of byte-identical re-delivered files, skipped."),
        Column("partitions_loaded", "bigint", "Feed partitions the run loaded."),
        Column("raw_validations", "bigint", "Quality suites run on the raw partitions."),
        Column("raw_warnings", "bigint", "Warnings they raised (criticals stop a run, so a published run has none)."),
        Column("marts_validations", "bigint", "Quality suites run on the marts."),
        Column("marts_warnings", "bigint", "Warnings they raised."),
        Column("changed_days", "varchar", "The reporting days the run's dbt build changed."),
        Column("full_refresh", "boolean", "Whether the build was a full refresh."),
        Column("dbt_seconds", "double", "Duration of the dbt stage (source freshness and build), seconds."),
        Column(
            "recorded_at", "timestamptz", "When the run's summary was written (its publish, for this snapshot's run)."
        ),
    ),
)

VALIDATIONS = RecordTable(
    "validations",
    "One row per quality stage (raw, marts) of the newest runs, passed or failed: how many suites ran "
    "and what failed. A run whose critical checks failed published nothing, and is here all the same.",
    (
        Column("run_id", "varchar", "The pipeline run."),
        Column("stage", "varchar", "raw (the landed partitions) or marts."),
        Column("validated", "bigint", "Suites run (one per table and day)."),
        Column("critical_failures", "bigint", "Failed critical expectations: the run stopped and published nothing."),
        Column("warnings", "bigint", "Failed warning expectations: reported, the run went on."),
        Column("passed", "boolean", "No critical expectation failed."),
        Column("recorded_at", "timestamptz", "When the stage's report was written."),
    ),
)

FINDINGS = RecordTable(
    "findings",
    "One row per failed expectation of the stages in ops.validations: the suite, day, column and what was observed.",
    (
        Column("run_id", "varchar", "The pipeline run."),
        Column("stage", "varchar", "raw or marts."),
        Column("severity", "varchar", "critical (stops the run) or warning."),
        Column("suite", "varchar", "The expectation suite (expectations/)."),
        Column("partition_day", "varchar", "The reporting day validated."),
        Column("expectation", "varchar", "The expectation that failed."),
        Column("column_name", "varchar", "The column it checks; NULL for a table-level expectation."),
        Column("observed", "varchar", "What was observed instead."),
    ),
)

TABLES = (RUNS, VALIDATIONS, FINDINGS)


def run_summary(run_id: str, first_day: str, last_day: str, stages: dict[str, Any]) -> dict[str, Any]:
    """The run summary's content: the file under runs/, and this snapshot's own row in ops.runs."""
    return {"run_id": run_id, "start": first_day, "end": last_day, **stages}


def _run_row(summary: dict[str, Any], recorded_at: datetime) -> tuple:
    loads = (summary.get("load") or {}).values()
    raw = summary.get("validate_raw") or {}
    marts = summary.get("validate_marts") or {}
    built = summary.get("dbt") or {}

    def total(key: str) -> int:
        return sum(int(x.get(key) or 0) for x in loads)

    return (
        summary["run_id"],
        summary["start"],
        summary["end"],
        total("landed"),
        total("loaded"),
        total("rejected"),
        total("deduplicated"),
        total("partitions"),
        raw.get("validated"),
        len(raw.get("warnings") or []) if raw else None,
        marts.get("validated"),
        len(marts.get("warnings") or []) if marts else None,
        built.get("changed_days"),
        built.get("full_refresh"),
        built.get("seconds"),
        recorded_at,
    )


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def run_rows(paths: Paths, current: dict[str, Any] | None = None) -> list[tuple]:
    """ops.runs: the newest run summaries, and ``current`` (the publishing run's summary) first."""
    rows = [_run_row(current, datetime.now(UTC))] if current else []
    seen = {current["run_id"]} if current else set()
    for path in sorted(paths.runs.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True):
        if len(rows) >= RUNS_KEPT:
            break
        summary = json.loads(path.read_text())
        if summary.get("run_id") in seen:
            continue
        seen.add(summary["run_id"])
        rows.append(_run_row(summary, _mtime(path)))
    return rows


def validation_rows(paths: Paths) -> tuple[list[tuple], list[tuple]]:
    """ops.validations and ops.findings: the reports of the newest runs' quality stages."""
    reports = sorted((paths.gx_dir / "results").glob("*/*/_report.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    runs: list[str] = []
    validations, findings = [], []
    for path in reports:
        report = json.loads(path.read_text())
        run_id = report.get("run_id") or path.parent.parent.name
        if run_id not in runs:
            if len(runs) >= RUNS_KEPT:
                continue
            runs.append(run_id)
        stage = report.get("stage") or path.parent.name
        found = report.get("findings") or []
        critical = sum(f["severity"] == "critical" for f in found)
        validations.append(
            (run_id, stage, report.get("validated", 0), critical, len(found) - critical, critical == 0, _mtime(path))
        )
        findings += [
            (run_id, stage, f["severity"], f["suite"], f["partition"], f["expectation"], f["column"], f["observed"])
            for f in found
        ]
    return validations, findings
