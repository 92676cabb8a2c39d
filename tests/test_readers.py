"""Readers: files made the way offices make them, every physical row accounted for."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce_rules import _readers
from ce_rules._readers import (
    BadCell,
    BrokenRow,
    Item,
    RawRow,
    RecordFile,
    RecordFileError,
    SkippedRow,
    load_column_mapping,
    open_record_file,
)
from ce_rules._schema import PERSON_COLUMNS, match_header, other_unit

HEADER = ["序号", "身份证号", "姓名", "课程名称", "科目类别", "学时", "完成日期"]
FIELDS = ["person_id", "name", "course_title", "category", "hours", "completed_on"]


def person(i: int) -> str:
    """A resident ID number, distinct for each ``i``."""
    return f"3706021990{i:08d}"


def record(i: int, **changes: str) -> list[str]:
    """A row under ``HEADER``: 10 public hours for person ``i``."""
    cells = {
        "序号": str(i),
        "身份证号": person(i),
        "姓名": f"张{i}",
        "课程名称": "绿色低碳高质量发展",
        "科目类别": "公需科目",
        "学时": "10",
        "完成日期": "2024-05-01",
    }
    cells.update(changes)
    return [cells[h] for h in HEADER]


def csv_text(rows: Sequence[Sequence[str]], delimiter: str = ",", **options: object) -> str:
    """``rows`` as ``csv.writer`` writes them (CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, **options)  # type: ignore[arg-type]
    writer.writerows(rows)
    return out.getvalue()


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """``text`` written to ``name`` in ``encoding``, line ends as they are."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def items(file: RecordFile) -> list[Item]:
    """Every row the file yields."""
    return list(file.rows())


def records(file: RecordFile) -> list[RawRow]:
    """The records the file yields."""
    return [item for item in file.rows() if isinstance(item, RawRow)]


def physical_lines(path: Path, encoding: str = "utf-8") -> int:
    """The physical lines of a text file: CR LF, CR and LF each end one."""
    text = path.read_bytes().decode(encoding)
    return len(io.StringIO(text, newline="").readlines())


def assert_accounted(file: RecordFile, total: int) -> None:
    """Every physical line after the first is covered once, in order, by a row or the header."""
    header = file.headers[0]
    expected = 1
    for item in file.rows():
        if expected == header.line:
            expected += header.lines
        assert item.line == expected, item
        expected += item.lines
    if expected == header.line:
        expected += header.lines
    assert expected == total + 1


# --- CSV -------------------------------------------------------------------------------


def office_gbk(tmp_path: Path) -> Path:
    """A GBK export: a title row, a blank row, the header, records and the usual footer."""
    rows = [
        ["2024年度专业技术人员继续教育学时登记表", *[""] * 6],
        [""] * 7,
        HEADER,
        record(1),
        record(2, 科目类别="专业科目", 学时="20"),
        [""] * 7,
        ["合计", "", "", "", "", "30", ""],
        ["制表人：王五", "", "", "审核人：赵六", "", "", ""],
        ["", "", "", "", "", "", ""],
        ["2024年12月31日", "", "", "", "", "", ""],
    ]
    return write(tmp_path, "学时.csv", csv_text(rows), "gbk")


def test_gbk_export_with_title_and_footer_rows(tmp_path: Path) -> None:
    """A GBK file's title, blank and footer rows are reported as skipped, its records read."""
    file = open_record_file(office_gbk(tmp_path))
    assert file.format == "csv"
    assert file.encoding == "gb18030"
    assert file.header_line == 3
    assert file.unknown() == ()
    assert file.columns[0].field == ""
    assert file.columns[1].field == "person_id"
    got = [(i.line, i.kind if isinstance(i, SkippedRow) else type(i).__name__) for i in items(file)]
    assert got == [
        (1, "title"),
        (2, "blank"),
        (4, "RawRow"),
        (5, "RawRow"),
        (6, "blank"),
        (7, "footer"),
        (8, "footer"),
        (9, "blank"),
        (10, "note"),
    ]
    first = records(file)[0]
    assert first.cells == dict(zip(FIELDS, record(1)[1:], strict=True))
    assert "序号" not in first.cells
    assert_accounted(file, 10)


def test_footer_words_spaced_out_and_counts(tmp_path: Path) -> None:
    """合　计 spaced out, 共3人 and 注： rows are footers; a lone remark is a note."""
    rows = [
        HEADER,
        record(1),
        ["合　计", "", "", "", "", "10", ""],
        ["", "", "共3人", "", "", "", ""],
        ["", "注：学时以平台为准", "", "", "", "", ""],
        ["", "", "", "", "", "", "以上数据已核对"],
    ]
    file = open_record_file(write(tmp_path, "a.csv", csv_text(rows)))
    kinds = [i.kind for i in items(file) if isinstance(i, SkippedRow)]
    assert kinds == ["footer", "footer", "footer", "note"]


def test_row_without_person_but_with_data_is_a_record(tmp_path: Path) -> None:
    """A row with cells but no person is a record, for the record builder to refuse."""
    rows = [HEADER, record(1, 身份证号="")]
    (row,) = items(open_record_file(write(tmp_path, "a.csv", csv_text(rows))))
    assert isinstance(row, RawRow)
    assert row.cells["person_id"] == ""


