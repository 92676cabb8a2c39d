"""``ce-rules check`` on files as offices make them: encodings, cells, footers, workbooks.

Every file here is written the way a spreadsheet or a platform writes it (GBK with title
and footer rows, UTF-16 text, workbooks with stale sizes and date cells, hostile strings)
and run through the real entry point. Nothing may be lost: every row is a verdict's
entry, an invalid record or a skipped row, and the totals add up on every file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from test_cli import (
    ENGLISH_WORDS,
    HEADER,
    by_person,
    cli_env,
    parsed,
    person_rows,
    record,
    run,
    run_all,
    run_json,
    write_csv,
    write_lines,
)

#: An office's footer: a totals row, a signature row, a blank row, a print stamp.
FOOTERS = [["合计", "", "", "", "", "", "180"], ["制表人：王五", "", "审核人：赵六"], [],
           ["打印时间：2025-01-05"]]  # fmt: skip


# --- encodings and delimiters -------------------------------------------------------------


def test_gbk_export_with_title_and_footer_rows_is_read_without_flags(tmp_path: Path) -> None:
    """A GBK export with a title and 合计/制表人/blank footers: read, footers reported, exit 0."""
    rows = [*person_rows("370102198001011234", "张伟"), *person_rows("370102198001015678", "李娜")]
    path = write_csv(tmp_path / "导出记录.csv", rows, before=[["继续教育学时汇总表"]],
                     after=FOOTERS, encoding="gbk")  # fmt: skip
    result, data = run_json(path, "--year", "2024")
    assert result.returncode == 0, result.stderr
    assert data["totals"]["compliant"] == 2
    assert [(s["line"], s["kind"]) for s in data["skipped"]] == [
        (1, "title"), (7, "footer"), (8, "footer"), (9, "blank"), (10, "footer"),
    ]  # fmt: skip
    assert "按GB18030（GBK）编码读取" in result.stderr
    assert f"表尾行3行（{path}:7, {path}:8, {path}:10）" in result.stderr
    assert f"空行1行（{path}:9）" in result.stderr


def test_explicit_encoding_is_used_and_a_wrong_one_names_itself(tmp_path: Path) -> None:
    """``--encoding gb18030`` reads the file; ``--encoding utf-8`` fails naming it and the line."""
    path = write_csv(tmp_path / "gb.csv", person_rows("A", "张伟"), encoding="gb18030")
    result, wrong, unknown = run_all(
        ["check", path, "--year", "2024", "--encoding", "gb18030"],
        ["--lang", "en", "check", path, "--year", "2024", "--encoding", "utf-8"],
        ["check", path, "--year", "2024", "--encoding", "bogus"],
    )
    assert result.returncode == 0, result.stderr
    assert wrong.returncode == 2
    assert "line 1 cannot be decoded as utf-8" in wrong.stderr
    assert "--encoding" in wrong.stderr
    assert unknown.returncode == 2
    assert "未知的编码：bogus" in unknown.stderr


def test_gbk_after_64_kib_of_ascii_is_detected(tmp_path: Path) -> None:
    """Detection reads the whole file: GBK bytes after 64 KiB of ASCII still mean GBK."""
    rows = [record(f"P{n:05d}", name="x", title="t") for n in range(1500)]
    rows.append(record("Q0001", name="张伟", title="绿色低碳高质量发展"))
    path = write_csv(tmp_path / "late-gbk.csv", rows, encoding="gbk")
    assert path.stat().st_size > 1 << 16
    result = run("--lang", "en", "check", path, "--year", "2024", "--format", "csv")
    assert result.returncode == 1, result.stderr
    assert "Q0001,张伟,non_compliant" in result.stdout


def test_one_gbk_line_in_a_utf8_file_is_named_not_a_missing_column(tmp_path: Path) -> None:
    """A UTF-8 file with one GBK line: the line is named as mixing encodings, exit 2."""
    head = write_csv(tmp_path / "mixed.csv", person_rows("A", "张伟")).read_bytes()
    tail = "B,李娜,市属单位,GX1,课程GX1,公需科目,30,2024-03-01,线下培训,\r\n".encode("gbk")
    (tmp_path / "mixed.csv").write_bytes(head + tail)
    result = run("check", tmp_path / "mixed.csv", "--year", "2024")
    assert result.returncode == 2
    assert "第4行不是UTF-8编码，而前面各行是" in result.stderr
    assert "缺少" not in result.stderr


def test_utf16_tab_separated_text_is_detected(tmp_path: Path) -> None:
    """A spreadsheet's "Unicode text" export (UTF-16 with a BOM, tab-separated) is read."""
    path = write_csv(tmp_path / "unicode.txt", person_rows("A", "张伟"), encoding="utf-16",
                     delimiter="\t")  # fmt: skip
    result = run("check", path, "--year", "2024")
    assert result.returncode == 0, result.stderr
    assert "张伟" in result.stdout
    assert "分隔符为制表符" in result.stderr


