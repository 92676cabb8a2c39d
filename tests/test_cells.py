"""Every cell rule: what each parser reads, what it refuses and why, for any input."""

from __future__ import annotations

import pickle
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ce_rules import _cells
from ce_rules._cells import (
    ERROR_CODES,
    CellError,
    choice_key,
    may_have_been,
    normalise,
    parse_cell,
    parse_choice,
    parse_date,
    parse_flag,
    parse_hours,
    parse_id,
    parse_text,
    parse_topics,
    parse_year,
    to_text,
)
from ce_rules._exceptions import CeRulesError
from ce_rules._message import Message
from ce_rules._schema import RECORD_COLUMNS, CellKind, column
from ce_rules._vocabulary import (
    FLAG_SPELLINGS,
    SPELLINGS,
    Category,
    EntryStatus,
    Mode,
    PublicTopic,
    Role,
    UnitLevel,
)

PARSERS = (parse_id, parse_text, parse_hours, parse_date, parse_year, parse_flag, parse_topics)
BLANKS = (None, "", "   ", "\t\n", "\u3000", "\u200b", "\ufeff ", "\\N", "NULL", "null", " null ")
CST = timezone(timedelta(hours=8))


def _refusal(parser: Any, value: object) -> CellError:
    with pytest.raises(CellError) as caught:
        parser(value)
    assert caught.value.code in ERROR_CODES
    return caught.value


def _outcome(parser: Any, value: object) -> object:
    """The parsed value, or the code of the refusal."""
    try:
        return parser(value)
    except CellError as error:
        return ("refused", error.code)


# --- the error -------------------------------------------------------------------------------


def test_cell_error_reads_as_english_and_keeps_its_fields() -> None:
    """A CellError is a ValueError whose text is the English message, with code and value."""
    error = _refusal(parse_hours, "3_0")
    assert isinstance(error, ValueError)
    assert isinstance(error, CeRulesError)
    assert str(error) == error.message.en
    assert error.code == "not_a_number"
    assert error.value == "3_0"


def test_cell_error_survives_pickling() -> None:
    """A CellError crosses a process boundary with its code, message and value."""
    error = _refusal(parse_id, "3.70602E+17")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message, copy.value) == (error.code, error.message, error.value)
    assert str(copy) == str(error)


def test_every_code_is_in_the_module_table() -> None:
    """The module docstring's table lists exactly the codes of ERROR_CODES."""
    doc = _cells.__doc__ or ""
    table = doc[doc.index("Error codes") :]
    listed = re.findall(r"^    ([a-z_]+) ", table, re.MULTILINE)
    assert listed[1:] == list(ERROR_CODES)  # the first is the table's heading, "code"


def test_messages_quote_the_value_safely_and_briefly() -> None:
    """A message quotes at most 50 characters of the value, its control characters escaped."""
    error = _refusal(parse_text, "a\x1bb" + "x" * 100)
    for text in (error.message.en, error.message.zh):
        assert "\x1b" not in text
        assert "a\\x1bb" in text
        assert "a\\x1bb" + "x" * 47 + "…" in text
        assert "x" * 51 not in text
    assert error.value == "a\x1bb" + "x" * 100


# --- to_text and normalise -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, None),
        ("x y", "x y"),
        (True, "true"),
        (False, "false"),
        (10, "10"),
        (-3, "-3"),
        (10086.0, "10086"),
        (0.5, "0.5"),
        (0.1, "0.1"),
        (3.70602199001011e17, "3.70602199001011e+17"),
        (1e15, "1000000000000000.0"),
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
        (Decimal("1E+1"), "10"),
        (Decimal("10.50"), "10.50"),
        (Decimal("NaN"), "NaN"),
        (datetime(2024, 5, 1, 8, 30), "2024-05-01 08:30:00"),
        (datetime(2024, 5, 1, 8, 30, tzinfo=UTC), "2024-05-01 08:30:00+00:00"),
        (date(2024, 5, 1), "2024-05-01"),
        (Category.PUBLIC, "public"),
    ],
)
def test_to_text_writes_typed_values_canonically(given: object, expected: str | None) -> None:
    """Typed values become the one text every parser reads."""
    text = to_text(given)
    assert text == expected
    assert text is None or type(text) is str


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ([1], "not_a_cell"),
        ({"a": 1}, "not_a_cell"),
        (b"10", "not_a_cell"),
        (time(8, 30), "not_a_cell"),
        (object(), "not_a_cell"),
        pytest.param(10**5000, "too_long", id="an-int-of-5001-digits"),
        (Decimal("1E+999999999"), "too_long"),
    ],
)
def test_to_text_refuses_what_is_not_a_cell(given: object, code: str) -> None:
    """Lists, dicts, bytes, times of day and other objects are not cell values."""
    assert _refusal(to_text, given).code == code


