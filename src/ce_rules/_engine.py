"""Annual evaluation: one person, one year, one policy, one verdict.

``evaluate`` is a pure function: it reads its arguments, consults no clock and no
file, keeps no state between calls, and returns a frozen ``Verdict``. It checks its
arguments, then calls ``judge``, which batches call directly once they have checked
theirs. The order of the checks an entry goes through is fixed and documented
(docs/concepts.md): the person, the credited year, the evaluation date, a local
category deadline, the platform rule, the review status, and last duplicates.

Every entry is judged up front, since the requirements depend on all of them; the
decision objects, their messages and the fingerprint are built from that judgement on
first use (``_Details``), so a caller that reads only the status pays for nothing more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from . import kinds
from ._exceptions import EvaluationInputError
from ._model import (
    Category,
    CourseFields,
    CreditEntry,
    EntryFields,
    EntryStatus,
    Mode,
    Person,
    Role,
    UnitLevel,
)
from ._policy import (
    CategoryDeadlineRule,
    CreditFactorRule,
    FactorKey,
    KeyTopicsRule,
    Message,
    Policy,
    RecognisedPlatformsRule,
    _RuleIndex,
    get_policy,
    policy_by_id,
)
from ._schema import column
from ._verdict import (
    EntryDecision,
    Finding,
    Reason,
    RequirementResult,
    Status,
    Verdict,
    format_hours,
    message,
    requirement_message,
    with_details,
)
from .kinds import RequirementRule, Totals, category_deadline, key_topics, recognised_platforms

__all__ = [
    "DEFAULT_REGION",
    "check_as_of",
    "evaluate",
    "judge",
    "make_decision",
    "other_year_finding",
    "resolve_policy",
]

#: The region whose policy applies when ``evaluate`` is given none.
DEFAULT_REGION: Final = "shandong"
#: Named rounding for numbers that a share makes inexact: up, to the next 0.01 hour.
_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
_CENT: Final = Decimal("0.01")
_PUBLIC: Final = Category.PUBLIC
_PROFESSIONAL: Final = Category.PROFESSIONAL
_APPROVED: Final = EntryStatus.APPROVED
_LEARNER: Final = Role.LEARNER
# Enum members read in every call, as constants: a member lookup costs more than a global.
_COUNTED: Final = Reason.COUNTED
_PENDING: Final = Reason.PENDING
_DUPLICATE: Final = Reason.DUPLICATE
_PLATFORM_NOT_RECOGNISED: Final = Reason.PLATFORM_NOT_RECOGNISED
_UNDETERMINED: Final = Reason.UNDETERMINED
_NOT_CREDITED: Final = Reason.NOT_CREDITED
_ALREADY_CREDITED: Final = Reason.ALREADY_CREDITED
_COMPLIANT: Final = Status.COMPLIANT
_STATUS_REASON: Final = {
    EntryStatus.PENDING: Reason.PENDING,
    EntryStatus.REJECTED: Reason.REJECTED,
    EntryStatus.REVOKED: Reason.REVOKED,
}
#: What pending entries add when there are none (read-only: shared by every call).
_NOTHING_PENDING: Final[Mapping[Category, Decimal]] = MappingProxyType(
    {_PUBLIC: _ZERO, _PROFESSIONAL: _ZERO}
)
#: Nothing by index (read-only: shared by every call).
_NONE: Final[Mapping[int, Any]] = MappingProxyType({})
_FINGERPRINT_SCHEME: Final = "ce-rules/verdict-fingerprint/2"

#: A rule that decided an entry's exclusion or left it open.
_Deciding = RecognisedPlatformsRule | CategoryDeadlineRule | CreditFactorRule
#: The key that makes two entries copies of each other (decision 4).
_DuplicateKey = tuple[str, Role, date | None]


def resolve_policy(
    policy: Policy | str | None,
    year: int,
    region: str = DEFAULT_REGION,
    *,
    allow_other_year: bool = False,
) -> Policy:
    """The policy to apply: the one given, a bundled one by id, or the region's for ``year``.

    A policy given for a year it does not govern is an ``EvaluationInputError`` unless
    ``allow_other_year`` (decision 8); every verdict under it then says so.
    """
    if policy is None:
        return get_policy(region, year)
    if isinstance(policy, Policy):
        if policy.extends is not None:
            # An overlay alone lacks its base's rules: its verdicts would be wrong.
            raise EvaluationInputError(
                "policy",
                policy.id,
                f"is a local overlay of {policy.extends!r}: merge it onto its base first "
                "(merge_overlay or policy_for)",
            )
        resolved = policy
    elif isinstance(policy, str):
        resolved = policy_by_id(policy)
    else:
        raise EvaluationInputError("policy", policy, "must be a Policy, a policy id or None")
    if year not in resolved.years and not allow_other_year:
        governs = ", ".join(str(y) for y in resolved.years)
        raise EvaluationInputError(
            "year",
            year,
            f"policy {resolved.id} governs {governs}, not {year}; pass allow_other_year=True "
            "(--allow-other-year) to apply it to another year on purpose",
        )
    return resolved


def other_year_finding(policy: Policy, year: int) -> Finding:
    """The finding of a verdict under a policy applied outside its years on purpose."""
    governs = "、".join(str(y) for y in policy.years)
    return Finding.model_validate(
        {
            "code": "policy_outside_years",
            "citation": None,
            "decision": 8,
            "message": message(
                f"政策{policy.id}适用于{governs}年度，应调用方要求用于{year}年度",
                f"policy {policy.id} governs {', '.join(str(y) for y in policy.years)}; "
                f"it was applied to {year} on the caller's request",
            ),
        },
    )


def check_year(year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise EvaluationInputError("year", year, "must be an int calendar year")
    if not 1990 <= year <= 2100:
        raise EvaluationInputError("year", year, "must be between 1990 and 2100")
    return year


def check_as_of(as_of: object) -> date | None:
    """``as_of`` itself if it is a day or None; else ``EvaluationInputError``."""
    if as_of is None or type(as_of) is date:
        return as_of
    raise EvaluationInputError("as_of", as_of, "must be a datetime.date (not a datetime) or None")


def _platform_rule(
    platform_rules: tuple[RecognisedPlatformsRule, ...], role: Role, platform: str | None
) -> RecognisedPlatformsRule | None:
    """Of the rules for the entry's unit level, mode and category, the first it breaks."""
    for rule in platform_rules:
        if recognised_platforms.breaks(rule, role, platform):
            return rule
    return None


