"""Verdicts: what an evaluation found, explained entry by entry and rule by rule.

A verdict is a legal statement about a person's year. Every number in it carries the
rule and clause it comes from; every input entry has exactly one decision, in input
order; nothing is rounded without saying so. Verdicts are frozen and round-trip
through JSON (``Verdict.model_validate_json(v.model_dump_json()) == v``).
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

from ._model import Category, Role
from ._policy import Citation, Message

__all__ = [
    "EntryDecision",
    "Finding",
    "Reason",
    "RequirementResult",
    "Status",
    "Verdict",
    "format_hours",
]

_CONFIG: Final = ConfigDict(frozen=True, extra="forbid")


class Status(enum.StrEnum):
    """The outcome of a year: compliant, non-compliant, or still in progress."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    IN_PROGRESS = "in_progress"

    @property
    def label(self) -> Message:
        """The status in Chinese and English."""
        return _STATUS_TEXT[self]


_STATUS_TEXT: Final = {
    Status.COMPLIANT: Message(zh="合格", en="compliant"),
    Status.NON_COMPLIANT: Message(zh="不合格", en="non-compliant"),
    Status.IN_PROGRESS: Message(zh="进行中（尚未达标）", en="in progress (not yet met)"),
}


class Reason(enum.StrEnum):
    """Why an entry did or did not count: stable codes for machines.

    The exclusions other than ``platform_not_recognised`` implement the decisions the
    notice leaves open (docs/concepts.md, "Decisions"): 1 (the credited year),
    4 (duplicates) and 5 (only approved entries count).
    """

    COUNTED = "counted"
    OTHER_PERSON = "other_person"
    OTHER_YEAR = "other_year"
    AFTER_AS_OF = "after_as_of"
    PLATFORM_NOT_RECOGNISED = "platform_not_recognised"
    PENDING = "pending"
    REJECTED = "rejected"
    REVOKED = "revoked"
    DUPLICATE = "duplicate"
    #: Completed after a local per-category deadline (a city overlay, 二(二)).
    AFTER_CATEGORY_DEADLINE = "after_category_deadline"

    @property
    def text(self) -> Message:
        """What the code means, in Chinese and English."""
        return _REASON_TEXT[self]


_REASON_TEXT: Final = {
    Reason.COUNTED: Message(zh="计入", en="counted"),
    Reason.OTHER_PERSON: Message(zh="不属于本人的记录", en="the entry belongs to another person"),
    Reason.OTHER_YEAR: Message(zh="不属于本培训年度", en="the entry is credited to another year"),
    Reason.AFTER_AS_OF: Message(
        zh="完成日期晚于评估日期", en="completed after the evaluation date (as_of)"
    ),
    Reason.PLATFORM_NOT_RECOGNISED: Message(
        zh="学习平台不在认可范围内", en="the learning platform is not recognised"
    ),
    Reason.PENDING: Message(zh="待单位审核，暂不计入", en="awaiting the employer's approval"),
    Reason.REJECTED: Message(zh="审核未通过", en="rejected in review"),
    Reason.REVOKED: Message(zh="已撤销", en="revoked"),
    Reason.DUPLICATE: Message(
        zh="重复记录（同一课程、角色、完成日期）",
        en="duplicate of another entry (same course, role and day)",
    ),
    Reason.AFTER_CATEGORY_DEADLINE: Message(
        zh="完成日期晚于本地规定的该类科目截止日期",
        en="completed after the local deadline for its category",
    ),
}


def format_hours(hours: Decimal) -> str:
    """Hours for people: exact, without trailing zeros (``30``, ``29.9``, ``0.25``)."""
    # Equal decimals format alike (30 and 30.0 both give "30"), so the text can be cached.
    text = _HOURS_TEXT.get(hours)
    if text is None:
        if hours == hours.to_integral_value():
            text = str(int(hours))
        else:
            text = format(hours.normalize(), "f")
        if len(_HOURS_TEXT) < _HOURS_TEXT_SIZE:
            _HOURS_TEXT[hours] = text
    return text


