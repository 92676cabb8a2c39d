"""evaluate: its contract beyond single rules (inputs, JSON, fingerprint, explanations)."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

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


@pytest.mark.parametrize(
    ("person", "kwargs", "field", "says"),
    [
        ("370102198001011234", {"year": 2024}, "person", "must be a ce_rules.Person"),
        (None, {"year": 2024, "policy": 42}, "policy", "must be a Policy, a policy id or None"),
        (
            None,
            {"year": 2024, "as_of": datetime(2024, 5, 1, 12)},
            "as_of",
            "must be a datetime.date (not a datetime) or None",
        ),
        (
            None,
            {"year": 2025, "policy": "shandong-2024"},
            "year",
            "policy shandong-2024 governs 2024, not 2025; pass allow_other_year=True "
            "(--allow-other-year) to apply it to another year on purpose",
        ),
    ],
)
def test_a_wrong_argument_is_named_with_what_it_must_be(
    person: object, kwargs: dict[str, object], field: str, says: str
) -> None:
    """The error names the argument, its value and, in words, what it must be."""
    with pytest.raises(ce.EvaluationInputError) as caught:
        ce.evaluate(person or make_person(), [], **kwargs)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.message) == (field, says)
    value = person if field == "person" else kwargs[field]
    assert str(caught.value) == f"{field}={value!r}: {says}"


def test_a_policy_applied_to_a_year_it_does_not_govern_names_every_year_it_governs() -> None:
    """Decision 8: refused without ``allow_other_year``, naming the years the policy governs."""
    policy = SHANDONG.model_copy(update={"years": (2023, 2024)})
    for year in (2023, 2024):
        assert ce.evaluate(make_person(), [], year=year, policy=policy).year == year
    with pytest.raises(ce.EvaluationInputError) as caught:
        ce.evaluate(make_person(), [], year=2025, policy=policy)
    assert caught.value.message.startswith(f"policy {policy.id} governs 2023, 2024, not 2025; ")
    with pytest.raises(ce.EvaluationInputError):  # nor do the test builders of ce_rules.testing
        compliant_entries(make_person(), 2025, policy=policy)
    other = ce.evaluate(make_person(), [], year=2025, policy=policy, allow_other_year=True)
    assert other.year == 2025
    assert [f.code for f in other.findings if f.decision == 8] == ["policy_outside_years"]


def test_an_overlay_alone_is_refused_naming_it_and_what_to_do() -> None:
    """A local overlay lacks its base's rules: judged alone its verdicts would be wrong."""
    with pytest.raises(ce.EvaluationInputError) as caught:
        ce.evaluate(make_person(), [], year=2024, policy=CITY_LOOSEN)
    assert (caught.value.field, caught.value.value) == ("policy", CITY_LOOSEN.id)
    assert caught.value.message == (
        f"is a local overlay of {CITY_LOOSEN.extends!r}: merge it onto its base first "
        "(merge_overlay or policy_for)"
    )


@pytest.mark.parametrize(
    ("year", "accepted"), [(1989, False), (1990, True), (2100, True), (2101, False)]
)
def test_a_year_is_judged_from_1990_to_2100(year: int, accepted: bool) -> None:
    """The years a verdict may speak for: 1990 and 2100 included, the years beside excluded.

    A year in range is judged (under a policy applied to it on purpose, decision 8); one
    out of range, or not an int, is refused naming the year and what it must be.
    """
    if accepted:
        verdict = ce.evaluate(make_person(), [], year=year, policy=SHANDONG, allow_other_year=True)
        assert verdict.year == year
        return
    with pytest.raises(ce.EvaluationInputError) as caught:
        ce.evaluate(make_person(), [], year=year, policy=SHANDONG, allow_other_year=True)
    assert (caught.value.field, caught.value.value) == ("year", year)
    assert caught.value.message == "must be between 1990 and 2100"


@pytest.mark.parametrize("year", ["2024", True, 2024.0, None])
def test_a_year_must_be_an_int(year: object) -> None:
    """A year of another type (a bool too, though it is an int) is refused as such."""
    with pytest.raises(ce.EvaluationInputError) as caught:
        ce.evaluate(make_person(), [], year=year)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.message) == ("year", "must be an int calendar year")
    assert caught.value.value is year


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
    # The entry excluded by 二(二) names its platform and those recognised.
    assert "学习平台“别的平台”不在认可的平台之列（山东开放大学、蟹壳云学、专技知到）" in zh
    assert "non-compliant" in en
    assert "30 short" in en
    # A finding (no counted public hours in a key series) under its label, punctuated
    # as each language is.
    assert "\n提示：" in zh
    assert "\nNote: " in en
    recognised = "(山东开放大学, 蟹壳云学, 专技知到)"
    assert f"the learning platform “别的平台” is not a recognised one {recognised}" in en
    with pytest.raises(ValueError, match="lang"):
        verdict.explain("fr")


def test_an_entry_with_no_platform_is_refused_by_name_of_what_is_missing() -> None:
    """二(二): no platform recorded is not a platform named; the message says it is missing."""
    person = make_person()
    entry = make_entry(person, make_course(hours=30, mode=ce.Mode.ONLINE, platform=None))
    (decision,) = ce.evaluate(person, [entry], year=2024).entries
    assert decision.reason is ce.Reason.PLATFORM_NOT_RECOGNISED
    assert (
        decision.message.zh
        == "未记录学习平台，不在认可的平台之列（山东开放大学、蟹壳云学、专技知到）"
    )
    assert decision.message.en.startswith("no learning platform is recorded")


@pytest.mark.parametrize(("count", "zh_tail", "en_tail"), [
    (5, "P1、P2、P3、P4、P5）", "P1, P2, P3, P4, P5)"),
    (6, "P1、P2、P3、P4、P5等6个平台）", "P1, P2, P3, P4, P5 and 1 more)"),
])  # fmt: skip
def test_a_refusal_names_five_recognised_platforms_at_most(
    count: int, zh_tail: str, en_tail: str
) -> None:
    """A long list of recognised platforms is cut after five, and says how many there are."""
    from ce_rules.kinds import recognised_platforms

    rules = ce.get_policy("shandong", 2024).rules
    (rule,) = (r for r in rules if isinstance(r, recognised_platforms.RecognisedPlatformsRule))
    wide = rule.model_copy(update={"platforms": tuple(f"P{i}" for i in range(1, count + 1))})
    text = recognised_platforms.refusal(wide, "别的")
    assert text.zh.endswith(zh_tail)
    assert text.en.endswith(en_tail)


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


SHANDONG = ce.get_policy("shandong", 2024)
NATIONAL = ce.get_policy("cn-national", 2024)
CITY_LOOSEN = ce.load_overlay(Path(__file__).parent / "data" / "overlays" / "city-loosen.toml")


