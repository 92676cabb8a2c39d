"""Records: one row of cells in, a person's description and an entry out, or every problem.

A record is a flat mapping of the columns of ``_schema.RECORD_COLUMNS`` (English or Chinese
keys) to raw cells, as a reader yields it or as a caller passes it. ``RecordBuilder``
parses each cell with the one parser of its column's kind (``_cells``), checks what ties
cells together (``settle_course_facts``, ``entry_problems``, the same functions the model
validators call), and returns the entry, or an ``InvalidRecord`` naming *every* problem of
the row in Chinese and English. Nothing here decides whether an entry counts: that is the
engine's.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, NamedTuple

from pydantic import BaseModel, ValidationError

from ._cells import CellError, parse_cell, parse_id, to_text
from ._message import Message
from ._model import (
    FROZEN,
    Course,
    CreditEntry,
    EntryStatus,
    Mode,
    Person,
    Role,
    UnitLevel,
    entry_problems,
    settle_course_facts,
)
from ._schema import IGNORED, PERSON_COLUMNS, Column, column, match_header

__all__ = [
    "Built",
    "Described",
    "InvalidRecord",
    "PersonRowError",
    "Problem",
    "RecordBuilder",
    "field_name",
    "keyed",
    "person_of_cells",
]


class PersonRowError(ValueError):
    """A row of a persons list that names no person that can be read.

    Attributes:
        field: The column at fault (``person_id`` when none is given).
        value: Its cell.
        reason: What is wrong with the cell, in Chinese and English.
        message: The column and the reason, for people (``unit: …``, ``单位级别：…``).
    """

    def __init__(self, field: str, value: object, reason: Message, message: Message) -> None:
        super().__init__(message.en)
        self.field = field
        self.value = value
        self.reason = reason
        self.message = message


def person_of_cells(cells: Mapping[str, Any]) -> Person:
    """The person a persons-list row describes, each cell read by the one parser of its column.

    Raises:
        PersonRowError: A cell cannot be read, or the row gives no person id.
    """
    values: dict[str, Any] = {}
    for col in PERSON_COLUMNS:
        cell = cells.get(col.name)
        try:
            values[col.name] = parse_cell(col, cell)
        except CellError as error:
            shown = Message(
                zh=f"{col.label}：{error.message.zh}", en=f"{col.name}: {error.message.en}"
            )
            raise PersonRowError(col.name, cell, error.message, shown) from None
    if values["person_id"] is None:
        reason = Message(zh="缺少身份证号", en="is required")
        shown = Message(zh="缺少身份证号", en="person_id is required")
        raise PersonRowError("person_id", None, reason, shown)
    return Person(
        id=values["person_id"],
        name=values["name"],
        unit=values["unit"],
        city=values["city"],
        industry=values["industry"],
    )


#: Distinct courses kept by a builder: enough for any real catalogue, bounded for hostile input.
_COURSE_CACHE: Final = 1 << 16
_SHOWN_VALUE: Final = 200
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


class Problem(BaseModel):
    """One thing wrong with one cell (or with how cells fit together) of a record.

    Attributes:
        field: The column at fault (its English name), or ``(row)`` for the whole row.
        value: The offending value as read, shortened to 200 characters.
        code: A stable code for machines (``required``, ``not_a_number``, ``unknown_value`` …).
        message: What is wrong and what to do, in Chinese and English.
    """

    model_config = FROZEN

    field: str
    value: str | None = None
    code: str
    message: Message


class InvalidRecord(BaseModel):
    """A record that could not be read, with where it came from and every reason why.

    Attributes:
        index: The record's position in the batch input (0-based).
        source: The file it came from, if any.
        line: The line (or spreadsheet row) it starts on, if known.
        person_id: The person it names, if that much could be read.
        problems: Every problem found in the record, in column order.
    """

    model_config = FROZEN

    index: int
    source: str | None = None
    line: int | None = None
    person_id: str | None = None
    problems: tuple[Problem, ...]

    @property
    def field(self) -> str:
        """The column of the first problem."""
        return self.problems[0].field

    @property
    def code(self) -> str:
        """The code of the first problem."""
        return self.problems[0].code

    @property
    def reason(self) -> str:
        """Every problem in English, one after the other."""
        return "; ".join(f"{p.field}: {p.message.en}" for p in self.problems)

    def describe(self, lang: str) -> str:
        """Every problem in ``lang``, each with its column (its Chinese header in ``zh``)."""
        parts = []
        for problem in self.problems:
            name = field_name(problem.field, lang)
            value = "" if problem.value is None else f" {problem.value!r}"
            parts.append(f"{name}{value}: {problem.message.in_(lang)}")
        return "；".join(parts) if lang == "zh" else "; ".join(parts)


def field_name(field: str, lang: str) -> str:
    """A problem's field as messages name it: in Chinese, its header and then its name."""
    if lang != "zh":
        return field
    if field == "(row)":
        return "整行(row)"
    return f"{column(field).label}({field})"