def test_not_a_cell_names_the_type() -> None:
    """The refusal of a value that is not a cell names its type."""
    error = _refusal(parse_id, ["370102"])
    assert "list" in error.message.en
    assert "list" in error.message.zh
    assert error.value is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("１０．５", "10.5"),
        ("Ｘ", "X"),
        ("\u3000张三\u3000", "张三"),
        ("\ufeffabc", "abc"),
        ("a\u00adb", "ab"),
        ("37\u200b01\u200d02\u2060", "370102"),
        ("\u202eabc\u202c", "abc"),
        ("e\u200d\u0301", "\u00e9"),
        ("  x  ", "x"),
        ("Null", "Null"),
        ("NULL", None),
        ("\\N", None),
        ("＼Ｎ", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise(given: str | None, expected: str | None) -> None:
    """Width, format characters and surrounding whitespace do not count; null markers are blank."""
    assert normalise(given) == expected


@pytest.mark.parametrize("given", ["a\ud800b", "\udfff"])
def test_a_lone_surrogate_is_refused(given: str) -> None:
    """A lone surrogate (a damaged file, a JSON escape) is refused, never kept or dropped."""
    error = _refusal(normalise, given)
    assert error.code == "surrogate"
    error.message.en.encode("utf-8")  # the message itself is safe to print


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("blank", BLANKS)
def test_blanks_are_none(parser: Any, blank: str | None) -> None:
    """Every parser reads a blank, whitespace, a format character or a null marker as blank."""
    assert parser(blank) == (() if parser is parse_topics else None)


# --- identifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("370102198001011234", "370102198001011234"),
        ("37010219800101123X", "37010219800101123X"),
        ("37010219800101123x", "37010219800101123X"),
        ("3701\u200b02", "370102"),
        (" ３７０１０２ ", "370102"),
        ("\ufeff370102\n", "370102"),
        ("C-2024_001", "C-2024_001"),
        ("课程A01", "课程A01"),
        ("2E10", "2E10"),
        ("2024E001", "2024E001"),
        ("1.5", "1.5"),
        (370102198001011234, "370102198001011234"),
        (10086.0, "10086"),
        ("x" * 64, "x" * 64),
    ],
)
def test_ids_read(given: object, expected: str) -> None:
    """An ID is its normalised text; a resident ID's check digit x is upper case."""
    assert parse_id(given) == expected


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("3.70602E+17", "spreadsheet_number"),
        ("3.70602199001011e+17", "spreadsheet_number"),
        ("1.2E5", "spreadsheet_number"),
        ("1E+16", "spreadsheet_number"),
        (3.70602199001011e17, "spreadsheet_number"),
        ("370102198001011234.0", "spreadsheet_number"),
        ("10086.00", "spreadsheet_number"),
        ("3701\x0102", "control_character"),
        ("3701\x00", "control_character"),
        ("3701\x1f02", "control_character"),
        ("3701\x8502", "control_character"),
        ("3701\t02", "control_character"),
        ("3701 02", "whitespace_in_id"),
        ("3701\u300002", "whitespace_in_id"),
        ("3701\u168002", "whitespace_in_id"),
        ("3701\u202802", "whitespace_in_id"),
        ("x" * 65, "too_long"),
        (True, "wrong_type"),
        (float("nan"), "wrong_type"),
        (Decimal("Infinity"), "wrong_type"),
        ([1], "not_a_cell"),
    ],
)
def test_ids_refused(given: object, code: str) -> None:
    """An ID a spreadsheet rewrote, or with a control character or whitespace, is refused."""
    assert _refusal(parse_id, given).code == code


def test_id_refusals_say_which_character() -> None:
    """The refusal of a control character or whitespace names it as U+XXXX."""
    assert "U+0001" in _refusal(parse_id, "3701\x0102").message.en
    assert "U+0001" in _refusal(parse_id, "3701\x0102").message.zh
    assert "U+0020" in _refusal(parse_id, "3701 02").message.en
    assert "U+1680" in _refusal(parse_id, "3701\u168002").message.zh


def test_spreadsheet_messages_say_what_to_do() -> None:
    """The refusal of a rewritten ID says the digits are lost and to export the column as text."""
    scientific = _refusal(parse_id, "3.70602E+17").message
    assert "scientific notation" in scientific.en
    assert "format the column as text and export again" in scientific.en
    assert "科学计数法" in scientific.zh
    assert "ends in .0" in _refusal(parse_id, "370102198001011234.0").message.en


# --- texts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("张三", "张三"),
        ("  张\u3000三  ", "张 三"),
        ("继续教育\n专题\t讲座", "继续教育 专题 讲座"),
        ("a \r\n b", "a b"),
        ("Zhang  Wei", "Zhang Wei"),  # ASCII: not the fast path's, which takes text as it is
        ("Ｐｙｔｈｏｎ", "Python"),
        ("济\u200b南", "济南"),
        (12, "12"),
        (3.5, "3.5"),
        ("x" * 200, "x" * 200),
    ],
)
def test_texts_read(given: object, expected: str) -> None:
    """A text is normalised and its runs of whitespace are one space."""
    assert parse_text(given) == expected


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("a\x00b", "control_character"),
        ("a\x1cb", "control_character"),
        ("a\x7fb", "control_character"),
        ("x" * 201, "too_long"),
        (True, "wrong_type"),
        (float("nan"), "wrong_type"),
        ({"name": "张三"}, "not_a_cell"),
    ],
)
def test_texts_refused(given: object, code: str) -> None:
    """A text with a control character, or too long, is refused."""
    assert _refusal(parse_text, given).code == code