def test_excel_csv_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8": a BOM and CRLF line ends; the first header is understood."""
    path = write(tmp_path, "a.csv", csv_text([HEADER, record(1), record(2)]), "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    file = open_record_file(path)
    assert file.encoding == "utf-8-sig"
    assert file.columns[0].header == "序号"
    assert [r.line for r in records(file)] == [2, 3]
    assert records(file)[1].cells["completed_on"] == "2024-05-01"


def test_quote_every_field_export(tmp_path: Path) -> None:
    """An export quoting every field is read as its cells."""
    rows = [HEADER, record(1, 课程名称='课程,"甲"'), record(2)]
    file = open_record_file(write(tmp_path, "a.csv", csv_text(rows, quoting=csv.QUOTE_ALL)))
    got = records(file)
    assert [r.cells["course_title"] for r in got] == ['课程,"甲"', "绿色低碳高质量发展"]
    assert [r.line for r in got] == [2, 3]


def test_unclosed_quote_costs_one_line(tmp_path: Path) -> None:
    """An unclosed quote on line 5 breaks that line only: the 2,000 rows after it are read."""
    lines = [",".join(HEADER)] + [",".join(record(i)) for i in range(1, 4)]
    lines.append(",".join(record(4, 课程名称='"未闭合的课程')))
    lines += [",".join(record(i)) for i in range(5, 2005)]
    path = write(tmp_path, "a.csv", "\n".join(lines) + "\n")
    file = open_record_file(path)
    got = items(file)
    broken = [i for i in got if isinstance(i, BrokenRow)]
    assert [(b.line, b.code) for b in broken] == [(5, "unclosed_quote")]
    assert "未闭合的课程" in broken[0].text
    assert "引号" in broken[0].message.zh
    assert "quote" in broken[0].message.en
    read = [r for r in got if isinstance(r, RawRow)]
    assert len(read) == 3 + 2000
    assert read[3].line == 6
    assert read[-1].line == 2005
    assert_accounted(file, 2005)


def test_unclosed_quote_at_the_end_of_the_file(tmp_path: Path) -> None:
    """A quote still open at the end of the file breaks its line; the lines after it are read."""
    text = csv_text([HEADER, record(1)]) + '1,2,"3\r\n' + ",".join(record(2)) + "\r\n"
    file = open_record_file(write(tmp_path, "a.csv", text))
    got = items(file)
    assert isinstance(got[1], BrokenRow)
    assert (got[1].line, got[1].code) == (3, "unclosed_quote")
    assert "end of the file" in got[1].message.en
    assert isinstance(got[2], RawRow)
    assert got[2].line == 4


def test_multiline_quoted_cell(tmp_path: Path) -> None:
    """A quoted cell holding a line break makes one record over two lines; lines stay right."""
    rows = [HEADER, record(1, 课程名称="绿色低碳\n高质量发展"), record(2), record(3)]
    file = open_record_file(write(tmp_path, "a.csv", csv_text(rows)))
    got = records(file)
    assert [(r.line, r.lines) for r in got] == [(2, 2), (4, 1), (5, 1)]
    assert got[0].cells["course_title"] == "绿色低碳\n高质量发展"
    assert_accounted(file, 5)


def test_multiline_cell_that_does_not_fit_the_header_breaks_one_line(tmp_path: Path) -> None:
    """A quote closing lines later into a row of the wrong width breaks the first line only."""
    text = (
        csv_text([HEADER, record(1)])
        + '9,x,"open\r\n'
        + ",".join(record(2))
        + '\r\n"closed",x\r\n'
        + ",".join(record(3))
        + "\r\n"
    )
    file = open_record_file(write(tmp_path, "a.csv", text))
    got = items(file)
    assert [(i.line, type(i).__name__) for i in got] == [
        (2, "RawRow"),
        (3, "BrokenRow"),
        (4, "RawRow"),
        (5, "BrokenRow"),
        (6, "RawRow"),
    ]
    assert isinstance(got[1], BrokenRow)
    assert got[1].code == "unclosed_quote"
    assert isinstance(got[3], BrokenRow)
    assert got[3].code == "too_few_fields"


def test_nul_byte_breaks_its_line(tmp_path: Path) -> None:
    """A line with a NUL byte is broken; the rows around it are read."""
    text = csv_text([HEADER, record(1)]) + "1,\x00\x00\r\n" + csv_text([record(2)])
    file = open_record_file(write(tmp_path, "a.csv", text))
    got = items(file)
    assert [(i.line, getattr(i, "code", None)) for i in got] == [
        (2, None),
        (3, "nul_byte"),
        (4, None),
    ]


def test_field_over_64_kib_breaks_its_line(tmp_path: Path) -> None:
    """A cell over 64 KiB is no record: its line is broken, the next one read."""
    rows = [HEADER, record(1, 课程名称="课" * 70_000), record(2)]
    got = items(open_record_file(write(tmp_path, "a.csv", csv_text(rows))))
    assert [getattr(i, "code", None) for i in got] == ["field_too_long", None]
    assert len(got[0].text) <= 200  # type: ignore[union-attr]


def test_utf16_with_bom_and_tabs(tmp_path: Path) -> None:
    """Excel's "Unicode text": UTF-16 with a BOM, cells separated by tabs."""
    path = write(tmp_path, "a.txt", csv_text([HEADER, record(1)], delimiter="\t"), "utf-16")
    file = open_record_file(path)
    assert file.encoding == "utf-16"
    assert any("tab" in n.en for n in file.notes)
    (row,) = records(file)
    assert row.cells["person_id"] == person(1)


def test_semicolon_and_pipe_delimiters(tmp_path: Path) -> None:
    """The delimiter is the one under which the header is understood."""
    for delimiter in (";", "|"):
        text = csv_text([HEADER, record(1, 课程名称="甲,乙")], delimiter=delimiter)
        file = open_record_file(write(tmp_path, "a.csv", text))
        (row,) = records(file)
        assert row.cells["course_title"] == "甲,乙"


def test_utf8_file_with_one_gbk_line_is_refused(tmp_path: Path) -> None:
    """A UTF-8 file with a GBK line in the middle names that line as mixing encodings."""
    good = csv_text([HEADER, record(1), record(2)]).encode("utf-8")
    bad = csv_text([record(3, 姓名="李四")]).encode("gbk")
    path = tmp_path / "a.csv"
    path.write_bytes(good + bad + csv_text([record(4)]).encode("utf-8"))
    with pytest.raises(RecordFileError) as error:
        open_record_file(path)
    assert "line 4 is not UTF-8 although the lines before it are" in str(error.value)
    assert "第4行" in error.value.message.zh
    assert error.value.source == str(path)


def test_gbk_file_whose_first_70_kb_are_ascii(tmp_path: Path) -> None:
    """A GBK file whose Chinese text starts after 70 KB of ASCII is read as GBK."""
    header = ["person_id", "course_title", "category", "hours", "completed_on"]
    ascii_rows = [[person(i), "course", "public", "1", "2024-05-01"] for i in range(2200)]
    rows = [header, *ascii_rows, [person(9999), "绿色低碳", "公需科目", "1", "2024-05-01"]]
    text = csv_text(rows)
    assert text.index("绿色") > 70_000
    file = open_record_file(write(tmp_path, "a.csv", text, "gbk"))
    assert file.encoding == "gb18030"
    assert records(file)[-1].cells["course_title"] == "绿色低碳"


def test_given_encoding_that_fails_names_the_line(tmp_path: Path) -> None:
    """A file that is not in the encoding given names the first line that is not."""
    english = ["person_id", "course_title", "category", "hours", "completed_on"]
    text = csv_text([english, ["P1", "a", "b", "1", "d"], ["P2", "课程", "b", "1", "d"]])
    with pytest.raises(RecordFileError, match="line 3 cannot be decoded as ascii"):
        open_record_file(write(tmp_path, "a.csv", text, "utf-8"), encoding="ascii")
    with pytest.raises(RecordFileError, match="unknown encoding"):
        open_record_file(write(tmp_path, "b.csv", text), encoding="klingon")


def test_a_file_in_no_encoding_tried_asks_for_utf8_or_an_encoding(tmp_path: Path) -> None:
    """Neither UTF-8 nor GB18030: say so, and what to do (an encoding was not given)."""
    path = tmp_path / "c.csv"
    path.write_bytes(b"person_id,course_title\nP1,\x81\x20\n")  # no GB18030 pair, no UTF-8
    with pytest.raises(RecordFileError) as raised:
        open_record_file(path)
    assert raised.value.message.en == (
        "line 2 cannot be decoded as UTF-8 or GB18030 (GBK): save the file as UTF-8, or pass "
        "--encoding"
    )
    assert raised.value.message.zh == (
        "第2行无法按UTF-8或GB18030（GBK）解码：请把文件另存为UTF-8，或用 --encoding 指定编码"
    )


def test_unknown_headers_listed(tmp_path: Path) -> None:
    """Headers not understood are listed in order, known unneeded ones (序号) are not."""
    rows = [[*HEADER, "培训机构", "性别", "机构地址"], [*record(1), "甲", "男", "乙"]]
    file = open_record_file(write(tmp_path, "a.csv", csv_text(rows)))
    assert file.unknown() == ("培训机构", "机构地址")
    message = file.unknown_message()
    assert message is not None
    assert "培训机构" in message.zh
    assert "--column" in message.en
    (row,) = records(file)
    assert set(row.cells) == set(FIELDS)


def test_strict_mode_refuses_unknown_headers(tmp_path: Path) -> None:
    """In strict mode a header not understood refuses the file, naming it."""
    rows = [[*HEADER, "培训机构"], [*record(1), "甲"]]
    path = write(tmp_path, "a.csv", csv_text(rows))
    with pytest.raises(RecordFileError, match="培训机构") as error:
        open_record_file(path, strict=True)
    assert "strict" in str(error.value)


def test_empty_header_cell_over_data_is_not_understood(tmp_path: Path) -> None:
    """An empty header cell with data below is a column not understood, named by its place."""
    rows = [["", *HEADER[1:], ""], ["7", *record(1)[1:], ""], ["8", *record(2)[1:], ""]]
    path = write(tmp_path, "a.csv", csv_text(rows))
    file = open_record_file(path)
    assert file.unknown() == ("第1列",)
    assert file.columns[-1].field == ""  # the trailing empty column holds nothing
    message = file.unknown_message()
    assert message is not None
    assert "column 1" in message.en
    with pytest.raises(RecordFileError, match="column 1"):
        open_record_file(path, strict=True)


def test_trailing_delimiters_and_ragged_rows(tmp_path: Path) -> None:
    """Extra blank cells are a record; extra filled cells or too few cells are broken."""
    text = csv_text([HEADER, [*record(1), "", ""], [*record(2), "x"], record(3)[:5]])
    got = items(open_record_file(write(tmp_path, "a.csv", text)))
    assert [getattr(i, "code", "record") for i in got] == [
        "record",
        "too_many_fields",
        "too_few_fields",
    ]
    assert "expected 7 cells, got 8" in got[1].message.en  # type: ignore[union-attr]
    assert "应有7个单元格，实有5个" in got[2].message.zh  # type: ignore[union-attr]


def test_duplicate_headers_refused(tmp_path: Path) -> None:
    """Two headers read as one field refuse the file, naming both and how to ignore one."""
    rows = [[*HEADER, "完成时间"], [*record(1), "2024-06-01"]]
    path = write(tmp_path, "a.csv", csv_text(rows))
    with pytest.raises(RecordFileError) as error:
        open_record_file(path)
    text = str(error.value)
    assert "完成日期" in text
    assert "完成时间" in text
    assert "completed_on" in text
    assert "--column 完成时间=" in text
    file = open_record_file(path, mapping={"完成时间": ""})
    assert records(file)[0].cells["completed_on"] == "2024-05-01"


def test_user_mapping(tmp_path: Path) -> None:
    """The user's mapping reads a header as a field, or leaves a column aside, with notes."""
    header = [*HEADER[:-1], "完成时间2", "培训机构"]
    rows = [header, [*record(1)[:-1], "2024-06-01", "甲"]]
    path = write(tmp_path, "a.csv", csv_text(rows))
    with pytest.raises(RecordFileError, match="完成日期"):
        open_record_file(path)
    file = open_record_file(path, mapping={"完成时间 2": "completed_on", "培训机构": ""})
    assert file.unknown() == ()
    assert records(file)[0].cells["completed_on"] == "2024-06-01"
    assert any("完成时间2" in n.zh and "completed_on" in n.zh for n in file.notes)
    assert any("培训机构" in n.en and "left aside" in n.en for n in file.notes)
    by_header = open_record_file(path, mapping={"完成时间2": "完成日期", "不存在": ""})
    assert records(by_header)[0].cells["completed_on"] == "2024-06-01"
    assert any("不存在" in n.zh for n in by_header.notes)


def test_mapping_to_no_field_refused(tmp_path: Path) -> None:
    """A mapping naming no field refuses the file, listing the fields."""
    path = write(tmp_path, "a.csv", csv_text([HEADER, record(1)]))
    with pytest.raises(RecordFileError, match="completed_on") as error:
        open_record_file(path, mapping={"完成时间2": "finished"})
    assert "finished" in str(error.value)


def test_missing_required_columns_named(tmp_path: Path) -> None:
    """A file without a required column names it in Chinese and English, and what it found."""
    rows = [["表一", ""], ["身份证号", "学时", "姓名"], [person(1), "10", "张三"]]
    path = write(tmp_path, "a.csv", csv_text(rows))
    with pytest.raises(RecordFileError) as error:
        open_record_file(path)
    message = error.value.message
    assert "课程名称（course_title）" in message.zh
    assert "完成日期（completed_on）" in message.zh
    assert "课程名称 (course_title)" in message.en
    assert "line 2" in message.en
    assert "身份证号, 学时, 姓名" in message.en
    assert "--encoding" not in message.en


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("学时", "hours"), ("学时（必填）", "hours"), ("学时(h)", "hours"),
        ("学时 (Hours)", "hours"), ("学时（学时）", "hours"), ("课程学时", "course_hours"),
        ("姓名（分）", "name"),  # a note on another field is only a note
        ("学时（分钟）", None), ("学时(min)", None), ("学时（分）", None), ("学时(MINUTES)", None),
        ("学时（小时）", None), ("学时数（天）", None), ("课程学时(分)", None),
    ],
)  # fmt: skip
def test_a_header_of_hours_in_another_unit_is_no_column_of_hours(
    header: str, field: str | None
) -> None:
    """90 minutes are not 90 学时: a bracketed note naming another unit is not dropped.

    As the hours parser refuses ``90分钟`` in a cell, a column headed 学时（分钟） is not
    read as 学时 (三(一): 60 学时 of professional subjects would be met by 60 minutes).
    """
    assert match_header(header) == field
    assert (other_unit(header) is None) == (field is not None)


