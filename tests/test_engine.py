"""evaluate: its contract beyond single rules (inputs, JSON, fingerprint, explanations)."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime
from decimal import Decimal

import pytest

import ce_rules as ce
from ce_rules.testing import compliant_entries, make_course, make_entry, make_person


def test_readme_example() -> None:
    """The README's example gives a verdict that credits the instructor twice (二(三))."""
    person = ce.Person(id="370102198001011234", name="张三", unit=ce.UnitLevel.PROVINCIAL)
    course = ce.Course(
        id="C-001",
        title="数字技术概论",
        category=ce.Category.PUBLIC,
        hours=Decimal(10),
        mode=ce.Mode.ONLINE,
        platform="专技知到",
        featured=True,
    )
    entry = ce.CreditEntry(
        person_id=person.id, course=course, role=ce.Role.INSTRUCTOR, completed_on=date(2024, 5, 1)
    )
    verdict = ce.evaluate(person, [entry], year=2024)
    assert verdict.requirement("public_hours").earned == Decimal(20)
    assert verdict.requirement("public_hours").shortfall == Decimal(10)
    assert verdict.status is ce.Status.NON_COMPLIANT
    assert verdict.entries[0].citation is not None
    assert verdict.entries[0].citation.clause == "二(三)"


def test_verdict_round_trips_through_json() -> None:
    """A verdict read back from its JSON equals the original, Decimal hours included."""
    person = make_person()
    entries = [*compliant_entries(person, 2024), make_entry(person, status=ce.EntryStatus.PENDING)]
    verdict = ce.evaluate(person, entries, year=2024, as_of=date(2024, 12, 1))
    text = verdict.model_dump_json()
    assert ce.Verdict.model_validate_json(text) == verdict
    data = json.loads(text)
    assert data["status"] == "compliant"
    assert data["requirements"][0]["earned"] == "30"


def test_a_tampered_verdict_does_not_validate() -> None:
    """A verdict whose status contradicts its requirements is refused on load."""
    person = make_person()
    data = json.loads(ce.evaluate(person, [], year=2024).model_dump_json())
    data["compliant"] = True
    with pytest.raises(ValueError, match="disagree"):
        ce.Verdict.model_validate(data)


def test_verdict_is_frozen() -> None:
    """A verdict cannot be changed after the fact."""
    verdict = ce.evaluate(make_person(), [], year=2024)
    with pytest.raises(ValueError, match="frozen"):
        verdict.compliant = True  # type: ignore[misc]


def test_fingerprint_is_stable_and_sensitive() -> None:
    """The same inputs give the same fingerprint; another as_of or policy gives another."""
    person = make_person()
    entries = compliant_entries(person, 2024)
    first = ce.evaluate(person, entries, year=2024).fingerprint
    assert len(first) == 64
    assert ce.evaluate(person, list(entries), year=2024).fingerprint == first
    assert ce.evaluate(person, entries, year=2024, as_of=date(2024, 6, 1)).fingerprint != first
    national = ce.evaluate(person, entries, year=2024, policy="cn-national-2015")
    assert national.fingerprint != first


