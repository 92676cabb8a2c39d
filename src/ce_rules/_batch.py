"""Batch evaluation: many persons' records in, one verdict per person out, nothing lost.

``evaluate_many`` takes records in any order and from any number of sources (entries as
``CreditEntry`` objects, flat mappings with the columns of docs/cli.md, or rows from the
readers), groups them by person and judges each person with ``evaluate``'s engine. The
verdicts come out sorted by person id, so the order of the records and how they were
split over files never change the result. A record that cannot be read is never dropped
and never aborts the batch: it becomes an ``InvalidRecord`` naming its source, line and
every problem, and the verdict of its person says so. ``BatchTotals`` proves that
nothing was lost: ``records == counted + excluded + invalid + skipped``.

Memory: every record is held until the input ends (grouping by person needs them all).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from pydantic import BaseModel

from ._engine import check_as_of, check_year, judge, resolve_policy
from ._engine import evaluate as _evaluate
from ._exceptions import EvaluationInputError
from ._message import Message
from ._model import FROZEN, CreditEntry, Mode, Person, UnitLevel
from ._policy import Policy
from ._readers import BadCell, BrokenRow, RawRow, SkippedRow
from ._records import Built, Described, InvalidRecord, Problem, RecordBuilder, keyed
from ._schema import column
from ._verdict import Finding, Status, Verdict, extend

__all__ = [
    "BatchResult",
    "BatchTotals",
    "BatchVerdict",
    "RecordRef",
    "evaluate_many",
]


class RecordRef(BaseModel):
    """Where an entry of a batch came from.

    Attributes:
        source: The file (xlsx: ``file[sheet]``), if any.
        line: The line or spreadsheet row it starts on, if known.
    """

    model_config = FROZEN

    source: str | None = None
    line: int | None = None


class BatchVerdict(Verdict):
    """A ``Verdict`` from a batch: who the person was taken to be, and their records.

    Attributes:
        person: The person as judged: each fact from the persons given, else from
            what their records say (a fact the records disagree on is left unknown),
            else from the defaults the caller supplied.
        assumed: The facts taken from a default the caller supplied rather than from
            the records or the persons given (``unit``, ``mode``).
        records: Where each entry came from, in the order of ``entries``.
        invalid_records: The person's records that could not be read; when there are
            any the verdict is incomplete, since the missing entries might have counted.
    """

    person: Person
    assumed: tuple[str, ...] = ()
    records: tuple[RecordRef, ...] = ()
    invalid_records: tuple[InvalidRecord, ...] = ()

    @property
    def name(self) -> str | None:
        """The person's name, if known."""
        return self.person.name

    @property
    def has_invalid_input(self) -> bool:
        """Whether some of the person's records could not be read."""
        return bool(self.invalid_records)


@dataclass
class BatchTotals:
    """Totals of a batch; once it is exhausted they add up.

    ``records == counted + excluded + invalid + skipped`` always holds after the last
    verdict.

    Attributes:
        records: Records read: every row of every input, apart from the headers.
        counted: Entries that count (for an undetermined one, those that count at least
            in part).
        excluded: Entries that do not count (each with a reason in ``by_reason``).
        invalid: Records reported invalid.
        skipped: Rows that are not records (title, blank, footer and note rows).
        by_reason: Entries per reason code, counted ones included.
        persons: Verdicts issued.
        compliant: Persons compliant.
        non_compliant: Persons non-compliant.
        in_progress: Persons whose year is not over and not yet compliant.
        undetermined: Persons whose verdict waits for a missing fact.
        persons_with_invalid_input: Persons with at least one invalid record.
        defaulted_persons: Persons judged with a fact taken from a default the caller
            supplied.
    """

    records: int = 0
    counted: int = 0
    excluded: int = 0
    invalid: int = 0
    skipped: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    persons: int = 0
    compliant: int = 0
    non_compliant: int = 0
    in_progress: int = 0
    undetermined: int = 0
    persons_with_invalid_input: int = 0
    defaulted_persons: int = 0

    @property
    def balanced(self) -> bool:
        """Whether every record is counted, excluded, invalid or skipped."""
        return self.records == self.counted + self.excluded + self.invalid + self.skipped

    def as_dict(self) -> dict[str, Any]:
        """The totals as plain JSON-ready data."""
        return {
            "records": self.records,
            "counted": self.counted,
            "excluded": self.excluded,
            "invalid": self.invalid,
            "skipped": self.skipped,
            "by_reason": {str(code): n for code, n in sorted(self.by_reason.items())},
            "persons": self.persons,
            "compliant": self.compliant,
            "non_compliant": self.non_compliant,
            "in_progress": self.in_progress,
            "undetermined": self.undetermined,
            "persons_with_invalid_input": self.persons_with_invalid_input,
            "defaulted_persons": self.defaulted_persons,
        }


