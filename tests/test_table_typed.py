"""Typed columns of a table are read as ``evaluate_many`` reads the same values in rows.

A platform's records come in typed columns (ids as integers, hours as floats or decimals,
dates, datetimes with a time zone, flags as booleans or floats, topics as lists), not as
the text of a file. ``evaluate_table`` reads each cell by the one parser of its column,
from the value itself (once for each distinct value), so its verdicts, invalid records
and totals are ``evaluate_many``'s for ``frame.to_dicts()``, field for field.
"""

from __future__ import annotations

import json
import zoneinfo
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ce_rules as ce
from ce_rules._cells import CellError, moment_days, parse_cell, parse_date
from ce_rules._schema import RECORD_COLUMNS, unit_notes

BASE = ce.get_policy("shandong", 2024)
PID = "370102198001011234"
TOKYO = timezone(timedelta(hours=9))

#: For each column, its polars types and values of each (good ones and bad ones mixed).
TYPED: dict[str, list[tuple[Any, list[Any]]]] = {
    "person_id": [
        (pl.String, [PID, "37010219800101123x", "A1", "3.70602E+17"]),
        (pl.Int64, [370102198001011234, 37010219800101123, 12]),
        (pl.Float64, [3.70102198001011e17, 12.0]),
        (pl.Object, [PID, "true", True, 12, "12"]),  # values of several types, written alike
    ],
    "course_title": [
        (pl.String, ["绿色低碳", "专业课"]),
        (pl.Struct({"id": pl.String}), [{"id": "GX1"}]),
        (pl.Binary, [b"abc"]),
        (pl.Object, ["1", 1, 1.0, True, Decimal("1.0")]),
        (pl.Datetime("us"), [datetime(2024, 5, 1, 14, 30)]),  # a moment as a title
    ],
    "category": [
        (pl.String, ["公需科目", "专业科目"]),
        (pl.Categorical, ["公需科目", "专业科目", "public"]),
    ],
    "hours": [
        (pl.String, ["10", "30", "20.5"]),
        (pl.Int64, [10, 30, 0, -3]),
        (pl.Float64, [10.0, 10.5, 0.1 + 0.2, float("nan"), 1e7, 60.0]),
        (pl.Float32, [10.1, 20.5, 60.0]),
        (pl.Decimal(12, 2), [Decimal("10.50"), Decimal("30.00")]),
        (pl.Decimal(12, 4), [Decimal("10.1234"), Decimal("60.0000")]),
    ],
    "completed_on": [
        (pl.String, ["2024-03-01", "2023-12-31", "2024/6/1 8:30"]),
        (pl.Date, [date(2024, 3, 1), date(2023, 12, 31), date(1980, 1, 1)]),
        (
            pl.Datetime("us"),
            [datetime(2024, 12, 31, 23, 30), datetime(2024, 1, 1, 0, 30), datetime(1980, 1, 2)],
        ),
        (
            pl.Datetime("us", "UTC"),
            [
                datetime(2024, 12, 31, 17, tzinfo=UTC),
                datetime(2023, 12, 31, 16, tzinfo=UTC),
                datetime(2100, 12, 31, 16, tzinfo=UTC),
            ],  # 2101 in China: refused
        ),
        (pl.Int64, [45413, 1714521600]),
        (pl.Float64, [45413.5, 45413.0]),
        (pl.Duration("us"), [timedelta(days=3)]),
    ],
    "featured": [
        (pl.Boolean, [True, False]),
        (pl.Float64, [1.0, 0.0, 2.0, float("nan")]),
        (pl.Int8, [1, 0]),
        (pl.String, ["是", "否"]),
    ],
    "credited_year": [
        (pl.Int64, [2024, 2023]),
        (pl.Float64, [2024.0, 2024.5]),
        (pl.String, ["2024年"]),
    ],
    "role": [(pl.String, ["学员", "授课教师"])],
    "mode": [(pl.String, ["远程教育", "线下培训"]), (pl.Boolean, [True])],
    "platform": [(pl.String, ["专技知到", "某培训网"])],
    "unit": [(pl.String, ["省直单位", "市属"]), (pl.Categorical, ["省直单位"])],
    "topics": [
        (pl.List(pl.String), [["数字技术", "黄河流域生态保护和高质量发展"], ["a;b"], []]),
        (pl.Array(pl.String, 2), [["数字技术", "自定"]]),
        (pl.String, ["数字技术;自定"]),
    ],
    "entry_id": [(pl.Int64, [1, 2, 1]), (pl.String, ["R1", "R2"])],
}


