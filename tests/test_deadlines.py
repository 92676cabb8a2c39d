"""The notice's institutional deadlines: training filings (四(二)) and submissions (五(二))."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ce_rules as ce
from ce_rules._deadlines import (
    CohortVerdict,
    DeadlineStatus,
    DeadlineVerdict,
    Submission,
    SubmissionKind,
    Trainee,
    TrainingCohort,
    check_submission,
    check_training_filing,
)

PASSED = Trainee(id="t1", name="张三", completed_hours=Decimal(80), passed=True)
FAILED = Trainee(id="t2", completed_hours=Decimal(80), passed=False)
SHORT = Trainee(id="t3", completed_hours=Decimal("79.5"), passed=True)


def cohort(completed_on: date, filed_on: date | None = None) -> TrainingCohort:
    """A cohort of three trainees of an 80-hour course."""
    return TrainingCohort(
        institution="山东某数字技术工程师培训机构",
        course="人工智能工程技术人员（初级）",
        required_hours=Decimal(80),
        completed_on=completed_on,
        trainees=(PASSED, FAILED, SHORT),
        filed_on=filed_on,
    )


def submission(on: date | None, formats: tuple[str, ...] = ("word", "pdf")) -> Submission:
    """A city's 2024 CE notice submitted on ``on``."""
    return Submission(
        kind=SubmissionKind.MUNICIPAL_NOTICE,
        submitter="济南市人力资源和社会保障局",
        year=2024,
        submitted_on=on,
        formats=formats,
    )


# --- 四(二): training filings ----------------------------------------------------------------


def test_filing_on_day_30_is_on_time():
    """Filing 30 days after completion is within the 30 days (四(二), decision 7)."""
    verdict = check_training_filing(cohort(date(2024, 5, 10), date(2024, 6, 9)))
    assert verdict.deadline.due_on == date(2024, 6, 9)
    assert verdict.deadline.status is DeadlineStatus.ON_TIME
    assert verdict.deadline.met
    assert verdict.deadline.days_late == 0
    assert verdict.deadline.citation.clause == "四(二)"


def test_filing_on_day_31_is_one_day_late():
    """Filing 31 days after completion is one day late (四(二), decision 7)."""
    verdict = check_training_filing(cohort(date(2024, 5, 10), date(2024, 6, 10)))
    assert verdict.deadline.status is DeadlineStatus.LATE
    assert verdict.deadline.days_late == 1
    assert not verdict.deadline.met


@pytest.mark.parametrize(
    ("completed_on", "due_on"),
    [
        (date(2024, 1, 31), date(2024, 3, 1)),  # leap year: February has 29 days
        (date(2023, 1, 31), date(2023, 3, 2)),  # common year: February has 28 days
        (date(2024, 2, 29), date(2024, 3, 30)),  # from the leap day itself
        (date(2024, 12, 15), date(2025, 1, 14)),  # across the year end
        (date(2024, 4, 30), date(2024, 5, 30)),  # a 30-day month
    ],
)
def test_filing_due_date_across_month_ends_and_leap_years(completed_on, due_on):
    """The due date is completion + 30 calendar days, across month ends and leap years (四(二))."""
    on_time = check_training_filing(cohort(completed_on, due_on), policy="shandong-2024")
    late = check_training_filing(
        cohort(completed_on, due_on + timedelta(days=1)), policy="shandong-2024"
    )
    assert on_time.deadline.due_on == due_on
    assert on_time.deadline.status is DeadlineStatus.ON_TIME
    assert late.deadline.status is DeadlineStatus.LATE


def test_unfiled_cohort_is_pending_before_the_due_date():
    """An unfiled cohort is pending up to and including the due date (四(二))."""
    verdict = check_training_filing(cohort(date(2024, 1, 31)), as_of=date(2024, 3, 1))
    assert verdict.deadline.status is DeadlineStatus.PENDING
    assert verdict.deadline.days_left == 0