def test_a_header_of_minutes_is_refused_with_what_to_do(tmp_path: Path) -> None:
    """The closest header names the column, its unit, and the mapping that reads it anyway."""
    rows = [[h.replace("学时", "学时（分钟）") for h in HEADER], record(1)]
    path = write(tmp_path, "a.csv", csv_text(rows))
    with pytest.raises(RecordFileError) as error:
        open_record_file(path)
    message = error.value.message
    assert message.zh.endswith(
        "表头“学时（分钟）”注明的单位是分钟，不是学时：请换算为学时；"
        "如该列实为学时，请用 --column 学时（分钟）=hours 指定"
    )
    assert message.en.endswith(
        "header “学时（分钟）” gives 分钟, not 学时 (credit hours): convert it to 学时, or if"
        " it holds 学时, map it with --column 学时（分钟）=hours"
    )
    mapped = open_record_file(path, mapping={"学时（分钟）": "hours"})
    assert [c.field for c in mapped.columns if c.header == "学时（分钟）"] == ["hours"]


def test_garbled_headers_hint_at_the_encoding(tmp_path: Path) -> None:
    """A header read in the wrong encoding is refused with a hint to pass --encoding."""
    path = write(tmp_path, "a.csv", csv_text([HEADER, record(1)]), "gbk")
    with pytest.raises(RecordFileError, match=r"garbled.*--encoding"):
        open_record_file(path, encoding="latin-1")


