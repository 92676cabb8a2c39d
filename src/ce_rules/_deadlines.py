"""The institutional deadlines of the notice: training filings (四(二)) and submissions (五(二)).

Clause 四(二): a digital-technology-engineer training institution files the trainee list
and a training summary with the provincial and municipal authorities "within 30 days
after completion" (培训结业30日内将培训学员名单和培训情况总结报省、市人力资源社会保障部门备案).
Clause 五(二): municipal continuing-education notices and provincial industry
authorities' professional-subject plans are submitted, in Word and PDF, "by the end of
April" (4月底前将Word版和PDF版报送至我厅). The numbers, documents, recipients and formats
come from the policy file (``filing_deadline`` and ``submission_deadline`` rules), never
from code. No clock: the caller passes ``as_of``.

Domain decision 7 reads both deadlines inclusively (the filing date is at most
completion + 30 calendar days; a submission on 30 April is on time) and, where the
rule's ``extend_past_holidays`` is set, moves a period whose last day is a statutory
rest day to the day after the rest days end (《民法典》第二百零三条: "期间的最后一日是法定休假日的，
以法定休假日结束的次日为期间的最后一日"). The rest days are read from the official holiday
calendar with its adjusted working days (调休), as published each year by the General
Office of the State Council and kept by the ``chinese-calendar`` package; weekends count
as rest days unless the rule's ``holidays_include_weekends`` is false (the reading of
decision 7, see docs/deadlines.md). A day outside the years the calendar knows raises
``HolidayCalendarError``: a deadline is never counted plainly in silence.

An obligation is met only when it is complete: every document filed with every
recipient (四(二)), every format submitted (五(二)); the latest day decides lateness.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Final, NamedTuple, TypeVar

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, Field, model_validator

from ._engine import DEFAULT_REGION, check_as_of, resolve_policy
from ._exceptions import EvaluationInputError, PolicyError
from ._model import FROZEN, Text
from ._policy import (
    Citation,
    FilingDeadlineRule,
    Loosening,
    Message,
    Policy,
    SubmissionDeadlineRule,
)
from ._verdict import format_hours
from .kinds.submission_deadline import FORMAT_LABELS as _FORMAT_LABELS
from .kinds.submission_deadline import canonical_format

__all__ = [
    "CIVIL_CODE_ARTICLE_203",
    "CohortVerdict",
    "DeadlineStatus",
    "DeadlineVerdict",
    "FilingDocument",
    "FilingRecipient",
    "HolidayCalendarError",
    "HolidayExtension",
    "Submission",
    "SubmissionKind",
    "Trainee",
    "TraineeDecision",
    "TrainingCohort",
    "TrainingFiling",
    "canonical_format",
    "check_submission",
    "check_training_filing",
    "holiday_calendar_years",
]

_Year = Annotated[int, Field(ge=1990, le=2100)]
_CompletedHours = Annotated[Decimal, Field(ge=0, le=10000, allow_inf_nan=False, decimal_places=2)]
_RuleT = TypeVar("_RuleT", FilingDeadlineRule, SubmissionDeadlineRule)

#: The law decision 7 applies to the last day of a period (in force 2021-01-01).
CIVIL_CODE_ARTICLE_203: Final = Citation(
    document="《中华人民共和国民法典》",
    clause="第二百零三条",
    quote="期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日",
)
#: The domain decision that reads deadlines (docs/deadlines.md, "Holidays").
_DECISION: Final = 7


class DeadlineStatus(enum.StrEnum):
    """Where a deadline of 四(二) or 五(二) stands: on time, late, pending or overdue.

    The status is the whole obligation's: ``on_time`` and ``late`` only once it is
    complete (every document with every recipient, every format); an obligation done in
    part is ``pending`` or ``overdue``, and the verdict lists what is missing.
    """

    ON_TIME = "on_time"
    LATE = "late"
    PENDING = "pending"
    OVERDUE = "overdue"

    @property
    def label(self) -> Message:
        """The status in Chinese and English."""
        return _STATUS_TEXT[self]


_STATUS_TEXT: Final = {
    DeadlineStatus.ON_TIME: Message(zh="按时完成", en="on time"),
    DeadlineStatus.LATE: Message(zh="逾期完成", en="late"),
    DeadlineStatus.PENDING: Message(zh="尚未完成，未到期", en="pending, not yet due"),
    DeadlineStatus.OVERDUE: Message(zh="尚未完成，已逾期", en="overdue"),
}


class FilingDocument(enum.StrEnum):
    """A document a training institution files under 四(二) (培训学员名单和培训情况总结)."""

    TRAINEE_LIST = "trainee_list"
    TRAINING_SUMMARY = "training_summary"

    @property
    def label(self) -> Message:
        """The document's name in Chinese and English."""
        return _FILING_TEXT[self]


