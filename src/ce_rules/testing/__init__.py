"""Test data builders for systems that embed ce-rules, and for ce-rules' own tests.

The builders need nothing beyond ce-rules. The hypothesis strategies live in
``ce_rules.testing.strategies`` (install ``ce-rules[testing]`` for hypothesis)::

    from ce_rules.testing import make_person, compliant_entries
    person = make_person()
    verdict = ce.evaluate(person, compliant_entries(person, 2024), year=2024)
    assert verdict.compliant

Every builder is deterministic: the same arguments give equal values.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Final

from .. import kinds
from .._engine import DEFAULT_REGION, resolve_policy
from .._model import (
    Category,
    Course,
    CreditEntry,
    EntryStatus,
    Mode,
    Person,
    Role,
    UnitLevel,
)
from .._policy import MinHoursRule, MinShareRule, Policy
from ..kinds import Totals

__all__ = [
    "DEFAULT_PERSON_ID",
    "compliant_entries",
    "make_course",
    "make_entry",
    "make_person",
    "non_compliant_entries",
    "required_hours",
]

#: A syntactically valid resident ID number of nobody in particular.
DEFAULT_PERSON_ID: Final = "370102198001011234"
_PIECE: Final = Decimal(50)
_CENT: Final = Decimal("0.01")


def make_person(
    id: str = DEFAULT_PERSON_ID,
    *,
    unit: UnitLevel = UnitLevel.PROVINCIAL,
    **fields: Any,
) -> Person:
    """A ``Person``: a provincial-unit employee unless told otherwise."""
    return Person(id=id, unit=unit, **fields)


def make_course(
    id: str = "C-001",
    *,
    category: Category = Category.PUBLIC,
    hours: Decimal | int | str = 10,
    mode: Mode = Mode.ONLINE,
    platform: str | None = "专技知到",
    **fields: Any,
) -> Course:
    """A ``Course``: by default a 10-hour online public course on a recognised platform."""
    title = fields.pop("title", f"{category.label} {id}")
    return Course.model_validate(
        {
            "id": id,
            "title": title,
            "category": category,
            "hours": hours,
            "mode": mode,
            "platform": platform,
            **fields,
        }
    )


def make_entry(
    person: Person | str = DEFAULT_PERSON_ID,
    course: Course | None = None,
    *,
    completed_on: date = date(2024, 5, 1),
    role: Role = Role.LEARNER,
    status: EntryStatus = EntryStatus.APPROVED,
    **fields: Any,
) -> CreditEntry:
    """An approved ``CreditEntry`` of ``person`` for ``course`` (``make_course()`` by default)."""
    person_id = person.id if isinstance(person, Person) else person
    return CreditEntry(
        person_id=person_id,
        course=make_course() if course is None else course,
        completed_on=completed_on,
        role=role,
        status=status,
        **fields,
    )


def required_hours(policy: Policy) -> dict[Category, Decimal]:
    """The least hours per category that meet every requirement of ``policy``."""
    need = dict.fromkeys(Category, Decimal(0))
    total_rules = []
    share_rules = []
    for rule in policy.requirement_rules:
        if isinstance(rule, MinHoursRule) and rule.category is not None:
            need[rule.category] = max(need[rule.category], rule.hours)
        elif isinstance(rule, MinHoursRule):
            total_rules.append(rule)
        else:
            share_rules.append(rule)
    # A total minimum is filled with professional hours, which no share rule here
    # penalises; then each share is met by adding hours of its category.
    for total_rule in total_rules:
        missing = total_rule.hours - sum(need.values(), Decimal(0))
        if missing > 0:
            need[Category.PROFESSIONAL] += missing
    for share_rule in share_rules:
        _meet_share(need, share_rule)
    return need


def _meet_share(need: dict[Category, Decimal], rule: MinShareRule) -> None:
    # The kind's own judgement says how many more hours of its category it needs.
    none = dict.fromkeys(Category, Decimal(0))
    numbers = kinds.figures(rule, Totals(dict(need), none, none))
    if not numbers.met:
        need[rule.category] += numbers.shortfall


def _pieces(
    person_id: str, category: Category, hours: Decimal, year: int, prefix: str
) -> list[CreditEntry]:
    entries = []
    number = 0
    while hours > 0:
        piece = min(hours, _PIECE)
        number += 1
        course = make_course(
            f"{prefix}-{category.value}-{number}",
            category=category,
            hours=piece,
            mode=Mode.OFFLINE,
            platform=None,
        )
        entries.append(
            CreditEntry(
                person_id=person_id,
                course=course,
                completed_on=date(year, 1 + (number - 1) % 12, 15),
            )
        )
        hours -= piece
    return entries


def compliant_entries(
    person: Person | str, year: int, *, policy: Policy | str | None = None
) -> list[CreditEntry]:
    """Approved offline entries that exactly meet every requirement of the year's policy.

    Offline courses are used so that no platform rule applies, whatever the unit.
    """
    person_id = person.id if isinstance(person, Person) else person
    need = required_hours(resolve_policy(policy, year, DEFAULT_REGION))
    entries: list[CreditEntry] = []
    for category in Category:
        entries += _pieces(person_id, category, need[category], year, "OK")
    return entries


def non_compliant_entries(
    person: Person | str,
    year: int,
    *,
    short_in: Category = Category.PUBLIC,
    shortfall: Decimal = Decimal("0.1"),
    policy: Policy | str | None = None,
) -> list[CreditEntry]:
    """Entries that meet every requirement except that ``short_in`` is ``shortfall`` short.

    For a policy whose requirements cannot be missed by one category alone (a share of a
    total, say), use ``compliant_entries`` and drop entries instead.
    """
    person_id = person.id if isinstance(person, Person) else person
    need = required_hours(resolve_policy(policy, year, DEFAULT_REGION))
    if shortfall <= 0 or shortfall > need[short_in]:
        raise ValueError(
            f"shortfall must be > 0 and at most the {need[short_in]} hours {short_in.value} "
            f"requires, got {shortfall}"
        )
    need[short_in] -= shortfall
    entries: list[CreditEntry] = []
    for category in Category:
        entries += _pieces(person_id, category, need[category], year, "SHORT")
    return entries
