"""Verdicts: what an evaluation found, explained entry by entry and rule by rule.

A verdict is a legal statement about a person's year. Every number in it carries the
rule and clause it comes from; every input entry has exactly one decision, in input
order; nothing is rounded without saying so. Verdicts are frozen and round-trip
through JSON (``Verdict.model_validate_json(v.model_dump_json()) == v``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Final, Protocol, TypeVar

from pydantic import (
    BaseModel,
    PlainSerializer,
    PrivateAttr,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    computed_field,
    model_validator,
)

from ._hours import format_hours
from ._message import Message
from ._model import FROZEN, Category, Role
from ._schema import column
from .kinds._base import Citation, Reading
from .sources import decision as catalogue_decision

__all__ = [
    "EntryDecision",
    "Finding",
    "Reason",
    "RequirementResult",
    "Status",
    "Verdict",
    "VerdictDetails",
    "extend",
    "format_hours",
    "made",
    "with_details",
]


class Status(enum.StrEnum):
    """The outcome of a year: compliant, non-compliant, still in progress, or undetermined.

    ``undetermined``: a fact the records do not give (the unit level, a course's mode,
    whether it is featured) decides whether the requirements are met, and the verdict
    says which instead of guessing it (domain decision 11).
    """

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    IN_PROGRESS = "in_progress"
    UNDETERMINED = "undetermined"

    @property
    def label(self) -> Message:
        """The status in Chinese and English."""
        return _STATUS_TEXT[self]


_STATUS_TEXT: Final = {
    Status.COMPLIANT: Message(zh="合格", en="compliant"),
    Status.NON_COMPLIANT: Message(zh="不合格", en="non-compliant"),
    Status.IN_PROGRESS: Message(zh="进行中（尚未达标）", en="in progress (not yet met)"),
    Status.UNDETERMINED: Message(zh="待定（缺少信息）", en="undetermined (facts missing)"),
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
    #: Whether (or how much) it counts depends on a fact the records do not give.
    UNDETERMINED = "undetermined"
    #: Its factor rule credits such an entry 0 times (a policy's choice, decision 3).
    NOT_CREDITED = "not_credited"
    #: Its course was credited in the year already, by another entry (二(三), decision 3).
    ALREADY_CREDITED = "already_credited"

    @property
    def text(self) -> Message:
        """What the code means, in Chinese and English."""
        return _REASON_TEXT[self]

    @property
    def decision(self) -> int | None:
        """The numbered decision (docs/concepts.md) the reason rests on, if it rests on one."""
        return _REASON_DECISION.get(self)


#: The reasons that rest on a decision where the notice is silent rather than on a rule of
#: the policy; a reason a rule decided takes the rule's reading instead (EntryDecision).
_REASON_DECISION: Final = {
    Reason.OTHER_YEAR: 1,
    Reason.DUPLICATE: 4,
    Reason.PENDING: 5,
    Reason.REJECTED: 5,
    Reason.REVOKED: 5,
    Reason.UNDETERMINED: 11,
}

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
    Reason.UNDETERMINED: Message(
        zh="缺少信息，能否计入（或计入多少）待定",
        en="a missing fact decides whether (or how much) it counts",
    ),
    Reason.NOT_CREDITED: Message(
        zh="按政策规则此类记录不计学时", en="the policy credits no hours for such an entry"
    ),
    Reason.ALREADY_CREDITED: Message(
        zh="同一课程本年度已由另一条记录计入（每门课程每年只计一次）",
        en="the course was credited this year by another entry (once per course and year)",
    ),
}


#: Hours in a verdict: an exact decimal, written in JSON in its shortest exact form
#: (``"30.5"``, never ``"30.50"``), so that equal hours read the same whichever way they
#: were summed.
HoursOut = Annotated[Decimal, PlainSerializer(format_hours, return_type=str, when_used="json")]

_V = TypeVar("_V", bound="Verdict")
_R = TypeVar("_R", bound="_Deferred")


def grounds(citation: Citation | None, decision: int | None, lang: str = "en") -> str:
    """``二(二); decision 6`` (``二(二)；决定6``): a clause and a decision's number, for people.

    Either may be missing; the decision's text is in ``ce_rules.sources.decision(n)``.
    """
    parts = [] if citation is None else [citation.clause]
    if decision is not None:
        parts.append(f"决定{decision}" if lang == "zh" else f"decision {decision}")
    return ("；" if lang == "zh" else "; ").join(parts)


def instead(decision: EntryDecision, lang: str) -> str:
    """For a copy that does not count, the entry that counts instead (``#3``, from 1)."""
    if decision.duplicate_of is None:
        return ""
    number = decision.duplicate_of + 1
    return f"（计入的是#{number}）" if lang == "zh" else f" (#{number} counts instead)"


def message(zh: str, en: str) -> Message:
    """A ``Message`` from two texts."""
    return Message(zh=zh, en=en)


_UNBUILT: Final = object()


class _Deferred(BaseModel):
    """A frozen model some of whose fields are built on first use, then kept.

    Each such field is a ``computed_field`` property returning ``self._deferred(name)``,
    which ``_build(name)`` makes from ``_source`` the first time. Read back (from JSON,
    say), the fields come in with the others and are validated by ``_deferred_fields``.
    They take part in equality and hashing like the other fields, and are in every dump
    and in the serialization JSON schema.
    """

    model_config = FROZEN
    #: A model of the fields built on first use: validates them when a value is read back.
    _deferred_fields: ClassVar[type[BaseModel]]
    #: What the fields are built from (set by whoever builds the value).
    _source: Any = PrivateAttr(default=None)
    _built: dict[str, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _read(cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        context = info.context
        if context is not None and "source" in context:
            # Built by the engine (``made``): the deferred fields come from the source.
            value = handler(data)
            # Set through the slot (``_deferred`` reads them so): cheaper than setattr.
            private: dict[str, Any] = value.__pydantic_private__
            private["_source"] = context["source"]
            built = context.get("built")
            if built:
                private["_built"] = built
            return value
        if not isinstance(data, Mapping):
            return handler(data)
        fields = dict(data)
        names = tuple(cls._deferred_fields.model_fields)
        missing = [name for name in names if name not in fields]
        if missing:
            raise ValueError(f"missing field(s): {', '.join(missing)}")
        built = cls._deferred_fields.model_validate({name: fields.pop(name) for name in names})
        value = handler(fields)
        value._built = {name: getattr(built, name) for name in names}
        value._check_read()
        return value

    def _check_read(self) -> None:
        """Checks a value read back whole (from JSON, say): ``ValueError`` if inconsistent.

        The engine's values are consistent by construction and not checked (a validator
        run on each would cost every verdict a call).
        """

    def _deferred(self, name: str) -> Any:
        # Private attributes read through the slot: ``self._built`` goes through
        # BaseModel.__getattr__, which costs a microsecond.
        # Never None: the class has private attributes (a cast would cost a call).
        private: dict[str, Any] = self.__pydantic_private__  # type: ignore[assignment]
        built = private["_built"]
        if built is None:
            built = private["_built"] = {}
        value = built.get(name, _UNBUILT)
        if value is _UNBUILT:
            value = built[name] = self._build(name)
        return value

    def _build(self, name: str) -> Any:  # pragma: no cover - every subclass builds its own
        raise NotImplementedError(name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Deferred):
            return NotImplemented
        if type(self) is not type(other):
            return False
        mine, theirs = self.__dict__, other.__dict__
        return all(mine[name] == theirs[name] for name in type(self).model_fields) and all(
            self._deferred(name) == other._deferred(name)
            for name in self._deferred_fields.model_fields
        )

    def __hash__(self) -> int:
        # Equal values have equal fields built on first use: hash those.
        names = self._deferred_fields.model_fields
        return hash((type(self), *(self._deferred(name) for name in names)))


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
        undetermined: What entries whose counting depends on a missing fact might add
            (0 when every fact is known).
        met: Whether the requirement is met (compared exactly) on what is certain.
        determined: Whether ``met`` holds whatever the missing facts are (always, when
            none is missing).
        rounding: How ``required`` and ``shortfall`` were rounded, if they had to be
            (a share of a total need not be a whole number of hundredths).
        citation: The clause the rule implements.
        reading: The decision the rule takes where it decides more than the clause says
            (None where it is the clause's own words).
        message: The outcome in Chinese and English.
    """

    model_config = FROZEN

    code: str
    kind: str
    category: Category | None
    required: HoursOut
    earned: HoursOut
    shortfall: HoursOut
    pending: HoursOut
    undetermined: HoursOut = Decimal(0)
    met: bool
    determined: bool = True
    rounding: str | None = None
    citation: Citation
    reading: Reading | None = None
    message: Message

    @property
    def basis(self) -> str:
        """What the requirement rests on, for people: the clause and the reading's decision."""
        return grounds(self.citation, None if self.reading is None else self.reading.decision)


def requirement_message(
    statement: Message,
    earned: Decimal,
    shortfall: Decimal,
    met: bool,
    undetermined: Decimal = Decimal(0),
) -> Message:
    """A requirement's outcome: the rule's statement, the hours earned and what is missing."""
    if met:
        return message(
            f"{statement.zh}：已获{format_hours(earned)}学时，已达标",
            f"{statement.en}: {format_hours(earned)} earned, met",
        )
    if undetermined:
        return message(
            f"{statement.zh}：已获{format_hours(earned)}学时，尚差{format_hours(shortfall)}学时"
            f"（另有至多{format_hours(undetermined)}学时因缺少信息待定）",
            f"{statement.en}: {format_hours(earned)} earned, {format_hours(shortfall)} short "
            f"(up to {format_hours(undetermined)} more wait for missing facts)",
        )
    return message(
        f"{statement.zh}：已获{format_hours(earned)}学时，尚差{format_hours(shortfall)}学时",
        f"{statement.en}: {format_hours(earned)} earned, {format_hours(shortfall)} short",
    )


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
        undetermined_hours: For an ``undetermined`` entry, what it might add beyond
            ``credited_hours`` once the missing facts are known; else 0.
        missing_facts: For an ``undetermined`` entry, the facts it waits for (``unit``,
            ``mode``, ``featured``: record column names).
        counted: Whether it counts (``credited_hours`` > 0).
        reason: Why it did or did not count.
        rule: The code of the rule that decided, if a rule did.
        citation: That rule's clause.
        decision: The numbered decision the outcome rests on where the notice is silent:
            the deciding rule's reading, or the reason's own (1 another year, 4 a
            duplicate, 5 not approved, 11 a fact missing); None where the clause decides.
        duplicate_of: For a duplicate, the index of the entry that counted instead; for an
            entry whose course was credited already, the index of the entry credited.
        message: The decision in Chinese and English.
    """

    model_config = FROZEN

    index: int
    entry_id: str | None
    course_id: str
    category: Category
    role: Role
    credited_year: int
    hours: HoursOut
    factor: HoursOut
    credited_hours: HoursOut
    would_add: HoursOut
    undetermined_hours: HoursOut = Decimal(0)
    missing_facts: tuple[str, ...] = ()
    counted: bool
    reason: Reason
    rule: str | None
    citation: Citation | None
    decision: int | None = None
    duplicate_of: int | None = None
    message: Message

    @property
    def basis(self) -> str:
        """What the outcome rests on, for people: the clause and/or the decision's number."""
        return grounds(self.citation, self.decision)


class Finding(BaseModel):
    """Something the verdict tells beyond its numbers, with what it rests on.

    Advisory findings (a key topic not covered) never change the status; others explain
    a fact of the verdict (a loosening by a local overlay, records that disagree on a
    person's unit level, a default the caller supplied).

    Attributes:
        code: A stable code: the rule's code, or what was found (``conflicting_unit``,
            ``assumed_unit`` …).
        citation: The clause it rests on, when a rule of the policy raised it.
        reading: That rule's reading, where it decides more than the clause says.
        decision: The number of the decision of docs/concepts.md it rests on, when the
            notice is silent (a rule's reading names its decision here too).
        message: The finding in Chinese and English.
    """

    model_config = FROZEN

    code: str
    citation: Citation | None = None
    reading: Reading | None = None
    decision: int | None = None
    message: Message

    @property
    def basis(self) -> str:
        """What the finding rests on, for people: the clause and/or the decision's number."""
        return grounds(self.citation, self.decision)


class VerdictDetails(Protocol):
    """What a verdict builds its requirements, findings, decisions and fingerprint from.

    ``evaluate`` judges every entry and every requirement up front (the status needs
    them) but leaves the result objects, their messages and the fingerprint to be built
    on first use; an integrator that only reads the status pays for nothing more.
    """

    def requirements(self) -> tuple[RequirementResult, ...]:
        """One result per requirement rule, in policy order."""
        ...

    def findings(self) -> tuple[Finding, ...]:
        """The verdict's findings."""
        ...

    def decisions(self) -> tuple[EntryDecision, ...]:
        """One decision per input entry, in input order."""
        ...

    def fingerprint(self) -> str:
        """The SHA-256 fingerprint of the inputs."""
        ...

    def entry_reasons(self) -> tuple[Reason, ...]:
        """The reason of each input entry, in input order."""
        ...


class _VerdictBuiltFields(BaseModel):
    """The fields of a verdict built on first use."""

    model_config = FROZEN

    requirements: tuple[RequirementResult, ...]
    findings: tuple[Finding, ...]
    entries: tuple[EntryDecision, ...]
    fingerprint: str


class Verdict(_Deferred):
    """A person's continuing-education year, judged under one policy.

    Attributes:
        person_id: Whose year it is.
        year: The calendar year.
        policy_id: The policy applied.
        policy_version: The version of the policy data.
        as_of: The day the verdict speaks for, if not after the year's end.
        status: Compliant, non-compliant, in progress, or undetermined.
        compliant: Whether every requirement is met.
        certificate_eligible: Whether the requirements the policy names for the
            electronic certificate are all met; None when missing facts decide it, or
            when the policy names no certificate condition.
        certificate_citation: The clause that sets the certificate condition, if one does.
        certificate_reading: The decision the condition rests on where no clause sets it
            (decision 12 for the bundled policies).
        missing_facts: The facts the records do not give on which some entry waits
            (record column names: ``unit``, ``mode``, ``featured``), sorted.
        requirements: One result per requirement rule, in policy order.
        findings: Advisory findings.
        entries: One decision per input entry, in input order.
        fingerprint: SHA-256 over the canonical inputs and the policy id and version;
            re-evaluating the same inputs gives the same fingerprint.

    ``entries`` and ``fingerprint`` are built on first use and then kept; they are in
    every dump, in the JSON schema (serialization mode) and in equality like the other
    fields.
    """

    model_config = FROZEN

    person_id: str
    year: int
    policy_id: str
    policy_version: str
    as_of: date | None
    status: Status
    compliant: bool
    certificate_eligible: bool | None
    certificate_citation: Citation | None = None
    certificate_reading: Reading | None = None
    missing_facts: tuple[str, ...] = ()
    _deferred_fields = _VerdictBuiltFields

    def _check_read(self) -> None:
        # A verdict read back must say the same thing in every field.
        all_met = all(r.met for r in self.requirements)
        if self.compliant != all_met or (self.status is Status.COMPLIANT) != all_met:
            raise ValueError("status, compliant and requirements disagree")

    @computed_field  # type: ignore[prop-decorator]  # mypy: a decorator above @property
    @property
    def requirements(self) -> tuple[RequirementResult, ...]:
        """One result per requirement rule, in policy order."""
        results: tuple[RequirementResult, ...] = self._deferred("requirements")
        return results

    @computed_field  # type: ignore[prop-decorator]  # mypy: a decorator above @property
    @property
    def findings(self) -> tuple[Finding, ...]:
        """Findings: advisory notes, and notes on the facts of the verdict."""
        findings: tuple[Finding, ...] = self._deferred("findings")
        return findings

    @computed_field  # type: ignore[prop-decorator]  # mypy: a decorator above @property
    @property
    def entries(self) -> tuple[EntryDecision, ...]:
        """One decision per input entry, in input order."""
        entries: tuple[EntryDecision, ...] = self._deferred("entries")
        return entries

    @computed_field  # type: ignore[prop-decorator]  # mypy: a decorator above @property
    @property
    def fingerprint(self) -> str:
        """SHA-256 over the canonical inputs and the policy id and version."""
        fingerprint: str = self._deferred("fingerprint")
        return fingerprint

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """The reason of each input entry, in input order, without building ``entries``."""
        private: dict[str, Any] = self.__pydantic_private__  # type: ignore[assignment]  # as above
        built = private["_built"]
        if built is not None and "entries" in built:
            return tuple(d.reason for d in built["entries"])
        details: VerdictDetails = private["_source"]
        return details.entry_reasons()

    def _build(self, name: str) -> object:
        # The source is what evaluate decided (a VerdictDetails).
        details: VerdictDetails = self._source
        if name == "requirements":
            return details.requirements()
        if name == "findings":
            return details.findings()
        return details.decisions() if name == "entries" else details.fingerprint()

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


def made(cls: type[_R], fields: dict[str, Any], source: Any) -> _R:
    """A value whose deferred fields are built from ``source`` on first use.

    The fields are validated as any other value's, by the model's validator (what
    ``model_validate`` calls, less its Python wrapper); ``source`` is what the deferred
    ones are built from (a requirement's rule message, a verdict's ``VerdictDetails``).
    """
    value: _R = cls.__pydantic_validator__.validate_python(fields, context={"source": source})
    return value


def with_details(cls: type[_V], fields: dict[str, Any], details: VerdictDetails) -> _V:
    """A verdict of ``cls`` from its fields and its details."""
    return made(cls, fields, details)


def extend(
    verdict: Verdict, cls: type[_V], built: dict[str, Any] | None = None, **fields: Any
) -> _V:
    """``verdict`` as a ``cls`` (a subclass) with ``fields`` added; details are shared.

    ``built`` gives fields built on first use their values instead (e.g. more findings).
    """
    data = {name: getattr(verdict, name) for name in Verdict.model_fields}
    data.update(fields)
    private = verdict.__pydantic_private__ or {}
    done = dict(private.get("_built") or {})
    done.update(built or {})
    return cls.model_validate(data, context={"source": private.get("_source"), "built": done})


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
    # The decisions the verdict rests on where the notice is silent, listed at the end,
    # each with the readings of the rules that took it.
    taken: dict[int, list[Reading]] = {}
    for result in verdict.requirements:
        if result.reading is not None:
            _take(taken, result.reading.decision, result.reading)
        reading = None if result.reading is None else result.reading.decision
        lines.append(f"- {result.message.in_(lang)} [{grounds(result.citation, reading, lang)}]")
    if verdict.missing_facts:
        _take(taken, 11, None)
        facts = (
            "、".join(column(f).label for f in verdict.missing_facts)
            if zh
            else ", ".join(verdict.missing_facts)
        )
        lines.append(
            f"缺少的信息：{facts}（决定11：不作猜测）"
            if zh
            else f"Facts missing: {facts} (decision 11: never guessed)"
        )
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
        if decision.decision is not None:
            _take(taken, decision.decision, None)
        mark = "+" if decision.counted else "x"
        basis = grounds(decision.citation, decision.decision, lang)
        lines.append(
            f"  {mark} #{decision.index + 1} {decision.course_id}: {decision.message.in_(lang)}"
            + instead(decision, lang)
            + (f" [{basis}]" if basis else "")
        )
    for finding in verdict.findings:
        if finding.decision is not None:
            _take(taken, finding.decision, finding.reading)
        prefix = "提示：" if zh else "Note: "
        basis = grounds(finding.citation, finding.decision, lang)
        lines.append(f"{prefix}{finding.message.in_(lang)}" + (f" [{basis}]" if basis else ""))
    lines.append(_certificate_line(verdict, lang))
    if verdict.certificate_reading is not None:
        _take(taken, verdict.certificate_reading.decision, verdict.certificate_reading)
    lines += _decisions_taken(taken, lang)
    return "\n".join(lines)


def _certificate_line(verdict: Verdict, lang: str) -> str:
    zh = lang == "zh"
    reading = verdict.certificate_reading
    if verdict.certificate_citation is None and reading is None:
        # A certificate condition needs its basis (load_policy): the policy sets none.
        return _NO_CERTIFICATE.in_(lang)
    zh_label, en_label = _CERTIFICATE_LABELS[verdict.certificate_eligible]
    number = None if reading is None else reading.decision
    basis = grounds(verdict.certificate_citation, number, lang)
    if zh:
        return f"电子证书：{zh_label} [{basis}]"
    return f"Certificate: {en_label} [{basis}]"


_NO_CERTIFICATE: Final = Message(
    zh="电子证书：本政策未规定发放条件", en="Certificate: the policy sets no condition"
)
_TAKEN_HEAD: Final = Message(
    zh="所依据的决定（通知未作规定之处）：", en="Decisions taken where the notice is silent:"
)
_CERTIFICATE_LABELS: Final = {
    True: ("符合发放条件", "eligible"),
    False: ("暂不符合发放条件", "not yet eligible"),
    None: ("待定", "undetermined"),
}


def _take(taken: dict[int, list[Reading]], number: int, reading: Reading | None) -> None:
    """Note that the verdict rests on decision ``number``, by ``reading`` if a rule took it."""
    readings = taken.setdefault(number, [])
    if reading is not None and reading not in readings:
        readings.append(reading)


def _decisions_taken(taken: Mapping[int, list[Reading]], lang: str) -> list[str]:
    """Each decision the verdict rests on: its rules' readings, or else the catalogue's text."""
    if not taken:
        return []
    zh = lang == "zh"
    lines = [_TAKEN_HEAD.in_(lang)]
    for number in sorted(taken):
        known = catalogue_decision(number)
        texts = [r.rationale.in_(lang) for r in taken[number]] or [known.text.in_(lang)]
        if zh:
            head = f"  决定{number}（{known.title.zh}）："
        else:
            head = f"  decision {number} ({known.title.en}): "
        lines += [head + text for text in texts]
    return lines
