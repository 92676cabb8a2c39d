"""Gap planning: what a person still needs, per category, to comply in a year.

For a non-compliant or unfinished year, ``plan_compliance`` says how many more approved
hours of each category are needed (二(一): public ≥ 30, 三(一): professional ≥ 60 under the
2024 notice), what the entries awaiting approval would add, how many days are left, and
how teaching a featured online public course would count (二(三): 2x). Categories never
substitute (domain decision 2): a public gap is never shown as fillable by professional
hours, nor the reverse. Only a requirement on the total of all hours (e.g. the national
90 学时) may be filled by either category, and only where no share rule says which.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Final

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel

from . import kinds
from ._engine import evaluate, resolve_policy
from ._model import FROZEN, Category, CreditEntry, Person, Role
from ._policy import (
    Citation,
    CreditFactorRule,
    Message,
    MinHoursRule,
    MinShareRule,
    Policy,
)
from ._verdict import Status, Verdict, format_hours
from .kinds import Totals
from .kinds._base import ceil_cent

__all__ = ["CategoryGap", "CompliancePlan", "FeaturedInstructorOption", "plan_compliance"]

_ZERO: Final = Decimal(0)
_CENT: Final = Decimal("0.01")
#: Rounds are capped: each pass only adds hours, and two passes settle any policy
#: whose share rules all concern one category.
_MAX_PASSES: Final = 8


class CategoryGap(BaseModel):
    """The extra approved hours one category needs for the year to comply (二(一), 三(一)).

    Attributes:
        category: The category, or None where a total requirement may be met by either
            (only when the policy has no share rule that says which).
        extra_hours: The extra approved hours of the category needed, at least.
        pending: What entries of the category awaiting approval would add.
        extra_if_pending_approved: The extra hours still needed once those are approved.
        requirements: The codes of the requirements that need these hours.
        citations: Their clauses.
        due_on: The last day hours of the category count (31 December, or an earlier
            local deadline of an overlay).
        days_left: Days from ``as_of`` to ``due_on`` (0 once past); None without ``as_of``.
        message: The gap in Chinese and English.
    """

    model_config = FROZEN

    category: Category | None
    extra_hours: Decimal
    pending: Decimal
    extra_if_pending_approved: Decimal
    requirements: tuple[str, ...]
    citations: tuple[Citation, ...]
    due_on: date
    days_left: int | None
    message: Message


class FeaturedInstructorOption(BaseModel):
    """How teaching a featured online public course would count (二(三)).

    Attributes:
        category: The category the credit goes to (public).
        factor: The credit factor (2 under the 2024 notice).
        course_hours_needed: The course hours to teach that alone would close that
            category's gap (rounded up to 0.01); 0 when there is no gap.
        citation: The clause.
        message: The option in Chinese and English.
    """

    model_config = FROZEN

    category: Category
    factor: Decimal
    course_hours_needed: Decimal
    citation: Citation
    message: Message


class CompliancePlan(BaseModel):
    """What a person still needs in a year, per category, and the time left (二(一), 三(一)).

    Attributes:
        person_id: Whose year it is.
        year: The year.
        policy_id: The policy applied.
        policy_version: Its version.
        as_of: The day the plan speaks for, if given.
        status: The year's status now.
        compliant: Whether the year already complies (then ``gaps`` is empty).
        gaps: One gap per category that needs more hours.
        days_left: Days from ``as_of`` to the end of the year; None without ``as_of``.
        featured_instructor: How an instructorship of a featured course would count,
            if the policy credits one (二(三)).
        verdict: The year's verdict the plan is built on.
    """

    model_config = FROZEN

    person_id: str
    year: int
    policy_id: str
    policy_version: str
    as_of: date | None
    status: Status
    compliant: bool
    gaps: tuple[CategoryGap, ...]
    days_left: int | None
    featured_instructor: FeaturedInstructorOption | None
    verdict: Verdict

    def gap(self, category: Category | None) -> Decimal:
        """The extra hours ``category`` needs (0 if none)."""
        return next((g.extra_hours for g in self.gaps if g.category == category), _ZERO)

    def explain(self, lang: str = "zh") -> str:
        """A short explanation for people, in Chinese (``"zh"``) or English (``"en"``)."""
        return _explain(self, lang)


#: No hours, by category (pending and open hours play no part in a plan's gaps).
_NONE_BY_CATEGORY: Final = dict.fromkeys(Category, Decimal(0))


def _extras(
    policy: Policy, earned: dict[Category, Decimal]
) -> tuple[
    dict[Category | None, Decimal], dict[Category | None, list[MinHoursRule | MinShareRule]]
]:
    """The extra hours per category that meet every requirement of ``policy``.

    Category minimums are independent (decision 2). Share rules and total minimums are
    then met by adding hours to the share's category, which raises both; a total with
    no share rule is open to either category (``None``).
    """
    extra: dict[Category | None, Decimal] = {None: _ZERO, **dict.fromkeys(Category, _ZERO)}
    drivers: dict[Category | None, list[MinHoursRule | MinShareRule]] = {}
    shares = [r for r in policy.requirement_rules if isinstance(r, MinShareRule)]
    totals = []
    for rule in policy.requirement_rules:
        if isinstance(rule, MinHoursRule):
            if rule.category is None:
                totals.append(rule)
            elif rule.hours > earned[rule.category]:
                extra[rule.category] = max(extra[rule.category], rule.hours - earned[rule.category])
                drivers.setdefault(rule.category, []).append(rule)
    for _ in range(_MAX_PASSES):
        changed = False
        for share in shares:
            # The kind's own judgement says how many more hours of its category it needs.
            hours = {c: earned[c] + extra[c] for c in Category}
            hours[share.category] += extra[None]
            numbers = kinds.figures(share, Totals(hours, _NONE_BY_CATEGORY, _NONE_BY_CATEGORY))
            if not numbers.met:
                extra[share.category] += numbers.shortfall
                if share not in drivers.setdefault(share.category, []):
                    drivers[share.category].append(share)
                changed = True
        for rule in totals:
            total = sum(earned.values(), _ZERO) + sum(extra.values(), _ZERO)
            if total < rule.hours:
                target: Category | None = shares[0].category if shares else None
                extra[target] += rule.hours - total
                if rule not in drivers.setdefault(target, []):
                    drivers[target].append(rule)
                changed = True
        if not changed:
            break
    return extra, drivers


def _featured_rule(policy: Policy) -> CreditFactorRule | None:
    for rule in policy.factor_rules:
        if rule.role is Role.INSTRUCTOR and rule.featured is True:
            return rule
    return None


def _days_left(as_of: date | None, due_on: date) -> int | None:
    return None if as_of is None else max(0, (due_on - as_of).days)


def _due_on(policy: Policy, category: Category | None, year: int) -> date:
    due = date(year, 12, 31)
    for rule in policy.category_deadline_rules:
        if rule.category is category:
            due = min(due, date(year, rule.month, 1) + relativedelta(day=rule.day))
    return due


def _gap_message(category: Category | None, extra: Decimal, pending: Decimal) -> Message:
    label_zh = category.label if category else "学时（公需或专业科目均可）"
    label_en = f"{category.value} hours" if category else "hours of either category"
    zh = f"{label_zh}还需{format_hours(extra)}学时"
    en = f"{format_hours(extra)} more {label_en} needed"
    if pending:
        zh += f"（待审核记录审核通过后可计入{format_hours(pending)}学时）"
        en += f" ({format_hours(pending)} awaiting approval)"
    return Message(zh=zh, en=en)


def plan_compliance(
    person: Person,
    entries: Iterable[CreditEntry],
    *,
    year: int,
    policy: Policy | str | None = None,
    as_of: date | None = None,
) -> CompliancePlan:
    """The extra hours per category a person needs to comply in ``year``.

    Builds on ``evaluate``: the counted hours are those of the verdict; entries awaiting
    approval are not counted but shown as what they would add (decision 5). Each gap is
    the least number of extra approved hours of that category (二(一), 三(一)): adding
    them makes the year compliant, and 0.01 hour less in any category does not. The
    option of teaching a featured online public course (二(三)) is shown with its factor.

    Args:
        person: Whose year it is.
        entries: Their entries.
        year: The year to plan.
        policy: As for ``evaluate``.
        as_of: The day the plan speaks for; gives the days left.

    Returns:
        A frozen ``CompliancePlan``.

    Raises:
        PolicyNotFoundError: No policy governs ``year`` and none was given.
        EvaluationInputError: An argument is of the wrong type or out of range.
    """
    verdict = evaluate(person, entries, year=year, policy=policy, as_of=as_of)
    rules = resolve_policy(policy, year)
    earned = dict.fromkeys(Category, _ZERO)
    pending = dict.fromkeys(Category, _ZERO)
    for decision in verdict.entries:
        earned[decision.category] += decision.credited_hours
        pending[decision.category] += decision.would_add
    extra, drivers = _extras(rules, earned)
    with_pending = {c: earned[c] + pending[c] for c in Category}
    extra_after, _ = _extras(rules, with_pending)
    gaps = []
    for category in (*Category, None):
        if not extra[category]:
            continue
        due_on = _due_on(rules, category, year)
        category_pending = pending[category] if category else sum(pending.values(), _ZERO)
        gaps.append(
            CategoryGap(
                category=category,
                extra_hours=extra[category],
                pending=category_pending,
                extra_if_pending_approved=extra_after[category],
                requirements=tuple(r.code for r in drivers.get(category, [])),
                citations=tuple(r.citation for r in drivers.get(category, [])),
                due_on=due_on,
                days_left=_days_left(as_of, due_on),
                message=_gap_message(category, extra[category], category_pending),
            )
        )
    featured = None
    rule = _featured_rule(rules)
    if rule is not None:
        category = rule.category or Category.PUBLIC
        needed = ceil_cent(Fraction(extra[category]) / Fraction(rule.factor))[0]
        featured = FeaturedInstructorOption(
            category=category,
            factor=rule.factor,
            course_hours_needed=needed,
            citation=rule.citation,
            message=Message(
                zh=f"{rule.message.zh}：讲授{format_hours(needed)}学时的优质在线公需课即可补足"
                f"{category.label}缺口",
                en=f"{rule.message.en}: teaching {format_hours(needed)} hours of a featured "
                f"course would close the {category.value} gap",
            ),
        )
    return CompliancePlan(
        person_id=person.id,
        year=year,
        policy_id=rules.id,
        policy_version=rules.version,
        as_of=as_of,
        status=verdict.status,
        compliant=verdict.compliant,
        gaps=tuple(gaps),
        days_left=_days_left(as_of, date(year, 12, 31)),
        featured_instructor=featured,
        verdict=verdict,
    )


def _explain(plan: CompliancePlan, lang: str) -> str:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    zh = lang == "zh"
    status = plan.status.label.in_(lang)
    lines = [
        f"{plan.person_id} {plan.year}年度继续教育补学计划：{status}"
        if zh
        else f"{plan.person_id}, continuing education {plan.year}, plan: {status}"
    ]
    if plan.days_left is not None:
        lines.append(
            f"距年度结束还有{plan.days_left}天" if zh else f"{plan.days_left} days left in the year"
        )
    for gap in plan.gaps:
        clauses = ", ".join(dict.fromkeys(c.clause for c in gap.citations))
        due = f"（截止{gap.due_on}）" if zh else f" (by {gap.due_on})"
        lines.append(f"- {gap.message.in_(lang)}{due} [{clauses}]")
    option = plan.featured_instructor
    if plan.gaps and option is not None and option.course_hours_needed:
        lines.append(f"* {option.message.in_(lang)} [{option.citation.clause}]")
    if not plan.gaps:
        lines.append("已达标，无需补学" if zh else "Compliant: nothing more is needed")
    return "\n".join(lines)
