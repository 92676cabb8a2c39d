"""Records judged on Spark give exactly the rows ``evaluate_table`` gives on the same records.

One local Spark session (``local[2]``) for the module. The records are a generated file
(``tests/benchmarks/generate.py``: duplicates, other years, instructors of featured courses,
pending entries, provincial staff on unrecognised platforms, broken rows) with hostile cells
added, read by Spark from Parquet in three input partitions.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ce_rules import EvaluationInputError, Person, UnitLevel
from ce_rules._cells import CellError, parse_cell, parse_id
from ce_rules._schema import PERSON_COLUMNS
from ce_rules._table import Frames, evaluate_table

if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip(
        "Spark needs a Java runtime (17 or later): none is installed", allow_module_level=True
    )

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - Spark's own name for it

from ce_rules.spark import _PERSON, _keyed, evaluate_spark

ROOT = Path(__file__).parent.parent
SOURCE = "records.parquet"
KEYS = {
    "verdicts": ["person_id"],
    "decisions": ["person_id", "index"],
    "invalid": ["line", "field", "code"],
}
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
#: A person whose id is spelt three ways (as given, full-width, with a zero-width space).
SPELT = "37010219800101123X"
#: The cells of a hostile row that its entry in ``HOSTILE`` does not name.
BASE = {"姓名": "戊", "单位级别": "市属单位", "课程名称": "专业课程1", "科目类别": "专业科目",
        "学时": "10", "学习形式": "线下培训", "是否优质在线公需课": "否", "完成日期": "2024-03-01",
        "审核状态": "已审核"}  # fmt: skip
#: Hostile rows: a person id and the cells that differ from ``BASE``.
HOSTILE: list[tuple[str, dict[str, str]]] = [
    (SPELT, {"课程名称": "公需课程1", "科目类别": "公需科目", "学习形式": "远程教育"}),
    ("3701 0219800101 1234", {}),  # whitespace in an id
    ("3.70602E+17", {}),  # an id a spreadsheet rewrote
    ("\\N", {}),  # Hive's null
    ("P-1", {"学时": "三十"}),
    ("P-1", {"课程名称": "专业课程2", "学时": "1.005"}),
    ("P-1", {"课程名称": "专业课程3", "学时": "１０", "完成日期": "2024/5/1"}),
    ("P-1", {"课程名称": "专业课程4", "单位级别": "省直单位", "学时": "10学时",
             "完成日期": "2024年5月1日"}),
    ("P-1", {"课程名称": "专业课程5", "学习形式": "远程教育", "完成日期": "45413"}),
    ("P-1", {"课程名称": "专业课程6", "完成日期": "2024-02-30"}),
    ("P-1", {"课程名称": "专业课程7", "是否优质在线公需课": "是"}),
    ("P-1", {"课程名称": "课" * 300}),
    ("P-1", {"姓名": "张\x07三", "科目类别": "??", "学时": "-2", "学习形式": "云",
             "是否优质在线公需课": "maybe", "完成日期": "2024-13-01", "审核状态": "通过?"}),
    ("P-2", {"姓名": "😀", "单位级别": "未知级别", "是否优质在线公需课": "", "审核状态": "待审核"}),
    ("P-2", {"姓名": "😀", "单位级别": "", "课程名称": "公需课程9", "科目类别": "公需科目",
             "学习形式": "远程教育", "是否优质在线公需课": "是", "完成日期": "2023-12-31"}),
    ("", dict.fromkeys(BASE, "")),  # a row of empty cells
]  # fmt: skip


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "tests/benchmarks/generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hostile(header: list[str], first_pid: str) -> tuple[list[list[str]], list[list[str]]]:
    """Rows to put first and rows to put last: one person's id spelt apart across the file."""
    rows = []
    for number, (person_id, cells) in enumerate(HOSTILE):
        row = {**dict.fromkeys(header, ""), **BASE, **cells, "身份证号": person_id}
        row["记录编号"] = f"H{number}" if person_id else ""
        rows.append([row[h] for h in header])
    first, last = rows[:1], rows[1:]
    # The same persons again, at the other end of the file, spelt differently.
    again = dict(zip(header, rows[0], strict=True))
    again.update({"身份证号": SPELT.lower(), "记录编号": "H-lower", "课程名称": "公需课程2"})
    last.append([again[h] for h in header])
    again = dict(zip(header, rows[0], strict=True))
    again.update({"身份证号": SPELT.translate(FULL_WIDTH) + "\u200b", "记录编号": "H-wide"})
    last.append([again[h] for h in header])
    again.update({"身份证号": first_pid.translate(FULL_WIDTH), "记录编号": "H-first"})
    last.append([again[h] for h in header])
    return first, last


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The generated file with hostile rows, as text cells, with ``line`` numbered from 1."""
    folder = tmp_path_factory.mktemp("spark")
    path = _generator().write(3000, 2024, folder / "records.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        header, *body = csv.reader(handle)
    body = [row + [""] * (len(header) - len(row)) for row in body]  # broken rows: cells missing
    first, last = _hostile(header, body[0][0])
    rows = [*first, *body, *last]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(header, pl.String), orient="row")
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"))


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    """A local session with two cores, few shuffle partitions and quiet logs."""
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers import ce_rules from here
    session = (
        SparkSession.builder.master("local[2]")
        .appName("ce-rules-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def table(spark: SparkSession, records: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory):
    """The records as Spark reads them: Parquet, three input partitions by line."""
    path = tmp_path_factory.mktemp("parquet") / "records.parquet"
    records.write_parquet(path)
    return spark.read.parquet(str(path)).repartitionByRange(3, "line")


@pytest.fixture(scope="module")
def expected(records: pl.DataFrame) -> Frames:
    """What ``evaluate_table`` gives on the same rows, in the same order."""
    frames = evaluate_table(records.drop("line"), year=2024, source=SOURCE).table.frames()
    return _sorted(*frames)


def _sorted(verdicts: pl.DataFrame, decisions: pl.DataFrame, invalid: pl.DataFrame) -> Frames:
    return Frames(
        verdicts.sort(KEYS["verdicts"]),
        decisions.sort(KEYS["decisions"]),
        invalid.sort(KEYS["invalid"], maintain_order=True),
    )


def _collect(frame: DataFrame) -> pl.DataFrame:
    collected = pl.from_arrow(frame.toArrow())
    assert isinstance(collected, pl.DataFrame)
    return collected


def _judged(spark: SparkSession, records: DataFrame, **options: Any) -> Frames:
    result = evaluate_spark(records, year=2024, source=SOURCE, **options)
    try:
        return _sorted(*(_collect(frame) for frame in result))
    finally:
        spark.catalog.clearCache()


@pytest.fixture(scope="module")
def in_parts(spark: SparkSession, table: DataFrame) -> dict[int, Frames]:
    """The records judged with a line column, by number of partitions, each judged once."""

    class Judged(dict[int, Frames]):
        def __missing__(self, partitions: int) -> Frames:
            self[partitions] = _judged(spark, table, line="line", partitions=partitions)
            return self[partitions]

    return Judged()


def _equal(actual: Frames, expected: Frames) -> None:
    for name, mine, theirs in zip(Frames._fields, actual, expected, strict=True):
        assert mine.height == theirs.height, name
        assert_frame_equal(mine, theirs, check_exact=True)


@pytest.mark.parametrize("partitions", [1, 5])
def test_same_rows_as_evaluate_table(
    in_parts: dict[int, Frames], expected: Frames, partitions: int
) -> None:
    """Verdicts, decisions and invalid records are one machine's, in any number of partitions."""
    actual = in_parts[partitions]
    _equal(actual, expected)
    assert actual.invalid.height > len(HOSTILE)  # the hostile rows are among them
    assert actual.decisions["hours"].dtype == pl.Decimal(18, 4)


