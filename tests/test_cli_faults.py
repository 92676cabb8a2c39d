"""``ce-rules`` when things go wrong: broken inputs, internal errors, signals, full disks.

A broken input is exit 2 with a message saying what to fix, in the user's language; an
error of ce-rules itself is exit 70 in one line; an interrupted, killed or failed run
leaves the previous report as it was, no partial file and no process behind it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest

from ce_rules import Reason
from test_cli import (
    ENGLISH_WORDS,
    EXAMPLE,
    ROOT,
    cli_env,
    command,
    parsed,
    person_rows,
    record,
    run,
    run_all,
    run_json,
    write_csv,
    write_lines,
)

POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX signals, pipes and limits")
#: What a report held before the run that must not change it.
PREVIOUS = "身份证号,结论\r\n370102198001011234,合格\r\n".encode("utf-8-sig")


# --- errors people can act on -------------------------------------------------------------


def _many_problems(tmp_path: Path) -> Path:
    """A record with eight problems, in eight columns."""
    header = ["身份证号", "单位级别", "课程名称", "科目类别", "学时", "完成日期", "学习形式",
              "角色", "审核状态", "是否优质在线公需课", "培训年度"]  # fmt: skip
    rows = [["A", "市", "课1", "公需课程", "三十", "2024-02-30", "线下培训", "学生", "好", "也许",
             "24"]]  # fmt: skip
    return write_csv(tmp_path / "problems.csv", rows, header=header)


def test_every_problem_of_a_row_is_named_in_chinese(tmp_path: Path) -> None:
    """Under ``zh`` every problem of the row is listed, in Chinese, with the accepted values."""
    result = run("check", _many_problems(tmp_path), "--year", "2024")
    assert result.returncode == 2
    (listed,) = [line for line in result.stdout.splitlines() if "problems.csv:2" in line]
    for expected in (
        "单位级别(unit) '市': 未知的取值“市”；可用：省直单位（provincial）、市属单位（municipal）",
        "科目类别(category) '公需课程': 未知的取值“公需课程”；可用：公需科目（public）",
        "学时(hours) '三十': 学时应为普通的十进制数",
        "完成日期(completed_on) '2024-02-30': 不是有效的日期：2024年2月只有29天",
        "角色(role) '学生': 未知的取值“学生”；可用：学员（learner）、授课教师（instructor）",
        "审核状态(status) '好': 未知的取值“好”；可用：已审核（approved）",
        "是否优质在线公需课(featured) '也许': 未知的取值“也许”；表示“是”可用：是",
        "培训年度(credited_year) '24': 年份应为四位数字",
    ):
        assert expected in listed
    for word in ENGLISH_WORDS:
        assert word not in result.stdout + result.stderr
    assert "有1条无效记录（见输出），请修正后重新运行" in result.stderr


def test_every_problem_of_a_row_is_named_in_english(tmp_path: Path) -> None:
    """Under ``en`` the same problems, in English; JSON carries both languages and codes."""
    path = _many_problems(tmp_path)
    result, as_json = run_all(
        ["--lang", "en", "check", path, "--year", "2024"],
        ["check", path, "--year", "2024", "--format", "json"],
    )
    assert result.returncode == 2
    assert "unknown value '公需课程'; accepted: public (公需科目), professional (专业科目)" in (
        result.stdout
    )
    assert "February 2024 has 29 days" in result.stdout
    assert "1 invalid record (listed in the output): fix them and run again" in result.stderr
    (invalid,) = parsed(as_json)["invalid_records"]
    assert [p["code"] for p in invalid["problems"]] == [
        "unknown_value", "unknown_value", "not_a_number", "unknown_value", "unknown_value",
        "not_a_date", "not_a_year", "unknown_value",
    ]  # fmt: skip
    assert [p["field"] for p in invalid["problems"]] == [
        "unit", "category", "hours", "featured", "role", "completed_on", "credited_year",
        "status",
    ]  # fmt: skip


def test_checks_across_cells_are_reasons_in_the_chosen_language(tmp_path: Path) -> None:
    """A featured professional course, more hours than the course: reasons in Chinese."""
    header = ["身份证号", "单位级别", "课程名称", "科目类别", "学时", "课程学时", "完成日期",
              "学习形式", "是否优质在线公需课"]  # fmt: skip
    rows = [["A", "市属单位", "课1", "专业科目", "30", "", "2024-05-01", "线下培训", "是"],
            ["A", "市属单位", "课2", "专业科目", "30", "20", "2024-05-01", "线下培训", "否"],
            ["A", "市属单位", "", "专业科目", "", "", "", "线下培训", ""]]  # fmt: skip
    path = write_csv(tmp_path / "across.csv", rows, header=header)
    result = run("check", path, "--year", "2024")
    assert result.returncode == 2
    assert "只有远程教育的公需科目课程才能是优质在线公需课（二(三)）" in result.stdout
    assert "本条记录的学时30多于课程学时20" in result.stdout
    assert "缺少必填的“课程名称”；学时(hours): 缺少必填的“学时”；完成日期(completed_on)" in (
        result.stdout
    )
    for word in ENGLISH_WORDS:
        assert word not in result.stdout


def test_the_real_line_of_the_whole_file_is_named(tmp_path: Path) -> None:
    """After title rows and multi-line quoted cells, an invalid record names its physical line."""
    rows = [
        record("A", "GX1", title="多行\n课程\n名称"),  # lines 4-6
        record("A", "ZY1", hours="六十", title="第二门\r\n课程"),  # lines 7-8
        record("A", "ZY2", hours="60", day="2024-13-01"),  # line 9
    ]
    path = write_csv(tmp_path / "lines.csv", rows, before=[["学时汇总表"], []])
    result, table = run_all(
        ["check", path, "--year", "2024", "--format", "json"], ["check", path, "--year", "2024"]
    )
    data = parsed(result)
    assert result.returncode == 2
    assert [r["line"] for r in data["invalid_records"]] == [7, 9]
    assert [r["line"] for r in data["verdicts"][0]["records"]] == [4]
    assert f"{path}:7 学时(hours) '六十'" in table.stdout
    assert f"{path}:9 完成日期(completed_on) '2024-13-01': 不是有效的日期：没有13月" in table.stdout


def test_a_decode_error_names_the_encoding_and_the_physical_line(tmp_path: Path) -> None:
    """Read with the wrong ``--encoding``, the first line that fails is named, counted in full."""
    lines = [
        b"Title",
        b"person_id,name,unit,course_title,category,hours,completed_on,mode",
        b'A,Zhang,municipal,"Two\r\nlines",public,30,2024-01-01,offline',  # lines 3-4
        b"A,Li,municipal,t,professional,60,2024-01-01,offline",
        "B,张伟,municipal,t,professional,60,2024-01-01,offline".encode("gbk"),  # line 6
    ]
    path = tmp_path / "gbk.csv"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    result, chinese, detected = run_all(
        ["--lang", "en", "check", path, "--year", "2024", "--encoding", "utf-8"],
        ["check", path, "--year", "2024", "--encoding", "ascii"],
        ["check", path, "--year", "2024"],  # detected: GB18030
    )
    assert result.returncode == 2
    assert (
        "line 6 cannot be decoded as utf-8: check the file's encoding, or pass another "
        "--encoding (or none, to detect it)"
    ) in result.stderr
    assert "第6行无法按ascii解码：请确认文件的编码，或改用其他 --encoding" in chinese.stderr
    assert detected.returncode == 1, detected.stderr
    assert "Zhang" in detected.stdout


def _corrupt_xlsx(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04" + os.urandom(2000))


def _truncated_xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["身份证号", "课程名称", "科目类别", "学时", "完成日期"])
    book.save(path)
    path.write_bytes(path.read_bytes()[:2500])


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (12 << 20))


def _text_as_xlsx(path: Path) -> None:
    write_csv(path, person_rows("A"))


def _old_xls(path: Path) -> None:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)


def _web_page(path: Path) -> None:
    path.write_text("<html><body><table><tr><td>身份证号</td></tr></table></body></html>")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _no_required_column(path: Path) -> None:
    write_csv(path, [["A", "t", "公需科目", "2024-01-01"]],
              header=["身份证号", "课程名称", "科目类别", "完成日期"])  # fmt: skip


BROKEN_FILES: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("corrupt.xlsx", _corrupt_xlsx, "不是xlsx工作簿", "not an xlsx workbook"),
    ("truncated.xlsx", _truncated_xlsx, "不是xlsx工作簿", "not an xlsx workbook"),
    ("text.xlsx", _text_as_xlsx, "不是xlsx工作簿（不是zip文件）", "(not a zip file)"),
    ("bomb.xlsx", _zip_bomb, "压缩炸弹", "zip bomb"),
    ("old.xls", _old_xls, "旧的 .xls 格式", "old .xls format"),
    ("export.xls", _web_page, "是网页，不是表格文件", "is a web page"),
    ("empty.csv", _empty, "文件没有内容", "holds no rows"),
    ("no-hours.csv", _no_required_column, "缺少：学时（hours）", "lacks: 学时 (hours)"),
]


@pytest.mark.parametrize(("name", "make", "zh", "en"), BROKEN_FILES)
def test_a_file_that_cannot_be_read_is_exit_2_with_a_message(
    tmp_path: Path, name: str, make: Callable[[Path], None], zh: str, en: str
) -> None:
    """Damaged, disguised or hostile files stop the run: exit 2, a message, no traceback."""
    path = tmp_path / name
    make(path)
    chinese, english = run_all(
        ["check", path, "--year", "2024"], ["--lang", "en", "check", path, "--year", "2024"]
    )
    for result, expected in ((chinese, zh), (english, en)):
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr
        assert str(path) in result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1


def test_hostile_json_lines_cost_one_record_each(tmp_path: Path) -> None:
    """Deep nesting, a list value, a lone surrogate, NaN: each an invalid record, exit 2."""
    good = {"person_id": "A", "unit": "municipal", "course_title": "t", "category": "public",
            "hours": 30, "completed_on": "2024-01-01", "mode": "offline"}  # fmt: skip
    lines = [
        json.dumps(good),
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        json.dumps({**good, "hours": [30]}),
        json.dumps({**good, "course_title": "\ud800"}),
        json.dumps({**good, "hours": float("nan")}),
        "[1, 2]",
    ]
    path = write_lines(tmp_path / "hostile.jsonl", lines)
    result, table = run_all(
        ["check", path, "--year", "2024", "--format", "json"], ["check", path, "--year", "2024"]
    )
    data = parsed(result)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    codes = {r["line"]: [p["code"] for p in r["problems"]] for r in data["invalid_records"]}
    assert codes == {2: ["too_deep"], 3: ["not_a_cell"], 4: ["surrogate"], 5: ["not_json"],
                     6: ["not_an_object"]}  # fmt: skip
    assert data["totals"]["counted"] == 1
    assert "含有不成对的代理码位 U+D800" in table.stdout
    assert "这一行的JSON嵌套过深" in table.stdout


def test_a_huge_field_costs_one_record(tmp_path: Path) -> None:
    """A cell longer than any record's (64 KiB) is refused with its line; the rest is judged."""
    rows = [record("A", "GX1", title="长" * 70_000), *person_rows("B")]
    result, data = run_json(write_csv(tmp_path / "huge.csv", rows), "--year", "2024")
    assert result.returncode == 2
    (invalid,) = data["invalid_records"]
    assert (invalid["line"], invalid["problems"][0]["code"]) == (2, "field_too_long")
    assert len(invalid["problems"][0]["value"]) <= 200
    assert data["totals"]["compliant"] == 1