# --- hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("10", Decimal(10)),
        ("10.5", Decimal("10.5")),
        (" 2.25 ", Decimal("2.25")),
        ("0.01", Decimal("0.01")),
        (".5", Decimal("0.5")),
        ("10.", Decimal(10)),
        ("1000", Decimal(1000)),
        ("1000.00", Decimal(1000)),
        ("10.500", Decimal("10.5")),
        ("010", Decimal(10)),
        ("10学时", Decimal(10)),
        ("10 学时", Decimal(10)),
        ("10h", Decimal(10)),
        ("10 H", Decimal(10)),
        ("１０．５", Decimal("10.5")),
        ("１０学时", Decimal(10)),
        (10, Decimal(10)),
        (0.5, Decimal("0.5")),
        (0.1, Decimal("0.1")),
        (10.0, Decimal(10)),
        (Decimal("152.5"), Decimal("152.5")),
        (Decimal("1E+1"), Decimal(10)),
    ],
)
def test_hours_read(given: object, expected: Decimal) -> None:
    """Hours are the exact decimal written, with or without the unit 学时 or h."""
    hours = parse_hours(given)
    assert hours == expected
    assert isinstance(hours, Decimal)


def test_hours_keep_the_digits_written() -> None:
    """Nothing is rounded or rescaled: the Decimal is the digits of the cell."""
    assert str(parse_hours("10.5")) == "10.5"
    assert str(parse_hours("0.25")) == "0.25"


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("3_0", "not_a_number"),
        ("1e1", "not_a_number"),
        ("1E+1", "not_a_number"),
        ("+5", "not_a_number"),
        ("1,000", "not_a_number"),
        ("1 000", "not_a_number"),
        ("nan", "not_a_number"),
        ("NaN", "not_a_number"),
        ("inf", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("三十", "not_a_number"),
        ("十学时", "not_a_number"),
        ("10学时学时", "not_a_number"),
        ("h", "not_a_number"),
        ("1.2.3", "not_a_number"),
        ("0x10", "not_a_number"),
        ("\u0661\u0660", "not_a_number"),
        (True, "not_a_number"),
        (False, "not_a_number"),
        (float("nan"), "not_a_number"),
        (float("inf"), "not_a_number"),
        (Decimal("NaN"), "not_a_number"),
        (1e-07, "not_a_number"),
        ("10小时", "unit"),
        ("10 小时", "unit"),
        ("90分钟", "unit"),
        ("45 min", "unit"),
        ("2 hours", "unit"),
        ("0", "not_positive"),
        ("0.00", "not_positive"),
        ("-5", "not_positive"),
        (-5, "not_positive"),
        (-0.0, "not_positive"),
        ("1000.01", "too_large"),
        ("1001", "too_large"),
        (1e15, "too_large"),
        ("10.555", "too_many_decimals"),
        ("0.001", "too_many_decimals"),
        (0.30000000000000004, "too_many_decimals"),
        (Decimal("0.005"), "too_many_decimals"),
        ([10], "not_a_cell"),
    ],
)
def test_hours_refused(given: object, code: str) -> None:
    """Anything but a plain decimal in (0, 1000] with two places at most is refused."""
    assert _refusal(parse_hours, given).code == code


def test_hours_messages() -> None:
    """The refusal of hours that are not a plain number says what a plain number is."""
    message = _refusal(parse_hours, "3_0").message
    assert message.en == "hours must be a plain decimal number such as 10 or 10.5, got '3_0'"
    assert "3_0" in message.zh
    assert "not a boolean" in _refusal(parse_hours, True).message.en
    assert "学时 are credit hours" in _refusal(parse_hours, "10小时").message.en


# --- dates ---------------------------------------------------------------------------------

MAY_DAY = date(2024, 5, 1)