def _changed(policy: ce.Policy, code: str, **update: object) -> ce.Policy:
    """``policy`` with the rule ``code`` changed as a policy file could change it."""
    rules = tuple(r.model_copy(update=update) if r.code == code else r for r in policy.rules)
    return policy.model_copy(update={"rules": rules})


def test_a_learner_factor_other_than_one_multiplies_the_hours() -> None:
    """Decision 3: every factor is a policy parameter, a learner's too, in both categories.

    Under a policy crediting public learning half and professional learning one and a
    half times, 40 public hours (a featured course's learner included) earn 20 and 40
    professional hours earn 60, which meets the 60 required.
    """
    policy = _changed(
        _changed(SHANDONG, "public_learner_credit", factor=Decimal("0.5")),
        "professional_learner_credit",
        factor=Decimal("1.5"),
    )
    person = make_person()
    entries = [
        make_entry(person, make_course("P-1", hours=30)),
        make_entry(person, make_course("P-2", hours=10, featured=True)),
        make_entry(person, make_course("Z-1", category=ce.Category.PROFESSIONAL, hours=40)),
    ]
    verdict = ce.evaluate(person, entries, year=2024, policy=policy)
    assert [d.credited_hours for d in verdict.entries] == [15, 5, 60]
    assert [d.factor for d in verdict.entries] == [Decimal("0.5"), Decimal("0.5"), Decimal("1.5")]
    assert verdict.requirement("public_hours").earned == 20
    assert verdict.requirement("professional_hours").met
    assert verdict.entries[2].message.en == (
        "counted: 60 hours (40 x 1.5; Learners are credited the course hours once, toward "
        "professional subjects (decision 3))"
    )
    assert verdict.entries[2].message.zh.startswith("计入60学时（40学时×1.5，")


def test_teaching_a_featured_course_credited_nothing_cites_the_featured_rule() -> None:
    """Decision 3: under a policy crediting a featured course's teaching 0, that rule says so.

    The instructor of the featured course is ``not_credited`` by the featured rule (not
    the rule of a course not featured, which credits the same teaching of another course
    once), and the entries after it are judged all the same.
    """
    policy = _changed(SHANDONG, "featured_instructor_credit", factor=Decimal(0))
    person = make_person()
    entries = [
        make_entry(person, make_course("P-1", featured=True), role=ce.Role.INSTRUCTOR),
        make_entry(person, make_course("P-2", featured=False), role=ce.Role.INSTRUCTOR),
        make_entry(person, make_course("P-3", hours=5)),
    ]
    verdict = ce.evaluate(person, entries, year=2024, policy=policy)
    assert [(d.reason, d.rule) for d in verdict.entries] == [
        (ce.Reason.NOT_CREDITED, "featured_instructor_credit"),
        (ce.Reason.COUNTED, "public_instructor_credit"),
        (ce.Reason.COUNTED, "public_learner_credit"),
    ]
    assert [d.credited_hours for d in verdict.entries] == [0, 10, 5]
    assert verdict.requirement("public_hours").earned == 15


def test_teaching_credited_only_if_featured_waits_for_featured() -> None:
    """Decisions 3 and 11: teaching credited 0 unless the course is featured (2x then).

    The instructor of an online public course not known to be featured may be credited
    twice its hours or nothing: undetermined, not ``not_credited``; known either way, it
    is one or the other.
    """
    policy = _changed(SHANDONG, "public_instructor_credit", factor=Decimal(0))
    person = make_person()
    unknown = ce.Course.model_validate({**make_course(hours=10).model_dump(), "featured": None})
    entry = make_entry(person, unknown, role=ce.Role.INSTRUCTOR)
    verdict = ce.evaluate(person, [entry], year=2024, policy=policy)
    decision = verdict.entries[0]
    assert decision.reason is ce.Reason.UNDETERMINED
    assert (decision.credited_hours, decision.undetermined_hours) == (0, 20)
    assert decision.missing_facts == ("featured",)
    assert decision.rule == "featured_instructor_credit"
    public = verdict.requirement("public_hours")
    assert (public.earned, public.undetermined) == (0, 20)
    for featured, reason, hours in (
        (True, ce.Reason.COUNTED, 20),
        (False, ce.Reason.NOT_CREDITED, 0),
    ):
        known = make_entry(
            person, make_course(hours=10, featured=featured), role=ce.Role.INSTRUCTOR
        )
        decision = ce.evaluate(person, [known], year=2024, policy=policy).entries[0]
        assert (decision.reason, decision.credited_hours) == (reason, hours)


def test_an_entry_whose_most_is_credited_by_no_rule_waits_without_naming_one() -> None:
    """Decisions 3 and 11: the most an entry may count can rest on no rule at all.

    Under a policy crediting a featured course's learner half its hours and having no
    factor rule for a course not featured (its hours count as they are), a learner of a
    course not known to be featured counts 5 of its 10 hours for certain and at most 10;
    the 10 rest on no rule, so the message names none and the entry cites none.
    """
    policy = _changed(SHANDONG, "public_learner_credit", featured=True, factor=Decimal("0.5"))
    person = make_person()
    unknown = ce.Course.model_validate({**make_course(hours=10).model_dump(), "featured": None})
    decision = ce.evaluate(person, [make_entry(person, unknown)], year=2024, policy=policy).entries[
        0
    ]
    assert decision.reason is ce.Reason.UNDETERMINED
    assert (decision.credited_hours, decision.undetermined_hours) == (5, 5)
    assert (decision.rule, decision.citation) == (None, None)
    assert decision.message.en == "undetermined: featured missing; counts 5 to 10 hours"
    assert decision.message.zh == "待定：缺少是否优质在线公需课；计入5学时，至多10学时"


@pytest.mark.parametrize(
    ("category", "code"),
    [(ce.Category.PUBLIC, "public_hours"), (ce.Category.PROFESSIONAL, "professional_hours")],
)
def test_copies_waiting_for_the_unit_leave_their_hours_open_once(
    category: ce.Category, code: str
) -> None:
    """Decisions 4 and 11: of two copies waiting for the unit level, one's hours are open.

    Under a platform rule of provincial units for courses of ``category``, a person whose
    unit level is unknown has two copies of a 10-hour course and a 5-hour course
    elsewhere, and 3 hours of an offline course: 3 are certain and 15 open, not 25.
    """
    policy = _changed(SHANDONG, "provincial_platforms", category=category)
    person = ce.Person(id="370102198001011234")
    copy = make_course("C-10", category=category, hours=10, platform=_OTHER_PLATFORM)
    entries = [
        make_entry(person, copy),
        make_entry(
            person, make_course("C-5", category=category, hours=5, platform=_OTHER_PLATFORM)
        ),
        make_entry(person, copy),
        make_entry(person, make_course("C-3", category=category, hours=3, mode=ce.Mode.OFFLINE)),
    ]
    verdict = ce.evaluate(person, entries, year=2024, policy=policy)
    assert [d.reason for d in verdict.entries] == [
        ce.Reason.UNDETERMINED,
        ce.Reason.UNDETERMINED,
        ce.Reason.DUPLICATE,
        ce.Reason.COUNTED,
    ]
    result = verdict.requirement(code)
    assert (result.earned, result.undetermined) == (3, 15)