class _Group:
    """One person's records: entries with where they came from, invalid records, descriptions."""

    __slots__ = ("assumed", "described", "entries", "invalid", "refs")

    def __init__(self) -> None:
        self.entries: list[CreditEntry] = []
        self.refs: list[RecordRef] = []
        self.invalid: list[InvalidRecord] = []
        self.described: list[tuple[Described, RecordRef]] = []
        self.assumed: set[str] = set()


class BatchResult(Iterator[BatchVerdict]):
    """The verdicts of a batch, sorted by person id, with its invalid records and totals.

    Iterating it reads the whole input first (records of one person may come last),
    then yields one ``BatchVerdict`` per person. ``invalid_records`` holds every record
    that could not be read, ``skipped`` every row that is not a record, and ``totals``
    add up once the iteration is over.

    Attributes:
        year: The year judged.
        policy: The policy applied.
        invalid_records: Every invalid record, in input order.
        skipped: Every row that is not a record (title, blank, footer, note), in input order.
        unknown_fields: Keys of mappings that name no column, in the order first seen.
        totals: The running totals.
        table: For a batch judged in bulk (``evaluate_table``, the command line): the
            engine's frames, one row per decision and one per verdict; else None.
    """

    def __init__(self, verdicts: Iterator[BatchVerdict], year: int, policy: Policy) -> None:
        self._verdicts = verdicts
        self.year = year
        self.policy = policy
        self.invalid_records: list[InvalidRecord] = []
        self.skipped: list[SkippedRow] = []
        self.unknown_fields: list[str] = []
        self.totals = BatchTotals()
        self.table: Any = None

    def __iter__(self) -> BatchResult:
        return self

    def __next__(self) -> BatchVerdict:
        return next(self._verdicts)


Item = CreditEntry | Mapping[str, Any] | RawRow | SkippedRow | BrokenRow | InvalidRecord


def evaluate_many(
    records: Iterable[Item],
    *,
    year: int,
    persons: Iterable[Person] | Mapping[str, Person] | None = None,
    policy: Policy | str | None = None,
    as_of: date | None = None,
    default_unit: UnitLevel | None = None,
    default_mode: Mode | None = None,
    allow_other_year: bool = False,
) -> BatchResult:
    """Judge many persons' years from records in any order.

    Each item is a ``CreditEntry``, a flat record (a mapping with the columns of
    docs/cli.md, English or Chinese keys), a row from a reader (``RawRow``,
    ``SkippedRow``, ``BrokenRow``), or an ``InvalidRecord``. Records are grouped by
    person, whatever their order, and each person's entries are judged as ``evaluate``
    judges them; the verdicts come out sorted by person id.

    Who a person is comes, fact by fact, from ``persons`` when they state it (records
    that say otherwise get a finding); otherwise from what their records say (a unit
    level, city or industry the records disagree on is left unknown, and a finding says
    so). A fact no one gives is never guessed: where it could decide
    whether an entry counts the verdict is ``undetermined`` and names it (domain
    decision 11), unless the caller supplies ``default_unit`` or ``default_mode``, which
    the verdict then lists in ``assumed``. A person of ``persons`` without any record is
    judged too, with no hours.

    Args:
        records: The records.
        year: The calendar year to judge.
        persons: The persons, as an iterable or a mapping by id.
        policy: A ``Policy``, a bundled policy id, or None for the year's Shandong one.
        as_of: The day the verdicts speak for (see ``evaluate``).
        default_unit: The unit level of a person no record or ``persons`` describes.
        default_mode: The mode of a course whose record gives none.
        allow_other_year: Apply a policy given to a year it does not govern (decision
            8); every verdict then says so.

    Returns:
        A ``BatchResult``: iterate it for the verdicts; it holds the invalid records,
        the rows skipped and the totals.

    Raises:
        EvaluationInputError: ``year``, ``as_of`` or a default is invalid, or
            ``persons`` describes one person twice, differently.
        PolicyNotFoundError: No policy governs ``year`` and none was given.
    """
    year = check_year(year)  # before the policy: "2024" is no year of any policy
    rules = resolve_policy(policy, year, allow_other_year=allow_other_year)
    if default_unit is not None and not isinstance(default_unit, UnitLevel):
        raise EvaluationInputError("default_unit", default_unit, "must be a UnitLevel or None")
    if default_mode is not None and not isinstance(default_mode, Mode):
        raise EvaluationInputError("default_mode", default_mode, "must be a Mode or None")
    known = _persons(persons)
    # Fail on a bad year or date now, not at the first verdict.
    _evaluate(
        Person(id="-"),
        (),
        year=year,
        policy=rules,
        as_of=check_as_of(as_of),
        allow_other_year=allow_other_year,
    )
    result = BatchResult(iter(()), year, rules)
    result._verdicts = _run(result, records, known, rules, as_of, default_unit, default_mode)
    return result