class FilingRecipient(enum.StrEnum):
    """An authority a 四(二) filing goes to (报省、市人力资源社会保障部门备案)."""

    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"

    @property
    def label(self) -> Message:
        """The authority's name in Chinese and English."""
        return _FILING_TEXT[self]


_FILING_TEXT: Final[Mapping[enum.StrEnum, Message]] = {
    FilingDocument.TRAINEE_LIST: Message(zh="培训学员名单", en="the trainee list"),
    FilingDocument.TRAINING_SUMMARY: Message(zh="培训情况总结", en="the training summary"),
    FilingRecipient.PROVINCIAL: Message(
        zh="省人力资源社会保障部门", en="the provincial HRSS department"
    ),
    FilingRecipient.MUNICIPAL: Message(zh="市人力资源社会保障部门", en="the municipal HRSS bureau"),
}


def _label(fmt: str) -> str:
    """A canonical format's name for people: ``Word``, ``PDF``, or the name itself."""
    return _FORMAT_LABELS.get(fmt, fmt)


# --- The holiday calendar (decision 7, 《民法典》第二百零三条) ----------------------------------


class HolidayCalendarError(PolicyError, LookupError):
    """A deadline falls in a year the holiday calendar does not know (decision 7).

    ce-rules never counts such a deadline plainly in silence: upgrade ``chinese-calendar``
    once the State Council has published that year's holiday arrangement, or judge with a
    rule whose ``extend_past_holidays`` is false.
    """

    def __init__(self, code: str, day: date, first_year: int, last_year: int, version: str) -> None:
        self.code = code
        self.day = day
        self.year = day.year
        self.first_year = first_year
        self.last_year = last_year
        self.calendar_version = version
        super().__init__(
            f"{code}: whether {day.isoformat()} is a statutory rest day decides the period's "
            f"last day, but the holiday calendar (chinese-calendar {version}) knows only the "
            f"years {first_year}-{last_year}, not {day.year}: 《民法典》第二百零三条 (decision 7, "
            "extend_past_holidays) cannot be applied. Upgrade chinese-calendar once that "
            "year's holiday arrangement is published, or use a rule with "
            "extend_past_holidays = false"
        )


class _Calendar(NamedTuple):
    """The official holiday arrangements, as the installed ``chinese-calendar`` keeps them."""

    version: str
    first_year: int
    last_year: int
    #: Every day of an official holiday period (放假), weekend days inside it included.
    holidays: Mapping[date, str]
    #: Every adjusted working day (调休上班): a weekend day declared a working day.
    workdays: Mapping[date, str]
    #: A holiday's English name (the calendar's key) to its name in both languages.
    names: Mapping[str, Message]


_WEEKEND: Final = Message(zh="周末", en="weekend")


@functools.cache
def _calendar() -> _Calendar:
    # Imported on first use: its data takes about 10 ms to import, which a run that
    # judges no deadline (the command line) should not pay. Read-only once built.
    try:
        import chinese_calendar  # type: ignore[import-untyped]  # ships no type information
    except ImportError as error:  # pragma: no cover - a broken install
        raise PolicyError(
            "extend_past_holidays needs the chinese-calendar package (a dependency of "
            "ce-rules): pip install chinese-calendar"
        ) from error
    holidays: dict[date, str] = dict(chinese_calendar.holidays)
    workdays: dict[date, str] = dict(chinese_calendar.workdays)
    names = {
        str(h.value): Message(zh=str(h.chinese), en=str(h.value)) for h in chinese_calendar.Holiday
    }
    return _Calendar(
        version=str(chinese_calendar.__version__),
        first_year=min(holidays).year,
        last_year=max(holidays).year,
        holidays=holidays,
        workdays=workdays,
        names=names,
    )