def test_copies_of_teaching_that_waits_for_featured_count_once() -> None:
    """Decisions 4 and 11: copies of teaching a course that may be featured count once.

    The instructor of a 10-hour online public course not known to be featured is credited
    10 hours, or 20 if it is: of two copies of the record and a 5-hour course learnt, 15
    hours are certain and 10 open.
    """
    person = make_person()
    unknown = ce.Course.model_validate({**make_course(hours=10).model_dump(), "featured": None})
    entries = [
        make_entry(person, unknown, role=ce.Role.INSTRUCTOR),
        make_entry(person, unknown, role=ce.Role.INSTRUCTOR),
        make_entry(person, make_course("P-5", hours=5)),
    ]
    verdict = ce.evaluate(person, entries, year=2024)
    assert [d.reason for d in verdict.entries] == [
        ce.Reason.UNDETERMINED,
        ce.Reason.DUPLICATE,
        ce.Reason.COUNTED,
    ]
    public = verdict.requirement("public_hours")
    assert (public.earned, public.undetermined) == (15, 10)


@pytest.mark.parametrize(
    ("category", "code"),
    [(ce.Category.PUBLIC, "public_hours"), (ce.Category.PROFESSIONAL, "professional_hours")],
)
def test_what_entries_waiting_for_the_unit_might_add_is_summed(
    category: ce.Category, code: str
) -> None:
    """Decision 11: the hours left open by each entry waiting for the unit level add up.

    Under a platform rule of provincial units for courses of ``category``, a person whose
    unit level is unknown has two such courses elsewhere, of 10 and 5 hours: 15 hours
    are open, none certain; known to be municipal, the 15 hours count.
    """
    policy = _changed(SHANDONG, "provincial_platforms", category=category)
    person = ce.Person(id="370102198001011234")
    entries = [
        make_entry(person, make_course(f"C-{hours}", category=category, hours=hours,
                                       platform=_OTHER_PLATFORM))
        for hours in (10, 5)
    ]  # fmt: skip
    verdict = ce.evaluate(person, entries, year=2024, policy=policy)
    assert [d.reason for d in verdict.entries] == [ce.Reason.UNDETERMINED] * 2
    result = verdict.requirement(code)
    assert (result.earned, result.undetermined) == (0, 15)
    municipal = person.model_copy(update={"unit": ce.UnitLevel.MUNICIPAL})
    known = ce.evaluate(municipal, entries, year=2024, policy=policy)
    assert (known.requirement(code).earned, known.requirement(code).undetermined) == (15, 0)


@pytest.mark.parametrize(
    ("public", "met", "shortfall", "required", "rounding"),
    [
        ("30", True, "0", "30", None),
        ("29.99", False, "0.01", "30", "ceiling to 0.01 hour"),
        ("29.97", False, "0.03", "29.99", None),
    ],
)
def test_a_share_of_public_hours_is_measured_on_public_hours(
    public: str, met: bool, shortfall: str, required: str, rounding: str | None
) -> None:
    """A min_share rule may measure public hours: a third of the hours earned (第八条's form).

    30 public of 90 earned is a third exactly; 29.99 of 89.99 falls short, and the
    shortfall counts that added public hours raise the total too, rounded up to 0.01.
    """
    policy = _changed(
        NATIONAL,
        "professional_share",
        category=ce.Category.PUBLIC,
        share="1/3",
        of="earned",
        required_total=None,
    )
    person = make_person()
    entries = [
        make_entry(person, make_course("P-1", hours=public)),
        make_entry(person, make_course("Z-1", category=ce.Category.PROFESSIONAL, hours=60)),
    ]
    share = ce.evaluate(person, entries, year=2024, policy=policy).requirement("professional_share")
    assert share.category is ce.Category.PUBLIC
    assert share.earned == Decimal(public)
    assert (share.met, share.shortfall) == (met, Decimal(shortfall))
    assert (share.required, share.rounding) == (Decimal(required), rounding)
    fixed = _changed(NATIONAL, "professional_share", category=ce.Category.PUBLIC, share="1/3")
    of_required = ce.evaluate(person, entries, year=2024, policy=fixed)
    result = of_required.requirement("professional_share")
    assert (result.required, result.met) == (30, met)


def test_a_total_hours_requirement_counts_the_pending_hours_of_both_categories() -> None:
    """第八条's 90 hours in total: what pending entries would add is of both categories."""
    person = make_person()
    pending = ce.EntryStatus.PENDING
    entries = [
        make_entry(person, make_course("P-1", hours=10), status=pending),
        make_entry(
            person, make_course("Z-1", category=ce.Category.PROFESSIONAL, hours=20), status=pending
        ),
    ]
    verdict = ce.evaluate(person, entries, year=2024, policy=NATIONAL)
    assert verdict.requirement("total_hours").pending == 30
    assert verdict.requirement("professional_share").pending == 20


def test_of_pending_copies_the_one_with_most_hours_would_add_whatever_the_order() -> None:
    """Approving pending copies would make the larger count (decision 4), in any order."""
    person = make_person()
    course = make_course(hours=10, mode=ce.Mode.OFFLINE)
    pending = ce.EntryStatus.PENDING
    small = make_entry(person, course, hours=4, status=pending)
    large = make_entry(person, course, hours=6, status=pending)
    for order in ([small, large], [large, small]):
        verdict = ce.evaluate(person, order, year=2024)
        assert verdict.requirement("public_hours").pending == 6
        adds = {order[d.index].hours: d.would_add for d in verdict.entries}
        assert adds == {Decimal(4): 0, Decimal(6): 6}


@pytest.mark.parametrize(
    ("field", "values", "kept"),
    [
        ("certificate_no", ("Z-9", "A-1"), "A-1"),
        ("credited_year", (2024, None), None),
        ("hours", (Decimal("10.00"), Decimal(10)), Decimal(10)),
    ],
)
def test_of_copies_equal_but_in_one_field_the_least_canonical_form_counts(
    field: str, values: tuple[object, object], kept: object
) -> None:
    """Of copies differing in one field, the one counted never depends on input order.

    Decision 4: whichever field tells copies of as many hours apart, the least canonical
    form counts.
    """
    person = make_person()
    course = make_course(hours=10, mode=ce.Mode.OFFLINE)
    entries = [make_entry(person, course, id="R1", **{field: value}) for value in values]
    entries.append(make_entry(person, course, id="R2", **{field: values[0]}))
    for order in itertools.permutations(entries):
        verdict = ce.evaluate(person, order, year=2024)
        (counted,) = [d for d in verdict.entries if d.counted]
        assert (order[counted.index].id, getattr(order[counted.index], field)) == ("R1", kept)
        for duplicate in (d for d in verdict.entries if not d.counted):
            assert duplicate.reason is ce.Reason.DUPLICATE
            assert duplicate.duplicate_of == counted.index
        assert verdict.requirement("public_hours").earned == 10


