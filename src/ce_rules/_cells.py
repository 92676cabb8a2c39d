"""The cells of a record: one parser per cell kind, the one place every cell rule lives.

Every reader (CSV, JSON Lines, xlsx), the batch builder, the model's validators and the
columnar engine (which applies them to each distinct value of a column) read cells through
these functions, so a value means the same thing whichever way it arrives.

Each parser takes a value as read (text, or a typed value from JSON, a spreadsheet or the
API), writes it as text with ``to_text``, normalises that text with ``normalise`` (width,
invisible format characters, surrounding whitespace, database null markers) and returns the
typed value, or None for a blank. Whether a blank is allowed is the caller's business. A
value that cannot be read is refused with a ``CellError``: a stable code, a message in
Chinese and English that quotes the value and says what to do, and the value as read. No
parser guesses, rounds or repairs a value it cannot be certain of, and none raises anything
but ``CellError``, whatever it is given.

Error codes (``CellError.code``)::

    code                 raised by                 the value is
    not_a_cell           every parser              not text, a number, a boolean or a date
                                                   (a list, a dict, bytes, a time of day ...)
    too_long             id, text, topics;         longer than 64 (IDs) or 200 (texts)
                         to_text                   characters; a number too long to write
    surrogate            every parser              text holding a lone surrogate: damaged
    wrong_type           every parser but hours    a boolean where no yes/no is meant, or a
                         (flag: NaN, infinity)     NaN or infinity (a data frame's blank)
    control_character    id, text, topics          text holding a control character
    whitespace_in_id     id                        an ID with whitespace inside it
    spreadsheet_number   id                        an ID a spreadsheet rewrote as a number
                                                   (3.70602E+17, 370102198001011234.0)
    unit                 hours                     hours in another unit (小时, 分钟, min)
    not_a_number         hours                     not a plain decimal number (3_0, 1e1,
                                                   1,000, nan, 三十, a boolean)
    not_positive         hours                     zero or negative
    too_large            hours                     more than 1000
    too_many_decimals    hours                     more than two decimal places (10.555)
    timestamp            date                      a Unix timestamp (10 or 13 digits)
    ambiguous_date       date                      day-first, month-first or two-digit year
    not_a_date           date                      no such day (2024-02-30), no such time
                                                   of day, or not a date at all
    out_of_range         date, year                a year outside 1990-2100
    not_a_year           year                      not a four-digit year
    unknown_value        choice, flag              not one of the accepted spellings
"""

from __future__ import annotations

import calendar
import enum
import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar, assert_never, cast

from ._exceptions import CeRulesError
from ._message import Message
from ._schema import CellKind, Column
from ._vocabulary import FLAG_SPELLINGS, SPELLINGS, PublicTopic

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "ERROR_CODES",
    "ID_MAX_LENGTH",
    "MAX_ENTRY_HOURS",
    "TEXT_MAX_LENGTH",
    "CellError",
    "choice_key",
    "may_have_been",
    "normalise",
    "parse_cell",
    "parse_choice",
    "parse_date",
    "parse_flag",
    "parse_hours",
    "parse_id",
    "parse_text",
    "parse_topics",
    "parse_year",
    "to_text",
]

#: The longest identifier, in characters once normalised.
ID_MAX_LENGTH: Final = 64
#: The longest short text (a name, a title, a topic), in characters once normalised.
TEXT_MAX_LENGTH: Final = 200
#: The largest number of hours one course or entry may carry; more is a data error.
MAX_ENTRY_HOURS: Final = Decimal(1000)
#: Every code a ``CellError`` can carry (the table of the module docstring).
ERROR_CODES: Final = (
    "not_a_cell",
    "too_long",
    "surrogate",
    "wrong_type",
    "control_character",
    "whitespace_in_id",
    "spreadsheet_number",
    "unit",
    "not_a_number",
    "not_positive",
    "too_large",
    "too_many_decimals",
    "timestamp",
    "ambiguous_date",
    "not_a_date",
    "out_of_range",
    "not_a_year",
    "unknown_value",
)

# Years a record can speak of: before 1990 or after 2100 a year is a data error.
_FIRST_YEAR: Final = 1990
_LAST_YEAR: Final = 2100
# How much of a value a message quotes.
_SHOWN_LENGTH: Final = 50


class CellError(CeRulesError, ValueError):
    """A cell that cannot be read: a stable code, a bilingual message, the value as read.

    ``str(error)`` is the English message, which is what pydantic shows when a model
    validator raises it.

    Attributes:
        code: Why, for machines: one of ``ERROR_CODES``.
        message: Why and what to do, for people, in Chinese and English.
        value: The value as read (the text of a typed value, before normalising), or None
            for a value that is not a cell at all.
    """

    code: str
    message: Message
    value: str | None

    def __init__(self, code: str, message: Message, value: str | None = None) -> None:
        super().__init__(message.en)
        self.code = code
        self.message = message
        self.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries in parallel runs: rebuild from the three fields.
        return (type(self), (self.code, self.message, self.value))


# --- messages -------------------------------------------------------------------------------