@pytest.mark.parametrize(
    "given",
    [
        "2024-05-01",
        "2024/5/1",
        "2024/05/01",
        "2024.5.1",
        "2024-5-1",
        "2024年5月1日",
        "2024年5月1",
        "2024 年 5 月 1 日",
        "20240501",
        "２０２４－０５－０１",
        "2024/5/1 8:30",
        "2024-05-01 00:00:00",
        "2024-05-01 23:59:59.999999",
        "2024-05-01T08:30",
        "2024-05-01t08:30",
        "2024年5月1日 8:30",
        "2024年5月1日8:30:00",
        "20240501 08:30",
        "2024-05-01T08:30:00+00:00",
        "2024-05-01T08:30:00+0800",
        "2024-05-01 08:30:00 +08:00",
        "2024-05-01 08:30:00.123+08",
        "2024-04-30 20:00:00-04",
        "2024-04-30T20:00:00Z",
        "2024-04-30T16:00:00.5Z",
        "2024-05-01T10:00:00-05:00",
        "2024/5/1 上午 8:30:00",  # Windows' Chinese dates: a 12-hour clock
        "2024/5/1 下午 11:59:59",
        "2024/5/1 上午 12:00",
        "2024年5月1日下午2:30",
        "2024/5/1 8:30 PM",
        "2024-05-01 12:30 am",
        "2024-04-30 下午 4:00:00Z",
        "45413",
        "45413.75",
        45413,
        45413.5,
        20240501,
        date(2024, 5, 1),
        datetime(2024, 5, 1, 23, 59),
        datetime(2024, 4, 30, 20, 0, tzinfo=UTC),
        datetime(2024, 5, 1, 8, 0, tzinfo=CST),
    ],
)
def test_may_day_read(given: object) -> None:
    """Every accepted form of 2024-05-01, with or without a time of day, is that day."""
    assert parse_date(given) == MAY_DAY


@pytest.mark.parametrize(
    ("given", "day"),
    [
        ("2024-04-30T15:59:59Z", date(2024, 4, 30)),
        ("2024-04-30T16:00:00Z", date(2024, 5, 1)),
        ("2024-05-01T23:30:00+09:00", date(2024, 5, 1)),
        ("2024-05-01T20:00:00-05:00", date(2024, 5, 2)),
        ("2024-05-01 23:30:00", date(2024, 5, 1)),
        ("1989-12-31T16:00:00Z", date(1990, 1, 1)),
        # 上午/下午 decide the hour, and with an offset the day.
        ("2024-04-30 上午 3:59:59Z", date(2024, 4, 30)),
        ("2024-04-30 下午 3:59:59Z", date(2024, 4, 30)),
        ("2024-04-30 下午 4:00:00Z", date(2024, 5, 1)),
        ("2024-04-30 上午 12:00:00Z", date(2024, 4, 30)),
        ("2024-04-30 下午 12:00:00Z", date(2024, 4, 30)),
        ("2024-04-30 上午 12:30:00-08:00", date(2024, 4, 30)),
        ("2024-04-30 下午 12:30:00-08:00", date(2024, 5, 1)),
    ],
)
def test_a_moment_is_a_day_in_china(given: str, day: date) -> None:
    """A time with an offset counts on its day in China Standard Time; a naive one as written."""
    assert parse_date(given) == day


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("1714521600", "timestamp"),
        ("1714521600000", "timestamp"),
        ("1714521600.5", "timestamp"),
        (1714521600, "timestamp"),
        ("05/01/2024", "ambiguous_date"),
        ("1-5-2024", "ambiguous_date"),
        ("01.05.2024", "ambiguous_date"),
        ("13/05/2024", "ambiguous_date"),
        ("05/01/2024 08:30", "ambiguous_date"),
        ("24-05-01", "ambiguous_date"),
        ("5/1/24", "ambiguous_date"),
        ("24年5月1日", "ambiguous_date"),
        ("2024-02-30", "not_a_date"),
        ("2023-02-29", "not_a_date"),
        ("2024-13-01", "not_a_date"),
        ("2024-00-10", "not_a_date"),
        ("2024-05-00", "not_a_date"),
        ("2024-04-31", "not_a_date"),
        ("2024-05-01 24:00", "not_a_date"),
        ("2024-05-01 08:60", "not_a_date"),
        ("2024-05-01 下午 13:00", "not_a_date"),  # a 12-hour clock's hours are 1 to 12
        ("2024-05-01 上午 0:30", "not_a_date"),
        ("2024-05-01 下午", "not_a_date"),
        ("2024-05-01 下午 2:30 下午", "not_a_date"),
        ("2024-05-01 晚上 8:30", "not_a_date"),
        ("2024-05-01 下午 2:61", "not_a_date"),
        ("2024-05-01T08:30:00+25:00", "not_a_date"),
        ("2024-05-01 8", "not_a_date"),
        ("2024-05-018:30", "not_a_date"),
        ("2024-05/01", "not_a_date"),
        ("2024-05", "not_a_date"),
        ("2024年5月", "not_a_date"),
        ("2024", "not_a_date"),
        ("May 1, 2024", "not_a_date"),
        ("01-May-2024", "not_a_date"),
        ("yesterday", "not_a_date"),
        ("20240501.5", "not_a_date"),
        ("2024-05-01T08:30:00 CST", "not_a_date"),
        ("1989-12-31", "out_of_range"),
        ("2101-01-01", "out_of_range"),
        ("0000-01-01", "out_of_range"),
        ("9999-12-31T23:00:00-05:00", "out_of_range"),
        ("2100-12-31T20:00:00Z", "out_of_range"),
        ("1990-01-01T00:00:00+09:00", "out_of_range"),
        ("32873", "out_of_range"),
        ("73416", "out_of_range"),
        (date(1989, 12, 31), "out_of_range"),
        (True, "wrong_type"),
        (float("nan"), "wrong_type"),
        (time(8, 30), "not_a_cell"),
    ],
)
def test_dates_refused(given: object, code: str) -> None:
    """Timestamps, ambiguous orders, impossible days and years out of range are refused."""
    assert _refusal(parse_date, given).code == code