def _category_deadline(
    deadline_rules: tuple[CategoryDeadlineRule, ...], entry: EntryFields
) -> CategoryDeadlineRule | None:
    """The first local per-category deadline the entry misses, if any (overlays, 二(二))."""
    for rule in deadline_rules:
        if category_deadline.missed(rule, entry.course.category, entry.year, entry.completed_on):
            return rule
    return None


def _loosening_findings(policy: Policy) -> tuple[Finding, ...]:
    """One finding per rule a local overlay explicitly loosened, so no verdict hides it."""
    return tuple(
        Finding.model_validate(
            {
                "code": loosening.code,
                "citation": loosening.citation,
                "decision": None,
                "message": message(
                    f"本地政策{loosening.overlay_id}放宽了规则{loosening.code}："
                    f"{loosening.base} → {loosening.overlay}",
                    f"local policy {loosening.overlay_id} loosens rule {loosening.code}: "
                    f"{loosening.base} -> {loosening.overlay}",
                ),
            },
        )
        for loosening in policy.loosenings
    )


def _course_key(course: CourseFields) -> str:
    return "\x1f".join(
        (
            course.id,
            course.title,
            course.category,
            format_hours(course.hours),
            course.mode or "",
            course.platform or "",
            {True: "1", False: "0", None: ""}[course.featured],
            key_topics.NOT_RECORDED_TEXT if course.topics is None else ",".join(course.topics),
        )
    )


def _entry_key(entry: EntryFields, course_key: str) -> str:
    """The canonical form of an entry: what the fingerprint and tie-breaks are made of."""
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


def requirement_result(rule: RequirementRule, numbers: kinds.Figures) -> RequirementResult:
    """A requirement's result: its kind's figures, with the rule's code, clause and message."""
    return RequirementResult.model_validate(
        {
            "code": rule.code,
            "kind": rule.kind,
            "category": rule.category,
            "required": numbers.required,
            "earned": numbers.earned,
            "shortfall": numbers.shortfall,
            "pending": numbers.pending,
            "undetermined": numbers.undetermined,
            "met": numbers.met,
            "determined": numbers.determined,
            "rounding": numbers.rounding,
            "citation": rule.citation,
            "reading": rule.reading,
            "message": requirement_message(
                rule.message, numbers.earned, numbers.shortfall, numbers.met, numbers.undetermined
            ),
        }
    )