def test_unfiled_cohort_is_overdue_after_the_due_date():
    """An unfiled cohort is overdue the day after the due date, counting days late (四(二))."""
    verdict = check_training_filing(cohort(date(2024, 1, 31)), as_of=date(2024, 3, 5))
    assert verdict.deadline.status is DeadlineStatus.OVERDUE
    assert verdict.deadline.days_late == 4


def test_filing_after_as_of_is_not_yet_filed():
    """A filing dated after as_of was not yet made on as_of: pending (no clock, 四(二))."""
    verdict = check_training_filing(
        cohort(date(2024, 5, 10), date(2024, 6, 1)), as_of=date(2024, 5, 20)
    )
    assert verdict.deadline.status is DeadlineStatus.PENDING
    assert verdict.deadline.done_on is None
    assert verdict.deadline.days_left == 20


def test_unfiled_cohort_without_as_of_raises():
    """Whether an unfiled cohort is late depends on the day: as_of is required (no clock)."""
    with pytest.raises(ce.EvaluationInputError) as caught:
        check_training_filing(cohort(date(2024, 5, 10)))
    assert caught.value.field == "as_of"


def test_trainees_eligible_only_with_hours_and_assessment():
    """Only trainees with the hours who passed the assessment get the certificate (四(二))."""
    verdict = check_training_filing(cohort(date(2024, 5, 10), date(2024, 5, 20)))
    assert verdict.eligible_trainees == ("t1",)
    failed, short = verdict.trainees[1], verdict.trainees[2]
    assert not failed.passed
    assert failed.missing_hours == 0
    assert short.missing_hours == Decimal("0.5")
    assert "0.5" in short.message.zh


def test_filing_before_completion_is_invalid():
    """A filing dated before the completion it reports is a data error."""
    with pytest.raises(ValueError, match="filed_on"):
        cohort(date(2024, 5, 10), date(2024, 5, 9))


def test_filing_days_come_from_the_policy():
    """The 30 days are policy data: a policy saying 15 days moves the due date (rules are data)."""
    base = ce.get_policy("shandong", 2024)
    rules = tuple(
        r.model_copy(update={"days": 15}) if isinstance(r, ce.FilingDeadlineRule) else r
        for r in base.rules
    )
    policy = base.model_copy(update={"rules": rules})
    verdict = check_training_filing(cohort(date(2024, 5, 10), date(2024, 6, 9)), policy=policy)
    assert verdict.deadline.due_on == date(2024, 5, 25)
    assert verdict.deadline.status is DeadlineStatus.LATE


def test_policy_without_filing_rule_raises():
    """The national 2015 rules have no filing deadline: asking for one is a PolicyError."""
    with pytest.raises(ce.PolicyError):
        check_training_filing(
            cohort(date(2024, 5, 10), date(2024, 5, 20)), policy="cn-national-2015"
        )


def test_year_without_policy_raises():
    """A completion in a year with no Shandong policy is PolicyNotFoundError (decision 8)."""
    with pytest.raises(ce.PolicyNotFoundError):
        check_training_filing(cohort(date(2023, 5, 10), date(2023, 5, 20)))


def test_cohort_verdict_round_trips_and_explains():
    """A cohort verdict survives JSON and explains itself in both languages (四(二))."""
    verdict = check_training_filing(cohort(date(2024, 5, 10), date(2024, 6, 10)))
    assert CohortVerdict.model_validate_json(verdict.model_dump_json()) == verdict
    assert "逾期1天" in verdict.explain("zh")
    assert "1 day late" in verdict.explain("en")
    assert "[四(二)]" in verdict.explain("en")


@given(
    completed_on=st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31)),
    delay=st.integers(0, 400),
)
def test_filing_on_time_iff_within_30_days(completed_on, delay):
    """Filing is on time iff it is at most 30 days after completion (四(二), decision 7)."""
    filed = completed_on + timedelta(days=delay)
    deadline = check_training_filing(cohort(completed_on, filed)).deadline
    assert deadline.met == (delay <= 30)
    assert deadline.days_late == max(0, delay - 30)


