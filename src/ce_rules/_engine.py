"""Annual evaluation: one person, one year, one policy, one verdict.

``evaluate`` is a pure function: it reads its arguments, consults no clock and no
file, and returns a frozen ``Verdict``. The order of the checks an entry goes through
is fixed and documented (docs/concepts.md): the person, the credited year, the
evaluation date, the platform rule, the review status, and last duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from typing import Final, NamedTuple

from dateutil.relativedelta import relativedelta

from ._exceptions import EvaluationInputError
from ._model import Category, Course, CreditEntry, EntryStatus, Person
from ._policy import (
    CategoryDeadlineRule,
    CreditFactorRule,
    KeyTopicsRule,
    Message,
    MinHoursRule,
    MinShareRule,
    Policy,
    RecognisedPlatformsRule,
    get_policy,
    policy_by_id,
)
from ._verdict import (
    EntryDecision,
    Finding,
    Reason,
    RequirementResult,
    Status,
    Verdict,
    construct,
    format_hours,
    message,
)

__all__ = ["DEFAULT_REGION", "evaluate", "resolve_policy"]

#: The region whose policy applies when ``evaluate`` is given none.
DEFAULT_REGION: Final = "shandong"
_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
_CENT: Final = Decimal("0.01")
_CATEGORIES: Final = tuple(Category)
_STATUS_REASON: Final = {
    EntryStatus.PENDING: Reason.PENDING,
    EntryStatus.REJECTED: Reason.REJECTED,
    EntryStatus.REVOKED: Reason.REVOKED,
}
_FINGERPRINT_SCHEME: Final = "ce-rules/verdict-fingerprint/1"
#: Named rounding for numbers that a share makes inexact: up, to the next 0.01 hour.
ROUNDING_CEILING_CENT: Final = "ceiling to 0.01 hour"


def resolve_policy(policy: Policy | str | None, year: int, region: str = DEFAULT_REGION) -> Policy:
    """The policy to apply: the one given, a bundled one by id, or the region's for ``year``."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, str):
        return policy_by_id(policy)
    if policy is None:
        return get_policy(region, year)
    raise EvaluationInputError("policy", policy, "must be a Policy, a policy id or None")