def test_spellings_of_one_id_meet(
    table: DataFrame, records: pl.DataFrame, in_parts: dict[int, Frames]
) -> None:
    """One id spelt three ways, in different input partitions, is one person with every entry."""
    spelt = table.where(F.col("记录编号").isin("H0", "H-lower", "H-wide"))
    apart = spelt.select(F.spark_partition_id().alias("part")).distinct().count()
    assert apart > 1
    actual = in_parts[5]
    mine = actual.decisions.filter(pl.col("person_id") == SPELT)
    assert sorted(mine["entry_id"].to_list()) == ["H-lower", "H-wide", "H0"]
    assert actual.verdicts.filter(pl.col("person_id") == SPELT).height == 1
    first = records["身份证号"][len(HOSTILE[:1])]  # the generated file's first person
    assert "H-first" in actual.decisions.filter(pl.col("person_id") == first)["entry_id"].to_list()


def _person(row: dict[str, Any]) -> Person:
    values = {col.name: parse_cell(col, row.get(col.label)) for col in PERSON_COLUMNS}
    return Person(id=values.pop("person_id"), **values)


def test_persons_joined_per_partition(
    spark: SparkSession, table: DataFrame, records: pl.DataFrame
) -> None:
    """Persons given as a table are read and joined as ``evaluate_table`` joins them."""
    ids = records["身份证号"].drop_nulls().unique().sort().to_list()
    persons = pl.DataFrame(
        {
            "身份证号": [SPELT.lower(), ids[5], ids[6], "37010219991231000X"],
            "姓名": ["甲", None, "名单中的名字", "无记录的人"],
            "单位级别": ["市属单位", "省直", None, "市属单位"],
            "所在市": ["济南市", None, None, "青岛市"],
        }
    )
    given = spark.createDataFrame(
        persons.rows(), schema=", ".join(f"`{name}` string" for name in persons.columns)
    )
    actual = _judged(spark, table, line="line", persons=given, partitions=3)
    frames = evaluate_table(
        records.drop("line"),
        year=2024,
        source=SOURCE,
        persons=[_person(row) for row in persons.iter_rows(named=True)],
    ).table.frames()
    _equal(actual, _sorted(*frames))
    assert "37010219991231000X" in actual.verdicts["person_id"].to_list()