def test_date_messages_say_why() -> None:
    """An impossible day says why; an unreadable one lists the accepted forms."""
    february = _refusal(parse_date, "2024-02-30").message
    assert "February 2024 has 29 days" in february.en
    assert "2024年2月只有29天" in february.zh
    unknown = _refusal(parse_date, "May 1, 2024").message
    assert "2024年5月1日" in unknown.en
    assert "Excel" in unknown.zh
    assert "Unix timestamp" in _refusal(parse_date, "1714521600").message.en
    assert "write YYYY-MM-DD" in _refusal(parse_date, "05/01/2024").message.en


def test_excel_serials_span_the_years() -> None:
    """Excel serials (the 1900 date system) read from 1990-01-01 to 2100-12-31."""
    assert parse_date("32874") == date(1990, 1, 1)
    assert parse_date("73050") == date(2099, 12, 31)
    assert parse_date("73415") == date(2100, 12, 31)


# --- years, flags, choices, topics ---------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024", 2024),
        ("2024年", 2024),
        ("2024 年", 2024),
        ("2024年度", 2024),
        ("２０２４", 2024),
        (2024, 2024),
        (2024.0, 2024),
        (Decimal(2024), 2024),
        ("1990", 1990),
        ("2100", 2100),
    ],
)
def test_years_read(given: object, expected: int) -> None:
    """A year is four digits, optionally followed by 年 or 年度."""
    assert parse_year(given) == expected


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("2024.0", "not_a_year"),
        (2024.5, "not_a_year"),
        ("24", "not_a_year"),
        ("二〇二四", "not_a_year"),
        ("2024-05-01", "not_a_year"),
        ("20240", "not_a_year"),
        ("1989", "out_of_range"),
        ("2101", "out_of_range"),
        (1989, "out_of_range"),
        (True, "wrong_type"),
    ],
)
def test_years_refused(given: object, code: str) -> None:
    """Anything but a four-digit year in 1990-2100 is refused."""
    assert _refusal(parse_year, given).code == code


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("是", True),
        ("否", False),
        ("TRUE", True),
        ("False", False),
        ("Y", True),
        ("n", False),
        ("1", True),
        ("0", False),
        ("√", True),
        ("×", False),
        ("✓", True),
        (" 已入选 ", True),
        ("非优质", False),
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
    ],
)
def test_flags_read(given: object, expected: bool) -> None:
    """Every spelling of yes and no, in any width or case, is read."""
    assert parse_flag(given) is expected


@pytest.mark.parametrize("given", ["2", "是的", "-", "x", "on", 2, float("nan")])
def test_flags_refused(given: object) -> None:
    """Anything else is refused, never read as no."""
    error = _refusal(parse_flag, given)
    assert error.code in {"unknown_value", "wrong_type"}
    if error.code == "unknown_value":
        assert "是" in error.message.zh
        assert "true" in error.message.en


@pytest.mark.parametrize(
    ("given", "choices", "expected"),
    [
        ("公需科目", Category, Category.PUBLIC),
        ("公需", Category, Category.PUBLIC),
        ("【公需科目】", Category, Category.PUBLIC),
        ("公需 科目", Category, Category.PUBLIC),
        ("Public", Category, Category.PUBLIC),
        ("ＰＵＢＬＩＣ", Category, Category.PUBLIC),
        ("专业课", Category, Category.PROFESSIONAL),
        ("授课教师", Role, Role.INSTRUCTOR),
        ("网络学习", Mode, Mode.ONLINE),
        ("面授", Mode, Mode.OFFLINE),
        ("县(市、区)属", UnitLevel, UnitLevel.MUNICIPAL),
        ("县（市、区）属", UnitLevel, UnitLevel.MUNICIPAL),
        ("已审核", EntryStatus, EntryStatus.APPROVED),
        ("审核未通过", EntryStatus, EntryStatus.REJECTED),
        ("party_history", PublicTopic, PublicTopic.PARTY_HISTORY),
        ("Party-History", PublicTopic, PublicTopic.PARTY_HISTORY),
    ],
)
def test_choices_read(given: str, choices: type[Any], expected: object) -> None:
    """A choice is read from its value, its label or any listed spelling, as compared by key."""
    assert parse_choice(given, choices) is expected


def test_every_listed_spelling_reads_as_its_member() -> None:
    """Each value, label and spelling of the vocabulary reads as its own member."""
    for choices, spellings in SPELLINGS.items():
        for member in choices:
            for name in (member.value, member.label, *spellings.get(member, ())):  # type: ignore[attr-defined]
                assert parse_choice(name, choices) is member
    for flag, names in FLAG_SPELLINGS.items():
        for name in names:
            assert parse_flag(name) is flag


