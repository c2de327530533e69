"""KPI monitor definitions: which daily numbers to watch, by which rule, how severe a break is.

The project ships ``operations/monitors.yml``; a team adds monitors, or replaces one by name, in
``<data dir>/operations/monitors.yml``. dbt gets them as var ``kpi_monitors`` and evaluates them in
every build (``fct_kpi_monitor_checks``, ``fct_kpi_alerts``), from the marts' history.

A file is checked when it is read: the metric must be a numeric column of its table's dbt contract,
a dimension a column of it, the rule one of the known ones with its parameters; an error names the
file and the monitor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opswh.config import REPO_ROOT
from opswh.errors import PermanentError
from opswh.mart_contracts import mart_columns

SHIPPED = REPO_ROOT / "operations" / "monitors.yml"
# table -> the dimensions a monitor may split it by
TABLES = {"fct_kpi_daily": (), "fct_channel_daily": ("channel",), "fct_support_daily": ()}
SEVERITIES = ("warning", "critical")
# rule -> (required parameters, optional parameters); the history each needs is in `needed_history`
RULES = {
    "seasonal": ((), ("max_drop", "max_rise", "min_expected")),
    "robust_z": (("days",), ("threshold", "min_expected")),
    "bound": ((), ("min", "max")),
}
SEASONAL_WEEKS = 4
NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
NUMERIC = re.compile(r"(bigint|integer|int|hugeint|double|float|real|decimal.*|numeric.*)", re.I)


class MonitorError(PermanentError):
    """A monitor cannot be used; the message names the file and the monitor."""


@dataclass(frozen=True)
class Monitor:
    name: str
    metric: str
    table: str
    dimension: str | None
    severity: str
    rule: dict[str, Any]
    history_days: int
    file: str = field(compare=False)

    def as_var(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metric": self.metric,
            "table": self.table,
            "dimension": self.dimension,
            "severity": self.severity,
            "rule": self.rule,
            "history_days": self.history_days,
        }


def team_file(root: Path) -> Path:
    return Path(root) / "operations" / "monitors.yml"


def needed_history(rule: dict[str, Any]) -> int:
    """Days of history before a day the rule needs to say anything about it."""
    return {"seasonal": 7 * SEASONAL_WEEKS, "robust_z": rule.get("days", 0), "bound": 0}[rule["type"]]


def _number(where: str, key: str, value: Any, low: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or (low is not None and value < low):
        raise MonitorError(f"{where}.{key}: {value!r} must be a number" + (f" >= {low}" if low is not None else ""))
    return value


def _rule(where: str, rule: Any) -> dict[str, Any]:
    if not isinstance(rule, dict) or rule.get("type") not in RULES:
        raise MonitorError(f"{where}.rule: expected {{type: {' | '.join(RULES)}, ...}}")
    required, optional = RULES[rule["type"]]
    params = set(rule) - {"type"}
    unknown = sorted(params - set(required) - set(optional))
    if unknown or not set(required) <= params:
        raise MonitorError(
            f"{where}.rule: {rule['type']} takes {', '.join([*required, *optional])}"
            + (f" ({', '.join(required)} required)" if required else "")
        )
    if rule["type"] == "seasonal":
        if not params - {"min_expected"}:
            raise MonitorError(f"{where}.rule: seasonal needs max_drop or max_rise")
        for key in params:
            _number(where, f"rule.{key}", rule[key], 0)
        if "max_drop" in rule and rule["max_drop"] >= 1:
            raise MonitorError(f"{where}.rule.max_drop: {rule['max_drop']} must be below 1 (a share of the expected)")
    elif rule["type"] == "robust_z":
        days = rule["days"]
        if isinstance(days, bool) or not isinstance(days, int) or days < 5:
            raise MonitorError(f"{where}.rule.days: {days!r} must be a whole number of days >= 5")
        _number(where, "rule.threshold", rule.setdefault("threshold", 3.5), 0)
        if "min_expected" in rule:
            _number(where, "rule.min_expected", rule["min_expected"], 0)
    else:
        if not params:
            raise MonitorError(f"{where}.rule: bound needs min or max")
        for key in params:
            _number(where, f"rule.{key}", rule[key])
        if "min" in rule and "max" in rule and rule["min"] > rule["max"]:
            raise MonitorError(f"{where}.rule: min {rule['min']} is above max {rule['max']}")
    return dict(rule)


def _read(path: Path) -> list[Monitor]:
    from opswh.reviewed_files import entries

    out: list[Monitor] = []
    keys = {"name", "metric", "table", "dimension", "severity", "rule", "history_days"}
    for where, item in entries(path, "monitors", "{name, metric, severity, rule, ...}", MonitorError):
        if not isinstance(item, dict) or set(item) - keys or not {"name", "metric", "severity", "rule"} <= set(item):
            raise MonitorError(
                f"{where}: expected name, metric, severity and rule (table, dimension, history_days optional)"
            )
        name = item["name"]
        if not isinstance(name, str) or not NAME.fullmatch(name) or name in {m.name for m in out}:
            raise MonitorError(f"{where}.name: {name!r} must be a new lowercase identifier (a-z, 0-9, _)")
        where = f"{path}: monitor {name!r}"
        table = item.get("table", "fct_kpi_daily")
        if table not in TABLES:
            raise MonitorError(f"{where}: table {table!r} is not one of {', '.join(TABLES)}")
        columns = mart_columns(table)
        metric = item["metric"]
        if metric not in columns or not NUMERIC.fullmatch(str(columns[metric])):
            numeric = ", ".join(c for c, t in columns.items() if NUMERIC.fullmatch(str(t)))
            raise MonitorError(f"{where}: metric {metric!r} is not a numeric column of {table} ({numeric})")
        dimension = item.get("dimension")
        if dimension is not None and dimension not in TABLES[table]:
            allowed = ", ".join(TABLES[table]) or "none"
            raise MonitorError(f"{where}: dimension {dimension!r} of {table} is not one of: {allowed}")
        if item["severity"] not in SEVERITIES:
            raise MonitorError(f"{where}: severity {item['severity']!r} is not one of {', '.join(SEVERITIES)}")
        rule = _rule(where, item["rule"])
        history = item.get("history_days", needed_history(rule))
        if isinstance(history, bool) or not isinstance(history, int) or history < needed_history(rule):
            raise MonitorError(
                f"{where}: history_days {history!r} must be a whole number >= {needed_history(rule)} (what the rule needs)"
            )
        out.append(Monitor(name, metric, table, dimension, item["severity"], rule, history, str(path)))
    return out


def load(root: Path) -> list[Monitor]:
    """The monitors in force for a data directory: the shipped ones, then the team's (by name)."""
    monitors = {m.name: m for m in _read(SHIPPED)}
    own = team_file(root)
    if own.exists():
        monitors.update({m.name: m for m in _read(own)})
    return list(monitors.values())


def dbt_vars(root: Path) -> dict[str, Any]:
    """The monitors as dbt var ``kpi_monitors``."""
    return {"kpi_monitors": [m.as_var() for m in load(root)]}
