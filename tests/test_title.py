"""Title evaluation (职称评审): periods, the title window and achievements (一, 二(三), 五(一))."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ce_rules as ce
from ce_rules._title import (
    TITLE_WINDOW_MAX_YEARS,
    PeriodVerdict,
    achievements,
    evaluate_period,
    title_window,
)

ROOT = Path(__file__).parent.parent
PERSON = ce.Person(id="370102198001010011", unit=ce.UnitLevel.MUNICIPAL, city="济南")
PUBLIC = ce.Course(id="pub-30", title="公需科目", category="public", hours=30, mode="offline")
PROFESSIONAL = ce.Course(
    id="pro-60", title="专业科目", category="professional", hours=60, mode="offline"
)
FEATURED = ce.Course(
    id="feat-5",
    title="黄河流域生态保护（优质在线公需课）",
    category="public",
    hours=5,
    mode="online",
    platform="专技知到",
    featured=True,
)
WINDOW = (2020, 2021, 2022, 2023, 2024)


def full_year(year: int, *, professional: bool = True) -> list[ce.CreditEntry]:
    """30 public hours, and 60 professional hours unless told not to, in ``year``."""
    entries = [ce.CreditEntry(person_id=PERSON.id, course=PUBLIC, completed_on=date(year, 3, 1))]
    if professional:
        entries.append(
            ce.CreditEntry(person_id=PERSON.id, course=PROFESSIONAL, completed_on=date(year, 6, 1))
        )
    return entries


def teach(on: date, status: ce.EntryStatus = ce.EntryStatus.APPROVED) -> ce.CreditEntry:
    """An instructorship of the featured course on ``on``."""
    return ce.CreditEntry(
        person_id=PERSON.id, course=FEATURED, role="instructor", completed_on=on, status=status
    )


# --- title_window -----------------------------------------------------------------------


def test_window_is_full_years_since_title_capped_at_five():
    """A title obtained mid-2017 and an application in 2025 show 2020-2024 (decision 9)."""
    assert title_window(date(2017, 7, 1), 2025) == WINDOW


def test_window_starts_after_the_year_the_title_was_obtained():
    """The year a title was obtained mid-year is not a full year under it (decision 9)."""
    assert title_window(date(2022, 7, 1), 2025) == (2023, 2024)


def test_window_includes_a_year_held_from_1_january():
    """A title obtained on 1 January is held for that full year (decision 9)."""
    assert title_window(date(2023, 1, 1), 2025) == (2023, 2024)


def test_window_excludes_the_application_year():
    """The application year is not over, so it is not shown (decision 9)."""
    assert 2025 not in title_window(date(2010, 5, 5), 2025)


def test_window_is_empty_without_a_full_year():
    """A title obtained last year mid-year leaves no full year to show (decision 9)."""
    assert title_window(date(2024, 3, 1), 2025) == ()


def test_window_cap_is_a_parameter():
    """The five-year cap of decision 9 is a parameter: three gives the last three years."""
    assert TITLE_WINDOW_MAX_YEARS == 5
    assert title_window(date(2010, 5, 5), 2025, max_years=3) == (2022, 2023, 2024)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("2019-01-01", 2025), "current_title_obtained_on"),
        ((date(2019, 1, 1), "2025"), "application_year"),
        ((date(2019, 1, 1), 2025, 0), "max_years"),
    ],
)
def test_window_rejects_bad_arguments(args, field):
    """A wrong argument raises EvaluationInputError naming the field (errors are API)."""
    with pytest.raises(ce.EvaluationInputError) as caught:
        title_window(*args)
    assert caught.value.field == field


@given(
    obtained=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    application_year=st.integers(1990, 2035),
    cap=st.integers(1, 10),
)
def test_window_properties(obtained, application_year, cap):
    """The window is consecutive, ends before the application year, and never exceeds the cap."""
    window = title_window(obtained, application_year, max_years=cap)
    assert len(window) <= cap
    assert list(window) == list(range(window[0], window[-1] + 1)) if window else True
    assert all(obtained <= date(y, 1, 1) and y < application_year for y in window)


# --- evaluate_period -----------------------------------------------------------------------


def test_period_with_one_short_year_fails_only_that_year():
    """2020-2024 with no professional hours in 2022 fails 2022 alone, 60 short (三(一))."""
    entries = [e for y in WINDOW for e in full_year(y, professional=y != 2022)]
    period = evaluate_period(
        PERSON, entries, years=WINDOW, policy="shandong-2024", allow_other_year=True
    )
    assert not period.compliant
    assert period.status is ce.Status.NON_COMPLIANT
    assert [f.year for f in period.failing_years] == [2022]
    (short,) = period.failing_years[0].shortfalls
    assert short.code == "professional_hours"
    assert short.shortfall == Decimal(60)
    assert short.citation.clause == "三(一)"
    assert [v.year for v in period.verdicts] == list(WINDOW)


def test_period_all_years_met_is_compliant():
    """Every year meeting 30 public and 60 professional hours makes the period compliant."""
    entries = [e for y in WINDOW for e in full_year(y)]
    period = evaluate_period(
        PERSON, entries, years=WINDOW, policy="shandong-2024", allow_other_year=True
    )
    assert period.compliant
    assert period.status is ce.Status.COMPLIANT
    assert period.failing_years == ()


def test_period_without_policy_for_a_year_raises():
    """A year with no registered policy is PolicyNotFoundError, never a fallback (decision 8)."""
    with pytest.raises(ce.PolicyNotFoundError) as caught:
        evaluate_period(PERSON, full_year(2020), years=[2020, 2024])
    assert caught.value.year == 2020


def test_period_uses_each_years_own_policy():
    """A mapping gives each year its own policy: 2023 national, 2024 Shandong."""
    entries = full_year(2023) + full_year(2024)
    period = evaluate_period(
        PERSON,
        entries,
        years=[2024, 2023],
        policy={2023: "cn-national-2015", 2024: "shandong-2024"},
    )
    assert period.years == (2023, 2024)
    assert period.verdict(2023).policy_id == "cn-national-2015"
    assert period.verdict(2024).policy_id == "shandong-2024"
    assert period.compliant


def test_period_default_policy_is_the_bundled_one():
    """Without a policy, 2024 is judged under the bundled Shandong 2024 policy (二(一))."""
    period = evaluate_period(PERSON, full_year(2024), years=[2024])
    assert period.verdict(2024).policy_id == "shandong-2024"


def test_period_in_progress_when_the_current_year_is_not_over():
    """An unfinished current year makes the period in progress, not non-compliant."""
    entries = full_year(2023) + full_year(2024, professional=False)
    period = evaluate_period(
        PERSON,
        entries,
        years=[2023, 2024],
        policy="shandong-2024",
        as_of=date(2024, 6, 30),
        allow_other_year=True,
    )
    assert period.status is ce.Status.IN_PROGRESS
    assert not period.compliant


@pytest.mark.parametrize("years", [[], "2024", [2024, 2024], [2024.0]])
def test_period_rejects_bad_years(years):
    """Years must be a non-empty iterable of distinct ints (errors are API)."""
    with pytest.raises(ce.EvaluationInputError):
        evaluate_period(PERSON, [], years=years, policy="shandong-2024", allow_other_year=True)


def test_period_round_trips_through_json_and_explains_itself():
    """A period verdict survives JSON and explains itself in Chinese and English."""
    entries = [e for y in WINDOW for e in full_year(y, professional=y != 2022)]
    entries.append(teach(date(2023, 4, 1)))
    period = evaluate_period(
        PERSON, entries, years=WINDOW, policy="shandong-2024", allow_other_year=True
    )
    assert PeriodVerdict.model_validate_json(period.model_dump_json()) == period
    zh, en = period.explain("zh"), period.explain("en")
    assert "2022年：不合格" in zh
    assert "三(一)" in zh
    assert "二(三)" in zh
    assert "2022: non-compliant" in en
    with pytest.raises(ValueError, match="lang"):
        period.explain("fr")


def test_period_fingerprint_is_stable_and_sensitive():
    """The same inputs give the same fingerprint; another year's entry changes it."""
    entries = [e for y in WINDOW for e in full_year(y)]
    first = evaluate_period(
        PERSON, entries, years=WINDOW, policy="shandong-2024", allow_other_year=True
    )
    again = evaluate_period(
        PERSON, list(reversed(entries)), years=WINDOW, policy="shandong-2024", allow_other_year=True
    )
    assert first.fingerprint == again.fingerprint
    changed = evaluate_period(
        PERSON,
        [*entries, teach(date(2021, 1, 5))],
        years=WINDOW,
        policy="shandong-2024",
        allow_other_year=True,
    )
    assert changed.fingerprint != first.fingerprint