def test_utf8_bom_with_english_headers(tmp_path: Path) -> None:
    """A UTF-8 file with a BOM (as Excel saves it) and English headers is read."""
    header = ["person_id", "name", "unit", "course_id", "course_title", "category", "hours",
              "completed_on", "mode", "platform"]  # fmt: skip
    path = write_csv(tmp_path / "bom.csv", person_rows("A", "Zhang"), header=header,
                     encoding="utf-8-sig")  # fmt: skip
    result = run("--lang", "en", "check", path, "--year", "2024")
    assert result.returncode == 0, result.stderr
    assert "1 compliant" in result.stdout


def test_jsonl_input_with_english_or_chinese_keys(tmp_path: Path) -> None:
    """JSON Lines with English or Chinese keys; numbers exact; a bad line costs one record."""
    lines = [
        json.dumps({"person_id": "A", "unit": "municipal", "course_id": "G", "course_title": "t",
                    "category": "public", "hours": 30, "completed_on": "2024-01-02",
                    "mode": "offline"}),
        json.dumps({"身份证号": "A", "课程编号": "Z", "课程名称": "t", "科目类别": "专业科目",
                    "学时": 60.5, "完成日期": "2024-02-03"}, ensure_ascii=False),
        "not json",
        "",
    ]  # fmt: skip
    path = write_lines(tmp_path / "records.jsonl", lines)
    result, data = run_json(path, "--year", "2024")
    assert result.returncode == 2
    assert data["verdicts"][0]["requirements"][1]["earned"] == "60.5"
    (bad,) = data["invalid_records"]
    assert (bad["line"], bad["problems"][0]["code"]) == (3, "not_json")
    assert data["skipped"][0]["line"] == 4


def test_header_only_file_judges_nobody_and_says_so(tmp_path: Path) -> None:
    """A header and no rows: nobody judged, exit 0, and a warning that there are no records."""
    path = write_csv(tmp_path / "header.csv", [])
    result = run("--lang", "en", "check", path, "--year", "2024")
    assert result.returncode == 0
    assert "0 persons" in result.stdout
    assert "the input has no records" in result.stderr


# --- cells as offices write them ----------------------------------------------------------


def test_cells_as_offices_write_them_are_read(tmp_path: Path) -> None:
    """Times of day, 年月日, Excel serials, full-width digits and 学时 units are read exactly."""
    rows = [
        record("A", "GX1", hours="１０．５", day="2024/5/1 8:30"),
        record("A", "GX2", hours="10学时", day="2024年5月1日"),
        record("A", "GX3", hours="9.5", day="2024-05-01 00:00:00"),
        record("A", "ZY1", hours="60 h", day="45413"),
        record("A", "ZY2", hours="0.5", day="2024.5.2"),
    ]
    path = write_csv(tmp_path / "cells.csv", rows)
    result, data = run_json(path, "--year", "2024")
    assert data["invalid_records"] == []
    assert result.returncode == 0, result.stderr
    earned = [r["earned"] for r in data["verdicts"][0]["requirements"]]
    assert earned == ["30", "60.5"]