def test_without_line_rows_do_not_depend_on_partitions(
    spark: SparkSession, table: DataFrame, expected: Frames
) -> None:
    """Without a line column, entries are ordered by their cells: the same rows however split."""
    plain = table.drop("line")
    one = _judged(spark, plain, partitions=1)
    other = _judged(spark, plain.repartitionByRange(4, F.col("记录编号").desc()), partitions=6)
    everything = {name: frame.columns for name, frame in zip(Frames._fields, one, strict=True)}
    for name, mine, theirs in zip(Frames._fields, one, other, strict=True):
        assert_frame_equal(mine.sort(everything[name]), theirs.sort(everything[name]))
    assert_frame_equal(one.verdicts, expected.verdicts)  # a verdict does not depend on order
    assert one.decisions["line"].null_count() == one.decisions.height
    unplaced = expected.invalid.with_columns(
        pl.lit(None, dtype=pl.Int64).alias(c) for c in ("index", "line")
    )
    assert_frame_equal(one.invalid.sort(pl.all()), unplaced.sort(pl.all()))


def test_typed_columns_read_as_their_text(spark: SparkSession) -> None:
    """Numbers, dates and booleans are read as ``evaluate_table`` reads them."""
    rows = [
        ("370102198001011234", "公需课程", "公需科目", 12, date(2024, 5, 1), True, 1),
        ("370102198001011234", "专业课程", "专业科目", 60, date(2024, 6, 1), False, 2),
        ("370102198001011235", "专业课程", "专业科目", -3, date(2023, 6, 1), None, 3),
    ]
    types = {
        "person_id": (pl.String, "string"),
        "course_title": (pl.String, "string"),
        "category": (pl.String, "string"),
        "hours": (pl.Int32, "int"),
        "completed_on": (pl.Date, "date"),
        "featured": (pl.Boolean, "boolean"),
        "line": (pl.Int64, "long"),
    }
    frame = pl.DataFrame(rows, orient="row", schema={k: v[0] for k, v in types.items()})
    schema = ", ".join(f"{name} {kind[1]}" for name, kind in types.items())
    actual = _judged(spark, spark.createDataFrame(rows, schema=schema), line="line")
    reference = evaluate_table(frame.drop("line"), year=2024, source=SOURCE).table.frames()
    _equal(actual, _sorted(*reference))


