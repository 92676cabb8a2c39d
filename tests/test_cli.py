"""The ``ce-rules`` command line, through its real entry point, on files as offices make them.

This module holds the helpers the other CLI test modules share (``run``, ``record``,
``write_csv``) and the tests of first contact, of the order of records, of the one input
schema, of facts never guessed and of the outputs' formats and languages.
``test_cli_office_files`` tests the files themselves (cells, workbooks, encodings,
footers, nothing lost, one path); ``test_cli_faults`` tests broken inputs, internal
errors, signals, full disks and the safety of report files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import ce_rules
from ce_rules._schema import match_header

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
EXAMPLE = ROOT / "examples" / "records-2024.csv"

#: The columns of a typical export of a unit's records.
HEADER = (
    "身份证号", "姓名", "单位级别", "课程编号", "课程名称", "科目类别", "学时", "完成日期",
    "学习形式", "学习平台",
)  # fmt: skip
#: Words that would mean a message went out in English (pydantic's or ours) under ``zh``.
ENGLISH_WORDS = ("must be", "Value error", "Input should", "got '", "is required", "accepted:")


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a command: this worktree's ``src`` first, no debug switch."""
    env = {k: v for k, v in os.environ.items() if k != "CE_RULES_DEBUG"}
    paths = [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra)
    return env


def command(*args: str | Path) -> list[str]:
    """``python -m ce_rules ARGS``: the real entry point.

    A ``check`` or ``explain`` that names no rules (neither ``--region`` nor ``--policy``)
    gets ``--region shandong``, as users are now told to write: without it the command
    warns that its default is deprecated (``test_no_region_is_deprecated_…`` runs that).
    """
    texts = [str(a) for a in args]
    if ({"check", "explain"} & set(texts)) and not ({"--region", "--policy"} & set(texts)):
        texts.append("--region=shandong")
    return [sys.executable, "-m", "ce_rules", *texts]


def bare_command(*args: str | Path) -> list[str]:
    """``python -m ce_rules ARGS``, exactly as given."""
    return [sys.executable, "-m", "ce_rules", *map(str, args)]


def run(
    *args: str | Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ce_rules ARGS`` with this worktree's code; output decoded as UTF-8."""
    return subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        check=False,
        input=stdin,
        cwd=cwd,
        env=cli_env() if env is None else env,
        timeout=120,
    )


def run_all(*commands: Sequence[str | Path]) -> list[subprocess.CompletedProcess[str]]:
    """Several independent commands, two at a time (most of a run is starting Python)."""
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda args: run(*args), commands))