_ESCAPES: Final = MappingProxyType({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    if point < 0x10000:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def _shown(text: str) -> str:
    """The value as a message quotes it: 50 characters at most, invisible ones escaped."""
    cut = text[:_SHOWN_LENGTH]
    if not cut.isprintable():
        cut = "".join(c if c.isprintable() else _escape(c) for c in cut)
    return cut + "…" if len(text) > _SHOWN_LENGTH else cut


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def _error(code: str, value: str | None, zh: str, en: str) -> CellError:
    return CellError(code, Message(zh=zh, en=en), value)


class _Noun(NamedTuple):
    """What a parser reads, as its messages name it."""

    zh: str
    en: str


_ID: Final = _Noun("编号", "an ID")
_TEXT: Final = _Noun("文本", "a text")
_DATE: Final = _Noun("日期", "a date")
_YEAR: Final = _Noun("年份", "a year")
_CHOICE: Final = _Noun("取值", "a value of this column")
_FLAG: Final = _Noun("是/否", "a yes/no value")
_TOPICS: Final = _Noun("专题", "a topic")


# --- text -----------------------------------------------------------------------------------

# Whitespace that surrounds or separates words (the space separators, tab, line breaks).
# The information separators U+001C-U+001F and NEL U+0085 are whitespace to Python but
# control characters here: they are refused, never stripped.
_WHITESPACE: Final = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WHITESPACE_RUN: Final = re.compile(f"[{_WHITESPACE}]+")
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
#: Exactly these texts are a database's null, as in a dump of a table (MySQL, PostgreSQL).
_NULLS: Final = frozenset({"\\N", "NULL", "null"})
# A Decimal is written out only up to this exponent: Decimal("1E+999999999") is not a cell.
_MAX_EXPONENT: Final = 1000


def to_text(value: object) -> str | None:
    """The canonical text of a value as read: what every parser reads.

    Text is itself; None is None; a boolean is ``true``/``false``; an integer is its
    digits; a float that is finite, integral and below 10**15 in magnitude is the digits
    of that integer (a spreadsheet's ``10086.0`` is ``10086``), any other float its
    shortest ``repr`` (``0.1``, ``3.70602199001011e+17``, ``nan``), so that a parser sees
    an exponent or a NaN and refuses it; a finite Decimal is written in full without an
    exponent (``Decimal("1E+1")`` is ``10``); a datetime is ISO 8601 with a space, its
    offset kept; a date is ``YYYY-MM-DD``.

    Raises:
        CellError: ``not_a_cell`` for anything else (a list, a dict, bytes, a time of
            day, any other object), naming its type; ``too_long`` for a number with more
            digits than can be written.
    """
    if value is None:
        return None
    if isinstance(value, str):
        # A subclass (a StrEnum member) as plain text.
        return str.__str__(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return int.__repr__(value)
        except ValueError:  # more digits than Python's int-to-text limit
            raise _too_long_number() from None
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return int.__repr__(int(value))
        return float.__repr__(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int) or abs(exponent) > _MAX_EXPONENT:
            raise _too_long_number()
        return format(value, "f")
    if isinstance(value, date):
        try:
            if isinstance(value, datetime):
                return value.isoformat(sep=" ")
            return value.isoformat()
        except Exception:  # a subclass's own isoformat failed: it is no date we can read
            pass
    raise _not_a_cell(value)


def _not_a_cell(value: object) -> CellError:
    kind = type(value).__name__
    return _error(
        "not_a_cell",
        None,
        f"单元格的值应为文本、数字、布尔值或日期，实际为 {kind}；请以文本填写",
        f"a cell must hold text, a number, a boolean or a date, got a {kind}; "
        "give the value as text",
    )


def _too_long_number() -> CellError:
    return _error(
        "too_long",
        None,
        "数字过长，不是单元格的值；请检查该值",
        "a number too long to be a cell value; check the value",
    )


def _without_format(text: str) -> str:
    category = unicodedata.category
    return "".join([c for c in text if category(c) != "Cf"])


def _width_folds() -> dict[int, str]:
    """What NFKC makes of every full-width and half-width form.

    They are the ideographic space and the Halfwidth and Fullwidth Forms block (checked
    against the whole Basic Multilingual Plane by a test).
    """
    folds = {}
    for point in (0x3000, *range(0xFF00, 0xFFF0)):
        if unicodedata.decomposition(chr(point)).startswith(("<wide>", "<narrow>")):
            folds[point] = unicodedata.normalize("NFKC", chr(point))
    return folds


#: Width folding: the full-width and half-width forms, to what NFKC makes of them.
_WIDTH_FOLDS: Final = _width_folds()


def normalise(text: str | None) -> str | None:
    r"""The text as compared and parsed, or None for a blank.

    Removes every format character (Unicode category Cf: zero-width spaces and joiners,
    U+2060, the byte order mark, the soft hyphen, bidirectional controls), folds width
    (the part of Unicode NFKC that maps the ``<wide>`` and ``<narrow>`` forms: full-width
    digits, letters and punctuation become ASCII, the ideographic space a space), applies
    NFC and strips surrounding whitespace. Other compatibility forms are kept as they are,
    so that a superscript or a circled digit is refused by a number's parser rather than
    read as another number (``10²`` is not ``102``). An empty result, and exactly ``\N``,
    ``NULL`` or ``null`` (a database's null), is a blank. Format characters go first, so
    that one between a letter and its accent cannot keep them apart.

    Raises:
        CellError: ``surrogate`` for text holding a lone surrogate (a damaged file, or a
            JSON ``\ud800`` escape); ``not_a_cell`` for a value that is not text.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise _not_a_cell(text)
    if not text.isascii():
        # Printable text holds no surrogate and no format character: skip the search.
        if not text.isprintable():
            text = _without_format(_refuse_surrogates(text))
        text = unicodedata.normalize("NFC", text.translate(_WIDTH_FOLDS))
    text = text.strip(_WHITESPACE)
    if not text or text in _NULLS:
        return None
    return text


def _refuse_surrogates(text: str) -> str:
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        point = _code_point(surrogate.group())
        raise _error(
            "surrogate",
            text,
            f"含有不成对的代理码位 {point}，它不是字符：文件的文本已损坏：“{_shown(text)}”；"
            "请以 UTF-8 重新导出",
            f"contains a lone surrogate {point}, which is not a character: the file's "
            f"text is damaged, got '{_shown(text)}'; export it again as UTF-8",
        )
    return text


class _Read(NamedTuple):
    """A cell read as text: as it came (for messages), and normalised (to parse)."""

    raw: str
    text: str


#: A cell a spreadsheet keeps as text by a formula of that text: ``="370102198001011234"``
#: (a quote inside it doubled). Any other formula (``="3701"&"02"``) is read as written.
_FORMULA_TEXT: Final = re.compile(r'="((?:[^"]|"")*)"', re.DOTALL)
#: The first characters of a cell marked as text (``_unmarked``).
_MARKS: Final = "'="


def _read(value: object) -> _Read | None:
    raw = to_text(value)
    text = normalise(raw)
    if raw is None or text is None:
        return None
    if text[0] in _MARKS:
        text = _unmarked(text)
        if text is None:
            return None
    return _Read(raw, text)


def _unmarked(text: str) -> str | None:
    """``text`` without the marks that make a spreadsheet keep a cell as text (None: blank).

    A leading apostrophe (Excel's text prefix, which is no part of the value:
    ``'370102198001011234``) and a formula of a text (``="370102198001011234"``), as
    exports write ids and dates so that a spreadsheet does not turn them into numbers. The
    text they mark is the cell's value, read as any other (so that one person is not made
    three by the way each row was exported); marks within marks are all taken off.
    """
    while True:
        if text.startswith("'"):
            inner = text[1:]
        elif (formula := _FORMULA_TEXT.fullmatch(text)) is not None:
            inner = formula.group(1).replace('""', '"')
        else:
            return text
        unmarked = normalise(inner)
        if unmarked is None:
            return None
        text = unmarked


def _is_not_finite(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, Decimal) and not value.is_finite()


def _refuse_typed(value: object, noun: _Noun) -> None:
    """Refuse a boolean, a NaN and an infinity where they mean nothing (not for hours)."""
    if isinstance(value, bool):
        shown = "true" if value else "false"
        raise _error(
            "wrong_type",
            shown,
            f"{noun.zh}不能是布尔值（{shown}）；请填写该值本身",
            f"{noun.en} cannot be a boolean ({shown}); give the value itself",
        )
    if _is_not_finite(value):
        shown = str(to_text(value))
        raise _error(
            "wrong_type",
            shown,
            f"{noun.zh}不能是非有限数 {shown}（数据框以 NaN 表示空单元格）；"
            "空单元格请留空，否则请填写该值",
            f"{noun.en} cannot be the non-finite number {shown} (a data frame writes NaN "
            "for an empty cell); leave an empty cell empty, or give the value",
        )


def _control_error(read: _Read, char: str, position: int) -> CellError:
    point = _code_point(char)
    return _error(
        "control_character",
        read.raw,
        f"含有控制字符 {point}（第{position}个字符）：“{_shown(read.raw)}”；请删除该字符",
        f"contains the control character {point} (character {position}), "
        f"got '{_shown(read.raw)}'; remove it",
    )


def _too_long(read: _Read, noun: _Noun, limit: int, length: int) -> CellError:
    return _error(
        "too_long",
        read.raw,
        f"{noun.zh}过长：{length}个字符，至多{limit}个：“{_shown(read.raw)}”；请核对该值",
        f"{noun.en} has at most {limit} characters, got {length}: '{_shown(read.raw)}'; "
        "check the value",
    )


# --- identifiers ----------------------------------------------------------------------------

# A plain ID, the common case, needs no normalising (a dot could be a spreadsheet's ".0").
_PLAIN_ID: Final = re.compile(r"[0-9A-Za-z_\-]{1,64}")
# A number in scientific notation as spreadsheets, Python and Java write it: a decimal
# mantissa (3.70602E+17, 1.2E5) or a signed exponent (1E+16). "2E10" or "2024E001" has
# neither and may be a real code; a spreadsheet that had read it as a number would have
# written it differently.
_SCIENTIFIC: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+[eE][+-]?|[eE][+-])[0-9]+", re.ASCII)
_POINT_ZERO: Final = re.compile(r"[0-9]+\.0+", re.ASCII)
_RESIDENT_X: Final = re.compile(r"[0-9]{17}x", re.ASCII)
_SPACE: Final = re.compile(r"\s")


def parse_id(value: object) -> str | None:
    """An identifier (person_id, entry_id, course_id, certificate_no), or None if blank.

    The normalised text, at most 64 characters, so that a full-width, zero-width or
    otherwise invisible variant never makes a second person. The check digit of a
    resident ID is upper case (``...123x`` is ``...123X``).

    Raises:
        CellError: ``control_character`` or ``whitespace_in_id`` for a control character
            or whitespace inside it; ``spreadsheet_number`` for a number a spreadsheet
            rewrote (``3.70602E+17``, ``370102198001011234.0``), whose digits are lost;
            ``too_long``; ``wrong_type`` for a boolean, NaN or infinity.
    """
    if (
        type(value) is str
        and _PLAIN_ID.fullmatch(value)
        and value not in _NULLS
        and not (len(value) == 18 and value[17] == "x")
    ):
        return value
    _refuse_typed(value, _ID)
    read = _read(value)
    if read is None:
        return None
    text = read.text
    control = _CONTROL.search(text)
    if control is not None:
        raise _control_error(read, control.group(), control.start() + 1)
    space = _SPACE.search(text)
    if space is not None:
        char = space.group()
        point = _code_point(char)
        name = unicodedata.name(char, "whitespace").lower()
        raise _error(
            "whitespace_in_id",
            read.raw,
            f"编号中不能有空白：第{space.start() + 1}个字符是 {point}：“{_shown(read.raw)}”；"
            "请删除空白",
            f"an ID cannot contain whitespace: character {space.start() + 1} is {point} "
            f"({name}), got '{_shown(read.raw)}'; remove it",
        )
    if _SCIENTIFIC.fullmatch(text):
        raise _error(
            "spreadsheet_number",
            read.raw,
            f"表格软件把该编号变成了科学计数法的数字，原有的数字已丢失：“{_shown(read.raw)}”；"
            "请把该列设为文本格式后重新导出",
            "a spreadsheet turned this ID into a number in scientific notation: its digits "
            f"are lost, got '{_shown(read.raw)}'; format the column as text and export again",
        )
    if _POINT_ZERO.fullmatch(text):
        raise _error(
            "spreadsheet_number",
            read.raw,
            f"编号以 .0 结尾：表格软件把它变成了数字：“{_shown(read.raw)}”；"
            "请把该列设为文本格式后重新导出",
            f"ends in .0: a spreadsheet turned this ID into a number, got "
            f"'{_shown(read.raw)}'; format the column as text and export again",
        )
    if len(text) > ID_MAX_LENGTH:
        raise _too_long(read, _ID, ID_MAX_LENGTH, len(text))
    if _RESIDENT_X.fullmatch(text):
        # The check digit of a resident ID: X is the only letter it can be.
        return text.upper()
    return text


def may_have_been(number: str, person_id: str) -> bool:
    """Whether an ID a spreadsheet turned into ``number`` may have been ``person_id``.

    A spreadsheet keeps an ID's leading digits when it makes a number of it: those it wrote
    in scientific notation (``3.70602E+17``, rounded or cut at its last digit), or 15
    significant digits, the precision of its numbers (``370102198001011000.0``). An ID
    with a letter (a check digit X) is never made a number. Any other text may be any ID.
    """
    text = number.strip()
    scientific = _SCIENTIFIC.fullmatch(text)
    if not scientific and not _POINT_ZERO.fullmatch(text):
        return True
    if not person_id.isdigit():
        return False
    value = Decimal(text)
    if scientific:
        # The unit of its last digit written: the mantissa's digits, moved by its exponent.
        mantissa, _, power = text.upper().partition("E")
        decimals = len(mantissa.partition(".")[2])
        unit = Decimal(1).scaleb(int(power) - decimals)
    else:
        unit = Decimal(1).scaleb(max(0, value.adjusted() + 1 - 15))
    return abs(Decimal(person_id) - value) < unit


# --- texts ----------------------------------------------------------------------------------


def _clean_text(read: _Read, text: str, noun: _Noun) -> str:
    """A normalised text with its whitespace runs made one space, controls refused."""
    if not text.isprintable() or "  " in text:
        text = _WHITESPACE_RUN.sub(" ", text)
        control = _CONTROL.search(text)
        if control is not None:
            raise _control_error(read, control.group(), read.text.find(control.group()) + 1)
    if len(text) > TEXT_MAX_LENGTH:
        raise _too_long(read, noun, TEXT_MAX_LENGTH, len(text))
    return text


def parse_text(value: object) -> str | None:
    """A short text (a name, a title, a city, a platform), or None if blank.

    The normalised text with every run of whitespace inside it (a tab, the line breaks
    of a multi-line cell) made one space; at most 200 characters.

    Raises:
        CellError: ``control_character`` for any other control character;
            ``too_long``; ``wrong_type`` for a boolean, NaN or infinity.
    """
    if (
        type(value) is str
        and value.isascii()
        and value.isprintable()
        and len(value) <= TEXT_MAX_LENGTH
        and value.strip() == value
        and "  " not in value
        and value
        and value[0] not in _MARKS
        and value not in _NULLS
    ):
        return value
    _refuse_typed(value, _TEXT)
    read = _read(value)
    if read is None:
        return None
    return _clean_text(read, read.text, _TEXT)


# --- hours ----------------------------------------------------------------------------------

_PLAIN_HOURS: Final = re.compile(r"[0-9]{1,4}(?:\.[0-9]{1,2})?")
_NUMBER: Final = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_NEGATIVE: Final = re.compile(r"-\s*(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_HOURS_UNIT: Final = re.compile(r"(.*?)\s*(?:学时|[hH])", re.DOTALL)
# Clock hours and minutes are not 学时 (a 学时 is a credit hour, often 45 or 50 minutes).
_OTHER_UNIT: Final = re.compile(
    r"(.*?)\s*(?:小时|分钟|min(?:ute)?s?|hours?|hrs?)", re.DOTALL | re.IGNORECASE
)


def parse_hours(value: object) -> Decimal | None:
    """A number of hours (学时) read exactly, or None if blank.

    A plain decimal number (``10``, ``10.5``, ``.5``), optionally followed by the unit
    ``学时`` or ``h``; greater than 0, at most 1000, with at most two decimal places of
    value (``10.500`` is read, ``10.555`` refused). Nothing is rounded: the result is the
    exact Decimal of the digits written. A float is read from its shortest ``repr``, so
    ``0.5`` is 0.5 and ``0.30000000000000004`` has too many decimals.

    Raises:
        CellError: ``unit`` for 小时, 分钟 or minutes; ``not_a_number`` for anything but a
            plain decimal number (``3_0``, ``1e1``, ``+5``, ``1,000``, ``nan``, ``三十``,
            a boolean); ``not_positive``; ``too_large``; ``too_many_decimals``.
    """
    if type(value) is str and _PLAIN_HOURS.fullmatch(value):
        hours = Decimal(value)
        if 0 < hours <= MAX_ENTRY_HOURS:
            return hours
    elif type(value) is int and 0 < value <= MAX_ENTRY_HOURS:
        return Decimal(value)
    if isinstance(value, bool):
        shown = "true" if value else "false"
        raise _error(
            "not_a_number",
            shown,
            f"学时应为数字，不能是布尔值（{shown}）",
            f"hours must be a number, not a boolean ({shown})",
        )
    read = _read(value)
    if read is None:
        return None
    unit = _HOURS_UNIT.fullmatch(read.text)
    number = read.text if unit is None else unit.group(1)
    shown = _shown(read.raw)
    if not _NUMBER.fullmatch(number):
        other = _OTHER_UNIT.fullmatch(read.text)
        if other is not None and _NUMBER.fullmatch(other.group(1)):
            raise _error(
                "unit",
                read.raw,
                f"学时是学分学时，不是小时或分钟：“{shown}”；请以学时填写",
                f"学时 are credit hours, not clock hours or minutes, got '{shown}'; "
                "give the value in 学时",
            )
        if _NEGATIVE.fullmatch(number):
            raise _not_positive(read.raw)
        raise _error(
            "not_a_number",
            read.raw,
            f"学时应为普通的十进制数，如 10 或 10.5：“{shown}”",
            f"hours must be a plain decimal number such as 10 or 10.5, got '{shown}'",
        )
    hours = Decimal(number)
    if hours == 0:
        raise _not_positive(read.raw)
    if hours > MAX_ENTRY_HOURS:
        raise _error(
            "too_large",
            read.raw,
            f"学时不能超过{MAX_ENTRY_HOURS}：“{shown}”；请核对该值",
            f"hours must be at most {MAX_ENTRY_HOURS}, got '{shown}'; check the value",
        )
    fraction = number.partition(".")[2]
    if len(fraction.rstrip("0")) > 2:
        raise _error(
            "too_many_decimals",
            read.raw,
            f"学时至多两位小数：“{shown}”；不做四舍五入，请填写准确的值",
            f"hours have at most two decimal places, got '{shown}'; nothing is rounded: "
            "give the exact value",
        )
    return hours


def _not_positive(raw: str) -> CellError:
    return _error(
        "not_positive",
        raw,
        f"学时必须大于0：“{_shown(raw)}”；请核对该值",
        f"hours must be greater than 0, got '{_shown(raw)}'; check the value",
    )


# --- dates ----------------------------------------------------------------------------------

#: China Standard Time: a moment with an offset is a day of this zone.
_CHINA: Final = timezone(timedelta(hours=8), "CST")
_EXCEL_EPOCH: Final = date(1899, 12, 30)
_FIRST_SERIAL: Final = (date(_FIRST_YEAR, 1, 1) - _EXCEL_EPOCH).days  # 32874
_LAST_SERIAL: Final = (date(_LAST_YEAR, 12, 31) - _EXCEL_EPOCH).days  # 73415
_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

_ISO_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS: Final = re.compile(r"([0-9]+)(?:\.[0-9]+)?")
# The written forms of a day, each matched at the start; a time of day may follow.
_SEPARATED: Final = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_CHINESE: Final = re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})(\s*日)?")
_COMPACT: Final = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_TIME_SEPARATOR: Final = re.compile(r"\s*[Tt]\s*|\s+")
_TIME: Final = re.compile(
    r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?"
    r"\s*(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?"
)
#: A 12-hour clock's half of the day, before or after the time (Windows' Chinese dates:
#: ``2024/3/1 下午 2:30:00``).
_HALF_DAY: Final = re.compile(r"^(上午|下午|[AaPp][Mm])\s*|\s*(上午|下午|[AaPp][Mm])$")
_DAY_FIRST: Final = re.compile(r"[0-9]{1,2}([-/.])[0-9]{1,2}\1[0-9]{4}(?![0-9])")
_TWO_DIGIT_YEAR: Final = re.compile(
    r"[0-9]{1,2}([-/.])[0-9]{1,2}\1[0-9]{1,2}(?![0-9])|[0-9]{1,2}\s*年"
)
_DATE_FORMS: Final = Message(
    zh="可用格式：2024-05-01、2024/5/1、2024.5.1、2024年5月1日、20240501，可带时刻"
    "（2024-05-01 08:30、2024/5/1 下午 2:30、2024-05-01T08:30:00+08:00），"
    "或 Excel 日期序号（45413）",
    en="accepted: 2024-05-01, 2024/5/1, 2024.5.1, 2024年5月1日, 20240501, with or without "
    "a time of day (2024-05-01 08:30, 2024/5/1 下午 2:30, 2024-05-01T08:30:00+08:00), or "
    "an Excel date serial (45413)",
)


def _out_of_range(raw: str, what: Message) -> CellError:
    shown = _shown(raw)
    return _error(
        "out_of_range",
        raw,
        f"{what.zh}不在{_FIRST_YEAR}至{_LAST_YEAR}年之间：“{shown}”；请核对该值",
        f"{what.en} is not within {_FIRST_YEAR}-{_LAST_YEAR}, got '{shown}'; check the value",
    )


def _not_a_day(raw: str, zh: str, en: str) -> CellError:
    shown = _shown(raw)
    return _error(
        "not_a_date",
        raw,
        f"不是有效的日期：{zh}：“{shown}”；请核对该值",
        f"not a day: {en}, got '{shown}'; check the value",
    )


def _in_range(raw: str, day: date) -> date:
    if not _FIRST_YEAR <= day.year <= _LAST_YEAR:
        raise _out_of_range(raw, Message(zh=f"日期 {day}", en=f"the day {day}"))
    return day


def _day(raw: str, year: int, month: int, day: int) -> date:
    """The day written, within a day of the years a record can speak of."""
    # A moment with an offset may still fall on 1990-01-01 or 2100-12-31 in China: the
    # range is checked on the day in China; this only keeps the arithmetic in bounds.
    if not _FIRST_YEAR - 1 <= year <= _LAST_YEAR + 1:
        raise _out_of_range(raw, Message(zh=f"年份{year}", en=f"the year {year}"))
    if not 1 <= month <= 12:
        raise _not_a_day(raw, f"没有{month}月", f"there is no month {month}")
    if 1 <= day <= 28:  # every month has these days
        return date(year, month, day)
    last = calendar.monthrange(year, month)[1]
    if day == 0:
        raise _not_a_day(raw, "没有0日", "there is no day 0")
    if day > last:
        raise _not_a_day(
            raw,
            f"{year}年{month}月只有{last}天",
            f"{_MONTHS[month - 1]} {year} has {last} days",
        )
    return date(year, month, day)


def _time_of_day(read: _Read, day: date, rest: str) -> date:
    """The day of ``day`` at the time of day written in ``rest``, in China Standard Time.

    The time may be of a 12-hour clock, with 上午 or 下午 (AM, PM) before or after it.
    """
    half = _HALF_DAY.search(rest)
    marker = None
    if half is not None:
        marker = (half.group(1) or half.group(2)).upper()
        rest = rest[: half.start()] + rest[half.end() :]
    time = _TIME.fullmatch(rest)
    if time is None:
        raise _not_a_date(read)
    hour, minute = int(time.group(1)), int(time.group(2))
    second = int(time.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        clock = f"{hour}:{time.group(2)}" + ("" if time.group(3) is None else f":{second:02}")
        raise _not_a_day(read.raw, f"没有 {clock} 这个时刻", f"there is no time of day {clock}")
    if marker is not None:
        if not 1 <= hour <= 12:
            raise _not_a_day(
                read.raw,
                f"{marker}的时刻应为1至12点，不是{hour}点",
                f"a time with {marker} has an hour from 1 to 12, not {hour}",
            )
        hour = hour % 12 + (12 if marker in ("下午", "PM") else 0)
    if time.group(4) is None and time.group(5) is None:
        return day  # a naive time: the day as written
    offset = timedelta(0)
    if time.group(5) is not None:
        offset_hours, offset_minutes = int(time.group(6)), int(time.group(7) or 0)
        if offset_hours > 23 or offset_minutes > 59:
            raise _not_a_day(
                read.raw, "时区偏移无效", f"there is no time zone offset {rest[time.start(5) :]}"
            )
        offset = timedelta(hours=offset_hours, minutes=offset_minutes)
        if time.group(5) == "-":
            offset = -offset
    moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=timezone(offset))
    return moment.astimezone(_CHINA).date()


def _not_a_date(read: _Read) -> CellError:
    shown = _shown(read.raw)
    return _error(
        "not_a_date",
        read.raw,
        f"无法识别的日期：“{shown}”；{_DATE_FORMS.zh}",
        f"not a date, got '{shown}'; {_DATE_FORMS.en}",
    )


def _digits_date(read: _Read, whole: str) -> date | None:
    """The day a number written as digits stands for; None for eight digits (YYYYMMDD)."""
    shown = _shown(read.raw)
    if len(whole) == 5:
        serial = int(whole)
        if not _FIRST_SERIAL <= serial <= _LAST_SERIAL:
            raise _out_of_range(
                read.raw,
                Message(
                    zh=f"Excel 日期序号（{_FIRST_SERIAL}至{_LAST_SERIAL}）对应的日期",
                    en=f"the day of an Excel date serial ({_FIRST_SERIAL} to {_LAST_SERIAL})",
                ),
            )
        return _EXCEL_EPOCH + timedelta(days=serial)
    if len(whole) in (10, 13):
        raise _error(
            "timestamp",
            read.raw,
            f"像是 Unix 时间戳：“{shown}”；请按 YYYY-MM-DD 填写日期",
            f"looks like a Unix timestamp, got '{shown}'; write the day as YYYY-MM-DD",
        )
    if len(whole) == 8 and whole == read.text:
        return None
    raise _not_a_date(read)


def parse_date(value: object) -> date | None:
    """The day of a date or a moment, or None if blank.

    Reads ``YYYY-MM-DD``, ``YYYY/M/D``, ``YYYY.M.D``, ``YYYY-M-D``, ``YYYY年M月D日`` (日
    optional) and ``YYYYMMDD``, each optionally followed, after a space or ``T``, by a
    time of day (``H:MM``, ``HH:MM:SS``, an optional fraction of a second, an optional
    ``Z`` or ``±HH:MM``/``±HHMM``/``±HH`` offset; or of a 12-hour clock, ``上午``/``下午``
    or AM/PM before or after it, as Windows writes Chinese dates: ``2024/3/1 下午 2:30:00``);
    and Excel date serials (``45413``, the 1900
    date system; a fraction is the time of day). The day is what counts, and it is a
    day in China: a time with an offset is first converted to China Standard Time
    (北京时间, UTC+8), the time in which the notice's days and deadlines are kept, so
    ``2024-04-30T20:00:00Z`` is 2024-05-01; a time without an offset is taken as written
    (exports of Chinese systems are in local time). The day is within 1990-2100.

    Raises:
        CellError: ``timestamp`` for a Unix timestamp (10 or 13 digits);
            ``ambiguous_date`` for day-first or month-first orders (``05/01/2024``) and
            two-digit years; ``not_a_date`` for an impossible day or time of day
            (``2024-02-30``), saying why, or for anything else, listing the accepted
            forms; ``out_of_range`` for a year outside 1990-2100; ``wrong_type`` for a
            boolean, NaN or infinity.
    """
    if type(value) is str and len(value) == 10:
        iso = _ISO_DAY.fullmatch(value)
        if iso is not None:
            return _in_range(value, _day(value, int(value[:4]), int(value[5:7]), int(value[8:])))
    elif type(value) is date and _FIRST_YEAR <= value.year <= _LAST_YEAR:
        return value
    _refuse_typed(value, _DATE)
    read = _read(value)
    if read is None:
        return None
    text = read.text
    digits = _DIGITS.fullmatch(text)
    if digits is not None:
        serial_day = _digits_date(read, digits.group(1))
        if serial_day is not None:
            return serial_day
    if (written := _SEPARATED.match(text)) is not None:
        year, month, day = written.group(1, 3, 4)
    elif (written := _CHINESE.match(text) or _COMPACT.match(text)) is not None:
        year, month, day = written.group(1, 2, 3)
    elif _DAY_FIRST.match(text):
        raise _ambiguous(read, "日与月的顺序有歧义", "day and month order is ambiguous")
    elif _TWO_DIGIT_YEAR.match(text):
        raise _ambiguous(read, "两位数的年份有歧义", "a two-digit year is ambiguous")
    else:
        raise _not_a_date(read)
    the_day = _day(read.raw, int(year), int(month), int(day))
    rest = text[written.end() :]
    if not rest:
        return _in_range(read.raw, the_day)
    separator = _TIME_SEPARATOR.match(rest)
    if separator is not None:
        rest = rest[separator.end() :]
    elif text[written.end() - 1] != "日":
        # After 日 a time may follow directly; after a digit it needs a space or T.
        raise _not_a_date(read)
    return _in_range(read.raw, _time_of_day(read, the_day, rest))


def moment_days(moments: pl.Series) -> pl.Series:
    """``parse_date`` of each value of a column of moments (polars ``Datetime``), natively.

    The columnar form of the scalar reading, beside it (a hypothesis test proves them
    equal): a moment with a time zone is taken in China Standard Time (UTC+8, a fixed
    offset, as ``parse_date`` converts it), one without as written, and its day is the
    value. Null where ``parse_date`` would not simply give a day (outside 1990-2100, where
    it refuses and says why): the caller reads those one by one.
    """
    import polars as pl

    if moments.dtype.time_zone is not None:  # type: ignore[attr-defined]
        utc = moments.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        moments = utc + timedelta(hours=8)
    days = moments.dt.date()
    inside = days.is_between(date(_FIRST_YEAR, 1, 1), date(_LAST_YEAR, 12, 31))
    return pl.select(pl.when(inside).then(days)).to_series().alias(moments.name)


def _ambiguous(read: _Read, zh: str, en: str) -> CellError:
    shown = _shown(read.raw)
    return _error(
        "ambiguous_date",
        read.raw,
        f"{zh}：“{shown}”；请按 YYYY-MM-DD 填写",
        f"{en}, got '{shown}'; write YYYY-MM-DD",
    )


# --- years ----------------------------------------------------------------------------------

_YEAR_TEXT: Final = re.compile(r"([0-9]{4})\s*(?:年度?)?")


def parse_year(value: object) -> int | None:
    """A year (the credited year, 培训年度), or None if blank.

    ``2024``, ``2024年`` or ``2024年度``, within 1990-2100; a float only when integral
    (``2024.0`` from a spreadsheet, through ``to_text``).

    Raises:
        CellError: ``not_a_year`` for anything but four digits; ``out_of_range``;
            ``wrong_type`` for a boolean, NaN or infinity.
    """
    if type(value) is int and _FIRST_YEAR <= value <= _LAST_YEAR:
        return value
    if type(value) is str and len(value) == 4 and value.isascii() and value.isdigit():
        year = int(value)
        if _FIRST_YEAR <= year <= _LAST_YEAR:
            return year
    _refuse_typed(value, _YEAR)
    read = _read(value)
    if read is None:
        return None
    written = _YEAR_TEXT.fullmatch(read.text)
    if written is None:
        shown = _shown(read.raw)
        raise _error(
            "not_a_year",
            read.raw,
            f"年份应为四位数字，如 2024 或 2024年：“{shown}”",
            f"a year must be four digits such as 2024 or 2024年, got '{shown}'",
        )
    year = int(written.group(1))
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise _out_of_range(read.raw, Message(zh=f"年份{year}", en=f"the year {year}"))
    return year


# --- choices and flags ----------------------------------------------------------------------

E = TypeVar("E", bound=enum.StrEnum)


def choice_key(text: str) -> str:
    """A spelling as compared with the accepted ones.

    NFKC, case folded, without whitespace, punctuation (``_ - · ( ) （ ） [ ] 【 】 , ， 、``
    and every other character of a Unicode punctuation category) or format characters:
    ``公需科目``, ``【公需科目】`` and ``公需 科目`` are one key; symbols such as ``√``
    and ``×`` are kept, and so is a question mark: ``通过?`` is a doubt, not a value.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    category = unicodedata.category
    return "".join(
        [
            c
            for c in folded
            if c == "?" or not (c.isspace() or category(c)[0] in "PZ" or category(c) == "Cf")
        ]
    )


def _spellings(member: enum.StrEnum, spellings: Mapping[Any, tuple[str, ...]]) -> list[str]:
    label = getattr(member, "label", None)
    names = [member.value]
    if isinstance(label, str):
        names.append(label)
    names.extend(spellings.get(member, ()))
    return names


def _choice_table(choices: type[enum.StrEnum]) -> Mapping[str, enum.StrEnum]:
    spellings = SPELLINGS.get(choices, {})
    table: dict[str, enum.StrEnum] = {}
    for member in choices:
        for name in _spellings(member, spellings):
            key = choice_key(name)
            # A key must read as itself (the lookup tries a cell as written first), and
            # must not spell two values.
            if choice_key(key) != key or table.setdefault(key, member) is not member:
                raise AssertionError(f"{choices.__name__}: {name!r} is not one value's key")
    return MappingProxyType(table)


def _flag_table() -> Mapping[str, bool]:
    table: dict[str, bool] = {}
    for flag, spellings in FLAG_SPELLINGS.items():
        for name in spellings:
            key = choice_key(name)
            if choice_key(key) != key or table.setdefault(key, flag) is not flag:
                raise AssertionError(f"flag spelling {name!r} is not one value's key")
    return MappingProxyType(table)


# Built once from the static vocabulary; read-only.
_CHOICE_TABLES: Final[Mapping[type[enum.StrEnum], Mapping[str, enum.StrEnum]]] = MappingProxyType(
    {choices: _choice_table(choices) for choices in SPELLINGS}
)
_FLAGS: Final = _flag_table()


def parse_choice(value: object, choices: type[E]) -> E | None:
    """The member of ``choices`` a cell spells, or None if blank.

    A member is spelled by its value, its Chinese label and each of its spellings in
    ``SPELLINGS``, compared after ``choice_key`` (width, case, spaces and punctuation do
    not count): ``公需科目``, ``公需`` and ``Public`` are ``Category.PUBLIC``. Nothing else
    is mapped to a member.

    Raises:
        CellError: ``unknown_value`` for any other text, listing the accepted values;
            ``wrong_type`` for a boolean, NaN or infinity.
    """
    _refuse_typed(value, _CHOICE)
    read = _read(value)
    if read is None:
        return None
    table = _CHOICE_TABLES.get(choices)
    if table is None:
        table = _choice_table(choices)
    # Most cells are written as a key already (公需科目, public): look them up as they are.
    member = table.get(read.text)
    if member is None:
        member = table.get(choice_key(read.text))
    if member is None:
        shown = _shown(read.raw)
        labels = [(m.value, getattr(m, "label", None)) for m in choices]
        zh = "、".join(v if label is None else f"{label}（{v}）" for v, label in labels)
        en = ", ".join(v if label is None else f"{v} ({label})" for v, label in labels)
        raise _error(
            "unknown_value",
            read.raw,
            f"未知的取值“{shown}”；可用：{zh}",
            f"unknown value '{shown}'; accepted: {en}",
        )
    return cast(E, member)


def parse_flag(value: object) -> bool | None:
    """A yes/no cell (是否优质在线公需课), or None if blank.

    A boolean is itself; text is looked up after ``choice_key`` among
    ``FLAG_SPELLINGS``: 是/否, true/false, yes/no, y/n, 1/0, √/× and the others listed.

    Raises:
        CellError: ``unknown_value`` for any other text, listing the accepted spellings;
            ``wrong_type`` for NaN or infinity.
    """
    if isinstance(value, bool):
        return value
    _refuse_typed(value, _FLAG)
    read = _read(value)
    if read is None:
        return None
    flag = _FLAGS.get(read.text)
    if flag is None:
        flag = _FLAGS.get(choice_key(read.text))
    if flag is None:
        shown = _shown(read.raw)
        yes, no = FLAG_SPELLINGS[True], FLAG_SPELLINGS[False]
        raise _error(
            "unknown_value",
            read.raw,
            f"未知的取值“{shown}”；表示“是”可用：{'、'.join(yes)}；表示“否”可用：{'、'.join(no)}",
            f"unknown value '{shown}'; accepted for yes: {', '.join(yes)}; for no: {', '.join(no)}",
        )
    return flag


# --- topics ---------------------------------------------------------------------------------

_TOPIC_SEPARATOR: Final = re.compile(r"[;；、|,，]")
_TOPIC_STRIP: Final = '“”"' + _WHITESPACE


def _topic(read: _Read, part: str) -> PublicTopic | str | None:
    part = part.strip(_TOPIC_STRIP)
    if not part:
        return None
    text = _clean_text(read, part, _TOPICS)
    return PublicTopic.from_label(text) or text


def parse_topics(value: object) -> tuple[PublicTopic | str, ...]:
    """The public-subject topics of a course (二(一)); ``()`` if blank.

    Text is split on ``;`` ``；`` ``、`` ``|`` ``,`` ``，``; each part is stripped of
    quotes and spaces and read as a text (``parse_text``), and empty parts are dropped. A
    part that is a topic's value or Chinese label becomes that ``PublicTopic``; any other
    part stays as its text. A list or tuple (a JSON array) gives one topic per item, not
    split further.

    Raises:
        CellError: as ``parse_text`` for a part; ``wrong_type`` for a boolean, NaN or
            infinity; ``not_a_cell`` for an item that is not a cell.
    """
    if isinstance(value, list | tuple):
        topics: list[PublicTopic | str] = []
        for item in value:
            _refuse_typed(item, _TOPICS)
            read = _read(item)
            if read is not None:
                topic = _topic(read, read.text)
                if topic is not None:
                    topics.append(topic)
        return tuple(topics)
    _refuse_typed(value, _TOPICS)
    read = _read(value)
    if read is None:
        return ()
    parts = (_topic(read, part) for part in _TOPIC_SEPARATOR.split(read.text))
    return tuple(part for part in parts if part is not None)


# --- dispatch -------------------------------------------------------------------------------


def parse_cell(column: Column, value: object) -> Any:
    """A cell of ``column`` read by the parser of its kind (None, or ``()``, if blank).

    Raises:
        CellError: as the parser of the column's kind.
        TypeError: for a ``choice`` column without its enum (a mistake in the schema).
    """
    kind = column.kind
    match kind:
        case CellKind.ID:
            return parse_id(value)
        case CellKind.TEXT:
            return parse_text(value)
        case CellKind.CHOICE:
            if column.choices is None:
                raise TypeError(f"column {column.name!r} is a choice without choices")
            return parse_choice(value, column.choices)
        case CellKind.HOURS:
            return parse_hours(value)
        case CellKind.DATE:
            return parse_date(value)
        case CellKind.YEAR:
            return parse_year(value)
        case CellKind.FLAG:
            return parse_flag(value)
        case CellKind.TOPICS:
            return parse_topics(value)
        case _:
            assert_never(kind)
