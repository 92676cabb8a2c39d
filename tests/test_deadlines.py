"""The notice's institutional deadlines: training filings (四(二)) and submissions (五(二)).

Dates are real: the State Council's holiday arrangements of 2023, 2024 and 2025 as the
holiday calendar keeps them (2024: 劳动节 5月1日至5日, 4月28日(日)、5月11日(六)上班; 端午
6月10日; 国庆节 10月1日至7日, 9月29日(日)、10月12日(六)上班).
"""

from __future__ import annotations

import typing
from datetime import date, datetime, timedelta
from decimal import Decimal

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import ce_rules as ce
from ce_rules._deadlines import (
    CIVIL_CODE_ARTICLE_203,
    CohortVerdict,
    DeadlineStatus,
    DeadlineVerdict,
    FilingDocument,
    FilingRecipient,
    HolidayCalendarError,
    Submission,
    SubmissionKind,
    Trainee,
    TrainingCohort,
    TrainingFiling,
    canonical_format,
    check_submission,
    check_training_filing,
    holiday_calendar_years,
)

PASSED = Trainee(id="t1", name="张三", completed_hours=Decimal(80), passed=True)
FAILED = Trainee(id="t2", completed_hours=Decimal(80), passed=False)
SHORT = Trainee(id="t3", completed_hours=Decimal("79.5"), passed=True)

SHANDONG = ce.get_policy("shandong", 2024)
LIST, SUMMARY = FilingDocument.TRAINEE_LIST, FilingDocument.TRAINING_SUMMARY
PROVINCE, CITY = FilingRecipient.PROVINCIAL, FilingRecipient.MUNICIPAL


def cohort(
    completed_on: date, filed_on: date | None = None, filings: tuple[TrainingFiling, ...] = ()
) -> TrainingCohort:
    """A cohort of three trainees of an 80-hour course."""
    return TrainingCohort(
        institution="山东某数字技术工程师培训机构",
        course="人工智能工程技术人员（初级）",
        required_hours=Decimal(80),
        completed_on=completed_on,
        trainees=(PASSED, FAILED, SHORT),
        filed_on=filed_on,
        filings=filings,
    )


def filing(document: FilingDocument, recipient: FilingRecipient, on: date) -> TrainingFiling:
    """One document filed with one authority on one day."""
    return TrainingFiling(document=document, recipient=recipient, filed_on=on)


def submission(
    on: date | None, formats: tuple[str, ...] = ("word", "pdf"), year: int = 2024
) -> Submission:
    """A city's CE notice of ``year`` submitted on ``on``."""
    return Submission(
        kind=SubmissionKind.MUNICIPAL_NOTICE,
        submitter="济南市人力资源和社会保障局",
        year=year,
        submitted_on=on,
        formats=formats,
    )


def shandong(*, years: tuple[int, ...] | None = None, **update: object) -> ce.Policy:
    """The Shandong 2024 policy with both deadline rules updated (and other years, if given)."""
    rules = tuple(
        r.model_copy(update=update)
        if isinstance(r, ce.FilingDeadlineRule | ce.SubmissionDeadlineRule)
        else r
        for r in SHANDONG.rules
    )
    return SHANDONG.model_copy(update={"rules": rules, "years": years or SHANDONG.years})


#: Decision 7 without 《民法典》第二百零三条: the plain count of days.
PLAIN = shandong(extend_past_holidays=False)
#: The narrow reading of 法定休假日: only the days of the official holiday periods.
NARROW = shandong(holidays_include_weekends=False)


# --- 四(二): training filings ----------------------------------------------------------------


def test_filing_on_day_30_is_on_time():
    """Filing 30 days after completion is within the 30 days (四(二), decision 7)."""
    verdict = check_training_filing(cohort(date(2024, 5, 13), date(2024, 6, 12)))
    assert verdict.deadline.due_on == date(2024, 6, 12)  # a Wednesday
    assert verdict.deadline.status is DeadlineStatus.ON_TIME
    assert verdict.deadline.met
    assert verdict.deadline.days_late == 0
    assert verdict.deadline.extension is None
    assert verdict.deadline.citation.clause == "四(二)"


