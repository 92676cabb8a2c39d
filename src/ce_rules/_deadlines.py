"""The institutional deadlines of the notice: training filings (四(二)) and submissions (五(二)).

Clause 四(二): a digital-technology-engineer training institution files the trainee list
and a training summary with the provincial and municipal authorities "within 30 days
after completion" (培训结业30日内). Clause 五(二): municipal continuing-education notices
and provincial industry authorities' professional-subject plans are submitted, in Word
and PDF, "by the end of April" (4月底前). Domain decision 7 reads both inclusively: the
filing date is at most completion + 30 calendar days; a submission on 30 April is on
time. The numbers come from the policy file (``filing_deadline`` and
``submission_deadline`` rules), never from code. No clock: the caller passes ``as_of``.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Annotated, Final, TypeVar

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

__all__ = [
    "CohortVerdict",
    "DeadlineStatus",
    "DeadlineVerdict",
    "Submission",
    "SubmissionKind",
    "Trainee",
    "TraineeDecision",
    "TrainingCohort",
    "check_submission",
    "check_training_filing",
]

_Year = Annotated[int, Field(ge=1990, le=2100)]
_CompletedHours = Annotated[Decimal, Field(ge=0, le=10000, allow_inf_nan=False, decimal_places=2)]
_RuleT = TypeVar("_RuleT", FilingDeadlineRule, SubmissionDeadlineRule)


class DeadlineStatus(enum.StrEnum):
    """Where a deadline of 四(二) or 五(二) stands: on time, late, pending or overdue."""

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


class TrainingCohort(BaseModel):
    """One completed course of a training institution, to be filed (四(二)).

    Attributes:
        institution: The training institution (培训机构).
        course: The course or training speciality.
        required_hours: The hours the course requires (规定学时).
        completed_on: The day the course was completed (结业).
        trainees: The trainees, each with completed hours and assessment result.
        filed_on: The day the list and summary were filed (备案), if they were.
    """

    model_config = FROZEN

    institution: Text
    course: Text
    required_hours: Annotated[Decimal, Field(gt=0, le=10000, allow_inf_nan=False)]
    completed_on: date
    trainees: tuple[Trainee, ...] = ()
    filed_on: date | None = None

    @model_validator(mode="after")
    def _coherent(self) -> TrainingCohort:
        if self.filed_on is not None and self.filed_on < self.completed_on:
            raise ValueError(
                f"filed_on: {self.filed_on} is before the completion on {self.completed_on}"
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
        submitted_on: The day it was submitted, if it was.
        formats: The formats submitted, e.g. ``("word", "pdf")``.
    """

    model_config = FROZEN

    kind: SubmissionKind
    submitter: Text
    year: _Year
    submitted_on: date | None = None
    formats: tuple[Text, ...] = ()


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
        due_on: The last day allowed (inclusive).
        done_on: The day it was done, if it was by ``as_of``.
        as_of: The day the verdict speaks for, if given.
        status: On time, late, pending or overdue.
        days_late: Days after ``due_on`` (done late, or overdue as of ``as_of``); else 0.
        days_left: Days until ``due_on`` while pending; else 0.
        missing_formats: Formats required but not submitted (五(二): Word and PDF).
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
    citation: Citation
    message: Message
    loosenings: tuple[Loosening, ...] = ()

    @property
    def met(self) -> bool:
        """Whether the deadline was met (done on time)."""
        return self.status is DeadlineStatus.ON_TIME

    def explain(self, lang: str = "zh") -> str:
        """A one-line explanation, in Chinese (``"zh"``) or English (``"en"``)."""
        return f"{self.message.in_(lang)} [{self.citation.clause}]"


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