def test_findings_accumulate_topics_loosenings_and_another_year() -> None:
    """A verdict lists every finding, each kind after the other.

    Key topics not covered (二(一)), a local overlay's loosening, and a policy applied
    outside its years (decision 8), in that order.
    """
    policy = ce.merge_overlay(SHANDONG, CITY_LOOSEN)
    person = make_person(city="测试市")
    verdict = ce.evaluate(person, [], year=2025, policy=policy, allow_other_year=True)
    assert [f.code for f in verdict.findings] == [
        "public_topics",
        "public_hours",
        "policy_outside_years",
    ]
    other = verdict.findings[-1]
    assert (other.decision, other.citation) == (8, None)
    assert other.message.zh == f"政策{policy.id}适用于2024年度，应调用方要求用于2025年度"
    assert other.message.en == (
        f"policy {policy.id} governs 2024; it was applied to 2025 on the caller's request"
    )
    loosening = verdict.findings[1]
    assert loosening.message.en == (
        "local policy test-city-loosen loosens rule public_hours: "
        "category=public; hours=30 -> category=public; hours=24"
    )
    in_year = ce.evaluate(person, [], year=2024, policy=policy)
    assert [f.code for f in in_year.findings] == ["public_topics", "public_hours"]


_PUBLIC_ONLINE = make_course(hours=10, topics=("yellow_river",))


@pytest.mark.parametrize(
    ("entry_update", "course_update"),
    [
        ({"id": "R2"}, {}),
        ({"hours": Decimal(5)}, {}),
        ({"hours": None}, {}),
        ({"credited_year": None}, {}),
        ({"credited_year": 2023}, {}),
        ({"certificate_no": "CERT-2"}, {}),
        ({"status": ce.EntryStatus.PENDING}, {}),
        ({"role": ce.Role.INSTRUCTOR}, {}),
        ({"completed_on": date(2024, 5, 2)}, {}),
        ({}, {"id": "C-002"}),
        ({}, {"title": "另一门课"}),
        ({}, {"category": ce.Category.PROFESSIONAL, "topics": ()}),
        ({}, {"hours": Decimal(12)}),
        ({}, {"mode": ce.Mode.OFFLINE, "platform": None}),
        ({}, {"platform": "山东开放大学"}),
        ({}, {"featured": True}),
        ({}, {"featured": None}),
        ({}, {"topics": ("party_history",)}),
        ({}, {"topics": ()}),
        ({}, {"topics": None}),
    ],
)
def test_the_fingerprint_changes_with_every_field_of_an_entry(
    entry_update: dict[str, object], course_update: dict[str, object]
) -> None:
    """Any field of an entry changed gives another fingerprint.

    An archived verdict is re-verified by evaluating again (docs/concepts.md): hours,
    credited year, platform, featured flag and topics are in the fingerprint too.
    """
    person = make_person()
    entry = make_entry(
        person, _PUBLIC_ONLINE, id="R1", certificate_no="CERT-1", hours=8, credited_year=2024
    )
    course = ce.Course.model_validate({**_PUBLIC_ONLINE.model_dump(), **course_update})
    changed = ce.CreditEntry.model_validate(
        {**entry.model_dump(), **entry_update, "course": course}
    )
    before = ce.evaluate(person, [entry], year=2024).fingerprint
    assert ce.evaluate(person, [changed], year=2024).fingerprint != before


@pytest.mark.parametrize(
    "update",
    [{"unit": ce.UnitLevel.MUNICIPAL}, {"unit": None}, {"city": "济南市"}, {"industry": "卫生"}],
)
def test_the_fingerprint_changes_with_the_persons_facts(update: dict[str, object]) -> None:
    """The person's unit level, city and industry decide which rules apply: they are in it."""
    person = make_person()
    entries = compliant_entries(person, 2024)
    before = ce.evaluate(person, entries, year=2024).fingerprint
    other = person.model_copy(update=update)
    assert ce.evaluate(other, entries, year=2024).fingerprint != before


_OTHER_PLATFORM = "某市继续教育平台"


@pytest.mark.parametrize(
    ("person_unit", "course_fields", "role", "missing", "low", "high"),
    [
        # 二(二): another platform counts for municipal staff only.
        (None, {"mode": ce.Mode.ONLINE, "platform": _OTHER_PLATFORM}, "learner", ("unit",), 0, 10),
        # ... and for offline courses only.
        (
            ce.UnitLevel.PROVINCIAL,
            {"mode": None, "platform": _OTHER_PLATFORM},
            "learner",
            ("mode",),
            0,
            10,
        ),
        # Either fact alone decides.
        (None, {"mode": None, "platform": _OTHER_PLATFORM}, "learner", ("unit", "mode"), 0, 10),
        # 二(三): the instructor of a featured course is credited twice.
        (
            ce.UnitLevel.MUNICIPAL,
            {"mode": ce.Mode.ONLINE, "featured": None},
            "instructor",
            ("featured",),
            10,
            20,
        ),
        # An online public course with its mode unknown may be featured.
        (
            ce.UnitLevel.MUNICIPAL,
            {"mode": None, "featured": None},
            "instructor",
            ("featured",),
            10,
            20,
        ),
    ],
)
def test_the_facts_an_entry_waits_for_are_named_with_what_they_decide(
    person_unit: ce.UnitLevel | None,
    course_fields: dict[str, object],
    role: str,
    missing: tuple[str, ...],
    low: int,
    high: int,
) -> None:
    """Decision 11: each fact that changes how an entry counts is named, none other.

    The entry counts its least for certain and leaves the rest open; its message says
    what is missing and between what it counts, in both languages.
    """
    person = make_person(unit=ce.UnitLevel.PROVINCIAL).model_copy(update={"unit": person_unit})
    course = ce.Course.model_validate({**make_course(hours=10).model_dump(), **course_fields})
    verdict = ce.evaluate(person, [make_entry(person, course, role=ce.Role(role))], year=2024)
    decision = verdict.entries[0]
    assert decision.reason is ce.Reason.UNDETERMINED
    assert decision.missing_facts == missing
    assert verdict.missing_facts == tuple(sorted(missing))
    assert (decision.credited_hours, decision.undetermined_hours) == (low, high - low)
    public = verdict.requirement("public_hours")
    assert (public.earned, public.undetermined) == (low, high - low)
    assert public.determined  # 30 hours are out of reach either way
    assert verdict.status is ce.Status.NON_COMPLIANT
    if low:
        assert decision.message.en.startswith(
            f"undetermined: {', '.join(missing)} missing; counts {low} to {high} hours ("
        )
        assert f"；计入{low}学时，至多{high}学时（" in decision.message.zh
        assert decision.rule == "featured_instructor_credit"
    else:
        assert decision.message.en.startswith(
            f"undetermined: {', '.join(missing)} missing; may count {high} hours or none ("
        )
        assert f"；可能计入{high}学时，也可能不计入（" in decision.message.zh
        assert decision.rule == "provincial_platforms"
    assert decision.message.en.endswith(")")