def test_period_json_that_disagrees_is_rejected():
    """A period read back from JSON whose summary contradicts its years is refused."""
    period = evaluate_period(PERSON, full_year(2024), years=[2024])
    data = period.model_dump(mode="json")
    data["compliant"] = False
    with pytest.raises(ValueError, match="disagree"):
        PeriodVerdict.model_validate(data)


@given(shorts=st.lists(st.booleans(), min_size=5, max_size=5))
def test_period_compliant_iff_every_year_is(shorts):
    """A period is compliant iff every year is (decision 2: nothing carries over)."""
    entries = [
        e
        for year, short in zip(WINDOW, shorts, strict=True)
        for e in full_year(year, professional=not short)
    ]
    period = evaluate_period(
        PERSON, entries, years=WINDOW, policy="shandong-2024", allow_other_year=True
    )
    assert period.compliant == all(v.compliant for v in period.verdicts) == (not any(shorts))
    assert [f.year for f in period.failing_years] == [
        y for y, short in zip(WINDOW, shorts, strict=True) if short
    ]


# --- achievements ----------------------------------------------------------------------


def test_featured_instructorship_inside_window_is_an_achievement():
    """Teaching a featured course in the window is an achievement, credited 2x (二(三))."""
    entries = [e for y in WINDOW for e in full_year(y)] + [teach(date(2023, 4, 1))]
    period = evaluate_period(
        PERSON, entries, years=WINDOW, policy="shandong-2024", allow_other_year=True
    )
    (item,) = period.achievements
    assert (item.year, item.course_id, item.hours) == (2023, "feat-5", Decimal(5))
    assert item.factor == Decimal(2)
    assert item.credited_hours == Decimal(10)
    assert item.citation.clause == "二(三)"
    assert item.course_title == FEATURED.title


