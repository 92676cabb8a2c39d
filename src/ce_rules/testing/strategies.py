"""Hypothesis strategies for ce-rules values (needs ``ce-rules[testing]``).

Each strategy generates only valid values, so a test that uses them exercises rules,
not validation::

    from hypothesis import given
    from ce_rules.testing import strategies as ces

    @given(ces.entries(person_id="P1", year=2024))
    def test_something(entry): ...
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from .._model import (
    Category,
    Course,
    CreditEntry,
    EntryStatus,
    Mode,
    Person,
    PublicTopic,
    Role,
    UnitLevel,
)

__all__ = [
    "RECOGNISED_PLATFORMS",
    "courses",
    "dates_in",
    "entries",
    "hours",
    "person_ids",
    "persons",
]

#: The three platforms named in 二(二), and one that is not among them.
RECOGNISED_PLATFORMS = ("山东开放大学", "蟹壳云学", "专技知到")
_OTHER_PLATFORMS = ("某市继续教育平台",)


def hours(
    min_value: Decimal = Decimal("0.01"), max_value: Decimal = Decimal(100)
) -> st.SearchStrategy[Decimal]:
    """Valid hours: exact decimals with at most two places, within the bounds."""
    low = int(min_value * 100)
    high = int(max_value * 100)
    return st.integers(min_value=max(low, 1), max_value=min(high, 100_000)).map(
        lambda cents: Decimal(cents) / 100
    )


def person_ids() -> st.SearchStrategy[str]:
    """Resident-ID-shaped person ids."""
    return st.from_regex(r"\A37[0-9]{15}[0-9X]\Z")


def persons(unit: UnitLevel | None = None) -> st.SearchStrategy[Person]:
    """Valid persons, of the given unit level or either."""
    units = st.just(unit) if unit is not None else st.sampled_from(UnitLevel)
    return st.builds(Person, id=person_ids(), unit=units)


def dates_in(year: int) -> st.SearchStrategy[date]:
    """Days of the calendar year ``year``, its first and last days included."""
    return st.dates(min_value=date(year, 1, 1), max_value=date(year, 12, 31))


@st.composite
def courses(draw: st.DrawFn, category: Category | None = None) -> Course:
    """Valid courses: either category, online or offline, featured only when allowed.

    Their topics are sometimes not recorded (None, decision 14).
    """
    chosen = draw(st.sampled_from(Category)) if category is None else category
    mode = draw(st.sampled_from(Mode))
    platform = (
        draw(st.sampled_from(RECOGNISED_PLATFORMS + _OTHER_PLATFORMS))
        if mode is Mode.ONLINE
        else None
    )
    featured = chosen is Category.PUBLIC and mode is Mode.ONLINE and draw(st.booleans())
    # Topics recorded (maybe none) or not recorded (None: decision 14).
    recorded = (
        st.lists(st.sampled_from(PublicTopic), max_size=2, unique=True).map(tuple)
        if chosen is Category.PUBLIC
        else st.just(())
    )
    topics = draw(st.none() | recorded)
    return Course(
        id=draw(st.from_regex(r"\AC-[0-9]{1,4}\Z")),
        title=draw(st.sampled_from(["数字技术概论", "职业道德", "新技术应用", "人工智能前沿"])),
        category=chosen,
        hours=draw(hours(max_value=Decimal(60))),
        mode=mode,
        platform=platform,
        featured=featured,
        topics=topics,
    )


@st.composite
def entries(
    draw: st.DrawFn,
    person_id: str | st.SearchStrategy[str] | None = None,
    year: int | st.SearchStrategy[int] = 2024,
    statuses: st.SearchStrategy[EntryStatus] | None = None,
    course: st.SearchStrategy[Course] | None = None,
) -> CreditEntry:
    """Valid credit entries; fix ``person_id`` and ``year`` to aim them at one verdict.

    Statuses are approved unless a ``statuses`` strategy is given.
    """
    pid = draw(person_ids()) if person_id is None else person_id
    if not isinstance(pid, str):
        pid = draw(pid)
    the_year = year if isinstance(year, int) else draw(year)
    the_course = draw(courses() if course is None else course)
    partial = draw(st.booleans())
    entry_hours = (
        draw(hours(max_value=the_course.hours)) if partial and the_course.hours > 0 else None
    )
    return CreditEntry(
        person_id=pid,
        course=the_course,
        role=draw(st.sampled_from(Role)),
        completed_on=draw(dates_in(the_year)),
        hours=entry_hours,
        status=EntryStatus.APPROVED if statuses is None else draw(statuses),
    )