@st.composite
def _tables(draw: st.DrawFn) -> pl.DataFrame:
    """A table of records: a type for each column drawn, then its cells (some blank)."""
    rows = draw(st.integers(0, 12))
    columns = []
    for name, choices in TYPED.items():
        required = any(c.name == name and c.required for c in RECORD_COLUMNS)
        if not required and draw(st.booleans()):
            continue  # a column a table may lack
        dtype, values = draw(st.sampled_from(choices))
        cells = draw(st.lists(st.sampled_from([*values, None]), min_size=rows, max_size=rows))
        columns.append(pl.Series(name, cells, dtype=dtype))
    return pl.DataFrame(columns)


def _same(got: ce.BatchResult, want: ce.BatchResult, *, rows: bool = True) -> None:
    """Field for field, but where each record is: a table's row is its line.

    Without ``rows``, the unknown columns are not compared: rows have no keys to list.
    """

    def dumped(result: ce.BatchResult) -> list[dict[str, Any]]:
        out = []
        for verdict in result:
            data = json.loads(verdict.model_dump_json())
            data.pop("records")
            for invalid in data["invalid_records"]:
                invalid.pop("source")
                invalid.pop("line")
            out.append(data)
        return out

    def invalid(result: ce.BatchResult) -> list[Any]:
        return [r.model_dump(exclude={"source", "line"}) for r in result.invalid_records]

    assert dumped(got) == dumped(want)
    assert invalid(got) == invalid(want)
    assert got.totals.as_dict() == want.totals.as_dict()
    if rows:
        assert got.unknown_fields == want.unknown_fields


@settings(max_examples=80, deadline=None)
@given(
    frame=_tables(),
    as_of=st.sampled_from([None, date(2024, 6, 30)]),
    default_unit=st.sampled_from([None, ce.UnitLevel.PROVINCIAL]),
    default_mode=st.sampled_from([None, ce.Mode.ONLINE]),
    unknown=st.booleans(),
)
def test_a_typed_table_is_judged_as_its_rows(
    frame: pl.DataFrame,
    as_of: date | None,
    default_unit: ce.UnitLevel | None,
    default_mode: ce.Mode | None,
    unknown: bool,
) -> None:
    """Verdicts, invalid records and totals are evaluate_many's for the table's rows.

    With the same day, defaults and a column that names no field (listed, not read).
    """
    if unknown:
        frame = frame.with_columns(pl.lit(1.5).alias("学时数量"))
    options: dict[str, Any] = {
        "year": 2024, "policy": BASE, "as_of": as_of, "default_unit": default_unit,
        "default_mode": default_mode,
    }  # fmt: skip
    want = ce.evaluate_many(frame.to_dicts(), **options)
    got = ce.evaluate_table(frame, **options)
    _same(got, want, rows=bool(frame.height))
    # A table's columns are known without rows: one that names no field is listed.
    assert ("学时数量" in got.unknown_fields) is unknown


@given(
    number=st.integers(-(10**20), 10**20) | st.sampled_from([45413, 2024, 1714521600, 0, 1]),
    col=st.sampled_from(RECORD_COLUMNS),
)
def test_an_integer_reads_as_its_digits(number: int, col: Any) -> None:
    """Every parser reads an integer as it reads its digits: a table casts them to text."""

    def read(value: object) -> object:
        try:
            return parse_cell(col, value)
        except CellError as error:
            return (error.code, error.value, error.message)

    assert read(number) == read(str(number))