def holiday_calendar_years() -> tuple[int, int]:
    """The first and last year the installed holiday calendar knows (decision 7)."""
    calendar = _calendar()
    return calendar.first_year, calendar.last_year


def _is_rest_day(day: date, calendar: _Calendar, weekends: bool) -> bool:
    """Whether ``day`` is a statutory rest day (法定休假日) in the reading taken."""
    if day in calendar.workdays:
        return False  # 调休上班: a weekend day declared a working day
    if day in calendar.holidays:
        return True  # a day of an official holiday period, 调休 days off included
    return weekends and day.weekday() >= 5


class HolidayExtension(BaseModel):
    """How 《民法典》第二百零三条 moved a deadline past statutory rest days (decision 7).

    Attributes:
        original_due_on: The period's last day as counted (四(二): completion + 30
            days; 五(二): 30 April), a statutory rest day.
        due_on: The day after the rest days end: the period's last day.
        days_passed_over: The rest days passed over, in order, from ``original_due_on``.
        holidays: What those days are, each once, in order: a holiday (国庆节, National
            Day) or a weekend (周末).
        weekends_included: The reading taken: whether weekends count as statutory rest
            days (the rule's ``holidays_include_weekends``).
        citation: 《民法典》第二百零三条.
        decision: The domain decision that applies it (7).
        calendar: The holiday calendar read, e.g. ``chinese-calendar 1.11.0``.
        message: The move in Chinese and English.
    """

    model_config = FROZEN

    original_due_on: date
    due_on: date
    days_passed_over: tuple[date, ...]
    holidays: tuple[Message, ...]
    weekends_included: bool
    citation: Citation
    decision: int
    calendar: str
    message: Message


def _span(days: tuple[date, ...], joiner: str) -> str:
    first, last = days[0], days[-1]
    return first.isoformat() if first == last else f"{first.isoformat()}{joiner}{last.isoformat()}"


def _extend(
    code: str, due_on: date, *, extend: bool, weekends: bool
) -> tuple[date, HolidayExtension | None]:
    """The period's last day after 《民法典》第二百零三条, and how it moved (decision 7)."""
    if not extend:
        return due_on, None
    calendar = _calendar()
    day = due_on
    passed: list[date] = []
    while True:
        if not calendar.first_year <= day.year <= calendar.last_year:
            raise HolidayCalendarError(
                code, day, calendar.first_year, calendar.last_year, calendar.version
            )
        if not _is_rest_day(day, calendar, weekends):
            break
        passed.append(day)
        day += timedelta(days=1)
    if not passed:
        return due_on, None
    days = tuple(passed)
    names = tuple(
        dict.fromkeys(
            calendar.names.get(name, Message(zh=name, en=name))
            if (name := calendar.holidays.get(d)) is not None
            else _WEEKEND
            for d in days
        )
    )
    zh_names = "、".join(n.zh for n in names)
    en_names = ", ".join(n.en for n in names)
    message = Message(
        zh=f"期间最后一日{due_on}为法定休假日（{_span(days, '至')}，{zh_names}），"
        f"依《民法典》第二百零三条（决定{_DECISION}）以休假日结束的次日{day}为期间的最后一日",
        en=f"the period's last day, {due_on}, is a statutory rest day ({_span(days, ' to ')}: "
        f"{en_names}); under Civil Code art. 203 (decision {_DECISION}) the period ends on "
        f"the day after the rest days, {day}",
    )
    return day, HolidayExtension(
        original_due_on=due_on,
        due_on=day,
        days_passed_over=days,
        holidays=names,
        weekends_included=weekends,
        citation=CIVIL_CODE_ARTICLE_203,
        decision=_DECISION,
        calendar=f"chinese-calendar {calendar.version}",
        message=message,
    )


# --- Inputs ---------------------------------------------------------------------------------


