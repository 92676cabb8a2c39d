"""Local overlays: city and industry rules on top of the provincial policy (二(二), 三(二))."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import ce_rules as ce
from ce_rules import kinds
from ce_rules._plan import plan_compliance

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data" / "overlays"
EXAMPLE = ce.load_overlay(ROOT / "examples" / "overlays" / "example-city-2024.toml")
TIGHTEN = ce.load_overlay(DATA / "industry-tighten.toml")
LOOSEN = ce.load_overlay(DATA / "city-loosen.toml")
BASE = ce.get_policy("shandong", 2024)

IN_EXAMPLE_CITY = ce.Person(id="p-city", unit=ce.UnitLevel.MUNICIPAL, city="示例市")
ELSEWHERE = ce.Person(id="p-city", unit=ce.UnitLevel.MUNICIPAL, city="济南")
IN_INDUSTRY = ce.Person(id="p-city", unit=ce.UnitLevel.PROVINCIAL, industry="测试行业")
IN_TEST_CITY = ce.Person(id="p-city", unit=ce.UnitLevel.MUNICIPAL, city="测试市")


def entry(category: str, hours: int, on: date) -> ce.CreditEntry:
    """An approved offline entry of the test person."""
    course = ce.Course(
        id=f"{category}-{hours}-{on}", title="课程", category=category, hours=hours, mode="offline"
    )
    return ce.CreditEntry(person_id="p-city", course=course, completed_on=on)


def test_overlay_applies_only_to_its_city():
    """The example overlay governs staff of 示例市 and nobody else (二(二))."""
    assert ce.overlay_applies(EXAMPLE, IN_EXAMPLE_CITY, 2024)
    assert not ce.overlay_applies(EXAMPLE, ELSEWHERE, 2024)
    assert not ce.overlay_applies(EXAMPLE, IN_EXAMPLE_CITY, 2025)
    assert ce.policy_for(ELSEWHERE, 2024, overlays=[EXAMPLE]) == BASE


def test_a_city_overlay_governs_its_municipal_staff_only():
    """二(二) 各市专业技术人员: a provincial-unit person with the city recorded is not governed."""
    provincial = IN_EXAMPLE_CITY.model_copy(update={"unit": ce.UnitLevel.PROVINCIAL})
    assert ce.overlay_applies(EXAMPLE, IN_EXAMPLE_CITY, 2024)
    assert not ce.overlay_applies(EXAMPLE, provincial, 2024)
    assert ce.policy_for(provincial, 2024, overlays=[EXAMPLE]) == BASE


def test_a_city_overlay_for_a_person_whose_unit_is_not_known_is_refused():
    """Whether the city's rules govern depends on the unit level: never guessed (decision 11)."""
    unknown = IN_EXAMPLE_CITY.model_copy(update={"unit": None})
    with pytest.raises(ce.EvaluationInputError, match="unit level is not known") as caught:
        ce.policy_for(unknown, 2024, overlays=[EXAMPLE])
    assert caught.value.field == "person.unit"
    # An industry overlay does not depend on the unit level.
    in_industry = IN_INDUSTRY.model_copy(update={"unit": None})
    assert ce.overlay_applies(TIGHTEN, in_industry, 2024)


def test_city_overlay_tightens_public_minimum():
    """A city may raise the public minimum: 30 hours no longer suffice under 32 (二(一), 二(二))."""
    policy = ce.policy_for(IN_EXAMPLE_CITY, 2024, overlays=[EXAMPLE])
    assert policy.id == "shandong-2024.example-city-2024"
    entries = [entry("public", 30, date(2024, 3, 1)), entry("professional", 60, date(2024, 3, 1))]
    assert ce.evaluate(IN_EXAMPLE_CITY, entries, year=2024).compliant
    verdict = ce.evaluate(IN_EXAMPLE_CITY, entries, year=2024, policy=policy)
    result = verdict.requirement("public_hours")
    assert result.required == Decimal(32)
    assert result.shortfall == Decimal(2)
    assert result.citation.clause == "二(二)"
    assert verdict.findings == () or all(f.code != "public_hours" for f in verdict.findings)