def test_floats_and_flags_as_a_warehouse_types_them() -> None:
    """A featured flag of 1.0 and a make-up year of 2024.0 (an integer column with nulls).

    The instructor of a featured online public course of 15 学时 is credited 30 (二(三)),
    with 10 make-up 学时 credited to 2024: 40 public 学时, compliant; never three invalid
    records because polars writes 1.0 where the parser reads 1.
    """
    frame = pl.DataFrame(
        {
            "person_id": [PID] * 3,
            "course_title": ["优质课", "补学课", "专业课"],
            "category": ["公需", "公需", "专业"],
            "hours": ["15", "10", "60"],
            "completed_on": ["2024-05-01", "2025-01-05", "2024-06-01"],
            "unit": ["省直"] * 3,
            "mode": ["远程教育", "线下", "线下"],
            "platform": ["专技知到", None, None],
            "role": ["授课教师", "学员", "学员"],
            "featured": pl.Series([1.0, 0.0, 0.0]),
            "credited_year": pl.Series([None, 2024.0, None]),
        }
    )
    (verdict,) = ce.evaluate_table(frame, year=2024, policy=BASE)
    assert verdict.status is ce.Status.COMPLIANT
    assert verdict.requirement("public_hours").earned == Decimal(40)


def test_float32_hours_are_refused_as_the_value_they_hold() -> None:
    """A Float32 10.1 is 10.100000381469727: refused, as in a row, never read as 10.1."""
    frame = pl.DataFrame(
        {
            "person_id": [PID],
            "course_title": ["课"],
            "category": ["专业科目"],
            "hours": pl.Series([10.1], dtype=pl.Float32),
            "completed_on": [date(2024, 5, 1)],
        }
    )
    result = ce.evaluate_table(frame, year=2024, policy=BASE)
    (record,) = result.invalid_records
    (problem,) = record.problems
    assert (problem.field, problem.code, problem.value) == (
        "hours",
        "too_many_decimals",
        "10.100000381469727",
    )


def _headed(**changes: str | None) -> pl.DataFrame:
    """One record under a file's Chinese headers; a header given None is left out.

    The headers are in order: the record's own (a change keeps its place), then those
    ``changes`` adds.
    """
    cells: dict[str, str | None] = {
        "身份证号": PID, "课程名称": "课", "科目类别": "公需科目", "学时": "30",
        "完成日期": "2024-01-05",
    }  # fmt: skip
    cells.update(changes)
    return pl.DataFrame({h: [v] for h, v in cells.items() if v is not None})


def test_two_columns_naming_one_field_are_refused() -> None:
    """完成日期 and 完成时间 both name completed_on: refused, as a file with that header is."""
    frame = _headed(完成日期="2023-12-20", 完成时间="2024-01-05")
    with pytest.raises(ce.EvaluationInputError) as raised:
        ce.evaluate_table(frame, year=2024, policy=BASE)
    assert (raised.value.field, raised.value.value, raised.value.message) == (
        "records",
        ["'完成日期' and '完成时间' both name completed_on"],
        "one field may be named by one column only: drop or rename one",
    )


def test_a_missing_required_column_is_refused_by_name() -> None:
    """学时数量 names no field: the table has no hours, which one message says (not each row)."""
    frame = pl.DataFrame(
        {
            "身份证号": [PID],
            "课程名称": ["课"],
            "科目类别": ["公需科目"],
            "学时数量": ["30"],
            "完成日期": ["2024-01-05"],
        }
    )
    with pytest.raises(ce.EvaluationInputError) as raised:
        ce.evaluate_table(frame, year=2024, policy=BASE)
    assert (raised.value.field, raised.value.value, raised.value.message) == (
        "records",
        ["身份证号", "课程名称", "科目类别", "学时数量", "完成日期"],
        "no column names hours (学时): every record needs it (docs/cli.md lists the headers read)",
    )
    both = frame.drop("完成日期", "学时数量")
    with pytest.raises(ce.EvaluationInputError, match=r"names hours \(学时\), completed_on \("):
        ce.evaluate_table(both, year=2024, policy=BASE)
    # No rows: nothing needs the column (a person of ``persons`` is still judged).
    empty = frame.clear().drop("学时数量")
    given = [ce.Person(id=PID)]
    assert [v.person_id for v in ce.evaluate_table(empty, year=2024, persons=given)] == [PID]


