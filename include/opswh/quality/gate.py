"""Great Expectations between the steps: validate one stage's suites, one partition at a time.

GX 1.x has no working DuckDB SQL engine, so each partition is pulled from DuckDB as a DataFrame
and validated with GX's pandas data source; GX is imported once per stage. Each expectation
carries ``meta.severity``: ``critical`` stops the run before publishing, ``warning`` is recorded
and shown. What a suite reads is in ``opswh.quality.suites``.

Each validation's full GX result is kept as JSON under ``gx/results/<run>/<stage>/``, with the stage's
``_report.json`` (what failed, and how badly). GX's Data Docs are not built: their pages load their
scripts and styles from CDNs (blank offline) and copied megabytes of static files per run; the
dashboards' data-health page shows the findings instead, from the published snapshot's ``ops`` schema.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from opswh import config
from opswh.errors import PermanentError
from opswh.paths import Paths, safe_name
from opswh.quality.suites import load_suites, parameters, partition_sql


@dataclass
class Finding:
    suite: str
    partition: str
    expectation: str
    column: str | None
    severity: str
    observed: str

    def __str__(self) -> str:
        col = f" on {self.column}" if self.column else ""
        return f"[{self.severity}] {self.suite} {self.partition}: {self.expectation}{col}: {self.observed}"


@dataclass
class StageReport:
    stage: str
    validated: int = 0
    findings: list[Finding] = field(default_factory=list)
    results: str = ""  # the folder of the stage's GX results and _report.json

    @property
    def critical(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "critical"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "critical"]


class QualityGateError(PermanentError):
    """Critical expectations failed: the run must not publish."""


def validate_stage(
    paths: Paths, stage: str, days: list[date], run_id: str, suites: list[dict] | None = None
) -> StageReport:
    """Run every suite of ``stage`` (or the given ones) on each day's partition; raise QualityGateError
    on a critical failure."""
    import duckdb

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    settings = config.load(paths.root)
    report = StageReport(stage)
    out = paths.gx_dir / "results" / safe_name(run_id) / stage
    out.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
    report.results = str(out)
    source = ctx.data_sources.add_pandas("opswh")
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for doc in suites if suites is not None else load_suites(stage):
            meta = doc["meta"]
            suite = ExpectationSuite(name=doc["name"], meta=meta)
            for e in doc["expectations"]:
                suite.add_expectation_configuration(
                    ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta", {}))
                )
            batch = source.add_dataframe_asset(doc["name"]).add_batch_definition_whole_dataframe("partition")
            for d in days:
                df = con.execute(partition_sql(meta, d, settings)).df()
                # GX's Batch.validate, with no ValidationDefinition or Checkpoint around it: those store
                # the suite, themselves and every result in the context's stores (a quarter of GX's time
                # here) and run actions (there are none); the result is kept as JSON below instead.
                started = datetime.now(UTC).isoformat()
                result = batch.get_batch(batch_parameters={"dataframe": df}).validate(
                    suite, expectation_parameters=parameters(con, meta, d, settings), result_format="SUMMARY"
                )
                report.validated += 1
                saved = result.to_json_dict()
                saved["meta"] = {
                    **saved.get("meta", {}),
                    "run_id": {"run_name": f"{run_id} {doc['name']} {d}", "run_time": started},
                    "validation_time": started,
                }
                (out / f"{doc['name']}_{d}.json").write_text(json.dumps(saved, indent=1, default=str))
                for r in result.results:
                    if r.success:
                        continue
                    expectation = r.expectation_config
                    report.findings.append(
                        Finding(
                            doc["name"],
                            str(d),
                            expectation.type,
                            expectation.kwargs.get("column") or expectation.kwargs.get("column_A"),
                            expectation.meta.get("severity", "critical"),
                            describe(r.result, expectation, df)[:500],
                        )
                    )
    (out / "_report.json").write_text(
        json.dumps(
            {
                "run_id": run_id,
                "stage": stage,
                "validated": report.validated,
                "findings": [f.__dict__ for f in report.findings],
            },
            indent=1,
        )
    )
    if report.critical:
        raise QualityGateError(
            f"{len(report.critical)} critical expectation(s) failed in stage {stage}; nothing is published. "
            f"Results: {report.results}\n" + "\n".join(map(str, report.critical[:20]))
        )
    return report


def _plain(value):
    """numpy scalars and tuples as the Python values they are (``1``, not ``np.int64(1)``)."""
    if isinstance(value, tuple | list):
        return type(value)(_plain(v) for v in value)
    return value.item() if hasattr(value, "item") else value


def describe(result: dict, expectation, df) -> str:
    """What a failed expectation found, in plain words: the count and what it counts (``meta.notes``),
    the values named by ``meta.context``, or the unexpected values with their columns."""
    kwargs, notes = expectation.kwargs, expectation.meta.get("notes")
    observed = _plain(result.get("observed_value"))
    context = expectation.meta.get("context")
    named = f": {df[context].iloc[0]}" if context and context in df and len(df) else ""
    if observed is not None:
        return f"{observed} {notes}{named}" if notes else f"observed {observed}{named}"
    values = [_plain(v) for v in (result.get("partial_unexpected_list") or [])[:5]]
    if "column_A" in kwargs:
        values = [f"{kwargs['column_A']}={a}, {kwargs['column_B']}={b}" for a, b in values]
        where = f"{kwargs['column_A']} below {kwargs['column_B']}"
    else:
        where = f"unexpected {kwargs.get('column')}"
    count = result.get("unexpected_count")
    return (
        f"{count} rows with {where}"
        + (f" ({notes})" if notes else "")
        + (f", e.g. {'; '.join(map(str, values))}" if values else "")
    )