def parsed(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON a command printed."""
    assert result.stdout, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def run_json(*args: str | Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``check ARGS --format json``: the result and its parsed output."""
    result = run("check", *args, "--format", "json")
    return result, parsed(result)


def json_all(*commands: Sequence[str | Path]) -> list[dict[str, Any]]:
    """``check ARGS --format json`` for each ARGS, two at a time: the parsed outputs."""
    results = run_all(*(["check", *args, "--format", "json"] for args in commands))
    return [parsed(result) for result in results]


def by_person(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The verdicts of a JSON report by person id."""
    return {v["person_id"]: v for v in data["verdicts"]}


def record(
    person: str,
    course: str = "GX1",
    *,
    name: str = "张伟",
    unit: str = "市属单位",
    title: str | None = None,
    category: str | None = None,
    hours: str = "30",
    day: str = "2024-03-01",
    mode: str = "线下培训",
    platform: str = "",
) -> list[str]:
    """One row under ``HEADER``; a course id starting GX is public, any other professional."""
    if category is None:
        category = "公需科目" if course.startswith("GX") else "专业科目"
    title = f"课程{course}" if title is None else title
    return [person, name, unit, course, title, category, hours, day, mode, platform]


def person_rows(
    person: str, name: str = "张伟", *, public: str = "30", professional: str = "60"
) -> list[list[str]]:
    """Two rows of one person of a municipal unit: public and professional hours."""
    return [
        record(person, "GX1", name=name, hours=public, day="2024-03-01"),
        record(person, "ZY1", name=name, hours=professional, day="2024-06-01"),
    ]


def csv_text(rows: Iterable[Sequence[str]], delimiter: str = ",") -> str:
    """``rows`` as a spreadsheet writes CSV: quoted where needed, CRLF line ends."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def write_csv(
    path: Path,
    rows: Iterable[Sequence[str]],
    *,
    header: Sequence[str] | None = HEADER,
    before: Iterable[Sequence[str]] = (),
    after: Iterable[Sequence[str]] = (),
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """A CSV export: title rows ``before``, the header, ``rows``, footer rows ``after``."""
    table = [*before, *([header] if header is not None else []), *rows, *after]
    path.write_bytes(csv_text(table, delimiter).encode(encoding))
    return path


def write_lines(path: Path, lines: Iterable[str], encoding: str = "utf-8") -> Path:
    """``lines`` written to ``path``, each ended by a line break."""
    path.write_bytes("".join(f"{line}\n" for line in lines).encode(encoding))
    return path


# --- first contact ------------------------------------------------------------------------


def test_version_prints_the_package_version() -> None:
    """``ce-rules --version`` prints the version defined once in the package."""
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"ce-rules {ce_rules.__version__}"


def test_quickstart_example_exits_1_with_its_totals() -> None:
    """The README's quickstart file: five persons, some short, so exit 1 and a totals line."""
    result = run("check", "examples/records-2024.csv", "--year", "2024")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("合计：5人，合格2人，不合格3人，进行中0人，待定0人；记录17条")
    assert "无效0条" in lines[-1]
    assert "Traceback" not in result.stderr


def test_installed_console_script_is_the_same_entry_point() -> None:
    """The ``ce-rules`` console script runs the same ``main``."""
    script = Path(sys.executable).with_name("ce-rules")
    if not script.exists():
        pytest.skip("ce-rules is not installed as a script in this environment")
    result = subprocess.run(
        [str(script), "--lang", "en", "policies"],
        capture_output=True,
        text=True,
        check=False,
        env=cli_env(),
    )
    assert result.returncode == 0, result.stderr
    assert "shandong-2024" in result.stdout


def test_rules_and_policies_list_the_registry() -> None:
    """``rules`` prints the catalogue with its clauses; ``policies`` lists what is registered."""
    rules, policies = run_all(["rules", "--policy", "shandong-2024"], ["policies"])
    assert rules.returncode == 0
    assert "public_hours" in rules.stdout
    assert "二(三)" in rules.stdout
    assert "shandong-2024" in policies.stdout


# --- order never matters ------------------------------------------------------------------


def _order_rows() -> list[list[str]]:
    """Records of four persons: compliant, short, a duplicate, an online public course."""
    return [
        *person_rows("370102198001010011", "张伟"),
        record("370102198001010022", "GX1", name="李娜", hours="20", day="2024-02-01"),
        record("370102198001010022", "ZY1", name="李娜", hours="60", day="2024-07-01"),
        record("370102198001010033", "GX2", name="王强", hours="30", day="2024-01-15",
               mode="远程教育", platform="专技知到"),
        record("370102198001010033", "ZY2", name="王强", hours="40", day="2024-05-05"),
        record("370102198001010033", "ZY2", name="王强", hours="40", day="2024-05-05"),
        record("370102198001010033", "ZY3", name="王强", hours="20", day="2024-11-30"),
        record("370102198001010044", "GX2", name="赵敏", hours="30", day="2024-04-04",
               mode="远程教育", platform="专技知到"),
        record("370102198001010044", "ZY1", name="赵敏", hours="59.5", day="2024-12-31"),
    ]  # fmt: skip


def _comparable(verdict: dict[str, Any]) -> dict[str, Any]:
    """A verdict without what only says where its records were (file, line, position)."""
    entries = sorted(
        (e["course_id"], e["role"], e["hours"], e["reason"], e["credited_hours"])
        for e in verdict["entries"]
    )
    kept = {k: v for k, v in verdict.items() if k not in ("entries", "records", "invalid_records")}
    return {**kept, "entries": entries}


def test_records_in_any_order_and_over_several_files_give_the_sorted_verdicts(
    tmp_path: Path,
) -> None:
    """Sorted by date, or split into an online export and an offline list: the same verdicts."""
    rows = _order_rows()
    by_person_file = write_csv(tmp_path / "sorted.csv", sorted(rows, key=lambda r: r[0]))
    by_date = write_csv(tmp_path / "by-date.csv", sorted(rows, key=lambda r: r[7]))
    online = write_csv(tmp_path / "online.csv", [r for r in rows if r[8] == "远程教育"])
    offline = write_csv(tmp_path / "offline.csv", [r for r in rows if r[8] != "远程教育"][::-1])
    runs = [[by_person_file], [by_date], [online, offline], [offline, online]]
    results = run_all(*(["check", *files, "--year", "2024", "--format", "json"] for files in runs))
    expected_result, expected = results[0], parsed(results[0])
    assert expected_result.returncode == 1
    assert [v["status"] for v in expected["verdicts"]] == [
        "compliant", "non_compliant", "compliant", "non_compliant",
    ]  # fmt: skip
    for result in results[1:]:
        data = parsed(result)
        assert result.returncode == expected_result.returncode, result.stderr
        assert [_comparable(v) for v in data["verdicts"]] == [
            _comparable(v) for v in expected["verdicts"]
        ]
        assert data["totals"] == expected["totals"]
        assert "--unsorted" not in result.stderr


def test_unsorted_is_still_accepted_with_a_deprecation_note(tmp_path: Path) -> None:
    """``--unsorted`` (and ``--jobs``) no longer do anything: accepted, and the user is told."""
    path = write_csv(tmp_path / "by-date.csv", sorted(_order_rows(), key=lambda r: r[7]))
    plain, flagged, english = run_all(
        ["check", path, "--year", "2024"],
        ["check", path, "--year", "2024", "--unsorted", "--jobs", "2"],
        ["--lang", "en", "check", path, "--year", "2024", "--unsorted"],
    )
    assert flagged.returncode == plain.returncode == 1
    assert flagged.stdout == plain.stdout
    assert "--unsorted 已无需使用" in flagged.stderr
    assert "--jobs 已不再使用" in flagged.stderr
    assert "--unsorted is no longer needed" in english.stderr


# --- one input schema ---------------------------------------------------------------------


def test_record_schema_has_real_types_enums_and_date_formats() -> None:
    """``schema record``: enums of the accepted spellings, numbers, dates, required columns."""
    result = run("schema", "record")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    properties = schema["properties"]
    assert set(schema["required"]) == {
        "person_id", "course_title", "category", "hours", "completed_on",
    }  # fmt: skip
    assert {"公需科目", "public", "专业科目", "professional"} <= set(properties["category"]["enum"])
    assert {"省直单位", "provincial", "市属单位", "municipal"} <= set(properties["unit"]["enum"])
    assert {"已审核", "已驳回", "rejected"} <= set(properties["status"]["enum"])
    assert "number" in properties["hours"]["type"]
    assert properties["hours"]["maximum"] == 1000
    # No "format": "date", which a validator checking formats would hold against 2024/5/1.
    assert "format" not in properties["completed_on"]
    record = {"person_id": "A", "course_title": "课", "category": "公需科目", "hours": 10,
              "completed_on": "2024/5/1"}  # fmt: skip
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    jsonschema.Draft202012Validator(schema, format_checker=checker).validate(record)
    assert "boolean" in properties["featured"]["type"]
    assert "完成时间" in properties["completed_on"]["description"]
    for name, prop in properties.items():
        assert prop.get("type") != ["string", "number", "boolean", "null"], name
        assert prop["title"], name


def test_record_schema_lists_the_day_forms_that_are_read() -> None:
    """``schema record`` names every form of a day the readers accept, not only ISO dates."""
    description = parsed(run("schema", "record"))["properties"]["completed_on"]["description"]
    assert "2024/5/1" in description
    assert "2024年5月1日" in description


def test_record_schema_accepts_the_example_records() -> None:
    """Each record of the example, keyed by field, blanks left out, is valid under the schema."""
    schema = json.loads(run("schema", "record").stdout)
    with EXAMPLE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            record = {match_header(k): v for k, v in row.items() if v}
            jsonschema.validate(record, schema)


def test_every_schema_is_a_valid_json_schema() -> None:
    """Each published schema (``schema all``: record, person, verdict, output) is valid."""
    data: Any = parsed(run("schema", "all"))
    assert sorted(data) == ["output", "person", "record", "verdict"]
    for schema in data.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_headers_offices_use_are_read(tmp_path: Path) -> None:
    """Headers offices use are read (完成时间, 是否优质课, 审核结果, 学习方式)."""
    header = ["身份证号", "姓名", "单位级别", "课程名称", "科目类别", "学时", "完成时间",
              "学习方式", "学习平台", "是否优质课", "审核结果", "角色"]  # fmt: skip
    rows = [
        ["A", "张伟", "省直单位", "优质课", "公需科目", "15", "2024-03-01 09:00", "远程教育",
         "专技知到", "是", "审核通过", "授课教师"],
        ["A", "张伟", "省直单位", "被驳回的课", "专业科目", "60", "2024-04-01", "线下培训", "",
         "否", "审核未通过", "学员"],
        ["A", "张伟", "省直单位", "专业课", "专业科目", "60", "2024-05-01", "线下培训", "", "",
         "通过", "学员"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "platform-export.csv", rows, header=header)
    result, data = run_json(path, "--year", "2024")
    assert result.returncode == 0, result.stderr
    assert "无法识别" not in result.stderr
    (verdict,) = data["verdicts"]
    assert verdict["status"] == "compliant"
    reasons = [(e["reason"], e["credited_hours"]) for e in verdict["entries"]]
    assert reasons == [("counted", "30"), ("rejected", "0"), ("counted", "60")]


def test_training_time_header_is_the_completion_day(tmp_path: Path) -> None:
    """培训时间 is read as the day of completion."""
    header = ["身份证号", "单位级别", "课程名称", "科目类别", "学时", "培训时间", "学习方式"]
    rows = [["A", "市属单位", "公需课", "公需科目", "30", "2024/5/1", "线下培训"],
            ["A", "市属单位", "专业课", "专业科目", "60", "2024/6/1", "线下培训"]]  # fmt: skip
    result = run("check", write_csv(tmp_path / "t.csv", rows, header=header), "--year", "2024")
    assert result.returncode == 0, result.stderr


def test_columns_not_understood_are_named_and_strict_refuses_them(tmp_path: Path) -> None:
    """A column the tool does not know is named on stderr; with ``--strict`` it is an error."""
    header = [*HEADER, "培训机构", "学分"]
    rows = [[*row, "某机构", "1"] for row in person_rows("A")]
    path = write_csv(tmp_path / "extra.csv", rows, header=header)
    result, english, strict, mapped = run_all(
        ["check", path, "--year", "2024"],
        ["--lang", "en", "check", path, "--year", "2024"],
        ["check", path, "--year", "2024", "--strict"],
        ["check", path, "--year", "2024", "--strict", "--column", "培训机构=", "--column", "学分="],
    )
    assert result.returncode == 0, result.stderr
    assert "以下列无法识别，未读取：培训机构、学分" in result.stderr
    assert "columns not understood, not read: 培训机构, 学分" in english.stderr
    assert strict.returncode == 2
    assert "未识别的列（严格模式）：培训机构、学分" in strict.stderr
    assert strict.stdout == ""
    assert mapped.returncode == 0, mapped.stderr


def test_two_columns_read_as_one_field_are_refused_naming_both(tmp_path: Path) -> None:
    """完成时间 and 培训时间 both mean the completion day: exit 2, both named, a way out given."""
    header = [*HEADER, "培训时间"]
    rows = [[*row, "2024-01-01"] for row in person_rows("A")]
    path = write_csv(tmp_path / "two-dates.csv", rows, header=header)
    result, fixed = run_all(
        ["check", path, "--year", "2024"],
        ["check", path, "--year", "2024", "--column", "培训时间="],
    )
    assert result.returncode == 2
    assert "“完成日期”（第8列）、“培训时间”（第11列）都读作 completed_on" in result.stderr
    assert "--column 培训时间=" in result.stderr
    assert result.stdout == ""
    assert fixed.returncode == 0, fixed.stderr


def test_column_option_and_mapping_file_map_the_office_headers(tmp_path: Path) -> None:
    """``--column 原表头=field`` and ``--columns mapping.toml`` read headers the schema lacks."""
    header = ["证件号码X", "课程名称", "科目类别", "学时", "结束日期", "单位性质", "形式"]
    rows = [["A", "公需课", "公需科目", "30", "2024-05-01", "市属", "线下"],
            ["A", "专业课", "专业科目", "60", "2024-06-01", "市属", "线下"]]  # fmt: skip
    path = write_csv(tmp_path / "own-headers.csv", rows, header=header)
    options = ["--column", "证件号码X=person_id", "--column", "结束日期=completed_on",
               "--column", "单位性质=unit", "--column", "形式=学习形式"]  # fmt: skip
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\n"证件号码X" = "person_id"\n"结束日期" = "完成日期"\n'
        '"单位性质" = "unit"\n"形式" = "mode"\n',
        encoding="utf-8",
    )
    unmapped, by_option, by_file = run_all(
        ["check", path, "--year", "2024"],
        ["check", path, "--year", "2024", *options],
        ["check", path, "--year", "2024", "--columns", mapping],
    )
    assert unmapped.returncode == 2
    assert "缺少：身份证号（person_id）、完成日期（completed_on）" in unmapped.stderr
    assert "--column 表头=字段" in unmapped.stderr
    assert by_option.returncode == 0, by_option.stderr
    assert "表头“结束日期”按指定读作 完成日期（completed_on）" in by_option.stderr
    assert by_file.returncode == 0, by_file.stderr
    assert by_file.stdout == by_option.stdout


def test_a_mapping_that_names_no_field_is_refused_listing_the_fields(tmp_path: Path) -> None:
    """A mapping to no field, or without ``=``, is exit 2 saying what to write."""
    path = write_csv(tmp_path / "r.csv", person_rows("A"))
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\n"证件号" = "idcard"\n', encoding="utf-8")
    bad_file, bad_option, bad_field = run_all(
        ["--lang", "en", "check", path, "--year", "2024", "--columns", mapping],
        ["check", path, "--year", "2024", "--column", "证件号"],
        ["check", path, "--year", "2024", "--column", "证件号=idcard"],
    )
    assert bad_file.returncode == 2
    assert "must be a field name" in bad_file.stderr
    assert "person_id" in bad_file.stderr
    assert bad_option.returncode == 2
    assert "--column 应为“表头=字段”" in bad_option.stderr
    assert bad_field.returncode == 2
    assert "不是字段名" in bad_field.stderr
    for result in (bad_file, bad_option, bad_field):
        assert "Traceback" not in result.stderr


def test_header_below_title_rows_is_found_and_the_titles_reported(tmp_path: Path) -> None:
    """Title rows above the header (as offices print them) are found, skipped and reported."""
    before = [["2024年度专业技术人员继续教育学时登记表"], ["填报单位：某某医院", "", ""], []]
    path = write_csv(tmp_path / "titled.csv", person_rows("A"), before=before)
    result, data = run_json(path, "--year", "2024")
    assert result.returncode == 0, result.stderr
    assert [(s["line"], s["kind"]) for s in data["skipped"]] == [
        (1, "title"), (2, "title"), (3, "blank"),
    ]  # fmt: skip
    assert [r["line"] for r in by_person(data)["A"]["records"]] == [5, 6]
    assert "已跳过非记录行：标题行2行" in result.stderr


# --- never guess a fact that changes a verdict --------------------------------------------


def _no_unit_rows() -> list[list[str]]:
    header = ["身份证号", "姓名", "课程名称", "科目类别", "学时", "完成日期", "学习形式",
              "学习平台"]  # fmt: skip
    return [
        header,
        ["370102198001011234", "张伟", "公需课", "公需科目", "30", "2024-02-01", "远程教育",
         "某某培训网"],
        ["370102198001011234", "张伟", "专业课", "专业科目", "60", "2024-04-01", "线下培训", ""],
    ]  # fmt: skip


def test_unknown_unit_on_an_unrecognised_platform_is_undetermined(tmp_path: Path) -> None:
    """Without a unit column, online public hours on another platform: undetermined, exit 1."""
    path = write_csv(tmp_path / "no-unit.csv", _no_unit_rows(), header=None)
    result, table, english, as_csv = run_all(
        ["check", path, "--year", "2024", "--format", "json"],
        ["check", path, "--year", "2024"],
        ["--lang", "en", "check", path, "--year", "2024"],
        ["check", path, "--year", "2024", "--format", "csv"],
    )
    data = parsed(result)
    assert result.returncode == 1
    (verdict,) = data["verdicts"]
    assert verdict["status"] == "undetermined"
    assert verdict["compliant"] is False
    assert verdict["missing_facts"] == ["unit"]
    assert verdict["assumed"] == []
    public = verdict["requirements"][0]
    assert (public["earned"], public["undetermined"], public["determined"]) == ("0", "30", False)
    assert data["totals"]["undetermined"] == 1
    assert "有1人结论待定，记录缺少单位级别：370102198001011234" in result.stderr
    assert "--persons" in result.stderr
    assert "--default-unit" in result.stderr
    assert "待定（缺少信息）  0/30 差30（待定30）" in table.stdout
    # Not "否" (not compliant): whether they are is what the missing fact decides.
    (row,) = csv.DictReader(io.StringIO(as_csv.stdout))
    assert (row["结论"], row["是否合格"], row["电子证书"], row["缺少的信息"]) == (
        "待定（缺少信息）", "待定", "待定", "单位级别",
    )  # fmt: skip
    assert english.returncode == 1
    assert "undetermined, the records lack unit" in english.stderr
    assert "--default-unit" in english.stderr


def test_check_warns_of_ids_whose_records_give_different_names(tmp_path: Path) -> None:
    """Another name under one ID is how a mistyped ID shows: said on stderr, in both languages."""
    rows = [*person_rows("370102198001011234", "王小明"), record("370102198001011234", "ZY2",
            name="王晓明"), *person_rows("370102198001015678", "李娜")]  # fmt: skip
    path = write_csv(tmp_path / "记录.csv", rows)
    chinese, english = run_all(
        ["check", path, "--year", "2024"], ["--lang", "en", "check", path, "--year", "2024"]
    )
    assert chinese.returncode == 0, chinese.stderr
    assert (
        "提示：有1个身份证号下的记录姓名不一致（身份证号可能填错）：370102198001011234；"
        "用 ce-rules explain 身份证号 文件 可查看各姓名及其所在行"
    ) in chinese.stderr
    assert (
        "warning: the records of 1 ID give different names (a mistyped ID?): 370102198001011234;"
    ) in english.stderr
    alone = write_csv(tmp_path / "一致.csv", person_rows("370102198001015678", "李娜"))
    (same,) = run_all(["check", alone, "--year", "2024"])
    assert "姓名不一致" not in same.stderr


def test_default_unit_decides_and_the_verdict_says_it_was_assumed(tmp_path: Path) -> None:
    """``--default-unit`` decides an undetermined verdict, and the verdict lists ``assumed``."""
    path = write_csv(tmp_path / "no-unit.csv", _no_unit_rows(), header=None)
    cases = [
        ("provincial", "non_compliant", 1, "platform_not_recognised"),
        ("省直单位", "non_compliant", 1, "platform_not_recognised"),
        ("municipal", "compliant", 0, "counted"),
        ("市属单位", "compliant", 0, "counted"),
    ]
    results = run_all(
        *(["check", path, "--year", "2024", "--format", "json", "--default-unit", default]
          for default, *_ in cases)
    )  # fmt: skip
    for (_, status, code, reason), result in zip(cases, results, strict=True):
        assert result.returncode == code, result.stderr
        data = parsed(result)
        (verdict,) = data["verdicts"]
        assert verdict["status"] == status
        assert verdict["assumed"] == ["unit"]
        assert verdict["missing_facts"] == []
        assert verdict["entries"][0]["reason"] == reason
        assert "assumed_unit" in [f["code"] for f in verdict["findings"]]
        assert data["totals"]["defaulted_persons"] == 1


def test_a_unit_from_the_persons_file_is_not_assumed(tmp_path: Path) -> None:
    """A persons file gives the unit level: decided, and nothing is listed as assumed."""
    path = write_csv(tmp_path / "no-unit.csv", _no_unit_rows(), header=None)
    persons = write_csv(
        tmp_path / "persons.csv",
        [["370102198001011234", "张伟", "省直单位"]],
        header=["身份证号", "姓名", "单位级别"],
    )
    result, data = run_json(path, "--year", "2024", "--persons", persons)
    assert result.returncode == 1, result.stderr
    (verdict,) = data["verdicts"]
    assert (verdict["status"], verdict["assumed"]) == ("non_compliant", [])
    assert verdict["entries"][0]["reason"] == "platform_not_recognised"


def test_a_bad_default_unit_is_refused_listing_the_values(tmp_path: Path) -> None:
    """An unknown ``--default-unit`` is a usage error listing the accepted values."""
    path = write_csv(tmp_path / "no-unit.csv", _no_unit_rows(), header=None)
    result = run("check", path, "--year", "2024", "--default-unit", "省")
    assert result.returncode == 2
    assert "省直单位（provincial）、市属单位（municipal）" in result.stderr


def test_unknown_mode_with_a_platform_is_undetermined_until_a_default_mode(
    tmp_path: Path,
) -> None:
    """No mode, a provincial learner, another platform: undetermined until --default-mode."""
    header = ["身份证号", "单位级别", "课程名称", "科目类别", "学时", "完成日期", "学习平台"]
    rows = [["A", "省直单位", "公需课", "公需科目", "30", "2024-02-01", "某某培训网"],
            ["A", "省直单位", "专业课", "专业科目", "60", "2024-04-01", ""]]  # fmt: skip
    path = write_csv(tmp_path / "no-mode.csv", rows, header=header)
    result, online, offline = run_all(
        ["check", path, "--year", "2024", "--format", "json"],
        ["check", path, "--year", "2024", "--format", "json", "--default-mode", "online"],
        ["check", path, "--year", "2024", "--default-mode", "线下培训"],
    )
    assert result.returncode == 1
    assert parsed(result)["verdicts"][0]["missing_facts"] == ["mode"]
    assert "--default-mode" in result.stderr
    assert online.returncode == 1
    assert parsed(online)["verdicts"][0]["status"] == "non_compliant"
    assert parsed(online)["verdicts"][0]["assumed"] == ["mode"]
    assert offline.returncode == 0, offline.stderr


def test_featured_instructor_without_a_featured_column_is_undetermined(tmp_path: Path) -> None:
    """An instructor of an online public course: 1x or 2x depends on 是否优质在线公需课."""
    header = ["身份证号", "单位级别", "课程名称", "科目类别", "学时", "完成日期", "学习形式",
              "学习平台", "角色"]  # fmt: skip
    rows = [
        ["A", "省直单位", "优质课", "公需科目", "15", "2024-02-01", "远程教育", "专技知到",
         "授课教师"],
        ["A", "省直单位", "专业课", "专业科目", "60", "2024-04-01", "线下培训", "", "学员"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "instructor.csv", rows, header=header)
    featured = write_csv(
        tmp_path / "featured.csv",
        [[*row, flag] for row, flag in zip(rows, ["是", ""], strict=True)],
        header=[*header, "是否优质在线公需课"],
    )
    result, decided = run_all(
        ["check", path, "--year", "2024", "--format", "json"],
        ["check", featured, "--year", "2024", "--format", "json"],
    )
    assert result.returncode == 1
    (verdict,) = parsed(result)["verdicts"]
    assert (verdict["status"], verdict["missing_facts"]) == ("undetermined", ["featured"])
    assert "是否优质在线公需课" in result.stderr
    assert decided.returncode == 0, decided.stderr
    assert parsed(decided)["verdicts"][0]["requirements"][0]["earned"] == "30"


def test_a_file_without_a_topics_column_does_not_claim_the_key_series_are_missed(
    tmp_path: Path,
) -> None:
    """Decision 14 (二(一)): no 专题 column, topics not recorded; a blank cell records none."""
    header = ["身份证号", "单位级别", "课程名称", "科目类别", "学时", "完成日期", "学习形式"]
    rows = [
        ["A", "市属单位", "公需课", "公需科目", "30", "2024-02-01", "线下培训"],
        ["A", "市属单位", "专业课", "专业科目", "60", "2024-04-01", "线下培训"],
        ["B", "市属单位", "公需课", "公需科目", "30", "2024-02-01", "线下培训"],
    ]
    without = write_csv(tmp_path / "no-topics.csv", rows, header=header)
    topics = ["", "", "黄河流域生态保护和高质量发展"]  # A: blank cells; B: a key series
    with_column = write_csv(
        tmp_path / "topics.csv",
        [[*row, topic] for row, topic in zip(rows, topics, strict=True)],
        header=[*header, "专题"],
    )
    result, recorded, explain = run_all(
        ["check", without, "--year", "2024", "--format", "json"],
        ["check", with_column, "--year", "2024", "--format", "json"],
        ["--lang", "en", "explain", "A", without, "--year", "2024"],
    )
    assert result.returncode == 1, result.stderr  # B is short of professional hours
    findings = {
        pid: [(f["code"], f["decision"], f["citation"]["clause"]) for f in v["findings"]]
        for pid, v in by_person(parsed(result)).items()
    }
    assert findings == {
        "A": [("key_topics_not_recorded", 14, "二(一)")],
        "B": [("key_topics_not_recorded", 14, "二(一)")],
    }
    (finding,) = by_person(parsed(result))["A"]["findings"]
    assert "public_topics" in finding["message"]["en"]
    assert "无法判断" in finding["message"]["zh"]
    # The statuses are the same whether topics are recorded or not: the finding is advisory.
    statuses = {pid: v["status"] for pid, v in by_person(parsed(result)).items()}
    assert statuses == {"A": "compliant", "B": "non_compliant"}
    assert {pid: v["status"] for pid, v in by_person(parsed(recorded)).items()} == statuses
    codes = {
        pid: [f["code"] for f in v["findings"]] for pid, v in by_person(parsed(recorded)).items()
    }
    assert codes == {"A": ["public_topics"], "B": []}
    assert explain.returncode == 0, explain.stderr
    assert "[二(一); decision 14]" in explain.stdout
    assert "decision 14 (Topics not recorded)" in explain.stdout


def test_a_course_without_an_id_column_is_identified_by_its_title(tmp_path: Path) -> None:
    """Without 课程编号, the title names the course: the same title twice on a day is a copy."""
    header = ["身份证号", "单位级别", "课程名称", "科目类别", "学时", "完成日期", "学习形式"]
    long_title = "新时代" * 30  # longer than any id
    rows = [
        ["A", "市属单位", "Python 数据分析 入门", "专业科目", "30", "2024-04-01", "线下培训"],
        ["A", "市属单位", "Python 数据分析 入门", "专业科目", "30", "2024-04-01", "线下培训"],
        ["A", "市属单位", "Python 数据分析  进阶", "专业科目", "30", "2024-04-01", "线下培训"],
        ["A", "市属单位", long_title, "专业科目", "30", "2024-04-02", "线下培训"],
        ["A", "市属单位", "公需课", "公需科目", "30", "2024-02-01", "线下培训"],
    ]
    path = write_csv(tmp_path / "no-course-id.csv", rows, header=header)
    result, explain = run_all(
        ["check", path, "--year", "2024", "--format", "json"],
        ["explain", "A", path, "--year", "2024"],
    )
    data = parsed(result)
    assert data["totals"]["invalid"] == 0, data["invalid_records"]
    assert result.returncode == 0, result.stderr
    (verdict,) = data["verdicts"]
    assert [e["reason"] for e in verdict["entries"]] == [
        "counted", "duplicate", "counted", "counted", "counted",
    ]  # fmt: skip
    assert verdict["requirements"][1]["earned"] == "90"
    assert explain.returncode == 0, explain.stderr
    assert "Python_数据分析_入门#" in explain.stdout


# --- outputs: formats and languages -------------------------------------------------------


def test_table_names_the_categories_and_shows_the_shortfall() -> None:
    """The table's columns are 公需科目 and 专业科目, and a short person's cell says how short."""
    table, english = run_all(
        ["check", EXAMPLE, "--year", "2024"], ["--lang", "en", "check", EXAMPLE, "--year", "2024"]
    )
    header = table.stdout.splitlines()[0]
    assert "公需科目" in header
    assert "专业科目" in header
    assert "public_hours" not in table.stdout
    assert "20/30 差10" in table.stdout
    assert english.stdout.splitlines()[0].split()[3:5] == ["public", "professional"]
    assert "20/30 short 10" in english.stdout


def test_table_columns_line_up_by_display_width(tmp_path: Path) -> None:
    """Every line of the table puts its requirement cells at the same display column."""
    from ce_rules._render import display_width

    rows = [
        *person_rows("A", "欧阳娜娜娜娜娜"),
        *person_rows("370102198001011234", "Zhang Wei", public="10"),
    ]
    path = write_csv(tmp_path / "names.csv", rows)
    for result in run_all(
        *(["--lang", lang, "check", path, "--year", "2024"] for lang in ("zh", "en"))
    ):
        lines = result.stdout.splitlines()[:3]
        starts = {display_width(line.split("/")[0].rsplit(" ", 1)[0]) for line in lines[1:]}
        assert len(starts) == 1, lines


def test_another_year_warning_names_the_records() -> None:
    """Entries credited to another year are named with file and line on stderr."""
    example = "examples/records-2024.csv"
    result, english = run_all(
        ["check", example, "--year", "2024"], ["--lang", "en", "check", example, "--year", "2024"]
    )
    assert "有1条记录不属于2024培训年度：examples/records-2024.csv:18" in result.stderr
    assert "credited to another year than 2024: examples/records-2024.csv:18" in english.stderr


def test_another_year_warning_names_the_records_in_input_order(tmp_path: Path) -> None:
    """Files as given, then lines: not in the order of the persons' ids."""
    first = write_csv(
        tmp_path / "a.csv",
        [record("Z9", day="2023-05-01"), *person_rows("A"), record("B1", day="2023-06-01")],
    )
    second = write_csv(tmp_path / "b.csv", [record("A", "ZY7", day="2023-07-01")])
    result = run("--lang", "en", "check", first, second, "--year", "2024")
    refs = f"{first}:2, {first}:5, {second}:2"
    assert f"3 entries are credited to another year than 2024: {refs}" in result.stderr


def test_csv_headers_and_values_follow_the_language() -> None:
    """``--format csv``: Chinese headers and values by default, stable English names with en."""
    zh_out, en_out = run_all(
        ["check", EXAMPLE, "--year", "2024", "--format", "csv"],
        ["--lang", "en", "check", EXAMPLE, "--year", "2024", "--format", "csv"],
    )
    chinese = list(csv.DictReader(io.StringIO(zh_out.stdout)))
    assert len(chinese) == 5
    li = next(r for r in chinese if r["姓名"] == "李娜")
    assert (li["结论"], li["是否合格"], li["公需科目尚差学时"]) == ("不合格", "否", "10")
    english = list(csv.DictReader(io.StringIO(en_out.stdout)))
    li = next(r for r in english if r["name"] == "李娜")
    assert (li["status"], li["compliant"], li["public_hours_shortfall"]) == (
        "non_compliant", "false", "10",
    )  # fmt: skip
    assert {r["status"] for r in english} <= {
        "compliant", "non_compliant", "in_progress", "undetermined",
    }  # fmt: skip


def test_csv_output_lists_invalid_records_on_stderr(tmp_path: Path) -> None:
    """With ``--format csv`` (one row per person) the invalid records are listed on stderr."""
    rows = [*person_rows("A"), record("B", hours="三十")]
    path = write_csv(tmp_path / "bad.csv", rows, after=[["B", "C"]])
    result = run("--lang", "en", "check", path, "--year", "2024", "--format", "csv")
    assert result.returncode == 2
    assert f"{path}:4 hours '三十'" in result.stderr
    assert f"{path}:5 (row)" in result.stderr
    assert "(row)" not in result.stdout
    chinese = run("check", path, "--year", "2024", "--format", "csv")
    assert f"{path}:5 整行(row)" in chinese.stderr  # the whole row, named in Chinese too


def test_explain_with_a_file_for_the_person_says_the_id_comes_first(tmp_path: Path) -> None:
    """``explain 记录.csv 其他.csv``: no one has the first file's name as id; the order is told."""
    write_csv(tmp_path / "记录.csv", person_rows("A"))
    name = "记录.csv"  # as typed in the folder of the file
    zh = run("explain", name, name, "--year", "2024", cwd=tmp_path)
    en = run("--lang", "en", "explain", name, name, "--year", "2024", cwd=tmp_path)
    assert zh.returncode == en.returncode == 2
    assert "的记录（先写身份证号，再写文件：explain 身份证号 文件…）" in zh.stderr
    assert "in the input (the person's id comes first: explain PERSON_ID FILE...)" in en.stderr
    other = run("explain", "B", name, "--year", "2024", cwd=tmp_path)  # an id: no such hint
    assert other.returncode == 2
    assert "先写身份证号" not in other.stderr


def test_json_output_validates_against_the_published_schema(tmp_path: Path) -> None:
    """``check --format json`` is valid under ``schema output``, invalid and skipped rows too."""
    rows = [*person_rows("A"), ["B", "李娜", "GX1"], *person_rows("C", public="x")]
    path = write_csv(tmp_path / "mixed.csv", rows, after=[["合计", "", "", "", "", "", "180"]])
    schema, *outputs = run_all(
        ["schema", "output"],
        *(["check", source, "--year", "2024", "--format", "json"] for source in (EXAMPLE, path)),
    )
    for output in outputs:
        jsonschema.validate(parsed(output), parsed(schema))


def test_jsonl_output_ends_with_the_totals(tmp_path: Path) -> None:
    """``--format jsonl``: a verdict a line, then invalid records, skipped rows, totals."""
    path = write_csv(tmp_path / "r.csv", [*person_rows("A"), record("B", hours="三十")],
                     after=[["合计"]])  # fmt: skip
    result = run("check", path, "--year", "2024", "--format", "jsonl")
    assert result.returncode == 2
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [next(iter(o)) for o in objects] == [
        "verdict", "verdict", "invalid_record", "skipped", "totals",
    ]  # fmt: skip
    assert objects[2]["invalid_record"]["problems"][0]["field"] == "hours"
    assert objects[-1]["totals"]["records"] == 4


def test_persons_without_records_are_reported_and_explained(tmp_path: Path) -> None:
    """Staff of ``--persons`` with no record are non-compliant rows; explain shows them too."""
    records = write_csv(tmp_path / "r.csv", person_rows("A"))
    persons = write_csv(tmp_path / "p.csv", [["A", "张伟", "市属"], ["B", "李娜", "市属"]],
                        header=["身份证号", "姓名", "单位级别"])  # fmt: skip
    check, explain = run_all(
        ["--lang", "en", "check", records, "--year", "2024", "--persons", persons],
        ["--lang", "en", "explain", "B", records, "--year", "2024", "--persons", persons],
    )
    assert check.returncode == 1, check.stderr
    assert "李娜" in check.stdout
    assert "2 persons, 1 compliant, 1 non-compliant" in check.stdout
    assert explain.returncode == 1, explain.stderr
    assert explain.stdout.startswith("B")


def test_persons_file_naming_a_person_twice_differently_is_refused(tmp_path: Path) -> None:
    """A persons file describing one id twice, differently, is exit 2 naming the line."""
    records = write_csv(tmp_path / "r.csv", person_rows("A"))
    lines = [["A", "省直单位"], ["B", "市属"], ["B", "市属"], ["A", "市属"]]
    persons = write_csv(tmp_path / "p.csv", lines, header=["身份证号", "单位级别"])
    result = run("check", records, "--year", "2024", "--persons", persons)
    assert result.returncode == 2
    assert "第5行：身份证号 A 在前面已有不同的描述" in result.stderr
    assert "Traceback" not in result.stderr


def in_city(row: list[str], city: str = "示例市") -> list[str]:
    """A row under ``CITY_HEADER``: ``row`` with the person's city."""
    return [*row, city]


#: ``HEADER`` and the city (所在市), for overlays that govern a city's staff.
CITY_HEADER = (*HEADER, "所在市")


def test_overlay_file_as_policy_is_merged_onto_its_base(tmp_path: Path) -> None:
    """``--policy`` with an overlay judges under base + overlay: 三(一) is never dropped."""
    overlay = ROOT / "examples" / "overlays" / "example-city-2024.toml"
    path = write_csv(
        tmp_path / "public-only.csv", [in_city(record("A", hours="32"))], header=CITY_HEADER
    )
    result, data = run_json(path, "--year", "2024", "--policy", overlay)
    assert result.returncode == 1, result.stderr
    assert data["policy_id"] == "shandong-2024.example-city-2024"
    (verdict,) = data["verdicts"]
    codes = {r["code"]: r for r in verdict["requirements"]}
    assert codes["professional_hours"]["shortfall"] == "60"
    assert codes["public_hours"]["required"] == "32"


def test_an_overlay_judges_only_the_persons_it_governs(tmp_path: Path) -> None:
    """A city's overlay governs its municipal staff (二(二)), and no one else.

    Anyone else in the records, or anyone whose unit level is not known (decision 11),
    stops the run before any report: they would be judged under rules that are not theirs.
    """
    overlay = ROOT / "examples" / "overlays" / "example-city-2024.toml"
    rows = [
        in_city(record("A", hours="32")),  # municipal staff of 示例市: governed
        in_city(record("B", unit="省直单位")),  # provincial staff of the city: not governed
        in_city(record("C"), city="济南市"),  # another city
        in_city(record("D", unit="")),  # unit level unknown
    ]
    path = write_csv(tmp_path / "mixed.csv", rows, header=CITY_HEADER)
    zh, en, explained = run_all(
        ["check", path, "--year", "2024", "--policy", overlay, "-o", tmp_path / "out.csv"],
        ["--lang", "en", "check", path, "--year", "2024", "--policy", overlay],
        ["explain", "B", path, "--year", "2024", "--policy", overlay],
    )
    assert zh.returncode == en.returncode == explained.returncode == 2
    assert not (tmp_path / "out.csv").exists()
    assert en.stdout == ""
    assert "the overlay example-city-2024 governs municipal staff of 示例市 (2024)" in en.stderr
    assert "2 persons it does not govern (B, C)" in en.stderr
    assert "1 person whose unit level is not known (D)" in en.stderr
    assert "不适用的2人（B, C）和缺少单位级别的1人（D）" in zh.stderr
    assert "不适用的1人（B）" in explained.stderr
    governed = write_csv(tmp_path / "governed.csv", rows[:1], header=CITY_HEADER)
    ok, _ = run_json(governed, "--year", "2024", "--policy", overlay)
    assert ok.returncode == 1, ok.stderr


def test_explain_prints_every_entry_with_its_line() -> None:
    """``explain`` shows one person's verdict and a line per entry with its file and line."""
    example = "examples/records-2024.csv"
    result, missing = run_all(
        ["--lang", "en", "explain", "370300199212120044", example, "--year", "2024"],
        ["explain", "nobody", EXAMPLE, "--year", "2024"],
    )
    assert result.returncode == 1
    every = result.stdout.split("Every entry:\n")[1].splitlines()
    # Counted from 1, as people count (and ``ce-rules test``); JSON's ``index`` is from 0.
    assert [line.split()[:2] for line in every] == [["+", "#1"], ["+", "#2"], ["x", "#3"],
                                                   ["x", "#4"]]  # fmt: skip
    assert "duplicate of another entry" in every[2]
    assert "(#2 counts instead)" in every[2]  # the copy that counts, by its number
    assert every[2].endswith(f"({example}:14)")
    assert missing.returncode == 2
    assert "输入中没有人员 'nobody' 的记录" in missing.stderr


def test_a_policy_applied_to_another_year_on_purpose(tmp_path: Path) -> None:
    """``--allow-other-year`` (decision 8): judged, and every verdict says so; else refused."""
    row = ["370102198001011234", "张三", "市属单位", "GX1", "公需课", "公需科目", "30"]
    records = write_csv(tmp_path / "2025.csv", [[*row, "2025-05-01", "线下培训", ""]])
    allowed, refused = run_all(
        ["--lang", "en", "check", records, "--year", "2025", "--policy", "shandong-2024",
         "--allow-other-year", "--format", "json"],
        ["--lang", "en", "check", records, "--year", "2025", "--policy", "shandong-2024"],
    )  # fmt: skip
    assert allowed.returncode == 1, allowed.stderr  # judged: short of professional hours
    (verdict,) = parsed(allowed)["verdicts"]
    assert [f["code"] for f in verdict["findings"] if f["decision"] == 8] == [
        "policy_outside_years"
    ]
    assert refused.returncode == 2
    assert "--allow-other-year" in refused.stderr


def test_year_without_policy_and_bad_usage_exit_2() -> None:
    """A year no policy governs, a missing ``--year``, a bad format or date: exit 2, no output."""
    chinese, english, no_year, xml, bad_date, missing, xlsx_to_stdout = run_all(
        ["check", EXAMPLE, "--year", "1995"],
        ["--lang", "en", "check", EXAMPLE, "--year", "1995"],
        ["check", EXAMPLE],
        ["check", EXAMPLE, "--year", "2024", "--format", "xml"],
        ["--lang", "en", "check", EXAMPLE, "--year", "2024", "--as-of", "May"],
        ["check", "/nonexistent.csv", "--year", "2024"],
        ["check", EXAMPLE, "--year", "2024", "--format", "xlsx"],
    )
    assert chinese.returncode == 2
    assert "没有适用于" in chinese.stderr
    assert chinese.stdout == ""
    assert "no policy" in english.stderr
    assert no_year.returncode == xml.returncode == 2
    assert bad_date.returncode == 2
    assert "--as-of" in bad_date.stderr
    assert missing.returncode == 2
    assert "无法读取文件" in missing.stderr
    assert xlsx_to_stdout.returncode == 2
    assert "--format xlsx 需要 --output" in xlsx_to_stdout.stderr


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (
            ["check", EXAMPLE],
            "缺少必需的参数：--year",
            "the following arguments are required: --year",
        ),
        (  # read by the parser of the 年度 column, as a cell is
            ["check", EXAMPLE, "--year", "abc"],
            "参数 --year：年份应为四位数字，如 2024 或 2024年：“abc”",
            "argument --year: a year must be four digits such as 2024 or 2024年, got 'abc'",
        ),
        (
            ["check", EXAMPLE, "--year", "1989"],
            "参数 --year：年份1989不在1990至2100年之间",
            "argument --year: ",
        ),
        (["chek"], "参数 command：'chek' 不是可选的值（可选：'check',", "invalid choice: 'chek'"),
        (
            ["check", EXAMPLE, "--year", "2024", "--bogus"],
            "无法识别的参数：--bogus",
            "unrecognized arguments: --bogus",
        ),
        (["check", EXAMPLE, "--year"], "参数 --year 后面需要一个值", "expected one argument"),
        (  # the file taken for the person's id: the order is told
            ["explain", EXAMPLE, "--year", "2024"],
            "缺少必需的参数：FILE（先写身份证号，再写文件：explain 身份证号 文件…）",
            "required: FILE (the person's id comes first: explain PERSON_ID FILE...)",
        ),
    ],
)
def test_usage_errors_speak_the_language_of_the_command_line(
    args: list[str], zh: str, en: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command line argparse refuses is told in Chinese by default, in English with --lang en.

    Exit code 2 either way (a usage error, as every input the user must fix).
    """
    from ce_rules._cli import main

    args = [str(arg) for arg in args]
    for argv, expected, usage, error in (
        (args, zh, "用法：ce-rules", "：错误："),
        (["--lang", "en", *args], en, "usage: ce-rules", ": error: "),
        (
            [*args, "--lang=en"] if args[0] != "chek" else ["--lang=en", *args],
            en,
            "usage:",
            ": error: ",
        ),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(usage), err
        assert error in err, err
        assert expected in err, err


def test_a_usage_error_in_chinese_through_the_real_entry_point() -> None:
    """``python -m ce_rules check FILE`` (no --year): a Chinese usage error, exit 2."""
    result = subprocess.run(
        bare_command("check", EXAMPLE),
        capture_output=True, text=True, encoding="utf-8", check=False, env=cli_env(), timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("用法：ce-rules check")
    assert result.stderr.endswith("ce-rules check：错误：缺少必需的参数：--year\n")


def test_the_output_suffix_names_the_json_formats(tmp_path: Path) -> None:
    """``-o x.json`` writes JSON, ``-o x.jsonl`` JSON Lines: suffixes name formats, as .csv."""
    whole, lines = tmp_path / "verdicts.json", tmp_path / "verdicts.JSONL"
    run_all(["check", EXAMPLE, "--year", "2024", "-o", whole],
            ["check", EXAMPLE, "--year", "2024", "-o", lines])  # fmt: skip
    assert len(json.loads(whole.read_text(encoding="utf-8"))["verdicts"]) == 5
    rows = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
    assert len([row for row in rows if "verdict" in row]) == 5
    assert "totals" in rows[-1]


def test_entries_refused_for_their_platform_are_named_with_the_recognised_names(
    tmp_path: Path,
) -> None:
    """二(二), decision 6: each platform refused is named with its count, the most first.

    A name holding a recognised one is asked about (it may be another spelling), never
    taken for it: the entries still do not count.
    """
    person = "370102198001011234"
    online = {"unit": "省直单位", "mode": "远程教育"}
    rows = [
        record(person, "GX1", platform="蟹壳云学平台", **online),
        record(person, "GX2", platform="蟹壳云学平台", day="2024-04-01", **online),
        record(person, "GX3", platform="", day="2024-05-01", **online),
        record(person, "GX4", platform="蟹壳云学", day="2024-06-01", **online),
    ]
    path = write_csv(tmp_path / "platforms.csv", rows)
    zh, en = run_all(["check", path, "--year", "2024"],
                     ["--lang", "en", "check", path, "--year", "2024"])  # fmt: skip
    assert (
        "提示：有3条记录因学习平台不在认可之列而未计入（二(二)；决定6）："
        "蟹壳云学平台 2条（是否即“蟹壳云学”？）、（未记录） 1条；"
        "如是认可平台的其他写法，请更正记录，或在政策中声明（规则的 aliases）"
    ) in zh.stderr
    assert (
        "3 entries do not count because their learning platform is not recognised "
        "(二(二); decision 6): 蟹壳云学平台 ×2 (is it 蟹壳云学?), (none recorded) ×1"
    ) in en.stderr
    assert "30/30" in zh.stdout  # only the recognised 蟹壳云学 counts


def test_undetermined_persons_are_counted_as_persons() -> None:
    """A long list of persons ends with how many persons there are (等12人), not records."""
    from ce_rules._cli import _named

    ids = [f"P{i}" for i in range(12)]
    assert _named(ids, "zh", "人").endswith(" 等12人")
    assert _named(ids, "zh").endswith(" 等12条")
    assert _named(ids, "en", "人").endswith(" and 2 more")


def test_the_year_is_read_as_the_year_column_reads_it() -> None:
    """``--year 2024年`` is the year 2024, as a 年度 cell ``2024年`` is (one parser for both)."""
    plain, written = run_all(
        ["--lang", "en", "check", EXAMPLE, "--year", "2024"],
        ["--lang", "en", "check", EXAMPLE, "--year", "2024年"],
    )
    assert written.returncode == plain.returncode == 1
    assert written.stdout == plain.stdout


def test_the_help_of_every_command_and_option_is_in_chinese_by_default() -> None:
    """``ce-rules -h`` and each command's ``-h``: every help in Chinese, unless --lang en."""
    import argparse

    from ce_rules._cli import _parser

    def helps(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str]]:
        for action in parser._actions:
            if action.help not in (None, argparse.SUPPRESS):
                yield parser.prog, str(action.help)
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    yield parser.prog, str(choice.help)
                for sub in action.choices.values():
                    yield from helps(sub)

    zh = list(helps(_parser("zh")))
    en = list(helps(_parser("en")))
    assert len(zh) == len(en) > 40
    untranslated = [(prog, text) for prog, text in zh if not re.search(r"[\u4e00-\u9fff]", text)]
    assert untranslated == []
    assert all(zh_text != en_text for (_, zh_text), (_, en_text) in zip(zh, en, strict=True))
    result = run("check", "-h")
    assert result.stdout.startswith("用法：ce-rules check")
    assert "要评价的年度（2024 或 2024年）" in result.stdout
    english = run("--lang", "en", "check", "-h")
    assert english.stdout.startswith("usage: ce-rules check")
    assert "the year to judge (2024, 2024年)" in english.stdout