#: A Hive table's types: each cell a value, read as itself (never Spark's text of it).
HIVE_SCHEMA = (
    "person_id decimal(18,0), course_title string, category string, hours double, "
    "course_hours decimal(10,2), completed_on timestamp, featured boolean, "
    "credited_year double, topics array<string>, mode string, platform string, role string, "
    "entry_id bigint"
)
HIVE_ROWS = [
    # Beijing midnight of New Year's day, stored as an instant: a day of 2024, whatever the
    # session's time zone (in UTC it reads 2023-12-31 16:00).
    (Decimal("370102198001011234"), "专业课程", "专业科目", 60.0, None,
     datetime(2023, 12, 31, 16, tzinfo=UTC), False, None, None, "线下培训", None, "学员", 1),
    (Decimal("370102198001011234"), "优质课", "公需科目", 15.0, None,
     datetime(2024, 6, 1, 2, tzinfo=UTC), True, None, ["数字技术", "a;b"], "远程教育",
     "专技知到", "授课教师", 2),
    (Decimal("370102198001011234"), "补学课", "公需科目", 10.0, Decimal("12.00"),
     datetime(2025, 1, 5, tzinfo=UTC), False, 2024.0, [], "线下培训", None, "学员", 3),
    # A double as Java writes it (1.0E7), which the parser must never see: too large.
    (Decimal("370102198001011235"), "专业课程", "专业科目", 1e7, None,
     datetime(2024, 3, 1, tzinfo=UTC), None, 2024.5, None, "线下培训", None, "学员", 4),
]  # fmt: skip


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/Los_Angeles", "GMT+8"])
def test_a_hive_tables_typed_cells_are_read_as_evaluate_table_reads_them(
    spark: SparkSession, zone: str
) -> None:
    """Doubles, decimals, timestamps, arrays: the same frames in any session time zone.

    A timestamp is an instant: its day is China's (the notice's days), not the session's;
    ``line`` also names a field (``entry_id``), read as both.
    """
    frame = pl.DataFrame(
        HIVE_ROWS,
        orient="row",
        schema={
            "person_id": pl.Decimal(18, 0), "course_title": pl.String, "category": pl.String,
            "hours": pl.Float64, "course_hours": pl.Decimal(10, 2),
            "completed_on": pl.Datetime("us", "UTC"), "featured": pl.Boolean,
            "credited_year": pl.Float64, "topics": pl.List(pl.String), "mode": pl.String,
            "platform": pl.String, "role": pl.String, "entry_id": pl.Int64,
        },
    )  # fmt: skip
    reference = _sorted(*evaluate_table(frame, year=2024, source=SOURCE).table.frames())
    spark.conf.set("spark.sql.session.timeZone", zone)
    try:
        records = spark.createDataFrame(HIVE_ROWS, schema=HIVE_SCHEMA)
        actual = _judged(spark, records, line="entry_id")
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    _equal(actual, reference)
    verdicts = actual.verdicts.to_dicts()
    assert [(v["person_id"], v["status"]) for v in verdicts] == [
        ("370102198001011234", "compliant"),
        ("370102198001011235", "non_compliant"),
    ]
    assert actual.decisions["entry_id"].to_list() == ["1", "2", "3"]
    assert sorted(zip(actual.invalid["field"], actual.invalid["code"], strict=True)) == [
        ("credited_year", "not_a_year"),
        ("hours", "too_large"),
    ]


@pytest.mark.parametrize("line", [-5, None])
def test_a_line_that_is_no_position_is_refused_before_anything_is_written(
    spark: SparkSession, line: int | None
) -> None:
    """A null or non-positive line would leave its record nowhere: refused by evaluate_spark.

    The partitions are judged when it is called (``persist``), so that the refusal comes
    as an ``EvaluationInputError`` before a ``mode("overwrite")`` drops the old table; with
    ``persist=False`` the job fails at its first action, the message inside Spark's error.
    """
    records = spark.createDataFrame(
        [("A1", "课", "公需科目", "30", "2024-05-01", line)],
        schema="person_id string, course_title string, category string, hours string, "
        "completed_on string, line long",
    )
    with pytest.raises(EvaluationInputError) as raised:
        evaluate_spark(records, year=2024, line="line")
    assert (raised.value.field, raised.value.value) == ("line", repr(line))
    assert raised.value.message == (
        "every record needs a line of 1 or more (its position: a line number, 行号); the"
        " first without one is a record of person A1"
    )
    lazy = evaluate_spark(records, year=2024, line="line", persist=False)
    with pytest.raises(Exception, match=r"every record needs a line of 1 or more"):
        lazy.verdicts.collect()