def test_filing_on_day_31_is_one_day_late():
    """Filing 31 days after completion is one day late (四(二), decision 7)."""
    verdict = check_training_filing(cohort(date(2024, 5, 13), date(2024, 6, 13)))
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
    """The period is completion + 30 calendar days, across month ends and leap years (四(二))."""
    on_time = check_training_filing(cohort(completed_on, due_on), policy=PLAIN)
    late = check_training_filing(cohort(completed_on, due_on + timedelta(days=1)), policy=PLAIN)
    assert on_time.deadline.due_on == due_on
    assert on_time.deadline.status is DeadlineStatus.ON_TIME
    assert late.deadline.status is DeadlineStatus.LATE


def test_unfiled_cohort_is_pending_before_the_due_date():
    """An unfiled cohort is pending up to and including the due date (四(二))."""
    verdict = check_training_filing(cohort(date(2024, 1, 31)), as_of=date(2024, 3, 1))
    assert verdict.deadline.status is DeadlineStatus.PENDING
    assert verdict.deadline.days_left == 0
    assert verdict.deadline.missing_filings == ()  # nothing filed: the status says it all


def test_unfiled_cohort_is_overdue_after_the_due_date():
    """An unfiled cohort is overdue the day after the due date, counting days late (四(二))."""
    verdict = check_training_filing(cohort(date(2024, 1, 31)), as_of=date(2024, 3, 5))
    assert verdict.deadline.status is DeadlineStatus.OVERDUE
    assert verdict.deadline.days_late == 4


def test_filing_after_as_of_is_not_yet_filed():
    """A filing dated after as_of was not yet made on as_of: pending (no clock, 四(二))."""
    verdict = check_training_filing(
        cohort(date(2024, 5, 13), date(2024, 6, 1)), as_of=date(2024, 5, 20)
    )
    assert verdict.deadline.status is DeadlineStatus.PENDING
    assert verdict.deadline.done_on is None
    assert verdict.deadline.days_left == 23


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
    with pytest.raises(ValueError, match=r"filings\[0\]\.filed_on"):
        cohort(date(2024, 5, 10), filings=(filing(LIST, PROVINCE, date(2024, 5, 9)),))


def test_filing_days_come_from_the_policy():
    """The 30 days are policy data: a policy saying 15 days moves the due date (rules are data)."""
    rules = tuple(
        r.model_copy(update={"days": 15}) if isinstance(r, ce.FilingDeadlineRule) else r
        for r in SHANDONG.rules
    )
    policy = SHANDONG.model_copy(update={"rules": rules})
    verdict = check_training_filing(cohort(date(2024, 5, 13), date(2024, 6, 12)), policy=policy)
    assert verdict.deadline.due_on == date(2024, 5, 28)
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
    verdict = check_training_filing(cohort(date(2024, 5, 13), date(2024, 6, 13)))
    assert CohortVerdict.model_validate_json(verdict.model_dump_json()) == verdict
    assert "逾期1天" in verdict.explain("zh")
    assert "1 day late" in verdict.explain("en")
    assert "[四(二)]" in verdict.explain("en")


@given(
    completed_on=st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31)),
    delay=st.integers(0, 400),
)
def test_plain_filing_on_time_iff_within_30_days(completed_on, delay):
    """Without the holiday switch, filing is on time iff within 30 days (四(二), decision 7)."""
    filed = completed_on + timedelta(days=delay)
    deadline = check_training_filing(cohort(completed_on, filed), policy=PLAIN).deadline
    assert deadline.met == (delay <= 30)
    assert deadline.days_late == max(0, delay - 30)
    assert deadline.extension is None
    assert not deadline.extend_past_holidays


@given(
    completed_on=st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31)),
    delay=st.integers(0, 60),
)
def test_filing_due_on_the_first_working_day_from_day_30(completed_on, delay):
    """The due day is the first official working day on or after day 30 (民法典第二百零三条)."""
    deadline = check_training_filing(cohort(completed_on, completed_on + timedelta(delay)))
    deadline = deadline.deadline
    day_30 = completed_on + timedelta(days=30)
    assert deadline.original_due_on == day_30
    assert chinese_calendar.is_workday(deadline.due_on)
    passed = [day_30 + timedelta(days=n) for n in range((deadline.due_on - day_30).days)]
    assert not any(chinese_calendar.is_workday(day) for day in passed)
    assert deadline.met == (completed_on + timedelta(delay) <= deadline.due_on)
    if deadline.extension is not None:
        assert deadline.extension.days_passed_over == tuple(passed)


