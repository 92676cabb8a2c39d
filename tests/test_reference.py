"""Differential tests: ``ce.evaluate`` against a slow reference written from the docs.

The reference evaluator below is written from docs/concepts.md, docs/overlays.md and the
policy files' rules, not from the engine: one plain pass per check, no tables, no caches,
no laziness. Hypothesis generates persons, courses, entries, policies and ``as_of`` days
and every number of the engine's verdict is compared with the reference's.

Where several copies of one entry tie for the most credited hours, the docs say the
"canonical form" breaks the tie without defining it: the reference then checks that the
engine kept one of the tied copies and goes on from the engine's pick, so every position
and total is still compared exactly; the reversed-order property checks that the pick
does not depend on input order.

Two readings the docs leave open, taken as the engine's module docstring states them: a
local category deadline is checked after ``as_of`` and before the platform rule; of
several pending copies, one (the most credited hours) shows ``would_add``: its hours less
those of a copy that counts already, so that a requirement's ``pending`` counts the copy
once and only what approving it would add.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ce_rules as ce
from _policies import STRICT_NATIONAL  # tests/_policies.py
from ce_rules.testing import compliant_entries
from ce_rules.testing import strategies as ces

ROOT = Path(__file__).resolve().parent.parent
PERSON_ID = "370102198001011234"
OTHER_PERSON_ID = "370102199001015678"
CITY = "示例市"
SHANDONG = ce.get_policy("shandong", 2024)
NATIONAL = ce.get_policy("cn-national", 2024)
CITY_POLICY = ce.merge_overlay(
    SHANDONG, ce.load_overlay(ROOT / "examples" / "overlays" / "example-city-2024.toml")
)
LOOSENED_POLICY = ce.merge_overlay(
    SHANDONG, ce.load_overlay(ROOT / "tests" / "data" / "overlays" / "city-loosen.toml")
)
POLICIES = (SHANDONG, NATIONAL, STRICT_NATIONAL, CITY_POLICY, LOOSENED_POLICY)
ZERO = Decimal(0)
ROUNDING = "ceiling to 0.01 hour"
STATUS_REASONS = {
    ce.EntryStatus.PENDING: ce.Reason.PENDING,
    ce.EntryStatus.REJECTED: ce.Reason.REJECTED,
    ce.EntryStatus.REVOKED: ce.Reason.REVOKED,
}


# --------------------------------------------------------------------------------------
# The reference evaluator
# --------------------------------------------------------------------------------------


@dataclass
class RefEntry:
    """What the reference decided for one entry."""

    reason: ce.Reason
    factor: Decimal
    credited_hours: Decimal
    would_add: Decimal
    rule: str | None

    def row(self) -> tuple[object, ...]:
        """The compared fields, as a tuple."""
        return (
            self.reason,
            self.reason is ce.Reason.COUNTED,
            self.factor,
            self.credited_hours,
            self.would_add,
            self.rule,
        )


@dataclass
class RefRequirement:
    """What the reference decided for one requirement rule."""

    code: str
    required: Decimal
    earned: Decimal
    shortfall: Decimal
    pending: Decimal
    met: bool
    rounding: str | None


@dataclass
class RefVerdict:
    """The reference's verdict."""

    entries: list[RefEntry]
    requirements: list[RefRequirement]
    status: ce.Status
    compliant: bool
    certificate_eligible: bool | None
    finding_codes: list[str]


def rules_of(policy: ce.Policy, kind: str) -> list[ce.Rule]:
    """The policy's rules of one kind, in policy order."""
    return [rule for rule in policy.rules if rule.kind == kind]


def factor_rule(policy: ce.Policy, entry: ce.CreditEntry) -> ce.CreditFactorRule | None:
    """The first matching credit_factor rule; none means the hours count once."""
    for rule in rules_of(policy, "credit_factor"):
        if rule.role != entry.role:
            continue
        if rule.featured is not None and rule.featured != entry.course.featured:
            continue
        if rule.category is not None and rule.category != entry.course.category:
            continue
        return rule  # type: ignore[return-value]
    return None


