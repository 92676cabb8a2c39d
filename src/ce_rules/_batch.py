"""Batch evaluation: a stream of records in, one verdict per person out, nothing lost.

``evaluate_many`` takes entries as ``CreditEntry`` objects or as flat records (plain
mappings with the columns of ``docs/cli.md``, in English or Chinese), groups them by
person and yields one ``BatchVerdict`` per person. A record that cannot be read is
never dropped and never aborts the batch: it becomes an ``InvalidRecord`` naming its
source, line, field and reason, and the verdict of the person it belonged to says so.
Every record ends up counted, excluded with a reason, or reported invalid, and
``BatchTotals`` proves it: ``records == counted + excluded + invalid``.

This module only translates records into the model; every rule lives in the engine.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from itertools import accumulate, chain, compress, count, groupby, pairwise, repeat
from operator import is_, itemgetter
from typing import Any, Final, NamedTuple

from pydantic import BaseModel, ValidationError

from ._engine import RequirementMemo, evaluate, resolve_policy
from ._engine import judge as judge_year
from ._exceptions import EvaluationInputError
from ._model import (
    FROZEN,
    ID_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Category,
    Course,
    CreditEntry,
    EntryFields,
    EntryStatus,
    Mode,
    Person,
    PublicTopic,
    Role,
    UnitLevel,
)
from ._policy import Policy
from ._verdict import Reason, Status, Verdict, construct

__all__ = [
    "COLUMNS",
    "BatchResult",
    "BatchTotals",
    "BatchVerdict",
    "InputRecord",
    "InvalidRecord",
    "RowBlock",
    "Translator",
    "evaluate_many",
    "evaluate_part",
    "normalise_header",
]


class Column(NamedTuple):
    """One column of a flat record: its English name, Chinese headers and meaning.

    Attributes:
        name: The English column name (the key of a record mapping).
        zh: The Chinese headers accepted for it, the first one preferred.
        required: Whether every entry record must have it.
        description: What it holds, for the documentation and the JSON Schema.
    """

    name: str
    zh: tuple[str, ...]
    required: bool
    description: str


#: The columns of an entry record (docs/cli.md has the same table).
COLUMNS: Final = (
    Column("person_id", ("身份证号", "证件号码", "人员编号"), True, "the person (resident ID)"),
    Column("name", ("姓名",), False, "the person's name, for display"),
    Column("unit", ("单位级别", "单位层级"), False, "省直单位/provincial or 市属单位/municipal"),
    Column("city", ("所在市", "城市"), False, "the city of a municipal unit"),
    Column("industry", ("行业", "行业主管部门"), False, "the industry authority"),
    Column("entry_id", ("记录编号", "学时记录编号"), False, "the record's own id"),
    Column("course_id", ("课程编号", "课程代码"), True, "the course id"),
    Column("course_title", ("课程名称",), True, "the course title"),
    Column("category", ("科目类别", "科目"), True, "公需科目/public or 专业科目/professional"),
    Column("hours", ("学时",), True, "the hours of this entry (exact decimal)"),
    Column("course_hours", ("课程学时",), False, "the course's hours if more than `hours`"),
    Column("mode", ("学习形式", "学习方式"), False, "远程教育/online or 线下培训/offline"),
    Column("platform", ("学习平台", "平台"), False, "the online learning platform"),
    Column("featured", ("是否优质在线公需课", "优质在线公需课"), False, "是/否, true/false"),
    Column("topics", ("专题", "课程专题"), False, "public-subject topics, separated by ;"),
    Column("role", ("角色", "身份"), False, "学员/learner (default) or 授课教师/instructor"),
    Column("completed_on", ("完成日期", "结业日期"), True, "YYYY-MM-DD (also YYYY/MM/DD)"),
    Column("credited_year", ("培训年度", "学时年度"), False, "the year credited (make-up study)"),
    Column("certificate_no", ("证书编号",), False, "the certificate number"),
    Column("status", ("审核状态", "状态"), False, "已审核/approved (default), 待审核/pending, ..."),
)

_HEADER_SPACE: Final = re.compile(r"[\s\ufeff_\-（）()]+")
_HEADERS: Final = {
    _HEADER_SPACE.sub("", alias).lower(): column.name
    for column in COLUMNS
    for alias in (column.name, *column.zh)
}


def normalise_header(header: str) -> str | None:
    """The English column name for a header in English or Chinese, or None if unknown."""
    return _HEADERS.get(_HEADER_SPACE.sub("", header).lower())


def _values(pairs: dict[str, Any]) -> dict[str, Any]:
    return {_HEADER_SPACE.sub("", k).lower(): v for k, v in pairs.items()}


_CATEGORY: Final = _values(
    {
        "public": Category.PUBLIC,
        "公需科目": Category.PUBLIC,
        "公需": Category.PUBLIC,
        "公需课": Category.PUBLIC,
        "professional": Category.PROFESSIONAL,
        "专业科目": Category.PROFESSIONAL,
        "专业": Category.PROFESSIONAL,
        "专业课": Category.PROFESSIONAL,
    }
)
_MODE: Final = _values(
    {
        "online": Mode.ONLINE,
        "远程教育": Mode.ONLINE,
        "线上": Mode.ONLINE,
        "网络学习": Mode.ONLINE,
        "在线": Mode.ONLINE,
        "offline": Mode.OFFLINE,
        "线下培训": Mode.OFFLINE,
        "线下": Mode.OFFLINE,
        "面授": Mode.OFFLINE,
    }
)
_ROLE: Final = _values(
    {
        "learner": Role.LEARNER,
        "学员": Role.LEARNER,
        "学习者": Role.LEARNER,
        "instructor": Role.INSTRUCTOR,
        "授课教师": Role.INSTRUCTOR,
        "教师": Role.INSTRUCTOR,
        "讲师": Role.INSTRUCTOR,
    }
)
_UNIT: Final = _values(
    {
        "provincial": UnitLevel.PROVINCIAL,
        "省直单位": UnitLevel.PROVINCIAL,
        "省直": UnitLevel.PROVINCIAL,
        "municipal": UnitLevel.MUNICIPAL,
        "市属单位": UnitLevel.MUNICIPAL,
        "市属": UnitLevel.MUNICIPAL,
        "市直": UnitLevel.MUNICIPAL,
    }
)
_STATUS: Final = _values(
    {
        "approved": EntryStatus.APPROVED,
        "已审核": EntryStatus.APPROVED,
        "审核通过": EntryStatus.APPROVED,
        "通过": EntryStatus.APPROVED,
        "pending": EntryStatus.PENDING,
        "待审核": EntryStatus.PENDING,
        "审核中": EntryStatus.PENDING,
        "rejected": EntryStatus.REJECTED,
        "已驳回": EntryStatus.REJECTED,
        "驳回": EntryStatus.REJECTED,
        "审核未通过": EntryStatus.REJECTED,
        "revoked": EntryStatus.REVOKED,
        "已撤销": EntryStatus.REVOKED,
        "撤销": EntryStatus.REVOKED,
    }
)
_BOOL: Final = _values(
    {
        "是": True,
        "true": True,
        "yes": True,
        "y": True,
        "1": True,
        "否": False,
        "false": False,
        "no": False,
        "n": False,
        "0": False,
    }
)
_TOPIC_SPLIT: Final = re.compile(r"[;；、|]")
_DATE: Final = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")

#: The unit level of a person known only from their entries (docs/cli.md, "Persons").
DEFAULT_UNIT: Final = UnitLevel.MUNICIPAL
#: Entries of each bounded cache of the batch (courses, days, roles ...): memory stays flat.
_CACHE_SIZE: Final = 4096


class InvalidRecord(BaseModel):
    """A record that could not be read, with where it came from and why.

    Attributes:
        index: The record's position in the batch input (0-based).
        source: The file it came from, if any.
        line: The line (or spreadsheet row) it starts on, if known.
        person_id: The person it names, if that much could be read.
        field: The column at fault (English name), or ``(row)`` for the whole record.
        value: The offending value, as read.
        reason: Why it is invalid, in English.
        code: A stable code for machines (pydantic's error type or ``row``, ``unsorted``).
    """

    model_config = FROZEN

    index: int
    source: str | None = None
    line: int | None = None
    person_id: str | None = None
    field: str
    value: str | None = None
    reason: str
    code: str


class BatchVerdict(Verdict):
    """A ``Verdict`` from a batch, with the person's records that could not be read.

    Attributes:
        name: The person's name, if a record or the persons given named it.
        invalid_records: The person's records that could not be read; when there are
            any the verdict is incomplete, since the missing entries might have counted.
    """

    name: str | None = None
    invalid_records: tuple[InvalidRecord, ...] = ()

    @property
    def has_invalid_input(self) -> bool:
        """Whether some of the person's records could not be read."""
        return bool(self.invalid_records)


class InputRecord(NamedTuple):
    """A flat record with where it came from, as the file readers produce it.

    Attributes:
        fields: Column name (English or Chinese) to value.
        source: The file, if any.
        line: The line or row the record starts on, if known.
        normalised: Whether ``fields`` already has English names and no empty cells.
    """

    fields: Mapping[str, Any]
    source: str | None = None
    line: int | None = None
    #: Set by readers whose ``fields`` already use the English names and omit empty cells.
    normalised: bool = False


class RowBlock(NamedTuple):
    """Records of one CSV file as rows of cells, the way ce-rules' own reader yields them.

    ``evaluate_many`` takes a block like the ``InputRecord`` of each of its rows; the
    block lets it translate many rows at once. Every row has one cell per column of
    ``header``.

    Attributes:
        source: The file.
        header: The English name of each column, None for a column not read.
        rows: The rows' cells, as read (not stripped).
        lines: The line each row starts on.
    """

    source: str
    header: tuple[str | None, ...]
    rows: list[list[str]]
    lines: Sequence[int]


@dataclass
class BatchTotals:
    """Running totals of a batch; once it is exhausted they add up.

    ``records == counted + excluded + invalid`` always holds after the last verdict.

    Attributes:
        records: Records read (entries and invalid records).
        counted: Entries that count.
        excluded: Entries that do not count (each with a reason in ``by_reason``).
        invalid: Records reported invalid.
        by_reason: Entries per reason code, counted ones included.
        persons: Verdicts issued.
        compliant: Persons compliant.
        non_compliant: Persons non-compliant.
        in_progress: Persons whose year is not over and not yet compliant.
        persons_with_invalid_input: Persons with at least one invalid record.
        defaulted_persons: Persons known only from their entries, given the default unit.
    """

    records: int = 0
    counted: int = 0
    excluded: int = 0
    invalid: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    persons: int = 0
    compliant: int = 0
    non_compliant: int = 0
    in_progress: int = 0
    persons_with_invalid_input: int = 0
    defaulted_persons: int = 0

    @property
    def balanced(self) -> bool:
        """Whether every record is counted, excluded or invalid."""
        return self.records == self.counted + self.excluded + self.invalid

    def as_dict(self) -> dict[str, Any]:
        """The totals as plain JSON-ready data."""
        return {
            "records": self.records,
            "counted": self.counted,
            "excluded": self.excluded,
            "invalid": self.invalid,
            "by_reason": {str(code): n for code, n in sorted(self.by_reason.items())},
            "persons": self.persons,
            "compliant": self.compliant,
            "non_compliant": self.non_compliant,
            "in_progress": self.in_progress,
            "persons_with_invalid_input": self.persons_with_invalid_input,
            "defaulted_persons": self.defaulted_persons,
        }


class _BadRecordError(Exception):
    def __init__(self, field: str, value: Any, reason: str, code: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        self.code = code


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return str(value)


def _id(value: Any) -> Any:
    """An identifier stored as a whole number (JSON, a spreadsheet cell) as its text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _choice(fields: Mapping[str, Any], name: str, table: Mapping[str, Any], default: Any) -> Any:
    raw = _text(fields.get(name))
    if raw is None:
        return default
    found = table.get(raw)  # the usual case: exactly a known value
    if found is None:
        found = table.get(_HEADER_SPACE.sub("", raw).lower())
    if found is None:
        raise _BadRecordError(name, raw, f"unknown value {raw!r}", "enum")
    return found


def _date(value: Any) -> date | str | None:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise _BadRecordError(
                "completed_on", str(value), "must be a date, not a date and time", "date"
            )
        return value.date()
    if isinstance(value, date):
        return value
    raw = _text(value)
    if raw is None:
        return None
    if len(raw) == 10 and raw[4] == raw[7] == "-":
        try:
            return date.fromisoformat(raw)  # the usual case, YYYY-MM-DD
        except ValueError:
            pass  # the pattern below names the fault
    match = _DATE.match(raw)
    if match is None:
        return raw  # left to the model, which names the fault
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as error:
        raise _BadRecordError("completed_on", raw, str(error), "date") from None


def _int(name: str, value: Any) -> Any:
    raw = _text(value)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise _BadRecordError(name, raw, "must be a whole number", "int_parsing") from None


def _keyed(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The record with English keys; unknown columns are ignored."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        name = key if key in _NAMES else normalise_header(str(key))
        if name is not None and (value is not None and value != ""):
            out.setdefault(name, value)
    return out


_NAMES: Final = frozenset(c.name for c in COLUMNS)
_COURSE_FIELDS: Final = {"id": "course_id", "title": "course_title", "hours": "course_hours"}


class _Reader:
    """Turns flat records into entries, validating each distinct course once."""

    def __init__(self) -> None:
        self.courses: dict[tuple[Any, ...], Course] = {}

    def course(self, fields: Mapping[str, Any]) -> Course:
        course_hours = fields.get("course_hours")
        hours_field = "course_hours" if course_hours is not None else "hours"
        key = (
            fields.get("course_id"),
            fields.get("course_title"),
            fields.get("category"),
            fields.get(hours_field),
            fields.get("mode"),
            fields.get("platform"),
            fields.get("featured"),
            fields.get("topics"),
        )
        cached = self.courses.get(key)
        if cached is not None:
            return cached
        category = _choice(fields, "category", _CATEGORY, None)
        platform = _text(fields.get("platform"))
        # Decision (docs/cli.md): without a mode column, a course with a platform is online.
        mode = _choice(fields, "mode", _MODE, Mode.ONLINE if platform else Mode.OFFLINE)
        topics_raw = _text(fields.get("topics"))
        topics = [t for t in _TOPIC_SPLIT.split(topics_raw) if t.strip()] if topics_raw else []
        data = {
            "id": _id(fields.get("course_id")),
            "title": _id(fields.get("course_title")),
            "category": category,
            "hours": fields.get(hours_field),
            "mode": mode,
            "platform": platform,
            "featured": _choice(fields, "featured", _BOOL, False),
            "topics": topics,
        }
        try:
            course = Course.model_validate(data)
        except ValidationError as error:
            raise _from_validation(error, {**_COURSE_FIELDS, "hours": hours_field}, data) from None
        if len(self.courses) >= _CACHE_SIZE:
            self.courses.clear()  # bounded: memory stays flat however many courses pass
        self.courses[key] = course
        return course

    def entry(self, fields: Mapping[str, Any]) -> CreditEntry:
        course = self.course(fields)
        data = {
            "id": _text(fields.get("entry_id")),
            "person_id": _id(fields.get("person_id")),
            "course": course,
            "role": _choice(fields, "role", _ROLE, Role.LEARNER),
            "completed_on": _date(fields.get("completed_on")),
            "hours": fields.get("hours") if fields.get("course_hours") is not None else None,
            "credited_year": _int("credited_year", fields.get("credited_year")),
            "certificate_no": _text(fields.get("certificate_no")),
            "status": _choice(fields, "status", _STATUS, EntryStatus.APPROVED),
        }
        try:
            return CreditEntry.model_validate(data)
        except ValidationError as error:
            raise _from_validation(error, {"id": "entry_id"}, data) from None


_PREFIX: Final = re.compile(r"^([a-z_]+): ")


def _from_validation(
    error: ValidationError, rename: Mapping[str, str], data: Any
) -> _BadRecordError:
    first = error.errors(include_url=False)[0]
    loc = first["loc"]
    message = first["msg"].removeprefix("Value error, ")
    name = str(loc[0]) if loc else ""
    if not name:
        # A model-level check names its field at the start of the message.
        match = _PREFIX.match(message)
        name = match[1] if match else "(row)"
    value = data.get(name) if isinstance(data, Mapping) and loc else None
    return _BadRecordError(rename.get(name, name), value, message, first["type"])


class _Group:
    """One person's records so far: entries, invalid records, and who the records say they are."""

    __slots__ = ("entries", "invalid", "name", "person", "person_id")

    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        self.entries: list[EntryFields] = []
        self.invalid: list[InvalidRecord] = []
        self.person: Person | None = None
        self.name: str | None = None


class BatchResult(Iterator[BatchVerdict]):
    """The verdicts of a batch, produced lazily, with its invalid records and totals.

    Iterate it to get one ``BatchVerdict`` per person. ``invalid_records`` holds every
    record that could not be read (those of a known person also appear in that
    person's verdict); ``totals`` add up once the iteration is over.

    Attributes:
        year: The year judged.
        policy: The policy applied.
        invalid_records: Every invalid record so far, in input order.
        totals: The running totals.
    """

    def __init__(self, verdicts: Iterator[BatchVerdict], year: int, policy: Policy) -> None:
        self._verdicts = verdicts
        self.year = year
        self.policy = policy
        self.invalid_records: list[InvalidRecord] = []
        self.totals = BatchTotals()

    def __iter__(self) -> BatchResult:
        return self

    def __next__(self) -> BatchVerdict:
        return next(self._verdicts)


def evaluate_many(
    entries: Iterable[CreditEntry | Mapping[str, Any] | InputRecord | InvalidRecord | RowBlock],
    *,
    year: int,
    persons: Iterable[Person] | Mapping[str, Person] | None = None,
    policy: Policy | str | None = None,
    as_of: date | None = None,
    presorted: bool = False,
) -> BatchResult:
    """Judge many persons' years from one stream of entries.

    Each item is a ``CreditEntry``, a flat record (a mapping with the columns of
    docs/cli.md, English or Chinese names), an ``InputRecord`` (a record with its
    file and line), an ``InvalidRecord`` a reader could not parse, or a ``RowBlock``
    of CSV rows (taken as the ``InputRecord`` of each row, only faster). Records are
    grouped by person and each person's entries go through ``evaluate``.

    Persons come from ``persons`` when given. Otherwise a person is built from their
    first record that names a unit level (with its name, city and industry); a person
    no record describes gets the default: ``Person(id=..., unit=municipal)``, so the
    provincial platform rule (二(二)) does not apply to them. A person of ``persons``
    without any record is judged too, after the others, with no hours.

    Memory: with ``presorted=True`` the input must list each person's records
    together (any order of persons); verdicts are issued as each person's run ends,
    so memory holds one person's entries plus the set of person ids already judged.
    A record for a person already judged is reported invalid (code ``unsorted``),
    never silently judged twice. With ``presorted=False`` (the default) any order is
    accepted: every valid entry is held until the input ends (about 1.5 KB each).

    Args:
        entries: The records.
        year: The calendar year to judge.
        persons: The persons, as an iterable or a mapping by id.
        policy: A ``Policy``, a bundled policy id, or None for the year's Shandong one.
        as_of: The day the verdicts speak for (see ``evaluate``).
        presorted: Whether each person's records come together (streaming).

    Returns:
        A ``BatchResult``: iterate it for the verdicts; it holds the invalid records
        and the totals.

    Raises:
        EvaluationInputError: ``year`` or ``as_of`` is invalid, or ``persons``
            describes one person twice, differently.
        PolicyNotFoundError: No policy governs ``year`` and none was given.
    """
    rules = resolve_policy(policy, year)
    if persons is None:
        known: Mapping[str, Person] = {}
    elif isinstance(persons, Mapping):
        known = persons
    else:
        by_id: dict[str, Person] = {}
        for person in persons:
            if by_id.setdefault(person.id, person) != person:
                # Two different descriptions of one person: neither may silently win.
                raise EvaluationInputError(
                    "persons", person.id, "describes this person twice, differently"
                )
        known = by_id
    # Fail on a bad year or date now, not at the first verdict.
    evaluate(Person(id="-", unit=DEFAULT_UNIT), (), year=year, policy=rules, as_of=as_of)
    result = BatchResult(iter(()), year, rules)
    result._verdicts = _run(result, entries, year, known, rules, as_of, presorted, Translator(), {})
    return result


def evaluate_part(
    items: Iterable[RowBlock | InvalidRecord],
    *,
    year: int,
    policy: Policy,
    as_of: date | None,
    translator: Translator,
    memo: RequirementMemo,
) -> BatchResult:
    """``evaluate_many(items, presorted=True)`` for one part of a file (``_parallel``).

    The caller has checked ``year`` and ``as_of`` and resolved ``policy`` (as
    ``evaluate_many`` does). ``translator`` and ``memo`` (the requirement results already
    built, for this policy) are reused from part to part, so that what they hold is not
    made again for each part.
    """
    result = BatchResult(iter(()), year, policy)
    result._verdicts = _run(result, items, year, {}, policy, as_of, True, translator, memo)
    return result


#: One record translated: person id, entry, invalid record, the person it describes
#: (a ``Person``, or just a name), and its file and line.
_Translated = tuple[
    str | None,
    CreditEntry | None,
    InvalidRecord | None,
    Person | str | None,
    str | None,
    int | None,
]


class _Run(NamedTuple):
    """Consecutive records of one person (or, ``person_id`` None, of no readable person).

    Attributes:
        person_id: The person.
        entries: The valid entries, in order.
        invalid: The invalid records, in order.
        described: What the records say of the person, in order, repeats left out.
        first: The batch index of the first record.
        size: The number of records.
        source: Their file, if any.
        lines: Each record's line, if known.
        invalid_at: The offsets (from ``first``) of the invalid records.
    """

    person_id: str | None
    entries: list[Any]
    invalid: list[InvalidRecord]
    described: list[Person | str | None]
    first: int
    size: int
    source: str | None
    lines: Sequence[int | None]
    invalid_at: list[int]


class CourseRow(NamedTuple):
    """A valid course as a batch keeps it: the fields of ``Course``, as a named tuple.

    Made from a validated ``Course`` once per distinct course of a file; the engine reads
    it as fast as any tuple (a pydantic model's fields are read through its
    ``__getattr__`` hook, which makes each read several times slower).
    """

    id: str
    title: str
    category: Category
    hours: Decimal
    mode: Mode
    platform: str | None
    featured: bool
    topics: tuple[PublicTopic | str, ...]


class EntryRow(NamedTuple):
    """A valid entry as a batch keeps it: the fields of ``CreditEntry``, as a named tuple.

    Built from a CSV row only when every value is one the ``CreditEntry`` validators
    accept unchanged (tests/test_batch_rows.py checks that they agree), it costs a
    tenth of a model and the engine reads it the same way. It never leaves the batch:
    verdicts describe entries in their own terms.
    """

    id: str | None
    person_id: str
    course: CourseRow
    role: Role
    completed_on: date
    hours: Decimal | None
    credited_year: int | None
    certificate_no: str | None
    status: EntryStatus

    @property
    def effective_hours(self) -> Decimal:
        """The hours of this entry before any credit factor."""
        return self.course.hours if self.hours is None else self.hours

    @property
    def year(self) -> int:
        """The year the entry is credited to."""
        return self.completed_on.year if self.credited_year is None else self.credited_year


_new_tuple: Final = tuple.__new__
# Enum members read once per person, as constants: a member lookup costs more.
_COMPLIANT: Final = Status.COMPLIANT
_IN_PROGRESS: Final = Status.IN_PROGRESS
_COUNTED: Final = Reason.COUNTED

_COURSE_COLUMNS: Final = (
    "course_id", "course_title", "category", "hours", "mode", "platform", "featured", "topics",
)  # fmt: skip
_PERSON_COLUMNS: Final = ("person_id", "name", "unit", "city", "industry")


class _Lookup(dict[Any, Any]):
    """A bounded cache of ``compute(raw)`` by raw value: what many rows repeat is read once.

    ``compute`` returns None for a value the fast path leaves to the record-by-record one.
    """

    def __init__(self, compute: Any) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, raw: Any) -> Any:
        if len(self) >= _CACHE_SIZE:
            self.clear()  # bounded: memory stays flat however many values pass
        value = self[raw] = self.compute(raw)
        return value


def _cell_choice(name: str, table: Mapping[str, Any], default: Any, raw: str) -> Any:
    """What ``_choice`` makes of one cell of column ``name``."""
    return _choice({name: raw}, name, table, default)


def _fast(compute: Any) -> Any:
    """``compute`` that answers None where the record-by-record path must decide."""

    def attempt(raw: Any) -> Any:
        try:
            return compute(raw)
        except _BadRecordError:
            return None

    return attempt


class Translator:
    """Translates batch items into records (``_Translated``), validating what repeats once.

    ``item`` takes one item of any kind. ``block`` takes a ``RowBlock`` a column at a
    time: cells that many rows share (courses, dates, roles, statuses) are looked up in
    bounded caches filled by the same functions ``item`` uses, and entries are built
    from the validated parts. A row any of whose cells is not plainly valid goes
    through ``item`` instead, so errors are named exactly as for a single record.

    What it keeps depends only on the records read, so one translator can serve one
    batch after another (the parts of a file that one process checks in turn).
    """

    def __init__(self) -> None:
        self.reader = _Reader()
        # Consecutive records of one person repeat the same person columns.
        self.last_raw: tuple[Any, ...] | None = None
        self.last_described: Person | str | None = None
        self.courses = _Lookup(_fast(self._course))
        self.days = _Lookup(_fast(_day))
        self.roles = _Lookup(_fast(partial(_cell_choice, "role", _ROLE, Role.LEARNER)))
        self.units = _Lookup(_fast(partial(_cell_choice, "unit", _UNIT, _NO_UNIT)))
        self.statuses = _Lookup(
            _fast(partial(_cell_choice, "status", _STATUS, EntryStatus.APPROVED))
        )

    def item(self, item: Any, index: int) -> _Translated:
        """One item: an entry, an invalid record, a mapping or an ``InputRecord``."""
        if isinstance(item, CreditEntry):
            return item.person_id, item, None, None, None, None
        if isinstance(item, InvalidRecord):
            invalid = item.model_copy(update={"index": index})
            return item.person_id, None, invalid, None, item.source, item.line
        if isinstance(item, InputRecord):
            fields, source, line, normalised = item
            record = fields if normalised else _keyed(fields)
        elif isinstance(item, Mapping):
            record, source, line = _keyed(item), None, None
        else:
            raise EvaluationInputError(
                f"entries[{index}]", item, "must be a CreditEntry, a mapping or an InputRecord"
            )
        person_id = _text(record.get("person_id"))
        described: Person | str | None = None
        try:
            raw = (
                person_id,
                record.get("name"),
                record.get("unit"),
                record.get("city"),
                record.get("industry"),
            )
            if raw == self.last_raw:
                described = self.last_described
            else:
                described = _describe(record, person_id)
                self.last_raw, self.last_described = raw, described
            return person_id, self.reader.entry(record), None, described, source, line
        except _BadRecordError as bad:
            invalid = InvalidRecord.model_construct(
                index=index,
                source=source,
                line=line,
                person_id=person_id,
                field=bad.field,
                value=_text(bad.value),
                reason=bad.reason,
                code=bad.code,
            )
            return person_id, None, invalid, described, source, line

    def run(self, item: Any, index: int) -> _Run:
        """One item of any kind but ``RowBlock``, as a run of one record."""
        person_id, entry, invalid, described, source, line = self.item(item, index)
        return _Run(
            person_id,
            [] if entry is None else [entry],
            [] if invalid is None else [invalid],
            [described],
            index,
            1,
            source,
            (line,),
            [] if invalid is None else [0],
        )

    def block(self, block: RowBlock, index: int) -> list[_Run]:
        """The records of ``block`` as runs of one person, in order.

        ``index`` is the batch index of the block's first record.
        """
        source, header, rows, lines = block
        size = len(rows)
        if not size:
            return []
        position = {name: i for i, name in enumerate(header) if name is not None}
        columns = list(zip(*rows, strict=True))
        blank = ("",) * size

        def column(name: str) -> Sequence[str]:
            at = position.get(name)
            return blank if at is None else columns[at]

        # One string per run of equal ids, which the person's entries then share: the
        # engine's check that an entry is the person's is an identity test.
        ids, runs_at = _shared(list(map(str.strip, column("person_id"))))
        courses = list(
            map(self.courses.__getitem__, zip(*map(column, _COURSE_COLUMNS), strict=True))
        )
        roles = list(map(self.roles.__getitem__, column("role")))
        days = list(map(self.days.__getitem__, column("completed_on")))
        statuses = list(map(self.statuses.__getitem__, column("status")))
        # Rows the fast path leaves to ``item``: a value it could not take as it is.
        slow: set[int] = set()
        entry_ids = _optional_ids(column("entry_id"), size, slow)
        certificates = _optional_ids(column("certificate_no"), size, slow)
        for values in (courses, roles, days, statuses):
            if any(map(is_, values, repeat(None))):
                slow.update(_where(map(is_, values, repeat(None))))
        lengths = list(map(len, ids))
        if min(lengths) == 0 or max(lengths) > ID_MAX_LENGTH:
            slow.update(i for i, length in enumerate(lengths) if not 0 < length <= ID_MAX_LENGTH)
        for name in ("course_hours", "credited_year"):  # rare: always record by record
            cells = column(name)
            if any(cells):
                slow.update(_where(cells))
        # Who each run of rows with the same person cells describes, read once per run.
        people_cells = list(zip(*map(column, _PERSON_COLUMNS), strict=True))
        described_at = _changes(people_cells)
        described: list[Person | str | None] = []
        for start, stop in pairwise(described_at):
            try:
                described.append(self._person(ids[start], people_cells[start], header, rows[start]))
            except _BadRecordError:
                slow.update(range(start, stop))  # every row of it is invalid
                described.append(None)
        entries: list[Any] = list(
            map(
                _new_tuple,
                repeat(EntryRow),
                zip(entry_ids, ids, courses, roles, days, repeat(None), repeat(None),
                    certificates, statuses),
            )
        )  # fmt: skip
        invalid: dict[int, InvalidRecord] = {}
        # What each row left to ``item`` describes, by row.
        described_slow: dict[int, Person | str | None] = {}
        for i in slow:
            fields = _fields(header, rows[i])
            pid, entry, bad, person, _, _ = self.item(
                InputRecord(fields, source, lines[i], True), index + i
            )
            if (pid or "") != ids[i]:  # never so far: both strip the same cell
                ids[i] = pid or ""
                runs_at = []
            entries[i] = entry
            if bad is not None:
                invalid[i] = bad
            described_slow[i] = person
        runs_at = runs_at or _changes(ids)
        # Usually each person's rows describe them alike: one description per run.
        uniform = runs_at == described_at and all(
            described_slow[i] == described[bisect_right(described_at, i) - 1]
            for i in described_slow
        )
        runs = []
        for number, (start, stop) in enumerate(pairwise(runs_at)):
            if not slow or slow.isdisjoint(range(start, stop)):
                good = entries[start:stop]
                bad_at: list[int] = []
            else:
                good = [e for e in entries[start:stop] if e is not None]
                bad_at = sorted(i - start for i in invalid if start <= i < stop)
            if uniform:
                people = [described[number]]
            else:
                people = _descriptions(described_at, described, described_slow, start, stop)
            runs.append(
                _Run(
                    ids[start] or None,
                    good,
                    [invalid[start + k] for k in bad_at] if bad_at else [],
                    people,
                    index + start,
                    stop - start,
                    source,
                    lines[start:stop],
                    bad_at,
                )
            )
        return runs

    def _person(
        self,
        person_id: str,
        cells: tuple[str, ...],
        header: tuple[str | None, ...],
        row: list[str],
    ) -> Person | str | None:
        """What ``_describe`` makes of ``row``, read from its person ``cells`` if plainly valid.

        Raises:
            _BadRecordError: As ``_describe``.
        """
        texts = list(map(str.strip, cells[1:]))  # person_id is the row's stripped id
        name, unit_cell, city, industry = texts
        unit = self.units[unit_cell]
        if unit is None or max(map(len, texts)) > TEXT_MAX_LENGTH or len(person_id) > ID_MAX_LENGTH:
            return _describe(_fields(header, row), person_id or None)
        if unit is _NO_UNIT or not person_id:
            return name or None
        fields = {
            "id": person_id,
            "name": name or None,
            "unit": unit,
            "city": city or None,
            "industry": industry or None,
        }
        return construct(Person, fields)

    def _course(self, key: tuple[str, ...]) -> CourseRow:
        course = self.reader.course(
            {name: cell for name, cell in zip(_COURSE_COLUMNS, key, strict=True) if cell}
        )
        return _new_tuple(CourseRow, tuple(course.__dict__.values()))


#: A blank unit level: the record names no unit.
_NO_UNIT: Final = object()


def _fields(header: tuple[str | None, ...], row: list[str]) -> dict[str, str]:
    """A row as the record ``item`` takes: column name to cell, without empty cells."""
    return {name: cell for name, cell in zip(header, row, strict=True) if name is not None and cell}


def _optional_ids(
    cells: Sequence[str], count: int, slow: set[int]
) -> Sequence[str | None] | Iterator[None]:
    """Optional identifiers, stripped, blank as None; the rows of overlong ones go to ``slow``."""
    if not any(cells):
        return repeat(None, count)
    stripped = list(map(str.strip, cells))
    if max(map(len, stripped)) > ID_MAX_LENGTH:
        slow.update(i for i, value in enumerate(stripped) if len(value) > ID_MAX_LENGTH)
    return [value or None for value in stripped] if "" in stripped else stripped


def _where(flags: Iterable[Any]) -> list[int]:
    """The positions of the true values of ``flags``."""
    return list(compress(count(), flags))


def _shared(values: list[str]) -> tuple[list[str], list[int]]:
    """``values`` with each run of equal values made of one object, and the runs' bounds."""
    bounds = _changes(values)
    runs = (repeat(values[start], stop - start) for start, stop in pairwise(bounds))
    return list(chain.from_iterable(runs)), bounds


def _changes(values: list[Any]) -> list[int]:
    """Where each run of equal values starts, and the end: ``[0, ..., len(values)]``."""
    runs = map(list, map(itemgetter(1), groupby(values)))  # each run taken before the next
    return [0, *accumulate(map(len, runs))]


def _descriptions(
    described_at: list[int],
    described: list[Person | str | None],
    described_slow: dict[int, Person | str | None],
    start: int,
    stop: int,
) -> list[Person | str | None]:
    """What rows ``start`` to ``stop`` describe, in order, repeats left out."""
    out: list[Person | str | None] = []
    for i in range(start, stop):
        value = (
            described_slow[i]
            if i in described_slow
            else described[bisect_right(described_at, i) - 1]
        )
        if not out or value is not out[-1]:
            out.append(value)
    return out


def _day(raw: str) -> date | None:
    """A completion day read as the record-by-record path reads it, if it is one."""
    value = _date(raw)
    return value if isinstance(value, date) else None


def _run(
    result: BatchResult,
    items: Iterable[CreditEntry | Mapping[str, Any] | InputRecord | InvalidRecord | RowBlock],
    year: int,
    known: Mapping[str, Person],
    rules: Policy,
    as_of: date | None,
    presorted: bool,
    translator: Translator,
    memo: RequirementMemo,
) -> Iterator[BatchVerdict]:
    # ``memo``: requirement results already built, for persons with the same hours.
    totals = result.totals
    by_reason = totals.by_reason
    groups: dict[str, _Group] = {}
    done = _Judged()
    current: _Group | None = None

    def judge(group: _Group) -> BatchVerdict:
        person = known.get(group.person_id) or group.person
        if person is None:
            totals.defaulted_persons += 1
            person = Person.model_construct(id=group.person_id, unit=DEFAULT_UNIT)
        out = judge_year(
            person,
            tuple(group.entries),
            year,
            rules,
            as_of,
            BatchVerdict,
            {"name": person.name or group.name, "invalid_records": tuple(group.invalid)},
            memo,
        )
        totals.persons += 1
        status = out.status
        if status is _COMPLIANT:
            totals.compliant += 1
        elif status is _IN_PROGRESS:
            totals.in_progress += 1
        else:
            totals.non_compliant += 1
        if group.invalid:
            totals.persons_with_invalid_input += 1
        # Reason codes are str: counted under their value. Most entries count, so their
        # reason is counted at once and only the others one by one.
        reasons = out.reasons
        counted = reasons.count(_COUNTED)
        excluded = len(reasons) - counted
        if counted:
            by_reason[_COUNTED] += counted
        if excluded:
            for reason in reasons:
                if reason is not _COUNTED:
                    by_reason[reason] += 1
        totals.counted += counted
        totals.excluded += excluded
        return out

    for run in _runs(items, translator):
        person_id, entries, invalid, described_by, _, size, _, _, invalid_at = run
        totals.records += size
        if invalid:
            result.invalid_records.extend(invalid)
            totals.invalid += len(invalid)
        if person_id is None:
            continue
        if presorted:
            if current is None or current.person_id != person_id:
                if current is not None:
                    done.add(current.person_id)
                    yield judge(current)
                    current = None
                if person_id in done:
                    unsorted = [_unsorted(run, k) for k in range(size) if k not in invalid_at]
                    result.invalid_records.extend(unsorted)
                    totals.invalid += len(unsorted)
                    continue
                current = _Group(person_id)
            group = current
        else:
            group = groups.get(person_id) or groups.setdefault(person_id, _Group(person_id))
        if group.entries:
            group.entries.extend(entries)
        else:
            group.entries = entries  # the run's own list, made for it
        if invalid:
            group.invalid.extend(invalid)
        for described in described_by:
            if described is None or isinstance(described, str):
                if group.name is None:
                    group.name = described
            elif group.person is None:
                group.person = described
    if presorted:
        if current is not None:
            done.add(current.person_id)
            yield judge(current)
        judged = done.__contains__
    else:
        for group in groups.values():
            yield judge(group)
        judged = groups.__contains__
    # A person given without any record has no hours: judged too, never left out of
    # the report (an office lists all its staff to find those who did nothing).
    for person_id in known:
        if not judged(person_id):
            yield judge(_Group(person_id))
    groups.clear()


def _runs(
    items: Iterable[CreditEntry | Mapping[str, Any] | InputRecord | InvalidRecord | RowBlock],
    translator: Translator | None = None,
) -> Iterator[_Run]:
    """Every record of ``items`` translated, in order, in runs of one person (as ``_run``)."""
    translator = translator or Translator()
    index = 0
    for item in items:
        if type(item) is RowBlock:
            yield from translator.block(item, index)
            index += len(item.rows)
        else:
            yield translator.run(item, index)
            index += 1


def _unsorted(run: _Run, offset: int) -> InvalidRecord:
    """Record ``offset`` of ``run``, whose person's verdict was already issued."""
    return InvalidRecord.model_construct(
        index=run.first + offset,
        source=run.source,
        line=run.lines[offset],
        person_id=run.person_id,
        field="person_id",
        value=run.person_id,
        reason="input not sorted by person: this person's verdict was already issued "
        "(sort the input, or do not pass presorted)",
        code="unsorted",
    )


class _Judged:
    """The persons already judged in a streamed batch, in little memory.

    While person ids arrive in ascending order (the usual sorted export), a new id is
    larger than every earlier one and cannot have been judged: only a 64-bit hash per
    person is kept (8 bytes). The first id out of order turns the hashes into a set,
    which later look-ups use (about 60 bytes a person). Two distinct ids with the same
    hash (odds about n²/2⁶⁵, 1 in 4 million for 3 million persons) would report a
    record as unsorted: never silently, never a wrong verdict.
    """

    def __init__(self) -> None:
        self._hashes = array("q")
        self._set: set[int] | None = None
        self._last: str | None = None

    def add(self, person_id: str) -> None:
        if self._set is not None:
            self._set.add(hash(person_id))
        else:
            self._hashes.append(hash(person_id))
        self._last = person_id

    def __contains__(self, person_id: str) -> bool:
        if self._set is None:
            if self._last is None or person_id > self._last:
                return False  # still ascending: a larger id is new
            self._set = set(self._hashes)
            self._hashes = array("q")
        return hash(person_id) in self._set


def _describe(record: Mapping[str, Any], person_id: str | None) -> Person | str | None:
    """The person a record describes (if it names a unit level), or just their name."""
    name = _text(record.get("name"))
    unit = _choice(record, "unit", _UNIT, None)
    if unit is None or person_id is None:
        return name
    data = {
        "id": person_id,
        "name": name,
        "unit": unit,
        "city": _text(record.get("city")),
        "industry": _text(record.get("industry")),
    }
    try:
        return Person.model_validate(data)
    except ValidationError as error:
        raise _from_validation(error, {"id": "person_id"}, data) from None