# --- Decision 7: 《民法典》第二百零三条 and the official holiday calendar ---------------------


def test_filing_due_in_national_day_holiday_moves_to_the_next_working_day():
    """Day 30 on 3 October 2024 (国庆节, 10月1日至7日) moves the due day to 8 October."""
    completed = date(2024, 9, 3)
    on_time = check_training_filing(cohort(completed, date(2024, 10, 8))).deadline
    late = check_training_filing(cohort(completed, date(2024, 10, 9))).deadline
    assert on_time.original_due_on == date(2024, 10, 3)
    assert on_time.due_on == date(2024, 10, 8)
    assert on_time.status is DeadlineStatus.ON_TIME
    assert (late.status, late.days_late) == (DeadlineStatus.LATE, 1)
    extension = on_time.extension
    assert extension is not None
    assert extension.days_passed_over == tuple(date(2024, 10, d) for d in range(3, 8))
    assert [h.zh for h in extension.holidays] == ["国庆节"]
    assert [h.en for h in extension.holidays] == ["National Day"]
    assert extension.citation == CIVIL_CODE_ARTICLE_203
    assert extension.decision == 7
    assert extension.weekends_included
    assert extension.calendar.startswith("chinese-calendar ")
    assert "2024-10-03" in on_time.message.zh
    assert "第二百零三条" in on_time.message.zh
    assert "决定7" in on_time.message.zh
    assert "国庆节" in on_time.message.zh
    assert "Civil Code art. 203 (decision 7)" in on_time.message.en
    assert "2024-10-03" in on_time.message.en
    assert "第二百零三条" in on_time.explain("en")
    assert DeadlineVerdict.model_validate_json(on_time.model_dump_json()) == on_time


def test_filing_due_in_national_day_holiday_without_the_switch_is_plain():
    """With extend_past_holidays off, day 30 on 3 October 2024 stays: 8 October is 5 days late."""
    verdict = check_training_filing(cohort(date(2024, 9, 3), date(2024, 10, 8)), policy=PLAIN)
    deadline = verdict.deadline
    assert deadline.due_on == deadline.original_due_on == date(2024, 10, 3)
    assert (deadline.status, deadline.days_late) == (DeadlineStatus.LATE, 5)
    assert deadline.extension is None
    assert "第二百零三条" not in deadline.message.zh


@pytest.mark.parametrize(
    ("completed_on", "day_30", "due_on"),
    [
        (date(2024, 8, 31), date(2024, 9, 30), date(2024, 9, 30)),  # Monday before the holiday
        (date(2024, 9, 1), date(2024, 10, 1), date(2024, 10, 8)),  # first day of the holiday
        (date(2024, 9, 7), date(2024, 10, 7), date(2024, 10, 8)),  # last day of the holiday
        (date(2024, 9, 8), date(2024, 10, 8), date(2024, 10, 8)),  # the day after it
        (date(2024, 8, 30), date(2024, 9, 29), date(2024, 9, 29)),  # Sunday, a working day (调休)
        (date(2024, 9, 12), date(2024, 10, 12), date(2024, 10, 12)),  # Saturday, a working day
        (date(2024, 9, 13), date(2024, 10, 13), date(2024, 10, 14)),  # Sunday, a weekend
        (date(2024, 4, 2), date(2024, 5, 2), date(2024, 5, 6)),  # Thursday, a day off (调休)
        (date(2024, 4, 11), date(2024, 5, 11), date(2024, 5, 11)),  # Saturday, a working day
        (date(2024, 5, 23), date(2024, 6, 22), date(2024, 6, 24)),  # Saturday, a weekend
        (date(2024, 5, 9), date(2024, 6, 8), date(2024, 6, 11)),  # weekend then 端午 (6月10日)
        (date(2024, 12, 2), date(2025, 1, 1), date(2025, 1, 2)),  # 元旦 2025, across the year
        (date(2024, 12, 30), date(2025, 1, 29), date(2025, 2, 5)),  # 春节 2025 (1月28日至2月4日)
    ],
)
def test_due_day_under_the_official_calendar(completed_on, day_30, due_on):
    """Day 30 on a rest day moves to the next working day; an adjusted working day stays."""
    deadline = check_training_filing(cohort(completed_on, due_on)).deadline
    assert deadline.original_due_on == day_30
    assert deadline.due_on == due_on
    assert deadline.met
    assert (deadline.extension is None) == (day_30 == due_on)
    late = check_training_filing(cohort(completed_on, due_on + timedelta(days=1))).deadline
    assert (late.status, late.days_late) == (DeadlineStatus.LATE, 1)