# --- 五(二): submissions ----------------------------------------------------------------


def test_submission_on_30_april_is_on_time():
    """A notice submitted on 30 April is "by the end of April" (五(二), decision 7)."""
    verdict = check_submission(submission(date(2024, 4, 30)))
    assert verdict.due_on == date(2024, 4, 30)
    assert verdict.status is DeadlineStatus.ON_TIME
    assert verdict.citation.clause == "五(二)"


def test_submission_on_1_may_is_late():
    """A notice submitted on 1 May is one day late (五(二), decision 7)."""
    verdict = check_submission(submission(date(2024, 5, 1)))
    assert verdict.status is DeadlineStatus.LATE
    assert verdict.days_late == 1


def test_unsubmitted_plan_pending_then_overdue():
    """An industry plan not yet submitted is pending on 30 April and overdue on 1 May (五(二))."""
    plan = Submission(
        kind=SubmissionKind.INDUSTRY_PLAN, submitter="山东省卫生健康委员会", year=2024
    )
    assert check_submission(plan, as_of=date(2024, 4, 30)).status is DeadlineStatus.PENDING
    overdue = check_submission(plan, as_of=date(2024, 5, 1))
    assert overdue.status is DeadlineStatus.OVERDUE
    assert overdue.days_late == 1
    assert "专业科目学习方案" in overdue.subject


def test_submission_missing_pdf_is_reported():
    """The notice asks for Word and PDF: a submission without the PDF lists it (五(二))."""
    verdict = check_submission(submission(date(2024, 4, 1), formats=("Word",)))
    assert verdict.status is DeadlineStatus.ON_TIME
    assert verdict.missing_formats == ("pdf",)
    assert "pdf" in verdict.explain("en")


def test_submission_verdict_round_trips():
    """A submission verdict survives JSON (verdicts round-trip)."""
    verdict = check_submission(submission(date(2024, 5, 3)))
    assert DeadlineVerdict.model_validate_json(verdict.model_dump_json()) == verdict


def test_as_of_must_be_a_date():
    """A datetime is not a day: as_of must be a date (no clock, errors are API)."""
    from datetime import datetime

    with pytest.raises(ce.EvaluationInputError):
        check_submission(submission(None), as_of=datetime(2024, 4, 1, 12, 0))


def test_submission_after_as_of_lists_no_missing_formats():
    """Before the day of the submission nothing was submitted, so no format is missing (五(二))."""
    verdict = check_submission(
        submission(date(2024, 4, 20), formats=("word",)), as_of=date(2024, 4, 10)
    )
    assert verdict.status is ce.DeadlineStatus.PENDING
    assert verdict.done_on is None
    assert verdict.missing_formats == ()
    assert "pdf" not in verdict.message.en


def test_deadline_loosened_by_an_overlay_is_reported_in_the_verdict():
    """A filing deadline an overlay declared looser (四(二): 30 -> 45 days) says so."""
    base = ce.get_policy("shandong", 2024)
    rule = base.rule("training_filing_deadline").model_copy(update={"days": 45})
    overlay = base.model_copy(
        update={
            "id": "test-loosen-filing",
            "version": "1.0.0",
            "extends": base.id,
            "applies_to": ce.AppliesTo(city="测试市"),
            "loosens": ("training_filing_deadline",),
            "rules": (rule,),
            "loosenings": (),
        }
    )
    merged = ce.merge_overlay(base, overlay)
    completed = date(2024, 3, 1)
    verdict = check_training_filing(
        cohort(completed, completed + timedelta(days=40)), policy=merged
    ).deadline
    assert verdict.status is DeadlineStatus.ON_TIME
    assert [lo.code for lo in verdict.loosenings] == ["training_filing_deadline"]
    assert "days=30 -> days=45" in verdict.message.en
    assert "放宽" in verdict.message.zh
    assert DeadlineVerdict.model_validate_json(verdict.model_dump_json()) == verdict
    plain = check_training_filing(cohort(completed, completed + timedelta(days=20))).deadline
    assert plain.loosenings == ()