def test_requirement_lookup_names_the_known_codes() -> None:
    """Asking for a requirement the policy lacks is a KeyError listing the known codes."""
    verdict = ce.evaluate(make_person(), [], year=2024)
    with pytest.raises(KeyError, match="public_hours"):
        verdict.requirement("total_hours")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"year": "2024"}, "year"),
        ({"year": True}, "year"),
        ({"year": 1800}, "year"),
        ({"year": 2024, "as_of": datetime(2024, 5, 1, 12)}, "as_of"),
        ({"year": 2024, "as_of": "2024-05-01"}, "as_of"),
        ({"year": 2024, "policy": 42}, "policy"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, object], field: str) -> None:
    """Wrong argument types raise EvaluationInputError naming the argument."""
    with pytest.raises(ce.EvaluationInputError) as caught:
        ce.evaluate(make_person(), [], **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert isinstance(caught.value, ce.CeRulesError)


def test_entries_must_be_credit_entries() -> None:
    """A mapping among the entries names its position."""
    with pytest.raises(ce.EvaluationInputError, match=r"entries\[1\]"):
        ce.evaluate(make_person(), [make_entry(), {"person_id": "x"}], year=2024)  # type: ignore[list-item]


def test_person_must_be_a_person() -> None:
    """The person argument is checked."""
    with pytest.raises(ce.EvaluationInputError, match="person"):
        ce.evaluate("370102198001011234", [], year=2024)  # type: ignore[arg-type]


def test_entries_may_be_any_iterable() -> None:
    """A generator of entries is read once, and every entry gets its decision."""
    person = make_person()
    verdict = ce.evaluate(person, (e for e in compliant_entries(person, 2024)), year=2024)
    assert verdict.compliant
    assert [d.index for d in verdict.entries] == list(range(len(verdict.entries)))


def test_duplicate_kept_is_the_one_with_most_hours_whatever_the_order() -> None:
    """Of two duplicates the larger counts, in either order (decision 4)."""
    person = make_person()
    course = make_course(category=ce.Category.PUBLIC, hours=10, mode=ce.Mode.OFFLINE)
    small = make_entry(person, course, hours=4)
    large = make_entry(person, course)
    for order in ([small, large], [large, small]):
        verdict = ce.evaluate(person, order, year=2024)
        assert verdict.requirement("public_hours").earned == Decimal(10)
        duplicate = next(d for d in verdict.entries if d.reason is ce.Reason.DUPLICATE)
        assert duplicate.hours == Decimal(4)
        assert duplicate.duplicate_of == order.index(large)


@pytest.mark.parametrize(
    ("ids", "kept"),
    [
        (("R2", "R10"), "R10"),
        (("R1", "R10"), "R1"),  # a prefix: the canonical forms decide ("\x1f" < "0")
        (("A!", "A"), "A"),  # a prefix, and "A\x1f..." < "A!\x1f..."
        ((None, "A"), None),
        (("R3", "R20", "R1"), "R1"),
        (("B", "AB", "A"), "A"),
    ],
)
def test_duplicate_kept_among_equal_hours_is_the_least_canonical_form(
    ids: tuple[str | None, ...], kept: str | None
) -> None:
    """Of copies with as many hours, the least canonical form counts, in any order (decision 4)."""
    person = make_person()
    course = make_course(category=ce.Category.PUBLIC, hours=10, mode=ce.Mode.OFFLINE)
    entries = [make_entry(person, course, id=entry_id) for entry_id in ids]
    for order in itertools.permutations(entries):
        verdict = ce.evaluate(person, order, year=2024)
        counted = [order[d.index].id for d in verdict.entries if d.counted]
        assert counted == [kept]
        assert verdict.requirement("public_hours").earned == Decimal(10)


def test_pending_copy_of_a_counted_entry_would_add_nothing() -> None:
    """Approving a copy of an entry that already counts would not add hours."""
    person = make_person()
    course = make_course(mode=ce.Mode.OFFLINE)
    verdict = ce.evaluate(
        person,
        [make_entry(person, course), make_entry(person, course, status=ce.EntryStatus.PENDING)],
        year=2024,
    )
    assert verdict.entries[1].reason is ce.Reason.PENDING
    assert verdict.entries[1].would_add == 0
    assert verdict.requirement("public_hours").pending == 0


def test_pending_copy_would_add_what_the_copy_of_its_own_day_lacks() -> None:
    """A pending entry is weighed against the counted copy of its course, role and day."""
    person = make_person()
    course = make_course(category=ce.Category.PUBLIC, hours=10, mode=ce.Mode.OFFLINE)
    pending = ce.EntryStatus.PENDING
    day1, day2, day3 = date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)
    entries = [
        make_entry(person, course, completed_on=day1, hours=4),
        make_entry(person, course, completed_on=day2, hours=6),
        make_entry(person, course, completed_on=day2, status=pending),
        make_entry(person, course, completed_on=day3, status=pending),
        make_entry(person, course, completed_on=day1, hours=5, status=pending),
    ]
    verdict = ce.evaluate(person, entries, year=2024)
    assert [d.would_add for d in verdict.entries] == [0, 0, 4, 10, 1]
    assert verdict.requirement("public_hours").pending == Decimal(15)


def test_explain_speaks_both_languages() -> None:
    """Explain renders the status, each requirement with its clause, and exclusions."""
    person = make_person()
    entries = [
        make_entry(person, make_course(hours=30, mode=ce.Mode.ONLINE, platform="别的平台")),
        make_entry(person, make_course("C-2", category=ce.Category.PROFESSIONAL, hours=60)),
    ]
    verdict = ce.evaluate(person, entries, year=2024)
    zh = verdict.explain("zh")
    en = verdict.explain("en")
    assert "不合格" in zh
    assert "尚差30学时" in zh
    assert "二(一)" in zh
    assert "学习平台不在认可范围内" in zh
    assert "non-compliant" in en
    assert "30 short" in en
    assert "platform is not recognised" in en
    with pytest.raises(ValueError, match="lang"):
        verdict.explain("fr")


def test_evaluate_does_not_mutate_or_depend_on_call_history() -> None:
    """Two evaluations of the same inputs are equal: no hidden state between calls."""
    person = make_person()
    entries = compliant_entries(person, 2024)
    before = [e.model_copy() for e in entries]
    first = ce.evaluate(person, entries, year=2024)
    ce.evaluate(person, [], year=2024, policy="cn-national-2015")
    assert ce.evaluate(person, entries, year=2024) == first
    assert entries == before


