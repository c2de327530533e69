"""Audience definitions: the shipped file, a team's additions, and predicates that cannot be used."""

from __future__ import annotations

import json

import pytest

from opswh import audiences
from opswh.audiences import AudienceError


def _team(root, text: str) -> None:
    (root / "operations").mkdir(exist_ok=True)
    (root / "operations" / "audiences.yml").write_text(text, encoding="utf-8")


def test_the_shipped_audiences_compile_against_the_profile_spans_contract(tmp_path) -> None:
    shipped = audiences.load(tmp_path)
    assert {a.name for a in shipped} >= {"win_back_high_value", "dormant_buyers", "loyal_champions"}
    assert all(a.file == str(audiences.SHIPPED) for a in shipped)
    assert {"user_state", "rfm_segment", "value_tier", "channel", "platform", "last_active_date"} <= set(
        audiences.span_columns()
    )


def test_a_team_file_adds_audiences_and_replaces_one_by_name(tmp_path) -> None:
    _team(
        tmp_path,
        """audiences:
  - name: dormant_buyers
    description: Our own take.
    predicate: user_state = 'dormant' and orders >= 2
  - name: ios_whales
    description: High-value iOS users.
    predicate: |
      platform = 'ios'
      and value_tier = 'high'
""",
    )
    by_name = {a.name: a for a in audiences.load(tmp_path)}
    assert by_name["dormant_buyers"].predicate == "user_state = 'dormant' and orders >= 2"
    assert by_name["ios_whales"].predicate == "platform = 'ios'\nand value_tier = 'high'"
    assert "win_back_high_value" in by_name


@pytest.mark.parametrize(
    ("predicate", "says"),
    [
        ("lifecycle = 'churned'", "does not compile"),
        ("user_state = 'churned' and", "does not compile"),
        ("orders + 1", "must be a boolean expression"),
        ("true); drop table marts.dim_users; select (true", "without ';'"),
        ("true -- and the rest", "without '--'"),
        ("exists (select 1 from marts.fct_orders)", "does not compile"),
    ],
)
def test_a_predicate_that_cannot_be_used_fails_with_the_audiences_name(tmp_path, predicate, says) -> None:
    _team(
        tmp_path, "audiences:\n  - name: broken_one\n    description: x\n    predicate: " + json.dumps(predicate) + "\n"
    )
    with pytest.raises(AudienceError) as e:
        audiences.load(tmp_path)
    assert "audience 'broken_one'" in str(e.value) and says in str(e.value)
    assert str(tmp_path / "operations" / "audiences.yml") in str(e.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("audiences:\n  - name: Bad-Name\n    description: x\n    predicate: 'true'\n", "lowercase identifier"),
        ("audiences:\n  - name: a\n    predicate: 'true'\n", "exactly name, description and predicate"),
        (
            "audiences:\n  - {name: a, description: x, predicate: 'true'}\n  - {name: a, description: y, predicate: 'true'}\n",
            "defined twice",
        ),
        ("audience: []\n", "expected one key"),
        ("audiences: [\n", "not valid YAML"),
    ],
)
def test_a_malformed_audience_file_names_the_file_and_the_entry(tmp_path, text, says) -> None:
    _team(tmp_path, text)
    with pytest.raises(AudienceError) as e:
        audiences.load(tmp_path)
    assert says in str(e.value) and "audiences.yml" in str(e.value)


def test_dbt_gets_the_audiences_and_a_broken_one_stops_the_build_before_dbt_runs(tmp_path) -> None:
    from opswh.dbt_runner import dbt_args
    from opswh.paths import Paths

    _team(tmp_path, "audiences:\n  - {name: ios_users, description: x, predicate: \"platform = 'ios'\"}\n")
    args = dbt_args(Paths(tmp_path), ["build"])
    passed = json.loads(args[args.index("--vars") + 1])["audiences"]
    assert {"name": "ios_users", "description": "x", "predicate": "platform = 'ios'"} in passed
    _team(tmp_path, "audiences:\n  - {name: ios_users, description: x, predicate: \"os = 'ios'\"}\n")
    with pytest.raises(AudienceError, match="audience 'ios_users'"):
        dbt_args(Paths(tmp_path), ["build"])