@pytest.mark.parametrize(
    ("completed_on", "due_on"),
    [
        (date(2024, 5, 23), date(2024, 6, 22)),  # Saturday: not a holiday in this reading
        (date(2024, 5, 9), date(2024, 6, 8)),  # Saturday before 端午: stays
        (date(2024, 5, 11), date(2024, 6, 11)),  # 端午 (Monday 6月10日) moves to Tuesday
        (date(2024, 9, 5), date(2024, 10, 8)),  # Saturday inside 国庆节 (10月1日至7日) moves
        (date(2024, 9, 12), date(2024, 10, 12)),  # the adjusted working Saturday stays
    ],
)
def test_narrow_reading_counts_only_the_official_holiday_periods(completed_on, due_on):
    """holidays_include_weekends=false: only the days of an official holiday period extend."""
    deadline = check_training_filing(cohort(completed_on, due_on), policy=NARROW).deadline
    assert deadline.due_on == due_on
    assert deadline.met
    if deadline.extension is not None:
        assert not deadline.extension.weekends_included


def test_weekend_and_holiday_are_both_named():
    """A move past a weekend and then 端午 names both (decision 7)."""
    deadline = check_training_filing(cohort(date(2024, 5, 9), date(2024, 6, 11))).deadline
    assert deadline.extension is not None
    assert [h.en for h in deadline.extension.holidays] == ["weekend", "Dragon Boat Festival"]
    assert "周末" in deadline.message.zh


@pytest.mark.parametrize(
    ("as_of", "status", "days_left", "days_late"),
    [
        (date(2024, 10, 5), DeadlineStatus.PENDING, 3, 0),
        (date(2024, 10, 8), DeadlineStatus.PENDING, 0, 0),
        (date(2024, 10, 9), DeadlineStatus.OVERDUE, 0, 1),
    ],
)
def test_unfiled_cohort_counts_from_the_moved_due_day(as_of, status, days_left, days_late):
    """Pending and overdue count from the due day after the holiday (8 October 2024)."""
    deadline = check_training_filing(cohort(date(2024, 9, 3)), as_of=as_of).deadline
    assert (deadline.status, deadline.days_left, deadline.days_late) == (
        status,
        days_left,
        days_late,
    )


def test_submission_on_30_april_2024_is_a_working_day_either_way():
    """30 April 2024 is a Tuesday and a working day (劳动节 5月1日至5日): nothing moves (五(二))."""
    assert chinese_calendar.is_workday(date(2024, 4, 30))
    assert chinese_calendar.is_workday(date(2024, 4, 28))  # Sunday, 调休上班
    assert not chinese_calendar.is_workday(date(2024, 5, 1))
    for policy in (SHANDONG, PLAIN):
        on_time = check_submission(submission(date(2024, 4, 30)), policy=policy)
        late = check_submission(submission(date(2024, 5, 1)), policy=policy)
        assert on_time.due_on == date(2024, 4, 30)
        assert on_time.extension is None
        assert on_time.met
        assert (late.status, late.days_late) == (DeadlineStatus.LATE, 1)
    assert check_submission(submission(date(2024, 4, 30))).extend_past_holidays
    assert not check_submission(submission(date(2024, 4, 30)), policy=PLAIN).extend_past_holidays


def test_end_of_april_2023_inside_labour_day_moves_to_4_may():
    """In 2023, 30 April fell in 劳动节 (4月29日至5月3日): the deadline moves to 4 May."""
    policy_2023 = shandong(years=(2023,))
    plain_2023 = shandong(years=(2023,), extend_past_holidays=False)
    moved = check_submission(submission(date(2023, 5, 4), year=2023), policy=policy_2023)
    assert moved.original_due_on == date(2023, 4, 30)
    assert moved.due_on == date(2023, 5, 4)
    assert moved.met
    assert moved.extension is not None
    assert [h.zh for h in moved.extension.holidays] == ["劳动节"]
    assert "第二百零三条" in moved.message.zh
    plain = check_submission(submission(date(2023, 5, 4), year=2023), policy=plain_2023)
    assert (plain.due_on, plain.status, plain.days_late) == (
        date(2023, 4, 30),
        DeadlineStatus.LATE,
        4,
    )
    late = check_submission(submission(date(2023, 5, 5), year=2023), policy=policy_2023)
    assert (late.status, late.days_late) == (DeadlineStatus.LATE, 1)