def test_city_deadline_on_31_october_counts_and_1_november_does_not():
    """Public hours done on 31 October count; on 1 November they miss the city deadline (二(二))."""
    policy = ce.policy_for(IN_EXAMPLE_CITY, 2024, overlays=[EXAMPLE])
    entries = [
        entry("public", 20, date(2024, 10, 31)),
        entry("public", 12, date(2024, 11, 1)),
        entry("professional", 60, date(2024, 12, 1)),
    ]
    verdict = ce.evaluate(IN_EXAMPLE_CITY, entries, year=2024, policy=policy)
    on_time, late, professional = verdict.entries
    assert on_time.counted
    assert not late.counted
    assert late.reason is ce.Reason.AFTER_CATEGORY_DEADLINE
    assert late.rule == "public_by_october"
    assert late.citation is not None
    assert late.citation.clause == "二(二)"
    assert professional.counted  # the city deadline is for public subjects only
    assert verdict.requirement("public_hours").earned == Decimal(20)


def test_plan_under_overlay_shows_the_city_deadline():
    """A plan under the city overlay says public hours are due by 31 October (二(二))."""
    policy = ce.policy_for(IN_EXAMPLE_CITY, 2024, overlays=[EXAMPLE])
    plan = plan_compliance(IN_EXAMPLE_CITY, [], year=2024, policy=policy, as_of=date(2024, 10, 1))
    public = next(g for g in plan.gaps if g.category is ce.Category.PUBLIC)
    professional = next(g for g in plan.gaps if g.category is ce.Category.PROFESSIONAL)
    assert public.extra_hours == Decimal(32)
    assert public.due_on == date(2024, 10, 31)
    assert public.days_left == 30
    assert professional.due_on == date(2024, 12, 31)


def test_industry_overlay_tightens_professional_minimum():
    """An industry plan may raise the professional minimum to 72 hours (三(二))."""
    policy = ce.policy_for(IN_INDUSTRY, 2024, overlays=[TIGHTEN, EXAMPLE])
    assert policy.id == "shandong-2024.test-industry-tighten"
    entries = [entry("public", 30, date(2024, 3, 1)), entry("professional", 60, date(2024, 3, 1))]
    verdict = ce.evaluate(IN_INDUSTRY, entries, year=2024, policy=policy)
    assert verdict.requirement("professional_hours").shortfall == Decimal(12)
    assert not verdict.compliant


def test_city_and_industry_overlays_both_apply_in_any_order():
    """A person of a city and an industry gets both overlays, whatever order they come in."""
    person = ce.Person(id="p-city", unit=ce.UnitLevel.MUNICIPAL, city="示例市", industry="测试行业")
    one = ce.policy_for(person, 2024, overlays=[EXAMPLE, TIGHTEN])
    other = ce.policy_for(person, 2024, overlays=[TIGHTEN, EXAMPLE])
    assert one == other
    rules = {r.code: r for r in one.rules}
    assert isinstance(rules["public_hours"], ce.MinHoursRule)
    assert isinstance(rules["professional_hours"], ce.MinHoursRule)
    assert rules["public_hours"].hours == Decimal(32)
    assert rules["professional_hours"].hours == Decimal(72)


def test_declared_loosening_applies_and_is_reported():
    """A city that explicitly lowers the public minimum gets it, and the verdict says so."""
    policy = ce.policy_for(IN_TEST_CITY, 2024, overlays=[LOOSEN])
    (loosening,) = policy.loosenings
    assert loosening.code == "public_hours"
    entries = [entry("public", 24, date(2024, 3, 1)), entry("professional", 60, date(2024, 3, 1))]
    verdict = ce.evaluate(IN_TEST_CITY, entries, year=2024, policy=policy)
    assert verdict.compliant
    finding = next(f for f in verdict.findings if f.code == "public_hours")
    assert "test-city-loosen" in finding.message.en
    assert "放宽" in finding.message.zh
    assert "hours=30" in finding.message.en
    assert "hours=24" in finding.message.en


def test_undeclared_loosening_is_an_error():
    """Lowering a provincial minimum without naming it in `loosens` is refused, naming the rule."""
    overlay = ce.load_overlay(DATA / "city-loosen-undeclared.toml")
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.merge_overlay(BASE, overlay)
    assert caught.value.field == "rules.public_hours"
    assert "loosens" in caught.value.message