class Trainee(BaseModel):
    """A trainee of a digital-technology-engineer course (四(二)).

    Attributes:
        id: The trainee's identifier.
        name: The trainee's name, for display only.
        completed_hours: The hours of the course the trainee completed.
        passed: Whether the trainee passed the completion assessment (结业考核).
    """

    model_config = FROZEN

    id: Text
    name: Text | None = None
    completed_hours: _CompletedHours
    passed: bool


class TrainingFiling(BaseModel):
    """One document filed with one authority, on one day (四(二)).

    Attributes:
        document: The trainee list or the training summary.
        recipient: The provincial or the municipal authority.
        filed_on: The day it was filed (备案).
    """

    model_config = FROZEN

    document: FilingDocument
    recipient: FilingRecipient
    filed_on: date


class TrainingCohort(BaseModel):
    """One completed course of a training institution, to be filed (四(二)).

    Give ``filed_on`` when everything was filed on one day, or ``filings`` with one
    ``TrainingFiling`` per document and authority, each with its own day; not both.

    Attributes:
        institution: The training institution (培训机构).
        course: The course or training speciality.
        required_hours: The hours the course requires (规定学时).
        completed_on: The day the course was completed (结业).
        trainees: The trainees, each with completed hours and assessment result.
        filed_on: The day every document was filed with every authority, if it was.
        filings: The documents filed, one per document and authority, each with its day.
    """

    model_config = FROZEN

    institution: Text
    course: Text
    required_hours: Annotated[Decimal, Field(gt=0, le=10000, allow_inf_nan=False)]
    completed_on: date
    trainees: tuple[Trainee, ...] = ()
    filed_on: date | None = None
    filings: tuple[TrainingFiling, ...] = ()

    @model_validator(mode="after")
    def _coherent(self) -> TrainingCohort:
        if self.filed_on is not None and self.filings:
            raise ValueError("filed_on and filings: give one or the other, not both")
        days = [("filed_on", self.filed_on)] if self.filed_on is not None else []
        days += [(f"filings[{i}].filed_on", f.filed_on) for i, f in enumerate(self.filings)]
        for field, day in days:
            if day is not None and day < self.completed_on:
                raise ValueError(f"{field}: {day} is before the completion on {self.completed_on}")
        parts = [(f.document, f.recipient) for f in self.filings]
        for part in parts:
            if parts.count(part) > 1:
                raise ValueError(
                    f"filings: {part[0].value} filed with the {part[1].value} authority twice; "
                    "record the first filing only"
                )
        ids = [t.id for t in self.trainees]
        if len(set(ids)) != len(ids):
            raise ValueError("trainees: a trainee id appears twice")
        return self


class SubmissionKind(enum.StrEnum):
    """What is submitted under 五(二): a city's CE notice or an industry's subject plan."""

    MUNICIPAL_NOTICE = "municipal_notice"
    INDUSTRY_PLAN = "industry_plan"

    @property
    def label(self) -> str:
        """The Chinese name of the document."""
        return {
            SubmissionKind.MUNICIPAL_NOTICE: "继续教育工作的通知",
            SubmissionKind.INDUSTRY_PLAN: "专业科目学习方案",
        }[self]


class Submission(BaseModel):
    """A document due with the provincial department by the end of April (五(二)).

    Attributes:
        kind: A municipal notice or an industry plan.
        submitter: The city bureau or the provincial industry authority.
        year: The year the document is for (the deadline is in that year).
        submitted_on: The day it was submitted, if it was; if a format followed later,
            the day the last required format arrived.
        formats: The formats submitted, e.g. ``("Word", "PDF")``; spellings as
            ``canonical_format`` reads them.
    """

    model_config = FROZEN

    kind: SubmissionKind
    submitter: Text
    year: _Year
    submitted_on: date | None = None
    formats: tuple[Text, ...] = ()


# --- Verdicts -------------------------------------------------------------------------------


class TraineeDecision(BaseModel):
    """Whether a trainee may receive the training certificate (培训合格证书, 四(二)).

    Attributes:
        trainee_id: The trainee.
        eligible: Completed the required hours and passed the assessment.
        completed_hours: The hours completed.
        missing_hours: Hours still short of the requirement; 0 if none.
        passed: Whether the assessment was passed.
        message: The decision in Chinese and English.
    """

    model_config = FROZEN

    trainee_id: str
    eligible: bool
    completed_hours: Decimal
    missing_hours: Decimal
    passed: bool
    message: Message