REFUSED = [
    # (column, value, code, Chinese reason, English reason)
    ("hours", "3_0", "not_a_number", "学时应为普通的十进制数", "plain decimal number"),
    ("hours", "1e1", "not_a_number", "学时应为普通的十进制数", "plain decimal number"),
    ("hours", "10小时", "unit", "不是小时或分钟", "not clock hours"),
    ("completed_on", "1714521600", "timestamp", "Unix 时间戳", "Unix timestamp"),
    ("completed_on", "05/01/2024", "ambiguous_date", "日与月的顺序有歧义", "order is ambiguous"),
    ("completed_on", "2024-02-30", "not_a_date", "2024年2月只有29天", "February 2024 has 29"),
    ("person_id", "3.70602E+17", "spreadsheet_number", "科学计数法", "scientific notation"),
    ("person_id", "370102198001011234.0", "spreadsheet_number", "以 .0 结尾", "ends in .0"),
]


def test_cells_that_are_not_plainly_a_number_date_or_id_are_refused(tmp_path: Path) -> None:
    """Underscores, exponents, timestamps, day/month orders and rewritten IDs: refused, why said."""
    rows = []
    for column, value, _, _, _ in REFUSED:
        cells = {"person_id": "370102198001015678", "hours": "30", "completed_on": "2024-05-01"}
        cells[column] = value
        rows.append(record(cells["person_id"], hours=cells["hours"], day=cells["completed_on"]))
    path = write_csv(tmp_path / "refused.csv", rows)
    result, table = run_all(
        ["check", path, "--year", "2024", "--format", "json"], ["check", path, "--year", "2024"]
    )
    data = parsed(result)
    assert result.returncode == 2
    got = {r["line"]: r["problems"] for r in data["invalid_records"]}
    assert sorted(got) == list(range(2, 2 + len(REFUSED)))
    for line, (column, value, code, zh, en) in enumerate(REFUSED, start=2):
        (problem,) = got[line]
        assert (problem["field"], problem["value"], problem["code"]) == (column, value, code)
        assert zh in problem["message"]["zh"]
        assert en in problem["message"]["en"]
    # No rewritten ID became a person of its own.
    assert [v["person_id"] for v in data["verdicts"]] == ["370102198001015678"]
    for _, value, _, zh, _ in REFUSED:
        assert f"'{value}': " in table.stdout
        assert zh in table.stdout


#: An ID as offices' systems and spreadsheets garble it without changing whose it is.
SAME_PERSON = [
    "370102198001011234",
    "370102198001011234\u200b",  # a zero-width space pasted from a web page
    "\ufeff370102198001011234",  # a byte order mark glued to the first cell
    "３７０１０２１９８００１０１１２３４",  # full-width digits typed with a Chinese IME
    " 370102198001011234\u00a0",  # a no-break space after it
    "37010219800101123\u2060" + "4",  # a word joiner inside it
]


def test_invisible_characters_in_an_id_never_make_a_second_person(tmp_path: Path) -> None:
    """Zero-width, BOM, full-width, no-break space: one person; a control character: refused."""
    rows = [
        record(pid, f"ZY{n}", hours="10", day=f"2024-05-0{n + 1}")
        for n, pid in enumerate(SAME_PERSON)
    ]
    rows.append(record("370102198001011234", "GX1", hours="30"))
    rows.append(record("370102198001011234\x07", "ZY9", hours="10"))
    path = write_csv(tmp_path / "ids.csv", rows)
    asked = (SAME_PERSON[0], SAME_PERSON[1], SAME_PERSON[3])
    result, *explained = run_all(
        ["check", path, "--year", "2024", "--format", "json"],
        *(["explain", person, path, "--year", "2024", "--format", "json"] for person in asked),
    )
    data = parsed(result)
    assert result.returncode == 2
    (verdict,) = data["verdicts"]
    assert verdict["person_id"] == "370102198001011234"
    assert verdict["requirements"][1]["earned"] == "60"
    (control,) = data["invalid_records"]
    assert (control["line"], control["problems"][0]["code"]) == (9, "control_character")
    assert control["person_id"] is None
    for explain in explained:
        # The refused row names no one: it may be this person's, and explain says so.
        assert explain.returncode == 2, explain.stderr
        assert f"可能属于370102198001011234，此结论可能不完整：{path}:9" in explain.stderr
        explained = json.loads(explain.stdout)
        for key in ("person_id", "status", "requirements", "fingerprint"):
            assert explained[key] == verdict[key], key
        assert len(explained["entries"]) == len(verdict["entries"]) == 7


