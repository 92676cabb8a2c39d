"""The domain model: persons, courses and credit entries (学时记录).

Every value is a frozen pydantic model, validated once when it is built, each field by
the one parser of its kind (``_cells``) that the record files go through too. Hours are
exact decimals with at most two decimal places; floats are accepted only where their
shortest representation is already such a decimal (``0.5``, never
``0.30000000000000004``), so a number is never silently rounded.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Final, Protocol, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from ._cells import (
    ID_MAX_LENGTH,
    MAX_ENTRY_HOURS,
    TEXT_MAX_LENGTH,
    CellError,
    parse_choice,
    parse_date,
    parse_flag,
    parse_id,
    parse_text,
    parse_topics,
    parse_year,
)
from ._cells import parse_hours as _parse_hours
from ._message import Message
from ._vocabulary import Category, EntryStatus, Mode, PublicTopic, Role, UnitLevel

__all__ = [
    "FROZEN",
    "ID_MAX_LENGTH",
    "MAX_ENTRY_HOURS",
    "TEXT_MAX_LENGTH",
    "Category",
    "Course",
    "CourseFields",
    "CreditEntry",
    "EntryFields",
    "EntryStatus",
    "Hours",
    "Mode",
    "Person",
    "PublicTopic",
    "Role",
    "Text",
    "UnitLevel",
    "entry_problems",
    "parse_hours",
    "settle_course_facts",
]

_T = TypeVar("_T")
_E = TypeVar("_E", bound=enum.StrEnum)


def _present(parse: Callable[[Any], _T | None]) -> Callable[[Any], _T]:
    """``parse``, refusing a blank: for a field that must have a value."""

    def required(value: Any) -> _T:
        parsed = parse(value)
        if parsed is None:
            raise ValueError("must not be blank")
        return parsed

    return required


def _choice(choices: type[_E]) -> Callable[[Any], _E | None]:
    return lambda value: parse_choice(value, choices)


def _recorded_topics(value: Any) -> tuple[PublicTopic | str, ...] | None:
    """None: the topics are not recorded; anything else is read by ``parse_topics``.

    A blank (``""``, ``[]``) records that there are none (decision 14).
    """
    return None if value is None else parse_topics(value)


def parse_hours(value: Any) -> Decimal:
    """Read a number of hours (学时) exactly, or raise ``ValueError`` (a ``CellError``) saying why.

    The one reading of hours ce-rules has (``_cells.parse_hours``), for a value that
    must be there: ``Decimal``, ``int``, a float whose shortest repr has at most two
    decimal places, or a text such as ``10``, ``10.5``, ``１０．５`` or ``10学时``. The
    result is > 0, at most ``MAX_ENTRY_HOURS`` and has at most two decimal places;
    nothing is rounded.
    """
    return _present(_parse_hours)(value)


# Every field is read by the one parser of its kind (``_cells``), the parser the record
# files go through: a value the model accepts is one a file may hold, and the reverse.
#: Hours of one course or entry: an exact decimal, 0 < hours <= 1000, two places at most.
Hours = Annotated[Decimal, BeforeValidator(parse_hours)]
#: An identifier: at most 64 characters, no space or control character inside.
_Id = Annotated[str, BeforeValidator(_present(parse_id))]
_OptionalId = Annotated[str | None, BeforeValidator(parse_id)]
#: A short text (a name, a title): spaces collapsed, then 1 to 200 characters.
Text = Annotated[str, BeforeValidator(_present(parse_text))]
_OptionalText = Annotated[str | None, BeforeValidator(parse_text)]
#: A course's topics: None when not recorded, ``()`` when recorded as none (decision 14).
_Topics = Annotated[tuple[PublicTopic | str, ...] | None, BeforeValidator(_recorded_topics)]
#: The configuration of every value of ce-rules: frozen, and no field it does not know.
FROZEN: Final = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Person(BaseModel):
    """A professional or technical person (专业技术人员) whose year is evaluated.

    Attributes:
        id: A stable identifier, usually the resident ID number (身份证号).
        name: The person's name, for display only.
        unit: Whether the employer is a provincial-level unit (二(二)); None when it is
            not known: where it could decide whether an entry counts, the verdict is then
            ``undetermined`` and names it (domain decision 11), never guessed.
        city: The city of a municipal unit (各市), for city policies.
        industry: The industry authority whose professional-subject plan applies (三(二)).
    """

    model_config = FROZEN

    id: _Id
    name: _OptionalText = None
    unit: Annotated[UnitLevel | None, BeforeValidator(_choice(UnitLevel))] = None
    city: _OptionalText = None
    industry: _OptionalText = None


class Course(BaseModel):
    """A course, validated once and shared by every entry that refers to it.

    Attributes:
        id: The course's identifier in its platform or catalogue.
        title: The course title.
        category: Public or professional subjects.
        hours: The course's hours (学时).
        mode: Online (distance education) or offline training; None when not known
            (a featured course is online: that is inferred, being certain).
        platform: The online learning platform, e.g. ``专技知到``.
        featured: Selected as a featured online public course (优质在线公需课, 二(三));
            None when not known (a course that is not an online public one is not
            featured: that is inferred, being certain).
        topics: Public-subject topics (二(一)); known ones become ``PublicTopic``. None
            (the default) when they are not recorded: whether the course is in a key
            topic series is then not known, and a verdict says so rather than claiming it
            is not (decision 14); ``()`` records that it has none.
    """

    model_config = FROZEN

    id: _Id
    title: Text
    category: Annotated[Category, BeforeValidator(_present(_choice(Category)))]
    hours: Hours
    mode: Annotated[Mode | None, BeforeValidator(_choice(Mode))] = None
    platform: _OptionalText = None
    featured: Annotated[bool | None, BeforeValidator(parse_flag)] = False
    topics: _Topics = None

    @model_validator(mode="before")
    @classmethod
    def _settled(cls, data: Any) -> Any:
        # What is certain about the mode and the featured flag is filled in before the
        # fields are validated (a model validator may not return another instance).
        if not isinstance(data, dict):
            return data
        try:
            category = parse_choice(data.get("category"), Category)
            mode = parse_choice(data.get("mode"), Mode)
            featured = parse_flag(data.get("featured", False))
        except CellError:
            return data  # the field's own validator names the fault
        if category is None:
            return data
        mode, featured = settle_course_facts(category, mode, featured)
        return {**data, "mode": mode, "featured": featured}


def settle_course_facts(
    category: Category, mode: Mode | None, featured: bool | None
) -> tuple[Mode | None, bool | None]:
    """A course's mode and featured flag with what is certain about them filled in.

    Only an online public course can be a featured online public course (优质在线公需课,
    二(三)): a featured course is online, and a course that is offline or professional
    is not featured. Anything else stays unknown (None).

    Raises:
        ValueError: The course is featured but not an online public course.
    """
    if featured:
        if category is not Category.PUBLIC or mode is Mode.OFFLINE:
            shown = "unknown" if mode is None else mode.value
            raise ValueError(
                "featured: only an online public course can be a featured online public "
                f"course (优质在线公需课, 二(三)); got category={category.value}, mode={shown}"
            )
        return Mode.ONLINE, True
    if featured is None and (category is not Category.PUBLIC or mode is Mode.OFFLINE):
        return mode, False
    return mode, featured


class CreditEntry(BaseModel):
    """One record of hours: a person took or taught a course.

    Attributes:
        id: The record's own identifier, if the source system has one.
        person_id: The person the hours belong to.
        course: The course.
        role: Learner (default) or instructor.
        completed_on: The day the course was completed (or taught).
        hours: Hours recorded for this entry; defaults to the course's hours and may be
            less (partial credit), never more.
        credited_year: The year the entry counts in, when it differs from the year of
            ``completed_on`` (make-up study 补学 credits an earlier year).
        certificate_no: The number of the certificate that records the entry.
        status: Where the entry stands in review; only approved entries count.
    """

    model_config = FROZEN

    id: _OptionalId = None
    person_id: _Id
    course: Course
    role: Annotated[Role, BeforeValidator(_present(_choice(Role)))] = Role.LEARNER
    completed_on: Annotated[date, BeforeValidator(_present(parse_date))]
    hours: Annotated[Decimal | None, BeforeValidator(_parse_hours)] = None
    credited_year: Annotated[int | None, BeforeValidator(parse_year)] = None
    certificate_no: _OptionalId = None
    status: Annotated[EntryStatus, BeforeValidator(_present(_choice(EntryStatus)))] = (
        EntryStatus.APPROVED
    )

    @model_validator(mode="after")
    def _consistent(self) -> CreditEntry:
        problems = entry_problems(
            self.hours, self.course.hours, self.credited_year, self.completed_on
        )
        if problems:
            raise ValueError("; ".join(f"{field}: {text.en}" for field, _, text in problems))
        return self

    @property
    def effective_hours(self) -> Decimal:
        """The hours of this entry before any credit factor."""
        return self.course.hours if self.hours is None else self.hours

    @property
    def year(self) -> int:
        """The year the entry is credited to (培训年度)."""
        return self.completed_on.year if self.credited_year is None else self.credited_year


def entry_problems(
    hours: Decimal | None, course_hours: Decimal, credited_year: int | None, completed_on: date
) -> list[tuple[str, str, Message]]:
    """What is inconsistent between an entry's fields: (field, code, message) for each.

    An entry's hours are at most its course's (partial credit, never more); make-up study
    (补学) credits an earlier year, never a later one than the completion's.
    """
    problems: list[tuple[str, str, Message]] = []
    if hours is not None and hours > course_hours:
        problems.append(
            (
                "hours",
                "more_than_course",
                Message(
                    zh=f"本条记录的学时{hours}多于课程学时{course_hours}",
                    en=f"{hours} is more than the course's {course_hours} hours",
                ),
            )
        )
    if credited_year is not None and credited_year > completed_on.year:
        problems.append(
            (
                "credited_year",
                "after_completion",
                Message(
                    zh=f"培训年度{credited_year}晚于完成年度{completed_on.year}；补学只计入以前年度",
                    en=f"{credited_year} is after the completion year {completed_on.year}; "
                    "make-up study credits an earlier year",
                ),
            )
        )
    return problems


class CourseFields(Protocol):
    """What the engine reads of a course: a ``Course``, or a batch's valid row of one."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def category(self) -> Category: ...
    @property
    def hours(self) -> Decimal: ...
    @property
    def mode(self) -> Mode | None: ...
    @property
    def platform(self) -> str | None: ...
    @property
    def featured(self) -> bool | None: ...
    @property
    def topics(self) -> tuple[PublicTopic | str, ...] | None: ...


class EntryFields(Protocol):
    """What the engine reads of an entry: a ``CreditEntry``, or a batch's valid row.

    A batch keeps the entries it read from a file as named tuples with the same fields
    (``_batch.EntryRow``); the engine judges either alike.
    """

    @property
    def id(self) -> str | None: ...
    @property
    def person_id(self) -> str: ...
    @property
    def course(self) -> CourseFields: ...
    @property
    def role(self) -> Role: ...
    @property
    def completed_on(self) -> date: ...
    @property
    def hours(self) -> Decimal | None: ...
    @property
    def credited_year(self) -> int | None: ...
    @property
    def certificate_no(self) -> str | None: ...
    @property
    def status(self) -> EntryStatus: ...
    @property
    def effective_hours(self) -> Decimal: ...
    @property
    def year(self) -> int: ...