class Described(NamedTuple):
    """What one record says about its person; None where it says nothing.

    Attributes:
        name: The person's name.
        unit: The unit level.
        city: The city.
        industry: The industry authority.
    """

    name: str | None
    unit: UnitLevel | None
    city: str | None
    industry: str | None


class Built(NamedTuple):
    """A record read: its person, what it says of them, its entry, and what was assumed.

    Attributes:
        person_id: The person.
        described: What the record says of the person.
        entry: The entry.
        assumed: The facts taken from a default the caller supplied (``mode``), not
            from the record.
    """

    person_id: str
    described: Described
    entry: CreditEntry
    assumed: tuple[str, ...]


def keyed(record: Mapping[Any, Any]) -> tuple[dict[str, Any], list[str]]:
    """A record's cells by English column name, and the keys not understood.

    Keys in English or Chinese (``_schema.match_header``); keys known and not needed
    (``序号``) are dropped. Two keys naming one column: the first is kept and the second
    is reported as not understood, so it is never silently lost.
    """
    cells: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in record.items():
        name = match_header(str(key))
        if name == IGNORED:
            continue
        if name is None or name in cells:
            unknown.append(str(key))
            continue
        cells[name] = value
    return cells, unknown


def as_read(value: object) -> str:
    """The text of a value that is not None as the cell parsers read it (``to_text``).

    A value that is no cell (a list, a dict, bytes) as its ``repr``.
    """
    try:
        text = to_text(value)
    except CellError:
        return repr(value)
    return repr(value) if text is None else text


def _shown(value: Any) -> str | None:
    r"""The value as a problem quotes it: as read, at most 200 characters, no lone surrogate.

    A lone surrogate (a JSON ``"\ud800"``) is no character: no report could hold it, so
    it is shown as its escape, as the cell parser's message shows it.
    """
    if value is None:
        return None
    text = as_read(value)[:_SHOWN_VALUE]
    if not text.isprintable():
        text = _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
    return text


def _required(col: Column) -> Problem:
    return Problem(
        field=col.name,
        code="required",
        message=Message(zh=f"缺少必填的“{col.label}”", en=f"{col.name} ({col.label}) is required"),
    )


class RecordBuilder:
    """Builds entries from records, parsing each distinct course once.

    Args:
        default_mode: The mode of a course whose record gives none, when the caller
            supplies one (``--default-mode``); it is then named in ``Built.assumed``.
    """

    def __init__(self, *, default_mode: Mode | None = None) -> None:
        self.default_mode = default_mode
        self._courses: OrderedDict[tuple[Any, ...], Course | list[Problem]] = OrderedDict()

    def build(self, cells: Mapping[str, Any]) -> Built | list[Problem]:
        """The record ``cells`` (English column names) as an entry, or all its problems."""
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        for name in _ENTRY_FIELDS:
            values[name] = self._cell(name, cells, problems)
        for name in _PERSON_FIELDS:
            values[name] = self._cell(name, cells, problems)
        course = self._course(cells)
        if isinstance(course, list):
            problems.extend(course)
        assumed: tuple[str, ...] = ()
        if problems:
            # A cell the course and the entry both read (hours) is reported once.
            unique = {(p.field, p.code): p for p in problems}
            return sorted(unique.values(), key=_column_order)
        assert isinstance(course, Course)
        if cells.get("mode") in (None, "") and course.mode is None and self.default_mode:
            course = course.model_copy(update={"mode": self.default_mode})
            assumed = ("mode",)
        course_hours = values.pop("course_hours")
        hours = values["hours"]
        for field, code, text in entry_problems(
            hours if course_hours is not None else None,
            course.hours,
            values["credited_year"],
            values["completed_on"],
        ):
            problems.append(
                Problem(field=field, value=_shown(cells.get(field)), code=code, message=text)
            )
        if problems:
            return problems
        data = {
            "id": values["entry_id"],
            "person_id": values["person_id"],
            "course": course,
            "role": values["role"] or Role.LEARNER,
            "completed_on": values["completed_on"],
            "hours": hours if course_hours is not None else None,
            "credited_year": values["credited_year"],
            "certificate_no": values["certificate_no"],
            "status": values["status"] or EntryStatus.APPROVED,
        }
        try:
            entry = CreditEntry.model_validate(data)
        except ValidationError as error:  # pragma: no cover - the cells were checked above
            return _from_validation(error, _ENTRY_MODEL_FIELDS)
        described = Described(values["name"], values["unit"], values["city"], values["industry"])
        return Built(values["person_id"], described, entry, assumed)

    def _cell(self, name: str, cells: Mapping[str, Any], problems: list[Problem]) -> Any:
        col = column(name)
        raw = cells.get(name)
        try:
            value = parse_cell(col, raw)
        except CellError as error:
            problems.append(
                Problem(field=name, value=_shown(raw), code=error.code, message=error.message)
            )
            return None
        if value is None and col.required:
            problems.append(_required(col))
        return value

    def _course(self, cells: Mapping[str, Any]) -> Course | list[Problem]:
        # Each cell with its type: 1, 1.0 and True are equal keys in Python, but not
        # the same cell (a title of 1 is "1", of True is refused).
        key = (
            *((type(cell), cell) for cell in (cells.get(name) for name in _COURSE_FIELDS)),
            "featured" in cells,
            "topics" in cells,
        )
        try:
            known = self._courses.get(key)
        except TypeError:  # a cell that cannot be a key (a list of topics): read each time
            return self._new_course(cells)
        if known is None:
            known = self._new_course(cells)
            if len(self._courses) >= _COURSE_CACHE:
                self._courses.popitem(last=False)
            self._courses[key] = known
        return known

    def _new_course(self, cells: Mapping[str, Any]) -> Course | list[Problem]:
        problems: list[Problem] = []
        values = {name: self._cell(name, cells, problems) for name in _COURSE_FIELDS}
        if problems:
            return problems
        featured = values["featured"]
        if featured is None and "featured" in cells:
            featured = False  # the column is there and the cell blank: 否, as exports write it
        try:
            mode, featured = settle_course_facts(values["category"], values["mode"], featured)
        except ValueError as error:
            return [
                Problem(
                    field="featured",
                    value=_shown(cells.get("featured")),
                    code="not_online_public",
                    message=Message(
                        zh="只有远程教育的公需科目课程才能是优质在线公需课（二(三)）",
                        en=str(error).removeprefix("featured: "),
                    ),
                )
            ]
        hours: Decimal = values["course_hours"] or values["hours"]
        data = {
            "id": course_id(values["course_id"], values["course_title"]),
            "title": values["course_title"],
            "category": values["category"],
            "hours": hours,
            "mode": mode,
            "platform": values["platform"],
            "featured": featured,
            # A blank cell records none; without the column they are not recorded (decision 14).
            "topics": values["topics"] if "topics" in cells else None,
        }
        try:
            return Course.model_validate(data)
        except ValidationError as error:  # pragma: no cover - the cells were checked above
            return _from_validation(error, _COURSE_MODEL_FIELDS)