def test_header_is_looked_for_in_the_first_30_non_blank_rows(tmp_path: Path) -> None:
    """A header below 30 non-blank rows is not found; blank rows do not count."""
    title = [["标题"] + [""] * 6]
    ok = csv_text(title * 29 + [[""] * 7] * 40 + [HEADER, record(1)])
    assert len(records(open_record_file(write(tmp_path, "a.csv", ok)))) == 1
    late = csv_text(title * 30 + [HEADER, record(1)])
    with pytest.raises(RecordFileError, match="first 30 non-blank rows"):
        open_record_file(write(tmp_path, "b.csv", late))


def test_persons_file_columns(tmp_path: Path) -> None:
    """With ``PERSON_COLUMNS`` a records file's course columns are known and not needed."""
    file = open_record_file(
        write(tmp_path, "a.csv", csv_text([HEADER, record(1)])), columns=PERSON_COLUMNS
    )
    assert file.unknown() == ()
    assert records(file)[0].cells == {"person_id": person(1), "name": "张1"}


def test_missing_and_empty_files(tmp_path: Path) -> None:
    """A missing, empty or blank file is refused with its name."""
    with pytest.raises(RecordFileError, match="cannot read the file"):
        open_record_file(tmp_path / "none.csv")
    with pytest.raises(RecordFileError, match="no rows"):
        open_record_file(write(tmp_path, "empty.csv", ""))
    with pytest.raises(RecordFileError, match="no rows"):
        open_record_file(write(tmp_path, "blank.csv", ",,,\r\n\r\n"))


def test_rows_can_be_read_again(tmp_path: Path) -> None:
    """Each call of ``rows`` reads the file from its start."""
    file = open_record_file(office_gbk(tmp_path))
    assert items(file) == items(file)


# --- Opening a large file from its head -----------------------------------------------


def big_text(rows: int = 20_000, **changes: str) -> str:
    """A table of ``rows`` records under ``HEADER``, over 1 MiB (the head opening reads)."""
    return csv_text([HEADER, *(record(i, **changes) for i in range(1, rows + 1))])


def test_large_file_opened_from_its_head_reads_as_a_small_one(tmp_path: Path) -> None:
    """A GBK file over 1 MiB is opened from its head: the same header, notes and rows."""
    title = csv_text([["2024年度学时登记表", *[""] * 6]])
    text = title + big_text() + csv_text([["合计", "", "", "", "", "200000", ""]])
    path = write(tmp_path, "a.csv", text, "gbk")
    assert path.stat().st_size > (1 << 20)
    file = open_record_file(path)
    assert file.encoding == "gb18030"
    assert [n.en for n in file.notes] == ["read as GB18030 (GBK)"]
    assert file.header_line == 2
    got = items(file)
    assert len(got) == 20_002
    assert isinstance(got[0], SkippedRow)
    assert got[0].kind == "title"
    assert isinstance(got[-1], SkippedRow)
    assert (got[-1].kind, got[-1].line) == ("footer", 20_003)
    assert_accounted(file, 20_003)


def test_encoding_error_past_the_head_refused_when_reading_starts(tmp_path: Path) -> None:
    """A GBK line after the first 1 MiB of a UTF-8 file is refused before any row is read."""
    good = big_text().encode("utf-8")
    bad = csv_text([record(20_001, 姓名="李四")]).encode("gbk")
    path = tmp_path / "a.csv"
    path.write_bytes(good + bad)
    file = open_record_file(path)  # the head is UTF-8: the rest is read when rows are
    assert file.encoding == "utf-8"
    for _ in range(2):
        with pytest.raises(RecordFileError) as error:
            next(file.rows())
        assert "line 20002 is not UTF-8 although the lines before it are" in str(error.value)


