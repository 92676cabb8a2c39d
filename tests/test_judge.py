"""``judge``: ``evaluate`` after its argument checks, the entry point batches call."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ce_rules as ce
from ce_rules._engine import judge
from ce_rules._verdict import Verdict
from ce_rules.testing import make_entry, make_person
from ce_rules.testing import strategies as ces

ROOT = Path(__file__).parent.parent
BASE = ce.get_policy("shandong", 2024)
LOOSEN = ce.load_overlay(ROOT / "tests/data/overlays/city-loosen.toml")
#: Resolved policies: the bundled ones, and the base with a deadline and a loosening overlay.
POLICIES = (
    BASE,
    ce.policy_by_id("cn-national-2015"),
    ce.merge_overlay(BASE, ce.load_overlay(ROOT / "examples/overlays/example-city-2024.toml")),
    ce.merge_overlay(BASE, LOOSEN),
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[ce.Person, tuple[ce.CreditEntry, ...], date | None]:
    """A person, entries mostly theirs and mostly of 2024, and an evaluation day or None."""
    person = draw(ces.persons())
    person_ids = st.sampled_from([person.id, person.id, "370102199001015678"])
    years = st.sampled_from([2023, 2024, 2024, 2024, 2025])
    statuses = st.sampled_from(ce.EntryStatus)
    course_pool = draw(st.lists(ces.courses(), min_size=1, max_size=6))
    courses = st.sampled_from(course_pool)  # shared courses make duplicates likely
    entries = draw(
        st.lists(
            ces.entries(person_id=person_ids, year=years, statuses=statuses, course=courses),
            max_size=20,
        )
    )
    as_of = draw(st.none() | st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 3, 1)))
    return person, tuple(entries), as_of


@given(cases(), st.sampled_from(POLICIES))
def test_judge_without_a_type_gives_evaluates_verdict(
    case: tuple[ce.Person, tuple[ce.CreditEntry, ...], date | None], policy: ce.Policy
) -> None:
    """By default judge returns the plain verdict evaluate returns."""
    person, entries, as_of = case
    got = judge(person, entries, 2024, policy, as_of)
    want = ce.evaluate(person, entries, year=2024, policy=policy, as_of=as_of)
    assert type(got) is Verdict
    assert got == want
    assert got.model_dump_json() == want.model_dump_json()


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        (("370102198001011234", []), {"year": 2024}, "person"),
        ((make_person(), []), {"year": "2024"}, "year"),
        ((make_person(), []), {"year": False}, "year"),
        ((make_person(), []), {"year": 2101}, "year"),
        ((make_person(), []), {"year": 2024, "as_of": "2024-05-01"}, "as_of"),
        ((make_person(), []), {"year": 2024, "policy": 42}, "policy"),
        ((make_person(), []), {"year": 2024, "policy": LOOSEN}, "policy"),
        ((make_person(), [make_entry(), {"person_id": "x"}]), {"year": 2024}, "entries[1]"),
        ((make_person(), (make_entry(), make_entry(), 3)), {"year": 2024}, "entries[2]"),
    ],
)
def test_evaluate_still_checks_its_arguments(
    args: tuple[object, ...], kwargs: dict[str, object], field: str
) -> None:
    """Every argument is checked before judging; the error names the one that is wrong."""
    with pytest.raises(ce.EvaluationInputError) as caught:
        ce.evaluate(*args, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_evaluate_checks_the_person_before_the_entries() -> None:
    """Of two wrong arguments, the person is named first, as before."""
    with pytest.raises(ce.EvaluationInputError) as caught:
        ce.evaluate("someone", [42], year=2024)  # type: ignore[arg-type, list-item]
    assert caught.value.field == "person"


def _learner_factor(factor: Decimal) -> ce.Policy:
    """The Shandong policy with ``factor`` for learners' hours (二(一), 三(一): 1)."""
    rules = tuple(
        rule.model_copy(update={"factor": factor})
        if isinstance(rule, ce.CreditFactorRule) and rule.role is ce.Role.LEARNER
        else rule
        for rule in BASE.rules
    )
    return BASE.model_copy(update={"rules": rules})


@given(
    cases(),
    st.sampled_from([Decimal("1"), Decimal("1.0"), Decimal("1.00"), Decimal("2"), Decimal("0.5")]),
)
def test_earned_hours_are_the_counted_hours_digit_for_digit(
    case: tuple[ce.Person, tuple[ce.CreditEntry, ...], date | None], factor: Decimal
) -> None:
    """Earned hours are the counted hours times their factor, summed, digit for digit.

    A factor of exactly 1 is not multiplied by: that must change nothing, not even a digit.
    """
    person, entries, as_of = case
    verdict = ce.evaluate(person, entries, year=2024, policy=_learner_factor(factor), as_of=as_of)
    for result in verdict.requirements:
        if result.kind != "min_hours" or result.category is None:
            continue
        counted = [d for d in verdict.entries if d.counted and d.category is result.category]
        expected = sum((d.hours * d.factor for d in counted), Decimal(0))
        assert result.earned.as_tuple() == expected.as_tuple()