#: How much of a title the id of a course without one keeps, before the title's digest.
_TITLE_IN_ID: Final = 40


def course_id(course_id: str | None, title: str) -> str:
    """The id of a record's course: its own, or else one made from its title (docs/cli.md).

    A title that is itself a valid id (``BIM技术应用``) is the id. Any other title (one
    with spaces, or longer than an id may be) is named by as much of it as an id can
    hold, its spaces made ``_``, and a digest of the whole title: two titles are never
    one course, and one title is always the same course.
    """
    if course_id is not None:
        return course_id
    try:
        if parse_id(title) == title:
            return title
    except CellError:
        pass
    digest = hashlib.sha256(title.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{'_'.join(title.split())[:_TITLE_IN_ID]}#{digest}"


_COURSE_FIELDS: Final = (
    "course_id", "course_title", "category", "hours", "course_hours", "mode", "platform",
    "featured", "topics",
)  # fmt: skip
_ENTRY_FIELDS: Final = (
    "person_id", "entry_id", "hours", "course_hours", "role", "completed_on", "credited_year",
    "certificate_no", "status",
)  # fmt: skip
_PERSON_FIELDS: Final = ("name", "unit", "city", "industry")
_ORDER: Final = {
    name: i
    for i, name in enumerate(
        ("person_id", "name", "unit", "city", "industry", "entry_id", "course_id",
         "course_title", "category", "hours", "course_hours", "mode", "platform", "featured",
         "topics", "role", "completed_on", "credited_year", "certificate_no", "status")
    )
}  # fmt: skip


def _column_order(problem: Problem) -> int:
    return _ORDER.get(problem.field, len(_ORDER))


#: The record column of each model field, for the problems of a model's validation.
_COURSE_MODEL_FIELDS: Final = {
    "id": "course_id", "title": "course_title", "category": "category", "hours": "hours",
    "mode": "mode", "platform": "platform", "featured": "featured", "topics": "topics",
}  # fmt: skip
_ENTRY_MODEL_FIELDS: Final = {
    "id": "entry_id", "person_id": "person_id", "role": "role", "completed_on": "completed_on",
    "hours": "hours", "credited_year": "credited_year", "certificate_no": "certificate_no",
    "status": "status",
}  # fmt: skip


def _from_validation(
    error: ValidationError, fields: Mapping[str, str]
) -> list[Problem]:  # pragma: no cover - see callers
    """A model's refusal as problems of record columns, each in both languages."""
    problems = []
    for detail in error.errors(include_url=False):
        loc = detail["loc"]
        field = fields.get(str(loc[0]), "(row)") if loc else "(row)"
        cause = detail.get("ctx", {}).get("error")
        if isinstance(cause, CellError):
            problems.append(
                Problem(
                    field=field, value=_shown(cause.value), code=cause.code, message=cause.message
                )
            )
            continue
        text = str(detail["msg"])
        problems.append(
            Problem(
                field=field,
                code=detail["type"],
                message=Message(zh=f"该值未通过校验：{text}", en=text),
            )
        )
    return problems
