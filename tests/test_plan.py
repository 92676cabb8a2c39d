"""Gap planning: the extra hours per category a year needs (二(一), 三(一), 二(三))."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ce_rules as ce
from ce_rules._plan import CompliancePlan, plan_compliance

PERSON = ce.Person(id="p-plan", unit=ce.UnitLevel.MUNICIPAL, city="青岛")
_IDS = count()
TENTH = Decimal("0.1")


def entry(
    category: str,
    hours: Decimal | int | str,
    *,
    on: date = date(2024, 3, 1),
    status: ce.EntryStatus = ce.EntryStatus.APPROVED,
) -> ce.CreditEntry:
    """An offline entry of ``hours`` in ``category`` (a fresh course each time)."""
    course = ce.Course(
        id=f"c{next(_IDS)}", title="课程", category=category, hours=hours, mode="offline"
    )
    return ce.CreditEntry(person_id=PERSON.id, course=course, completed_on=on, status=status)


def entries_for(category: ce.Category, hours: Decimal) -> list[ce.CreditEntry]:
    """Approved entries adding up to ``hours`` of ``category`` (none for 0)."""
    chunks = []
    while hours > 0:
        part = min(hours, Decimal(1000))
        chunks.append(entry(category.value, part, on=date(2024, 12, 31)))
        hours -= part
    return chunks


def test_plan_lists_each_category_gap_separately():
    """12.5 public and 40 professional hours need 17.5 and 20 more (二(一), 三(一))."""
    plan = plan_compliance(PERSON, [entry("public", "12.5"), entry("professional", 40)], year=2024)
    assert plan.gap(ce.Category.PUBLIC) == Decimal("17.5")
    assert plan.gap(ce.Category.PROFESSIONAL) == Decimal(20)
    clauses = {g.category: g.citations[0].clause for g in plan.gaps}
    assert clauses == {ce.Category.PUBLIC: "二(一)", ce.Category.PROFESSIONAL: "三(一)"}


def test_extra_hours_of_one_category_never_fill_another():
    """100 professional hours leave the public gap whole: no substitution (decision 2)."""
    plan = plan_compliance(PERSON, [entry("professional", 100)], year=2024)
    assert plan.gap(ce.Category.PUBLIC) == Decimal(30)
    assert plan.gap(ce.Category.PROFESSIONAL) == 0
    assert [g.category for g in plan.gaps] == [ce.Category.PUBLIC]


def test_compliant_year_has_no_gaps():
    """A year meeting both minimums needs nothing more (二(一), 三(一))."""
    plan = plan_compliance(PERSON, [entry("public", 30), entry("professional", 60)], year=2024)
    assert plan.compliant
    assert plan.gaps == ()
    assert "无需补学" in plan.explain("zh")


def test_pending_entries_show_what_they_would_add():
    """A pending entry does not close the gap but shows what it would add (decision 5)."""
    plan = plan_compliance(
        PERSON, [entry("professional", 40, status=ce.EntryStatus.PENDING)], year=2024
    )
    (gap,) = [g for g in plan.gaps if g.category is ce.Category.PROFESSIONAL]
    assert gap.extra_hours == Decimal(60)
    assert gap.pending == Decimal(40)
    assert gap.extra_if_pending_approved == Decimal(20)


def test_days_left_count_to_the_year_end():
    """As of 1 October 2024 there are 91 days left in the year (the calendar year, decision 1)."""
    plan = plan_compliance(PERSON, [], year=2024, as_of=date(2024, 10, 1))
    assert plan.days_left == 91
    assert plan.status is ce.Status.IN_PROGRESS
    assert all(g.days_left == 91 for g in plan.gaps)
    assert plan_compliance(PERSON, [], year=2024).days_left is None
    assert plan_compliance(PERSON, [], year=2024, as_of=date(2025, 2, 1)).days_left == 0


def test_featured_instructorship_counts_twice():
    """Teaching 8.75 featured-course hours closes a 17.5-hour public gap, credited 2x (二(三))."""
    plan = plan_compliance(PERSON, [entry("public", "12.5")], year=2024)
    option = plan.featured_instructor
    assert option is not None
    assert option.factor == Decimal(2)
    assert option.category is ce.Category.PUBLIC
    assert option.course_hours_needed == Decimal("8.75")
    assert option.citation.clause == "二(三)"


def test_featured_option_rounds_up_to_a_cent():
    """An odd gap of 0.01 needs 0.01 course hours, rounded up, never down (二(三))."""
    plan = plan_compliance(PERSON, [entry("public", "29.99")], year=2024)
    assert plan.featured_instructor is not None
    assert plan.featured_instructor.course_hours_needed == Decimal("0.01")


def test_national_policy_puts_total_and_share_on_professional():
    """Under the national rules, 12.5 public hours need 77.5 professional (第八条: 90, 2/3)."""
    plan = plan_compliance(PERSON, [entry("public", "12.5")], year=2024, policy="cn-national-2015")
    assert plan.gap(ce.Category.PROFESSIONAL) == Decimal("77.5")
    assert plan.gap(ce.Category.PUBLIC) == 0
    assert plan.featured_instructor is None


def test_plan_round_trips_and_explains():
    """A plan survives JSON and explains itself in Chinese and English with clauses."""
    plan = plan_compliance(PERSON, [entry("public", 10)], year=2024, as_of=date(2024, 6, 1))
    assert CompliancePlan.model_validate_json(plan.model_dump_json()) == plan
    assert "公需科目还需20学时" in plan.explain("zh")
    assert "20 more public hours needed" in plan.explain("en")
    assert "[二(三)]" in plan.explain("en")
    with pytest.raises(ValueError, match="lang"):
        plan.explain("de")


def test_plan_of_a_year_without_policy_raises():
    """Planning a year with no policy is PolicyNotFoundError (decision 8)."""
    with pytest.raises(ce.PolicyNotFoundError):
        plan_compliance(PERSON, [], year=2019)


_HOURS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(80), places=2)


@given(
    public=st.lists(_HOURS, max_size=3),
    professional=st.lists(_HOURS, max_size=3),
    pending=st.lists(_HOURS, max_size=2),
    policy=st.sampled_from(["shandong-2024", "cn-national-2015"]),
)
def test_plan_hours_suffice_and_a_tenth_less_does_not(public, professional, pending, policy):
    """The plan's hours, added as approved entries, comply; 0.1 hour less in a category does not."""
    entries = [entry("public", h) for h in public]
    entries += [entry("professional", h) for h in professional]
    entries += [entry("professional", h, status=ce.EntryStatus.PENDING) for h in pending]
    plan = plan_compliance(PERSON, entries, year=2024, policy=policy)
    extra = {c: plan.gap(c) for c in ce.Category}
    assert plan.gap(None) == 0  # both bundled policies say which category is needed

    topped_up = entries + [e for c in ce.Category for e in entries_for(c, extra[c])]
    assert ce.evaluate(PERSON, topped_up, year=2024, policy=policy).compliant

    for short in ce.Category:
        if extra[short] == 0:
            continue
        less = entries + [
            e
            for c in ce.Category
            for e in entries_for(c, extra[c] - TENTH if c is short else extra[c])
        ]
        assert not ce.evaluate(PERSON, less, year=2024, policy=policy).compliant