@pytest.mark.parametrize(
    ("person_unit", "course_fields", "role"),
    [
        # On a recognised platform, the unit and the mode change nothing (二(二)).
        (None, {"mode": None, "platform": "专技知到"}, "learner"),
        # A learner is credited once, featured or not (二(三)).
        (ce.UnitLevel.PROVINCIAL, {"mode": None, "featured": None}, "learner"),
        # A professional course cannot be featured; a municipal person's platform is free.
        (ce.UnitLevel.MUNICIPAL, {"mode": None, "platform": _OTHER_PLATFORM}, "learner"),
    ],
)
def test_a_missing_fact_that_changes_nothing_is_not_named(
    person_unit: ce.UnitLevel | None, course_fields: dict[str, object], role: str
) -> None:
    """Decision 11: a fact that could not change the outcome leaves the entry counted."""
    person = make_person(unit=ce.UnitLevel.PROVINCIAL).model_copy(update={"unit": person_unit})
    course = ce.Course.model_validate({**make_course(hours=10).model_dump(), **course_fields})
    verdict = ce.evaluate(person, [make_entry(person, course, role=ce.Role(role))], year=2024)
    decision = verdict.entries[0]
    assert decision.reason is ce.Reason.COUNTED
    assert decision.credited_hours == 10
    assert verdict.missing_facts == ()


def test_an_entry_off_the_platforms_for_every_unit_is_not_recognised() -> None:
    """A provincial person's online course elsewhere never counts, whatever else is missing."""
    person = make_person()
    course = ce.Course.model_validate(
        {**make_course(hours=10).model_dump(), "platform": _OTHER_PLATFORM, "featured": None}
    )
    decision = ce.evaluate(person, [make_entry(person, course)], year=2024).entries[0]
    assert decision.reason is ce.Reason.PLATFORM_NOT_RECOGNISED
    assert decision.rule == "provincial_platforms"
    assert decision.missing_facts == ()


@pytest.mark.parametrize(
    ("professional", "status", "certificate"),
    [
        ("60", ce.Status.UNDETERMINED, None),
        ("59.99", ce.Status.NON_COMPLIANT, False),
    ],
)
def test_a_year_open_on_a_missing_fact_is_undetermined_unless_something_fails_for_certain(
    professional: str, status: ce.Status, certificate: bool | None
) -> None:
    """Decision 11: 30 public hours that count only for a municipal person leave the year open.

    With the professional minimum met the year (and the certificate, decision 12) waits
    for the unit level; 0.01 professional hour short, it fails whatever the unit level.
    """
    person = ce.Person(id="370102198001011234")
    entries = [
        make_entry(person, make_course("P-1", hours=30, platform=_OTHER_PLATFORM)),
        make_entry(
            person, make_course("Z-1", category=ce.Category.PROFESSIONAL, hours=professional)
        ),
    ]
    verdict = ce.evaluate(person, entries, year=2024)
    assert (verdict.status, verdict.certificate_eligible) == (status, certificate)
    assert not verdict.compliant
    assert verdict.missing_facts == ("unit",)
    public = verdict.requirement("public_hours")
    assert (public.met, public.determined) == (False, False)
    for unit, met in ((ce.UnitLevel.MUNICIPAL, True), (ce.UnitLevel.PROVINCIAL, False)):
        known = ce.evaluate(person.model_copy(update={"unit": unit}), entries, year=2024)
        assert known.requirement("public_hours").met is met


def test_only_counted_hours_cover_a_key_topic() -> None:
    """二(一)'s key topics (advisory): a pending or professional entry in one does not cover it."""
    person = make_person()
    topical = make_course("P-1", hours=10, topics=("yellow_river",))
    pending = make_entry(person, topical, status=ce.EntryStatus.PENDING)
    professional = make_entry(
        person,
        make_course("Z-1", category=ce.Category.PROFESSIONAL, hours=10, topics=("yellow_river",)),
    )
    other = make_entry(person, make_course("P-2", hours=10, topics=("自定专题",)))
    for entries in ([pending], [professional], [other], [pending, professional, other]):
        verdict = ce.evaluate(person, entries, year=2024)
        assert [f.code for f in verdict.findings] == ["public_topics"]
    counted = ce.evaluate(person, [other, make_entry(person, topical)], year=2024)
    assert counted.findings == ()


def test_a_policy_of_several_years_applied_to_another_names_them_all() -> None:
    """Decision 8: the finding names every year the policy governs, in both languages."""
    policy = SHANDONG.model_copy(update={"years": (2023, 2024)})
    verdict = ce.evaluate(make_person(), [], year=2025, policy=policy, allow_other_year=True)
    finding = verdict.findings[-1]
    assert finding.message.zh == "政策shandong-2024适用于2023、2024年度，应调用方要求用于2025年度"
    assert finding.message.en.startswith("policy shandong-2024 governs 2023, 2024; it was")


def test_a_policy_copied_with_other_rules_gives_other_fingerprints() -> None:
    """A verdict's fingerprint covers its policy's content: a copy with another minimum differs."""
    person = make_person()
    lowered = _changed(SHANDONG, "public_hours", hours=Decimal(24))
    assert lowered.digest != SHANDONG.digest
    assert len(lowered.digest) == 64
    assert (
        ce.evaluate(person, [], year=2024, policy=lowered).fingerprint
        != ce.evaluate(person, [], year=2024).fingerprint
    )


def test_where_every_unit_level_is_restricted_only_the_mode_is_missing() -> None:
    """Decision 11: a fact that decides nothing is not named, though it is unknown too.

    Under a policy restricting municipal staff's online public hours as well (a city's
    reading of 二(二)), a course on another platform counts only if it was offline: the
    unit level, also unknown, changes nothing.
    """
    municipal = SHANDONG.rule("provincial_platforms").model_copy(
        update={"code": "municipal_platforms", "unit_level": ce.UnitLevel.MUNICIPAL}
    )
    policy = SHANDONG.model_copy(update={"rules": (*SHANDONG.rules, municipal)})
    person = ce.Person(id="370102198001011234")
    course = ce.Course.model_validate(
        {**make_course(hours=10).model_dump(), "mode": None, "platform": _OTHER_PLATFORM}
    )
    verdict = ce.evaluate(person, [make_entry(person, course)], year=2024, policy=policy)
    assert verdict.entries[0].missing_facts == ("mode",)
    assert verdict.missing_facts == ("mode",)
    assert verdict.entries[0].message.zh.startswith("待定：缺少学习形式；可能计入10学时")


