"""The one configuration: every setting of a deployment, typed, with one precedence.

Each setting is read, in this order, from

1. the environment (``OPSWH_<NAME>``; the names of ``SETTINGS`` below),
2. ``<data dir>/opswh.json`` (``{"reporting_tz": "UTC", ...}``; the key is the setting's name),
3. its default.

The data directory itself comes from ``OPSWH_DATA_DIR`` or the default (``./data`` of the
clone), since the file lives inside it. Nothing else in the package reads the environment:
the DAG, the CLI, the loader, the GX gate and dbt (through ``--vars``, see ``dbt_vars``) all
take their values from ``load()``. ``opswh config`` prints the effective values and where each
came from. This module is imported by the DAG file at parse time, so it stays light.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_ROOT = Path(__file__).resolve().parents[2]
FILE_NAME = "opswh.json"
ENGINES = ("duckdb", "spark")
LOG_LEVELS = ("debug", "info", "warn", "error", "none")


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names the setting and its source."""


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty text")
    return value.strip()


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise ValueError("expected a whole number")


def _non_negative_int(value: Any) -> int:
    n = _int(value)
    if n < 0:
        raise ValueError("expected a whole number >= 0")
    return n


def _positive_int(value: Any) -> int:
    n = _int(value)
    if n < 1:
        raise ValueError("expected a whole number >= 1")
    return n