def test_featured_instructorship_outside_window_is_not_listed():
    """An instructorship of 2019 is outside a 2020-2024 window and is not listed (二(三))."""
    entries = [teach(date(2019, 4, 1))]
    assert (
        achievements(PERSON, entries, years=WINDOW, policy="shandong-2024", allow_other_year=True)
        == ()
    )


def test_only_approved_instructorships_are_achievements():
    """A pending or revoked instructorship is not an achievement (decision 5)."""
    entries = [
        teach(date(2023, 4, 1), ce.EntryStatus.PENDING),
        teach(date(2024, 4, 1), ce.EntryStatus.REVOKED),
    ]
    assert (
        achievements(PERSON, entries, years=WINDOW, policy="shandong-2024", allow_other_year=True)
        == ()
    )


def test_learning_a_featured_course_is_not_an_achievement():
    """A learner of a featured course earns hours, not an achievement (二(三), decision 3)."""
    entry = ce.CreditEntry(person_id=PERSON.id, course=FEATURED, completed_on=date(2024, 4, 1))
    assert achievements(PERSON, [entry], years=[2024]) == ()


def test_duplicate_instructorship_is_one_achievement():
    """The same instructorship recorded twice is one achievement (decision 4)."""
    entries = [teach(date(2024, 4, 1)), teach(date(2024, 4, 1))]
    assert len(achievements(PERSON, entries, years=[2024])) == 1


def test_policy_without_achievement_rule_grants_none():
    """Under the national 2015 rules, which have no 二(三), no achievement is claimed."""
    entries = [teach(date(2023, 4, 1))]
    assert achievements(PERSON, entries, years=[2023], policy="cn-national-2015") == ()


def test_explanation_names_the_years_judged_when_they_are_not_consecutive():
    """Years 2020 and 2022 are explained as those two years, never as the span 2020-2022."""
    entries = [e for y in (2020, 2022) for e in full_year(y)]
    period = evaluate_period(
        PERSON, entries, years=[2022, 2020], policy="shandong-2024", allow_other_year=True
    )
    assert "2020、2022年度" in period.explain("zh")
    assert "2020, 2022" in period.explain("en")
    assert "2020-2022" not in period.explain("en")
    whole = evaluate_period(
        PERSON,
        full_year(2020) + full_year(2021),
        years=[2020, 2021],
        policy="shandong-2024",
        allow_other_year=True,
    )
    assert "2020-2021年度" in whole.explain("zh")