def test_unknown_choice_lists_the_accepted_values() -> None:
    """An unknown value is refused with the accepted values, never mapped to a default."""
    error = _refusal(lambda v: parse_choice(v, Category), "公需课程")
    assert error.code == "unknown_value"
    assert error.message == Message(
        zh="未知的取值“公需课程”；可用：公需科目（public）、专业科目（professional）",
        en="unknown value '公需课程'; accepted: public (公需科目), professional (专业科目)",
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("公需", "公需"),
        ("【公需科目】", "公需科目"),
        ("Party_History", "partyhistory"),
        ("县（市、区）属", "县市区属"),
        ("a·b-c d", "abcd"),
        ("√", "√"),
        ("ＡＢＣ", "abc"),
    ],
)
def test_choice_key(given: str, expected: str) -> None:
    """Width, case, spaces, underscores, hyphens, dots and brackets do not tell values apart."""
    assert choice_key(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("党史学习教育", (PublicTopic.PARTY_HISTORY,)),
        (
            "党史学习教育；数字技术、“人工智能”",
            (PublicTopic.PARTY_HISTORY, PublicTopic.DIGITAL_TECHNOLOGY, "人工智能"),
        ),
        ("a; b|c,d，e、f", ("a", "b", "c", "d", "e", "f")),
        (";;  ; 网络安全 ;", (PublicTopic.CYBERSECURITY,)),
        ("cybersecurity", (PublicTopic.CYBERSECURITY,)),
        ("人工  智能", ("人工 智能",)),
        (["党史学习教育", "x;y"], (PublicTopic.PARTY_HISTORY, "x;y")),
        ((PublicTopic.TEAMWORK, " ", None), (PublicTopic.TEAMWORK,)),
        ([], ()),
    ],
)
def test_topics_read(given: object, expected: tuple[object, ...]) -> None:
    """Topics are split, stripped of quotes and spaces; known ones become PublicTopic."""
    assert parse_topics(given) == expected


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("a\x01; b", "control_character"),
        ("x" * 201, "too_long"),
        (True, "wrong_type"),
        ([["nested"]], "not_a_cell"),
    ],
)
def test_topics_refused(given: object, code: str) -> None:
    """A topic with a control character, or too long, is refused."""
    assert _refusal(parse_topics, given).code == code


def test_topics_are_long_one_by_one() -> None:
    """The 200-character limit is a topic's, not the cell's; the message counts the topic."""
    many = "；".join(["数字技术"] * 100)
    assert parse_topics(many) == (PublicTopic.DIGITAL_TECHNOLOGY,) * 100
    error = _refusal(parse_topics, "党史学习教育；" + "x" * 201)
    assert "got 201" in error.message.en


# --- dispatch ------------------------------------------------------------------------------

_SAMPLES: dict[CellKind, tuple[str, object]] = {
    CellKind.ID: ("３７０１０２", "370102"),
    CellKind.TEXT: ("张\u3000三", "张 三"),
    CellKind.HOURS: ("10学时", Decimal(10)),
    CellKind.DATE: ("2024/5/1", MAY_DAY),
    CellKind.YEAR: ("2024年", 2024),
    CellKind.FLAG: ("是", True),
    CellKind.TOPICS: ("党史学习教育", (PublicTopic.PARTY_HISTORY,)),
}


@pytest.mark.parametrize("col", RECORD_COLUMNS, ids=lambda c: c.name)
def test_parse_cell_uses_the_parser_of_the_kind(col: Any) -> None:
    """Each column's cells are read by the parser of its kind; a choice by its enum."""
    if col.kind is CellKind.CHOICE:
        assert col.choices is not None
        member = next(iter(col.choices))
        assert parse_cell(col, member.label) is member
    else:
        text, expected = _SAMPLES[col.kind]
        assert parse_cell(col, text) == expected
    assert parse_cell(col, " ") == (() if col.kind is CellKind.TOPICS else None)


def test_parse_cell_refuses_as_its_parser() -> None:
    """A cell of a column is refused with the code of its kind's parser."""
    assert _refusal(lambda v: parse_cell(column("hours"), v), "3_0").code == "not_a_number"
    assert _refusal(lambda v: parse_cell(column("category"), v), "公需课程").code == (
        "unknown_value"
    )


# --- properties ----------------------------------------------------------------------------

# Text that reaches the parsers' inner branches: digits, separators, units, invisible and
# control characters, full-width forms.
_CELLISH = st.text(
    st.sampled_from(
        [
            *'0123456789-/.:年月日度学时hHTZ+eE_x ,;、|“"Xx',
            *("\u200b", "\ufeff", "\x01", "\t", "\n", "０", "．", "\u3000", "\ud800", "\x85"),
        ]
    ),
    max_size=30,
)
_ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40) | _CELLISH
_ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC) | st.just(CST)),
    st.times(),
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.lists(_CELLISH, max_size=3),
    _ANY_TEXT,
)