def test_declaring_a_loosening_that_does_not_loosen_is_an_error():
    """`loosens` naming a rule the overlay only tightens is refused (the data must be honest)."""
    overlay = TIGHTEN.model_copy(update={"loosens": ("professional_hours",)})
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.merge_overlay(BASE, overlay)
    assert caught.value.field == "loosens"


def test_changing_a_rules_kind_is_an_error():
    """An overlay rule with a base rule's code must be of the same kind."""
    share = ce.MinShareRule(
        kind="min_share",
        code="public_hours",
        category=ce.Category.PUBLIC,
        share="1/3",
        citation=BASE.rule("public_hours").citation,
        message=BASE.rule("public_hours").message,
    )
    overlay = TIGHTEN.model_copy(update={"rules": (share,)})
    with pytest.raises(ce.PolicyFileError, match="kind"):
        ce.merge_overlay(BASE, overlay)


@pytest.mark.parametrize(
    ("code", "update", "loosens"),
    [
        ("featured_instructor_credit", {"factor": Decimal(3)}, True),
        ("featured_instructor_credit", {"factor": Decimal("1.5")}, False),
        ("provincial_platforms", {"platforms": ("专技知到",)}, False),
        ("provincial_platforms", {"platforms": ("专技知到", "某平台")}, True),
        ("training_filing_deadline", {"days": 20}, False),
        ("training_filing_deadline", {"days": 45}, True),
        ("plan_submission_deadline", {"month": 3, "day": 31}, False),
        ("plan_submission_deadline", {"month": 5, "day": 15}, True),
        ("plan_submission_deadline", {"formats": ("word",)}, True),
        ("plan_submission_deadline", {"formats": ("Word", "PDF", "ofd")}, False),
        ("plan_submission_deadline", {"month": 4, "day": 31}, False),
        ("public_hours", {"category": ce.Category.PROFESSIONAL}, True),
        ("public_topics", {"topics": (ce.PublicTopic.PARTY_HISTORY,)}, False),
        # Both sides of each threshold: asking as much is no loosening.
        ("public_hours", {"hours": Decimal(30)}, False),
        ("public_hours", {"hours": Decimal("29.99")}, True),
        ("featured_instructor_credit", {"factor": Decimal(2)}, False),
        ("featured_instructor_credit", {"once_per_course_year": False}, True),
        ("provincial_platforms", {"roles": (ce.Role.LEARNER, ce.Role.INSTRUCTOR)}, False),
        ("provincial_platforms", {"unit_level": ce.UnitLevel.MUNICIPAL}, True),
        ("training_filing_deadline", {"days": 30}, False),
        ("training_filing_deadline", {"days": 31}, True),
        ("training_filing_deadline", {"documents": ("trainee_list",)}, True),
        ("training_filing_deadline", {"recipients": ("provincial",)}, True),
        ("training_filing_deadline", {"extend_past_holidays": False}, False),
        ("plan_submission_deadline", {"month": 4, "day": 30}, False),
        ("plan_submission_deadline", {"month": 5, "day": 1}, True),
    ],
)
def test_what_counts_as_loosening(code, update, loosens):
    """More credit or platforms, later deadlines, fewer formats or a new scope loosen."""
    changed = BASE.rule(code).model_copy(update=update)
    overlay = TIGHTEN.model_copy(update={"rules": (changed,)})
    if loosens:
        with pytest.raises(ce.PolicyFileError):
            ce.merge_overlay(BASE, overlay)
        declared = overlay.model_copy(update={"loosens": (code,)})
        assert [lo.code for lo in ce.merge_overlay(BASE, declared).loosenings] == [code]
    else:
        assert ce.merge_overlay(BASE, overlay).loosenings == ()


def test_overlay_must_extend_the_policy_it_is_merged_with():
    """An overlay of shandong-2024 cannot be merged into the national policy."""
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.merge_overlay(ce.policy_by_id("cn-national-2015"), TIGHTEN)
    assert caught.value.field == "extends"


