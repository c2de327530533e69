"""Great Expectations between the steps: validate one stage's suites, one partition at a time.

Suites are reviewed JSON in ``expectations/suites/`` (GX's suite format plus, in ``meta``, the
stage they guard and what they read: a ``table`` and its ``partition_column``, or a ``query``
with the tokens ``$day``, ``$upper`` (the end of the day plus clock skew, UTC), ``$launch`` and
``$tz``). A suite with ``meta.volume`` gets the parameters ``volume_min`` and ``volume_max``:
a band around the median row count of the previous days' partitions (a volume anomaly check). GX 1.x has no working DuckDB SQL
engine, so each partition is pulled from DuckDB as a DataFrame and validated with GX's pandas
data source; GX is imported once per stage. Each expectation carries ``meta.severity``:
``critical`` stops the run before publishing, ``warning`` is recorded and shown.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import date

from opswh.settings import REPO_ROOT, Paths

SUITES_DIR = REPO_ROOT / "expectations" / "suites"


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
    results_dir: str = ""
    data_docs: str = ""

    @property
    def critical(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "critical"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "critical"]


class QualityGateError(RuntimeError):
    """Critical expectations failed: the run must not publish."""


def load_suites(stage: str) -> list[dict]:
    suites = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(SUITES_DIR.glob("*.json"))]
    return [s for s in suites if s["meta"]["stage"] == stage]


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

    report = StageReport(stage)
    out = paths.gx_dir / "results" / _safe(run_id) / stage
    out.mkdir(parents=True, exist_ok=True)
    report.results_dir = str(out)
    docs = paths.gx_dir / "data_docs" / _safe(run_id) / stage
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
    ctx.add_data_docs_site(
        site_name="opswh",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    report.data_docs = str(docs / "index.html")
    source = ctx.data_sources.add_pandas("opswh")
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for doc in suites if suites is not None else load_suites(stage):
            meta = doc["meta"]
            suite = ExpectationSuite(name=doc["name"], meta=meta)
            for e in doc["expectations"]:
                suite.add_expectation_configuration(
                    ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta", {}))
                )
            suite = ctx.suites.add(suite)
            batch = source.add_dataframe_asset(doc["name"]).add_batch_definition_whole_dataframe("partition")
            definition = ctx.validation_definitions.add(
                gx.ValidationDefinition(data=batch, suite=suite, name=doc["name"])
            )
            checkpoint = ctx.checkpoints.add(
                gx.Checkpoint(
                    name=doc["name"],
                    validation_definitions=[definition],
                    result_format="SUMMARY",
                )
            )
            for d in days:
                df = con.execute(_partition_sql(meta, d)).df()
                run = checkpoint.run(
                    batch_parameters={"dataframe": df},
                    expectation_parameters=_parameters(con, meta, d),
                    run_id=gx.RunIdentifier(run_name=f"{run_id} {doc['name']} {d}"),
                )
                result = next(iter(run.run_results.values()))
                report.validated += 1
                (out / f"{doc['name']}_{d}.json").write_text(json.dumps(result.to_json_dict(), indent=1, default=str))
                for r in result.results:
                    if r.success:
                        continue
                    cfg = r.expectation_config
                    observed = r.result.get("observed_value")
                    if observed is None:
                        observed = (
                            f"{r.result.get('unexpected_count')} unexpected, e.g. "
                            f"{r.result.get('partial_unexpected_list', [])[:5]}"
                        )
                    report.findings.append(
                        Finding(
                            doc["name"],
                            str(d),
                            cfg.type,
                            cfg.kwargs.get("column"),
                            cfg.meta.get("severity", "critical"),
                            str(observed)[:300],
                        )
                    )
    ctx.build_data_docs(site_names=["opswh"])  # once per stage: the index is rebuilt on every build
    (out / "_report.json").write_text(
        json.dumps(
            {
                "stage": stage,
                "validated": report.validated,
                "data_docs": report.data_docs,
                "findings": [f.__dict__ for f in report.findings],
            },
            indent=1,
        )
    )
    if report.critical:
        raise QualityGateError(
            f"{len(report.critical)} critical expectation(s) failed in stage {stage}; nothing is published. "
            f"Data Docs: {report.data_docs}\n" + "\n".join(map(str, report.critical[:20]))
        )
    return report


def _partition_sql(meta: dict, d: date) -> str:
    """The rows a suite validates for day ``d``."""
    from opswh.settings import FUTURE_SKEW, LAUNCH_DATE, REPORTING_TZ, day_bounds_utc

    if "query" in meta:
        upper = (day_bounds_utc(d)[1] + FUTURE_SKEW).isoformat(sep=" ")
        return (
            meta["query"]
            .replace("$day", f"date '{d}'")
            .replace("$upper", f"timestamp '{upper}'")
            .replace("$launch", f"timestamp '{LAUNCH_DATE}'")
            .replace("$tz", f"'{REPORTING_TZ}'")
        )
    return f"select * from {meta['table']} where {meta['partition_column']} = date '{d}'"


def _parameters(con, meta: dict, d: date) -> dict:
    """Suite parameters for day ``d``: the volume band learned from the previous days."""
    volume = meta.get("volume")
    if not volume:
        return {}
    rows = con.execute(
        f"select count(*) from {meta['table']} where {meta['partition_column']} >= date '{d}' - ? "
        f"and {meta['partition_column']} < date '{d}' group by {meta['partition_column']}",
        [volume.get("lookback_days", 7)],
    ).fetchall()
    if len(rows) < volume.get("min_history", 3):
        return {"volume_min": 0, "volume_max": 10**15}  # not enough history to learn a band yet
    median = sorted(r[0] for r in rows)[len(rows) // 2]
    return {"volume_min": int(median * volume.get("low", 0.5)), "volume_max": int(median * volume.get("high", 2.0)) + 1}


def _safe(s: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in s)