def test_a_lone_surrogate_in_a_csv_file_or_an_argument_is_refused(tmp_path: Path) -> None:
    """Bytes of a lone surrogate in a file, or an argument that is not text: exit 2, a message."""
    path = write_csv(tmp_path / "r.csv", person_rows("A"))
    path.write_bytes(path.read_bytes() + "B,\udcff,市属单位\r\n".encode("utf-8", "surrogatepass"))
    result = run("check", path, "--year", "2024")
    assert result.returncode == 2
    assert "第4行不是UTF-8编码" in result.stderr
    good = write_csv(tmp_path / "good.csv", person_rows("A"))

    def in_bytes(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [os.fsencode(a) for a in command(*args, "--year", "2024")],
            capture_output=True,
            env=cli_env(),
            check=False,
        )

    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(
                lambda args: in_bytes(*args),
                [
                    ["explain", os.fsdecode(b"\xff"), good],
                    ["check", good, "--column", os.fsdecode(b"\xff=name")],
                    ["check", good, "--encoding", os.fsdecode(b"\xff")],
                ],
            )
        )
    for refused in results:
        assert refused.returncode == 2, refused.stderr
        stderr = refused.stderr.decode("utf-8")
        assert stderr.startswith("ce-rules：错误：")
        assert "Traceback" not in stderr


