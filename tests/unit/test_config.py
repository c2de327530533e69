"""One configuration: one precedence, clear errors, and no other reader of the environment."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import yaml
from typer.testing import CliRunner

from opswh import config
from opswh.cli import app
from opswh.config import REPO_ROOT


def test_environment_wins_over_the_file_which_wins_over_the_default(tmp_path) -> None:
    (tmp_path / "opswh.json").write_text(json.dumps({"reporting_tz": "UTC", "lookback_days": 5}))
    cfg = config.load(tmp_path, environ={"OPSWH_LOOKBACK_DAYS": "9"})
    assert (cfg.reporting_tz, cfg.lookback_days, cfg.launch_date) == ("UTC", 9, date(2020, 1, 1))
    assert cfg.sources["lookback_days"] == "environment OPSWH_LOOKBACK_DAYS"
    assert cfg.sources["reporting_tz"] == "opswh.json"
    assert cfg.sources["launch_date"] == "default"


def test_every_setting_has_its_opswh_variable_and_a_typed_default() -> None:
    names = {s.env for s in config.SETTINGS}
    # the names the project documented before there was one configuration
    assert {"OPSWH_DATA_DIR", "OPSWH_REPORTING_TZ", "OPSWH_LAUNCH_DATE", "OPSWH_SCHEDULE_START"} <= names
    assert {"OPSWH_LANDING_TIMEOUT_S", "OPSWH_AIRFLOW_PORT", "OPSWH_EXECUTOR", "OPSWH_ENGINE"} <= names
    cfg = config.load(REPO_ROOT / "nowhere", environ={})
    assert isinstance(cfg.max_reject_share, float) and isinstance(cfg.min_rejects, int)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OPSWH_REPORTING_TZ": "Mars/Olympus"}, "OPSWH_REPORTING_TZ: 'Mars/Olympus' is not a valid reporting_tz"),
        ({"OPSWH_LOOKBACK_DAYS": "three"}, "expected a whole number"),
        ({"OPSWH_MAX_REJECT_SHARE": "5"}, "between 0 and 1"),
        ({"OPSWH_REPORTING_CURRENCY": "yuan"}, "ISO 4217"),
        ({"OPSWH_SCHEDULE_START": "2026-02-30"}, "YYYY-MM-DD"),
        ({"OPSWH_DBT_VARS": "[1]"}, "JSON object"),
    ],
)
def test_a_bad_value_names_the_setting_and_where_it_came_from(tmp_path, env, message) -> None:
    with pytest.raises(config.ConfigError, match=re.escape(message)):
        config.load(tmp_path, environ=env)


def test_a_bad_file_names_the_file_and_the_key(tmp_path) -> None:
    (tmp_path / "opswh.json").write_text(json.dumps({"reporting_tz": "UTC", "lookbak_days": 3}))
    with pytest.raises(config.ConfigError, match="unknown setting.*lookbak_days"):
        config.load(tmp_path, environ={})
    (tmp_path / "opswh.json").write_text(json.dumps({"min_rejects": -1}))
    with pytest.raises(config.ConfigError, match=r"opswh.json key 'min_rejects'"):
        config.load(tmp_path, environ={})


def test_opswh_config_prints_each_value_and_its_source(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPSWH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPSWH_AIRFLOW_PORT", "8123")
    monkeypatch.setenv("OPSWH_AIRFLOW_PASSWORD", "s3cret")
    r = CliRunner().invoke(app, ["config", "--set", "reporting_tz=UTC"])
    assert r.exit_code == 0, r.output
    lines = {line.split()[1]: line for line in r.output.splitlines() if line.startswith("│")}
    assert "8123" in lines["airflow_port"] and "environment OPSWH_AIRFLOW_PORT" in lines["airflow_port"]
    assert "UTC" in lines["reporting_tz"] and "opswh.json" in lines["reporting_tz"]
    assert "default" in lines["launch_date"]
    assert "s3cret" not in r.output  # secrets are masked
    assert json.loads((tmp_path / "opswh.json").read_text()) == {"reporting_tz": "UTC"}
    r = CliRunner().invoke(app, ["config", "--set", "reporting_tz=Nowhere/Else"])
    assert r.exit_code != 0 and "not a valid reporting_tz" in r.output


def test_nothing_else_reads_the_environment() -> None:
    readers = re.compile(r"os\.environ\.get|os\.getenv|os\.environ\[|environ\.get\(")
    offenders = []
    for path in [*(REPO_ROOT / "include" / "opswh").rglob("*.py"), *(REPO_ROOT / "dags").glob("*.py")]:
        if path.name == "config.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if readers.search(line):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{n}: {line.strip()}")
    assert not offenders, "read settings through opswh.config:\n" + "\n".join(offenders)


def test_dbt_defaults_are_the_configuration_defaults() -> None:
    """dbt_project.yml keeps defaults for running dbt by hand; opswh always passes the configured values."""
    from opswh import audiences, mappings, monitors

    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    defaults = config.load(REPO_ROOT / "nowhere", environ={}).dbt_vars()
    assert {k: str(project["vars"][k]) for k in defaults} == {k: str(v) for k, v in defaults.items()}
    shipped = mappings.dbt_vars(REPO_ROOT / "nowhere")  # the shipped mappings, no team files
    assert {k: project["vars"][k] for k in shipped} == shipped
    assert project["vars"]["audiences"] == audiences.dbt_vars(REPO_ROOT / "nowhere")["audiences"]
    assert project["vars"]["kpi_monitors"] == monitors.dbt_vars(REPO_ROOT / "nowhere")["kpi_monitors"]


def test_dbt_gets_the_configured_values_and_the_metric_overrides(tmp_path) -> None:
    from opswh.dbt_runner import dbt_args
    from opswh.paths import Paths

    (tmp_path / "opswh.json").write_text(json.dumps({"reporting_tz": "UTC", "dbt_vars": {"dormant_after_days": 21}}))
    args = dbt_args(Paths(tmp_path), ["build"])
    passed = json.loads(args[args.index("--vars") + 1])
    assert passed["reporting_tz"] == "UTC" and passed["dormant_after_days"] == 21
    assert passed["warehouse_path"] == str(tmp_path / "warehouse" / "opswh.duckdb")
    assert args[args.index("--log-level-file") + 1] == "info"
    (tmp_path / "opswh.json").write_text(json.dumps({"dbt_log_level_file": "DEBUG"}))
    args = dbt_args(Paths(tmp_path), ["build"])
    assert args[args.index("--log-level-file") + 1] == "debug"
    (tmp_path / "opswh.json").write_text(json.dumps({"dbt_log_level_file": "verbose"}))
    with pytest.raises(config.ConfigError, match="dbt_log_level_file"):
        dbt_args(Paths(tmp_path), ["build"])


def test_the_compose_file_and_env_example_take_settings_by_their_names() -> None:
    compose = (REPO_ROOT / "docker-compose.yml").read_text()
    example = (REPO_ROOT / ".env.example").read_text()
    known = {s.env for s in config.SETTINGS}
    for text in (compose, example):
        for name in re.findall(r"\b(OPSWH_[A-Z_]+)\b", text):
            assert name in known, f"{name} is not a setting of opswh.config"


def test_the_readme_lists_every_setting() -> None:
    """The configuration table of the README names each setting (a new one must be documented)."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| setting | default | what |") :].split("\n\n")[0]
    missing = [s.name for s in config.SETTINGS if f"`{s.name}`" not in table]
    assert not missing, f"README's configuration table does not list {missing}"