def _rule(policy: Policy, kind: type[_RuleT]) -> _RuleT:
    for rule in policy.rules:
        if isinstance(rule, kind):
            return rule
    raise PolicyError(f"policy {policy.id} has no {kind.__name__} rule")


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _judge(
    *,
    code: str,
    subject: str,
    policy: Policy,
    due_on: date,
    done_on: date | None,
    as_of: date | None,
    citation: Citation,
    what: Message,
    missing_formats: tuple[str, ...] = (),
) -> DeadlineVerdict:
    if done_on is not None and as_of is not None and done_on > as_of:
        done_on = None  # done after the day the verdict speaks for: not done yet then
    days_late = days_left = 0
    if done_on is not None:
        days_late = max(0, (done_on - due_on).days)
        status = DeadlineStatus.LATE if days_late else DeadlineStatus.ON_TIME
    elif as_of is None:
        raise EvaluationInputError(
            "as_of", as_of, "is needed to judge a deadline that has not been met yet"
        )
    elif as_of > due_on:
        status = DeadlineStatus.OVERDUE
        days_late = (as_of - due_on).days
    else:
        status = DeadlineStatus.PENDING
        days_left = (due_on - as_of).days
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
    zh = f"{subject}：{what.zh}，截止{due_on}；{state.zh}（{detail_zh}）"
    en = f"{subject}: {what.en}, due {due_on}; {state.en} ({detail_en})"
    if missing_formats:
        zh += f"；缺少{'、'.join(missing_formats)}版"
        en += f"; missing formats: {', '.join(missing_formats)}"
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
        citation=citation,
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


def check_training_filing(
    cohort: TrainingCohort,
    *,
    policy: Policy | str | None = None,
    as_of: date | None = None,
) -> CohortVerdict:
    """Judge a training cohort's filing deadline and its trainees' certificates (四(二)).

    The filing is due ``days`` calendar days (30 under the 2024 notice) after the
    completion day, inclusive (decision 7): completion on 2024-01-31 is due 2024-03-01.
    A trainee is eligible for the training certificate (培训合格证书) who completed the
    required hours and passed the assessment.

    Args:
        cohort: The completed course and its trainees.
        policy: A ``Policy`` or id; by default the Shandong policy of the completion year.
        as_of: The day the verdict speaks for; needed while the cohort is not filed.

    Returns:
        A frozen ``CohortVerdict``.

    Raises:
        PolicyNotFoundError: No policy governs the completion year and none was given.
        PolicyError: The policy has no ``filing_deadline`` rule.
        EvaluationInputError: ``as_of`` is missing or of the wrong type.
    """
    as_of = check_as_of(as_of)
    rules = resolve_policy(policy, cohort.completed_on.year, DEFAULT_REGION)
    rule = _rule(rules, FilingDeadlineRule)
    deadline = _judge(
        code=rule.code,
        subject=f"{cohort.institution} {cohort.course}",
        policy=rules,
        due_on=cohort.completed_on + relativedelta(days=rule.days),
        done_on=cohort.filed_on,
        as_of=as_of,
        citation=rule.citation,
        what=rule.message,
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
    2024 notice, decision 7): 30 April is on time, 1 May is one day late. Formats the
    rule requires (Word and PDF) but the submission lacks are listed.

    Args:
        submission: What was (or is to be) submitted.
        policy: A ``Policy`` or id; by default the Shandong policy of the year.
        as_of: The day the verdict speaks for; needed while nothing is submitted.

    Returns:
        A frozen ``DeadlineVerdict``.

    Raises:
        PolicyNotFoundError: No policy governs the year and none was given.
        PolicyError: The policy has no ``submission_deadline`` rule.
        EvaluationInputError: ``as_of`` is missing or of the wrong type.
    """
    as_of = check_as_of(as_of)
    rules = resolve_policy(policy, submission.year, DEFAULT_REGION)
    rule = _rule(rules, SubmissionDeadlineRule)
    # relativedelta(day=31) clamps to the last day of the month.
    due_on = date(submission.year, rule.month, 1) + relativedelta(day=rule.day)
    given = {f.lower() for f in submission.formats}
    missing = tuple(f for f in rule.formats if f.lower() not in given)
    submitted = submission.submitted_on
    if submitted is None or (as_of is not None and submitted > as_of):
        missing = ()  # nothing submitted as of the verdict's day: no format is missing yet
    return _judge(
        code=rule.code,
        subject=f"{submission.submitter}《{submission.kind.label}》",
        policy=rules,
        due_on=due_on,
        done_on=submission.submitted_on,
        as_of=as_of,
        citation=rule.citation,
        what=rule.message,
        missing_formats=missing,
    )