def test_large_file_with_an_ascii_head_is_decoded_whole(tmp_path: Path) -> None:
    """A file whose first 1 MiB is ASCII is decoded whole to tell its encoding (GBK here)."""
    header = ["person_id", "course_title", "category", "hours", "completed_on"]
    ascii_rows = [[person(i), "course", "public", "1", "2024-05-01"] for i in range(30_000)]
    rows = [header, *ascii_rows, [person(99_999), "绿色低碳", "公需科目", "1", "2024-05-01"]]
    path = write(tmp_path, "a.csv", csv_text(rows), "gbk")
    assert path.stat().st_size > (1 << 20)
    file = open_record_file(path)
    assert file.encoding == "gb18030"
    assert records(file)[-1].cells["course_title"] == "绿色低碳"


@pytest.mark.parametrize(
    "between",
    [
        # Blank rows to the end of the head: more rows must be looked at.
        ("," * 63 + "\n") * (1 << 14),
        # A quote still open there.
        ("," * 63 + "\n") * ((1 << 14) - 1) + "," * 40 + '"一个跨过\n1 MiB\n的标题"\n',
    ],
)
def test_header_not_told_by_the_head_is_found_in_the_whole_file(
    tmp_path: Path, between: str
) -> None:
    """A header that the first 1 MiB cannot tell is looked for in the whole file."""
    path = write(tmp_path, "a.csv", "标题\n" + between + csv_text([HEADER, record(1)]))
    assert path.stat().st_size > (1 << 20)
    file = open_record_file(path)
    lines = physical_lines(path)
    assert file.header_line == lines - 1
    assert [i.line for i in records(file)] == [lines]
    assert_accounted(file, lines)


# --- Look-alikes ----------------------------------------------------------------------


def test_old_xls_refused(tmp_path: Path) -> None:
    """An OLE2 .xls file is refused: save it as .xlsx or CSV."""
    path = tmp_path / "a.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(RecordFileError, match=r"old \.xls format: save it as \.xlsx or CSV"):
        open_record_file(path)


def test_html_disguised_as_xls_refused(tmp_path: Path) -> None:
    """A web page named .xls is refused as a web page."""
    path = write(tmp_path, "a.xls", "\ufeff  \r\n<html><table><tr><td>身份证号</td></tr></table>")
    with pytest.raises(RecordFileError, match="is a web page, not a spreadsheet"):
        open_record_file(path)


def test_text_named_xls_is_read_as_csv(tmp_path: Path) -> None:
    """A tab-separated text file named .xls, as web systems export, is read as CSV."""
    path = write(tmp_path, "a.xls", csv_text([HEADER, record(1)], delimiter="\t"), "gbk")
    file = open_record_file(path)
    assert file.format == "csv"
    assert any("plain text" in n.en for n in file.notes)
    assert len(records(file)) == 1


# --- xlsx ------------------------------------------------------------------------------


def workbook(
    sheets: dict[str, list[list[object]]], *, epoch1904: bool = False
) -> openpyxl.Workbook:
    """A workbook with ``sheets``, each a list of rows of values."""
    book = openpyxl.Workbook()
    if epoch1904:
        book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    return book


def save(book: openpyxl.Workbook, path: Path) -> Path:
    """``book`` saved at ``path``."""
    book.save(path)
    return path


def rewrite_zip(path: Path, name: str, change: dict[bytes, bytes]) -> None:
    """Replaces bytes in one entry of a zip file."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            if info.filename == name:
                for old, new in change.items():
                    assert old in data
                    data = data.replace(old, new)
            archive.writestr(info, data)


def test_xlsx_with_title_rows_and_excel_dates(tmp_path: Path) -> None:
    """An xlsx sheet's title rows are skipped; dates, numbers and IDs become canonical text."""
    rows: list[list[object]] = [
        ["2024年度学时登记表"],
        [],
        HEADER,
        [1, person(1), "张三", "课程", "公需科目", 10, datetime(2024, 5, 1)],
        [2, 3.70602199001011e17, "李四", "课程", "专业科目", 10.0, datetime(2024, 5, 2, 14, 30)],
        [3, person(3), "王五", "课程", "专业科目", 0.5, date(2024, 5, 3)],
        [4, person(4), True, "课程", "专业科目", "#N/A", 45413],
        [None, None, None, None, None, 30.5, None],
        ["合计", None, None, None, None, 30.5, None],
    ]
    path = save(workbook({"学时": rows}), tmp_path / "a.xlsx")
    file = open_record_file(path)
    assert file.format == "xlsx"
    assert file.sheets == ("学时",)
    assert file.header_line == 3
    got = items(file)
    assert [(i.line, type(i).__name__) for i in got] == [
        (1, "SkippedRow"),
        (2, "SkippedRow"),
        (4, "RawRow"),
        (5, "RawRow"),
        (6, "RawRow"),
        (7, "RawRow"),
        (8, "SkippedRow"),
        (9, "SkippedRow"),
    ]
    cells = [r.cells for r in got if isinstance(r, RawRow)]
    assert cells[0]["hours"] == "10"
    assert cells[0]["completed_on"] == "2024-05-01"
    assert cells[1]["person_id"] == "3.70602199001011e+17"
    assert cells[1]["hours"] == "10"
    assert cells[1]["completed_on"] == "2024-05-02 14:30:00"
    assert cells[2]["hours"] == "0.5"
    assert cells[2]["completed_on"] == "2024-05-03"
    assert cells[3]["name"] == "true"
    assert cells[3]["hours"] == "#N/A"
    assert cells[3]["completed_on"] == "2024-05-01"  # a date serial in a date column
    assert got[0].source == f"{path}[学时]"
    assert [getattr(i, "kind", None) for i in got[-2:]] == ["note", "footer"]


def test_xlsx_1904_date_serial(tmp_path: Path) -> None:
    """A date serial in a 1904-system workbook is read in that system."""
    serial = (date(2024, 5, 1) - date(1904, 1, 1)).days
    rows: list[list[object]] = [
        HEADER,
        [1, person(1), "张三", "课程", "公需科目", 10, serial],
        [2, person(2), "李四", "课程", "公需科目", 10, datetime(2024, 5, 2)],
    ]
    path = save(workbook({"Sheet1": rows}, epoch1904=True), tmp_path / "a.xlsx")
    with zipfile.ZipFile(path) as archive:
        assert b"date1904" in archive.read("xl/workbook.xml")
    got = records(open_record_file(path))
    assert [r.cells["completed_on"] for r in got] == ["2024-05-01", "2024-05-02"]


