"""Uses the public API as an integrator would; `mypy --strict` must accept it.

Not collected by pytest (no test_ prefix): CI type-checks it with mypy.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ce_rules as ce
from ce_rules.testing import compliant_entries, make_person


def shortfalls(verdict: ce.Verdict) -> dict[str, Decimal]:
    """Every unmet requirement's shortfall, by code."""
    return {r.code: r.shortfall for r in verdict.requirements if not r.met}


def excluded_reasons(verdict: ce.Verdict) -> list[ce.Reason]:
    """The reason of every entry that did not count."""
    return [d.reason for d in verdict.excluded]


def run() -> bool:
    """Evaluate a compliant year and read it back from JSON."""
    person: ce.Person = make_person()
    entries: list[ce.CreditEntry] = compliant_entries(person, 2024)
    policy: ce.Policy = ce.get_policy("shandong", 2024)
    verdict = ce.evaluate(person, entries, year=2024, policy=policy, as_of=date(2025, 1, 1))
    again = ce.Verdict.model_validate_json(verdict.model_dump_json())
    clause: str = verdict.requirement("public_hours").citation.clause
    text: str = verdict.explain("en")
    return again == verdict and bool(clause) and bool(text) and not shortfalls(verdict)