def _persons(persons: Iterable[Person] | Mapping[str, Person] | None) -> Mapping[str, Person]:
    if persons is None:
        return {}
    if isinstance(persons, Mapping):
        for person in persons.values():
            _check_person(person)
        return persons
    if isinstance(persons, str | bytes) or not isinstance(persons, Iterable):
        raise EvaluationInputError(
            "persons",
            type(persons).__name__,
            "must be Person objects, or a mapping of id to Person",
        )
    by_id: dict[str, Person] = {}
    for person in persons:
        _check_person(person)
        if by_id.setdefault(person.id, person) != person:
            # Two different descriptions of one person: neither may silently win.
            raise EvaluationInputError(
                "persons", person.id, "describes this person twice, differently"
            )
    return by_id


def _check_person(person: object) -> None:
    if not isinstance(person, Person):
        raise EvaluationInputError(
            "persons",
            type(person).__name__,
            "must hold ce_rules.Person objects (for a table of persons, one Person a row;"
            " a file of persons is read by ce-rules check --persons)",
        )


def _run(
    result: BatchResult,
    items: Iterable[Item],
    known: Mapping[str, Person],
    rules: Policy,
    as_of: date | None,
    default_unit: UnitLevel | None,
    default_mode: Mode | None,
) -> Iterator[BatchVerdict]:
    totals = result.totals
    groups: dict[str, _Group] = {}
    builder = RecordBuilder(default_mode=default_mode)
    unknown_seen: set[str] = set()
    for index, item in enumerate(items):
        totals.records += 1
        if isinstance(item, SkippedRow):
            totals.skipped += 1
            result.skipped.append(item)
            continue
        if isinstance(item, CreditEntry):
            group = groups.get(item.person_id) or groups.setdefault(item.person_id, _Group())
            group.entries.append(item)
            group.refs.append(_NOWHERE)
            continue
        built, invalid = _read(item, index, builder, result, unknown_seen)
        if invalid is not None:
            totals.invalid += 1
            result.invalid_records.append(invalid)
            if invalid.person_id is not None:
                group = groups.get(invalid.person_id) or groups.setdefault(
                    invalid.person_id, _Group()
                )
                group.invalid.append(invalid)
            continue
        assert built is not None
        ref = (
            _NOWHERE if isinstance(item, Mapping) else RecordRef(source=item.source, line=item.line)
        )
        group = groups.get(built.person_id) or groups.setdefault(built.person_id, _Group())
        group.entries.append(built.entry)
        group.refs.append(ref)
        group.described.append((built.described, ref))
        group.assumed.update(built.assumed)
    for person_id in known:
        # A person given without any record has no hours: judged too, never left out of
        # the report (an office lists all its staff to find those who did nothing).
        groups.setdefault(person_id, _Group())
    for person_id in sorted(groups):
        group = groups.pop(person_id)
        yield _judge(person_id, group, known.get(person_id), rules, result, as_of, default_unit)


_NOWHERE: Final = RecordRef()