def test_xlsx_stale_dimension_reads_every_row(tmp_path: Path) -> None:
    """A sheet whose <dimension> claims A1:C2 while it holds 50 rows is read whole."""
    rows: list[list[object]] = [HEADER, *[record(i) for i in range(1, 50)]]
    path = save(workbook({"Sheet1": rows}), tmp_path / "a.xlsx")
    stale_size = {b'<dimension ref="A1:G50"': b'<dimension ref="A1:C2"'}
    rewrite_zip(path, "xl/worksheets/sheet1.xml", stale_size)
    stale = openpyxl.load_workbook(path, read_only=True)
    assert len(list(stale.worksheets[0].iter_rows(values_only=True))) == 2  # without the fix
    stale.close()
    got = records(open_record_file(path))
    assert len(got) == 49
    assert got[-1].line == 50
    assert got[-1].cells["completed_on"] == "2024-05-01"


def test_xlsx_second_sheet_and_summary_sheet(tmp_path: Path) -> None:
    """Every sheet with a header is read; a sheet without one is named in a note."""
    book = workbook(
        {
            "汇总": [["单位", "人数"], ["甲", 3]],
            "学时": [HEADER, record(1), record(2)],
            "空白": [],
            "补录": [["补录记录"], HEADER, record(3)],
        }
    )
    book["补录"].sheet_state = "hidden"
    path = save(book, tmp_path / "a.xlsx")
    file = open_record_file(path)
    assert file.sheets == ("学时", "补录")
    assert [h.line for h in file.headers] == [1, 2]
    got = items(file)
    assert [(i.source, i.line) for i in got] == [
        (f"{path}[学时]", 2),
        (f"{path}[学时]", 3),
        (f"{path}[补录]", 1),
        (f"{path}[补录]", 3),
    ]
    notes = [n.en for n in file.notes]
    assert "sheets read: 学时, 补录" in notes
    assert "sheet 汇总 was not read: no header with the required columns" in notes
    assert not any("空白" in n for n in notes)
    assert any("补录 is hidden" in n for n in notes)


def test_xlsx_without_header_names_best_sheet(tmp_path: Path) -> None:
    """A workbook without a header anywhere names the closest row and its sheet."""
    path = save(workbook({"甲": [["a"]], "乙": [["身份证号", "学时"]]}), tmp_path / "a.xlsx")
    with pytest.raises(RecordFileError, match=r"line 1 \(sheet 乙\), lacks: 课程名称"):
        open_record_file(path)


def test_xlsx_data_without_header_found_while_reading(tmp_path: Path) -> None:
    """Data in an xlsx column without a header is a column not understood (strict: refused)."""
    rows: list[list[object]] = [HEADER, record(1), [*record(2), None, "备用"]]
    path = save(workbook({"Sheet1": rows}), tmp_path / "a.xlsx")
    file = open_record_file(path)
    assert file.unknown() == ()
    assert len(records(file)) == 2
    assert file.unknown() == ("第9列",)
    with pytest.raises(RecordFileError, match="line 3: columns not understood"):
        records(open_record_file(path, strict=True))


def test_xlsx_duplicate_and_unknown_headers(tmp_path: Path) -> None:
    """An xlsx header is checked like a CSV header."""
    path = save(workbook({"S": [[*HEADER, "完成时间"], record(1)]}), tmp_path / "a.xlsx")
    with pytest.raises(RecordFileError, match="completed_on") as error:
        open_record_file(path)
    assert error.value.source == f"{path}[S]"
    path = save(workbook({"S": [[*HEADER, "机构"], record(1)]}), tmp_path / "b.xlsx")
    assert open_record_file(path).unknown() == ("机构",)
    with pytest.raises(RecordFileError, match="机构"):
        open_record_file(path, strict=True)


def test_zip_bomb_refused(tmp_path: Path) -> None:
    """A workbook with a part compressed over 200 times and over 10 MiB is refused."""
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (11 << 20))
    with pytest.raises(RecordFileError, match="zip bomb"):
        open_record_file(path)


def test_zip_that_is_not_a_workbook_refused(tmp_path: Path) -> None:
    """A zip without a workbook, or a file named .xlsx that is no zip, is not a workbook."""
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(RecordFileError, match="not an xlsx workbook"):
        open_record_file(path)
    with pytest.raises(RecordFileError, match="not an xlsx workbook"):
        open_record_file(write(tmp_path, "b.xlsx", "身份证号,学时\n"))


def test_corrupt_workbook_refused(tmp_path: Path) -> None:
    """A workbook whose sheet XML is broken is refused, never a partial result."""
    path = save(workbook({"S": [HEADER, record(1)]}), tmp_path / "a.xlsx")
    rewrite_zip(path, "xl/worksheets/sheet1.xml", {b"</sheetData>": b"<row>"})
    with pytest.raises(RecordFileError, match="cannot read the workbook"):
        items(open_record_file(path))


def test_csv_that_is_really_xlsx(tmp_path: Path) -> None:
    """A workbook named .csv is read as the workbook it is."""
    path = save(workbook({"S": [HEADER, record(1)]}), tmp_path / "a.xlsx")
    renamed = path.rename(tmp_path / "a.csv")
    file = open_record_file(renamed)
    assert file.format == "xlsx"
    assert any("xlsx" in n.en for n in file.notes)
    assert records(file)[0].source == f"{renamed}[S]"


# --- JSON Lines ------------------------------------------------------------------------


def jsonl(tmp_path: Path, lines: Sequence[str], name: str = "a.jsonl") -> Path:
    """``lines`` written as a JSON Lines file."""
    return write(tmp_path, name, "\n".join(lines) + "\n")


BASE = '"person_id": "P1", "course_title": "课", "category": "公需", "completed_on": "2024-05-01"'


def test_jsonl_values_as_text(tmp_path: Path) -> None:
    """Numbers arrive as their literal text, booleans as true/false, nulls as None."""
    path = jsonl(
        tmp_path,
        [
            "{" + BASE + ', "hours": 0.5, "featured": true, "name": null}',
            '{"身份证号": 3.70602E+17, "学时": 10}',
        ],
    )
    first, second = records(open_record_file(path))
    assert first.cells["hours"] == "0.5"
    assert first.cells["featured"] == "true"
    assert first.cells["name"] is None
    assert second.cells == {"person_id": "3.70602E+17", "hours": "10"}