def test_a_file_name_that_is_not_text_is_reported_as_its_bytes(tmp_path: Path) -> None:
    """A file name that is not UTF-8 is read and reported with its bytes escaped: exit 2, not 70."""
    name = os.fsdecode(b"\xb5\xbc\xb3\xf6.csv")  # 导出 in GBK, a name from a Windows share
    path = write_csv(tmp_path / name, [*person_rows("A"), record("B", hours="三十")])
    shown = str(tmp_path / "\\xb5\\xbc\\xb3\\xf6.csv")

    def check(fmt: str, *more: str | Path) -> subprocess.CompletedProcess[bytes]:
        args = command("check", path, "--year", "2024", "--format", fmt, *more)
        result = subprocess.run(
            [os.fsencode(a) for a in args], capture_output=True, env=cli_env(), check=False
        )
        assert result.returncode == 2, result.stderr
        assert b"Traceback" not in result.stderr
        return result

    data = json.loads(check("json").stdout)
    assert data["invalid_records"][0]["source"] == shown
    assert f"{shown}:4 " in check("table").stdout.decode("utf-8")
    assert f"{shown}:4 " in check("csv").stderr.decode("utf-8")
    check("xlsx", "-o", tmp_path / "out.xlsx")
    assert openpyxl.load_workbook(tmp_path / "out.xlsx")["无效记录"]["A2"].value == shown