def test_overlays_with_an_explicit_policy_are_an_error_not_ignored():
    """Overlays are selected only when no policy is given; both together raise, naming overlays."""
    overlay = ce.load_overlay(ROOT / "examples" / "overlays" / "example-city-2024.toml")
    with pytest.raises(ce.EvaluationInputError) as caught:
        evaluate_period(PERSON, [], years=[2024], policy="shandong-2024", overlays=[overlay])
    assert caught.value.field == "overlays"


def test_achievements_select_the_persons_overlay_like_evaluate_period():
    """achievements() takes the same overlays as evaluate_period (二(二), 二(三))."""
    overlay = ce.load_overlay(ROOT / "examples" / "overlays" / "example-city-2024.toml")
    person = PERSON.model_copy(update={"city": "示例市"})
    entries = [teach(date(2024, 4, 1))]
    found = ce.achievements(person, entries, years=[2024], overlays=[overlay])
    assert found == evaluate_period(person, entries, years=[2024], overlays=[overlay]).achievements
    assert [a.year for a in found] == [2024]


def test_a_city_deadline_excluding_the_hours_keeps_the_achievement() -> None:
    """二(三), decision 13: the achievement stands on the selection, not on the hours counting."""
    city = ce.load_overlay(ROOT / "examples/overlays/example-city-2024.toml")
    person = ce.Person(id="370102198001010011", unit=ce.UnitLevel.MUNICIPAL, city="示例市")
    late = ce.CreditEntry(
        person_id=person.id,
        course=FEATURED,
        role=ce.Role.INSTRUCTOR,
        completed_on=date(2024, 12, 1),
    )
    period = evaluate_period(person, [late], years=[2024], overlays=[city])
    (decision,) = period.verdict(2024).entries
    assert decision.reason is ce.Reason.AFTER_CATEGORY_DEADLINE
    assert [a.course_id for a in period.achievements] == [FEATURED.id]


@pytest.mark.parametrize("status", [ce.EntryStatus.PENDING, ce.EntryStatus.REJECTED])
def test_an_unapproved_instructorship_is_no_achievement(status: ce.EntryStatus) -> None:
    """二(三): an instructor record not approved is no achievement yet (decision 5)."""
    entry = ce.CreditEntry(
        person_id=PERSON.id, course=FEATURED, role=ce.Role.INSTRUCTOR,
        completed_on=date(2024, 5, 1), status=status,
    )  # fmt: skip
    assert evaluate_period(PERSON, [entry], years=[2024]).achievements == ()


def test_two_records_of_one_featured_course_are_one_achievement() -> None:
    """二(三): one course selected, one achievement, however many records of it a year has."""
    entries = [
        ce.CreditEntry(
            person_id=PERSON.id, course=FEATURED, role=ce.Role.INSTRUCTOR, completed_on=day
        )
        for day in (date(2024, 5, 1), date(2024, 5, 1), date(2024, 9, 1))
    ]
    period = evaluate_period(PERSON, entries, years=[2024])
    assert len(period.achievements) == 1


def test_the_period_names_its_reading() -> None:
    """一: that a period passes when every year is compliant is decision 9, and says so."""
    period = evaluate_period(PERSON, full_year(2024), years=[2024])
    assert "决定9" in period.explain("zh")
    assert "decision 9" in period.explain("en")


def test_a_policy_given_for_years_it_does_not_govern_is_refused_unless_allowed() -> None:
    """Decision 8: shandong-2024 is not applied to 2020 silently; allowed, the verdict says so."""
    with pytest.raises(ce.EvaluationInputError, match="allow_other_year"):
        evaluate_period(PERSON, full_year(2020), years=[2020], policy="shandong-2024")
    period = evaluate_period(
        PERSON, full_year(2020), years=[2020], policy="shandong-2024", allow_other_year=True
    )
    (finding,) = [f for f in period.verdict(2020).findings if f.code == "policy_outside_years"]
    assert finding.decision == 8