def test_what_is_not_a_spark_frame_or_an_int_is_refused(spark: SparkSession) -> None:
    """A polars table (for evaluate_table) and partitions as text: named, before any job."""
    with pytest.raises(EvaluationInputError, match="must be a Spark DataFrame"):
        evaluate_spark(pl.DataFrame({"person_id": ["A1"]}), year=2024)  # type: ignore[arg-type]
    records = spark.createDataFrame([("A1",)], schema="person_id string")
    with pytest.raises(EvaluationInputError, match="partitions='4': must be an int or None"):
        evaluate_spark(records, year=2024, partitions="4")  # type: ignore[arg-type]


def test_no_records_but_a_person(spark: SparkSession, table: DataFrame) -> None:
    """No records: the frames are empty but typed, and a person of ``persons`` is judged."""
    persons = spark.createDataFrame([(SPELT, "省直单位")], schema="person_id string, unit string")
    actual = _judged(spark, table.limit(0), line="line", persons=persons)
    reference = evaluate_table(
        pl.DataFrame(schema={"person_id": pl.String}),
        year=2024,
        source=SOURCE,
        persons=[Person(id=SPELT, unit=UnitLevel.PROVINCIAL)],
    ).table.frames()
    _equal(actual, _sorted(*reference))
    assert actual.verdicts["person_id"].to_list() == [SPELT]


def test_a_missing_required_column_is_refused(spark: SparkSession, table: DataFrame) -> None:
    """A column left out of the select (完成日期): refused, not a year of invalid records."""
    with pytest.raises(EvaluationInputError, match=r"no column names completed_on \(完成日期\)"):
        evaluate_spark(table.drop("完成日期"), year=2024, line="line")


def test_unknown_columns_refused(spark: SparkSession, table: DataFrame) -> None:
    """A column that names no field is refused, by name, before anything runs."""
    with pytest.raises(EvaluationInputError, match="学时数量"):
        evaluate_spark(table.withColumn("学时数量", F.lit("1")), year=2024, line="line")
    with pytest.raises(EvaluationInputError, match="line"):
        evaluate_spark(table, year=2024)  # ``line`` is not a field unless named as the line
    with pytest.raises(EvaluationInputError, match="integers"):
        evaluate_spark(
            table.withColumn("line", F.col("line").cast("string")), year=2024, line="line"
        )


def test_person_described_twice_fails_the_job(spark: SparkSession, table: DataFrame) -> None:
    """Two different descriptions of one person in ``persons`` fail the job, naming the person."""
    persons = spark.createDataFrame(
        [(SPELT, "省直单位"), (SPELT.lower(), "市属单位")], schema="person_id string, unit string"
    )
    with pytest.raises(EvaluationInputError) as raised:
        _judged(spark, table, line="line", persons=persons)
    assert raised.value.field == "persons"
    assert raised.value.message == (
        "describes this person twice, differently: unit "
        "<UnitLevel.PROVINCIAL: 'provincial'> and <UnitLevel.MUNICIPAL: 'municipal'>"
    )


def _parsed(value: str | None) -> str | None:
    try:
        return parse_id(value)
    except CellError:
        return None


def test_person_key_is_the_parsed_id(spark: SparkSession) -> None:
    """Spark keys the ids ``parse_id`` takes as they are; Python parses the others, to the same."""
    ids = ["370102198001011234", "37010219800101123x", "37010219800101123X", "ABC\n", "A-B_C",
           "\\N", "NULL", "null", "Null", "Ａ1", "A\u200b1", " A1", "A" * 64, "A" * 65,
           "3.70602E+17", "1x", "A1\r\n", "", None]  # fmt: skip
    frame = spark.createDataFrame([(i,) for i in ids], schema="person_id string")
    keys = dict(_keyed(frame, "person_id").select("person_id", _PERSON).collect())
    assert keys == {value: _parsed(value) for value in ids}