def test_a_year_beyond_the_calendar_is_an_error():
    """A period ending after the calendar's last year raises, naming the year and the range."""
    first, last = holiday_calendar_years()
    assert first <= 2024 < 2025 <= last  # the bundled policy's periods end in 2024 or 2025
    with pytest.raises(HolidayCalendarError) as caught:
        check_training_filing(cohort(date(last, 12, 15), date(last, 12, 20)), policy=SHANDONG)
    error = caught.value
    assert isinstance(error, ce.PolicyError)
    assert (error.year, error.first_year, error.last_year) == (last + 1, first, last)
    assert error.day == date(last + 1, 1, 14)
    assert f"{first}-{last}" in str(error)
    assert str(last + 1) in str(error)
    assert "extend_past_holidays" in str(error)


def test_a_year_beyond_the_calendar_is_an_error_for_submissions_too():
    """The end of April of a year the calendar does not know raises, before or after its range."""
    first, last = holiday_calendar_years()
    for year in (first - 1, last + 1):
        with pytest.raises(HolidayCalendarError) as caught:
            check_submission(submission(date(year, 4, 1), year=year), policy=SHANDONG)
        assert caught.value.year == year


def test_a_year_beyond_the_calendar_counts_plainly_only_when_switched_off():
    """With extend_past_holidays off, no calendar is read: the plain count is the rule's."""
    _, last = holiday_calendar_years()
    deadline = check_training_filing(
        cohort(date(last, 12, 15), date(last + 1, 1, 14)), policy=PLAIN
    ).deadline
    assert deadline.due_on == date(last + 1, 1, 14)
    assert deadline.met
    assert deadline.extension is None


def test_rule_switches_name_the_notice_parts_as_the_enums_do():
    """The rule's documents and recipients are the values of FilingDocument and FilingRecipient."""
    fields = ce.FilingDeadlineRule.model_fields
    document = typing.get_args(typing.get_args(fields["documents"].annotation)[0])
    recipient = typing.get_args(typing.get_args(fields["recipients"].annotation)[0])
    assert set(document) == {d.value for d in FilingDocument}
    assert set(recipient) == {r.value for r in FilingRecipient}
    rule = SHANDONG.rule("training_filing_deadline")
    assert isinstance(rule, ce.FilingDeadlineRule)
    assert rule.extend_past_holidays
    assert rule.holidays_include_weekends
    assert rule.documents == ("trainee_list", "training_summary")
    assert rule.recipients == ("provincial", "municipal")


# --- 四(二): every document with every authority -----------------------------------------------


def all_filings(province: date, city: date) -> tuple[TrainingFiling, ...]:
    """Both documents filed with the province on one day and with the city on another."""
    return (
        filing(LIST, PROVINCE, province),
        filing(SUMMARY, PROVINCE, province),
        filing(LIST, CITY, city),
        filing(SUMMARY, CITY, city),
    )


def test_filed_on_means_everything_filed_that_day():
    """filed_on still means both documents reached both authorities that day (四(二))."""
    deadline = check_training_filing(cohort(date(2024, 5, 13), date(2024, 6, 12))).deadline
    assert deadline.met
    assert deadline.done_on == date(2024, 6, 12)
    assert deadline.missing_filings == ()


def test_every_document_with_every_authority_on_time_is_met():
    """Both documents with the province and the city within 30 days meet 四(二)."""
    filings = all_filings(date(2024, 5, 20), date(2024, 6, 12))
    deadline = check_training_filing(cohort(date(2024, 5, 13), filings=filings)).deadline
    assert deadline.met
    assert deadline.done_on == date(2024, 6, 12)  # the latest filing completes it