def test_an_entry_waiting_for_two_facts_names_both_in_both_languages() -> None:
    """The missing facts are named by their column headers (zh) and codes (en)."""
    person = ce.Person(id="370102198001011234")
    course = ce.Course.model_validate(
        {**make_course(hours=10).model_dump(), "mode": None, "platform": _OTHER_PLATFORM}
    )
    decision = ce.evaluate(person, [make_entry(person, course)], year=2024).entries[0]
    assert decision.message.zh.startswith(
        "待定：缺少单位级别、学习形式；可能计入10学时，也可能不计入"
    )
    assert decision.message.en.startswith("undetermined: unit, mode missing; may count 10 hours")


def test_an_offline_course_is_never_featured_while_its_mode_is_unknown() -> None:
    """二(三): only an online public course can be featured; an unknown mode is tried both ways.

    Under a policy restricting instructors' online public hours to the named platforms
    too, an instructor's course on another platform, mode and featured flag unknown,
    counts only if offline, and then once (an offline course is not featured): 0 to 10.
    """
    restricted = SHANDONG.rule("provincial_platforms").model_copy(
        update={"roles": (ce.Role.LEARNER, ce.Role.INSTRUCTOR)}
    )
    policy = SHANDONG.model_copy(
        update={
            "rules": tuple(restricted if r.code == restricted.code else r for r in SHANDONG.rules)
        }
    )
    person = make_person()
    course = ce.Course.model_validate(
        {
            **make_course(hours=10).model_dump(),
            "mode": None,
            "featured": None,
            "platform": _OTHER_PLATFORM,
        }
    )
    entry = make_entry(person, course, role=ce.Role.INSTRUCTOR)
    decision = ce.evaluate(person, [entry], year=2024, policy=policy).entries[0]
    assert decision.reason is ce.Reason.UNDETERMINED
    assert (decision.credited_hours, decision.undetermined_hours) == (0, 10)
    assert decision.missing_facts == ("mode",)


def test_of_copies_the_one_counted_never_depends_on_order_whatever_tells_them_apart() -> None:
    """Decision 4 (and 二(三), once a year): the least canonical form counts, in any order.

    Copies of one course, role and day whose course records differ in title; a smaller
    copy beside two of most hours; a featured course's instructor records of two days;
    copies told apart only by a credited year stated (the year it was completed in) or
    only by a certificate number.
    """
    person = make_person()
    first, second = (make_course(hours=10, mode=ce.Mode.OFFLINE, title=t) for t in ("甲", "乙"))
    titled = [make_entry(person, second), make_entry(person, first)]
    sized = [
        make_entry(person, first, id="B"),
        make_entry(person, first, id="A"),
        make_entry(person, first, id="C", hours=4),
    ]
    featured = make_course(hours=10, featured=True)
    days = [
        make_entry(person, featured, role=ce.Role.INSTRUCTOR, completed_on=date(2024, 6, 1)),
        make_entry(person, featured, role=ce.Role.INSTRUCTOR, completed_on=date(2024, 3, 1)),
    ]
    credited = [make_entry(person, first, credited_year=2024), make_entry(person, first)]
    certified = [make_entry(person, first, certificate_no="Z-9"), make_entry(person, first)]
    for entries, kept in (
        (titled, titled[0]),
        (sized, sized[1]),
        (days, days[1]),
        (credited, credited[1]),
        (certified, certified[1]),
    ):
        for order in itertools.permutations(entries):
            verdict = ce.evaluate(person, order, year=2024)
            (counted,) = [d for d in verdict.entries if d.counted]
            assert order[counted.index] is kept


@pytest.mark.parametrize(
    ("hours", "zh", "en"),
    [
        ("30", "已获30学时，已达标", "30 earned, met"),
        ("12.5", "已获12.5学时，尚差17.5学时", "12.5 earned, 17.5 short"),
    ],
)
def test_a_requirements_message_says_what_is_earned_and_missing(
    hours: str, zh: str, en: str
) -> None:
    """Every verdict explains itself: the rule's words, the hours earned, met or how short."""
    person = make_person()
    verdict = ce.evaluate(person, [make_entry(person, make_course(hours=hours))], year=2024)
    public = verdict.requirement("public_hours")
    assert public.message.zh == f"公需科目年度累计应不少于30学时：{zh}"
    assert public.message.en.endswith(f"in the year: {en}")
    decision = verdict.entries[0]
    assert (decision.message.zh, decision.message.en) == (
        f"计入{hours}学时",
        f"counted: {hours} hours",
    )


def test_a_requirement_open_on_a_missing_fact_says_how_much_waits() -> None:
    """Decision 11: the requirement's message names the hours waiting for a missing fact."""
    person = ce.Person(id="370102198001011234")
    entries = [
        make_entry(person, make_course("P-1", hours=25, platform=_OTHER_PLATFORM)),
        make_entry(person, make_course("P-2", hours="2.5")),
    ]
    public = ce.evaluate(person, entries, year=2024).requirement("public_hours")
    assert public.message.zh.endswith("已获2.5学时，尚差27.5学时（另有至多25学时因缺少信息待定）")
    assert public.message.en.endswith(
        "2.5 earned, 27.5 short (up to 25 more wait for missing facts)"
    )


def test_a_key_topic_finding_names_the_decision_its_rule_reads_by() -> None:
    """A finding rests on its rule's reading, where the rule has one."""
    reading = SHANDONG.rule("featured_instructor_credit").reading
    topics = SHANDONG.rule("public_topics").model_copy(update={"reading": reading})
    policy = SHANDONG.model_copy(
        update={"rules": tuple(topics if r.code == "public_topics" else r for r in SHANDONG.rules)}
    )
    finding = ce.evaluate(make_person(), [], year=2024, policy=policy).findings[0]
    assert (finding.code, finding.decision) == ("public_topics", 3)


def test_a_factor_for_learners_of_featured_courses_leaves_other_learners_alone() -> None:
    """Decision 3: a factor may depend on the course being featured; other learners keep 1."""
    bonus = SHANDONG.rule("public_learner_credit").model_copy(
        update={"code": "featured_learner_credit", "featured": True, "category": None}
    )
    bonus = bonus.model_copy(update={"factor": Decimal("1.5")})
    policy = SHANDONG.model_copy(update={"rules": (bonus, *SHANDONG.rules)})
    person = make_person()
    entries = [
        make_entry(person, make_course("F-1", hours=10, featured=True)),
        make_entry(person, make_course("P-1", hours=10)),
        make_entry(person, make_course("Z-1", category=ce.Category.PROFESSIONAL, hours=60)),
    ]
    verdict = ce.evaluate(person, entries, year=2024, policy=policy)
    assert [d.credited_hours for d in verdict.entries] == [15, 10, 60]
    assert verdict.requirement("public_hours").earned == 25
    assert verdict.requirement("professional_hours").earned == 60