class DeadlineVerdict(BaseModel):
    """How a deadline of 四(二) or 五(二) stands: due date, status, days late, and its rule.

    Attributes:
        code: The deadline rule's code.
        subject: What was due (e.g. the institution and course, or the submitter).
        policy_id: The policy applied.
        policy_version: Its version.
        due_on: The last day allowed (inclusive), after any holiday extension.
        done_on: The day the obligation was complete (its last part done), if it was by
            ``as_of``.
        as_of: The day the verdict speaks for, if given.
        status: On time, late, pending or overdue; on time or late only when complete.
        days_late: Days after ``due_on`` (done late, or overdue as of ``as_of``); else 0.
        days_left: Days until ``due_on`` while pending; else 0.
        missing_formats: Formats required but not submitted (五(二): Word and PDF), by
            canonical name; listed once something was submitted.
        missing_filings: Documents not yet filed with an authority (四(二)), as
            ``(document, recipient)`` pairs; listed once something was filed.
        extend_past_holidays: Whether the rule applies 《民法典》第二百零三条 (decision 7).
        extension: How the deadline moved past statutory rest days, if it did.
        citation: The clause.
        message: The outcome in Chinese and English.
        loosenings: How a local overlay explicitly loosened this deadline's rule, if it
            did (二(二), 三(二)); the message says so too.
    """

    model_config = FROZEN

    code: str
    subject: str
    policy_id: str
    policy_version: str
    due_on: date
    done_on: date | None
    as_of: date | None
    status: DeadlineStatus
    days_late: int
    days_left: int
    missing_formats: tuple[str, ...] = ()
    missing_filings: tuple[tuple[FilingDocument, FilingRecipient], ...] = ()
    extend_past_holidays: bool = False
    extension: HolidayExtension | None = None
    citation: Citation
    message: Message
    loosenings: tuple[Loosening, ...] = ()

    @property
    def met(self) -> bool:
        """Whether the obligation was met: complete, and done on time."""
        return self.status is DeadlineStatus.ON_TIME

    @property
    def original_due_on(self) -> date:
        """The period's last day as counted, before any holiday extension (decision 7)."""
        return self.extension.original_due_on if self.extension is not None else self.due_on

    def explain(self, lang: str = "zh") -> str:
        """A one-line explanation, in Chinese (``"zh"``) or English (``"en"``)."""
        basis = self.citation.clause
        if self.extension is not None:
            basis += f"; {self.extension.citation.document}{self.extension.citation.clause}"
        return f"{self.message.in_(lang)} [{basis}]"


class CohortVerdict(BaseModel):
    """A training cohort's filing deadline and its trainees' certificates (四(二)).

    Attributes:
        deadline: The filing deadline's verdict.
        trainees: One decision per trainee, in input order.
    """

    model_config = FROZEN

    deadline: DeadlineVerdict
    trainees: tuple[TraineeDecision, ...]

    @property
    def eligible_trainees(self) -> tuple[str, ...]:
        """The ids of the trainees eligible for the training certificate."""
        return tuple(t.trainee_id for t in self.trainees if t.eligible)

    def explain(self, lang: str = "zh") -> str:
        """An explanation in Chinese (``"zh"``) or English (``"en"``)."""
        lines = [self.deadline.explain(lang)]
        lines.extend(f"- {t.trainee_id}: {t.message.in_(lang)}" for t in self.trainees)
        return "\n".join(lines)


# --- Judging --------------------------------------------------------------------------------


def _rule(policy: Policy, kind: type[_RuleT]) -> _RuleT:
    for rule in policy.rules:
        if isinstance(rule, kind):
            return rule
    raise PolicyError(f"policy {policy.id} has no {kind.__name__} rule")


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


