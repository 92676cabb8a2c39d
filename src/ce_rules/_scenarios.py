"""Scenario files: a policy's tests as data, read, judged and compared in one place.

A scenario file (TOML) names a policy and a year, and holds scenarios: a person, their
records (inline, or a record file beside the scenario file), the clause the scenario
checks and the verdict expected. ``run`` judges each scenario with the library's own
path (inline entries read by the one record parser and judged by ``evaluate``; a record
file opened by the reader ``ce-rules check`` uses and judged by ``evaluate_many``) and
compares the verdict with what the scenario expects. ``update`` writes the verdicts back
as the expectations: a golden snapshot for a person to review, never a proof.

Nothing here decides a rule: a scenario only states what the policy's rules must give.
The format is described in docs/authoring.md.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from ._batch import evaluate_many
from ._engine import evaluate
from ._exceptions import CeRulesError, PolicyNotFoundError
from ._message import Message
from ._model import CreditEntry, Person
from ._overlay import merge_overlay
from ._policy import Citation, Policy, load_policy, policy_by_id
from ._readers import RecordFileError, open_record_file
from ._records import PersonRowError, Problem, RecordBuilder, person_of_cells
from ._schema import column
from ._verdict import Reason, Status, Verdict, format_hours, grounds
from .sources import decision_numbers

__all__ = [
    "DEFAULT_PERSON_ID",
    "SNAPSHOT_SUFFIX",
    "Mismatch",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "ScenarioResult",
    "Snapshot",
    "discover",
    "load",
    "run",
    "run_file",
    "run_scenario",
    "summary",
    "update",
]

#: The person of a scenario that names none (a resident-ID-shaped number, no one's).
DEFAULT_PERSON_ID: Final = "370102198001011234"
#: Where ``update`` writes a snapshot it cannot write into the file without losing comments.
SNAPSHOT_SUFFIX: Final = ".snapshot.toml"
#: The largest scenario file read: far above any real one, bounded for a wrong path.
MAX_SCENARIO_BYTES: Final = 4 * 1024 * 1024
#: The most entries one inline entry may stand for (``repeat``).
MAX_REPEAT: Final = 10_000

_FILE_KEYS: Final = ("policy", "overlay", "year", "scenario")
_SCENARIO_KEYS: Final = (
    "name", "clause", "decisions", "person", "as_of", "entries", "records", "expect",
)  # fmt: skip
_PERSON_KEYS: Final = ("id", "name", "unit", "city", "industry")
_ENTRY_KEYS: Final = (
    "id", "person_id", "course", "role", "completed_on", "hours", "credited_year",
    "certificate_no", "status", "repeat", "distinct_days",
)  # fmt: skip
_COURSE_KEYS: Final = ("id", "title", "category", "hours", "mode", "platform", "featured", "topics")
#: Expectations on every entry in order: the verdict's list, read from each decision.
_LISTS: Final = ("reasons", "credited", "factors", "would_add", "rules")
_EXPECT_KEYS: Final = (
    "status", "certificate_eligible", *_LISTS, "findings", "requirements", "entry",
)  # fmt: skip
_REQUIREMENT_FIELDS: Final = (
    "required", "earned", "shortfall", "pending", "undetermined", "met", "rounding",
)  # fmt: skip
_ENTRY_FIELDS: Final = ("reason", "credited", "factor", "would_add", "rule")
#: The record column of each inline key, to name a problem of the record parser.
_INLINE_FIELD: Final = {
    "person_id": "person_id", "entry_id": "id", "course_id": "course.id",
    "course_title": "course.title", "category": "course.category", "course_hours": "course.hours",
    "mode": "course.mode", "platform": "course.platform", "featured": "course.featured",
    "topics": "course.topics", "role": "role", "completed_on": "completed_on",
    "credited_year": "credited_year", "certificate_no": "certificate_no", "status": "status",
}  # fmt: skip


class ScenarioError(CeRulesError, ValueError):
    """A scenario file that cannot be read or run: it names the file, scenario and field.

    Attributes:
        source: The scenario file.
        scenario: The scenario (``#3 “its name”``), or None for the file as a whole.
        field: The field at fault (``entries #2: course.hours``), or None.
        message: What is wrong and what to do, in Chinese and English.
    """

    def __init__(
        self, source: str, scenario: str | None, field: str | None, message: Message
    ) -> None:
        self.source = source
        self.scenario = scenario
        self.field = field
        self.message = message
        super().__init__(self.describe("en"))

    def describe(self, lang: str) -> str:
        """The error for people, in ``lang`` (``zh`` or ``en``)."""
        zh = lang == "zh"
        parts = [self.source]
        if self.scenario is not None:
            parts.append(f"场景{self.scenario}" if zh else f"scenario {self.scenario}")
        if self.field is not None:
            parts.append(self.field)
        parts.append(self.message.in_(lang))
        return ("：" if zh else ": ").join(parts)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One expectation the verdict does not meet.

    Attributes:
        field: The expectation (``status``, ``requirements.public_hours.shortfall``,
            ``reasons #2``).
        expected: What the scenario expects, as written in TOML.
        got: What the verdict says, as it would be written.
        rule: The rule that decided the value, where one did.
        citation: That rule's clause.
        decision: The numbered decision the value rests on, where one does.
    """

    field: str
    expected: str
    got: str
    rule: str | None = None
    citation: Citation | None = None
    decision: int | None = None

    def describe(self, lang: str) -> str:
        """``field: expected X, got Y (rule R, clause)`` in ``lang``."""
        rests = grounds(self.citation, self.decision, lang)
        if lang == "zh":
            parts = [f"规则 {self.rule}"] if self.rule else []
            parts += [rests] if rests else []
            tail = f"（{'，'.join(parts)}）" if parts else ""
            return f"{self.field}：应为 {self.expected}，实际为 {self.got}{tail}"
        parts = [f"rule {self.rule}"] if self.rule else []
        parts += [rests] if rests else []
        tail = f" ({', '.join(parts)})" if parts else ""
        return f"{self.field}: expected {self.expected}, got {self.got}{tail}"


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario of a file, its inputs read and checked.

    Attributes:
        source: The scenario file.
        position: Its place in the file, counted from 1.
        name: What it shows, in a sentence.
        clause: The clause (or clauses, ``二(一), 三(一)``) it checks.
        decisions: The numbered decisions it rests on besides its clause.
        policy: The policy it is judged under (with the file's overlay merged).
        year: The year judged.
        as_of: The day the verdict speaks for; None: after the year.
        person: Whose year it is; None where the record file describes the person.
        entries: The inline entries, built by the record parser; None with ``records``.
        records: The record file beside the scenario file; None with inline entries.
        expect: The expectations, checked; None where the scenario has none yet.
        data: The scenario's table as read.
    """

    source: Path
    position: int
    name: str
    clause: str
    decisions: tuple[int, ...]
    policy: Policy
    year: int
    as_of: date | None
    person: Person | None
    entries: tuple[CreditEntry, ...] | None
    records: Path | None
    expect: Mapping[str, Any] | None
    data: Mapping[str, Any]

    @property
    def label(self) -> str:
        """``#3 “its name”``: how messages name the scenario."""
        return f"#{self.position} “{self.name}”"

    @property
    def id(self) -> str:
        """``file: name [clause]``: a stable id, for test collectors."""
        return f"{self.source.stem}: {self.name} [{self.clause}]"


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    """A scenario file read and checked: its policy, year and scenarios.

    Attributes:
        source: The file.
        policy: The policy its scenarios are judged under.
        year: The year judged.
        scenarios: Its scenarios, in file order.
        data: The file as read.
    """

    source: Path
    policy: Policy
    year: int
    scenarios: tuple[Scenario, ...]
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """A scenario judged: the verdict and every expectation it does not meet.

    Attributes:
        scenario: The scenario.
        verdict: The verdict its inputs give.
        mismatches: The expectations not met; empty when the scenario passes.
        snapshot: The expectations the verdict gives (what ``update`` writes).
    """

    scenario: Scenario
    verdict: Verdict
    mismatches: tuple[Mismatch, ...]
    snapshot: Mapping[str, Any]

    @property
    def passed(self) -> bool:
        """Whether the verdict meets every expectation."""
        return not self.mismatches

    def describe(self, lang: str) -> str:
        """The result for people: a failure names every expectation, expected vs got."""
        scenario = self.scenario
        zh = lang == "zh"
        if zh:
            head = f"{'通过' if self.passed else '未通过'} {scenario.source}：场景{scenario.label}"
        else:
            head = (
                f"{'PASS' if self.passed else 'FAIL'} {scenario.source}: scenario {scenario.label}"
            )
        head += f" [{scenario.clause}]"
        if zh:
            head += f"（政策 {scenario.policy.id}，{scenario.year}年度）"
        else:
            head += f" (policy {scenario.policy.id}, {scenario.year})"
        return "\n".join([head, *(f"  {m.describe(lang)}" for m in self.mismatches)])


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What ``update`` wrote for one scenario file.

    Attributes:
        source: The scenario file.
        written: The file written: ``source`` itself, or ``NAME.snapshot.toml`` beside it
            when the expectations could not be written into it without losing comments;
            None when nothing changed.
        changed: How many scenarios' expectations changed.
        why: Why the snapshot went beside the file, or None.
    """

    source: Path
    written: Path | None
    changed: int
    why: Message | None = None

    @property
    def in_place(self) -> bool:
        """Whether the expectations were written into the scenario file itself."""
        return self.written == self.source


# --- reading --------------------------------------------------------------------------


class _At:
    """Where a check is: the file and scenario that every error names."""

    def __init__(self, source: Path, scenario: str | None = None) -> None:
        self.source = source
        self.scenario = scenario

    def error(self, field: str | None, zh: str, en: str) -> ScenarioError:
        return ScenarioError(str(self.source), self.scenario, field, Message(zh=zh, en=en))


_TYPE_NAMES: Final = {
    str: ("文本（加引号）", "a string (in quotes)"),
    int: ("整数", "an integer"),
    bool: ("true 或 false", "true or false"),
    list: ("数组 [...]", "an array [...]"),
    dict: ("表 {...}", "a table {...}"),
    date: ("日期 YYYY-MM-DD（不加引号）", "a date YYYY-MM-DD (no quotes)"),
}


def _typed(at: _At, field: str, value: Any, kind: type) -> Any:
    wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
    if kind is date and isinstance(value, date) and type(value) is not date:
        wrong = True  # a datetime: a day is asked for
    if wrong:
        zh, en = _TYPE_NAMES[kind]
        raise at.error(
            field, f"应为{zh}，实际为 {_toml(value)}", f"must be {en}, got {_toml(value)}"
        )
    return value


def _keys(at: _At, where: str | None, table: Mapping[str, Any], allowed: Sequence[str]) -> None:
    for key in table:
        if key not in allowed:
            field = f"{where}.{key}" if where else key
            known = ", ".join(allowed)
            raise at.error(
                field,
                f"无法识别的键“{key}”；可用：{known}（见 docs/authoring.md）",
                f"unknown key {key!r}; the keys are: {known} (see docs/authoring.md)",
            )


def _required(at: _At, table: Mapping[str, Any], key: str, kind: type, where: str = "") -> Any:
    field = f"{where}{key}"
    if key not in table:
        raise at.error(field, f"缺少必填的“{key}”", f"{key} is required")
    value = _typed(at, field, table[key], kind)
    if kind is str and not value.strip():
        raise at.error(field, "不能为空", "must not be empty")
    return value


_EXACT: Final = re.compile(r"[0-9]+(\.[0-9]+)?")


def _hours(at: _At, field: str, value: Any) -> Decimal:
    """Expected hours: a string of digits ("29.9", "0") or an integer, read exactly.

    Expectations are not record cells: no unit, no full-width digits, zero allowed.
    """
    if isinstance(value, float):
        raise at.error(
            field,
            f'学时请写成带引号的文本（"{value}"）：TOML 小数不是精确值',
            f'write hours as a string ("{value}"): a TOML float is not exact',
        )
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _EXACT.fullmatch(text):
        raise at.error(
            field,
            f'应为学时，如 "29.9" 或 "0"，实际为 {_toml(value)}',
            f'must be hours such as "29.9" or "0", got {_toml(value)}',
        )
    return Decimal(text)


def _read_toml(at: _At, path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_SCENARIO_BYTES + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise at.error(None, f"无法读取文件（{reason}）", f"cannot be read ({reason})") from None
    if len(raw) > MAX_SCENARIO_BYTES:
        raise at.error(
            None,
            f"文件超过 {MAX_SCENARIO_BYTES} 字节，不像场景文件",
            f"is larger than {MAX_SCENARIO_BYTES} bytes: not a scenario file",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise at.error(
            None,
            f"不是 UTF-8 文本（第 {error.start} 字节）；请以 UTF-8 保存",
            f"is not UTF-8 text (byte {error.start}); save it as UTF-8",
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise at.error(None, f"不是有效的 TOML：{error}", f"is not valid TOML: {error}") from None


def _policy(at: _At, data: Mapping[str, Any]) -> Policy:
    value = _required(at, data, "policy", str)
    try:
        if value.endswith(".toml"):
            policy = load_policy(at.source.parent / value)
            if policy.extends is not None:
                # An overlay alone lacks its base's rules: judged under base + overlay,
                # as `ce-rules check --policy` does.
                policy = merge_overlay(policy_by_id(policy.extends), policy)
        else:
            policy = policy_by_id(value)
    except PolicyNotFoundError as error:
        known = ", ".join(error.available) or "-"
        raise at.error(
            "policy",
            f"没有编号为“{value}”的内置政策（已登记：{'、'.join(error.available) or '无'}）；"
            "填写 ce-rules policies 列出的编号，或相对于本文件的 .toml 路径",
            f"no bundled policy has the id {value!r} (registered: {known}); give an id "
            "`ce-rules policies` lists, or a .toml path relative to this file",
        ) from None
    except CeRulesError as error:
        raise at.error(
            "policy",
            f"无法使用政策“{value}”：{error}（填写内置政策编号，见 ce-rules policies，"
            "或相对于本文件的 .toml 路径）",
            f"cannot use policy {value!r}: {error} (give a bundled policy id, see "
            "`ce-rules policies`, or a .toml path relative to this file)",
        ) from None
    if "overlay" in data:
        overlay = _typed(at, "overlay", data["overlay"], str)
        try:
            policy = merge_overlay(policy, load_policy(at.source.parent / overlay))
        except CeRulesError as error:
            raise at.error(
                "overlay",
                f"无法使用叠加规则“{overlay}”：{error}",
                f"cannot use overlay {overlay!r}: {error}",
            ) from None
    return policy


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """The scenario files named: files as given, folders searched for ``*.toml``.

    In a folder, a policy or overlay file (one with ``rules`` and no ``scenario``) and a
    snapshot (``*.snapshot.toml``) are not scenario files: they are returned second, so
    that a caller can say they were left aside. A file named directly is always read.

    Raises:
        ScenarioError: A path does not exist.
    """
    files: list[Path] = []
    aside: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for found in sorted(path.rglob("*.toml")):
                if found.name.endswith(SNAPSHOT_SUFFIX) or _is_policy_file(found):
                    aside.append(found)
                elif found not in files:
                    files.append(found)
        elif path.exists():
            if path not in files:
                files.append(path)
        else:
            raise _At(path).error(None, "文件或文件夹不存在", "no such file or folder")
    return files, aside


def _is_policy_file(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # read as a scenario file, whose error will say what is wrong
    return "scenario" not in data and "rules" in data


def load(path: str | Path, *, expectations: bool = True) -> ScenarioFile:
    """A scenario file read and checked, every scenario's inputs built.

    Args:
        path: The file.
        expectations: Whether every scenario must have ``expect`` (``update`` writes
            them, so it reads files without).

    Raises:
        ScenarioError: The file cannot be read, or something in it is wrong: the error
            names the scenario, the field and what to write instead.
    """
    source = Path(path)
    at = _At(source)
    data = _read_toml(at, source)
    _keys(at, None, data, _FILE_KEYS)
    year = _required(at, data, "year", int)
    policy = _policy(at, data)
    if year not in policy.years:
        years = ", ".join(str(y) for y in policy.years)
        raise at.error(
            "year",
            f"政策 {policy.id} 不适用于 {year} 年度（适用年度：{years}）",
            f"policy {policy.id} does not govern {year} (it governs {years})",
        )
    tables = _required(at, data, "scenario", list)
    if not tables:
        raise at.error("scenario", "没有场景：请添加 [[scenario]]", "no scenario: add [[scenario]]")
    scenarios = []
    names: set[str] = set()
    for position, table in enumerate(tables, start=1):
        scenario = _scenario(source, position, table, policy, year, expectations)
        if scenario.name in names:
            raise _At(source, scenario.label).error(
                "name",
                "与前面的场景同名；请换一个名称",
                "is the name of an earlier scenario; give each its own",
            )
        names.add(scenario.name)
        scenarios.append(scenario)
    return ScenarioFile(source, policy, year, tuple(scenarios), data)


def _scenario(
    source: Path, position: int, table: Any, policy: Policy, year: int, expectations: bool
) -> Scenario:
    at = _At(source, f"#{position}")
    _typed(at, "scenario", table, dict)
    name = _required(at, table, "name", str)
    at = _At(source, f"#{position} “{name}”")
    _keys(at, None, table, _SCENARIO_KEYS)
    clause = _required(at, table, "clause", str)
    decisions = tuple(
        _typed(at, f"decisions #{n}", d, int)
        for n, d in enumerate(_typed(at, "decisions", table.get("decisions", []), list), 1)
    )
    for number in decisions:
        if number not in decision_numbers():
            known = ", ".join(str(n) for n in sorted(decision_numbers()))
            raise at.error(
                "decisions",
                f"没有第{number}项决定；已有：{known}（见 docs/concepts.md）",
                f"there is no decision {number}; the decisions are {known} (docs/concepts.md)",
            )
    as_of = _typed(at, "as_of", table["as_of"], date) if "as_of" in table else None
    if "entries" in table and "records" in table:
        raise at.error(
            "records",
            "entries 与 records 只能二选一：记录写在本文件中，或放在旁边的记录文件里",
            "give entries or records, not both: records inline, or in a file beside this one",
        )
    records = None
    entries = None
    person = None
    if "records" in table:
        name_ = _required(at, table, "records", str)
        records = source.parent / name_
        if "person" in table:
            person = _person(at, table["person"])
    else:
        person = _person(at, table.get("person", {}))
        specs = _typed(at, "entries", table.get("entries", []), list)
        entries = _entries(at, specs, person, year)
    expect = None
    if "expect" in table:
        expect = _expect(at, _typed(at, "expect", table["expect"], dict))
    elif expectations:
        raise at.error(
            "expect",
            "没有预期结果：请写 [scenario.expect]，或运行 ce-rules test --update 生成后审阅",
            "no expectations: write [scenario.expect], or run `ce-rules test --update` "
            "and review what it writes",
        )
    return Scenario(
        source, position, name, clause, decisions, policy, year, as_of, person, entries,
        records, expect, table,
    )  # fmt: skip


def _person(at: _At, table: Any) -> Person:
    """The person: the table's fields read by the persons-list parser, with the defaults."""
    _typed(at, "person", table, dict)
    _keys(at, "person", table, _PERSON_KEYS)
    cells = {"person_id": DEFAULT_PERSON_ID, "unit": "provincial"}
    for key, value in table.items():
        cells["person_id" if key == "id" else key] = value
    try:
        return person_of_cells(cells)
    except PersonRowError as error:
        key = "id" if error.field == "person_id" else error.field
        raise at.error(f"person.{key}", error.reason.zh, error.reason.en) from None


def _entries(at: _At, specs: list[Any], person: Person, year: int) -> tuple[CreditEntry, ...]:
    """Inline entries, each read as a record by the parser ``ce-rules check`` uses."""
    builder = RecordBuilder()
    entries: list[CreditEntry] = []
    for position, spec in enumerate(specs, start=1):
        where = f"entries #{position}"
        _typed(at, where, spec, dict)
        _keys(at, where, spec, _ENTRY_KEYS)
        course = _typed(at, f"{where}: course", spec.get("course", {}), dict)
        _keys(at, f"{where}: course", course, _COURSE_KEYS)
        repeat = _typed(at, f"{where}: repeat", spec.get("repeat", 1), int)
        if not 1 <= repeat <= MAX_REPEAT:
            raise at.error(
                f"{where}: repeat",
                f"应在 1 到 {MAX_REPEAT} 之间，实际为 {repeat}",
                f"must be from 1 to {MAX_REPEAT}, got {repeat}",
            )
        distinct = _typed(at, f"{where}: distinct_days", spec.get("distinct_days", False), bool)
        for key, table in (("hours", spec), ("course.hours", course)):
            hours = table.get(key.removeprefix("course."))
            if isinstance(hours, float):
                raise at.error(
                    f"{where}: {key}",
                    f'学时请写成带引号的文本（"{hours}"）：TOML 小数不是精确值',
                    f'write hours as a string ("{hours}"): a TOML float is not exact',
                )
        cells = _cells(spec, course, position, person, year, distinct)
        first_day = cells["completed_on"]
        for number in range(repeat):
            if distinct:
                if not isinstance(first_day, date):
                    raise at.error(
                        f"{where}: completed_on",
                        "distinct_days 需要日期 YYYY-MM-DD（不加引号）",
                        "distinct_days needs a date YYYY-MM-DD (no quotes)",
                    )
                cells["completed_on"] = first_day + timedelta(days=number)
            built = builder.build(cells)
            if isinstance(built, list):
                raise _problem(at, where, built[0], "hours" in spec)
            entries.append(built.entry)
    return tuple(entries)


def _cells(
    spec: Mapping[str, Any],
    course: Mapping[str, Any],
    position: int,
    person: Person,
    year: int,
    distinct: bool,
) -> dict[str, Any]:
    """An inline entry as the cells of a record: its columns, with the scenario defaults."""
    course_id = course.get("id", f"C-{position}")
    course_hours = course.get("hours", "10")
    default_day = date(year, 1, 1) if distinct else date(year, 5, 1)
    cells: dict[str, Any] = {
        "person_id": spec.get("person_id", person.id),
        "entry_id": spec.get("id"),
        "course_id": course_id,
        "course_title": course.get("title", f"课程 {course_id}"),
        "category": course.get("category"),
        "mode": course.get("mode", "offline"),
        "platform": course.get("platform"),
        "role": spec.get("role"),
        "completed_on": spec.get("completed_on", default_day),
        "credited_year": spec.get("credited_year"),
        "certificate_no": spec.get("certificate_no"),
        "status": spec.get("status"),
    }
    if "hours" in spec:
        cells["hours"] = spec["hours"]
        cells["course_hours"] = course_hours
    else:
        cells["hours"] = course_hours
    # Not featured unless the scenario says so: the default of a Course.
    cells["featured"] = course.get("featured", False)
    if "topics" in course:
        topics = course["topics"]
        # A TOML array is one topic an item; a tuple is what the course cache can key on.
        cells["topics"] = tuple(topics) if isinstance(topics, list) else topics
    return cells


def _problem(at: _At, where: str, problem: Problem, own_hours: bool) -> ScenarioError:
    """A record parser's problem, named by the inline key it comes from."""
    key = _INLINE_FIELD.get(problem.field, problem.field)
    if problem.field == "hours":
        key = "hours" if own_hours else "course.hours"
    value = "" if problem.value is None else f" {problem.value!r}"
    return at.error(
        f"{where}: {key}{value}",
        f"{problem.message.zh}（{column(problem.field).label}）"
        if problem.field in _INLINE_FIELD or problem.field == "hours"
        else problem.message.zh,
        problem.message.en,
    )


def _expect(at: _At, table: Mapping[str, Any]) -> dict[str, Any]:
    """The expectations checked, hours read exactly, values of known codes only."""
    _keys(at, "expect", table, _EXPECT_KEYS)
    out: dict[str, Any] = {}
    if "status" in table:
        out["status"] = _choice(at, "expect.status", table["status"], [s.value for s in Status])
    if "certificate_eligible" in table:
        out["certificate_eligible"] = _typed(
            at, "expect.certificate_eligible", table["certificate_eligible"], bool
        )
    for key in _LISTS:
        if key in table:
            items = _typed(at, f"expect.{key}", table[key], list)
            out[key] = [_list_item(at, key, n, item) for n, item in enumerate(items, 1)]
    if "findings" in table:
        items = _typed(at, "expect.findings", table["findings"], list)
        out["findings"] = [
            _typed(at, f"expect.findings #{n}", f, str) for n, f in enumerate(items, 1)
        ]
    if "requirements" in table:
        requirements = _typed(at, "expect.requirements", table["requirements"], dict)
        out["requirements"] = {
            code: _requirement(at, code, fields) for code, fields in requirements.items()
        }
    if "entry" in table:
        named = _typed(at, "expect.entry", table["entry"], dict)
        out["entry"] = {key: _named_entry(at, key, fields) for key, fields in named.items()}
    return out


def _choice(at: _At, field: str, value: Any, known: list[str]) -> str:
    text = _typed(at, field, value, str)
    if text not in known:
        listed = ", ".join(known)
        raise at.error(
            field,
            f"未知的取值“{text}”；可用：{listed}",
            f"unknown value {text!r}; one of: {listed}",
        )
    return str(text)


def _list_item(at: _At, key: str, number: int, item: Any) -> Any:
    field = f"expect.{key} #{number}"
    if key == "reasons":
        return _choice(at, field, item, [r.value for r in Reason])
    if key == "rules":
        return _typed(at, field, item, str)
    return _hours(at, field, item)


def _requirement(at: _At, code: str, fields: Any) -> dict[str, Any]:
    where = f"expect.requirements.{code}"
    _typed(at, where, fields, dict)
    _keys(at, where, fields, _REQUIREMENT_FIELDS)
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "met":
            out[name] = _typed(at, f"{where}.met", value, bool)
        elif name == "rounding":
            out[name] = _typed(at, f"{where}.rounding", value, str)
        else:
            out[name] = _hours(at, f"{where}.{name}", value)
    return out


def _named_entry(at: _At, key: str, fields: Any) -> dict[str, Any]:
    where = f"expect.entry.{key}"
    _typed(at, where, fields, dict)
    _keys(at, where, fields, _ENTRY_FIELDS)
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "reason":
            out[name] = _choice(at, f"{where}.reason", value, [r.value for r in Reason])
        elif name == "rule":
            out[name] = _typed(at, f"{where}.rule", value, str)
        else:
            out[name] = _hours(at, f"{where}.{name}", value)
    return out


# --- judging --------------------------------------------------------------------------


def _verdict(scenario: Scenario) -> Verdict:
    at = _At(scenario.source, scenario.label)
    if scenario.entries is not None:
        assert scenario.person is not None
        try:
            verdict = evaluate(
                scenario.person,
                scenario.entries,
                year=scenario.year,
                policy=scenario.policy,
                as_of=scenario.as_of,
            )
        except CeRulesError as error:
            raise at.error(None, f"无法判定：{error}", f"cannot be judged: {error}") from None
        if len(verdict.entries) != len(scenario.entries):  # pragma: no cover - evaluate's law
            raise at.error("entries", "有记录未得到判定", "an entry has no decision")
        return verdict
    assert scenario.records is not None
    return _verdict_of_records(at, scenario, scenario.records)


def _verdict_of_records(at: _At, scenario: Scenario, path: Path) -> Verdict:
    """The verdict of a record file beside the scenario, read as ``ce-rules check`` reads it."""
    try:
        record_file = open_record_file(path)
    except RecordFileError as error:
        raise at.error("records", error.message.zh, error.message.en) from None
    unknown = record_file.unknown()
    if unknown:
        raise at.error(
            "records",
            f"{path.name} 中有无法识别的列：{'、'.join(unknown)}；请按 docs/cli.md 的列名修改",
            f"{path.name} has columns not understood: {', '.join(unknown)}; name them as in "
            "docs/cli.md",
        )
    persons = None if scenario.person is None else {scenario.person.id: scenario.person}
    try:
        batch = evaluate_many(
            record_file.rows(),
            year=scenario.year,
            persons=persons,
            policy=scenario.policy,
            as_of=scenario.as_of,
        )
        verdicts = list(batch)
    except RecordFileError as error:
        raise at.error("records", error.message.zh, error.message.en) from None
    except CeRulesError as error:
        raise at.error(None, f"无法判定：{error}", f"cannot be judged: {error}") from None
    if batch.invalid_records:
        record = batch.invalid_records[0]
        where = f"{path.name}:{record.line or '-'}"
        more = len(batch.invalid_records) - 1
        raise at.error(
            "records",
            f"{where} 无效：{record.describe('zh')}"
            + (f"（另有{more}条无效记录）" if more else ""),
            f"{where} is invalid: {record.describe('en')}"
            + (f" (and {more} more invalid records)" if more else ""),
        )
    if len(verdicts) != 1:
        ids = ", ".join(v.person_id for v in verdicts) or "-"
        raise at.error(
            "records",
            f"{path.name} 应恰好是一个人的记录（场景的人员），实际为：{ids}",
            f"{path.name} must hold the records of one person (the scenario's), it names: {ids}",
        )
    return verdicts[0]


def run_scenario(scenario: Scenario) -> ScenarioResult:
    """Judge one scenario and compare the verdict with its expectations.

    Raises:
        ScenarioError: The scenario's record file cannot be read, holds an invalid record
            or another person's, or an expectation names a requirement the policy lacks.
    """
    verdict = _verdict(scenario)
    at = _At(scenario.source, scenario.label)
    expect = scenario.expect or {}
    mismatches = tuple(_compare(at, verdict, expect))
    return ScenarioResult(scenario, verdict, mismatches, _snapshot(verdict, expect))


def run_file(path: str | Path) -> list[ScenarioResult]:
    """Every scenario of one file judged (``load`` then ``run_scenario``)."""
    return [run_scenario(scenario) for scenario in load(path).scenarios]


def run(paths: Iterable[str | Path]) -> list[ScenarioResult]:
    """Every scenario of the files and folders named, judged, in file order.

    Raises:
        ScenarioError: A file cannot be read or is invalid (the first found).
    """
    files, _ = discover(paths)
    return [result for path in files for result in run_file(path)]


def summary(results: Sequence[ScenarioResult], lang: str, *, errors: int = 0) -> str:
    """``40 scenarios in 3 file(s): 39 passed, 1 failed`` in ``lang``."""
    files = len({r.scenario.source for r in results})
    failed = sum(not r.passed for r in results)
    passed = len(results) - failed
    if lang == "zh":
        text = f"{files}个文件，{len(results)}个场景：{passed}个通过，{failed}个未通过"
        return text + (f"；另有{errors}个文件无效，未运行" if errors else "")
    text = f"{len(results)} scenarios in {files} file(s): {passed} passed, {failed} failed"
    return text + (f"; {errors} invalid file(s) not run" if errors else "")


def _shown(value: Any) -> str:
    if isinstance(value, Decimal):
        return json.dumps(format_hours(value))
    if value is None:
        return "none"
    return _toml(value)


def _compare(at: _At, verdict: Verdict, expect: Mapping[str, Any]) -> Iterator[Mismatch]:
    if "status" in expect and verdict.status.value != expect["status"]:
        yield Mismatch("status", _shown(expect["status"]), _shown(verdict.status.value))
    if "certificate_eligible" in expect and (
        verdict.certificate_eligible is not expect["certificate_eligible"]
    ):
        reading = verdict.certificate_reading
        yield Mismatch(
            "certificate_eligible",
            _shown(expect["certificate_eligible"]),
            _shown(verdict.certificate_eligible),
            None,
            verdict.certificate_citation,
            None if reading is None else reading.decision,
        )
    decisions = verdict.entries
    for key in _LISTS:
        if key not in expect:
            continue
        expected = expect[key]
        got = [_entry_value(key, d) for d in decisions]
        if len(expected) != len(got):
            yield Mismatch(
                key,
                f"{len(expected)} values {_toml(_plain(expected))}",
                f"{len(got)} entries {_toml(_plain(got))}",
            )
            continue
        for number, (want, have, decision) in enumerate(zip(expected, got, decisions, strict=True)):
            if want != have:
                yield Mismatch(
                    f"{key} #{number + 1}", _shown(want), _shown(have), decision.rule,
                    decision.citation, decision.decision,
                )  # fmt: skip
    if "findings" in expect:
        got_findings = [f.code for f in verdict.findings]
        if got_findings != expect["findings"]:
            yield Mismatch("findings", _toml(expect["findings"]), _toml(got_findings))
    for code, fields in expect.get("requirements", {}).items():
        try:
            result = verdict.requirement(code)
        except KeyError:
            known = ", ".join(r.code for r in verdict.requirements)
            raise at.error(
                f"expect.requirements.{code}",
                f"政策 {verdict.policy_id} 没有这项要求；其要求为：{known}",
                f"policy {verdict.policy_id} has no such requirement; its requirements: {known}",
            ) from None
        for name, want in fields.items():
            have = getattr(result, name)
            if want != have:
                taken = None if result.reading is None else result.reading.decision
                yield Mismatch(
                    f"requirements.{code}.{name}", _shown(want), _shown(have), code,
                    result.citation, taken,
                )  # fmt: skip
    for key, fields in expect.get("entry", {}).items():
        found = [d for d in decisions if d.entry_id == key]
        if len(found) != 1:
            yield Mismatch(
                f"entry.{key}",
                "one entry with this id",
                f"{len(found)} entries with this id",
            )
            continue
        [decision] = found
        for name, want in fields.items():
            have = _entry_value(name, decision)
            if want != have:
                yield Mismatch(
                    f"entry.{key}.{name}", _shown(want), _shown(have), decision.rule,
                    decision.citation, decision.decision,
                )  # fmt: skip


def _entry_value(key: str, decision: Any) -> Any:
    match key:
        case "reasons" | "reason":
            return decision.reason.value
        case "credited":
            return decision.credited_hours
        case "factors" | "factor":
            return decision.factor
        case "would_add":
            return decision.would_add
        case _:
            return decision.rule or ""


def _plain(values: Sequence[Any]) -> list[Any]:
    return [format_hours(v) if isinstance(v, Decimal) else v for v in values]


# --- snapshots ------------------------------------------------------------------------


def _snapshot(verdict: Verdict, expect: Mapping[str, Any]) -> dict[str, Any]:
    """The expectations the verdict gives, in a fixed order, as TOML values.

    Every snapshot has ``status``, ``certificate_eligible`` (where decided), ``reasons``,
    ``findings`` and each requirement's ``required``, ``earned``, ``shortfall`` and
    ``met``; the other keys the scenario already expected are kept, with the verdict's
    values.
    """
    out: dict[str, Any] = {"status": verdict.status.value}
    if verdict.certificate_eligible is not None:
        out["certificate_eligible"] = verdict.certificate_eligible
    for key in _LISTS:
        if key == "reasons" or key in expect:
            out[key] = _plain([_entry_value(key, d) for d in verdict.entries])
    out["findings"] = [f.code for f in verdict.findings]
    old = expect.get("requirements", {})
    requirements: dict[str, Any] = {}
    for result in verdict.requirements:
        wanted = old.get(result.code, {})
        fields: dict[str, Any] = {}
        for name in _REQUIREMENT_FIELDS:
            value = getattr(result, name)
            standard = name in ("required", "earned", "shortfall", "met")
            if standard or name in wanted or (name in ("pending", "undetermined") and value):
                if value is None:
                    continue  # no rounding: nothing to expect
                fields[name] = format_hours(value) if isinstance(value, Decimal) else value
        requirements[result.code] = fields
    out["requirements"] = requirements
    if "entry" in expect:
        named: dict[str, Any] = {}
        for key, fields in expect["entry"].items():
            found = [d for d in verdict.entries if d.entry_id == key]
            if len(found) != 1:
                continue  # an id that names no single entry: nothing true to write
            named[key] = {
                name: _plain([_entry_value(name, found[0])])[0]
                for name in (*_ENTRY_FIELDS[:1], *(n for n in _ENTRY_FIELDS[1:] if n in fields))
            }
        out["entry"] = named
    return out


_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _toml(value: Any) -> str:
    """A value as TOML writes it inline (strings as JSON strings, which TOML reads alike)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # JSON's escapes are TOML's; DEL is a control character TOML wants escaped too.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, int | float | date):
        return value.isoformat() if isinstance(value, date) else repr(value)
    if isinstance(value, Decimal):
        return json.dumps(format_hours(value))
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _expect_block(snapshot: Mapping[str, Any]) -> list[str]:
    """``[scenario.expect]`` and one line a value: a requirement or named entry a line."""
    lines = ["[scenario.expect]"]
    for key, value in snapshot.items():
        if key in ("requirements", "entry"):
            for name, fields in value.items():
                lines.append(f"{key}.{_key(name)} = {_toml(fields)}")
        else:
            lines.append(f"{key} = {_toml(value)}")
    return lines


_HEADER: Final = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")


def _header(line: str) -> str | None:
    found = _HEADER.match(line)
    if found is None:
        return None
    return "".join(found.group(1).split())


def _in_place(text: str, snapshots: Sequence[Mapping[str, Any]]) -> str | None:
    """The file with each scenario's expectations replaced and everything else kept.

    None where that cannot be done without losing a comment, or where the file's layout
    is not understood.
    """
    lines = text.splitlines()
    # Each scenario's lines: from its [[scenario]] header to the next one.
    starts = [n for n, line in enumerate(lines) if _header(line) == "scenario"]
    if len(starts) != len(snapshots):
        return None
    bounds = [*starts[1:], len(lines)]
    out = lines[: starts[0]] if starts else []
    for start, end, snapshot in zip(starts, bounds, snapshots, strict=True):
        block = lines[start:end]
        # Trailing blank and comment lines belong to what follows: they are kept.
        last = len(block)
        while last > 1 and (
            not block[last - 1].strip() or block[last - 1].lstrip().startswith("#")
        ):
            last -= 1
        body, tail = block[:last], block[last:]
        heads = [
            n for n, line in enumerate(body) if (_header(line) or "").startswith("scenario.expect")
        ]
        if any(re.match(r"\s*expect\s*[.=]", line) for line in body):
            return None  # expectations written inline: not rewritten here
        if heads:
            first = heads[0]
            following = [
                n for n, line in enumerate(body) if n > first and _header(line) is not None
            ]
            if any(n not in heads for n in following):
                return None  # expectations split around another table
            old = body[first:]
            if any("#" in line for line in old):
                return None  # a comment inside the expectations would be lost
            kept = body[:first]
        else:
            kept = body
        while kept and not kept[-1].strip():
            kept = kept[:-1]
        out += [*kept, *_expect_block(snapshot), *tail]
    return "\n".join(out) + "\n"


def _dump(data: Mapping[str, Any], snapshots: Sequence[Mapping[str, Any]], name: str) -> str:
    """The whole scenario file, written anew: comments are not kept (the header says so)."""
    lines = [
        f"# A snapshot of {name} written by `ce-rules test --update`: the verdicts as",
        "# expectations, for review. Comments of the original are not kept here; copy the",
        f"# expectations you accept into {name}.",
        "",
    ]
    for key, value in data.items():
        if key != "scenario":
            lines.append(f"{_key(key)} = {_toml(value)}")
    for table, snapshot in zip(data["scenario"], snapshots, strict=True):
        lines += ["", "[[scenario]]"]
        for key, value in table.items():
            if key == "expect":
                continue
            if key == "entries" and value:
                lines.append("entries = [")
                lines += [f"  {_toml(item)}," for item in value]
                lines.append("]")
            else:
                lines.append(f"{_key(key)} = {_toml(value)}")
        lines += _expect_block(snapshot)
    return "\n".join(lines) + "\n"


def _without_expect(data: Mapping[str, Any]) -> dict[str, Any]:
    copy = dict(data)
    copy["scenario"] = [
        {k: v for k, v in table.items() if k != "expect"} for table in data.get("scenario", [])
    ]
    return copy


def update(path: str | Path) -> Snapshot:
    """Write each scenario's verdict into the file as its expectations (a golden snapshot).

    The expectation blocks (``[scenario.expect]``) are rewritten in a fixed form and
    everything else is left as it was, byte for byte. Where that would lose a comment
    (one inside an expectation block) or the file's layout is not understood, the file is
    left alone and the whole file is written anew beside it as ``NAME.snapshot.toml``,
    which says that it has no comments. Either way the result is read back and must give
    the same inputs and the new expectations before it is kept.

    Raises:
        ScenarioError: The file cannot be read or is invalid (nothing is written).
    """
    loaded = load(path, expectations=False)
    source = loaded.source
    results = [run_scenario(scenario) for scenario in loaded.scenarios]
    snapshots = [dict(result.snapshot) for result in results]
    changed = sum(
        scenario.expect != _expect(_At(source), snap)
        for scenario, snap in zip(loaded.scenarios, snapshots, strict=True)
    )
    text = source.read_text(encoding="utf-8")
    new = _in_place(text, snapshots)
    if new is not None and _reads_back(new, loaded.data, snapshots):
        if new == text:
            return Snapshot(source, None, 0)
        _write(source, new)
        return Snapshot(source, source, changed)
    side = source.with_name(source.name.removesuffix(".toml") + SNAPSHOT_SUFFIX)
    dumped = _dump(loaded.data, snapshots, source.name)
    if not _reads_back(dumped, loaded.data, snapshots):  # pragma: no cover - _dump's law
        raise _At(source).error(None, "无法写出快照", "a snapshot of this file cannot be written")
    _write(side, dumped)
    why = Message(
        zh=f"{source.name} 的预期结果中有注释（或文件结构无法原样改写）：为不丢失注释，"
        f"快照写入 {side.name}（不含注释），请审阅后手工合并",
        en=f"{source.name} has comments inside its expectations (or a layout that cannot be "
        f"rewritten as it is): so as not to lose them, the snapshot is in {side.name} "
        "(without comments); review it and merge by hand",
    )
    return Snapshot(source, side, changed, why)


def _reads_back(text: str, data: Mapping[str, Any], snapshots: Sequence[Mapping[str, Any]]) -> bool:
    try:
        again = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    if _without_expect(again) != _without_expect(data):
        return False
    return [table.get("expect") for table in again["scenario"]] == list(snapshots)


def _write(path: Path, text: str) -> None:
    """Replace ``path`` whole or not at all: a temporary file beside it, then a rename."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        reason = error.strerror or type(error).__name__
        raise _At(path).error(
            None, f"无法写入（{reason}）", f"cannot be written ({reason})"
        ) from None