@pytest.mark.parametrize(
    ("featured", "toward", "public", "professional"),
    [
        (True, ce.Category.PUBLIC, 20, 0),
        (True, ce.Category.PROFESSIONAL, 0, 20),
        (False, None, 10, 0),
        (False, ce.Category.PROFESSIONAL, 10, 0),
    ],
)
def test_a_copy_of_a_teaching_entry_takes_back_what_it_added(
    featured: bool, toward: ce.Category | None, public: int, professional: int
) -> None:
    """Decision 4 with 二(三): a second record of one delivery adds nothing.

    Whatever the factor and the category the credit counts toward; approving a pending
    copy would add nothing either, and alone it would add the credited hours.
    """
    policy = _changed(SHANDONG, "featured_instructor_credit", toward=toward or ce.Category.PUBLIC)
    person = make_person()
    course = make_course(hours=10, featured=featured)
    entries = [make_entry(person, course, role=ce.Role.INSTRUCTOR, id=i) for i in ("R1", "R2")]
    pending = make_entry(person, course, role=ce.Role.INSTRUCTOR, status=ce.EntryStatus.PENDING)
    verdict = ce.evaluate(person, [*entries, pending], year=2024, policy=policy)
    assert verdict.requirement("public_hours").earned == public
    assert verdict.requirement("professional_hours").earned == professional
    assert [d.reason for d in verdict.entries] == [
        ce.Reason.COUNTED,
        ce.Reason.DUPLICATE,
        ce.Reason.PENDING,
    ]
    assert verdict.entries[2].would_add == 0
    alone = ce.evaluate(person, [pending], year=2024, policy=policy).entries[0]
    assert alone.would_add == (20 if featured else 10)
    assert alone.message.en.endswith(f" (would add {alone.would_add} hours once approved)")
    assert alone.message.zh.endswith(f"（审核通过后可计入{alone.would_add}学时）")


def test_deliveries_of_a_course_whose_featured_flag_is_unknown_count_at_least_once_each() -> None:
    """二(三), decision 11: two deliveries earn 20 for certain, featured (2x once) or not."""
    person = make_person(unit=ce.UnitLevel.MUNICIPAL)
    course = ce.Course.model_validate({**make_course(hours=10).model_dump(), "featured": None})
    entries = [
        make_entry(person, course, role=ce.Role.INSTRUCTOR, completed_on=day)
        for day in (date(2024, 3, 1), date(2024, 6, 1))
    ]
    verdict = ce.evaluate(person, entries, year=2024)
    assert verdict.requirement("public_hours").earned == 20
    assert [d.factor for d in verdict.entries] == [1, 1]


def test_an_entry_open_on_less_than_an_hour_for_certain_still_counts() -> None:
    """An undetermined entry that counts 0.5 hour for certain is counted, its id kept."""
    person = make_person(unit=ce.UnitLevel.MUNICIPAL)
    course = ce.Course.model_validate({**make_course(hours="0.5").model_dump(), "featured": None})
    decision = ce.evaluate(
        person, [make_entry(person, course, role=ce.Role.INSTRUCTOR, id="R7")], year=2024
    ).entries[0]
    assert (decision.reason, decision.counted, decision.entry_id) == (
        ce.Reason.UNDETERMINED,
        True,
        "R7",
    )
    assert decision.credited_hours == Decimal("0.5")


def test_a_counted_entry_names_the_decision_its_factor_rule_reads_by() -> None:
    """Every verdict says what it rests on: a learner's hours, decision 3 (a reading)."""
    person = make_person()
    decision = ce.evaluate(person, [make_entry(person)], year=2024).entries[0]
    assert (decision.rule, decision.decision) == ("public_learner_credit", 3)


def test_entries_of_a_subclass_are_entries_and_others_are_named() -> None:
    """A subclass of CreditEntry is a CreditEntry; anything else is refused, shown as given."""

    class MyEntry(ce.CreditEntry):
        pass

    person = make_person()
    mine = MyEntry.model_validate(make_entry(person).model_dump())
    assert ce.evaluate(person, [mine], year=2024).requirement("public_hours").earned == 10
    with pytest.raises(ce.EvaluationInputError) as caught:
        ce.evaluate(person, [mine, "entry"], year=2024)  # type: ignore[list-item]
    assert (caught.value.field, caught.value.value) == ("entries[1]", "entry")
    assert caught.value.message == "must be a ce_rules.CreditEntry"


def test_every_key_topic_rule_not_covered_is_a_finding() -> None:
    """二(一)'s key topics (advisory), one finding per rule a counted entry does not cover."""
    topics = SHANDONG.rule("public_topics")
    professional = topics.model_copy(
        update={"code": "professional_topics", "category": ce.Category.PROFESSIONAL}
    )
    policy = SHANDONG.model_copy(update={"rules": (*SHANDONG.rules, professional)})
    verdict = ce.evaluate(make_person(), [], year=2024, policy=policy)
    assert [f.code for f in verdict.findings] == ["public_topics", "professional_topics"]


# --------------------------------------------------------------------------------------
# Decision 14: topics not recorded are unknown, not absent (二(一), key topics)
# --------------------------------------------------------------------------------------

_KEY = ("yellow_river",)
_OTHER = ("数字技术",)


def _topics_case(
    *courses: tuple[ce.Category, tuple[str, ...] | None, ce.EntryStatus],
) -> ce.Verdict:
    """A municipal person's verdict on offline courses of these categories, topics, statuses.

    Each course has the hours its category's minimum asks (30 public, 60 professional).
    """
    person = make_person(unit=ce.UnitLevel.MUNICIPAL)
    entries = [
        make_entry(
            person,
            make_course(
                f"C-{n}", category=category, hours=30 if category is _PUB else 60,
                mode=ce.Mode.OFFLINE, platform=None, topics=topics,
            ),
            status=status,
        )
        for n, (category, topics, status) in enumerate(courses)
    ]  # fmt: skip
    return ce.evaluate(person, entries, year=2024)


_PUB, _PRO = ce.Category.PUBLIC, ce.Category.PROFESSIONAL
_OK, _PENDING = ce.EntryStatus.APPROVED, ce.EntryStatus.PENDING


