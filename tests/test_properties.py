"""Laws every verdict obeys, checked on generated inputs (hypothesis)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

import ce_rules as ce
from ce_rules.testing import compliant_entries, make_person
from ce_rules.testing import strategies as ces

PERSON = make_person()
PERSON_IDS = st.sampled_from([PERSON.id, "370102199001015678"])
STATUSES = st.sampled_from(ce.EntryStatus)
YEARS = st.sampled_from([2023, 2024, 2024, 2024, 2025])
MIXED = st.lists(ces.entries(person_id=PERSON_IDS, year=YEARS, statuses=STATUSES), max_size=25)
IN_YEAR_APPROVED = ces.entries(person_id=PERSON.id, year=2024)


def _summary(verdict: ce.Verdict) -> tuple[object, ...]:
    return (
        verdict.status,
        verdict.certificate_eligible,
        verdict.requirements,
        verdict.findings,
        verdict.fingerprint,
    )


@given(MIXED)
def test_every_entry_appears_exactly_once(entries: list[ce.CreditEntry]) -> None:
    """Nothing is lost: one decision per input entry, in input order, with a reason."""
    verdict = ce.evaluate(PERSON, entries, year=2024)
    assert [d.index for d in verdict.entries] == list(range(len(entries)))
    for decision, entry in zip(verdict.entries, entries, strict=True):
        assert decision.course_id == entry.course.id
        assert decision.counted == (decision.reason is ce.Reason.COUNTED)
        assert decision.credited_hours == (
            decision.hours * decision.factor if decision.counted else 0
        )


@given(MIXED)
def test_earned_hours_are_the_sum_of_counted_entries(entries: list[ce.CreditEntry]) -> None:
    """Each category's earned hours are exactly the credited hours of its counted entries."""
    verdict = ce.evaluate(PERSON, entries, year=2024)
    for category, code in (
        (ce.Category.PUBLIC, "public_hours"),
        (ce.Category.PROFESSIONAL, "professional_hours"),
    ):
        total = sum(
            (d.credited_hours for d in verdict.counted if d.category is category), Decimal(0)
        )
        result = verdict.requirement(code)
        assert result.earned == total
        assert result.met == (total >= result.required)
        assert result.shortfall == max(Decimal(0), result.required - total)


@given(MIXED, st.randoms(use_true_random=False))
def test_input_order_does_not_change_the_verdict(entries: list[ce.CreditEntry], random) -> None:  # type: ignore[no-untyped-def]
    """Shuffling the entries changes neither the outcome nor the fingerprint."""
    shuffled = list(entries)
    random.shuffle(shuffled)
    assert _summary(ce.evaluate(PERSON, entries, year=2024)) == _summary(
        ce.evaluate(PERSON, shuffled, year=2024)
    )


@given(MIXED, IN_YEAR_APPROVED)
def test_adding_an_approved_entry_never_lowers_earned_hours(
    entries: list[ce.CreditEntry], extra: ce.CreditEntry
) -> None:
    """More approved in-year entries never lower earned hours nor undo compliance."""
    before = ce.evaluate(PERSON, entries, year=2024)
    after = ce.evaluate(PERSON, [*entries, extra], year=2024)
    for old, new in zip(before.requirements, after.requirements, strict=True):
        assert new.earned >= old.earned
    assert after.compliant or not before.compliant


@given(MIXED, st.data())
def test_repeating_an_entry_changes_nothing(
    entries: list[ce.CreditEntry], data: st.DataObject
) -> None:
    """An entry given twice counts once: requirements and status stay the same."""
    if not entries:
        return
    repeated = data.draw(st.sampled_from(entries))
    before = ce.evaluate(PERSON, entries, year=2024)
    after = ce.evaluate(PERSON, [*entries, repeated], year=2024)
    assert after.requirements == before.requirements
    assert after.status is before.status
    assert after.entries[-1].counted is False


@given(
    MIXED,
    st.lists(
        ces.entries(person_id=PERSON.id, year=st.sampled_from([2022, 2025]), statuses=STATUSES),
        max_size=5,
    ),
)
def test_entries_of_other_years_change_nothing(
    entries: list[ce.CreditEntry], others: list[ce.CreditEntry]
) -> None:
    """Entries credited to other years are listed as such and change no requirement."""
    before = ce.evaluate(PERSON, entries, year=2024)
    after = ce.evaluate(PERSON, [*entries, *others], year=2024)
    assert after.requirements == before.requirements
    assert after.status is before.status
    assert all(d.reason is ce.Reason.OTHER_YEAR for d in after.entries[len(entries) :])


@given(MIXED)
def test_fingerprint_is_stable(entries: list[ce.CreditEntry]) -> None:
    """Evaluating the same inputs twice gives the same fingerprint and the same verdict."""
    assert ce.evaluate(PERSON, entries, year=2024) == ce.evaluate(PERSON, entries, year=2024)


@given(st.lists(IN_YEAR_APPROVED, min_size=1, max_size=10), st.data())
def test_fingerprint_changes_when_a_counted_input_changes(
    entries: list[ce.CreditEntry], data: st.DataObject
) -> None:
    """Changing the hours of any entry changes the fingerprint."""
    before = ce.evaluate(PERSON, entries, year=2024)
    index = data.draw(st.integers(0, len(entries) - 1))
    entry = entries[index]
    new_hours = entry.course.hours + Decimal("0.01")
    changed = entry.model_copy(
        update={"course": entry.course.model_copy(update={"hours": new_hours}), "hours": None}
    )
    after = ce.evaluate(PERSON, [*entries[:index], changed, *entries[index + 1 :]], year=2024)
    assert after.fingerprint != before.fingerprint


