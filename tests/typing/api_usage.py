"""Uses the public API as an integrator would; `mypy --strict` must accept it.

Not collected by pytest (no test_ prefix): CI type-checks it with mypy.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ce_rules as ce
from ce_rules import scenarios
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


def title_tool(obtained: date) -> list[str]:
    """A title tool: the window, each year's verdict, the achievements."""
    person = make_person()
    years = ce.title_window(obtained, 2025, max_years=ce.TITLE_WINDOW_MAX_YEARS)
    policies: dict[int, ce.Policy | str] = dict.fromkeys(years, "cn-national-2015")
    period: ce.PeriodVerdict = ce.evaluate_period(person, [], years=years, policy=policies)
    found: tuple[ce.Achievement, ...] = period.achievements
    return [f"{y.year}: {y.status}" for y in period.failing_years] + [a.course_id for a in found]


def hr_office(records: list[dict[str, str]]) -> int:
    """An HR office: a batch of flat records, the totals, a plan for one person."""
    result: ce.BatchResult = ce.evaluate_many(records, year=2024)
    verdicts: list[ce.BatchVerdict] = list(result)
    totals: ce.BatchTotals = result.totals
    plan: ce.CompliancePlan = ce.plan_compliance(make_person(), [], year=2024)
    gap: Decimal = plan.gap(ce.Category.PUBLIC)
    return totals.records + len(verdicts) + int(gap)


def policy_author(paths: list[str]) -> list[str]:
    """A policy author's own collector: every scenario run, each failure's text."""
    results: list[scenarios.ScenarioResult] = scenarios.run(paths)
    failures = [result.describe("en") for result in results if not result.passed]
    mismatches: list[scenarios.Mismatch] = [m for r in results for m in r.mismatches]
    return failures + [m.field for m in mismatches] + [scenarios.summary(results, "en")]


def new_province(folder: str) -> list[str]:
    """A province of one's own: a folder of policy files, its regions, its topic series."""
    registry: ce.Registry = ce.load_registry(folder, environ={})
    regions: tuple[ce.Region, ...] = registry.regions() + ce.regions()
    policy: ce.Policy = registry.policy(regions[0].id, regions[0].years[0])
    series: tuple[ce.TopicSeries, ...] = policy.topics
    names = [t.name.zh for t in series] + [r.describe() for r in regions]
    return [*names, ce.POLICY_PATH_VARIABLE, registry.source(policy.id)]
