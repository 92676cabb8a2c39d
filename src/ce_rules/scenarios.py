"""Scenario files: a policy author's tests, run by ``ce-rules test`` and by pytest.

A scenario file (TOML) names a policy and a year and holds scenarios: a person, their
records (inline, or a record file beside it), the clause each checks and the verdict
expected. The format is in docs/authoring.md::

    from ce_rules import scenarios

    results = scenarios.run(["tests/scenarios"])
    failed = [r for r in results if not r.passed]
    for result in failed:
        print(result.describe("en"))  # every expectation not met, expected vs got
"""

from __future__ import annotations

from ._scenarios import (
    DEFAULT_PERSON_ID,
    SNAPSHOT_SUFFIX,
    Mismatch,
    Scenario,
    ScenarioError,
    ScenarioFile,
    ScenarioResult,
    Snapshot,
    discover,
    load,
    run,
    run_file,
    run_scenario,
    summary,
    update,
)

__all__ = [
    "DEFAULT_PERSON_ID",
    "SNAPSHOT_SUFFIX",
    "Mismatch",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "ScenarioResult",
    "Snapshot",
    "discover",
    "load",
    "run",
    "run_file",
    "run_scenario",
    "summary",
    "update",
]