def credit_factor(policy: ce.Policy, entry: ce.CreditEntry) -> tuple[Decimal, str | None]:
    """The first matching credit_factor rule's factor and code; no match means 1 and none."""
    rule = factor_rule(policy, entry)
    return (Decimal(1), None) if rule is None else (rule.factor, rule.code)


def last_day_of(year: int, month: int, day: int) -> date:
    """The day ``day`` of the month, or its last day if the month is shorter."""
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def missed_deadline(policy: ce.Policy, entry: ce.CreditEntry) -> str | None:
    """The code of a local category deadline the entry misses (in its credited year)."""
    credited_year = entry.credited_year or entry.completed_on.year
    for rule in rules_of(policy, "category_deadline"):
        if rule.category != entry.course.category:
            continue
        if entry.completed_on > last_day_of(credited_year, rule.month, rule.day):
            return rule.code
    return None


def broken_platform_rule(policy: ce.Policy, person: ce.Person, entry: ce.CreditEntry) -> str | None:
    """The code of a recognised_platforms rule the entry breaks, if any."""
    for rule in rules_of(policy, "recognised_platforms"):
        if (
            rule.unit_level == person.unit
            and rule.mode == entry.course.mode
            and rule.category == entry.course.category
            and entry.role in rule.roles
            and entry.course.platform not in rule.platforms
        ):
            return rule.code
    return None