def _read(
    item: Any, index: int, builder: RecordBuilder, result: BatchResult, unknown_seen: set[str]
) -> tuple[Built | None, InvalidRecord | None]:
    """A record's entry, or the invalid record it is."""
    if isinstance(item, InvalidRecord):
        return None, item.model_copy(update={"index": index})
    if isinstance(item, BrokenRow):
        problem = Problem(
            field="(row)", value=item.text or None, code=item.code, message=item.message
        )
        return None, InvalidRecord(
            index=index, source=item.source, line=item.line, problems=(problem,)
        )
    source: str | None = None
    line: int | None = None
    if isinstance(item, RawRow):
        cells: Mapping[str, Any] = item.cells
        source, line = item.source, item.line
    elif isinstance(item, Mapping):
        cells, unknown = keyed(item)
        for key in unknown:
            if key not in unknown_seen:
                unknown_seen.add(key)
                result.unknown_fields.append(key)
    else:
        raise EvaluationInputError(
            f"records[{index}]", item, "must be a CreditEntry, a mapping or a row of a reader"
        )
    bad = [
        Problem(field=name, code=value.code, message=value.message)
        for name, value in cells.items()
        if isinstance(value, BadCell)
    ]
    built = builder.build({k: v for k, v in cells.items() if not isinstance(v, BadCell)})
    if isinstance(built, Built) and not bad:
        return built, None
    # A cell that is not a cell (a JSON list) was left out of the build: its column is
    # not also "required".
    named = {p.field for p in bad}
    problems = bad + (
        [] if isinstance(built, Built) else [p for p in built if p.field not in named]
    )
    person_id = built.person_id if isinstance(built, Built) else _person_id(cells)
    return None, InvalidRecord(
        index=index, source=source, line=line, person_id=person_id, problems=tuple(problems)
    )


def _person_id(cells: Mapping[str, Any]) -> str | None:
    """The record's person, if that much can be read."""
    problems: list[Problem] = []
    value = RecordBuilder()._cell("person_id", cells, problems)
    return value if isinstance(value, str) else None


def _judge(
    person_id: str,
    group: _Group,
    given: Person | None,
    rules: Policy,
    result: BatchResult,
    as_of: date | None,
    default_unit: UnitLevel | None,
) -> BatchVerdict:
    totals = result.totals
    findings: list[Finding] = []
    assumed = set(group.assumed)
    person, conflicts, defaulted = person_of(person_id, given, group.described, default_unit)
    findings.extend(conflicts)
    if defaulted:
        assumed.add("unit")
    for fact in sorted(assumed):
        findings.append(_assumption(fact, person.unit))
    verdict = judge(person, tuple(group.entries), result.year, rules, as_of)
    out = extend(
        verdict,
        BatchVerdict,
        built={"findings": verdict.findings + tuple(findings)} if findings else None,
        person=person,
        assumed=tuple(sorted(assumed)),
        records=tuple(group.refs),
        invalid_records=tuple(group.invalid),
    )
    totals.persons += 1
    if out.status is Status.COMPLIANT:
        totals.compliant += 1
    elif out.status is Status.IN_PROGRESS:
        totals.in_progress += 1
    elif out.status is Status.UNDETERMINED:
        totals.undetermined += 1
    else:
        totals.non_compliant += 1
    if group.invalid:
        totals.persons_with_invalid_input += 1
    if assumed:
        totals.defaulted_persons += 1
    for decision in out.entries:
        totals.by_reason[decision.reason] += 1
        if decision.counted:
            totals.counted += 1
        else:
            totals.excluded += 1
    return out


#: The facts of a person that records may give, with their display.
_FACTS: Final = ("unit", "city", "industry")
#: Decision 11 of docs/concepts.md: a fact that could change whether an entry counts is
#: never guessed.
_DECISION_11: Final = 11


def conflicts_on(findings: list[Finding], fact: str) -> bool:
    """Whether ``findings`` report records disagreeing on ``fact``."""
    return any(f.code == f"conflicting_{fact}" for f in findings)


def person_of(
    person_id: str,
    given: Person | None,
    described: list[tuple[Described, RecordRef]],
    default_unit: UnitLevel | None,
) -> tuple[Person, list[Finding], bool]:
    """Who a person is: each fact from the persons ``given``, else their records, else the default.

    A fact the persons given state wins, with a finding where records say otherwise; one
    they leave blank is what the records say when they agree (``_described``: unknown,
    with a finding, where they disagree); the default unit applies where neither gives a
    unit and the records do not disagree on it (docs/cli.md, "Persons"). Returned: the
    person, the findings, and whether the default applied.
    """
    person, findings = _described(person_id, described)
    if given is not None:
        blank = [f for f in ("name", *_FACTS) if getattr(given, f) is None]
        open_codes = {f"conflicting_{fact}" for fact in blank}
        findings = [f for f in findings if f.code in open_codes]
        findings += _disagreements(given, described)
        filled = {f: getattr(person, f) for f in blank if getattr(person, f) is not None}
        person = given.model_copy(update=filled) if filled else given
    if person.unit is None and default_unit is not None and not conflicts_on(findings, "unit"):
        return person.model_copy(update={"unit": default_unit}), findings, True
    return person, findings, False