def test_jsonl_nested_value_is_a_bad_cell(tmp_path: Path) -> None:
    """A list or an object as a value is a BadCell, not a crash and not dropped."""
    path = jsonl(tmp_path, ["{" + BASE + ', "topics": ["a", "b"], "hours": {"v": 1}}'])
    (row,) = records(open_record_file(path))
    assert isinstance(row.cells["topics"], BadCell)
    assert row.cells["topics"].code == "not_a_cell"
    assert isinstance(row.cells["hours"], BadCell)


def test_jsonl_broken_lines(tmp_path: Path) -> None:
    """Deep nesting, NaN, bad JSON, non-objects and huge lines each break their line only."""
    path = jsonl(
        tmp_path,
        [
            "[" * 100_000,
            '{"hours": NaN}',
            '{"hours": 1,}',
            "[1, 2]",
            "",
            '{"name": "' + "x" * (1 << 20) + '"}',
            '{"person_id": "A", "身份证号": "B"}',
            "{" + BASE + "}",
        ],
    )
    got = items(open_record_file(path))
    assert [(i.line, getattr(i, "code", getattr(i, "kind", None))) for i in got] == [
        (1, "too_deep"),
        (2, "not_json"),
        (3, "not_json"),
        (4, "not_an_object"),
        (5, "blank"),
        (6, "too_long"),
        (7, "duplicate_field"),
        (8, None),
    ]
    assert "NaN" in got[1].message.en  # type: ignore[union-attr]
    assert "character 13" in got[2].message.en  # type: ignore[union-attr]
    assert all(len(i.text) <= 200 for i in got if not isinstance(i, RawRow))


def test_jsonl_lone_surrogate_is_no_cell(tmp_path: Path) -> None:
    """A lone surrogate escape is no character: a BadCell with the cell parser's reason."""
    (row,) = records(open_record_file(jsonl(tmp_path, ['{"name": "\\ud800"}'])))
    cell = row.cells["name"]
    assert isinstance(cell, BadCell)
    assert cell.code == "surrogate"


def test_jsonl_keys_are_headers(tmp_path: Path) -> None:
    """Keys are read as headers: unknown ones listed as they appear, mapped ones followed."""
    path = jsonl(tmp_path, ['{"person_id": "A", "机构": "甲"}', '{"身份证号": "B", "地址": 1}'])
    file = open_record_file(path, mapping={"地址": ""})
    assert file.header_line is None
    got = records(file)
    assert [r.cells for r in got] == [{"person_id": "A"}, {"person_id": "B"}]
    assert file.unknown() == ("机构",)
    assert [c.header for c in file.columns] == ["person_id", "机构", "身份证号", "地址"]


def test_jsonl_strict_unknown_key(tmp_path: Path) -> None:
    """In strict mode the first unknown key refuses the file, naming it and its line."""
    path = jsonl(tmp_path, ['{"person_id": "A"}', '{"person_id": "B", "机构": "甲"}'])
    file = open_record_file(path, strict=True)
    for _ in range(2):  # each reading refuses it
        with pytest.raises(RecordFileError, match=r"line 2: columns not understood.*机构"):
            items(file)


def test_jsonl_encodings(tmp_path: Path) -> None:
    """JSON Lines are UTF-8 (a BOM allowed); an undecodable line or UTF-16 is refused."""
    path = write(tmp_path, "a.jsonl", '{"person_id": "甲"}\n', "utf-8-sig")
    assert records(open_record_file(path))[0].cells == {"person_id": "甲"}
    path = tmp_path / "b.jsonl"
    path.write_bytes(b'{"a": 1}\n{"person_id": "' + "甲".encode("gbk") + b'"}\n')
    with pytest.raises(RecordFileError, match="line 2"):
        open_record_file(path)
    with pytest.raises(RecordFileError, match="ASCII-compatible"):
        open_record_file(path, encoding="utf-16")
    assert records(open_record_file(path, encoding="gbk"))[1].cells == {"person_id": "甲"}


def test_json_array_refused(tmp_path: Path) -> None:
    """A .json file holding an array is refused: JSON Lines hold one object a line."""
    path = write(tmp_path, "a.json", json.dumps([{"person_id": "A"}]))
    with pytest.raises(RecordFileError, match="JSON array"):
        open_record_file(path)


# --- Column mapping files --------------------------------------------------------------


def test_load_column_mapping(tmp_path: Path) -> None:
    """A [columns] table of strings is a mapping; anything else names the file and key."""
    good = write(tmp_path, "m.toml", '[columns]\n"完成时间2" = "completed_on"\n"序号" = ""\n')
    assert load_column_mapping(good) == {"完成时间2": "completed_on", "序号": ""}
    bad = write(tmp_path, "bad.toml", '[columns]\n"完成时间2" = 3\n')
    with pytest.raises(RecordFileError, match="完成时间2") as error:
        load_column_mapping(bad)
    assert error.value.source == str(bad)
    wrong = write(tmp_path, "wrong.toml", '[columns]\n"完成时间2" = "finished"\n')
    with pytest.raises(RecordFileError, match="完成时间2"):
        load_column_mapping(wrong)
    with pytest.raises(RecordFileError, match="not a valid TOML"):
        load_column_mapping(write(tmp_path, "x.toml", "[columns\n"))
    with pytest.raises(RecordFileError, match="no \\[columns\\]"):
        load_column_mapping(write(tmp_path, "y.toml", ""))
    with pytest.raises(RecordFileError, match="unknown key"):
        load_column_mapping(write(tmp_path, "z.toml", "[colums]\n"))


# --- Properties ------------------------------------------------------------------------

PROPERTY_HEADER = ["身份证号", "课程名称", "科目类别", "学时", "完成日期"]
PROPERTY_FIELDS = ["person_id", "course_title", "category", "hours", "completed_on"]
_CELL_ALPHABET = st.one_of(
    st.sampled_from(['"', ",", "\r", "\n", " ", "\t", ";", "|", "中", "学", "😀", "\ufeff"]),
    st.characters(exclude_characters="\0", exclude_categories=("Cs",)),
)
_CELLS = st.text(_CELL_ALPHABET, max_size=15)
_PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_PROPERTY
@given(
    rows=st.lists(
        st.tuples(_CELLS.map(lambda c: "P" + c), _CELLS, _CELLS, _CELLS, _CELLS), max_size=12
    )
)
def test_property_csv_writer_tables_read_back(tmp_path: Path, rows: list[tuple[str, ...]]) -> None:
    """Any table written by csv.writer reads back as its cells, each row at its line."""
    text = csv_text([PROPERTY_HEADER, *rows])
    path = write(tmp_path, "p.csv", text)
    got = items(open_record_file(path))
    assert all(isinstance(r, RawRow) for r in got)
    assert [r.cells for r in got] == [  # type: ignore[union-attr]
        dict(zip(PROPERTY_FIELDS, row, strict=True)) for row in rows
    ]
    line = 2
    for row, item in zip(rows, got, strict=True):
        written = len(io.StringIO(csv_text([row]), newline="").readlines())
        assert (item.line, item.lines) == (line, written)
        line += written