def ceiling_cent(value: Fraction) -> tuple[Decimal, bool]:
    """``value`` rounded up to 0.01, and whether that changed it."""
    hundredths = value * 100
    whole = -((-hundredths.numerator) // hundredths.denominator)  # ceiling
    rounded = Decimal(whole) / 100
    return rounded, Fraction(whole, 100) != value


def reference_evaluate(
    person: ce.Person,
    entries: list[ce.CreditEntry],
    year: int,
    policy: ce.Policy,
    as_of: date | None,
    choose: Callable[[list[int]], int] = min,
) -> RefVerdict:
    """The verdict as docs/concepts.md describes it, computed the slow, plain way.

    Of copies tied for the most credited hours, the docs let the entries' canonical form
    pick the one that counts without defining that form; ``choose`` picks it here.
    """
    decided: list[RefEntry] = []
    for entry in entries:
        factor, factor_code = credit_factor(policy, entry)
        credited_year = entry.credited_year or entry.completed_on.year
        rule = None
        if entry.person_id != person.id:
            reason = ce.Reason.OTHER_PERSON
        elif credited_year != year:
            reason = ce.Reason.OTHER_YEAR
        elif as_of is not None and entry.completed_on > as_of:
            reason = ce.Reason.AFTER_AS_OF
        elif (rule := missed_deadline(policy, entry)) is not None:
            reason = ce.Reason.AFTER_CATEGORY_DEADLINE
        elif (rule := broken_platform_rule(policy, person, entry)) is not None:
            reason = ce.Reason.PLATFORM_NOT_RECOGNISED
        elif entry.status != ce.EntryStatus.APPROVED:
            reason = STATUS_REASONS[entry.status]
        elif factor == 0:
            reason = ce.Reason.NOT_CREDITED  # the policy credits such an entry 0 times
            rule = factor_code
        else:
            reason = ce.Reason.COUNTED
            rule = factor_code
        decided.append(RefEntry(reason, factor, ZERO, ZERO, rule))

    def credit(index: int) -> Decimal:
        return entries[index].effective_hours * decided[index].factor

    def copy_key(index: int) -> tuple[str, ce.Role, date | None]:
        entry = entries[index]
        rule = factor_rule(policy, entry)
        if rule is not None and rule.once_per_course_year:
            return (entry.course.id, entry.role, None)  # 二(三): once per course and year
        return (entry.course.id, entry.role, entry.completed_on)

    # Decision 4: of copies that would count, the one with the most credited hours does;
    # of the entries of a course credited once a year, one counts and the others (on
    # other days) were credited already.
    groups: dict[tuple[str, ce.Role, date | None], list[int]] = {}
    for index, decision in enumerate(decided):
        if decision.reason is ce.Reason.COUNTED:
            groups.setdefault(copy_key(index), []).append(index)
    for group in groups.values():
        most = max(credit(i) for i in group)
        kept = choose([i for i in group if credit(i) == most])
        for index in group:
            if index != kept:
                same_day = entries[index].completed_on == entries[kept].completed_on
                decided[index].reason = (
                    ce.Reason.DUPLICATE if same_day else ce.Reason.ALREADY_CREDITED
                )
                decided[index].rule = None
    for index, decision in enumerate(decided):
        if decision.reason is ce.Reason.COUNTED:
            decision.credited_hours = credit(index)

    # Decisions 4 and 5: approving pending copies would make the one with most hours
    # count, adding its hours less those of a copy that counts already; of several
    # pending copies, what approving them adds is counted once.
    pending_groups: dict[tuple[str, ce.Role, date | None], list[int]] = {}
    for index, decision in enumerate(decided):
        if decision.reason is ce.Reason.PENDING:
            pending_groups.setdefault(copy_key(index), []).append(index)
    for key, group in pending_groups.items():
        most = max(credit(i) for i in group)
        counting = [i for i in groups.get(key, []) if decided[i].reason is ce.Reason.COUNTED]
        added = most - (credit(counting[0]) if counting else ZERO)
        if added > 0:
            decided[choose([i for i in group if credit(i) == most])].would_add = added

    earned = dict.fromkeys(ce.Category, ZERO)
    pending = dict.fromkeys(ce.Category, ZERO)
    for index, decision in enumerate(decided):
        rule = factor_rule(policy, entries[index])
        toward = entries[index].course.category
        if rule is not None and rule.toward is not None:
            toward = rule.toward  # the category the policy credits the hours toward
        earned[toward] += decision.credited_hours
        pending[toward] += decision.would_add
    total = earned[ce.Category.PUBLIC] + earned[ce.Category.PROFESSIONAL]
    total_pending = pending[ce.Category.PUBLIC] + pending[ce.Category.PROFESSIONAL]

    requirements = []
    for rule in policy.rules:
        if rule.kind == "min_hours":
            got = total if rule.category is None else earned[rule.category]
            waiting = total_pending if rule.category is None else pending[rule.category]
            met = got >= rule.hours
            requirements.append(
                RefRequirement(
                    rule.code,
                    rule.hours,
                    got,
                    ZERO if met else rule.hours - got,
                    waiting,
                    met,
                    None,
                )
            )
        elif rule.kind == "min_share" and rule.required_total is not None:
            # Decision 10: the share of a required total (令第25号 第八条: two thirds of 90).
            share = Fraction(rule.share.replace(" ", ""))
            got = earned[rule.category]
            required, inexact = ceiling_cent(share * Fraction(rule.required_total))
            met = got >= required
            requirements.append(
                RefRequirement(
                    rule.code,
                    required,
                    got,
                    ZERO if met else required - got,
                    pending[rule.category],
                    met,
                    ROUNDING if inexact else None,
                )
            )
        elif rule.kind == "min_share":
            share = Fraction(rule.share.replace(" ", ""))
            got = earned[rule.category]
            exact_required = share * Fraction(total)
            met = Fraction(got) >= exact_required
            required, inexact_required = ceiling_cent(exact_required)
            # Adding x hours of the category: got + x >= share * (total + x).
            exact_shortfall = Fraction(0) if met else (exact_required - Fraction(got)) / (1 - share)
            shortfall, inexact_shortfall = ceiling_cent(exact_shortfall)
            requirements.append(
                RefRequirement(
                    rule.code,
                    required,
                    got,
                    shortfall,
                    pending[rule.category],
                    met,
                    ROUNDING if inexact_required or inexact_shortfall else None,
                )
            )

    compliant = all(r.met for r in requirements)
    if compliant:
        status = ce.Status.COMPLIANT
    elif as_of is not None and as_of <= date(year, 12, 31):
        status = ce.Status.IN_PROGRESS
    else:
        status = ce.Status.NON_COMPLIANT
    met_codes = [r.code for r in requirements if r.met]
    eligible = (
        all(code in met_codes for code in policy.certificate_requires)
        if policy.certificate_requires
        else None
    )

    findings = []
    for rule in rules_of(policy, "key_topics"):
        counted = [
            entries[index].course
            for index, decision in enumerate(decided)
            if decision.reason is ce.Reason.COUNTED
            and entries[index].course.category == rule.category
        ]
        recorded = [course.topics for course in counted if course.topics is not None]
        if any(topic in rule.topics for topics in recorded for topic in topics):
            continue
        # Decision 14: topics not recorded are unknown, not absent.
        findings.append("key_topics_not_recorded" if len(recorded) < len(counted) else rule.code)
    findings.extend(loosening.code for loosening in policy.loosenings)
    return RefVerdict(decided, requirements, status, compliant, eligible, findings)


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------


def engine_row(decision: ce.EntryDecision) -> tuple[object, ...]:
    """The compared fields of an engine decision, in the order of ``RefEntry.row``."""
    return (
        decision.reason,
        decision.counted,
        decision.factor,
        decision.credited_hours,
        decision.would_add,
        decision.rule,
    )


def assert_agrees(
    person: ce.Person,
    entries: list[ce.CreditEntry],
    year: int,
    policy: ce.Policy,
    as_of: date | None,
) -> ce.Verdict:
    """Evaluate with the engine and the reference and assert they say the same."""
    verdict = ce.evaluate(person, entries, year=year, policy=policy, as_of=as_of)
    # What a batch reads, taken before the decisions are built (they are built lazily).
    outline = (
        verdict.status,
        verdict.compliant,
        verdict.certificate_eligible,
        [f.code for f in verdict.findings],
        verdict.requirements,
        verdict.reasons,
    )
    decisions = verdict.entries

    def engine_choice(tied: list[int]) -> int:
        # The engine must have picked one of the copies with the most credited hours.
        picked = [i for i in tied if decisions[i].counted or decisions[i].would_add]
        assert len(picked) == 1, tied
        return picked[0]

    expected = reference_evaluate(person, entries, year, policy, as_of, engine_choice)

    status, compliant, eligible, finding_codes, requirements, reasons = outline
    assert status is expected.status
    assert compliant is expected.compliant
    assert eligible is expected.certificate_eligible
    assert finding_codes == expected.finding_codes

    assert len(requirements) == len(expected.requirements)
    for got, want in zip(requirements, expected.requirements, strict=True):
        assert got.code == want.code
        assert (got.required, got.earned, got.shortfall, got.pending, got.met, got.rounding) == (
            want.required,
            want.earned,
            want.shortfall,
            want.pending,
            want.met,
            want.rounding,
        ), got.code

    assert [d.index for d in decisions] == list(range(len(entries)))
    assert list(reasons) == [d.reason for d in decisions]
    for index, (decision, want) in enumerate(zip(decisions, expected.entries, strict=True)):
        assert decision.hours == entries[index].effective_hours
        assert engine_row(decision) == want.row(), index
    # A duplicate names the copy that counted instead: same course, role and day; a
    # course credited already in the year names the copy that was, on another day.
    for decision in decisions:
        if decision.reason in (ce.Reason.DUPLICATE, ce.Reason.ALREADY_CREDITED):
            kept = decision.duplicate_of
            assert kept is not None
            assert decisions[kept].counted
            one, other = entries[decision.index], entries[kept]
            assert (one.course.id, one.role) == (other.course.id, other.role)
            same_day = one.completed_on == other.completed_on
            assert same_day is (decision.reason is ce.Reason.DUPLICATE)
        else:
            assert decision.duplicate_of is None

    assert ce.Verdict.model_validate_json(verdict.model_dump_json()) == verdict
    return verdict


# --------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------

OTHER_PLATFORM = "某市继续教育平台"
#: Kinds of course, listed so that each turns up often: (category, mode, platforms).
COURSE_KINDS = [
    (ce.Category.PUBLIC, ce.Mode.ONLINE, ces.RECOGNISED_PLATFORMS),
    (ce.Category.PUBLIC, ce.Mode.ONLINE, (OTHER_PLATFORM, None)),
    (ce.Category.PUBLIC, ce.Mode.OFFLINE, (None,)),
    (ce.Category.PROFESSIONAL, ce.Mode.OFFLINE, (None,)),
    (ce.Category.PROFESSIONAL, ce.Mode.ONLINE, (*ces.RECOGNISED_PLATFORMS, OTHER_PLATFORM, None)),
]
#: Thresholds are easier to reach and hit exactly with round hours; any valid hours too.
HOURS = st.one_of(
    st.sampled_from([Decimal(30), Decimal(60), Decimal(15), Decimal(10), Decimal("0.5")]),
    ces.hours(max_value=Decimal(60)),
)


@st.composite
def courses(
    draw: st.DrawFn,
    course_id: str,
    kinds: list[tuple[ce.Category, ce.Mode, tuple[str | None, ...]]] = COURSE_KINDS,
) -> ce.Course:
    """A course of one of ``kinds``: category, mode and the platforms it may be on."""
    category, mode, platforms = draw(st.sampled_from(kinds))
    featured = category is ce.Category.PUBLIC and mode is ce.Mode.ONLINE and draw(st.booleans())
    topics = (
        draw(st.lists(st.sampled_from(ce.PublicTopic), max_size=2, unique=True))
        if category is ce.Category.PUBLIC
        else []
    )
    recorded = draw(st.sampled_from([True, True, False]))  # not recorded: decision 14
    return ce.Course(
        id=course_id,
        title="课程" + course_id,
        category=category,
        hours=draw(HOURS),
        mode=mode,
        platform=draw(st.sampled_from(platforms)),
        featured=featured,
        topics=tuple(topics) if recorded else None,
    )


def days(year: int) -> st.SearchStrategy[date]:
    """Days of ``year``; a few fixed ones often, so that copies share a day."""
    fixed = [date(year, 1, 1), date(year, 6, 1), date(year, 10, 31), date(year, 11, 1)]
    return st.sampled_from([*fixed, date(year, 12, 31)]) | ces.dates_in(year)


#: What makes an entry other than a plain approved in-year entry of the person.
TWISTS = st.sampled_from(
    ["plain"] * 6 + ["other_person", "other_year", "make_up", "make_up_missed", "status"]
)


@st.composite
def entry_for(draw: st.DrawFn, pool: list[ce.Course], year: int, person_id: str) -> ce.CreditEntry:
    """An entry on a course of the pool: any person, role, day, status, make-up year."""
    course = draw(st.sampled_from(pool))
    twist = draw(TWISTS)
    completed_on = draw(days(year))
    credited_year = None
    if twist == "other_year":
        completed_on = draw(days(draw(st.sampled_from([year - 1, year + 1]))))
    elif twist == "make_up":  # make-up study (补学) completed later, credited to this year
        completed_on = draw(days(year + 1))
        credited_year = year
    elif twist == "make_up_missed":  # completed this year, credited to an earlier one
        credited_year = year - 1
    partial = draw(st.booleans())
    status = ce.EntryStatus.APPROVED
    if twist == "status":
        status = draw(st.sampled_from(list(STATUS_REASONS)))
    return ce.CreditEntry(
        id=draw(st.sampled_from([None, "E-1", "E-2"])),
        person_id=OTHER_PERSON_ID if twist == "other_person" else person_id,
        course=course,
        role=draw(st.sampled_from(ce.Role)),
        completed_on=completed_on,
        hours=draw(ces.hours(max_value=course.hours)) if partial else None,
        credited_year=credited_year,
        certificate_no=draw(st.sampled_from([None, "Z-1"])),
        status=status,
    )


@st.composite
def copy_of(draw: st.DrawFn, entry: ce.CreditEntry) -> ce.CreditEntry:
    """A copy of ``entry`` (course id, role, day): equal, or other hours, id, status, course."""
    changes: dict[str, object] = {}
    the_course = entry.course
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        # Another course under the same id (another catalogue's record of it).
        the_course = draw(courses(the_course.id))
        changes["hours"] = None
    if draw(st.booleans()):
        changes["hours"] = draw(st.none() | ces.hours(max_value=the_course.hours))
    if draw(st.booleans()):
        changes["id"] = draw(st.sampled_from([None, "E-1", "E-2", "E-3"]))
    if draw(st.booleans()):
        changes["status"] = draw(st.sampled_from(ce.EntryStatus))
    if draw(st.booleans()):
        changes["certificate_no"] = draw(st.sampled_from([None, "Z-1", "Z-2"]))
    return ce.CreditEntry.model_validate({**entry.model_dump(), **changes, "course": the_course})


Case = tuple[ce.Person, list[ce.CreditEntry], int, ce.Policy, "date | None"]


@st.composite
def cases(
    draw: st.DrawFn,
    kinds: list[tuple[ce.Category, ce.Mode, tuple[str | None, ...]]] = COURSE_KINDS,
    policies: tuple[ce.Policy, ...] = POLICIES,
    near_threshold: bool = False,
) -> Case:
    """A person, entries, a year, a policy and an ``as_of`` to judge them with.

    With ``near_threshold`` the entries start from ones that exactly meet the policy's
    requirements, some of which are dropped, and generated entries are mixed in.
    """
    policy = draw(st.sampled_from(policies))
    year = draw(st.sampled_from([2020, 2024])) if policy.region == "cn-national" else 2024
    person = ce.Person(
        id=PERSON_ID,
        unit=draw(st.sampled_from(ce.UnitLevel)),
        city=draw(st.sampled_from([None, CITY])),
    )
    ids = draw(
        st.lists(
            st.sampled_from(["C-1", "C-2", "C-3", "C-4", "C-5"]),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    pool = [draw(courses(course_id, kinds)) for course_id in ids]
    entries: list[ce.CreditEntry] = draw(st.lists(entry_for(pool, year, person.id), max_size=14))
    if near_threshold:
        exact = compliant_entries(person, year, policy=policy)
        kept = draw(st.lists(st.booleans(), min_size=len(exact), max_size=len(exact)))
        for one, keep in zip(exact, kept, strict=True):
            if keep or draw(st.booleans()):
                entries.insert(draw(st.integers(min_value=0, max_value=len(entries))), one)
    for _ in range(draw(st.integers(min_value=0, max_value=4)) if entries else 0):
        original = draw(st.sampled_from(entries))
        position = draw(st.integers(min_value=0, max_value=len(entries)))
        entries.insert(position, draw(copy_of(original)))
    as_of = None
    if draw(st.booleans()):
        as_of = draw(
            st.sampled_from(
                [
                    date(year, 10, 31),
                    date(year, 11, 1),
                    date(year + 1, 3, 31),
                    date(year - 1, 12, 31),
                ]
            )
            | st.dates(min_value=date(year, 1, 1), max_value=date(year + 1, 6, 30))
        )
    return person, entries, year, policy, as_of


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@given(cases())
def test_engine_agrees_with_reference(case: Case) -> None:
    """On generated cases every entry decision, requirement and status matches the reference."""
    assert_agrees(*case)


@given(cases(near_threshold=True))
def test_engine_agrees_with_reference_near_thresholds(case: Case) -> None:
    """Around exactly-met requirements every decision and requirement matches the reference."""
    assert_agrees(*case)


@given(
    cases(
        kinds=[kind for kind in COURSE_KINDS if kind[:2] == (ce.Category.PUBLIC, ce.Mode.ONLINE)],
        policies=(SHANDONG, CITY_POLICY),
    )
)
def test_engine_agrees_with_reference_on_online_public_hours(case: Case) -> None:
    """Online public hours (platforms, featured instructors) are judged as the reference does."""
    assert_agrees(*case)


@given(cases())
def test_engine_agrees_with_reference_in_any_order(case: Case) -> None:
    """Reversing the input entries still matches the reference and keeps the outcome."""
    person, entries, year, policy, as_of = case
    forward = ce.evaluate(person, entries, year=year, policy=policy, as_of=as_of)
    backward = assert_agrees(person, entries[::-1], year, policy, as_of)
    assert backward.requirements == forward.requirements
    assert backward.status is forward.status
    assert backward.fingerprint == forward.fingerprint


# --------------------------------------------------------------------------------------
# Fixed scenarios the generator should not have to find by luck
# --------------------------------------------------------------------------------------


def course(
    course_id: str = "C-1",
    *,
    category: ce.Category = ce.Category.PUBLIC,
    hours: str = "10",
    mode: ce.Mode = ce.Mode.ONLINE,
    platform: str | None = "专技知到",
    featured: bool = False,
) -> ce.Course:
    """A course for the fixed scenarios."""
    return ce.Course(
        id=course_id,
        title="课程",
        category=category,
        hours=Decimal(hours),
        mode=mode,
        platform=platform if mode is ce.Mode.ONLINE else None,
        featured=featured,
    )


def entry(the_course: ce.Course, day: date = date(2024, 5, 1), **fields: object) -> ce.CreditEntry:
    """An entry of the default person for the fixed scenarios."""
    return ce.CreditEntry.model_validate(
        {"person_id": PERSON_ID, "course": the_course, "completed_on": day, **fields}
    )


PROVINCIAL = ce.Person(id=PERSON_ID, unit=ce.UnitLevel.PROVINCIAL)
MUNICIPAL = ce.Person(id=PERSON_ID, unit=ce.UnitLevel.MUNICIPAL, city=CITY)


@pytest.mark.parametrize(
    ("person", "platform", "reason"),
    [
        (PROVINCIAL, "专技知到", ce.Reason.COUNTED),
        (PROVINCIAL, "某市继续教育平台", ce.Reason.PLATFORM_NOT_RECOGNISED),
        (PROVINCIAL, None, ce.Reason.PLATFORM_NOT_RECOGNISED),
        (MUNICIPAL, "某市继续教育平台", ce.Reason.COUNTED),
        (MUNICIPAL, None, ce.Reason.COUNTED),
    ],
)
def test_platform_rule_matches_reference(
    person: ce.Person, platform: str | None, reason: ce.Reason
) -> None:
    """An online public learner entry counts for a provincial person only on a named platform."""
    verdict = assert_agrees(person, [entry(course(platform=platform))], 2024, SHANDONG, None)
    assert verdict.entries[0].reason is reason


def test_featured_instructor_is_credited_twice_on_any_platform() -> None:
    """A featured course's instructor earns 2x toward public hours, whatever the platform."""
    featured = course(hours="15", platform=None, featured=True)
    entries = [entry(featured, role=ce.Role.INSTRUCTOR), entry(featured)]
    verdict = assert_agrees(PROVINCIAL, entries, 2024, SHANDONG, None)
    assert verdict.requirement("public_hours").earned == Decimal(30)
    assert verdict.entries[0].rule == "featured_instructor_credit"


def test_unequal_copies_keep_the_most_hours() -> None:
    """Of copies with different hours and ids, the one with most hours counts."""
    base = course(category=ce.Category.PROFESSIONAL, mode=ce.Mode.OFFLINE, hours="40")
    entries = [entry(base, hours=Decimal(20), id="E-1"), entry(base, id="E-2"), entry(base)]
    verdict = assert_agrees(PROVINCIAL, entries, 2024, SHANDONG, None)
    assert verdict.requirement("professional_hours").earned == Decimal(40)


def test_pending_copy_of_a_counted_entry_adds_nothing() -> None:
    """A pending copy of a counted entry would add nothing; a lone pending one its hours."""
    base = course(category=ce.Category.PROFESSIONAL, mode=ce.Mode.OFFLINE)
    other = course("C-2", category=ce.Category.PROFESSIONAL, mode=ce.Mode.OFFLINE)
    pending = ce.EntryStatus.PENDING
    entries = [entry(base, status=pending), entry(base), entry(other, status=pending)]
    verdict = assert_agrees(PROVINCIAL, entries, 2024, SHANDONG, None)
    assert verdict.requirement("professional_hours").pending == Decimal(10)


def test_pending_copy_with_more_hours_would_add_the_difference() -> None:
    """Approving a pending copy with more hours than the counted one would add the difference."""
    base = course(category=ce.Category.PROFESSIONAL, mode=ce.Mode.OFFLINE)
    pending = ce.EntryStatus.PENDING
    entries = [entry(base, hours=Decimal(4)), entry(base, status=pending)]
    verdict = assert_agrees(PROVINCIAL, entries, 2024, SHANDONG, None)
    assert verdict.entries[1].would_add == Decimal(6)
    assert verdict.requirement("professional_hours").pending == Decimal(6)


def test_make_up_entry_counts_in_its_credited_year() -> None:
    """An entry completed in 2025 and credited to 2024 counts in 2024 unless after as_of."""
    base = course(category=ce.Category.PROFESSIONAL, mode=ce.Mode.OFFLINE)
    entries = [entry(base, date(2025, 3, 1), credited_year=2024)]
    counted = assert_agrees(PROVINCIAL, entries, 2024, SHANDONG, None)
    assert counted.entries[0].counted
    late = assert_agrees(PROVINCIAL, entries, 2024, SHANDONG, date(2025, 1, 31))
    assert late.entries[0].reason is ce.Reason.AFTER_AS_OF


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2024, 10, 31), ce.Reason.COUNTED),
        (date(2024, 11, 1), ce.Reason.AFTER_CATEGORY_DEADLINE),
    ],
)
def test_city_category_deadline_matches_reference(day: date, reason: ce.Reason) -> None:
    """Under the example city overlay public hours count only up to 31 October inclusive."""
    verdict = assert_agrees(MUNICIPAL, [entry(course(), day)], 2024, CITY_POLICY, None)
    assert verdict.entries[0].reason is reason