def make_decision(
    *,
    index: int,
    entry_id: str | None,
    course_id: str,
    category: Category,
    role: Role,
    credited_year: int,
    hours: Decimal,
    reason: Reason,
    factor_rule: CreditFactorRule | None,
    would_add: Decimal,
    low: Decimal,
    high: Decimal,
    missing: tuple[str, ...],
    deciding: _Deciding | None,
    duplicate_of: int | None,
    platform: str | None = None,
) -> EntryDecision:
    """One entry's decision, from what was decided about it (by ``judge`` or the columnar engine).

    ``low`` and ``high`` are the least and most hours an ``undetermined`` entry is credited;
    ``deciding`` is the rule that excluded the entry or left it open; ``hours`` are the
    entry's own, before any factor; ``platform`` is the entry's, which the message of an
    entry a platform rule excludes names (二(二)).
    """
    factor = _ONE if factor_rule is None else factor_rule.factor
    counted = reason is _COUNTED
    credited = hours * factor if counted else _ZERO
    rule = factor_rule if counted else deciding
    open_hours = _ZERO
    if counted:
        text = _counted_message(hours, factor, credited, factor_rule)
    elif reason is _UNDETERMINED:
        credited, open_hours, counted = low, high - low, low > 0
        text = _undetermined_message(low, high, missing, rule)
    else:
        missing = ()
        if would_add:
            base = reason.text
            text = message(
                f"{base.zh}（审核通过后可计入{format_hours(would_add)}学时）",
                f"{base.en} (would add {format_hours(would_add)} hours once approved)",
            )
        elif reason is _PLATFORM_NOT_RECOGNISED and isinstance(deciding, RecognisedPlatformsRule):
            text = recognised_platforms.refusal(deciding, platform)
        else:
            text = reason.text
    return EntryDecision.model_validate(
        {
            "index": index,
            "entry_id": entry_id,
            "course_id": course_id,
            "category": category,
            "role": role,
            "credited_year": credited_year,
            "hours": hours,
            "factor": factor,
            "credited_hours": credited,
            "would_add": would_add,
            "undetermined_hours": open_hours,
            "missing_facts": missing,
            "counted": counted,
            "reason": reason,
            "rule": None if rule is None else rule.code,
            "citation": None if rule is None else rule.citation,
            "decision": reason.decision
            if rule is None or rule.reading is None
            else rule.reading.decision,
            "duplicate_of": duplicate_of,
            "message": text,
        },
    )


def _undetermined_message(
    low: Decimal, high: Decimal, facts: tuple[str, ...], rule: _Deciding | None
) -> Message:
    """An entry waiting for missing facts: what it counts for certain and at most."""
    named = _facts_text(facts)
    why_zh = "" if rule is None else f"（{rule.message.zh}）"
    why_en = "" if rule is None else f" ({rule.message.en})"
    if low:
        return message(
            f"待定：缺少{named.zh}；计入{format_hours(low)}学时，至多{format_hours(high)}学时"
            + why_zh,
            f"undetermined: {named.en} missing; counts {format_hours(low)} to "
            f"{format_hours(high)} hours" + why_en,
        )
    return message(
        f"待定：缺少{named.zh}；可能计入{format_hours(high)}学时，也可能不计入" + why_zh,
        f"undetermined: {named.en} missing; may count {format_hours(high)} hours or none" + why_en,
    )


def _counted_message(
    hours: Decimal, factor: Decimal, credited: Decimal, rule: CreditFactorRule | None
) -> Message:
    if factor == _ONE or rule is None:
        return message(
            f"计入{format_hours(credited)}学时", f"counted: {format_hours(credited)} hours"
        )
    return message(
        f"计入{format_hours(credited)}学时（{format_hours(hours)}学时×{format_hours(factor)}，"
        f"{rule.message.zh}）",
        f"counted: {format_hours(credited)} hours ({format_hours(hours)} x "
        f"{format_hours(factor)}; {rule.message.en})",
    )


#: Every value of the facts a record may leave unknown (domain decision 11).
_UNITS: Final = tuple(UnitLevel)
_MODES: Final = tuple(Mode)
#: A range of credited hours: the least and the most the missing facts allow.
_Range = tuple[Decimal, Decimal]


def _open_facts(
    index: _RuleIndex, unit: UnitLevel | None, entry: EntryFields
) -> tuple[
    RecognisedPlatformsRule | None,
    _Range,
    tuple[str, ...],
    RecognisedPlatformsRule | CreditFactorRule | None,
]:
    """How an entry counts when its person's unit, or its course's mode or featured, is unknown.

    Every value the unknown facts could take is tried (at most eight combinations;
    only an online public course can be featured). Returns the platform rule that
    excludes the entry in every combination (else None), the least and the most hours
    credited over the combinations (an excluded one credits 0), the unknown facts
    that change the outcome, and the rule that would decide it (the platform rule that
    excludes it in some combination, or the factor rule of the most credited).
    """
    course = entry.course
    category = course.category
    role = entry.role
    hours = course.hours if entry.hours is None else entry.hours
    outcomes: dict[tuple[UnitLevel, Mode, bool], Decimal | None] = {}
    broken_any: RecognisedPlatformsRule | None = None
    for u in _UNITS if unit is None else (unit,):
        table = index.platform_table[u]
        for m in _MODES if course.mode is None else (course.mode,):
            restricting = table.get((m, category))
            broken = _platform_rule(restricting, role, course.platform) if restricting else None
            broken_any = broken_any or broken
            if course.featured is not None:
                featureds: tuple[bool, ...] = (course.featured,)
            elif category is _PUBLIC and m is Mode.ONLINE:
                featureds = (False, True)
            else:
                featureds = (False,)
            for f in featureds:
                multiplier = index.multiplier_table[role, f, category]
                credited = hours if multiplier is None else hours * multiplier
                outcomes[u, m, f] = None if broken is not None else credited
    values = list(outcomes.values())
    if all(v is None for v in values):
        return broken_any, (_ZERO, _ZERO), (), None
    credits = [_ZERO if v is None else v for v in values]
    low, high = min(credits), max(credits)
    if len(set(values)) == 1:
        return None, (low, high), (), None
    missing = _deciding_facts(outcomes, unit is None, course.mode is None, course.featured is None)
    most = next(key for key, value in outcomes.items() if value == high)
    factor_rule = index.factor_table[role, most[2], category]
    return None, (low, high), missing, broken_any or factor_rule