@given(st.lists(ces.entries(person_id=PERSON.id, year=2024, statuses=STATUSES), max_size=15))
def test_compliant_iff_every_requirement_is_met(entries: list[ce.CreditEntry]) -> None:
    """Compliance, status and certificate eligibility follow from the requirements alone."""
    verdict = ce.evaluate(PERSON, entries, year=2024, as_of=date(2025, 1, 15))
    assert verdict.compliant == all(r.met for r in verdict.requirements)
    assert (verdict.status is ce.Status.COMPLIANT) == verdict.compliant
    assert verdict.certificate_eligible == verdict.compliant  # Shandong: both categories


@given(ces.persons())
def test_builders_make_compliant_years_for_any_person(person: ce.Person) -> None:
    """compliant_entries meets every requirement of either bundled policy."""
    for policy in ("shandong-2024", "cn-national-2015"):
        verdict = ce.evaluate(
            person, compliant_entries(person, 2024, policy=policy), year=2024, policy=policy
        )
        assert verdict.compliant


#: A few courses, so that copies of one entry (decision 4) are frequent.
_OPEN_DAYS = (date(2024, 3, 1), date(2024, 3, 1), date(2024, 6, 1))


@st.composite
def _open_courses(draw: st.DrawFn, course_id: str) -> ce.Course:
    """A course whose mode, platform or featured flag a record may leave unknown."""
    category = draw(st.sampled_from(ce.Category))
    mode = draw(st.sampled_from([ce.Mode.ONLINE, ce.Mode.OFFLINE, None]))
    featurable = category is ce.Category.PUBLIC and mode is not ce.Mode.OFFLINE
    return ce.Course(
        id=course_id,
        title="课程",
        category=category,
        hours=draw(st.sampled_from(["5", "12.5", "30", "60"])),
        mode=mode,
        platform=draw(st.sampled_from(["专技知到", "某市继续教育平台", None])),
        featured=draw(st.sampled_from([False, True, None] if featurable else [False, None])),
    )


@st.composite
def _open_years(draw: st.DrawFn) -> tuple[list[ce.Course], list[ce.CreditEntry]]:
    """A pool of courses and the entries of one person's 2024 on them."""
    pool = [draw(_open_courses(f"C-{n}")) for n in range(draw(st.integers(1, 3)))]
    entries = [
        ce.CreditEntry(
            id=draw(st.sampled_from([None, "R1", "R2"])),
            person_id=PERSON.id,
            course=draw(st.sampled_from(pool)),
            role=draw(st.sampled_from([ce.Role.LEARNER, ce.Role.INSTRUCTOR])),
            completed_on=draw(st.sampled_from(_OPEN_DAYS)),
            hours=draw(st.sampled_from([None, None, "2.5"])),
            status=draw(st.sampled_from([ce.EntryStatus.APPROVED] * 3 + [ce.EntryStatus.PENDING])),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    return pool, entries


@st.composite
def _fillings(draw: st.DrawFn, pool: list[ce.Course]) -> dict[str, ce.Course]:
    """One value for every fact left unknown: each course's mode and featured flag."""
    filled = {}
    for course in pool:
        mode = course.mode or draw(st.sampled_from(ce.Mode))
        featured = course.featured
        if featured is None:
            can = course.category is ce.Category.PUBLIC and mode is ce.Mode.ONLINE
            featured = draw(st.booleans()) if can else False
        filled[course.id] = ce.Course.model_validate(
            {**course.model_dump(), "mode": mode, "featured": featured}
        )
    return filled


@given(_open_years(), st.sampled_from(ce.UnitLevel), st.data())
def test_a_verdict_with_missing_facts_holds_for_every_value_they_may_take(
    year: tuple[list[ce.Course], list[ce.CreditEntry]],
    unit: ce.UnitLevel,
    data: st.DataObject,
) -> None:
    """Decision 11: what is missing is never guessed, and what the verdict says stays true.

    With the unit level, a course's mode or its featured flag unknown, the verdict's
    earned hours are certain and its undetermined hours the most the facts could add: once
    the facts are known, each requirement's hours lie between the two, a requirement (and a
    status) the verdict calls determined comes out the same, and where no fact is named as
    missing no earned hour changes.
    """
    pool, entries = year
    filled_courses = data.draw(_fillings(pool))
    unknown = ce.Person(id=PERSON.id)
    filled = [e.model_copy(update={"course": filled_courses[e.course.id]}) for e in entries]
    for policy in ("shandong-2024", "cn-national-2015"):
        open_verdict = ce.evaluate(unknown, entries, year=2024, policy=policy)
        known = ce.evaluate(
            PERSON.model_copy(update={"unit": unit}), filled, year=2024, policy=policy
        )
        for before, after in zip(open_verdict.requirements, known.requirements, strict=True):
            assert before.earned <= after.earned <= before.earned + before.undetermined
            if before.determined:
                assert after.met == before.met, before.code
        if open_verdict.status is not ce.Status.UNDETERMINED:
            assert known.status is open_verdict.status
        if not open_verdict.missing_facts:
            assert [(r.earned, r.met) for r in known.requirements] == [
                (r.earned, r.met) for r in open_verdict.requirements
            ]
        else:
            assert set(open_verdict.missing_facts) <= {"unit", "mode", "featured"}