def test_national_share_rounds_up() -> None:
    """Under decision 10's strict reading the 2/3 share of an inexact total is rounded up."""
    public = course(hours="10.02", mode=ce.Mode.OFFLINE)
    professional = course("C-2", category=ce.Category.PROFESSIONAL, mode=ce.Mode.OFFLINE)
    verdict = assert_agrees(
        PROVINCIAL, [entry(public), entry(professional)], 2024, STRICT_NATIONAL, date(2024, 6, 1)
    )
    share = verdict.requirement("professional_share")
    assert share.rounding == ROUNDING
    assert share.required == Decimal("13.35")
    assert verdict.status is ce.Status.IN_PROGRESS


def test_category_deadline_on_a_day_the_month_lacks_means_its_last_day(tmp_path: Path) -> None:
    """A local deadline of 30 February is 29 February 2024 (leap year), inclusive."""
    overlay = (ROOT / "examples" / "overlays" / "example-city-2024.toml").read_text("utf-8")
    overlay = overlay.replace(
        'category = "public"\nmonth = 10\nday = 31',
        'category = "professional"\nmonth = 2\nday = 30',
    )
    path = tmp_path / "february.toml"
    path.write_text(overlay, "utf-8")
    policy = ce.merge_overlay(SHANDONG, ce.load_overlay(path))
    assert [r.month for r in policy.rules if r.kind == "category_deadline"] == [2]
    base = course(category=ce.Category.PROFESSIONAL, mode=ce.Mode.OFFLINE)
    entries = [entry(base, date(2024, 2, 29)), entry(base, date(2024, 3, 1))]
    verdict = assert_agrees(MUNICIPAL, entries, 2024, policy, None)
    assert verdict.reasons == (ce.Reason.COUNTED, ce.Reason.AFTER_CATEGORY_DEADLINE)