def test_explain_offers_a_spreadsheet_number_only_to_whom_it_may_have_been(
    tmp_path: Path,
) -> None:
    """An ID Excel made a number keeps its leading digits: another person's is left out.

    ``3.70602E+17`` may be any ID from 370601.5… to 370602.5… (rounded) or cut; a blank
    person cell may be anyone's; an ID with a check digit X is never made a number.
    """
    rows = [
        *person_rows("370602198001011234"),
        *person_rows("370102198001011234"),
        *person_rows("37060219800101123X"),
        record("3.70602E+17", "ZY7", hours="10"),  # line 8
        record("370102198001011000.0", "ZY8", hours="10"),  # line 9: 15 digits kept
        record("", "ZY9", hours="10"),  # line 10: anyone's
    ]
    path = write_csv(tmp_path / "excel.csv", rows)
    near, far, lettered = run_all(
        *(
            ["--lang", "en", "explain", person, path, "--year", "2024"]
            for person in ("370602198001011234", "370102198001011234", "37060219800101123X")
        )
    )
    for result, lines in ((near, (8, 10)), (far, (9, 10)), (lettered, (10,))):
        assert result.returncode == 2, result.stderr
        offered = [line for line in result.stdout.splitlines() if line.startswith("  ? ")]
        assert [line.split()[1] for line in offered] == [f"{path}:{n}" for n in lines]
        said = "1 invalid record names" if len(lines) == 1 else f"{len(lines)} invalid records name"
        assert f"{said} no person that can be read" in result.stderr
    # Someone whose every row lost its id: no verdict, but the rows that may be theirs.
    lost = run("explain", "370602198001019999", path, "--year", "2024")
    assert lost.returncode == 2
    assert (
        "输入中没有人员 '370602198001019999' 的记录；有2条无效记录读不出身份证号，可能属于该人员："
        f"{path}:8, {path}:10"
    ) in lost.stderr


def test_footer_rows_are_skipped_and_reported_not_invalid(tmp_path: Path) -> None:
    """合计, 制表人 and blank rows under the records: counted as skipped lines, never exit 2."""
    path = write_csv(tmp_path / "footers.csv", person_rows("A"), after=FOOTERS)
    result, english = run_all(
        ["check", path, "--year", "2024", "--format", "json"],
        ["--lang", "en", "check", path, "--year", "2024"],
    )
    data = parsed(result)
    assert result.returncode == 0, result.stderr
    totals = data["totals"]
    assert (totals["records"], totals["skipped"], totals["invalid"]) == (6, 4, 0)
    assert {s["kind"] for s in data["skipped"]} == {"footer", "blank"}
    assert "合计 | 180" in [s["text"] for s in data["skipped"]]
    assert english.returncode == 0
    assert "skipped, not records: 3 footer row(s)" in english.stderr


def test_ids_and_dates_an_export_marked_as_text_read_as_their_text(tmp_path: Path) -> None:
    """``'370102…`` and ``="370102…"`` are one person, and ``'GX1`` the course GX1, in any encoding.

    Exports write cells so that a spreadsheet keeps them as text; read as written, one
    person would be three and a course counted twice.
    """
    person = "370102198001011234"
    rows = [
        record(person, "GX1", hours="10"),
        # A copy of the first; then another course, every cell a formula of its text.
        record(
            f"'{person}",
            "'GX1",
            title="课程GX1",
            category="公需科目",
            day="'2024-03-01",
            hours="10",
        ),
        record(
            f'="{person}"', '="GX2"', category='="公需科目"', hours='="20"', day='="2024-04-01"'
        ),
        record(person, "ZY1", hours="60"),
    ]
    for encoding in ("utf-8", "gbk"):
        path = write_csv(tmp_path / f"标记-{encoding}.csv", rows, encoding=encoding)
        result, data = run_json(path, "--year", "2024")
        assert result.returncode == 0, result.stderr
        [verdict] = data["verdicts"]
        assert verdict["person_id"] == person
        assert [r["earned"] for r in verdict["requirements"]] == ["30", "60"]
        assert [e["reason"] for e in verdict["entries"]] == [
            "counted", "duplicate", "counted", "counted",
        ]  # fmt: skip