#: Texts of the hour values seen so far: a bounded cache that never changes a result.
_HOURS_TEXT: Final[dict[Decimal, str]] = {}
_HOURS_TEXT_SIZE: Final = 10_000
_M = TypeVar("_M", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__


def construct(cls: type[_M], fields: dict[str, Any]) -> _M:
    """Build a frozen ``cls`` from a complete dict of already valid fields (hot path).

    Like ``model_construct`` without its per-field bookkeeping: ``fields`` must hold every
    field of ``cls``, in declaration order, with valid values; the dict is taken, not
    copied. The result equals, dumps and round-trips like a validated instance.
    """
    obj = _new(cls)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", set(fields))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def message(zh: str, en: str) -> Message:
    """A ``Message`` from two non-empty, stripped texts, without validating them again."""
    return construct(Message, {"zh": zh, "en": en})


class RequirementResult(BaseModel):
    """How a person stands against one requirement rule.

    Attributes:
        code: The rule's stable code, e.g. ``public_hours``.
        kind: The rule kind (``min_hours`` or ``min_share``).
        category: The category counted, or None for all hours.
        required: The hours required (for a share: the share of the counted total).
        earned: The credited hours that count toward it.
        shortfall: The extra hours of ``category`` still needed; 0 when met.
        pending: What entries awaiting approval would add if approved.
        met: Whether the requirement is met (compared exactly).
        rounding: How ``required`` and ``shortfall`` were rounded, if they had to be
            (a share of a total need not be a whole number of hundredths).
        citation: The clause the rule implements.
        message: The outcome in Chinese and English.
    """

    model_config = _CONFIG

    code: str
    kind: str
    category: Category | None
    required: Decimal
    earned: Decimal
    shortfall: Decimal
    pending: Decimal
    met: bool
    rounding: str | None = None
    citation: Citation
    message: Message


class EntryDecision(BaseModel):
    """What became of one input entry.

    Attributes:
        index: The entry's position in the input (0-based).
        entry_id: The entry's own id, if it had one.
        course_id: The course.
        category: The course's category.
        role: The person's role in the course.
        credited_year: The year the entry is credited to.
        hours: The entry's hours before any factor.
        factor: The credit factor that applies (1 when no factor rule matches).
        credited_hours: ``hours * factor`` if counted, else 0.
        would_add: For a pending entry, what it would add once approved; else 0.
        counted: Whether it counts.
        reason: Why it did or did not count.
        rule: The code of the rule that decided, if a rule did.
        citation: That rule's clause.
        duplicate_of: For a duplicate, the index of the entry that counted instead.
        message: The decision in Chinese and English.
    """

    model_config = _CONFIG

    index: int
    entry_id: str | None
    course_id: str
    category: Category
    role: Role
    credited_year: int
    hours: Decimal
    factor: Decimal
    credited_hours: Decimal
    would_add: Decimal
    counted: bool
    reason: Reason
    rule: str | None
    citation: Citation | None
    duplicate_of: int | None = None
    message: Message


class Finding(BaseModel):
    """Advisory: something worth telling the person that does not change the verdict.

    Attributes:
        code: The rule's stable code.
        citation: The clause.
        message: The finding in Chinese and English.
    """

    model_config = _CONFIG

    code: str
    citation: Citation
    message: Message


class Verdict(BaseModel):
    """A person's continuing-education year, judged under one policy.

    Attributes:
        person_id: Whose year it is.
        year: The calendar year.
        policy_id: The policy applied.
        policy_version: The version of the policy data.
        as_of: The day the verdict speaks for, if not after the year's end.
        status: Compliant, non-compliant, or in progress.
        compliant: Whether every requirement is met.
        certificate_eligible: Whether the requirements the policy names for the
            electronic certificate are all met.
        requirements: One result per requirement rule, in policy order.
        entries: One decision per input entry, in input order.
        findings: Advisory findings.
        fingerprint: SHA-256 over the canonical inputs and the policy id and version;
            re-evaluating the same inputs gives the same fingerprint.
    """

    model_config = _CONFIG

    person_id: str
    year: int
    policy_id: str
    policy_version: str
    as_of: date | None
    status: Status
    compliant: bool
    certificate_eligible: bool
    requirements: tuple[RequirementResult, ...]
    entries: tuple[EntryDecision, ...]
    findings: tuple[Finding, ...]
    fingerprint: str

    @model_validator(mode="after")
    def _consistent(self) -> Verdict:
        # A verdict read back from JSON must say the same thing in every field.
        all_met = all(r.met for r in self.requirements)
        if self.compliant != all_met or (self.status is Status.COMPLIANT) != all_met:
            raise ValueError("status, compliant and requirements disagree")
        return self

    def requirement(self, code: str) -> RequirementResult:
        """The result for the requirement ``code``; ``KeyError`` naming the codes known."""
        for result in self.requirements:
            if result.code == code:
                return result
        known = ", ".join(r.code for r in self.requirements)
        raise KeyError(f"no requirement {code!r} in policy {self.policy_id}; known: {known}")

    @property
    def counted(self) -> tuple[EntryDecision, ...]:
        """The decisions of the entries that count."""
        return tuple(d for d in self.entries if d.counted)

    @property
    def excluded(self) -> tuple[EntryDecision, ...]:
        """The decisions of the entries that do not count, each with its reason."""
        return tuple(d for d in self.entries if not d.counted)

    def explain(self, lang: str = "zh") -> str:
        """A short explanation for people, in Chinese (``"zh"``) or English (``"en"``)."""
        return _explain(self, lang)


def _explain(verdict: Verdict, lang: str) -> str:
    zh = lang == "zh"
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    status = verdict.status.label.in_(lang)
    policy = f"{verdict.policy_id} v{verdict.policy_version}"
    as_of = ""
    if verdict.as_of is not None:
        as_of = f"，截至{verdict.as_of}" if zh else f", as of {verdict.as_of}"
    head = (
        f"{verdict.person_id} {verdict.year}年度继续教育：{status}（依据 {policy}{as_of}）"
        if zh
        else f"{verdict.person_id}, continuing education {verdict.year}: {status} "
        f"(policy {policy}{as_of})"
    )
    lines = [head]
    for result in verdict.requirements:
        lines.append(f"- {result.message.in_(lang)} [{result.citation.clause}]")
    counted = verdict.counted
    excluded = verdict.excluded
    lines.append(
        f"记录：计入{len(counted)}条，未计入{len(excluded)}条"
        if zh
        else f"Entries: {len(counted)} counted, {len(excluded)} not counted"
    )
    for decision in verdict.entries:
        if decision.counted and decision.factor == 1:
            continue
        mark = "+" if decision.counted else "x"
        lines.append(
            f"  {mark} #{decision.index} {decision.course_id}: {decision.message.in_(lang)}"
        )
    for finding in verdict.findings:
        prefix = "提示" if zh else "Note"
        lines.append(f"{prefix}: {finding.message.in_(lang)} [{finding.citation.clause}]")
    if zh:
        lines.append(
            "电子证书：" + ("符合发放条件" if verdict.certificate_eligible else "暂不符合发放条件")
        )
    else:
        lines.append(
            "Certificate: " + ("eligible" if verdict.certificate_eligible else "not yet eligible")
        )
    return "\n".join(lines)