def _deciding_facts(
    outcomes: Mapping[tuple[UnitLevel, Mode, bool], Decimal | None],
    unit_open: bool,
    mode_open: bool,
    featured_open: bool,
) -> tuple[str, ...]:
    """The unknown facts on which the outcome turns, each alone.

    Called where the outcomes differ: the possible worlds are linked by changes of one
    unknown fact each (any unit level; the mode; featured, where the course is online), so
    some single change changes the outcome, and one fact at least is named.
    """
    facts = []
    for position, fact, open_ in ((0, "unit", unit_open), (1, "mode", mode_open),
                                  (2, "featured", featured_open)):  # fmt: skip
        if not open_:
            continue
        for key, value in outcomes.items():
            for other, other_value in outcomes.items():
                same_elsewhere = all(key[k] == other[k] for k in range(3) if k != position)
                if same_elsewhere and key[position] != other[position] and value != other_value:
                    facts.append(fact)
                    break
            if facts and facts[-1] == fact:
                break
    return tuple(facts)


def _facts_text(facts: tuple[str, ...]) -> Message:
    """The missing facts named in both languages (their column headers)."""
    return message("、".join(column(f).label for f in facts), ", ".join(facts))


def _copy_key(entry: EntryFields, index: _RuleIndex) -> _DuplicateKey:
    """What an entry's copies share: its course id, role and day (decision 4).

    An entry of a course credited once a year (二(三): the instructor of a featured course)
    shares it with every entry of its course and role in the year: no day.
    """
    course = entry.course
    if index.once_table[entry.role, course.featured or False, course.category]:
        return (course.id, entry.role, None)
    return (course.id, entry.role, entry.completed_on)


def _same(one: EntryFields, other: EntryFields) -> bool:
    """Whether two copies (same person, course id and role) are equal in every field.

    The day is compared too: entries of a course credited once a year are copies of each
    other whatever their days (二(三)), and which of them counts must not depend on their
    order (decision 4).
    """
    return one is other or (
        one.id == other.id
        and one.completed_on == other.completed_on
        and one.hours == other.hours
        and one.credited_year == other.credited_year
        and one.certificate_no == other.certificate_no
        and one.status is other.status
        and (one.course is other.course or one.course == other.course)
    )


def _all_same(entries: tuple[EntryFields, ...], indices: list[int]) -> bool:
    """Whether the entries at ``indices`` (copies of one entry) are equal in every field."""
    first = entries[indices[0]]
    for i in indices[1:]:  # noqa: SIM110 - a loop: all() of a generator costs more
        if not _same(entries[i], first):
            return False
    return True