@pytest.mark.parametrize(
    ("courses", "codes"),
    [
        # Not recorded, and nothing covers: coverage cannot be told.
        ([(_PUB, None, _OK)], ["key_topics_not_recorded"]),
        ([(_PUB, None, _OK), (_PUB, _OTHER, _OK)], ["key_topics_not_recorded"]),
        ([(_PUB, None, _OK), (_PUB, (), _OK)], ["key_topics_not_recorded"]),
        # A counted entry in a key series covers it, whatever the others record.
        ([(_PUB, None, _OK), (_PUB, _KEY, _OK)], []),
        ([(_PUB, _KEY, _OK), (_PUB, None, _OK)], []),
        # Every counted public entry records its topics and none covers: the advisory.
        ([(_PUB, (), _OK)], ["public_topics"]),
        ([(_PUB, _OTHER, _OK)], ["public_topics"]),
        ([], ["public_topics"]),
        # Not recorded where it cannot change the finding: another category, not counted.
        ([(_PUB, _OTHER, _OK), (_PRO, None, _OK)], ["public_topics"]),
        ([(_PRO, None, _OK)], ["public_topics"]),
        ([(_PUB, _OTHER, _OK), (_PUB, None, _PENDING)], ["public_topics"]),
        # A pending entry in a key series covers nothing either.
        ([(_PUB, None, _OK), (_PUB, _KEY, _PENDING)], ["key_topics_not_recorded"]),
    ],
)
def test_topics_not_recorded_are_not_claimed_outside_the_key_series(
    courses: list[tuple[ce.Category, tuple[str, ...] | None, ce.EntryStatus]], codes: list[str]
) -> None:
    """Decision 14: the advisory of 二(一) only where every counted entry records its topics."""
    verdict = _topics_case(*courses)
    assert [f.code for f in verdict.findings] == codes


def test_the_topics_not_recorded_finding_names_its_rule_clause_and_decision() -> None:
    """Decision 14: the finding cites 二(一), rests on decision 14 and says what is unknown."""
    verdict = _topics_case((_PUB, None, _OK), (_PRO, None, _OK))
    (finding,) = verdict.findings
    rule = SHANDONG.rule("public_topics")
    assert finding.code == "key_topics_not_recorded"
    assert finding.citation == rule.citation
    assert (finding.reading, finding.decision) == (None, 14)
    assert "public_topics" in finding.message.zh
    assert "二(一)" in finding.message.zh
    assert "专题" in finding.message.zh
    assert "无法判断" in finding.message.zh
    assert "not record the topics" in finding.message.en
    assert "cannot be told" in finding.message.en
    assert "public_topics, 二(一)" in finding.message.en
    # Advisory: the status is the one the same hours in a key series give.
    covered = _topics_case((_PUB, _KEY, _OK), (_PRO, None, _OK))
    assert verdict.status is covered.status is ce.Status.COMPLIANT
    assert ce.Verdict.model_validate_json(verdict.model_dump_json()) == verdict
    for lang, taken in (
        ("en", "decision 14 (Topics not recorded)"),
        ("zh", "决定14（专题未记录）"),
    ):
        text = verdict.explain(lang)
        assert taken in text
        assert finding.message.in_(lang) in text


def test_each_key_topic_rule_says_whether_its_own_category_records_topics() -> None:
    """Decision 14, per rule: a rule of professional topics is told apart from the public one."""
    topics = SHANDONG.rule("public_topics")
    professional = topics.model_copy(
        update={"code": "professional_topics", "category": ce.Category.PROFESSIONAL}
    )
    policy = SHANDONG.model_copy(update={"rules": (*SHANDONG.rules, professional)})
    person = make_person(unit=ce.UnitLevel.MUNICIPAL)
    entries = [
        make_entry(person, make_course("P-1", hours=30, topics=_OTHER)),
        make_entry(
            person,
            make_course("Z-1", category=_PRO, hours=60, mode=ce.Mode.OFFLINE, platform=None),
        ),
    ]
    verdict = ce.evaluate(person, entries, year=2024, policy=policy)
    assert [(f.code, f.decision) for f in verdict.findings] == [
        ("public_topics", None),
        ("key_topics_not_recorded", 14),
    ]
    assert "professional_topics" in verdict.findings[1].message.en


def test_a_course_without_topics_does_not_record_them_and_a_blank_records_none() -> None:
    """Decision 14: ``topics`` is None unless given; a blank or empty value records none."""
    assert make_course().topics is None
    assert make_course(topics=None).topics is None
    for blank in ("", "  ", [], ()):
        assert make_course(topics=blank).topics == ()
    assert make_course(topics="黄河流域生态保护和高质量发展；自定").topics == (
        ce.PublicTopic.YELLOW_RIVER,
        "自定",
    )


def test_the_fingerprint_tells_topics_not_recorded_from_none_and_keeps_recorded_ones() -> None:
    """Decision 14: not recorded and none are other inputs; recorded topics hash as before 14."""
    person = make_person(unit=ce.UnitLevel.MUNICIPAL)

    def fingerprint(topics: tuple[str, ...] | None) -> str:
        course = ce.Course(
            id="P-1", title="课", category="public", hours=30, mode="offline", topics=topics
        )
        entry = ce.CreditEntry(person_id=person.id, course=course, completed_on=date(2024, 5, 1))
        return ce.evaluate(person, [entry], year=2024).fingerprint

    # Measured with ce-rules before decision 14 (commit 828a01d): archived verdicts of
    # records that give topics re-verify unchanged.
    assert fingerprint(()) == "0d8390fcb6b39d89fda0564916da575ed1abe06bbb29394914e5161e75bfdb59"
    assert fingerprint(_OTHER) == (
        "d03adfb8b0be4ad2f8f158c166c2b379009fc2f7faaf5be1da943ccc7769337a"
    )
    assert fingerprint(None) not in {fingerprint(()), fingerprint(_OTHER)}


def test_explain_names_the_missing_facts_by_their_column_in_chinese() -> None:
    """Decision 11: the facts a verdict waits for, as the records' columns name them."""
    person = make_person(unit=None)
    entry = make_entry(person, make_course(hours=30, mode=ce.Mode.ONLINE, platform="别的平台"))
    verdict = ce.evaluate(person, [entry], year=2024)
    assert verdict.missing_facts == ("unit",)
    assert "缺少的信息：单位级别（决定11：不作猜测）" in verdict.explain("zh")
    assert "Facts missing: unit (decision 11: never guessed)" in verdict.explain("en")


@pytest.mark.parametrize("recorded_first", [True, False])
def test_of_copies_alike_but_for_their_topics_the_one_recording_them_counts(
    recorded_first: bool,
) -> None:
    """Decisions 4 and 14: two exports of one record, one without topics; in either order.

    The copy that records its topics counts, so the key series it names is covered and the
    verdict has neither the advisory nor the "not recorded" finding.
    """
    person = make_person()
    fields = {"id": "C-1", "title": "党史课", "category": "public", "hours": 30, "mode": "offline"}
    recorded = ce.CreditEntry(
        person_id=person.id,
        course=ce.Course(**fields, topics=("党史学习教育",)),
        completed_on=date(2024, 5, 1),
    )
    unrecorded = ce.CreditEntry(
        person_id=person.id, course=ce.Course(**fields), completed_on=date(2024, 5, 1)
    )
    entries = [recorded, unrecorded] if recorded_first else [unrecorded, recorded]
    verdict = ce.evaluate(person, entries, year=2024)
    kept = next(d for d in verdict.entries if d.counted)
    assert entries[kept.index] is recorded
    assert [d.reason for d in verdict.entries].count(ce.Reason.DUPLICATE) == 1
    assert not {f.code for f in verdict.findings} & {"public_topics", "key_topics_not_recorded"}