def test_arrow_types_polars_cannot_hold_are_read_as_their_values(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A decimal256 column (polars panics on it) is read value by value, as in rows."""
    table = pa.table(
        {
            "person_id": [PID],
            "course_title": ["课"],
            "category": ["专业科目"],
            "hours": pa.array([Decimal(60)], type=pa.decimal256(40, 0)),
            "completed_on": ["2024-05-01"],
        }
    )
    (verdict,) = ce.evaluate_table(table, year=2024, policy=BASE)
    assert verdict.requirement("professional_hours").earned == Decimal(60)
    stream = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    (again,) = ce.evaluate_table(stream, year=2024, policy=BASE)
    assert again.requirement("professional_hours").earned == Decimal(60)
    assert "panicked" not in capfd.readouterr().err  # polars was not asked


def test_arrow_columns_named_twice() -> None:
    """学时 twice is refused, as a file's header is; 备注 twice is read as neither."""
    import pyarrow.csv as pacsv

    header = "身份证号,课程名称,科目类别,学时,完成日期,备注,{last}\n"
    row = f"{PID},课,专业科目,60,2024-05-01,甲,乙\n"
    notes = pacsv.read_csv(pa.py_buffer((header.format(last="备注") + row).encode()))
    result = ce.evaluate_table(notes, year=2024, policy=BASE)
    (verdict,) = result
    assert verdict.requirement("professional_hours").earned == Decimal(60)
    assert result.unknown_fields == []  # (备注 is known, and not needed)
    hours = pacsv.read_csv(pa.py_buffer((header.format(last="学时") + row).encode()))
    with pytest.raises(ce.EvaluationInputError) as raised:
        ce.evaluate_table(hours, year=2024, policy=BASE)
    assert (raised.value.field, raised.value.value, raised.value.message) == (
        "records",
        ["学时"],
        "these columns are each named twice: one field, one column",
    )


def test_a_column_of_minutes_is_refused_with_what_to_do() -> None:
    """学时（分钟）: 90 minutes never read as 90 学时 (三(一)); the refusal says why."""
    frame = _headed(学时=None, 科目类别="专业科目", **{"学时（分钟）": "90"})
    with pytest.raises(ce.EvaluationInputError) as raised:
        ce.evaluate_table(frame, year=2024, policy=BASE)
    assert raised.value.message.endswith(
        "header “学时（分钟）” gives 分钟, not 学时 (credit hours): convert it to 学时, or if it"
        " holds 学时, rename the column hours"
    )
    both = unit_notes(["学时（分钟）", "姓名", "课程学时(分)"], table=True)
    assert both == ce.Message(
        zh="表头“学时（分钟）”注明的单位是分钟，不是学时：请换算为学时；如该列实为学时，"
        "请将该列改名为“学时”；表头“课程学时(分)”注明的单位是分，不是学时：请换算为学时；"
        "如该列实为学时，请将该列改名为“课程学时”",
        en="header “学时（分钟）” gives 分钟, not 学时 (credit hours): convert it to 学时, or if"
        " it holds 学时, rename the column hours; header “课程学时(分)” gives 分, not 学时"
        " (credit hours): convert it to 学时, or if it holds 学时, rename the column"
        " course_hours",
    )


@pytest.mark.parametrize("persons", [pl.DataFrame({"person_id": [PID]}), [{"person_id": PID}]])
def test_persons_that_are_not_person_objects_are_refused(persons: object) -> None:
    """A table or dicts of persons: named, not an AttributeError from deep inside."""
    frame = pl.DataFrame(
        {"person_id": [PID], "course_title": ["课"], "category": ["专业科目"], "hours": ["60"],
         "completed_on": ["2024-05-01"]}
    )  # fmt: skip
    with pytest.raises(ce.EvaluationInputError, match=r"must hold ce_rules\.Person objects"):
        ce.evaluate_table(frame, year=2024, persons=persons)  # type: ignore[arg-type]
    with pytest.raises(ce.EvaluationInputError, match=r"must hold ce_rules\.Person objects"):
        ce.evaluate_many([], year=2024, persons=persons)  # type: ignore[arg-type]


def test_arrow_types_polars_cannot_read_are_read_value_by_value() -> None:
    """An interval column (polars refuses it) is read as evaluate_many reads the values."""
    table = pa.table(
        {"person_id": [PID, PID], "course_title": ["课", "课2"], "category": ["专业科目"] * 2,
         "hours": ["30", "30"], "completed_on": ["2024-05-01", "2024-06-01"],
         "credited_year": pa.array([None, pa.MonthDayNano([1, 2, 3])],
                                   type=pa.month_day_nano_interval())}
    )  # fmt: skip
    _same(
        ce.evaluate_table(table, year=2024, policy=BASE),
        ce.evaluate_many(table.to_pylist(), year=2024, policy=BASE),
    )


def test_decimal256_inside_other_types_is_read_as_values(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A dictionary of decimal256 (polars panics on it anywhere) is read value by value.

    Without polars being asked, so that no panic is printed on stderr.
    """
    hours = pa.array([Decimal(60)], type=pa.decimal256(40, 0)).dictionary_encode()
    table = pa.table(
        {"person_id": [PID], "course_title": ["课"], "category": ["专业科目"], "hours": hours,
         "completed_on": ["2024-05-01"]}
    )  # fmt: skip
    (verdict,) = ce.evaluate_table(table, year=2024, policy=BASE)
    assert verdict.requirement("professional_hours").earned == Decimal(60)
    assert "panicked" not in capfd.readouterr().err


_ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


@settings(max_examples=300, deadline=None)
@given(
    moments=st.lists(
        st.datetimes(min_value=datetime(1985, 1, 1), max_value=datetime(2105, 12, 31)),
        min_size=1,
        max_size=20,
    ),
    zone=st.none() | st.sampled_from(_ZONES),
    unit=st.sampled_from(["ms", "us", "ns"]),
)
def test_moment_days_are_parse_dates_days(
    moments: list[datetime], zone: str | None, unit: str
) -> None:
    """The columnar day of a moment is parse_date's, or null where parse_date refuses it."""
    series = pl.Series("at", moments, dtype=pl.Datetime(unit))  # type: ignore[arg-type]
    if zone is not None:
        series = series.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
    days = moment_days(series)
    for value, day in zip(series.to_list(), days.to_list(), strict=True):
        if value is None:
            assert day is None
            continue
        try:
            expected = parse_date(value)
        except CellError:
            expected = None  # refused (out of range): read one by one, not natively
        assert day == expected, value


def test_a_tables_records_are_from_table_by_default() -> None:
    """An invalid row of a table is found by its line in ``<table>`` (or the source given)."""
    frame = pl.DataFrame(
        {"person_id": [PID], "course_title": ["课"], "category": ["专业科目"], "hours": ["-1"],
         "completed_on": ["2024-05-01"]}
    )  # fmt: skip
    (record,) = ce.evaluate_table(frame, year=2024, policy=BASE).invalid_records
    assert (record.source, record.line) == ("<table>", 1)
    (named,) = ce.evaluate_table(frame, year=2024, policy=BASE, source="t").invalid_records
    assert named.source == "t"


def test_only_dates_read_moments_as_days() -> None:
    """A moment in a column of dates is its day; in a text column, the moment as written.

    (A title of 2024-05-01 14:30 is that text, as in a row, never 2024-05-01.)
    """
    frame = pl.DataFrame(
        {"person_id": [PID], "course_title": pl.Series([datetime(2024, 5, 1, 14, 30)]),
         "category": ["专业科目"], "hours": ["60"],
         "completed_on": pl.Series([datetime(2024, 5, 1, 23, 59)])}
    )  # fmt: skip
    _same(
        ce.evaluate_table(frame, year=2024, policy=BASE),
        ce.evaluate_many(frame.to_dicts(), year=2024, policy=BASE),
    )
    (verdict,) = ce.evaluate_table(frame, year=2024, policy=BASE)
    assert verdict.entries[0].course_id.startswith("2024-05-01_14:30:00#")
    assert verdict.requirement("professional_hours").earned == Decimal(60)