class _Parts(NamedTuple):
    """What an obligation's parts say as of the verdict's day."""

    #: The day the last part was done, if every part was done by ``as_of``.
    done_on: date | None
    #: The parts not done by ``as_of``, in order.
    missing: tuple[str, ...]
    #: Whether any part was done by ``as_of``.
    started: bool
    #: The people's names of the parts done last, when parts were done on different days.
    last: Message | None


def _parts(
    days: Mapping[str, date | None], labels: Mapping[str, Message], as_of: date | None
) -> _Parts:
    """Judge parts done on their own days: complete only when each is done by ``as_of``."""
    done = {
        part: day
        for part, day in days.items()
        # A part done after the verdict's day was not done yet then.
        if day is not None and (as_of is None or day <= as_of)
    }
    if len(done) < len(days):
        missing = tuple(part for part in days if part not in done)
        return _Parts(None, missing, bool(done), None)
    done_on = max(done.values())
    last = None
    if len(set(done.values())) > 1:
        latest = [labels[part] for part, day in done.items() if day == done_on]
        last = Message(zh="、".join(m.zh for m in latest), en="; ".join(m.en for m in latest))
    return _Parts(done_on, (), True, last)


def _judge(
    *,
    subject: str,
    policy: Policy,
    rule: FilingDeadlineRule | SubmissionDeadlineRule,
    period_end: date,
    parts: _Parts,
    as_of: date | None,
    missing_zh: str = "",
    missing_en: str = "",
    missing_formats: tuple[str, ...] = (),
    missing_filings: tuple[tuple[FilingDocument, FilingRecipient], ...] = (),
) -> DeadlineVerdict:
    done_on = parts.done_on
    if done_on is None and as_of is None:
        raise EvaluationInputError(
            "as_of",
            as_of,
            "is needed to judge a deadline that has not been met yet"
            + (f" ({missing_en})" if missing_en else ""),
        )
    code = rule.code
    due_on, extension = _extend(
        code,
        period_end,
        extend=rule.extend_past_holidays,
        weekends=rule.holidays_include_weekends,
    )
    days_late = days_left = 0
    if done_on is not None:
        days_late = max(0, (done_on - due_on).days)
        status = DeadlineStatus.LATE if days_late else DeadlineStatus.ON_TIME
    elif as_of is not None and as_of > due_on:
        status = DeadlineStatus.OVERDUE
        days_late = (as_of - due_on).days
    else:
        status = DeadlineStatus.PENDING
        days_left = (due_on - as_of).days if as_of is not None else 0
    state = status.label
    detail_zh = {
        DeadlineStatus.ON_TIME: f"{done_on}完成",
        DeadlineStatus.LATE: f"{done_on}完成，逾期{days_late}天",
        DeadlineStatus.OVERDUE: f"截至{as_of}已逾期{days_late}天",
        DeadlineStatus.PENDING: f"截至{as_of}还剩{days_left}天",
    }[status]
    detail_en = {
        DeadlineStatus.ON_TIME: f"done on {done_on}",
        DeadlineStatus.LATE: f"done on {done_on}, {_days(days_late)} late",
        DeadlineStatus.OVERDUE: f"{_days(days_late)} overdue as of {as_of}",
        DeadlineStatus.PENDING: f"{_days(days_left)} left as of {as_of}",
    }[status]
    what = rule.message
    zh = f"{subject}：{what.zh}，截止{due_on}；{state.zh}（{detail_zh}）"
    en = f"{subject}: {what.en}, due {due_on}; {state.en} ({detail_en})"
    if parts.last is not None:
        zh += f"；以最后报送的（{parts.last.zh}，{done_on}）为准"
        en += f"; the last part done ({parts.last.en}, {done_on}) decides"
    if missing_zh:
        zh += f"；{missing_zh}"
        en += f"; {missing_en}"
    if extension is not None:
        zh += f"；{extension.message.zh}"
        en += f"; {extension.message.en}"
    # A deadline an overlay declared looser is never judged without saying so.
    loosenings = tuple(lo for lo in policy.loosenings if lo.code == code)
    for lo in loosenings:
        zh += f"；本地政策{lo.overlay_id}放宽了此规定（{lo.base} -> {lo.overlay}）"
        en += f"; loosened by the local policy {lo.overlay_id} ({lo.base} -> {lo.overlay})"
    return DeadlineVerdict(
        code=code,
        subject=subject,
        policy_id=policy.id,
        policy_version=policy.version,
        due_on=due_on,
        done_on=done_on,
        as_of=as_of,
        status=status,
        days_late=days_late,
        days_left=days_left,
        missing_formats=missing_formats,
        missing_filings=missing_filings,
        extend_past_holidays=rule.extend_past_holidays,
        extension=extension,
        citation=rule.citation,
        message=Message(zh=zh, en=en),
        loosenings=loosenings,
    )