class _Details:
    """What ``evaluate`` decided, kept to build the verdict's details on first use.

    Attributes:
        deciding: The rule that excluded an entry (platform, local deadline), by index.
        duplicate_of: The copy that counts instead of a duplicate, by index.
        would_add: What approving a pending entry would add, by index (where it would).
        ranges: The least and most hours credited to an entry whose counting depends on
            a missing fact, by index (only where they differ).
        missing: The facts such an entry waits for, by index.
        keys: Canonical entry keys computed so far, by index.
    """

    __slots__ = (
        "as_of",
        "deciding",
        "duplicate_of",
        "entries",
        "factor_table",
        "figures",
        "keys",
        "missing",
        "person",
        "policy",
        "ranges",
        "reasons",
        "uncovered",
        "would_add",
        "year",
    )
    figures: list[kinds.Figures]
    # Each key-topic rule not covered, and whether its category's topics are recorded.
    uncovered: tuple[tuple[KeyTopicsRule, bool], ...]

    def __init__(
        self,
        person: Person,
        entries: tuple[EntryFields, ...],
        year: int,
        as_of: date | None,
        policy: Policy,
        reasons: list[Reason],
        factor_table: dict[FactorKey, CreditFactorRule | None],
        deciding: dict[int, _Deciding],
    ) -> None:
        self.person = person
        self.entries = entries
        self.year = year
        self.as_of = as_of
        self.policy = policy
        self.reasons = reasons
        self.factor_table = factor_table  # the policy's, already looked up by evaluate
        self.deciding = deciding
        # Read-only and empty until judge has something to put in them: most calls do not.
        self.duplicate_of: Mapping[int, int] = _NONE
        self.would_add: Mapping[int, Decimal] = _NONE
        self.ranges: Mapping[int, _Range] = _NONE
        self.missing: Mapping[int, tuple[str, ...]] = _NONE
        self.keys: dict[int, str] | None = None  # built on first use
        # figures and uncovered are set by judge once it has them, before any use.

    def requirements(self) -> tuple[RequirementResult, ...]:
        rules = self.policy._index().requirement_rules
        return tuple(map(requirement_result, rules, self.figures))

    def findings(self) -> tuple[Finding, ...]:
        return verdict_findings(self.policy, self.year, self.uncovered)

    def factor_rule(self, index: int) -> CreditFactorRule | None:
        entry = self.entries[index]
        course = entry.course
        # A featured flag still unknown where it does not change the hours: the rule of a
        # course not featured is the one cited.
        return self.factor_table[entry.role, course.featured or False, course.category]

    def toward(self, index: int) -> Category:
        """The category the entry's credited hours count toward (its factor rule's)."""
        entry = self.entries[index]
        course = entry.course
        rule = self.factor_table[entry.role, course.featured or False, course.category]
        if rule is not None and rule.toward is not None:
            return rule.toward
        return course.category

    def credited(self, index: int) -> Decimal:
        """The entry's hours times its factor: the least, if missing facts leave it open."""
        known = self.ranges.get(index)
        if known is not None:
            return known[0]
        entry = self.entries[index]
        course = entry.course
        hours = course.hours if entry.hours is None else entry.hours
        rule = self.factor_table[entry.role, course.featured or False, course.category]
        return hours * (_ONE if rule is None else rule.factor)

    def span(self, index: int) -> _Range:
        """The least and the most hours credited to an entry (equal unless facts are missing)."""
        known = self.ranges.get(index)
        if known is not None:
            return known
        credited = self.credited(index)
        return credited, credited

    def key(self, index: int) -> str:
        keys = self.keys
        if keys is None:
            keys = self.keys = {}
        key = keys.get(index)
        if key is None:
            entry = self.entries[index]
            key = keys[index] = _entry_key(entry, _course_key(entry.course))
        return key

    def decisions(self) -> tuple[EntryDecision, ...]:
        decisions = []
        for index, entry in enumerate(self.entries):
            reason = self.reasons[index]
            low, high = self.ranges.get(index, (_ZERO, _ZERO))
            decisions.append(
                make_decision(
                    index=index,
                    entry_id=entry.id,
                    course_id=entry.course.id,
                    category=entry.course.category,
                    role=entry.role,
                    credited_year=entry.year,
                    hours=entry.effective_hours,
                    reason=reason,
                    factor_rule=self.factor_rule(index),
                    would_add=self.would_add.get(index, _ZERO),
                    low=low,
                    high=high,
                    missing=self.missing.get(index, ()),
                    deciding=self.deciding.get(index),
                    duplicate_of=self.duplicate_of.get(index),
                    platform=entry.course.platform,
                )
            )
        return tuple(decisions)

    def fingerprint(self) -> str:
        person, policy = self.person, self.policy
        head = "\x1e".join(
            (
                _FINGERPRINT_SCHEME,
                policy.id,
                policy.version,
                policy.digest,
                str(self.year),
                self.as_of.isoformat() if self.as_of else "",
                person.id,
                person.unit or "",
                person.city or "",
                person.industry or "",
            )
        )
        # Sorted: the verdict does not depend on input order, so neither does this.
        body = "\x1e".join(sorted(self.key(i) for i in range(len(self.entries))))
        return hashlib.sha256(f"{head}\x1d{body}".encode()).hexdigest()

    def entry_reasons(self) -> tuple[Reason, ...]:
        return tuple(self.reasons)

    def keep(self, group: list[int]) -> int:
        """Of copies of one entry, the one that counts: most hours, then canonical form.

        The choice does not depend on input order (decision 4): among copies that are
        equal in every field any one will do, else the canonical forms decide.
        """
        entries = self.entries
        if _all_same(entries, group):
            return group[0]  # the same record exported twice
        top = self._most_credited(group)
        # (When all of them have most hours, they are not all the same: see above.)
        if len(top) < len(group) and _all_same(entries, top):
            return top[0]
        # A canonical form starts with the entry's id: when no other id starts with the
        # least one, its form is the least too, and the forms can wait (for the fingerprint).
        ids = [entries[i].id or "" for i in top]
        least = min(ids)
        if [other.startswith(least) for other in ids].count(True) == 1:
            return top[ids.index(least)]
        return min(top, key=lambda i: (self.key(i), i))

    def _most_credited(self, group: list[int]) -> list[int]:
        """The copies in ``group`` credited the most hours.

        A copy whose counting waits for a missing fact is weighed by the least it is
        credited, then by the most: of copies that may count nothing (decision 11), the
        one with more hours is the one that counts once the fact is known (decision 4).
        """
        entries = self.entries
        first = entries[group[0]]
        for i in group:
            entry = entries[i]
            if entry.course is not first.course or entry.hours != first.hours:
                break
        else:
            return group  # copies of one course, role and hours are credited alike
        credited = [self.span(i) for i in group]
        most = max(credited)
        return [i for i, hours in zip(group, credited, strict=True) if hours == most]