@given(_ANY_VALUE)
def test_parsers_raise_nothing_but_cell_error(value: object) -> None:
    """No parser raises anything but CellError, for any text or typed value."""
    for parser in (*PARSERS, lambda v: parse_choice(v, Category), to_text):
        try:
            parser(value)
        except CellError as error:
            refused = error
        else:
            continue
        assert refused.code in ERROR_CODES
        assert refused.message.en
        assert refused.message.zh


@given(_ANY_TEXT)
def test_parsing_what_was_parsed_gives_the_same(text: str) -> None:
    """An accepted value written back as text reads as itself; width never changes a result."""
    for parser in (parse_hours, parse_date, parse_id, parse_year, parse_text, parse_flag):
        try:
            first = parser(text)
        except CellError:
            continue
        assert parser(to_text(first)) == first
    for parser in PARSERS:
        folded = _outcome(parser, _width_folded(text))
        assert _outcome(parser, text) == folded


def _width_folded(text: str) -> str:
    return "".join(
        unicodedata.normalize("NFKC", c)
        if unicodedata.decomposition(c).startswith(("<wide>", "<narrow>"))
        else c
        for c in text
    )


def test_width_folding_covers_every_wide_and_narrow_form() -> None:
    """Every <wide> or <narrow> character of the Basic Multilingual Plane is folded."""
    from ce_rules._cells import _WIDTH_FOLDS

    wide = {
        p
        for p in range(0x10000)
        if unicodedata.decomposition(chr(p)).startswith(("<wide>", "<narrow>"))
    }
    assert wide == set(_WIDTH_FOLDS)


def test_compatibility_forms_other_than_width_are_not_folded_into_numbers() -> None:
    """A superscript or circled digit is refused as a number, never read as another one."""
    for text in ("10²", "①⓪", "½"):
        with pytest.raises(CellError):
            parse_hours(text)
    assert parse_hours("１０．５") == Decimal("10.5")


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(st.integers(min_value=1, max_value=100_000), st.booleans())
def test_every_hours_value_reads_back_exactly(cents: int, padded: bool) -> None:
    """Every decimal in (0, 1000] with two places reads back: plain, full width, with 学时."""
    hours = Decimal(cents).scaleb(-2) if padded else Decimal(cents) / 100
    written = str(hours)
    for form in (written, _full_width(written), f"{written}学时", f" {written} h", hours):
        assert parse_hours(form) == hours
    assert parse_hours(float(written)) == hours


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_every_day_reads_back_from_every_form(day: date) -> None:
    """Every day of 1990-2100 reads back from each accepted written form."""
    y, m, d = day.year, day.month, day.day
    iso = day.isoformat()
    before = (day - timedelta(days=1)).isoformat()
    forms: list[object] = [
        iso,
        f"{y}/{m}/{d}",
        f"{y}.{m}.{d}",
        f"{y}-{m}-{d}",
        f"{y}年{m}月{d}日",
        f"{y}年{m}月{d}",
        f"{y:04}{m:02}{d:02}",
        _full_width(iso),
        f"{y}/{m}/{d} 8:30",
        f"{iso} 23:59:59",
        f"{iso}T00:00:00.123456",
        f"{y}年{m}月{d}日 12:00",
        f"{iso}T00:00:00+08:00",
        f"{iso}T23:59:59+0800",
        f"{before}T16:00:00Z",
        str((day - date(1899, 12, 30)).days),
        f"{(day - date(1899, 12, 30)).days}.25",
        day,
        datetime(y, m, d, 12, 0),
        datetime(y, m, d, 4, 0, tzinfo=UTC),
    ]
    for form in forms:
        assert parse_date(form) == day, form


_FORMAT_CHARACTERS = [
    "\u00ad",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202e",
    "\u2060",
    "\u2066",
    "\u2069",
    "\ufeff",
    "\U000e0001",
]
_IDS = st.from_regex(r"\A37[0-9]{15}[0-9Xx]\Z") | st.from_regex(r"\A[0-9A-Za-z_\-]{1,40}\Z")


@given(_IDS, st.sampled_from(_FORMAT_CHARACTERS), st.data())
def test_an_invisible_character_never_makes_another_id(
    valid: str, invisible: str, data: st.DataObject
) -> None:
    """A format character inserted anywhere in an ID leaves the same ID."""
    position = data.draw(st.integers(min_value=0, max_value=len(valid)))
    assert parse_id(valid[:position] + invisible + valid[position:]) == parse_id(valid)


@given(_IDS, st.sampled_from([chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]]), st.data())
def test_a_control_character_never_makes_another_id(
    valid: str, control: str, data: st.DataObject
) -> None:
    """A control character inside an ID is refused; at its edges only whitespace is stripped."""
    position = data.draw(st.integers(min_value=0, max_value=len(valid)))
    at_edge = position in (0, len(valid))
    outcome = _outcome(parse_id, valid[:position] + control + valid[position:])
    if at_edge and control in "\t\n\v\f\r":
        assert outcome == parse_id(valid)
    else:
        assert outcome == ("refused", "control_character")