_SNIPPETS = st.sampled_from(
    [
        '"', '""', ",", "\r\n", "\n", "\r", "合计", "制表人：", "共3人", "P1", "10", "\0",
        "a,b,c,d,e", "x,y", ",,,,", '"a\nb"', "注：", "  ", "\t",
    ]
)  # fmt: skip


@_PROPERTY
@given(
    tail=st.lists(st.one_of(_SNIPPETS, st.text(_CELL_ALPHABET, max_size=8)), max_size=60).map(
        "".join
    )
)
def test_property_every_line_accounted_for(tmp_path: Path, tail: str) -> None:
    """After a valid header, every physical line of any text is accounted for exactly once."""
    path = write(tmp_path, "p.csv", ",".join(PROPERTY_HEADER) + "\r\n" + tail)
    try:
        file = open_record_file(path)
        assert_accounted(file, physical_lines(path))
    except RecordFileError:  # pragma: no cover - only this may be raised
        pass


def test_accounting_holds_for_long_unclosed_quotes(tmp_path: Path) -> None:
    """A quote left open over more than 100 lines breaks one line; the rest are read."""
    lines = [",".join(PROPERTY_HEADER), 'P0,"open,x,1,d']
    lines += [f"P{i},t,c,1,d" for i in range(1, 300)]
    path = write(tmp_path, "a.csv", "\n".join(lines))
    file = open_record_file(path)
    got = items(file)
    assert isinstance(got[0], BrokenRow)
    assert "within 100 lines" in got[0].message.en
    assert len(got) == 300
    assert_accounted(file, 301)


_HEADER_BYTES = st.sampled_from(
    [
        b"",
        ",".join(PROPERTY_HEADER).encode("utf-8") + b"\r\n",
        ",".join(PROPERTY_HEADER).encode("gbk") + b"\n",
        "\t".join(PROPERTY_HEADER).encode("utf-16") + b"\n\0",
        b'{"person_id": "P1"}\n',
    ]
)


@_PROPERTY
@given(
    head=_HEADER_BYTES,
    body=st.binary(max_size=300),
    suffix=st.sampled_from([".csv", ".jsonl", ".xls", ".txt"]),
)
def test_property_any_bytes_are_read_or_refused(
    tmp_path: Path, head: bytes, body: bytes, suffix: str
) -> None:
    """Any bytes under any name are read, or refused with RecordFileError, nothing else."""
    path = tmp_path / f"p{suffix}"
    path.write_bytes(head + body)
    try:
        file = open_record_file(path)
        got = items(file)
    except RecordFileError:
        return
    if file.format == "csv":
        assert_accounted(file, len(io.StringIO(_decoded(path, file), newline="").readlines()))
    else:
        lines = _decoded(path, file).split("\n")
        assert len(got) == len(lines) - (lines[-1] == "")


def _decoded(path: Path, file: RecordFile) -> str:
    """The text of ``path`` in the encoding ``file`` was read in."""
    return path.read_bytes().decode(file.encoding or "utf-8").removeprefix("\ufeff")


@_PROPERTY
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6))
def test_property_damaged_workbooks_are_read_or_refused(
    tmp_path: Path, flips: list[tuple[int, int]]
) -> None:
    """A workbook with damaged bytes is read, or refused with RecordFileError, nothing else."""
    data = bytearray(_WORKBOOK)
    for at, value in flips:
        data[at % len(data)] = value
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    with contextlib.suppress(RecordFileError):
        items(open_record_file(path))


def _workbook_bytes() -> bytes:
    out = io.BytesIO()
    workbook({"S": [["标题"], HEADER, record(1), record(2), ["合计"]]}).save(out)
    return out.getvalue()


_WORKBOOK = _workbook_bytes()


def test_source_names_the_file_in_rows_and_errors(tmp_path: Path) -> None:
    """``source=`` is the name every row and error reports instead of the path (an upload)."""
    path = tmp_path / "kept-elsewhere.csv"
    path.write_text(csv_text([HEADER, record(1), ["合计", "", "", "", "", "", ""]]), "utf-8")
    rows = list(open_record_file(path, source="upload.csv").rows())
    assert [(type(r).__name__, r.source) for r in rows] == [
        ("RawRow", "upload.csv"),
        ("SkippedRow", "upload.csv"),
    ]
    path.write_text("no,header,here\n", "utf-8")
    with pytest.raises(RecordFileError) as error:
        open_record_file(path, source="upload.csv")
    assert error.value.source == "upload.csv"
    assert str(path) not in str(error.value)


@pytest.mark.parametrize(
    ("reference", "position"), [("A1", (1, 1)), ("B3", (2, 3)), ("AA10", (27, 10)),
                                ("XFD1048576", (16384, 1048576)), ("b3", (2, 3))],
)  # fmt: skip
def test_a_cell_reference_is_its_column_and_row(reference: str, position: tuple[int, int]) -> None:
    """``B3`` is column 2, row 3, as the formula scan places an uncached formula."""
    assert _readers._cell_position(reference) == position


@pytest.mark.parametrize(
    ("xml", "formula"),
    [(b'<c r="G2"><f>30*2</f><v /></c>', True), (b'<x:c><x:f t="shared" si="0"/></x:c>', True),
     (b"<f\n>A1</f>", True), (b"<filters><filter val='1'/></filters>", False),
     (b"<formula1>1</formula1>", False), (b"<c><v>1</v></c>", False)],
)  # fmt: skip
def test_a_formula_is_told_in_a_sheets_xml(xml: bytes, formula: bool) -> None:
    """The scan that finds whether a sheet has formulas: ``<f>`` in any form, nothing else."""
    assert bool(_readers._FORMULA_TAG.search(xml)) is formula