def test_a_plain_policy_is_not_an_overlay(tmp_path):
    """load_overlay refuses a file without extends; a policy with applies_to needs extends."""
    with pytest.raises(ce.PolicyFileError):
        ce.load_overlay(ROOT / "src" / "ce_rules" / "policies" / "shandong-2024.toml")
    text = (DATA / "industry-tighten.toml").read_text(encoding="utf-8")
    path = tmp_path / "no-extends.toml"
    path.write_text(text.replace('extends = "shandong-2024"', ""), encoding="utf-8")
    with pytest.raises(ce.PolicyFileError, match="extends"):
        ce.load_policy(path)


def test_evaluate_period_selects_overlays_by_person():
    """A title period picks the person's city overlay for each year (二(二), decision 9)."""
    entries = [entry("public", 30, date(2024, 3, 1)), entry("professional", 60, date(2024, 3, 1))]
    here = ce.evaluate_period(IN_EXAMPLE_CITY, entries, years=[2024], overlays=[EXAMPLE])
    there = ce.evaluate_period(ELSEWHERE, entries, years=[2024], overlays=[EXAMPLE])
    assert not here.compliant
    assert here.verdict(2024).policy_id == "shandong-2024.example-city-2024"
    assert there.compliant


def test_merged_policy_carries_both_versions():
    """The merged policy's version names the base's and the overlay's (fingerprints change)."""
    policy = ce.merge_overlay(BASE, EXAMPLE)
    assert BASE.version in policy.version
    assert "example-city-2024-1.0.0" in policy.version
    assert policy.years == (2024,)


def test_merged_policy_keeps_the_legal_text_and_the_certificate_basis():
    """The base's quoted text and the basis of its certificate condition survive a merge."""
    policy = ce.merge_overlay(BASE, EXAMPLE)
    assert policy.source_text == BASE.source_text is not None
    assert policy.certificate_requires == BASE.certificate_requires
    assert policy.certificate_reading == BASE.certificate_reading is not None
    verdict = ce.evaluate(IN_EXAMPLE_CITY, [], year=2024, policy=policy)
    assert verdict.certificate_reading == BASE.certificate_reading


def test_added_credit_factor_above_one_is_a_loosening():
    """A new credit factor above 1 loosens 二(一), 三(一): it must be declared and is reported."""
    base_rule = BASE.rule("featured_instructor_credit")
    assert isinstance(base_rule, ce.CreditFactorRule)
    triple = base_rule.model_copy(
        update={
            "code": "instructor_triple",
            "featured": None,
            "category": None,
            "factor": Decimal(3),
        }
    )
    overlay = TIGHTEN.model_copy(update={"rules": (triple,)})
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.merge_overlay(BASE, overlay)
    assert caught.value.field == "rules.instructor_triple"
    declared = overlay.model_copy(update={"loosens": ("instructor_triple",)})
    merged = ce.merge_overlay(BASE, declared)
    assert [lo.code for lo in merged.loosenings] == ["instructor_triple"]
    assert "factor=1" in merged.loosenings[0].base
    halved = triple.model_copy(update={"code": "instructor_half", "factor": Decimal("0.5")})
    assert ce.merge_overlay(BASE, TIGHTEN.model_copy(update={"rules": (halved,)})).loosenings == ()


@pytest.mark.parametrize("code", ["training_filing_deadline", "plan_submission_deadline"])
def test_a_second_deadline_rule_under_a_new_code_is_an_error(code):
    """Only one filing (四(二)) or submission (五(二)) deadline applies: a second is refused."""
    second = BASE.rule(code).model_copy(update={"code": f"{code}_local"})
    overlay = TIGHTEN.model_copy(update={"rules": (second,)})
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.merge_overlay(BASE, overlay)
    assert caught.value.field == f"rules.{code}_local"
    assert code in str(caught.value)


def test_an_unmerged_overlay_is_refused_by_evaluate():
    """An overlay alone lacks its base's rules (三(一) among them): evaluate refuses it."""
    with pytest.raises(ce.EvaluationInputError, match="merge it onto its base"):
        ce.evaluate(IN_EXAMPLE_CITY, [], year=2024, policy=EXAMPLE)
    merged = ce.merge_overlay(BASE, EXAMPLE)
    verdict = ce.evaluate(IN_EXAMPLE_CITY, [], year=2024, policy=merged)
    assert "professional_hours" in [r.code for r in verdict.requirements]


