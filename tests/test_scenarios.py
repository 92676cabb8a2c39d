"""Runs every scenario file in tests/scenarios/ through the scenario runner.

A scenario states the inputs, the clause it checks and the verdict expected; the runner
(``ce_rules.scenarios``, the one ``ce-rules test`` uses) reads it, judges it and compares.
This module only collects: one case a scenario, failing with the runner's expected-vs-got
text. The format is in docs/authoring.md; a new policy year is a new TOML file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ce_rules import scenarios

SCENARIOS = Path(__file__).parent / "scenarios"


def _cases() -> list[Any]:
    files, aside = scenarios.discover([SCENARIOS])
    assert aside == []
    return [
        pytest.param(scenario, id=scenario.id)
        for path in files
        for scenario in scenarios.load(path).scenarios
    ]


@pytest.mark.parametrize("scenario", _cases())
def test_scenario(scenario: scenarios.Scenario) -> None:
    """The verdict for the scenario's inputs is the one the scenario expects."""
    result = scenarios.run_scenario(scenario)
    if not result.passed:
        pytest.fail(result.describe("en"), pytrace=False)