def _trainee(trainee: Trainee, required: Decimal) -> TraineeDecision:
    missing = max(Decimal(0), required - trainee.completed_hours)
    eligible = missing == 0 and trainee.passed
    if eligible:
        message = Message(zh="可颁发培训合格证书", en="eligible for the training certificate")
    else:
        why_zh, why_en = [], []
        if missing:
            why_zh.append(f"尚差{format_hours(missing)}学时")
            why_en.append(f"{format_hours(missing)} hours short")
        if not trainee.passed:
            why_zh.append("结业考核未通过")
            why_en.append("did not pass the completion assessment")
        message = Message(
            zh="不能颁发培训合格证书：" + "，".join(why_zh),
            en="not eligible for the training certificate: " + "; ".join(why_en),
        )
    return TraineeDecision(
        trainee_id=trainee.id,
        eligible=eligible,
        completed_hours=trainee.completed_hours,
        missing_hours=missing,
        passed=trainee.passed,
        message=message,
    )


_Part = tuple[FilingDocument, FilingRecipient]
_WHOLE_FILING: Final = "filing"


def _part_key(part: _Part) -> str:
    return f"{part[0].value}@{part[1].value}"


def _part_label(part: _Part) -> Message:
    document, recipient = part[0].label, part[1].label
    return Message(zh=f"{document.zh}报{recipient.zh}", en=f"{document.en} with {recipient.en}")


def check_training_filing(
    cohort: TrainingCohort,
    *,
    policy: Policy | str | None = None,
    as_of: date | None = None,
) -> CohortVerdict:
    """Judge a training cohort's filing deadline and its trainees' certificates (四(二)).

    The filing is due ``days`` calendar days (30 under the 2024 notice) after the
    completion day, inclusive (decision 7): completion on 2024-01-31 is due 2024-03-01.
    A last day on a statutory rest day moves to the day after the rest days when the
    rule's ``extend_past_holidays`` is set (《民法典》第二百零三条, decision 7): completion
    on 2024-09-03 is due 2024-10-08, after the National Day holiday. The filing is
    complete when every document of the rule (the trainee list and the training
    summary) reached every recipient (the provincial and the municipal authority); the
    last of those days decides lateness. A trainee is eligible for the training
    certificate (培训合格证书) who completed the required hours and passed the assessment.

    Args:
        cohort: The completed course, its trainees and its filings.
        policy: A ``Policy`` or id; by default the Shandong policy of the completion year.
        as_of: The day the verdict speaks for; needed while the filing is not complete.

    Returns:
        A frozen ``CohortVerdict``.

    Raises:
        PolicyNotFoundError: No policy governs the completion year and none was given.
        PolicyError: The policy has no ``filing_deadline`` rule.
        HolidayCalendarError: The period ends in a year the holiday calendar does not
            know, and the rule extends past holidays.
        EvaluationInputError: ``as_of`` is missing or of the wrong type, or ``filings``
            are given for a rule that names no documents and recipients.
    """
    as_of = check_as_of(as_of)
    rules = resolve_policy(policy, cohort.completed_on.year, DEFAULT_REGION, allow_other_year=True)
    rule = _rule(rules, FilingDeadlineRule)
    required: tuple[_Part, ...] = tuple(
        (FilingDocument(document), FilingRecipient(recipient))
        for document in rule.documents
        for recipient in rule.recipients
    )
    if not required:
        if cohort.filings:
            raise EvaluationInputError(
                "filings",
                cohort.filings,
                f"the rule {rule.code} of {rules.id} names no documents and recipients: "
                "give filed_on",
            )
        parts = _parts({_WHOLE_FILING: cohort.filed_on}, {}, as_of)
        missing: tuple[_Part, ...] = ()
    else:
        filed: dict[_Part, date] = {(f.document, f.recipient): f.filed_on for f in cohort.filings}
        days = {
            _part_key(part): cohort.filed_on if cohort.filed_on is not None else filed.get(part)
            for part in required
        }
        labels = {_part_key(part): _part_label(part) for part in required}
        parts = _parts(days, labels, as_of)
        # Before anything is filed the status says it all; once a part is, the rest is named.
        missing = (
            tuple(part for part in required if _part_key(part) in parts.missing)
            if parts.started
            else ()
        )
    missing_zh = missing_en = ""
    if missing:
        missing_zh = "尚未备案：" + "、".join(_part_label(p).zh for p in missing)
        missing_en = "not yet filed: " + "; ".join(_part_label(p).en for p in missing)
    deadline = _judge(
        subject=f"{cohort.institution} {cohort.course}",
        policy=rules,
        rule=rule,
        period_end=cohort.completed_on + relativedelta(days=rule.days),
        parts=parts,
        as_of=as_of,
        missing_zh=missing_zh,
        missing_en=missing_en,
        missing_filings=missing,
    )
    trainees = tuple(_trainee(t, cohort.required_hours) for t in cohort.trainees)
    return CohortVerdict(deadline=deadline, trainees=trainees)