def _described(
    person_id: str, described: list[tuple[Described, RecordRef]]
) -> tuple[Person, list[Finding]]:
    """The person as their records describe them; a fact they disagree on is left unknown.

    Of several names, the first is the person's, and a finding names them all: a name
    changes no hours, but another name under one ID is how a mistyped ID shows.
    """
    names: dict[str, RecordRef] = {}
    for description, ref in described:
        if description.name is not None:
            names.setdefault(description.name, ref)
    name = next(iter(names), None)
    values: dict[str, Any] = {}
    findings = [_conflict("name", names)] if len(names) > 1 else []
    for fact in _FACTS:
        seen: dict[Any, RecordRef] = {}
        for description, ref in described:
            value = getattr(description, fact)
            if value is not None:
                seen.setdefault(value, ref)
        if len(seen) == 1:
            values[fact] = next(iter(seen))
        elif len(seen) > 1:
            values[fact] = None
            findings.append(_conflict(fact, seen))
    person = Person(id=person_id, name=name, **values)
    return person, findings


def _disagreements(given: Person, described: list[tuple[Described, RecordRef]]) -> list[Finding]:
    """Findings for records that describe a person otherwise than the persons given.

    Only the facts the persons given state are compared: a blank one is the records'.
    """
    findings = []
    for fact in ("name", *_FACTS):
        value = getattr(given, fact)
        if value is None:
            continue
        others: dict[Any, RecordRef] = {}
        for description, ref in described:
            said = getattr(description, fact)
            if said is not None and said != value:
                others.setdefault(said, ref)
        if others:
            findings.append(_conflict(fact, {value: _NOWHERE, **others}, given=True))
    return findings


def _show(value: Any) -> Message:
    if value is None:
        return Message(zh="（空）", en="(blank)")
    label = getattr(value, "label", None)
    if isinstance(label, str):
        return Message(zh=label, en=str(value))
    return Message(zh=str(value), en=str(value))


def _where(ref: RecordRef) -> str:
    if ref.source is None:
        return ""
    return f" ({ref.source}:{ref.line})" if ref.line is not None else f" ({ref.source})"


def _conflict(fact: str, seen: Mapping[Any, RecordRef], *, given: bool = False) -> Finding:
    col = column(fact)
    said_zh = "、".join(f"{_show(v).zh}{_where(r)}" for v, r in seen.items())
    said_en = ", ".join(f"{_show(v).en}{_where(r)}" for v, r in seen.items())
    if fact == "name":
        # A name changes no hours (no decision is taken on it): the name kept is shown,
        # and the ID is to be checked.
        kept_zh, kept_en = (
            ("以人员名单为准", "the persons given are used")
            if given
            else ("显示第一个", "the first is shown")
        )
        text = Message(
            zh=f"{'人员名单与记录' if given else '同一身份证号的记录'}中的姓名不一致：{said_zh}；"
            f"{kept_zh}；请核对身份证号是否填错",
            en=f"{'the persons given and the records' if given else 'the records of one ID'} "
            f"give different names: {said_en}; {kept_en}; check that the ID is not mistyped",
        )
        return Finding(code="conflicting_name", message=text)
    if given:
        text = Message(
            zh=f"人员名单的{col.label}与记录不一致：{said_zh}；以人员名单为准",
            en=f"the persons given and the records disagree on {fact}: {said_en}; "
            "the persons given are used",
        )
    else:
        text = Message(
            zh=f"记录中的{col.label}不一致：{said_zh}；视为未知",
            en=f"the records disagree on {fact}: {said_en}; taken as unknown",
        )
    return Finding(code=f"conflicting_{fact}", decision=_DECISION_11, message=text)


def _assumption(fact: str, unit: UnitLevel | None) -> Finding:
    """The finding of a fact taken from the caller's default (the unit level it gave)."""
    col = column(fact)
    if fact == "unit":
        value = _show(unit)
        text = Message(
            zh=f"记录未给出{col.label}，按给定的默认值视为{value.zh}",
            en=f"no record gives the {fact}; taken as {value.en}, the default supplied",
        )
    else:
        text = Message(
            zh=f"部分记录未给出{col.label}，按给定的默认值处理",
            en=f"some records give no {fact}; the default supplied is used",
        )
    return Finding(code=f"assumed_{fact}", decision=_DECISION_11, message=text)
