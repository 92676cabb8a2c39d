"""The ``ce-rules`` command line, run through its real entry point on real files."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "records-2024.csv"

ZH_HEADER = (
    "身份证号,姓名,课程编号,课程名称,科目类别,学时,完成日期,角色,是否优质在线公需课,学习平台"
)
EN_HEADER = "person_id,name,course_id,course_title,category,hours,completed_on"


def run(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ce_rules`` with ``args``; output decoded as UTF-8."""
    return subprocess.run(
        [sys.executable, "-m", "ce_rules", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        input=stdin,
        cwd=ROOT,
    )


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    """Write ``lines`` to ``path`` in ``encoding``."""
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def zh_rows(person: str, name: str, public: str = "30", professional: str = "60") -> list[str]:
    """Two rows (Chinese values) for one person."""
    return [
        f"{person},{name},GX1,绿色低碳高质量发展,公需科目,{public},2024-03-01,学员,否,专技知到",
        f"{person},{name},ZY1,专业课程,专业科目,{professional},2024-06-01,学员,否,",
    ]


def test_example_file_exits_1_with_totals() -> None:
    """The bundled example has non-compliant persons: exit 1, a totals line at the end."""
    result = run("check", EXAMPLE, "--year", "2024")
    assert result.returncode == 1, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("合计：5人，合格2人，不合格3人")
    assert "无效0条" in last


def test_installed_console_script_works() -> None:
    """The ``ce-rules`` console script is the same entry point."""
    script = Path(sys.executable).with_name("ce-rules")
    if not script.exists():
        pytest.skip("ce-rules is not installed as a script in this environment")
    result = subprocess.run(
        [str(script), "--lang", "en", "policies"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "shandong-2024" in result.stdout


def test_utf8_bom_with_english_headers_all_compliant_exits_0(tmp_path: Path) -> None:
    """A UTF-8 file with a BOM (as Excel saves it) is read; all compliant means exit 0."""
    rows = [
        EN_HEADER,
        "A,Zhang,GX1,Public course,public,30,2024-03-01",
        "A,Zhang,ZY1,Professional course,professional,60,2024-06-01",
    ]
    path = write(tmp_path / "bom.csv", rows, "utf-8-sig")
    result = run("--lang", "en", "check", path, "--year", "2024")
    assert result.returncode == 0, result.stderr
    assert "1 compliant" in result.stdout


def test_gbk_file_with_chinese_headers_is_detected(tmp_path: Path) -> None:
    """A GBK file from a Chinese spreadsheet is detected and read without --encoding."""
    path = write(tmp_path / "gbk.csv", [ZH_HEADER, *zh_rows("A", "张伟")], "gbk")
    result = run("check", path, "--year", "2024")
    assert result.returncode == 0, result.stderr
    assert "张伟" in result.stdout


def test_explicit_encoding_is_used(tmp_path: Path) -> None:
    """``--encoding`` overrides detection."""
    path = write(tmp_path / "gb.csv", [ZH_HEADER, *zh_rows("A", "张伟")], "gb18030")
    result = run("check", path, "--year", "2024", "--encoding", "gb18030")
    assert result.returncode == 0, result.stderr
    wrong = run("--lang", "en", "check", path, "--year", "2024", "--encoding", "utf-8")
    assert wrong.returncode == 2
    assert "--encoding" in wrong.stderr


def test_broken_line_in_the_middle_is_reported_and_the_rest_judged(tmp_path: Path) -> None:
    """A line with too few fields is reported with its line number; the others still count."""
    lines = [ZH_HEADER, *zh_rows("A", "张伟"), "B,李娜,GX1", *zh_rows("C", "王强")]
    path = write(tmp_path / "broken.csv", lines)
    result = run("--lang", "en", "check", path, "--year", "2024", "--format", "json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert [v["person_id"] for v in data["verdicts"]] == ["A", "C"]
    (bad,) = data["invalid_records"]
    assert (bad["source"], bad["line"], bad["field"]) == (str(path), 4, "(row)")
    assert data["totals"]["records"] == 5
    assert data["totals"]["invalid"] == 1
    assert "invalid" in result.stderr


def test_bad_value_names_line_field_and_person(tmp_path: Path) -> None:
    """A bad value is reported with file, line and field, and marks the person's verdict."""
    lines = [ZH_HEADER, *zh_rows("A", "张伟", public="三十")]
    path = write(tmp_path / "value.csv", lines)
    result = run("check", path, "--year", "2024", "--format", "jsonl")
    assert result.returncode == 2
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    (verdict,) = [o["verdict"] for o in objects if "verdict" in o]
    assert verdict["invalid_records"][0]["field"] == "hours"
    assert verdict["invalid_records"][0]["line"] == 2
    assert objects[-1]["totals"]["invalid"] == 1


def test_empty_file_is_invalid_input(tmp_path: Path) -> None:
    """An empty file has no header: exit 2 and an error in the chosen language."""
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = run("check", path, "--year", "2024")
    assert result.returncode == 2
    assert "文件为空" in result.stderr
    assert result.stdout == ""
    english = run("--lang", "en", "check", path, "--year", "2024")
    assert "empty" in english.stderr


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    """A file without a required column is refused, naming the column in both names."""
    path = write(tmp_path / "nohours.csv", ["身份证号,课程编号,课程名称,科目类别,完成日期"])
    result = run("--lang", "en", "check", path, "--year", "2024")
    assert result.returncode == 2
    assert "hours (学时)" in result.stderr


def test_file_of_another_year_is_non_compliant_with_a_warning(tmp_path: Path) -> None:
    """2023 records checked for 2024 count nothing: exit 1, and stderr says why."""
    rows = [row.replace("2024-", "2023-") for row in zh_rows("A", "张伟")]
    path = write(tmp_path / "2023.csv", [ZH_HEADER, *rows])
    result = run("--lang", "en", "check", path, "--year", "2024", "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["totals"]["by_reason"] == {"other_year": 2}
    assert "another year" in result.stderr


def test_year_without_policy_exits_2() -> None:
    """A year no policy governs is an error (decision 8), exit 2, in the chosen language."""
    result = run("--lang", "en", "check", EXAMPLE, "--year", "1995")
    assert result.returncode == 2
    assert "no policy" in result.stderr
    chinese = run("check", EXAMPLE, "--year", "1995")
    assert chinese.returncode == 2
    assert "没有适用于" in chinese.stderr
    assert chinese.stdout == ""


def test_usage_errors_exit_2() -> None:
    """Bad usage (missing --year, unknown format, bad --as-of) exits 2."""
    assert run("check", EXAMPLE).returncode == 2
    assert run("check", EXAMPLE, "--year", "2024", "--format", "xml").returncode == 2
    bad_date = run("--lang", "en", "check", EXAMPLE, "--year", "2024", "--as-of", "May")
    assert bad_date.returncode == 2
    assert "--as-of" in bad_date.stderr
    assert run("check", "/nonexistent.csv", "--year", "2024").returncode == 2


def test_json_output_validates_against_the_published_schema(tmp_path: Path) -> None:
    """``check --format json`` output is valid under ``ce-rules schema output``."""
    schema = json.loads(run("schema", "output").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    lines = [ZH_HEADER, *zh_rows("A", "张伟"), "B,李娜,GX1", *zh_rows("C", "王强", public="x")]
    path = write(tmp_path / "mixed.csv", lines)
    for source in (EXAMPLE, path):
        result = run("check", source, "--year", "2024", "--format", "json")
        data = json.loads(result.stdout)
        jsonschema.validate(data, schema)
        totals = data["totals"]
        assert totals["records"] == totals["counted"] + totals["excluded"] + totals["invalid"]
        decisions = [d for v in data["verdicts"] for d in v["entries"]]
        assert totals["counted"] + totals["excluded"] == len(decisions)
        assert totals["invalid"] == len(data["invalid_records"])


def test_record_schema_accepts_the_example_records() -> None:
    """Each record of the example, keyed by English names, is valid under the record schema."""
    schema = json.loads(run("schema", "record").stdout)
    from ce_rules._batch import normalise_header

    with EXAMPLE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            record = {normalise_header(k): v for k, v in row.items()}
            jsonschema.validate(record, schema)


def test_jsonl_input(tmp_path: Path) -> None:
    """JSON Lines input with English or Chinese keys; numbers stay exact."""
    lines = [
        json.dumps({"person_id": "A", "course_id": "G", "course_title": "t", "category": "public",
                    "hours": 30, "completed_on": "2024-01-02"}),
        json.dumps({"身份证号": "A", "课程编号": "Z", "课程名称": "t", "科目类别": "专业科目",
                    "学时": 60.5, "完成日期": "2024-02-03"}, ensure_ascii=False),
        "not json",
    ]  # fmt: skip
    path = write(tmp_path / "records.jsonl", lines)
    result = run("check", path, "--year", "2024", "--format", "json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["verdicts"][0]["requirements"][1]["earned"] == "60.5"
    assert data["invalid_records"][0]["line"] == 3


def test_csv_output_has_one_row_per_person() -> None:
    """``--format csv`` writes a header and one row per person."""
    result = run("check", EXAMPLE, "--year", "2024", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5
    assert rows[1]["public_hours_shortfall"] == "10"


def test_output_file_and_persons_file(tmp_path: Path) -> None:
    """``--persons`` supplies unit levels; ``--output`` writes the report to a file."""
    rows = [
        "身份证号,课程编号,课程名称,科目类别,学时,完成日期,学习平台",
        "A,GX1,公需课,公需科目,30,2024-03-01,某培训网",
        "A,ZY1,专业课,专业科目,60,2024-06-01,",
    ]
    records = write(tmp_path / "r.csv", rows)
    persons = write(tmp_path / "p.csv", ["身份证号,姓名,单位级别", "A,张伟,省直单位"])
    out = tmp_path / "out.json"
    result = run("check", records, "--year", "2024", "--persons", persons, "--format", "json",
                 "--output", out)  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["verdicts"][0]["entries"][0]["reason"] == "platform_not_recognised"
    assert data["verdicts"][0]["name"] == "张伟"


def test_unsorted_input_needs_the_flag(tmp_path: Path) -> None:
    """Records of one person split apart are refused as unsorted unless --unsorted is given."""
    a1, a2 = zh_rows("A", "张伟")
    b1, b2 = zh_rows("B", "李娜")
    path = write(tmp_path / "unsorted.csv", [ZH_HEADER, a1, b1, a2, b2])
    streamed = run("--lang", "en", "check", path, "--year", "2024")
    assert streamed.returncode == 2
    assert "not sorted" in streamed.stderr
    grouped = run("check", path, "--year", "2024", "--unsorted")
    assert grouped.returncode == 0, grouped.stdout


def test_explain_prints_every_entry() -> None:
    """``explain`` shows one person's verdict with a line per entry."""
    result = run("--lang", "en", "explain", "370300199212120044", EXAMPLE, "--year", "2024")
    assert result.returncode == 1
    assert result.stdout.count("#") >= 4
    assert "duplicate" in result.stdout
    missing = run("explain", "nobody", EXAMPLE, "--year", "2024")
    assert missing.returncode == 2


def test_rules_and_policies_list_the_registry() -> None:
    """``rules`` prints the catalogue with clauses; ``policies`` lists what is registered."""
    rules = run("rules", "--policy", "shandong-2024")
    assert rules.returncode == 0
    assert "public_hours" in rules.stdout
    assert "二(三)" in rules.stdout
    policies = run("policies")
    assert "shandong-2024" in policies.stdout


@pytest.mark.parametrize("which", ["record", "verdict", "output", "all"])
def test_schema_is_valid_json_schema(which: str) -> None:
    """Each published schema is itself a valid JSON Schema."""
    data: Any = json.loads(run("schema", which).stdout)
    for schema in data.values() if which == "all" else [data]:
        jsonschema.Draft202012Validator.check_schema(schema)


def test_xlsx_input(tmp_path: Path) -> None:
    """An xlsx sheet (the ``excel`` extra) is read: dates, numbers and Chinese headers."""
    openpyxl = pytest.importorskip("openpyxl")
    from datetime import datetime

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "课程编号", "课程名称", "科目类别", "学时", "完成日期"])
    sheet.append(["A", "张伟", "GX1", "公需课", "公需科目", 30, datetime(2024, 3, 1)])
    sheet.append(["A", "张伟", "ZY1", "专业课", "专业科目", 60.5, "2024-06-01"])
    sheet.append(["B", "李娜", "ZY1", "专业课", "专业科目", "六十", "2024-06-01"])
    path = tmp_path / "records.xlsx"
    book.save(path)
    result = run("check", path, "--year", "2024", "--format", "json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["verdicts"][0]["compliant"] is True
    assert data["verdicts"][0]["requirements"][1]["earned"] == "60.5"
    (bad,) = data["invalid_records"]
    assert (bad["line"], bad["field"], bad["person_id"]) == (4, "hours", "B")


def test_xlsx_without_the_extra_says_how_to_install(tmp_path: Path) -> None:
    """Without openpyxl, an xlsx file is refused with the pip command that adds it."""
    path = tmp_path / "records.xlsx"
    path.write_bytes(b"PK")
    code = (
        "import sys; sys.modules['openpyxl'] = None; from ce_rules._cli import main; "
        f"raise SystemExit(main(['--lang', 'en', 'check', {str(path)!r}, '--year', '2024']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "ce-rules[excel]" in result.stderr


def test_header_only_file_has_no_persons_and_says_so(tmp_path: Path) -> None:
    """A file with a header and no rows judges nobody: exit 0, and a warning on stderr."""
    path = write(tmp_path / "header.csv", [EN_HEADER])
    result = run("--lang", "en", "check", path, "--year", "2024")
    assert result.returncode == 0
    assert "0 persons" in result.stdout
    assert "no records" in result.stderr


def test_output_file_that_cannot_be_written_is_invalid_usage(tmp_path: Path) -> None:
    """An --output path that cannot be opened is a clear error naming it: exit 2, no traceback."""
    target = tmp_path / "no-such-dir" / "out.csv"
    result = run("--lang", "en", "check", EXAMPLE, "--year", "2024", "--output", target)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(target) in result.stderr
    assert result.stdout == ""


def test_xlsx_that_is_not_a_workbook_is_a_clear_error(tmp_path: Path) -> None:
    """A .xlsx file that is not a workbook stops the run with its name: exit 2, no traceback."""
    pytest.importorskip("openpyxl")
    path = write(tmp_path / "records.xlsx", [EN_HEADER, "A,x,GX1,t,public,30,2024-03-01"])
    result = run("--lang", "en", "check", path, "--year", "2024")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr


def test_csv_output_still_lists_invalid_records_on_stderr(tmp_path: Path) -> None:
    """With --format csv (one row per person) the invalid records are listed on stderr."""
    path = write(tmp_path / "broken.csv", [EN_HEADER, "A,x,GX1,t,public,三十,2024-03-01", "B,C"])
    result = run("--lang", "en", "check", path, "--year", "2024", "--format", "csv")
    assert result.returncode == 2
    assert f"{path}:2 hours '三十'" in result.stderr
    assert f"{path}:3 (row)" in result.stderr
    assert "(row)" not in result.stdout


def test_persons_file_naming_a_person_twice_is_refused(tmp_path: Path) -> None:
    """A persons file describing one id twice, differently, is an error naming the line."""
    from ce_rules._io import RecordFileError, read_persons

    lines = ["person_id,unit", "A,省直单位", "B,市属", "B,市属", "A,市属"]
    path = write(tmp_path / "persons.csv", lines)
    with pytest.raises(RecordFileError, match="line 5") as caught:
        read_persons(path)
    assert "'A'" in caught.value.message


def test_overlay_file_as_policy_is_merged_onto_its_base(tmp_path: Path) -> None:
    """--policy with an overlay file judges under base + overlay: 三(一) is never dropped."""
    overlay = ROOT / "examples" / "overlays" / "example-city-2024.toml"
    lines = [EN_HEADER, "A,x,GX1,t,public,32,2024-03-01"]
    path = write(tmp_path / "public-only.csv", lines)
    result = run("check", path, "--year", "2024", "--policy", overlay, "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["policy_id"] == "shandong-2024.example-city-2024"
    (verdict,) = data["verdicts"]
    assert verdict["compliant"] is False
    codes = {r["code"]: r for r in verdict["requirements"]}
    assert codes["professional_hours"]["shortfall"] == "60"
    assert codes["public_hours"]["required"] == "32"


def test_gbk_file_whose_first_64_kib_are_ascii_is_detected(tmp_path: Path) -> None:
    """Detection looks at the whole file: GBK bytes after 64 KiB of ASCII still mean GBK."""
    ascii_rows = [f"P{n:05d},x,C1,t,public,30,2024-03-01" for n in range(3000)]
    lines = [EN_HEADER, *ascii_rows, "Q0001,张伟,C1,绿色低碳高质量发展,public,30,2024-03-01"]
    path = write(tmp_path / "late-gbk.csv", lines, "gbk")
    assert path.stat().st_size > 1 << 16
    result = run("--lang", "en", "check", path, "--year", "2024", "--format", "csv")
    assert result.returncode == 1, result.stderr
    assert "Q0001,张伟,non_compliant" in result.stdout


def test_utf16_text_with_bom_is_detected(tmp_path: Path) -> None:
    """A spreadsheet's "Unicode text" export (UTF-16 with a BOM, tab-separated) is read."""
    lines = [ZH_HEADER.replace(",", "\t"), *(r.replace(",", "\t") for r in zh_rows("A", "张伟"))]
    path = write(tmp_path / "unicode.txt", lines, "utf-16")
    result = run("check", path, "--year", "2024")
    assert result.returncode == 0, result.stderr
    assert "张伟" in result.stdout


def test_jsonl_encoding_errors_name_the_encoding_and_line(tmp_path: Path) -> None:
    """A JSON Lines file: an unknown --encoding or undecodable bytes are clear errors (exit 2)."""
    path = tmp_path / "records.jsonl"
    good = json.dumps(
        {"person_id": "A", "course_id": "C1", "course_title": "t", "category": "public",
         "hours": 30, "completed_on": "2024-03-01"}
    )  # fmt: skip
    path.write_bytes(good.encode() + b"\n" + good.encode() + b"\n\xff\xfe\n")
    unknown = run("--lang", "en", "check", path, "--year", "2024", "--encoding", "bogus")
    assert unknown.returncode == 2
    assert "Traceback" not in unknown.stderr
    assert "'bogus'" in unknown.stderr
    wrong = run("--lang", "en", "check", path, "--year", "2024", "--encoding", "gbk")
    assert wrong.returncode == 2
    assert "not gbk near line 3" in wrong.stderr


def test_output_onto_an_input_file_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    """--output naming an input file is a usage error (exit 2); the records are not destroyed."""
    path = write(tmp_path / "records.csv", [ZH_HEADER, *zh_rows("A", "张伟")])
    before = path.read_bytes()
    result = run("--lang", "en", "check", path, "--year", "2024", "--output", path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr
    assert path.read_bytes() == before


def test_persons_without_records_are_reported_and_explained(tmp_path: Path) -> None:
    """Staff in --persons with no record are non-compliant rows, and explain shows that person."""
    records = write(tmp_path / "r.csv", [ZH_HEADER, *zh_rows("A", "张伟")])
    persons = write(tmp_path / "p.csv", ["身份证号,姓名,单位级别", "A,张伟,市属", "B,李娜,市属"])
    check = run("--lang", "en", "check", records, "--year", "2024", "--persons", persons)
    assert check.returncode == 1, check.stderr
    assert "李娜" in check.stdout
    assert "2 persons, 1 compliant, 1 non-compliant" in check.stdout
    explain = run("--lang", "en", "explain", "B", records, "--year", "2024", "--persons", persons)
    assert explain.returncode == 1, explain.stderr
    assert explain.stdout.startswith("B")
    assert "李娜" not in check.stderr


def test_output_closed_early_does_not_claim_all_compliant(tmp_path: Path) -> None:
    """When the reader of the output goes away (`| head`), the exit code is 2, never 0."""
    rows = [ZH_HEADER]
    for number in range(3000):
        rows += zh_rows(f"37010219800101{number:04d}", "某人")
    path = write(tmp_path / "many.csv", rows)
    process = subprocess.Popen(
        [sys.executable, "-m", "ce_rules", "check", str(path), "--year", "2024"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()
    assert process.wait(timeout=60) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe (POSIX)")
def test_ctrl_c_exits_130_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    """Interrupted, the report is incomplete: exit 130 (not a verdict's code), no traceback."""
    fifo = tmp_path / "records.csv"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [sys.executable, "-m", "ce_rules", "--lang", "en", "check", str(fifo), "--year", "2024"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    with open(fifo, "wb"):  # returns once the command has opened the file to read it
        process.send_signal(signal.SIGINT)  # while it waits for the first line
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.decode("utf-8").strip() == "ce-rules: interrupted"