NATIONAL = ce.get_policy("cn-national", 2024)


@pytest.mark.parametrize(
    ("policy", "code", "old", "new", "loosens"),
    [
        # 第八条's share (decision 10): of the 90 required, or of the hours earned.
        (NATIONAL, "professional_share", {}, {"share": "2/3"}, False),
        (NATIONAL, "professional_share", {}, {"share": "3/4"}, False),
        (NATIONAL, "professional_share", {}, {"share": "3/5"}, True),
        (NATIONAL, "professional_share", {}, {"required_total": Decimal(89)}, True),
        (NATIONAL, "professional_share", {}, {"required_total": Decimal(91)}, False),
        (NATIONAL, "professional_share", {}, {"category": ce.Category.PUBLIC}, True),
        (NATIONAL, "professional_share", {}, {"of": "earned", "required_total": None}, True),
        (
            NATIONAL,
            "professional_share",
            {"of": "earned", "required_total": None},
            {"of": "earned", "required_total": None},
            False,
        ),
        (
            NATIONAL,
            "professional_share",
            {"of": "earned", "required_total": None},
            {"of": "earned", "required_total": None, "share": "3/5"},
            True,
        ),
        # 二(三)'s credit: once a year is stricter than every delivery.
        (BASE, "featured_instructor_credit", {"once_per_course_year": False}, {}, False),
        # Rest days (decision 7): switching the extension on, or counting weekends, is later.
        (
            BASE,
            "training_filing_deadline",
            {"extend_past_holidays": False},
            {"extend_past_holidays": True},
            True,
        ),
        (
            BASE,
            "training_filing_deadline",
            {"holidays_include_weekends": False},
            {"holidays_include_weekends": True},
            True,
        ),
        (
            BASE,
            "plan_submission_deadline",
            {"extend_past_holidays": False},
            {"extend_past_holidays": True},
            True,
        ),
        (
            BASE,
            "plan_submission_deadline",
            {"holidays_include_weekends": False},
            {"holidays_include_weekends": True},
            True,
        ),
    ],
)
def test_what_counts_as_loosening_from_another_base(policy, code, old, new, loosens):
    """A rule that asks otherwise than the bundled one is compared the same way."""
    rule = policy.rule(code)
    before, after = rule.model_copy(update=old), rule.model_copy(update=new)
    assert kinds.loosens(before, after) is loosens


@pytest.mark.parametrize(
    ("old", "new", "loosens"),
    [
        ((10, 31), (10, 31), False),
        ((10, 31), (11, 1), True),
        ((10, 31), (9, 30), False),
        # 29 February is later than 28 February in a leap year only: still a loosening.
        ((2, 28), (2, 29), True),
        ((2, 29), (2, 28), False),
        ((2, 29), (2, 31), False),
    ],
)
def test_a_later_city_deadline_is_a_loosening(old, new, loosens):
    """A city's per-category deadline (二(二)) moved later in some year loosens it."""
    rule = EXAMPLE.category_deadline_rules[0]
    before = rule.model_copy(update={"month": old[0], "day": old[1]})
    after = rule.model_copy(update={"month": new[0], "day": new[1]})
    assert kinds.loosens(before, after) is loosens


@pytest.mark.parametrize(("factor", "loosens"), [("1", False), ("1.01", True), ("1.5", True)])
def test_an_added_credit_factor_loosens_only_above_one(factor, loosens):
    """A new factor of 1 credits what no rule credits already; above 1 it credits more."""
    rule = BASE.rule("featured_instructor_credit").model_copy(
        update={"code": "added", "factor": Decimal(factor)}
    )
    assert kinds.adds_credit(rule) is loosens


@pytest.mark.parametrize(
    ("update", "loosens"),
    [({}, False), ({"featured": False}, True), ({"role": ce.Role.LEARNER}, True)],
)
def test_any_change_of_whom_the_title_achievement_credits_is_a_loosening(update, loosens):
    """二(三)'s achievement in title evaluation: a change of role or featured flag is reported."""
    rule = BASE.rule("featured_course_achievement")
    assert kinds.loosens(rule, rule.model_copy(update=update)) is loosens