def test_the_latest_filing_decides_lateness():
    """The province on time and the city a day late: the filing is one day late (四(二))."""
    filings = all_filings(date(2024, 5, 20), date(2024, 6, 13))
    deadline = check_training_filing(cohort(date(2024, 5, 13), filings=filings)).deadline
    assert (deadline.status, deadline.days_late) == (DeadlineStatus.LATE, 1)
    assert "市人力资源社会保障部门" in deadline.message.zh
    assert "the municipal HRSS bureau, 2024-06-13" in deadline.message.en


def test_a_document_missing_with_the_city_is_not_met():
    """Everything on time but the summary with the city: pending, then overdue, never met."""
    filings = all_filings(date(2024, 5, 20), date(2024, 5, 20))[:3]
    pending = check_training_filing(
        cohort(date(2024, 5, 13), filings=filings), as_of=date(2024, 6, 1)
    ).deadline
    overdue = check_training_filing(
        cohort(date(2024, 5, 13), filings=filings), as_of=date(2024, 6, 13)
    ).deadline
    assert pending.status is DeadlineStatus.PENDING
    assert overdue.status is DeadlineStatus.OVERDUE
    for deadline in (pending, overdue):
        assert not deadline.met
        assert deadline.done_on is None
        assert deadline.missing_filings == ((SUMMARY, CITY),)
        assert "培训情况总结报市人力资源社会保障部门" in deadline.message.zh
        assert "not yet filed: the training summary with the municipal HRSS bureau" in (
            deadline.message.en
        )


def test_a_partial_filing_without_as_of_raises_naming_what_is_missing():
    """Done in part, the answer depends on the day: as_of is required, and the error says why."""
    filings = (filing(LIST, PROVINCE, date(2024, 5, 20)),)
    with pytest.raises(ce.EvaluationInputError, match="the training summary") as caught:
        check_training_filing(cohort(date(2024, 5, 13), filings=filings))
    assert caught.value.field == "as_of"


def test_a_filing_after_as_of_is_not_yet_made():
    """The city's filings dated after as_of were not made yet then: pending, naming them."""
    filings = all_filings(date(2024, 5, 20), date(2024, 6, 5))
    deadline = check_training_filing(
        cohort(date(2024, 5, 13), filings=filings), as_of=date(2024, 6, 1)
    ).deadline
    assert deadline.status is DeadlineStatus.PENDING
    assert deadline.missing_filings == ((LIST, CITY), (SUMMARY, CITY))


def test_filings_are_given_once_and_not_twice():
    """filed_on with filings, or a document filed twice with one authority, is an error."""
    with pytest.raises(ValidationError, match="not both"):
        cohort(date(2024, 5, 13), date(2024, 5, 20), (filing(LIST, CITY, date(2024, 5, 20)),))
    twice = (filing(LIST, CITY, date(2024, 5, 20)), filing(LIST, CITY, date(2024, 5, 21)))
    with pytest.raises(ValidationError, match="twice"):
        cohort(date(2024, 5, 13), filings=twice)


def test_a_rule_without_documents_takes_filed_on_only():
    """A filing_deadline rule naming no documents is one act: filed_on, not filings."""
    policy = shandong(documents=(), recipients=())
    assert check_training_filing(cohort(date(2024, 5, 13), date(2024, 6, 12)), policy=policy)
    with pytest.raises(ce.EvaluationInputError) as caught:
        check_training_filing(
            cohort(date(2024, 5, 13), filings=(filing(LIST, CITY, date(2024, 5, 20)),)),
            policy=policy,
        )
    assert caught.value.field == "filings"


@pytest.mark.parametrize(
    "update",
    [
        {"documents": ["trainee_list"]},  # documents without recipients
        {"documents": ["trainee_list", "trainee_list"], "recipients": ["provincial"]},
        {"documents": ["certificate"], "recipients": ["provincial"]},
    ],
)
def test_filing_rule_documents_and_recipients_are_checked(update):
    """A filing rule names known documents and recipients, each once, and both or neither."""
    data = SHANDONG.rule("training_filing_deadline").model_dump(mode="json")
    data.update({"documents": [], "recipients": []} | update)
    with pytest.raises(ValidationError):
        ce.FilingDeadlineRule.model_validate(data)


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