# --- workbooks ----------------------------------------------------------------------------


def save_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook with one sheet per item, rows as given, saved to ``path``."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def stale_dimension(path: Path, claimed: str) -> None:
    """Rewrites the first sheet's ``<dimension>`` to claim ``claimed`` (``A1:J2``)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    name = "xl/worksheets/sheet1.xml"
    xml = parts[name].decode("utf-8")
    start = xml.index('<dimension ref="') + len('<dimension ref="')
    parts[name] = (xml[:start] + claimed + xml[xml.index('"', start) :]).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data in parts.items():
            archive.writestr(filename, data)


def test_formulas_a_workbook_stores_no_result_for_are_read_or_refused_never_blank(
    tmp_path: Path,
) -> None:
    """Formulas without their results (as programs write workbooks): never read as empty.

    A text formula is the text it marks (``="已驳回"``: rejected, not a blank status that
    would count as approved); any other is an invalid cell saying so. Once a spreadsheet has
    saved the result, the result is read.
    """
    person = "370102198001011234"
    rows = [
        [*HEADER, "审核状态"],
        [f'="{person}"', "张伟", "市属单位", '="GX1"', "公需课", "公需科目", '="30"',
         '="2024-03-01"', "线下培训", None, "已审核"],
        [person, "张伟", "市属单位", "ZY1", "专业课", "专业科目", 60, "2024-03-01", "线下培训",
         None, '="已驳回"'],
        [person, "张伟", "市属单位", "ZY2", "专业课", "专业科目", "=30*2", "2024-03-02",
         "线下培训", None, "已审核"],
    ]  # fmt: skip
    path = save_workbook(tmp_path / "公式.xlsx", {"记录": rows})
    result, data = run_json(path, "--year", "2024")
    assert result.returncode == 2, result.stderr
    [verdict] = data["verdicts"]
    assert [r["earned"] for r in verdict["requirements"]] == ["30", "0"]
    assert [e["reason"] for e in verdict["entries"]] == ["counted", "rejected"]
    [invalid] = data["invalid_records"]
    assert invalid["line"] == 4
    [problem] = invalid["problems"]
    assert (problem["field"], problem["code"]) == ("hours", "formula_without_value")
    assert problem["message"]["zh"].startswith("单元格是公式 =30*2，文件中没有保存它的计算结果")
    # The same workbook as a spreadsheet saves it: the formula's result stored beside it.
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    name = "xl/worksheets/sheet1.xml"
    parts[name] = parts[name].replace(b"<f>30*2</f><v />", b"<f>30*2</f><v>60</v>")
    assert b"<v>60</v>" in parts[name]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data_ in parts.items():
            archive.writestr(filename, data_)
    result, data = run_json(path, "--year", "2024")
    assert result.returncode == 0, result.stderr  # compliant: 30 and 60
    assert data["invalid_records"] == []
    assert [r["earned"] for r in data["verdicts"][0]["requirements"]] == ["30", "60"]


def _xlsx_rows() -> list[list[Any]]:
    """A sheet as offices make one: title rows, typed cells, dates, a footer."""
    return [
        ["2024年度继续教育学时登记表"],
        ["填报单位：某某医院"],
        list(HEADER),
        ["370102198001011234", "张伟", "市属单位", "GX1", "公需课", "公需科目", 30,
         datetime(2024, 3, 1), "线下培训", None],
        ["370102198001011234", "张伟", "市属单位", "ZY1", "专业课", "专业科目", 60.5,
         45413, "线下培训", None],
        ["370102198001015678", "李娜", "市属单位", "GX1", "公需课", "公需科目", 30,
         datetime(2024, 5, 1, 8, 30), "线下培训", None],
        ["370102198001015678", "李娜", "市属单位", "ZY1", "专业科目课", "专业科目", "60学时",
         "2024年6月1日", "线下培训", None],
        ["合计", None, None, None, None, None, 180.5],
    ]  # fmt: skip


def test_workbook_with_title_rows_dates_and_a_stale_dimension_is_read_whole(
    tmp_path: Path,
) -> None:
    """Every row of a sheet whose ``<dimension>`` under-states it is read; date cells, serials."""
    path = save_workbook(tmp_path / "学时.xlsx", {"学时": _xlsx_rows()})
    stale_dimension(path, "A1:J4")
    result, data = run_json(path, "--year", "2024")
    assert result.returncode == 0, result.stderr
    verdicts = by_person(data)
    assert set(verdicts) == {"370102198001011234", "370102198001015678"}
    assert verdicts["370102198001011234"]["requirements"][1]["earned"] == "60.5"
    assert [r["line"] for r in verdicts["370102198001015678"]["records"]] == [6, 7]
    totals = data["totals"]
    assert (totals["records"], totals["counted"], totals["skipped"]) == (7, 4, 3)
    assert "读取的工作表：学时" in result.stderr


def test_another_sheet_of_records_is_read_and_said(tmp_path: Path) -> None:
    """A second sheet holding records is read too; a sheet without records is named as unread."""
    first = _xlsx_rows()[:5]
    extra = [list(HEADER), ["370102198001019999", "王强", "市属单位", "ZY1", "专业课",
                            "专业科目", 60, "2024-07-01", "线下培训", None]]  # fmt: skip
    path = save_workbook(
        tmp_path / "book.xlsx",
        {"学时": first, "说明": [["本表由系统导出"], ["如有疑问请联系人事科"]], "补录": extra},
    )
    result, english = run_all(
        ["check", path, "--year", "2024", "--format", "json"],
        ["--lang", "en", "check", path, "--year", "2024"],
    )
    data = parsed(result)
    assert set(by_person(data)) == {"370102198001011234", "370102198001019999"}
    assert "读取的工作表：学时、补录" in result.stderr
    assert "工作表“说明”未读取" in result.stderr
    (record_ref,) = by_person(data)["370102198001019999"]["records"]
    assert record_ref == {"source": f"{path}[补录]", "line": 2}
    assert "sheets read: 学时, 补录" in english.stderr


def test_xlsx_without_the_extra_says_how_to_install(tmp_path: Path) -> None:
    """Without openpyxl, an xlsx file is refused with the pip command that adds it."""
    path = save_workbook(tmp_path / "records.xlsx", {"学时": _xlsx_rows()})
    code = (
        "import sys; sys.modules['openpyxl'] = None; from ce_rules._cli import main; "
        f"raise SystemExit(main(['--lang', 'en', 'check', {str(path)!r}, '--year', '2024', "
        "'--region', 'shandong']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=cli_env()
    )
    assert result.returncode == 2
    assert "pip install openpyxl" in result.stderr
    assert "Traceback" not in result.stderr


# --- nothing lost -------------------------------------------------------------------------


def test_an_unclosed_quote_costs_one_record_and_the_thousands_after_are_judged(
    tmp_path: Path,
) -> None:
    """A quote opened and never closed: that line is reported, every line after is judged."""
    rows = [record("370102198001010000", "GX1", title='绿色低碳"高质量')]
    for n in range(1, 1501):
        rows.extend(person_rows(f"3701021980{n:08d}", "某人"))
    path = tmp_path / "quote.csv"
    write_csv(path, rows)
    text = path.read_text(encoding="utf-8").replace('"绿色低碳""高质量"', '"绿色低碳高质量', 1)
    path.write_text(text, encoding="utf-8", newline="")
    result, data = run_json(path, "--year", "2024")
    assert result.returncode == 2
    totals = data["totals"]
    assert (totals["records"], totals["invalid"], totals["counted"]) == (3001, 1, 3000)
    assert totals["compliant"] == 1500
    (broken,) = data["invalid_records"]
    assert (broken["line"], broken["problems"][0]["code"]) == (2, "unclosed_quote")
    assert "只跳过这一行" in broken["problems"][0]["message"]["zh"]


def _office_files(folder: Path) -> dict[str, Path]:
    """One file of each kind these tests make, for the totals that must balance on all."""
    files = {
        "footers.csv": write_csv(folder / "footers.csv", person_rows("A"), after=FOOTERS),
        "gbk.csv": write_csv(folder / "gbk.csv", person_rows("A", "张伟"),
                             before=[["学时表"]], after=FOOTERS, encoding="gbk"),
        "utf16.txt": write_csv(folder / "utf16.txt", person_rows("A"), encoding="utf-16",
                               delimiter="\t"),
        "broken.csv": write_csv(folder / "broken.csv", [*person_rows("A"), ["B", "C"],
                                                        record("C", hours="三十")]),
        "quote.csv": write_lines(folder / "quote.csv", [",".join(HEADER),
                                 'A,"张伟,市属单位,GX1,t,公需科目,30,2024-01-01,线下培训,',
                                 "A,张伟,市属单位,ZY1,t,专业科目,60,2024-01-01,线下培训,"]),
        "cells.csv": write_csv(folder / "cells.csv", [
            record(pid, hours=hours, day=day)
            for pid, hours, day in [("A", "１０．５", "2024/5/1 8:30"), ("A\u200b", "3_0", "45413"),
                                    ("3.70602E+17", "10", "2024-01-01"), ("B", "1e1", "05/01/2024")]
        ]),
        "records.jsonl": write_lines(folder / "records.jsonl", [
            '{"person_id": "A", "course_title": "t", "category": "public", "hours": 30, '
            '"completed_on": "2024-01-01"}',
            '{"person_id": "A", "hours": [1]}', '{"a":' * 2000 + "1" + "}" * 2000, "", "[]",
        ]),
        "title-rows.xlsx": save_workbook(folder / "title-rows.xlsx", {"学时": _xlsx_rows()}),
        "header-only.csv": write_csv(folder / "header-only.csv", []),
        "example.csv": Path(__file__).resolve().parent.parent / "examples" / "records-2024.csv",
    }  # fmt: skip
    stale = save_workbook(folder / "stale.xlsx", {"学时": _xlsx_rows(), "备注": [["x"]]})
    stale_dimension(stale, "A1:B2")
    files["stale.xlsx"] = stale
    return files


def test_record_totals_balance_on_every_file(tmp_path: Path) -> None:
    """``records = counted + excluded + invalid + skipped`` on every file, and the lists agree."""
    files = _office_files(tmp_path)
    runs = run_all(
        *(["check", path, "--year", "2024", "--format", "json"] for path in files.values())
    )
    results = {name: (result, parsed(result)) for name, result in zip(files, runs, strict=True)}
    for name, (result, data) in results.items():
        totals = data["totals"]
        parts = totals["counted"] + totals["excluded"] + totals["invalid"] + totals["skipped"]
        assert totals["records"] == parts, name
        assert totals["invalid"] == len(data["invalid_records"]), name
        assert totals["skipped"] == len(data["skipped"]), name
        entries = sum(len(v["entries"]) for v in data["verdicts"])
        assert totals["counted"] + totals["excluded"] == entries, name
        assert result.returncode in (0, 1, 2), name
        assert (result.returncode == 2) == (totals["invalid"] > 0), name
        assert "Traceback" not in result.stderr, name
    assert results["records.jsonl"][1]["totals"]["records"] == 5
    assert results["stale.xlsx"][1]["totals"]["records"] == 7


# --- one path: check and explain agree ----------------------------------------------------

#: Ways a person's ID arrives, hostile ones included; each variant of one ID is one person.
_IDS = ["370102198001011234", "A-1", "=1+1", "+8613800000000", "@SUM", "-5"]
_DECORATIONS: list[Callable[[str], str]] = [
    lambda s: s,
    lambda s: s + "\u200b",
    lambda s: "\ufeff" + s,
    lambda s: s.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),
    lambda s: s + "\x07",  # a control character: refused, never a second person
    lambda s: f" {s}\u3000",
]
_NAMES = ["张伟", "=HYPERLINK(\"http://x\")", "+李娜", "@王强", "-赵敏", "\x1b[31m红\x1b[0m",
          "王\u200d强", "Ｚｈａｎｇ"]  # fmt: skip
_HOURS = ["30", "60", "10.5", "１０．５", "10学时", "0.5", "3_0", "-1"]
_DAYS = ["2024-05-01", "2024/5/1 8:30", "2024年6月1日", "45413", "2023-12-31", "05/01/2024"]
_ROWS = st.tuples(
    st.integers(0, 1),
    st.sampled_from(_DECORATIONS),
    st.sampled_from(_NAMES),
    st.sampled_from(["市属单位", "省直单位", ""]),
    st.sampled_from(["GX1", "GX2", "ZY1", "ZY2"]),
    st.sampled_from(_HOURS),
    st.sampled_from(_DAYS),
    st.sampled_from([("线下培训", ""), ("远程教育", "专技知到"), ("远程教育", "某某培训网"),
                     ("", "")]),
)  # fmt: skip


_CONTROL = _DECORATIONS[4]


@settings(
    max_examples=20,
    deadline=None,
    # Each example runs several commands: a failure is reported as found, not shrunk for
    # minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ids=st.permutations(_IDS), rows=st.lists(_ROWS, min_size=1, max_size=6))
def test_check_and_explain_agree_for_every_person(
    tmp_path: Path, ids: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """For any small file with hostile strings, ``explain P`` says what ``check`` says of P.

    Each person's ID arrives decorated (zero-width, full-width, a BOM, spaces): still one
    person; with a control character the row is refused and names no one.
    """
    table = [
        record(decorate(ids[who]), course, name=name, unit=unit, hours=hours, day=day,
               mode=mode, platform=platform)
        for who, decorate, name, unit, course, hours, day, (mode, platform) in rows
    ]  # fmt: skip
    path = write_csv(tmp_path / "hostile.csv", table)
    persons = sorted({ids[who] for who, decorate, *_ in rows if decorate is not _CONTROL})

    def explain(person_id: str) -> dict[str, Any]:
        out = run("explain", person_id, path, "--year", "2024", "--format", "json")
        assert out.returncode in (0, 1, 2), out.stderr
        assert "Traceback" not in out.stderr
        return json.loads(out.stdout)

    with ThreadPoolExecutor(2) as pool:
        checked = pool.submit(run_json, path, "--year", "2024")
        explained = list(pool.map(explain, persons))
        result, data = checked.result()
    assert [v["person_id"] for v in data["verdicts"]] == persons
    for verdict, alone in zip(data["verdicts"], explained, strict=True):
        for key in ("person_id", "status", "requirements", "missing_facts", "fingerprint"):
            assert alone[key] == verdict[key], key
        # ``index`` is a position in the rows each command judged: explain reads only P's.
        assert [{**r, "index": 0} for r in alone["invalid_records"]] == [
            {**r, "index": 0} for r in verdict["invalid_records"]
        ]
        assert alone["records"] == verdict["records"]
    totals = data["totals"]
    assert totals["records"] == len(rows)
    assert totals["records"] == totals["counted"] + totals["excluded"] + totals["invalid"]
    assert "Traceback" not in result.stderr
    for word in ENGLISH_WORDS:
        assert word not in result.stderr


def test_hostile_names_are_escaped_in_the_table(tmp_path: Path) -> None:
    """Terminal escapes in a file never reach the terminal: escaped in the table and on stderr."""
    header = [*HEADER, "\x1b]0;owned\x07备注\x1b[31m"]
    rows = [[*row, "x"] for row in person_rows("A\u202e", "\x1b[2J张伟")]
    rows.append([*record("B\x1b[1m", "GX1"), "y"])
    path = write_csv(tmp_path / "escapes.csv", rows, header=header, after=[["合计\x1b[5m"]])
    for result in run_all(
        *(["--lang", lang, "check", path, "--year", "2024"] for lang in ("zh", "en"))
    ):
        assert "\x1b" not in result.stdout
        assert "\x1b" not in result.stderr
        assert "\x07" not in result.stderr
        assert "\u202e" not in result.stdout
        assert "\\x1b" in result.stdout
        assert "\\x1b]0;owned\\x07备注\\x1b[31m" in result.stderr