def evaluate(
    person: Person,
    entries: Iterable[CreditEntry],
    *,
    year: int,
    policy: Policy | str | None = None,
    as_of: date | None = None,
    allow_other_year: bool = False,
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
        allow_other_year: Apply a policy given to a year it does not govern (decision
            8); the verdict then says so in a finding.

    Returns:
        A frozen ``Verdict``. It keeps a reference to ``entries`` until its decisions
        and fingerprint have been built.

    Raises:
        EvaluationInputError: An argument is of the wrong type or out of range.
        PolicyNotFoundError: No policy governs ``year`` and none was given.
    """
    if not isinstance(person, Person):
        raise EvaluationInputError("person", person, "must be a ce_rules.Person")
    year = check_year(year)
    as_of = check_as_of(as_of)
    rules = resolve_policy(policy, year, allow_other_year=allow_other_year)
    return judge(person, _check_entries(entries), year, rules, as_of)


def _check_entries(entries: Iterable[CreditEntry]) -> tuple[CreditEntry, ...]:
    """``entries`` as a tuple if every one is a ``CreditEntry``; else ``EvaluationInputError``."""
    entries = tuple(entries)
    for entry in entries:
        if not isinstance(entry, CreditEntry):  # an exact type is matched first, at no cost
            # Looked for only now, to name it: enumerate would slow down every call.
            index = next(i for i, e in enumerate(entries) if e is entry)
            raise EvaluationInputError(f"entries[{index}]", entry, "must be a ce_rules.CreditEntry")
    return entries


def judge(
    person: Person,
    entries: tuple[EntryFields, ...],
    year: int,
    rules: Policy,
    as_of: date | None,
) -> Verdict:
    """``evaluate`` without its argument checks, for callers that made them once.

    The caller guarantees a ``Person``, a tuple of entries (``CreditEntry``, or any
    ``EntryFields`` holding valid values), a checked ``year`` and ``as_of``
    (``check_as_of``), and a resolved policy that is not an overlay (``resolve_policy``).
    """
    index_of_rules = rules._index()  # the rules by kind and in tables, derived once
    factor_table = index_of_rules.factor_table
    deadline_rules = index_of_rules.category_deadline_rules
    unit = person.unit
    # None: the unit is unknown, and each entry a platform rule may restrict is looked at
    # under every unit level (_open_facts).
    platform_rules = None if unit is None else index_of_rules.platform_table[unit]
    person_id = person.id

    # Every entry counts unless a check below says otherwise.
    reasons = [_COUNTED] * len(entries)
    deciding: dict[int, _Deciding] = {}
    # The first counted entry of each course; and, for a course counted more than once,
    # the counted entry of each duplicate key (the first, until duplicates are resolved).
    # Most courses count once: their id alone is a cheaper key than a tuple.
    first_of_course: dict[str, int] = {}
    first_counted: dict[_DuplicateKey, int] = {}
    # The keys seen more than once (None until there is one: rare).
    duplicated: dict[_DuplicateKey, list[int]] | None = None
    # Counted entries whose course names topics, or records none: index, category, topics.
    topical: list[tuple[int, Category, tuple[str, ...] | None]] = []
    pending_candidates: dict[_DuplicateKey, list[int]] | None = None
    # Entries whose counting waits for a missing fact (None until there is one: rare).
    ranges: dict[int, _Range] | None = None
    missing_of: dict[int, tuple[str, ...]] = {}
    # Two locals rather than a dict by category: cheaper to add to for every entry.
    public = professional = _ZERO
    open_public = open_professional = _ZERO
    # What credit factors multiply hours by (None: nothing to multiply); first those of a
    # learner of a course that is not featured, most entries.
    credits = index_of_rules.credit_table
    learner_public = credits[_LEARNER, False, _PUBLIC]
    learner_professional = credits[_LEARNER, False, _PROFESSIONAL]

    for index, entry in enumerate(entries):
        course = entry.course
        category = course.category
        completed_on = entry.completed_on
        if entry.person_id != person_id:
            reasons[index] = Reason.OTHER_PERSON
            continue
        if (entry.credited_year or completed_on.year) != year:
            reasons[index] = Reason.OTHER_YEAR
            continue
        if as_of is not None and completed_on > as_of:  # without as_of, none is too late
            reasons[index] = Reason.AFTER_AS_OF
            continue
        if deadline_rules and (missed := _category_deadline(deadline_rules, entry)):
            reasons[index] = Reason.AFTER_CATEGORY_DEADLINE
            deciding[index] = missed
            continue
        span: _Range | None = None
        if platform_rules is None or course.mode is None or course.featured is None:
            broken, span, missing, maybe = _open_facts(index_of_rules, unit, entry)
            if span[0] == span[1]:
                span = None  # the missing facts do not matter for this entry
            else:
                if ranges is None:
                    ranges = {}
                ranges[index] = span
                missing_of[index] = missing
                if maybe is not None:
                    deciding[index] = maybe
        else:
            restricting = platform_rules.get((course.mode, category))
            broken = (
                _platform_rule(restricting, entry.role, course.platform) if restricting else None
            )
        if broken is not None:
            reasons[index] = _PLATFORM_NOT_RECOGNISED
            deciding[index] = broken
            continue
        role = entry.role
        if entry.status is not _APPROVED:
            reason = reasons[index] = _STATUS_REASON[entry.status]
            if reason is _PENDING:
                if pending_candidates is None:
                    pending_candidates = {}
                key = _copy_key(entry, index_of_rules)
                pending_candidates.setdefault(key, []).append(index)
            continue
        featured = course.featured
        if role is _LEARNER and not featured:  # most entries: looked up once per call
            credit = learner_public if category is _PUBLIC else learner_professional
        else:
            credit = credits[role, featured or False, category]
        # (An entry waiting for a missing fact may be credited more than 0: its span
        # differs, so its most is above its least, which is 0 or more.)
        if span is None and credit.nothing:
            # A factor of 0: the policy credits nothing for such an entry (decision 3).
            reasons[index] = _NOT_CREDITED
            deciding[index] = factor_table[role, featured or False, category]  # type: ignore[assignment]
            continue
        first = first_of_course.setdefault(course.id, index)
        if first != index:  # the course counts again: a copy if of the same key
            first_counted.setdefault(_copy_key(entries[first], index_of_rules), first)
            key = _copy_key(entry, index_of_rules)
            first = first_counted.setdefault(key, index)
            if first != index:
                if duplicated is None:
                    duplicated = {}
                duplicated.setdefault(key, [first]).append(index)
        toward = credit.toward
        if span is not None:
            # Counted for what is certain; what the missing facts might add is kept apart.
            reasons[index] = _UNDETERMINED
            credited, extra = span[0], span[1] - span[0]
            if toward is _PUBLIC:
                open_public += extra
            else:
                open_professional += extra
        else:
            hours = course.hours if entry.hours is None else entry.hours
            factor = credit.multiplier
            credited = hours if factor is None else hours * factor
        if toward is _PUBLIC:
            public += credited
        else:
            professional += credited
        topics = course.topics
        if topics is None or topics:
            topical.append((index, category, topics))

    details = _Details(person, entries, year, as_of, rules, reasons, factor_table, deciding)
    if ranges is not None:
        details.ranges = ranges
        details.missing = missing_of
    # Duplicates (decision 4): of one course, role and day, one entry counts; the
    # others were added above and are taken out again.
    if duplicated:
        details.duplicate_of = duplicate_of = {}
        for key, group in duplicated.items():
            keep = first_counted[key] = details.keep(group)
            kept_day = entries[keep].completed_on
            for index in group:
                if index != keep:
                    credited = details.credited(index)
                    extra = _ZERO
                    if reasons[index] is _UNDETERMINED:
                        low, high = details.ranges[index]
                        extra = high - low
                    # A copy of the same day is a duplicate (decision 4); another day's entry
                    # of a course credited once a year was credited already (二(三)).
                    same_day = entries[index].completed_on == kept_day
                    reasons[index] = _DUPLICATE if same_day else _ALREADY_CREDITED
                    duplicate_of[index] = keep
                    if details.toward(index) is _PUBLIC:
                        public -= credited
                        open_public -= extra
                    else:
                        professional -= credited
                        open_professional -= extra

    # Approving pending copies of one entry would make the one with most hours count
    # (decision 4): it would add its hours, less those of a copy that counts already.
    pending: Mapping[Category, Decimal] = _NOTHING_PENDING
    if pending_candidates:
        pending = adding = {_PUBLIC: _ZERO, _PROFESSIONAL: _ZERO}
        details.would_add = would_add_by = {}
        for key, group in pending_candidates.items():
            best = group[0] if len(group) == 1 else details.keep(group)
            would_add = details.credited(best)
            counted = first_counted.get(key)
            if counted is None:  # a course counted once is known by its id alone
                only = first_of_course.get(key[0])
                if only is not None and _copy_key(entries[only], index_of_rules) == key:
                    counted = only
            if counted is not None:
                would_add -= details.credited(counted)
            if would_add > _ZERO:
                would_add_by[best] = would_add
                adding[details.toward(best)] += would_add
    open_by: Mapping[Category, Decimal] = _NOTHING_PENDING
    if open_public or open_professional:
        open_by = {_PUBLIC: open_public, _PROFESSIONAL: open_professional}

    totals = Totals(
        {_PUBLIC: public, _PROFESSIONAL: professional},
        dict(pending),
        dict(open_by),
    )
    # One loop, no comprehensions: each would be a call of its own for two or three rules.
    # The figures decide the status; the result objects are built on first use.
    figures = []
    met = 0
    failing = undecided = False  # some requirement certainly failing / still open
    for rule in index_of_rules.requirement_rules:
        numbers = kinds.figures(rule, totals)
        figures.append(numbers)
        if numbers.met:
            met += 1
        elif numbers.determined:
            failing = True
        else:
            undecided = True
    details.figures = figures
    compliant = met == len(figures)
    if compliant:
        status = _COMPLIANT
    elif as_of is not None and as_of <= date(year, 12, 31):
        status = Status.IN_PROGRESS
    elif undecided and not failing:
        status = Status.UNDETERMINED
    else:
        status = Status.NON_COMPLIANT
    details.uncovered = _uncovered(
        index_of_rules.topic_rules, index_of_rules.topic_keys, reasons, topical
    )
    missing_facts: tuple[str, ...] = ()
    if ranges is not None:
        missing_facts = tuple(
            sorted(
                {f for i, facts in missing_of.items() if reasons[i] is _UNDETERMINED for f in facts}
            )
        )
    fields: dict[str, Any] = {
        "person_id": person_id,
        "year": year,
        "policy_id": rules.id,
        "policy_version": rules.version,
        "as_of": as_of,
        "status": status,
        "compliant": compliant,
        "certificate_eligible": _certificate(index_of_rules.certificate_positions, figures),
        "certificate_citation": rules.certificate_citation,
        "certificate_reading": rules.certificate_reading,
        "missing_facts": missing_facts,
    }
    return with_details(Verdict, fields, details)


def _certificate(positions: tuple[int, ...] | None, figures: list[kinds.Figures]) -> bool | None:
    """Whether the requirements the certificate needs (at ``positions``) are met.

    None if missing facts decide, or if the policy names no certificate condition.
    """
    if positions is None:
        return None
    eligible: bool | None = True
    for position in positions:
        numbers = figures[position]
        if not numbers.met:
            if numbers.determined:
                return False
            eligible = None
    return eligible


def _uncovered(
    topic_rules: tuple[KeyTopicsRule, ...],
    topic_keys: tuple[frozenset[str], ...],
    reasons: list[Reason],
    topical: list[tuple[int, Category, tuple[str, ...] | None]],
) -> tuple[tuple[KeyTopicsRule, bool], ...]:
    """The key-topic rules no counted entry covers (advisory), each with whether that is known.

    ``topical``: the entries that counted when judged (index, category, topics), some of
    which duplicates then took out. False where a counted entry of the rule's category
    does not record its topics: it might cover the rule (decision 14).
    """
    uncovered: tuple[tuple[KeyTopicsRule, bool], ...] = ()
    if not topic_rules:
        return uncovered
    counted = [
        (category, topics) for index, category, topics in topical if reasons[index] is _COUNTED
    ]
    for rule, keys in zip(topic_rules, topic_keys, strict=True):
        found = key_topics.covered(rule, keys, counted)
        if not found:
            uncovered += ((rule, found is False),)
    return uncovered


def verdict_findings(
    policy: Policy, year: int, uncovered: tuple[tuple[KeyTopicsRule, bool], ...]
) -> tuple[Finding, ...]:
    """A verdict's findings: key topics not covered, loosenings, a policy out of its years."""
    findings = tuple(
        _topic_finding(rule) if known else _topics_not_recorded_finding(rule)
        for rule, known in uncovered
    )
    if policy.loosenings:
        findings += _loosening_findings(policy)
    if year not in policy.years:
        findings += (other_year_finding(policy, year),)
    return findings


def topic_findings(policy: Policy) -> dict[str, Finding]:
    """Each key-topic finding by the name the columnar engine gives it (``key_topics``)."""
    found: dict[str, Finding] = {}
    for rule in policy.topic_rules:
        found[rule.code] = _topic_finding(rule)
        found[key_topics.not_recorded_key(rule)] = _topics_not_recorded_finding(rule)
    return found


def _topic_finding(rule: KeyTopicsRule) -> Finding:
    """The finding when no counted hours are in a key topic."""
    return Finding.model_validate(
        {
            "code": rule.code,
            "citation": rule.citation,
            "reading": rule.reading,
            "decision": None if rule.reading is None else rule.reading.decision,
            "message": message(
                f"{rule.message.zh}；本年度计入的学时中没有专题系列课程",
                f"{rule.message.en}; no counted hours this year are in one of them",
            ),
        },
    )


def _topics_not_recorded_finding(rule: KeyTopicsRule) -> Finding:
    """The finding when the topics of counted hours are not recorded (decision 14).

    Whether the rule's key series are covered cannot be told: the finding says so, with
    the rule's clause, instead of claiming they are not.
    """
    return Finding.model_validate(
        {
            "code": key_topics.NOT_RECORDED,
            "citation": rule.citation,
            "reading": None,
            "decision": 14,
            "message": key_topics.not_recorded_message(rule),
        },
    )