@given(st.floats())
def test_float_hours_read_as_their_repr(value: float) -> None:
    """A float is read as the shortest text that writes it."""
    assert _outcome(parse_hours, value) == _outcome(parse_hours, repr(value))


@pytest.mark.parametrize(
    ("number", "person_id", "may"),
    [
        # Six digits written: any ID within one unit of the last of them (rounded or cut).
        ("3.70602E+17", "370602198001011234", True),
        ("3.70602E+17", "370601000000000001", True),
        ("3.70602E+17", "370601000000000000", False),
        ("3.70602E+17", "370602999999999999", True),
        ("3.70602E+17", "370603000000000000", False),
        ("3.70602e17", "370602198001011234", True),
        ("1E+16", "10000000000000000", True),
        ("1E+16", "20000000000000000", False),
        # 15 significant digits kept, the rest lost.
        ("370102198001011000.0", "370102198001011234", True),
        ("370102198001011000.0", "370102198001011999", True),
        ("370102198001011000.0", "370102198001012000", False),
        ("370102198001011264.0", "370102198001011234", True),
        # Fewer than 15 digits are all kept: only the ID itself.
        ("10086.0", "10086", True),
        ("10086.0", "10087", False),
        # A check digit X is never made a number; any other text may be any ID.
        ("3.70602E+17", "37060219800101123X", False),
        (" 3.70602E+17 ", "370602198001011234", True),
        ("P 1", "P1", True),
        ("", "370602198001011234", True),
    ],
)
def test_an_id_a_spreadsheet_made_a_number_may_have_been_only_ids_near_it(
    number: str, person_id: str, may: bool
) -> None:
    """``may_have_been``: the leading digits a spreadsheet kept, on both sides of each bound."""
    assert may_have_been(number, person_id) is may


def test_an_impossible_time_of_a_12_hour_clock_is_quoted_as_written() -> None:
    """下午 2:61 is no time of day: the message names 2:61, not a 24-hour 14:61 never typed."""
    with pytest.raises(CellError) as raised:
        parse_date("2024-05-01 下午 2:61")
    assert "没有 2:61 这个时刻" in raised.value.message.zh
    assert "there is no time of day 2:61" in raised.value.message.en


# --- cells a spreadsheet was told to keep as text -------------------------------------------


@pytest.mark.parametrize(
    ("parser", "given", "expected"),
    [
        (parse_id, "'370102198001011234", "370102198001011234"),
        (parse_id, '="370102198001011234"', "370102198001011234"),
        (parse_id, " ＇370102198001011234", "370102198001011234"),  # a full-width apostrophe
        (parse_id, "'37010219800101123x", "37010219800101123X"),
        (parse_id, "''C-01", "C-01"),
        (parse_id, '="=""C-01"""', "C-01"),  # a formula of a formula's text
        (parse_id, "' 370102", "370102"),
        (parse_id, "=370102", "=370102"),  # a formula that is not of a text: as written
        (parse_id, '="370102"&""', '="370102"&""'),  # nor is a text joined to another
        (parse_id, '="3701"&"02"', '="3701"&"02"'),
        (parse_id, "370102'", "370102'"),  # a mark only at the start
        (parse_date, '="2024-05-01"', date(2024, 5, 1)),
        (parse_date, "'2024/5/1", date(2024, 5, 1)),
        (parse_hours, "'10.5", Decimal("10.5")),
        (parse_hours, '="10"', Decimal("10")),
        (parse_year, "'2024", 2024),
        (parse_flag, '="是"', True),
        (parse_text, "'王小明", "王小明"),
        (parse_text, '="王小明"', "王小明"),
        (parse_text, "=1+2", "=1+2"),
        (parse_topics, "'党的二十届三中全会精神", ("党的二十届三中全会精神",)),
        (lambda v: parse_choice(v, Category), '="公需科目"', Category.PUBLIC),
    ],
)
def test_a_cell_marked_as_text_reads_as_its_text(parser: Any, given: str, expected: object) -> None:
    """A leading apostrophe and ``="…"`` keep a spreadsheet from making a number: not the value."""
    assert parser(given) == expected


@pytest.mark.parametrize("given", ["'", "''", '=""', '="NULL"', "'NULL", "' ", '=" "'])
@pytest.mark.parametrize("parser", PARSERS)
def test_a_blank_marked_as_text_is_blank(parser: Any, given: str) -> None:
    """A mark with nothing (or a database's null) inside is a blank cell, for every kind."""
    assert parser(given) == (() if parser is parse_topics else None)


@given(
    _IDS,
    st.lists(st.sampled_from(["apostrophe", "formula", "space"]), min_size=1, max_size=3),
)
def test_a_spreadsheet_text_mark_never_makes_another_id(valid: str, marks: list[str]) -> None:
    """However an export marks an ID as text, it is the same ID (one person, not three)."""
    marked = valid
    for mark in marks:
        if mark == "apostrophe":
            marked = "'" + marked
        elif mark == "formula":
            marked = '="' + marked.replace('"', '""') + '"'
        else:
            marked = f" {marked} "
    assert parse_id(marked) == parse_id(valid)