def _share(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError("expected a number between 0 and 1") from None
    if not 0 <= x <= 1:
        raise ValueError("expected a number between 0 and 1")
    return x


def _positive_float(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError("expected a number > 0") from None
    if x <= 0:
        raise ValueError("expected a number > 0")
    return x


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError("expected a date, YYYY-MM-DD") from None


def _timezone(value: Any) -> str:
    name = _text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as Asia/Shanghai or UTC") from None
    return name


def _currency(value: Any) -> str:
    code = _text(value).upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("expected an ISO 4217 currency code such as CNY or USD")
    return code


def _port(value: Any) -> int:
    n = _int(value)
    if not 1 <= n <= 65535:
        raise ValueError("expected a TCP port, 1-65535")
    return n


def _engine(value: Any) -> str:
    name = _text(value).lower()
    if name not in ENGINES:
        raise ValueError(f"expected one of {', '.join(ENGINES)}")
    return name


def _spark_method(value: Any) -> str:
    name = _text(value).lower()
    if name not in ("session", "thrift"):
        raise ValueError("expected session or thrift")
    return name


def _log_level(value: Any) -> str:
    name = _text(value).lower()
    if name not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
    return name


def _path(value: Any) -> Path:
    return Path(_text(str(value))).expanduser().resolve()


def _json_object(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError('expected a JSON object such as {"dormant_after_days": 21}') from None
    if not isinstance(value, dict):
        raise ValueError('expected a JSON object such as {"dormant_after_days": 21}')
    return value


def _timezones(value: Any) -> dict[str, str]:
    zones = _json_object(value) if not isinstance(value, dict) else value
    for feed, zone in zones.items():
        try:
            _timezone(zone)
        except ValueError:
            raise ValueError(f"{feed}: {zone!r} is not an IANA time zone") from None
    return zones


def _emails(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and "@" in v for v in value):
        raise ValueError("expected e-mail addresses, e.g. ops@example.com,growth@example.com")
    return [v.strip() for v in value]


def _feed_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = (
            [v.strip() for v in value.split(",") if v.strip()]
            if not value.strip().startswith("[")
            else json.loads(value)
        )
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected feed names, e.g. ad_spend,merchant_billing")
    from opswh.contract import FEEDS_BY_NAME

    unknown = [v for v in value if v not in FEEDS_BY_NAME]
    if unknown:
        raise ValueError(f"unknown feed(s) {', '.join(unknown)}")
    return value


REVENUE_MODELS = ("marketplace", "retailer", "subscription")


def _revenue_model(value: Any) -> str:
    name = _text(value).lower()
    if name not in REVENUE_MODELS:
        raise ValueError(f"expected one of {', '.join(REVENUE_MODELS)}")
    return name


DASHBOARD_LANGS = ("zh", "en")


def _lang(value: Any) -> str:
    name = _text(value).lower()
    if name not in DASHBOARD_LANGS:
        raise ValueError(f"expected one of {', '.join(DASHBOARD_LANGS)}")
    return name


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse_or_none(value: Any) -> Any:
        return None if value is None or (isinstance(value, str) and not value.strip()) else parse(value)

    return parse_or_none


@dataclass(frozen=True)
class Setting:
    """One setting: its name (the key in opswh.json), how to read it, its default and what it means."""

    name: str
    parse: Callable[[Any], Any]
    default: Any
    help: str
    secret: bool = False

    @property
    def env(self) -> str:
        return "OPSWH_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", _path, REPO_ROOT / "data", "Where all state lives (environment or default only)."),
    Setting("reporting_tz", _timezone, "Asia/Shanghai", "IANA time zone whose midnight cuts reporting days."),
    Setting("reporting_currency", _currency, "CNY", "Currency every amount is reported in."),
    Setting("launch_date", _date, date(2020, 1, 1), "The platform's launch: earlier timestamps are rejected."),
    Setting(
        "schedule_start",
        _optional(_date),
        None,
        "First reporting day the daily schedule covers (unset: the day Airflow is first started).",
    ),
    Setting("lookback_days", _non_negative_int, 3, "Days an incremental dbt build recomputes before its newest day."),
    Setting("max_reject_share", _share, 0.05, "A load fails when it rejects more than this share of its rows ..."),
    Setting("min_rejects", _non_negative_int, 5, "... and more than this many rows."),
    Setting(
        "max_line_bytes",
        _positive_int,
        16 * 1024 * 1024,
        "Longest line (CSV row, JSON record) a load reads; a longer one is quarantined.",
    ),
    Setting(
        "max_file_bytes",
        _positive_int,
        16 * 1024**3,
        "Largest landed file a load reads; a larger one is refused (and so its partition).",
    ),
    Setting("landing_timeout_s", _non_negative_int, 6 * 3600, "Seconds a run waits for its landing markers."),
    Setting(
        "max_run_days",
        _positive_int,
        731,
        "Most reporting days one triggered run may cover (a longer history loads in several runs).",
    ),
    Setting(
        "gx_volume_lookback_days", _non_negative_int, 7, "GX volume band: partitions before the day it learns from."
    ),
    Setting("gx_volume_min_history", _non_negative_int, 3, "GX volume band: partitions needed before it applies."),
    Setting("gx_volume_low", _positive_float, 0.5, "GX volume band: lowest row count, as a share of the median."),
    Setting("gx_volume_high", _positive_float, 2.0, "GX volume band: highest row count, as a multiple of the median."),
    Setting("airflow_port", _port, 8080, "Port of the local Airflow api-server that `opswh` starts."),
    Setting("airflow_url", _optional(_text), None, "Airflow to talk to (unset: the local one on airflow_port)."),
    Setting("airflow_username", _optional(_text), None, "User for a remote Airflow's API (unset: the local admin)."),
    Setting("airflow_password", _optional(_text), None, "Its password (keep it in the environment).", secret=True),
    Setting(
        "executor",
        _text,
        "opswh.airflow.executor.PreloadingLocalExecutor",
        "Airflow executor of the local services.",
    ),
    Setting("engine", _engine, "duckdb", "Engine dbt builds the marts on: duckdb (embedded) or spark (dbt-spark)."),
    Setting(
        "spark_method",
        _spark_method,
        "session",
        "How the spark engine reaches Spark: session (in-process pyspark, local) or thrift (a cluster's Thrift server).",
    ),
    Setting("spark_host", _text, "localhost", "Host of the Spark Thrift server (spark_method thrift)."),
    Setting("spark_port", _port, 10000, "Its port."),
    Setting(
        "dbt_log_level_file",
        _log_level,
        "info",
        "Level of dbt's file log, logs/dbt/dbt.log: info, or debug for every statement (a small build about 13% slower).",
    ),
    Setting(
        "source_timezones",
        _timezones,
        {},
        'Time zone of each feed\'s naive timestamps, e.g. {"events": "America/New_York"} (unlisted: UTC).',
    ),
    Setting(
        "absent_feeds",
        _feed_list,
        [],
        "Feeds this deployment does not have: never waited for, loaded or warned about; marts say NULL.",
    ),
    Setting(
        "revenue_model",
        _revenue_model,
        "marketplace",
        "What platform revenue means: marketplace (commission, fees, ads, services, membership), "
        "retailer (net revenue of own sales) or subscription (membership).",
    ),
    Setting("dbt_vars", _json_object, {}, "Overrides of the dbt vars that define metrics (windows, thresholds)."),
    Setting("dashboard_lang", _lang, "zh", "Language of the dashboards' labels: zh (Simplified Chinese) or en."),
    Setting("dashboard_port", _port, 8501, "Port `opswh dashboard` serves the dashboards on (localhost)."),
    Setting("alert_email_to", _emails, [], "Who gets KPI alerts and failed-run notices by e-mail (unset: no e-mail)."),
    Setting("alert_email_from", _text, "opswh@localhost", "Sender of those e-mails."),
    Setting(
        "alert_smtp_conn_id",
        _text,
        "opswh_smtp",
        "Airflow connection of the SMTP server (host, port, login; e.g. env AIRFLOW_CONN_OPSWH_SMTP).",
    ),
    Setting(
        "alert_webhook_conn_id",
        _optional(_text),
        None,
        "Airflow HTTP connection KPI alerts and failed-run notices are POSTed to as JSON (unset: none).",
    ),
    Setting("alert_webhook_endpoint", _optional(_text), None, "Path on that connection's host to POST to."),
)
SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    """The effective settings of one data directory, and where each came from."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def file(self) -> Path:
        return self.values["data_dir"] / FILE_NAME

    @property
    def paths(self):  # -> opswh.paths.Paths (imported here: paths imports nothing heavy either)
        from opswh.paths import Paths

        return Paths(self.values["data_dir"])

    @property
    def api_url(self) -> str:
        return self.values["airflow_url"] or f"http://127.0.0.1:{self.values['airflow_port']}"

    def dbt_vars(self) -> dict[str, Any]:
        """The vars every dbt invocation gets: this configuration's, then the metric overrides."""
        return {
            "reporting_tz": self.reporting_tz,
            "reporting_currency": self.reporting_currency,
            "launch_date": self.launch_date.isoformat(),
            "lookback_days": self.lookback_days,
            "revenue_model": self.revenue_model,
            "absent_feeds": list(self.absent_feeds),
            **self.values["dbt_vars"],
        }

    def describe(self) -> list[tuple[str, str, str]]:
        """(setting, value as text, source) for ``opswh config``; secrets are masked."""
        out = []
        for s in SETTINGS:
            value = self.values[s.name]
            shown = "(unset)" if value is None else ("********" if s.secret else _show(value))
            out.append((s.name, shown, self.sources[s.name]))
        return out


def _show(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value.isoformat() if isinstance(value, date) else str(value)


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The data directory: ``OPSWH_DATA_DIR`` or the clone's ``data/``."""
    env = os.environ if environ is None else environ
    setting = SETTINGS_BY_NAME["data_dir"]
    return _parse(setting, env[setting.env], f"environment {setting.env}") if env.get(setting.env) else setting.default


def load(root: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """The configuration of the data directory ``root`` (default: ``data_dir()``)."""
    env = os.environ if environ is None else environ
    if root is None:
        root, source = data_dir(env), ("environment OPSWH_DATA_DIR" if env.get("OPSWH_DATA_DIR") else "default")
    else:
        root, source = Path(root).resolve(), "the caller's data directory"
    path = root / FILE_NAME
    doc = read_file(path)
    unknown = sorted(set(doc) - set(SETTINGS_BY_NAME) - {"data_dir"})
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(SETTINGS_BY_NAME)}")
    values: dict[str, Any] = {"data_dir": root}
    sources: dict[str, str] = {"data_dir": source}
    for s in SETTINGS[1:]:
        if env.get(s.env, "") != "":
            values[s.name], sources[s.name] = _parse(s, env[s.env], f"environment {s.env}"), f"environment {s.env}"
        elif s.name in doc:
            values[s.name], sources[s.name] = _parse(s, doc[s.name], f"{path} key {s.name!r}"), FILE_NAME
        else:
            values[s.name], sources[s.name] = s.default, "default"
    return Config(values, sources)


def _parse(setting: Setting, raw: Any, where: str) -> Any:
    try:
        return setting.parse(raw)
    except ValueError as e:
        raise ConfigError(f"{where}: {raw!r} is not a valid {setting.name}: {e}.") from None


def read_file(path: Path) -> dict[str, Any]:
    """The settings stored in ``<data dir>/opswh.json`` (empty when there is no file)."""
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise ConfigError(f"{path}: not valid JSON ({e}); expected an object of settings") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a JSON object of settings")
    return doc


def store(root: Path, **settings: Any) -> None:
    """Write settings into ``<root>/opswh.json`` (kept: the other keys of the file)."""
    path = Path(root) / FILE_NAME
    doc = read_file(path)
    for name, value in settings.items():
        setting = SETTINGS_BY_NAME[name]
        _parse(setting, value, f"{name}={value!r}")
        doc[name] = value.isoformat() if isinstance(value, date) else value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