def test_both_formats_on_time_meet_the_obligation():
    """Word and PDF by 30 April meet 五(二), however the formats are spelled."""
    verdict = check_submission(submission(date(2024, 4, 29), formats=("Word", "PDF")))
    assert verdict.met
    assert verdict.missing_formats == ()
    assert check_submission(submission(date(2024, 4, 29), formats=("DOCX", ".pdf"))).met


def test_pdf_only_on_time_does_not_meet_the_obligation():
    """PDF alone on 1 April is not the Word and PDF 五(二) asks for: not met, naming Word."""
    pdf_only = submission(date(2024, 4, 1), formats=("PDF",))
    pending = check_submission(pdf_only, as_of=date(2024, 4, 30))
    overdue = check_submission(pdf_only, as_of=date(2024, 5, 1))
    assert (pending.status, pending.days_left) == (DeadlineStatus.PENDING, 0)
    assert (overdue.status, overdue.days_late) == (DeadlineStatus.OVERDUE, 1)
    for verdict in (pending, overdue):
        assert not verdict.met
        assert verdict.done_on is None
        assert verdict.missing_formats == ("word",)
        assert "缺少Word版" in verdict.explain("zh")
        assert "missing formats: Word" in verdict.explain("en")
    with pytest.raises(ce.EvaluationInputError, match="Word") as caught:
        check_submission(pdf_only)
    assert caught.value.field == "as_of"


def test_submission_with_no_format_recorded_lacks_both():
    """A submission recorded without formats lacks Word and PDF: not met (五(二))."""
    verdict = check_submission(submission(date(2024, 4, 1), formats=()), as_of=date(2024, 5, 6))
    assert verdict.status is DeadlineStatus.OVERDUE
    assert verdict.missing_formats == ("word", "pdf")


def test_complete_late_submission_is_late():
    """Word and PDF on 6 May are complete, five days late (五(二))."""
    verdict = check_submission(submission(date(2024, 5, 6), formats=("doc", "pdf")))
    assert (verdict.status, verdict.days_late) == (DeadlineStatus.LATE, 6)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("word", "word"),
        ("Word", "word"),
        ("WORD", "word"),
        ("doc", "word"),
        ("docx", "word"),
        (".DOCX", "word"),
        (" Word版 ", "word"),
        ("pdf", "pdf"),
        ("PDF", "pdf"),
        (".pdf", "pdf"),
        ("PDF版", "pdf"),
        ("OFD", "ofd"),
    ],
)
def test_format_spellings(name, canonical):
    """Word, docx and doc are Word; PDF is PDF; case, spaces and a leading dot do not matter."""
    assert canonical_format(name) == canonical


def test_submission_verdict_round_trips():
    """A submission verdict survives JSON (verdicts round-trip)."""
    verdict = check_submission(submission(date(2024, 5, 3)))
    assert DeadlineVerdict.model_validate_json(verdict.model_dump_json()) == verdict


def test_as_of_must_be_a_date():
    """A datetime is not a day: as_of must be a date (no clock, errors are API)."""
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
    assert "missing" not in verdict.message.en


def test_deadline_loosened_by_an_overlay_is_reported_in_the_verdict():
    """A filing deadline an overlay declared looser (四(二): 30 -> 45 days) says so."""
    rule = SHANDONG.rule("training_filing_deadline").model_copy(update={"days": 45})
    overlay = SHANDONG.model_copy(
        update={
            "id": "test-loosen-filing",
            "version": "1.0.0",
            "extends": SHANDONG.id,
            "applies_to": ce.AppliesTo(city="测试市"),
            "loosens": ("training_filing_deadline",),
            "rules": (rule,),
            "loosenings": (),
        }
    )
    merged = ce.merge_overlay(SHANDONG, overlay)
    completed = date(2024, 3, 1)
    verdict = check_training_filing(
        cohort(completed, completed + timedelta(days=40)), policy=merged
    ).deadline
    assert verdict.status is DeadlineStatus.ON_TIME
    assert [lo.code for lo in verdict.loosenings] == ["training_filing_deadline"]
    assert "days=30" in verdict.message.en
    assert "-> days=45" in verdict.message.en
    assert "放宽" in verdict.message.zh
    assert DeadlineVerdict.model_validate_json(verdict.model_dump_json()) == verdict
    plain = check_training_filing(cohort(completed, completed + timedelta(days=20))).deadline
    assert plain.loosenings == ()