def check_submission(
    submission: Submission,
    *,
    policy: Policy | str | None = None,
    as_of: date | None = None,
) -> DeadlineVerdict:
    """Judge a municipal notice's or an industry plan's submission deadline (五(二)).

    Due on the policy's day of the submission's year, inclusive (30 April under the
    2024 notice, decision 7): 30 April is on time, 1 May is one day late. A deadline on
    a statutory rest day moves to the day after the rest days when the rule's
    ``extend_past_holidays`` is set (《民法典》第二百零三条, decision 7); 30 April 2024 is
    a working day. The obligation is met only with every format the rule requires (Word
    and PDF): a submission lacking one is not complete, on time or not, and the verdict
    names what is missing.

    Args:
        submission: What was (or is to be) submitted.
        policy: A ``Policy`` or id; by default the Shandong policy of the year.
        as_of: The day the verdict speaks for; needed while the submission is not
            complete.

    Returns:
        A frozen ``DeadlineVerdict``.

    Raises:
        PolicyNotFoundError: No policy governs the year and none was given.
        PolicyError: The policy has no ``submission_deadline`` rule.
        HolidayCalendarError: The deadline is in a year the holiday calendar does not
            know, and the rule extends past holidays.
        EvaluationInputError: ``as_of`` is missing or of the wrong type.
    """
    as_of = check_as_of(as_of)
    rules = resolve_policy(policy, submission.year, DEFAULT_REGION, allow_other_year=True)
    rule = _rule(rules, SubmissionDeadlineRule)
    # relativedelta(day=31) clamps to the last day of the month.
    period_end = date(submission.year, rule.month, 1) + relativedelta(day=rule.day)
    required = tuple(dict.fromkeys(canonical_format(f) for f in rule.formats))
    given = {canonical_format(f) for f in submission.formats}
    submitted = submission.submitted_on
    if submitted is not None and as_of is not None and submitted > as_of:
        submitted = None  # submitted after the verdict's day: nothing was submitted yet then
    # Before anything is submitted the status says it all; once it is (even with no format
    # recorded), the formats it lacks are named, and it is not complete without them.
    missing = tuple(f for f in required if f not in given) if submitted is not None else ()
    parts = _Parts(None if missing else submitted, missing, submitted is not None, None)
    return _judge(
        subject=f"{submission.submitter}《{submission.kind.label}》",
        policy=rules,
        rule=rule,
        period_end=period_end,
        parts=parts,
        as_of=as_of,
        missing_zh=f"缺少{'、'.join(f'{_label(f)}版' for f in missing)}" if missing else "",
        missing_en=f"missing formats: {', '.join(_label(f) for f in missing)}" if missing else "",
        missing_formats=missing,
    )
