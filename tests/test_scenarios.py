"""Runs every scenario file in tests/scenarios/ against the policy it names.

A scenario states the inputs, the clause it checks and the verdict expected; this
collector is the only Python involved, so a new policy year is a new TOML file. A file
may name an ``overlay`` (a path relative to it) merged onto its policy: another reading
of a clause, as a policy author would write it.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import ce_rules as ce

SCENARIOS = Path(__file__).parent / "scenarios"
PERSON_ID = "370102198001011234"


def _policy(path: Path, data: dict[str, Any]) -> ce.Policy:
    policy = ce.policy_by_id(data["policy"])
    if "overlay" in data:
        policy = ce.merge_overlay(policy, ce.load_policy(path.parent / data["overlay"]))
    return policy


def _load() -> list[Any]:
    cases = []
    for path in sorted(SCENARIOS.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        policy = _policy(path, data)
        for scenario in data["scenario"]:
            cases.append(
                pytest.param(
                    policy,
                    data["year"],
                    scenario,
                    id=f"{path.stem}: {scenario['name']} [{scenario['clause']}]",
                )
            )
    return cases


def _course(spec: dict[str, Any], position: int) -> ce.Course:
    spec = dict(spec)
    spec.setdefault("id", f"C-{position}")
    spec.setdefault("title", f"课程 {spec['id']}")
    spec.setdefault("hours", "10")
    spec.setdefault("mode", "offline")
    return ce.Course.model_validate(spec)


def _entries(specs: list[dict[str, Any]]) -> list[ce.CreditEntry]:
    entries = []
    for position, spec in enumerate(specs, start=1):
        spec = dict(spec)
        repeat = spec.pop("repeat", 1)
        distinct_days = spec.pop("distinct_days", False)
        course = _course(spec.pop("course"), position)
        spec.setdefault("person_id", PERSON_ID)
        first_day = spec.pop(
            "completed_on", date(2024, 1, 1) if distinct_days else date(2024, 5, 1)
        )
        for number in range(repeat):
            day = first_day + timedelta(days=number) if distinct_days else first_day
            entries.append(
                ce.CreditEntry.model_validate({**spec, "course": course, "completed_on": day})
            )
    return entries


def _dec(values: list[str]) -> list[Decimal]:
    return [Decimal(v) for v in values]


@pytest.mark.parametrize(("policy", "year", "scenario"), _load())
def test_scenario(policy: ce.Policy, year: int, scenario: dict[str, Any]) -> None:
    """The verdict for the scenario's inputs is the one the scenario expects."""
    person = ce.Person.model_validate(
        {"id": PERSON_ID, "unit": "provincial", **scenario.get("person", {})}
    )
    entries = _entries(scenario.get("entries", []))
    verdict = ce.evaluate(person, entries, year=year, policy=policy, as_of=scenario.get("as_of"))
    expect = scenario["expect"]

    assert len(verdict.entries) == len(entries)
    if "status" in expect:
        assert verdict.status == expect["status"]
        assert verdict.compliant == (expect["status"] == "compliant")
    if "certificate_eligible" in expect:
        assert verdict.certificate_eligible is expect["certificate_eligible"]
    if "reasons" in expect:
        assert [d.reason.value for d in verdict.entries] == expect["reasons"]
    if "credited" in expect:
        assert [d.credited_hours for d in verdict.entries] == _dec(expect["credited"])
    if "factors" in expect:
        assert [d.factor for d in verdict.entries] == _dec(expect["factors"])
    if "would_add" in expect:
        assert [d.would_add for d in verdict.entries] == _dec(expect["would_add"])
    if "rules" in expect:
        assert [d.rule for d in verdict.entries] == expect["rules"]
    if "findings" in expect:
        assert [f.code for f in verdict.findings] == expect["findings"]
    for code, fields in expect.get("requirements", {}).items():
        result = verdict.requirement(code)
        for name, value in fields.items():
            actual = getattr(result, name)
            if isinstance(value, str) and name != "rounding":
                assert actual == Decimal(value), f"{code}.{name}"
            else:
                assert actual == value, f"{code}.{name}"
