"""The one input schema: the columns of a record, their headers, kinds and meaning.

Everything that reads or describes records derives from ``RECORD_COLUMNS``: the readers
map a file's headers through ``match_header``, the record builder parses each column's
cells with the parser of its ``kind`` (``_cells``), ``record_json_schema`` publishes it
for systems not written in Python (``ce-rules schema record``), and ``columns_table``
renders the table of docs/cli.md, which a test keeps equal to it.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ._message import Message
from ._vocabulary import (
    FLAG_SPELLINGS,
    SPELLINGS,
    Category,
    EntryStatus,
    Mode,
    Role,
    UnitLevel,
)

__all__ = [
    "IGNORED_HEADERS",
    "PERSON_COLUMNS",
    "RECORD_COLUMNS",
    "CellKind",
    "Column",
    "column",
    "columns_table",
    "header_key",
    "match_header",
]


class CellKind(enum.StrEnum):
    """How a column's cells are read: each kind has one parser in ``_cells``."""

    ID = "id"
    TEXT = "text"
    CHOICE = "choice"
    HOURS = "hours"
    DATE = "date"
    YEAR = "year"
    FLAG = "flag"
    TOPICS = "topics"


Group = Literal["person", "course", "entry"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a record.

    Attributes:
        name: The field's English name: the key of a record mapping and a header.
        kind: How its cells are read.
        group: What it describes: the person, the course or the entry.
        headers: The Chinese headers offices use for it, the preferred one first.
        required: Whether every record must have a value in it.
        description: What it holds.
        blank: What a blank cell (or a missing column) means.
        choices: For a ``choice`` column, the enum of its values.
    """

    name: str
    kind: CellKind
    group: Group
    headers: tuple[str, ...]
    required: bool
    description: Message
    blank: Message
    choices: type[enum.StrEnum] | None = None

    @property
    def label(self) -> str:
        """The preferred Chinese header."""
        return self.headers[0]


def _m(zh: str, en: str) -> Message:
    return Message(zh=zh, en=en)


_REQUIRED: Final = _m("必填", "required")
_NOTHING: Final = _m("无", "none")

#: The columns of a record: one entry (学时记录) of one person, with its course.
RECORD_COLUMNS: Final = (
    Column(
        "person_id", CellKind.ID, "person",
        ("身份证号", "身份证号码", "公民身份号码", "证件号码", "证件号", "人员编号"),
        True, _m("人员，通常为身份证号", "the person, usually the resident ID number"), _REQUIRED,
    ),
    Column(
        "name", CellKind.TEXT, "person", ("姓名", "人员姓名"),
        False, _m("姓名，仅用于显示", "the person's name, for display only"), _NOTHING,
    ),
    Column(
        "unit", CellKind.CHOICE, "person", ("单位级别", "单位层级", "单位类别", "单位隶属"),
        False, _m("省直单位或市属单位（二(二)）", "provincial or municipal unit (二(二))"),
        _m("未知：可能影响平台规则时结论为待定", "unknown: undetermined where it may decide"),
        UnitLevel,
    ),
    Column(
        "city", CellKind.TEXT, "person", ("所在市", "城市", "所属市", "地市"),
        False, _m("市属单位所在的市", "the city of a municipal unit"), _NOTHING,
    ),
    Column(
        "industry", CellKind.TEXT, "person", ("行业", "行业主管部门", "主管部门"),
        False, _m("行业主管部门（三(二)）", "the industry authority (三(二))"), _NOTHING,
    ),
    Column(
        "entry_id", CellKind.ID, "entry", ("记录编号", "学时记录编号", "流水号", "记录号"),
        False, _m("学时记录自身的编号", "the record's own id"), _NOTHING,
    ),
    Column(
        "course_id", CellKind.ID, "course", ("课程编号", "课程代码", "课程号", "课程ID"),
        False, _m("课程编号", "the course id"),
        _m("以课程名称识别课程", "the course is identified by its title"),
    ),
    Column(
        "course_title", CellKind.TEXT, "course", ("课程名称", "课程", "课程名", "培训项目名称"),
        True, _m("课程名称", "the course title"), _REQUIRED,
    ),
    Column(
        "category", CellKind.CHOICE, "course",
        ("科目类别", "科目", "课程类别", "课程类型", "科目类型", "学时类别", "学习类别"),
        True, _m("公需科目或专业科目", "public or professional subjects"), _REQUIRED, Category,
    ),
    Column(
        "hours", CellKind.HOURS, "entry",
        ("学时", "获得学时", "认定学时", "学时数", "有效学时", "登记学时"),
        True,
        _m("本条记录的学时（精确小数）", "the hours of this entry (exact decimal)"),
        _REQUIRED,
    ),
    Column(
        "course_hours", CellKind.HOURS, "course", ("课程学时", "课程总学时", "总学时"),
        False,
        _m("课程的学时（本条记录只计部分学时时）", "the course's hours, when the entry has fewer"),
        _m("同本条记录的学时", "the entry's hours"),
    ),
    Column(
        "mode", CellKind.CHOICE, "course", ("学习形式", "学习方式", "培训形式", "培训方式"),
        False, _m("远程教育或线下培训（二(二)）", "online or offline (二(二))"),
        _m("未知（优质在线公需课为远程教育）", "unknown (a featured course is online)"), Mode,
    ),
    Column(
        "platform", CellKind.TEXT, "course",
        ("学习平台", "平台", "培训平台", "平台名称", "学习平台名称"),
        False, _m("网络学习平台（二(二)）", "the online learning platform (二(二))"), _NOTHING,
    ),
    Column(
        "featured", CellKind.FLAG, "course",
        ("是否优质在线公需课", "优质在线公需课", "是否优质课", "优质课", "是否优质课程"),
        False, _m("是否入选优质在线公需课（二(三)）", "a featured online public course (二(三))"),
        _m("列存在时空白为否；无此列时未知", "no if the column is there; unknown without it"),
    ),
    Column(
        "topics", CellKind.TOPICS, "course", ("专题", "课程专题", "专题系列"),
        False, _m("公需科目专题（二(一)）", "public-subject topics (二(一))"),
        _m("列存在时空白为无专题；无此列时未记录（决定14）",
           "none if the column is there; not recorded without it (decision 14)"),
    ),
    Column(
        "role", CellKind.CHOICE, "entry", ("角色", "身份", "学习身份", "参与身份"),
        False, _m("学员或授课教师（二(三)）", "learner or instructor (二(三))"),
        _m("学员", "learner"), Role,
    ),
    Column(
        "completed_on", CellKind.DATE, "entry",
        ("完成日期", "结业日期", "完成时间", "培训时间", "学习完成时间", "结业时间", "学习时间",
         "培训日期"),
        True, _m("完成（或授课）日期", "the day the course was completed (or taught)"), _REQUIRED,
    ),
    Column(
        "credited_year", CellKind.YEAR, "entry", ("培训年度", "学时年度", "学习年度", "年度"),
        False, _m("计入的年度（补学）", "the year credited (make-up study)"),
        _m("完成日期所在年度", "the year of completion"),
    ),
    Column(
        "certificate_no", CellKind.ID, "entry", ("证书编号", "证书号", "电子证书编号"),
        False, _m("证书编号", "the certificate number"), _NOTHING,
    ),
    Column(
        "status", CellKind.CHOICE, "entry", ("审核状态", "状态", "审核结果", "审核情况"),
        False, _m("单位审核状态，已审核才计入", "the employer's review: only approved counts"),
        _m("已审核", "approved"), EntryStatus,
    ),
)  # fmt: skip

#: The columns of a persons file (``--persons``): who each person is.
PERSON_COLUMNS: Final = tuple(c for c in RECORD_COLUMNS if c.group == "person")

#: Headers offices' exports carry that ce-rules understands and does not need: read and
#: left aside without a warning (a column not understood at all is named on stderr).
IGNORED_HEADERS: Final = (
    "序号", "行号", "性别", "出生日期", "手机号", "手机号码", "联系电话", "电话", "单位名称",
    "工作单位", "所在单位", "部门", "科室", "职务", "职称", "专业技术职务", "岗位", "学历",
    "备注", "说明",
)  # fmt: skip

_BY_NAME: Final = {c.name: c for c in RECORD_COLUMNS}
# Width (NFKC), case, spaces, underscores, hyphens and asterisks (required marks) do not
# tell headers apart, nor a bracketed note (学时（必填）), unless it names another unit than
# 学时 (``other_unit``).
_HEADER_NOISE: Final = re.compile(r"[\s_\-*:：/、·.]+")
_BRACKETED: Final = re.compile(r"[(\[【（][^)\]】）]*[)\]】）]")


def header_key(text: str) -> str:
    """A header as compared: width, case, spaces, underscores and marks removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _HEADER_NOISE.sub("", folded).replace("\ufeff", "")


def _key_table() -> dict[str, str | None]:
    table: dict[str, str | None] = {header_key(h): None for h in IGNORED_HEADERS}
    for col in RECORD_COLUMNS:
        for header in (col.name, *col.headers):
            key = header_key(header)
            if table.get(key, col.name) != col.name:  # pragma: no cover - a mistake in the table
                raise AssertionError(f"header {header!r} names two columns")
            table[key] = col.name
    return table


_KEYS: Final = _key_table()
#: What ``match_header`` returns for a header understood and not needed.
IGNORED: Final = ""


#: Units that are not 学时 (a 学时 is a credit hour, often 45 or 50 minutes): clock hours,
#: minutes, days. As the hours parser refuses a cell written in them (``10小时``), a header
#: whose note names one (``学时（分钟）``) is no column of 学时. (``Hours`` is not among
#: them: it is the English name of 学时 here, as in ``学时 (Hours)``.)
_OTHER_UNIT_NOTE: Final = re.compile(r"小时|分钟|分|min(?:ute)?s?|天|日|days?", re.IGNORECASE)
_HOURS_FIELDS: Final = frozenset({"hours", "course_hours"})


def match_header(text: str) -> str | None:
    """The field a header names, ``IGNORED`` ("") for one known and not needed, else None.

    Headers are compared after ``header_key``; a bracketed note (``学时（必填）``) is
    dropped only when the header is not known with it, and never when it names a unit
    other than 学时 for a column of hours (``学时（分钟）``: ``other_unit``).
    """
    key = header_key(text)
    if not key:
        return None
    if key not in _KEYS:
        noted = _noted(text)
        if noted is None or noted[1] is not None:
            return None
        key = noted[0]
    field = _KEYS[key]
    return IGNORED if field is None else field


def other_unit(text: str) -> str | None:
    """The unit a header of hours names in a note, if it is not 学时: ``学时（分钟）`` → 分钟.

    None for any other header (``学时``, ``学时（学时）``, ``学时（必填）``, ``姓名（分）``).
    """
    if header_key(text) in _KEYS:
        return None  # known as written
    noted = _noted(text)
    return None if noted is None else noted[1]


def _noted(text: str) -> tuple[str, str | None] | None:
    """A header known once its bracketed notes are dropped: its key, and another unit a note names.

    The unit only for a column of hours, and only if it is not 学时; None if the header
    is not known even without its notes.
    """
    normal = unicodedata.normalize("NFKC", text)
    key = header_key(_BRACKETED.sub("", normal))
    if key not in _KEYS:
        return None
    if _KEYS[key] in _HOURS_FIELDS:
        note: str
        for note in _BRACKETED.findall(normal):
            inner = note[1:-1].strip()
            if _OTHER_UNIT_NOTE.fullmatch(inner):
                return key, inner
    return key, None


def unit_notes(headers: Iterable[str], *, table: bool = False) -> Message | None:
    """Why headers of hours in another unit (``other_unit``) were not read, or None.

    The advice is the command line's ``--column``, or for a ``table`` a new name.
    """
    found = [
        (h, _KEYS[noted[0]], noted[1])
        for h in dict.fromkeys(headers)
        if header_key(h) not in _KEYS and (noted := _noted(h)) is not None and noted[1]
    ]
    if not found:
        return None
    zh, en = [], []
    for header, field, unit in found:
        label = _BY_NAME[str(field)].label
        zh.append(
            f"表头“{header}”注明的单位是{unit}，不是学时：请换算为学时；如该列实为学时，"
            + (f"请将该列改名为“{label}”" if table else f"请用 --column {header}={field} 指定")
        )
        en.append(
            f"header “{header}” gives {unit}, not 学时 (credit hours): convert it to 学时, or"
            " if it holds 学时, "
            + (f"rename the column {field}" if table else f"map it with --column {header}={field}")
        )
    return Message(zh="；".join(zh), en="; ".join(en))


def column(name: str) -> Column:
    """The column named ``name``; ``KeyError`` listing the names if there is none."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no column {name!r}; columns: {', '.join(_BY_NAME)}") from None


def choice_values(col: Column) -> Mapping[str, tuple[str, ...]]:
    """For a ``choice`` or ``flag`` column: each value and the spellings read as it."""
    if col.kind is CellKind.FLAG:
        return {str(v).lower(): spellings for v, spellings in FLAG_SPELLINGS.items()}
    if col.choices is None:
        return {}
    spellings = SPELLINGS[col.choices]
    return {
        member.value: tuple(
            dict.fromkeys((member.label, *spellings.get(member, ())))  # type: ignore[attr-defined]
        )
        for member in col.choices
    }


def record_json_schema(columns: tuple[Column, ...] = RECORD_COLUMNS) -> dict[str, Any]:
    """The JSON Schema of one record (English keys; the Chinese headers are read too)."""
    properties: dict[str, Any] = {}
    for col in columns:
        properties[col.name] = {
            **_json_type(col),
            "title": col.label,
            "description": f"{col.description.en}. {col.description.zh}。"
            f" Read: {KIND_FORMATS[col.kind].en}. 可读：{KIND_FORMATS[col.kind].zh}。"
            f" Blank: {col.blank.en}. Chinese headers: {'、'.join(col.headers)}",
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ce-rules input record",
        "type": "object",
        "properties": properties,
        "required": [c.name for c in columns if c.required],
    }


#: What each kind accepts, for the JSON Schema and the documentation.
KIND_FORMATS: Final[Mapping[CellKind, Message]] = {
    CellKind.ID: _m("文本，至多64个字符；不得为科学计数法等被表格软件改写的数字",
                    "text of at most 64 characters, not a number a spreadsheet rewrote"),
    CellKind.TEXT: _m("文本，至多200个字符", "text of at most 200 characters"),
    CellKind.CHOICE: _m("下列取值之一", "one of the values listed"),
    CellKind.HOURS: _m("大于0、不超过1000的数，至多两位小数，可带“学时”或h（10、0.5、10学时）",
                       "a number > 0 and <= 1000, two decimal places at most, optionally "
                       "followed by 学时 or h (10, 0.5, 10学时)"),
    CellKind.DATE: _m("日期：2024-05-01、2024/5/1、2024.5.1、2024年5月1日、20240501，可带时刻；"
                      "或Excel日期序号",
                      "a day: 2024-05-01, 2024/5/1, 2024.5.1, 2024年5月1日, 20240501, with or "
                      "without a time of day; or an Excel date serial"),
    CellKind.YEAR: _m("年份，如 2024 或 2024年", "a year, e.g. 2024 or 2024年"),
    CellKind.FLAG: _m("是/否", "yes/no"),
    CellKind.TOPICS: _m("用 ; ； 、 | 分隔的专题", "topics separated by ; ； 、 |"),
}  # fmt: skip


def columns_table(columns: tuple[Column, ...] = RECORD_COLUMNS) -> str:
    """The columns as a Markdown table (docs/cli.md holds it; a test keeps the two equal)."""
    lines = [
        "| column | 中文表头 | required | values | blank or missing |",
        "| --- | --- | --- | --- | --- |",
    ]
    for col in columns:
        values = choice_values(col)
        if values:
            shown = "; ".join(
                f"`{value}`: " + ", ".join(f"`{s}`" for s in spellings)
                for value, spellings in values.items()
            )
        else:
            shown = KIND_FORMATS[col.kind].en
        lines.append(
            f"| `{col.name}` | {'、'.join(col.headers)} | {'yes' if col.required else ''} | "
            f"{shown.replace('|', chr(92) + '|')} | {col.blank.en} |"
        )
    return "\n".join(lines) + "\n"


def _json_type(col: Column) -> dict[str, Any]:
    if col.kind is CellKind.CHOICE:
        values = choice_values(col)
        spellings = sorted({s for names in values.values() for s in names} | set(values))
        return {"type": ["string", "null"], "enum": [*spellings, None]}
    if col.kind is CellKind.FLAG:
        return {"type": ["boolean", "string", "null"]}
    if col.kind is CellKind.HOURS:
        return {
            "type": ["number", "string", "null"],
            "exclusiveMinimum": 0,
            "maximum": 1000,
            "pattern": r"^\s*(\d+(\.\d*)?|\.\d+)\s*(学时|h|H)?\s*$",
        }
    if col.kind is CellKind.DATE:
        # Not "format": "date": the days offices write (2024/5/1, 2024年5月1日 …) are read too.
        return {"type": ["string", "integer", "null"], "examples": ["2024-05-01", "2024/5/1"]}
    if col.kind is CellKind.YEAR:
        return {"type": ["integer", "string", "null"], "minimum": 1990, "maximum": 2100}
    if col.kind is CellKind.TOPICS:
        return {"type": ["string", "array", "null"], "items": {"type": "string"}}
    if col.kind is CellKind.ID:
        return {"type": ["string", "integer", "null"], "maxLength": 64}
    return {"type": ["string", "null"], "maxLength": 200}