def _check_year(year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise EvaluationInputError("year", year, "must be an int calendar year")
    if not 1990 <= year <= 2100:
        raise EvaluationInputError("year", year, "must be between 1990 and 2100")
    return year


def _check_as_of(as_of: object) -> date | None:
    if as_of is None or (isinstance(as_of, date) and type(as_of) is date):
        return as_of
    raise EvaluationInputError("as_of", as_of, "must be a datetime.date (not a datetime) or None")


def _factor_rule(
    factor_rules: tuple[CreditFactorRule, ...], entry: CreditEntry
) -> CreditFactorRule | None:
    course = entry.course
    for rule in factor_rules:
        if rule.role is not entry.role:
            continue
        if rule.featured is not None and rule.featured != course.featured:
            continue
        if rule.category is not None and rule.category is not course.category:
            continue
        return rule
    return None


def _platform_rule(
    platform_rules: tuple[RecognisedPlatformsRule, ...], person: Person, entry: CreditEntry
) -> RecognisedPlatformsRule | None:
    """The platform rule the entry breaks, if any."""
    course = entry.course
    for rule in platform_rules:
        if (
            rule.unit_level is person.unit
            and rule.mode is course.mode
            and rule.category is course.category
            and entry.role in rule.roles
            and course.platform not in rule.platforms
        ):
            return rule
    return None


def _category_deadline(
    deadline_rules: tuple[CategoryDeadlineRule, ...], entry: CreditEntry
) -> CategoryDeadlineRule | None:
    """The local per-category deadline the entry misses, if any (overlays, 二(二))."""
    for rule in deadline_rules:
        if rule.category is entry.course.category:
            # relativedelta(day=31) clamps to the month's last day.
            due = date(entry.year, rule.month, 1) + relativedelta(day=rule.day)
            if entry.completed_on > due:
                return rule
    return None


def _loosening_findings(policy: Policy) -> tuple[Finding, ...]:
    """One finding per rule a local overlay explicitly loosened, so no verdict hides it."""
    return tuple(
        Finding.model_construct(
            code=loosening.code,
            citation=loosening.citation,
            message=Message(
                zh=f"本地政策{loosening.overlay_id}放宽了规则{loosening.code}："
                f"{loosening.base} → {loosening.overlay}",
                en=f"local policy {loosening.overlay_id} loosens rule {loosening.code}: "
                f"{loosening.base} -> {loosening.overlay}",
            ),
        )
        for loosening in policy.loosenings
    )


class _Compiled(NamedTuple):
    """What ``evaluate`` needs of a policy, derived once per policy object."""

    policy: Policy  # held, so that its id is not reused while it is cached
    requirement_rules: tuple[MinHoursRule | MinShareRule, ...]
    factor_rules: tuple[CreditFactorRule, ...]
    platform_rules: tuple[RecognisedPlatformsRule, ...]
    deadline_rules: tuple[CategoryDeadlineRule, ...]
    topic_checks: tuple[tuple[KeyTopicsRule, frozenset[object], Finding], ...]
    loosening_findings: tuple[Finding, ...]


#: Bounded caches keyed by object identity; each entry holds its object, so they never
#: change a result: policies and courses are frozen.
_COMPILED: Final[dict[int, _Compiled]] = {}
_COURSE_KEYS: Final[dict[int, tuple[Course, str]]] = {}
_CACHE_SIZE: Final = 4096


def _compiled(policy: Policy) -> _Compiled:
    compiled = _COMPILED.get(id(policy))
    if compiled is None or compiled.policy is not policy:
        compiled = _Compiled(
            policy,
            policy.requirement_rules,
            policy.factor_rules,
            policy.platform_rules,
            policy.category_deadline_rules,
            tuple(_topic_check(rule) for rule in policy.topic_rules),
            _loosening_findings(policy),
        )
        if len(_COMPILED) >= 64:
            _COMPILED.clear()
        _COMPILED[id(policy)] = compiled
    return compiled


def _shared_course_key(course: Course) -> str:
    # Batches share one Course object among many persons' entries: key it once.
    cached = _COURSE_KEYS.get(id(course))
    if cached is not None and cached[0] is course:
        return cached[1]
    key = _course_key(course)
    if len(_COURSE_KEYS) >= _CACHE_SIZE:
        _COURSE_KEYS.clear()
    _COURSE_KEYS[id(course)] = (course, key)
    return key


def _course_key(course: Course) -> str:
    topics = ",".join(str(t) for t in course.topics)
    return "\x1f".join(
        (
            course.id,
            course.title,
            course.category,
            format_hours(course.hours),
            course.mode,
            course.platform or "",
            "1" if course.featured else "0",
            topics,
        )
    )


def _entry_key(entry: CreditEntry, course_key: str) -> str:
    return "\x1f".join(
        (
            entry.id or "",
            entry.person_id,
            course_key,
            entry.role,
            entry.completed_on.isoformat(),
            "" if entry.hours is None else format_hours(entry.hours),
            "" if entry.credited_year is None else str(entry.credited_year),
            entry.certificate_no or "",
            entry.status,
        )
    )


def _fingerprint(
    person: Person, year: int, as_of: date | None, policy: Policy, entry_keys: list[str]
) -> str:
    head = "\x1e".join(
        (
            _FINGERPRINT_SCHEME,
            policy.id,
            policy.version,
            str(year),
            as_of.isoformat() if as_of else "",
            person.id,
            person.unit.value,
            person.city or "",
            person.industry or "",
        )
    )
    # Sorted: the verdict does not depend on input order, so neither does its fingerprint.
    body = "\x1e".join(sorted(entry_keys))
    return hashlib.sha256(f"{head}\x1d{body}".encode()).hexdigest()


def _ceil_cent(value: Fraction) -> tuple[Decimal, bool]:
    """``value`` as a decimal, rounded up to 0.01 if it is not exact; and whether it was."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(exact) == value and exact == exact.quantize(_CENT):
        return exact, False
    rounded = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        _CENT, rounding=ROUND_CEILING
    )
    return rounded, True


def _requirement(
    rule: MinHoursRule | MinShareRule,
    earned_by_category: dict[Category, Decimal],
    pending_by_category: dict[Category, Decimal],
) -> RequirementResult:
    total = sum(earned_by_category.values(), _ZERO)
    rounding = None
    if rule.kind == "min_hours":
        assert isinstance(rule, MinHoursRule)  # the kind says so; mypy needs telling
        if rule.category is None:
            earned = total
            pending = sum(pending_by_category.values(), _ZERO)
        else:
            earned = earned_by_category[rule.category]
            pending = pending_by_category[rule.category]
        required = rule.hours
        met = earned >= required
        shortfall = _ZERO if met else required - earned
    else:
        share = rule.ratio
        earned = earned_by_category[rule.category]
        pending = pending_by_category[rule.category]
        met = Fraction(earned) >= share * Fraction(total)
        required, inexact_required = _ceil_cent(share * Fraction(total))
        # Hours of the category added raise the total too: x >= (s*t - e) / (1 - s).
        needed = (share * Fraction(total) - Fraction(earned)) / (1 - share)
        if met:
            shortfall, inexact_shortfall = _ZERO, False
        else:
            shortfall, inexact_shortfall = _ceil_cent(needed)
        if inexact_required or inexact_shortfall:
            rounding = ROUNDING_CEILING_CENT
    key = ("requirement", rule.message.zh, rule.message.en, earned, shortfall, met)
    text = _MESSAGES.get(key)
    if text is None:
        if met:
            text = message(
                f"{rule.message.zh}：已获{format_hours(earned)}学时，已达标",
                f"{rule.message.en}: {format_hours(earned)} earned, met",
            )
        else:
            text = message(
                f"{rule.message.zh}：已获{format_hours(earned)}学时，"
                f"尚差{format_hours(shortfall)}学时",
                f"{rule.message.en}: {format_hours(earned)} earned, "
                f"{format_hours(shortfall)} short",
            )
        if len(_MESSAGES) < _MESSAGES_SIZE:
            _MESSAGES[key] = text
    return construct(
        RequirementResult,
        {
            "code": rule.code,
            "kind": rule.kind,
            "category": rule.category,
            "required": required,
            "earned": earned,
            "shortfall": shortfall,
            "pending": pending,
            "met": met,
            "rounding": rounding,
            "citation": rule.citation,
            "message": text,
        },
    )


def _counted_message(
    hours: Decimal, factor: Decimal, credited: Decimal, rule_message: Message | None
) -> Message:
    # Messages are immutable and their texts depend only on these values: share them.
    key: tuple[object, ...]
    if factor == _ONE or rule_message is None:
        key = (credited,)
        cached = _MESSAGES.get(key)
        if cached is not None:
            return cached
        text = message(
            f"计入{format_hours(credited)}学时", f"counted: {format_hours(credited)} hours"
        )
    else:
        key = (credited, hours, factor, rule_message.zh, rule_message.en)
        cached = _MESSAGES.get(key)
        if cached is not None:
            return cached
        text = message(
            f"计入{format_hours(credited)}学时（{format_hours(hours)}学时×{format_hours(factor)}，"
            f"{rule_message.zh}）",
            f"counted: {format_hours(credited)} hours ({format_hours(hours)} x "
            f"{format_hours(factor)}; {rule_message.en})",
        )
    if len(_MESSAGES) < _MESSAGES_SIZE:
        _MESSAGES[key] = text
    return text


def _pending_message(base: Message, would_add: Decimal) -> Message:
    key = ("pending", would_add, base.zh)
    cached = _MESSAGES.get(key)
    if cached is None:
        cached = message(
            f"{base.zh}（审核通过后可计入{format_hours(would_add)}学时）",
            f"{base.en} (would add {format_hours(would_add)} hours once approved)",
        )
        if len(_MESSAGES) < _MESSAGES_SIZE:
            _MESSAGES[key] = cached
    return cached


#: Entry messages by the values they are made of: a bounded cache that never changes a result.
_MESSAGES: Final[dict[tuple[object, ...], Message]] = {}
_MESSAGES_SIZE: Final = 10_000


def evaluate(
    person: Person,
    entries: Iterable[CreditEntry],
    *,
    year: int,
    policy: Policy | str | None = None,
    as_of: date | None = None,
) -> Verdict:
    """Judge one person's continuing-education year.

    Counts the person's approved entries credited to ``year`` under ``policy`` (by
    default the Shandong policy of that year, 二(一), 三(一)), applying the credit
    factors (二(三)) and the platform rule (二(二)). Every input entry gets exactly one
    decision, in input order, with a stable reason code.

    Args:
        person: Whose year it is.
        entries: The person's entries; other persons' entries are listed as excluded.
        year: The calendar year to judge.
        policy: A ``Policy``, a bundled policy id, or None for the bundled Shandong
            policy governing ``year`` (``PolicyNotFoundError`` if there is none).
        as_of: The day the verdict speaks for. Entries completed after it do not
            count; a year not yet over whose requirements are not all met is
            ``in_progress`` rather than ``non_compliant``. None means after the year.

    Returns:
        A frozen ``Verdict``.

    Raises:
        EvaluationInputError: An argument is of the wrong type or out of range.
        PolicyNotFoundError: No policy governs ``year`` and none was given.
    """
    if not isinstance(person, Person):
        raise EvaluationInputError("person", person, "must be a ce_rules.Person")
    year = _check_year(year)
    as_of = _check_as_of(as_of)
    rules = resolve_policy(policy, year)
    entries = tuple(entries)

    course_keys: dict[int, str] = {}
    entry_keys: list[str] = []
    # Per entry: (reason, factor rule or deciding rule, factor, hours, credited)
    reasons: list[Reason] = []
    factors: list[Decimal] = []
    factor_rules: list[CreditFactorRule | None] = []
    platform_rules: list[RecognisedPlatformsRule | None] = []
    candidates: dict[tuple[str, str, date], list[int]] = {}
    pending_candidates: dict[tuple[str, str, date], list[int]] = {}
    compiled = _compiled(rules)
    deadline_rules = compiled.deadline_rules
    policy_factor_rules = compiled.factor_rules
    policy_platform_rules = compiled.platform_rules
    missed_deadlines: dict[int, CategoryDeadlineRule] = {}

    person_id = person.id
    for index, entry in enumerate(entries):
        if not isinstance(entry, CreditEntry):
            raise EvaluationInputError(f"entries[{index}]", entry, "must be a ce_rules.CreditEntry")
        course = entry.course
        course_key = course_keys.get(id(course))
        if course_key is None:
            course_key = course_keys[id(course)] = _shared_course_key(course)
        entry_keys.append(_entry_key(entry, course_key))
        factor_rule = _factor_rule(policy_factor_rules, entry)
        factor_rules.append(factor_rule)
        factors.append(_ONE if factor_rule is None else factor_rule.factor)
        broken = None
        if entry.person_id != person_id:
            reason = Reason.OTHER_PERSON
        elif entry.year != year:
            reason = Reason.OTHER_YEAR
        elif as_of is not None and entry.completed_on > as_of:
            reason = Reason.AFTER_AS_OF
        elif deadline_rules and (missed := _category_deadline(deadline_rules, entry)):
            reason = Reason.AFTER_CATEGORY_DEADLINE
            missed_deadlines[index] = missed
        elif (broken := _platform_rule(policy_platform_rules, person, entry)) is not None:
            reason = Reason.PLATFORM_NOT_RECOGNISED
        elif entry.status is not EntryStatus.APPROVED:
            reason = _STATUS_REASON[entry.status]
            if reason is Reason.PENDING:
                key = (course.id, entry.role, entry.completed_on)
                pending_candidates.setdefault(key, []).append(index)
        else:
            reason = Reason.COUNTED
            key = (course.id, entry.role, entry.completed_on)
            candidates.setdefault(key, []).append(index)
        reasons.append(reason)
        platform_rules.append(broken)

    # Duplicates (decision 4): of the same course, role and day, one entry counts. The
    # one kept does not depend on input order: most hours first, then the canonical key.
    def _keep(group: list[int]) -> int:
        return min(
            group, key=lambda i: (-entries[i].effective_hours * factors[i], entry_keys[i], i)
        )

    duplicate_of: dict[int, int] = {}
    for group in candidates.values():
        if len(group) > 1:
            keep = _keep(group)
            for index in group:
                if index != keep:
                    reasons[index] = Reason.DUPLICATE
                    duplicate_of[index] = keep
    # A pending entry would add hours only if no copy of it counts or would add them.
    adds_if_approved = {
        _keep(group) for key, group in pending_candidates.items() if key not in candidates
    }

    earned = dict.fromkeys(_CATEGORIES, _ZERO)
    pending = dict.fromkeys(_CATEGORIES, _ZERO)
    decisions: list[EntryDecision] = []
    for index, entry in enumerate(entries):
        reason = reasons[index]
        hours = entry.effective_hours
        factor = factors[index]
        category = entry.course.category
        credited = would_add = _ZERO
        rule_code = None
        citation = None
        factor_rule = factor_rules[index]
        counted = reason is Reason.COUNTED
        if counted:
            credited = hours * factor
            earned[category] += credited
            if factor_rule is not None:
                rule_code, citation = factor_rule.code, factor_rule.citation
            text = _counted_message(
                hours, factor, credited, None if factor_rule is None else factor_rule.message
            )
        else:
            if index in adds_if_approved:
                would_add = hours * factor
                pending[category] += would_add
            elif reason is Reason.PLATFORM_NOT_RECOGNISED:
                broken = platform_rules[index]
                assert broken is not None
                rule_code, citation = broken.code, broken.citation
            elif reason is Reason.AFTER_CATEGORY_DEADLINE:
                missed = missed_deadlines[index]
                rule_code, citation = missed.code, missed.citation
            text = reason.text
            if reason is Reason.PENDING and would_add:
                text = _pending_message(text, would_add)
        decisions.append(
            construct(
                EntryDecision,
                {
                    "index": index,
                    "entry_id": entry.id,
                    "course_id": entry.course.id,
                    "category": category,
                    "role": entry.role,
                    "credited_year": entry.year,
                    "hours": hours,
                    "factor": factor,
                    "credited_hours": credited,
                    "would_add": would_add,
                    "counted": counted,
                    "reason": reason,
                    "rule": rule_code,
                    "citation": citation,
                    "duplicate_of": duplicate_of.get(index),
                    "message": text,
                },
            )
        )

    requirements = tuple(_requirement(rule, earned, pending) for rule in compiled.requirement_rules)
    compliant = all(r.met for r in requirements)
    if compliant:
        status = Status.COMPLIANT
    elif as_of is not None and as_of <= date(year, 12, 31):
        status = Status.IN_PROGRESS
    else:
        status = Status.NON_COMPLIANT
    met_codes = {r.code for r in requirements if r.met}
    return construct(
        Verdict,
        {
            "person_id": person.id,
            "year": year,
            "policy_id": rules.id,
            "policy_version": rules.version,
            "as_of": as_of,
            "status": status,
            "compliant": compliant,
            "certificate_eligible": all(code in met_codes for code in rules.certificate_requires),
            "requirements": requirements,
            "entries": tuple(decisions),
            "findings": _findings(compiled.topic_checks, entries, reasons)
            + compiled.loosening_findings,
            "fingerprint": _fingerprint(person, year, as_of, rules, entry_keys),
        },
    )


def _topic_check(rule: KeyTopicsRule) -> tuple[KeyTopicsRule, frozenset[object], Finding]:
    """A key-topic rule, its topics as a set, and the finding when none is covered."""
    finding = construct(
        Finding,
        {
            "code": rule.code,
            "citation": rule.citation,
            "message": message(
                f"{rule.message.zh}；本年度计入的学时中没有专题系列课程",
                f"{rule.message.en}; no counted hours this year are in one of them",
            ),
        },
    )
    return rule, frozenset(rule.topics), finding


def _findings(
    topic_checks: tuple[tuple[KeyTopicsRule, frozenset[object], Finding], ...],
    entries: tuple[CreditEntry, ...],
    reasons: list[Reason],
) -> tuple[Finding, ...]:
    findings = []
    for rule, key_topics, finding in topic_checks:
        covered = any(
            reason is Reason.COUNTED
            and entry.course.category is rule.category
            and not key_topics.isdisjoint(entry.course.topics)
            for entry, reason in zip(entries, reasons, strict=True)
        )
        if not covered:
            findings.append(finding)
    return tuple(findings)