def test_counted_hours_are_exact_decimals() -> None:
    """Sums are exact: 0.1 + 0.2 is 0.3 hours, not 0.30000000000000004."""
    person = make_person()
    entries = [
        make_entry(person, make_course("C-1", hours="0.1", mode=ce.Mode.OFFLINE)),
        make_entry(person, make_course("C-2", hours=0.2, mode=ce.Mode.OFFLINE)),
    ]
    earned = ce.evaluate(person, entries, year=2024).requirement("public_hours").earned
    assert earned == Decimal("0.3")
    assert isinstance(earned, Decimal)


def test_details_read_back_from_json_take_part_in_equality() -> None:
    """Entries and fingerprint are compared like every other field, whenever they were built."""
    person = make_person()
    verdict = ce.evaluate(person, compliant_entries(person, 2024), year=2024)
    data = json.loads(verdict.model_dump_json())
    again = ce.Verdict.model_validate(data)
    assert again == verdict
    assert hash(again) == hash(verdict)
    data["entries"][0]["message"]["en"] = "something else"
    assert ce.Verdict.model_validate(data) != verdict
    data = json.loads(verdict.model_dump_json())
    data["fingerprint"] = "0" * 64
    assert ce.Verdict.model_validate(data) != verdict


def test_a_verdict_without_its_entries_does_not_validate() -> None:
    """Reading a verdict needs its entries and fingerprint: nothing is silently dropped."""
    data = json.loads(ce.evaluate(make_person(), [], year=2024).model_dump_json())
    del data["entries"]
    with pytest.raises(ValueError, match="entries"):
        ce.Verdict.model_validate(data)


def test_entries_are_built_once() -> None:
    """The decisions built on first use are kept: the same tuple every time."""
    person = make_person()
    verdict = ce.evaluate(person, compliant_entries(person, 2024), year=2024)
    assert verdict.entries is verdict.entries
    assert verdict.fingerprint is verdict.fingerprint


def test_the_json_schema_of_a_verdict_has_every_field() -> None:
    """The serialization schema lists the fields built on first use among the required ones."""
    schema = ce.Verdict.model_json_schema(mode="serialization")
    assert {"entries", "fingerprint", "requirements", "status"} <= set(schema["required"])


def test_requirement_messages_round_trip() -> None:
    """A requirement's message is in its JSON and read back with it."""
    verdict = ce.evaluate(make_person(), [], year=2024)
    result = verdict.requirement("public_hours")
    assert result.message.zh == "公需科目年度累计应不少于30学时：已获0学时，尚差30学时"
    again = ce.RequirementResult.model_validate_json(result.model_dump_json())
    assert again == result
    assert again.message == result.message


def test_reasons_match_the_entries() -> None:
    """Verdict.reasons is the reason of every decision, before and after they are built."""
    person = make_person()
    entries = [*compliant_entries(person, 2024), make_entry(person, status=ce.EntryStatus.PENDING)]
    verdict = ce.evaluate(person, entries, year=2024)
    reasons = verdict.reasons
    assert reasons == tuple(d.reason for d in verdict.entries)
    assert ce.Verdict.model_validate_json(verdict.model_dump_json()).reasons == reasons


def test_of_copies_waiting_for_the_unit_the_one_with_most_hours_is_kept() -> None:
    """Copies on another platform, unit unknown: the larger one is kept (二(二), decisions 4, 11).

    A municipal person's copies count and a provincial person's do not; either way the
    copy with more hours is the one that counts, so the verdict keeps it, in any order,
    and leaves its hours open: 5, not the smaller copy's 2.5.
    """
    person = ce.Person(id="370102198001011234")
    course = make_course(hours=5, mode=ce.Mode.ONLINE, platform="某市继续教育平台")
    small = make_entry(person, course, hours="2.5")
    large = make_entry(person, course, id="R1")
    for order in ([small, large], [large, small]):
        verdict = ce.evaluate(person, order, year=2024)
        public = verdict.requirement("public_hours")
        assert (public.earned, public.undetermined) == (0, 5)
        kept = next(d for d in verdict.entries if d.reason is ce.Reason.UNDETERMINED)
        assert order[kept.index] is large
        assert kept.missing_facts == ("unit",)
        duplicate = next(d for d in verdict.entries if d.reason is ce.Reason.DUPLICATE)
        assert duplicate.duplicate_of == kept.index
    municipal = ce.evaluate(
        person.model_copy(update={"unit": ce.UnitLevel.MUNICIPAL}), [small, large], year=2024
    )
    assert municipal.requirement("public_hours").earned == 5