def _provoke(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``main`` with the batch judgement patched to fail as a bug in ce-rules would."""
    code = (
        "import sys\n"
        "import ce_rules._cli as cli\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('an invariant broke\\nsecond line')\n"
        "cli.evaluate_batches = broken\n"
        "raise SystemExit(cli.main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "check", str(EXAMPLE), "--year", "2024",
         "--region", "shandong"],
        capture_output=True, text=True, encoding="utf-8", env=env, check=False, cwd=tmp_path,
    )  # fmt: skip


def test_an_internal_error_is_exit_70_in_one_line(tmp_path: Path) -> None:
    """A bug in ce-rules: exit 70 (never 1, never 2), one line, the traceback on request."""
    with ThreadPoolExecutor(2) as pool:
        plain = pool.submit(_provoke, tmp_path, cli_env())
        debug = pool.submit(_provoke, tmp_path, cli_env(CE_RULES_DEBUG="1")).result()
        result = plain.result()
    assert result.returncode == 70
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("ce-rules：错误：内部错误（RuntimeError: an invariant broke")
    assert "CE_RULES_DEBUG=1" in line
    assert debug.returncode == 70
    assert "Traceback (most recent call last)" in debug.stderr
    assert "RuntimeError: an invariant broke" in debug.stderr


# --- safe output --------------------------------------------------------------------------


def test_a_policy_file_as_the_output_is_refused_and_kept(tmp_path: Path) -> None:
    """``--policy X.toml -o X.toml``, or an input, persons or mapping file as output: refused."""
    policy = tmp_path / "city.toml"
    policy.write_bytes((ROOT / "examples" / "overlays" / "example-city-2024.toml").read_bytes())
    records = write_csv(tmp_path / "r.csv", person_rows("A"))
    persons = write_csv(tmp_path / "p.csv", [["A", "市属"]], header=["身份证号", "单位级别"])
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\n"证件号" = "person_id"\n', encoding="utf-8")
    before = {p: p.read_bytes() for p in (policy, records, persons, mapping)}
    common = ["check", records, "--year", "2024", "--policy", policy, "--persons", persons,
              "--columns", mapping]  # fmt: skip
    targets = (policy, records, persons, mapping, tmp_path / "." / "r.csv")
    for result in run_all(*([*common, "-o", target] for target in targets)):
        assert result.returncode == 2
        assert "它就是本次运行要读取的文件" in result.stderr
        assert result.stdout == ""
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city.toml", "m.toml", "p.csv", "r.csv"]


def test_a_failed_run_leaves_the_previous_report_as_it_was(tmp_path: Path) -> None:
    """A file that cannot be read, a year without a policy: the last good report is unchanged."""
    reports = [tmp_path / f"结果.{suffix}" for suffix in ("csv", "json", "xlsx")]
    for report in reports:
        report.write_bytes(PREVIOUS)
    broken = write_csv(tmp_path / "broken.csv", [["A"]], header=["身份证号"])
    failing = [
        ["check", broken, "--year", "2024", "-o", reports[0]],
        ["check", EXAMPLE, "--year", "1995", "-o", reports[0]],
        ["check", tmp_path / "missing.csv", "--year", "2024", "-o", reports[0]],
        ["check", broken, "--year", "2024", "--format", "json", "-o", reports[1]],
        ["check", EXAMPLE, "--year", "1995", "-o", reports[2]],
    ]
    for result in run_all(*failing):
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
    assert [report.read_bytes() for report in reports] == [PREVIOUS] * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["broken.csv", *(report.name for report in reports)]
    )


def test_an_output_folder_that_does_not_exist_is_named(tmp_path: Path) -> None:
    """An ``--output`` that cannot be written is exit 2 naming it, before any output."""
    target = tmp_path / "no-such-folder" / "out.csv"
    result = run("--lang", "en", "check", EXAMPLE, "--year", "2024", "--output", target)
    assert result.returncode == 2
    assert f"cannot write {target}: the folder {target.parent} does not exist" in result.stderr
    assert result.stdout == ""


@POSIX
@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGKILL, -signal.SIGKILL, None),
        (signal.SIGTERM, 143, "ce-rules：已终止"),
        (signal.SIGINT, 130, "ce-rules：已中断"),
    ],
)
def test_a_stopped_run_leaves_the_previous_report_and_no_process(
    tmp_path: Path, signum: int, code: int, said: str | None
) -> None:
    """Killed, terminated or interrupted mid-run: the old out.csv, no partial file, no child."""
    fifo = tmp_path / "records.csv"
    os.mkfifo(fifo)
    report = tmp_path / "out.csv"
    report.write_bytes(PREVIOUS)
    process = subprocess.Popen(
        command("check", fifo, "--year", "2024", "-o", report),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
        start_new_session=True,  # its own process group: whatever it starts is found below
    )
    try:
        with open(fifo, "wb"):  # returns once the command opened the file to read it
            # Once it waits in read(): a signal just before the call would be seen only
            # after it returns (CPython checks for signals between bytecodes).
            time.sleep(0.3)
            process.send_signal(signum)
            out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code
    assert out == b""
    if said is not None:
        assert err.decode("utf-8").strip() == said
    assert report.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "records.csv"]
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)


@POSIX
def test_sigterm_after_the_records_are_read_still_leaves_no_partial_report(
    tmp_path: Path,
) -> None:
    """SIGTERM while the persons file is still being read (the records read): exit 143."""
    records = write_csv(tmp_path / "r.csv", person_rows("A"))
    fifo = tmp_path / "persons.csv"
    os.mkfifo(fifo)
    report = tmp_path / "out.xlsx"
    report.write_bytes(PREVIOUS)
    process = subprocess.Popen(
        command("--lang", "en", "check", records, "--year", "2024", "--persons", fifo,
                "-o", report),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), start_new_session=True,
    )  # fmt: skip
    try:
        with open(fifo, "wb"):
            time.sleep(0.3)  # as above: while it waits in read()
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143
    assert err.decode("utf-8").strip() == "ce-rules: terminated"
    assert report.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx", "persons.csv", "r.csv"]


@POSIX
def test_a_full_disk_is_exit_2_and_the_previous_report_stays(tmp_path: Path) -> None:
    """Out of space (a file size limit, as a full disk refuses): exit 2, a message, old report."""
    import resource

    report = tmp_path / "verdicts.json"
    report.write_bytes(PREVIOUS)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails (EFBIG) instead

    for lang, expected in (("zh", "无法写入"), ("en", "cannot write")):
        result = subprocess.run(
            command("--lang", lang, "check", EXAMPLE, "--year", "2024", "--format", "json",
                    "-o", report),
            capture_output=True, text=True, encoding="utf-8", check=False,
            env=cli_env(PYTHONDONTWRITEBYTECODE="1"), preexec_fn=limited,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr
        assert ("文件过大；原文件未改动" if lang == "zh" else "the previous file is unchanged") in (
            result.stderr
        )
        assert "Traceback" not in result.stderr
        assert report.read_bytes() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == ["verdicts.json"]


@POSIX
def test_output_closed_early_is_exit_2_never_0(tmp_path: Path) -> None:
    """When the reader of the output goes away (``| head``), the exit code is 2, never 0."""
    rows = [row for n in range(1500) for row in person_rows(f"3701021980{n:08d}", "某人")]
    path = write_csv(tmp_path / "many.csv", rows)
    process = subprocess.Popen(
        command("check", path, "--year", "2024"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(),
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline()
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2
    assert b"Traceback" not in err


def test_formula_triggers_are_neutralised_in_csv_and_xlsx(tmp_path: Path) -> None:
    """Cells starting with =, +, -, @ get an apostrophe in CSV; in xlsx they are text cells."""
    rows = [
        record("=1+1", name='=HYPERLINK("http://x","点击")'),
        record("-5", name="+李娜"),
        record("@SUM", name="@王强", hours="三十"),
    ]
    path = write_csv(tmp_path / "formulas.csv", rows)
    book_path = tmp_path / "结果.xlsx"
    as_csv, result = run_all(
        ["check", path, "--year", "2024", "--format", "csv"],
        ["check", path, "--year", "2024", "-o", book_path],
    )
    csv_out = as_csv.stdout
    cells = {row[0]: row[1] for row in csv.reader(io.StringIO(csv_out))}
    assert cells == {"身份证号": "姓名", "'-5": "'+李娜", "'=1+1": '\'=HYPERLINK("http://x","点击")',
                     "'@SUM": ""}  # fmt: skip
    assert result.returncode == 2
    book = openpyxl.load_workbook(book_path)
    verdicts = list(book["结论"].iter_rows(min_row=2, values_only=False))
    assert [(r[0].value, r[1].value) for r in verdicts] == [
        ("-5", "+李娜"), ("=1+1", '=HYPERLINK("http://x","点击")'), ("@SUM", None),
    ]  # fmt: skip
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    (invalid,) = book["无效记录"].iter_rows(min_row=2, values_only=True)
    assert invalid[2:5] == ("@SUM", "学时(hours)", "三十")


@pytest.mark.parametrize(
    ("lang", "sheets", "verdict_header", "status"),
    [
        ("zh", ["结论", "未计入的记录", "无效记录", "跳过的行", "合计"],
         ("身份证号", "姓名", "结论", "是否合格"), "不合格"),
        ("en", ["verdicts", "excluded entries", "invalid records", "skipped rows", "totals"],
         ("person_id", "name", "status", "compliant"), "non_compliant"),
    ],
)  # fmt: skip
def test_xlsx_output_is_a_real_workbook_in_the_chosen_language(
    tmp_path: Path, lang: str, sheets: list[str], verdict_header: tuple[str, ...], status: str
) -> None:
    """``-o 结果.xlsx``: verdicts, excluded entries, invalid records, skipped rows, totals.

    In the language asked for; every entry that does not count says why.
    """
    rows = [
        *person_rows("A", "张伟", public="20"), record("B", hours="三十"),
        record("A", "ZY2", hours="8", day="2023-05-01"),
    ]  # fmt: skip
    path = write_csv(tmp_path / "r.csv", rows, after=[["合计", "", "", "", "", "", "110"]])
    report = tmp_path / "结果.xlsx"
    result = run("--lang", lang, "check", path, "--year", "2024", "-o", report)
    assert result.returncode == 2
    assert result.stdout == ""
    book = openpyxl.load_workbook(report)
    assert book.sheetnames == sheets
    verdicts = list(book[sheets[0]].iter_rows(values_only=True))
    assert verdicts[0][:4] == verdict_header
    assert verdicts[1][:4] == ("A", "张伟", status, "否" if lang == "zh" else "false")
    assert verdicts[1][5:8] == (20, 30, 10)
    excluded = list(book[sheets[1]].iter_rows(values_only=True))
    reason = Reason.OTHER_YEAR.text.in_(lang)
    assert excluded[1][:6] == (str(path), 5, "A", "张伟", None, "ZY2")
    assert excluded[1][7:] == (8, reason, None, None, 1)  # the year read as decision 1 says
    assert len(excluded) == 2  # only the 2023 entry does not count
    invalid = list(book[sheets[2]].iter_rows(values_only=True))
    assert invalid[1][:2] == (str(path), 4)
    skipped = list(book[sheets[3]].iter_rows(values_only=True))
    assert skipped[1][:3] == (str(path), 6, "表尾行" if lang == "zh" else "footer row")
    totals = dict(list(book[sheets[4]].iter_rows(values_only=True))[1:])
    records = "记录" if lang == "zh" else "records"
    assert totals[records] == 5
    # Entries by reason, the reason in the language of the workbook.
    assert totals["按原因：不属于本培训年度" if lang == "zh" else "by_reason.other_year"] == 1
