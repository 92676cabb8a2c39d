"""``ce-rules check --jobs``: a file checked in parts reports exactly what one process does.

The CLI only splits files of at least ``_PARALLEL_BYTES``; these tests lower that to
zero so that small files go through the same path.
"""

from __future__ import annotations

import io
import multiprocessing
import random
from pathlib import Path
from typing import Any

import pytest

from ce_rules import _cli, _parallel
from ce_rules._io import plan_csv_parts
from ce_rules._parallel import check_in_parts
from ce_rules._policy import policy_by_id

HEADER = ",".join(
    ["身份证号", "姓名", "单位级别", "记录编号", "课程编号", "课程名称", "科目类别", "学时",
     "学习形式", "学习平台", "完成日期", "审核状态"]
)  # fmt: skip


def person_rows(person: str, rng: random.Random) -> list[str]:
    """One to eight records of ``person``, some faulty, sometimes a broken line among them."""
    unit = rng.choice(["省直单位", "市属单位"])
    rows = []
    for number in range(rng.randint(1, 8)):
        public = rng.random() < 0.5
        rows.append(
            ",".join(
                [
                    person,
                    "张伟",
                    unit,
                    f"R{number}",
                    f"{'GX' if public else 'ZY'}-{rng.randint(1, 5)}",
                    "课程",
                    "公需科目" if public else "专业科目",
                    rng.choice(["10", "20", "30", "0", "x"]) if rng.random() < 0.1 else "20",
                    "远程教育" if public else "线下培训",
                    rng.choice(["专技知到", "某某培训网"]) if public else "",
                    rng.choice(["2024-03-01", "2024-11-30", "2023-05-05"]),
                    rng.choice(["已审核"] * 8 + ["待审核"]),
                ]
            )
        )
    if rng.random() < 0.05:
        rows.insert(rng.randrange(len(rows) + 1), f"{person},张伟,broken line")
    return rows


def records_file(path: Path, persons: list[str], seed: int = 7, encoding: str = "utf-8") -> Path:
    """A record file of ``persons``, in that order."""
    rng = random.Random(seed)
    lines = [HEADER]
    for person in persons:
        lines.extend(person_rows(person, rng))
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``ce-rules check ARGS --year 2024``: exit code, stdout and stderr."""
    code = _cli.main(["--lang", "en", "check", *args, "--year", "2024", "--quiet"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True, params=["one part a process", "many small parts"])
def any_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small files are split too: into one part a process, or into many more parts."""
    monkeypatch.setattr(_cli, "_PARALLEL_BYTES", 0)
    if request.param == "many small parts":
        monkeypatch.setattr(_parallel, "PART_BYTES", 1500)


@pytest.fixture
def merged(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each run in parts was merged (True) or fell back to one process (False)."""
    outcomes: list[bool] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = check_in_parts(*args, **kwargs)
        outcomes.append(result is not None)
        return result

    monkeypatch.setattr(_cli, "check_in_parts", spy)
    return outcomes


SORTED = [f"3701{n:06d}" for n in range(400)]


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_parts_report_exactly_what_one_process_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, merged: list[bool]
) -> None:
    """Same rows, invalid records (file, line), totals, warnings and exit code."""
    path = records_file(tmp_path / "sorted.csv", SORTED)
    plan = plan_csv_parts(path, None, 3)
    assert plan is not None
    assert len(plan.parts) == 3
    one = check(capsys, str(path), "--jobs", "1", "--format", fmt)
    parts = check(capsys, str(path), "--jobs", "3", "--format", fmt)
    assert merged == [True]
    assert parts == one
    assert "invalid" in one[2]  # the file has broken lines: they are compared too


def test_each_part_is_merged_once_in_file_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """However the processes took the parts, every part is merged, once, in file order."""
    path = records_file(tmp_path / "sorted.csv", SORTED)
    numbers: list[list[int]] = []

    def spy(plan: Any, results: list[_parallel.PartResult], *args: Any) -> Any:
        numbers.append([result.number for result in results])
        return merge(plan, results, *args)

    merge = _parallel._merged
    monkeypatch.setattr(_parallel, "_merged", spy)
    check(capsys, str(path), "--jobs", "2")
    expected = _parallel.part_count(path.stat().st_size, 2)
    assert numbers == [list(range(expected))]
    assert expected == 2 or expected > 20  # one part a process, or many small parts


def test_persons_not_in_ascending_order_are_checked_in_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], merged: list[bool]
) -> None:
    """Grouped but not ascending: the parts cannot prove they judged no one twice."""
    path = records_file(tmp_path / "grouped.csv", list(reversed(SORTED)))
    assert check(capsys, str(path), "--jobs", "2") == check(capsys, str(path), "--jobs", "1")
    assert merged == [False]


def test_a_person_split_across_the_file_is_reported_unsorted_either_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A person's records in two places: one process reports the second as unsorted."""
    path = records_file(tmp_path / "split.csv", [*SORTED, SORTED[10]])
    one = check(capsys, str(path), "--jobs", "1")
    assert "not sorted" in one[2]
    assert check(capsys, str(path), "--jobs", "2") == one


def test_gbk_after_a_utf8_head_falls_back_and_detects_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A UTF-8 guess from the head that the rest disproves: read in one process as GB18030."""
    lines = ["person_id,name,course_id,course_title,category,hours,completed_on"]
    for number in range(3000):
        name = "Zhang" if number < 2000 else "张伟"  # the first 64 KB are ASCII
        lines.append(f"P{number:05d},{name},C1,course,public,30,2024-03-01")
    path = tmp_path / "late-gbk.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    plan = plan_csv_parts(path, None, 2)
    assert plan is not None
    assert plan.guessed
    one = check(capsys, str(path), "--jobs", "1")
    assert "张伟" in one[1]
    assert check(capsys, str(path), "--jobs", "2") == one


@pytest.mark.parametrize(
    "change",
    [
        lambda line: line.replace(",课程,", ',"两行\n课程",'),  # a quoted line break
        lambda line: line.replace(",课程,", ",课\r程,"),  # a lone carriage return
        lambda line: line.replace(",课程,", ",课\x00程,"),  # a NUL
    ],
    ids=["quoted-line-break", "lone-carriage-return", "nul"],
)
def test_parts_that_are_not_plain_fall_back_to_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, merged: list[bool]
) -> None:
    """A line break that may not end a record anywhere: the file is read whole."""
    path = records_file(tmp_path / "sorted.csv", SORTED)
    lines = path.read_text(encoding="utf-8").split("\n")
    at = len(lines) * 3 // 4  # in the second part
    lines[at] = change(lines[at])
    path.write_text("\n".join(lines), encoding="utf-8", newline="")
    assert plan_csv_parts(path, None, 2) is not None
    assert check(capsys, str(path), "--jobs", "2") == check(capsys, str(path), "--jobs", "1")
    assert merged == [False]


def test_a_cut_inside_a_long_run_of_one_person_moves_past_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], merged: list[bool]
) -> None:
    """A cut in one person's records, further than the first look reaches, moves past them."""
    path = records_file(tmp_path / "sorted.csv", SORTED)
    lines = path.read_text(encoding="utf-8").split("\n")
    middle = len(lines) // 2
    person = lines[middle].split(",")[0]
    long_run = [lines[middle]] * 2000  # about 200 KB of one person, around the middle
    path.write_text("\n".join([*lines[:middle], *long_run, *lines[middle:]]), encoding="utf-8")
    plan = plan_csv_parts(path, None, 2)
    assert plan is not None
    assert len(plan.parts) == 2
    data = path.read_bytes()
    cut = plan.parts[1].start
    assert data[cut - 1 : cut] == b"\n"
    assert data[cut:].split(b",", 1)[0] != person.encode()
    assert data[: cut - 1].rsplit(b"\n", 1)[1].split(b",", 1)[0] == person.encode()
    assert check(capsys, str(path), "--jobs", "2") == check(capsys, str(path), "--jobs", "1")
    assert merged == [True]


def test_a_header_that_is_not_plain_is_not_cut(tmp_path: Path) -> None:
    """Quotes in the header: no plan at all."""
    path = records_file(tmp_path / "sorted.csv", SORTED)
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(
        path.read_text(encoding="utf-8").replace("课程名称", '"课程名称"', 1), encoding="utf-8"
    )
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert plan_csv_parts(quoted, None, 2) is None
    assert plan_csv_parts(crlf, None, 2) is not None


def test_crlf_and_gbk_files_split_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GB18030 files and CRLF line ends are cut and merged like plain UTF-8."""
    path = records_file(tmp_path / "gbk.csv", SORTED, encoding="gb18030")
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    for name in (path, crlf):
        assert plan_csv_parts(name, None, 2) is not None
        assert check(capsys, str(name), "--jobs", "2") == check(capsys, str(name), "--jobs", "1")


def test_jobs_must_be_a_positive_number_or_auto(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--jobs 0`` is a usage error (exit 2) naming the option."""
    path = records_file(tmp_path / "sorted.csv", SORTED[:5])
    code, _, err = check(capsys, str(path), "--jobs", "0")
    assert code == 2
    assert "--jobs" in err
    assert check(capsys, str(path), "--jobs", "auto")[0] in (0, 1, 2)


def test_progress_counts_every_record_of_every_part(tmp_path: Path) -> None:
    """On a terminal the parts report the records they read, all of them in the end."""
    path = records_file(tmp_path / "sorted.csv", SORTED)
    plan = plan_csv_parts(path, None, 2)
    assert plan is not None
    seen: list[int] = []
    out = io.StringIO()
    batch = check_in_parts(
        plan,
        jobs=2,
        year=2024,
        policy=policy_by_id("shandong-2024"),
        as_of=None,
        write_rows=_cli._csv_rows,
        head="",
        out=out,
        progress=seen.append,
    )
    assert batch is not None
    assert seen
    assert seen[-1] == batch.totals.records
    assert out.getvalue().count("\n") == batch.totals.persons


def test_an_error_in_another_part_is_reported_like_in_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], merged: list[bool]
) -> None:
    """A file not in the encoding given: exit 2, naming the file and the same line."""
    lines = ["person_id,name,course_id,course_title,category,hours,completed_on"]
    for number in range(30_000):  # the GBK bytes in a later part, past the first 256 KB
        name = "Zhang" if number < 25_000 else "张伟"
        lines.append(f"P{number:05d},{name},C1,course,public,30,2024-03-01")
    path = tmp_path / "gbk.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    parts = check(capsys, str(path), "--jobs", "2", "--encoding", "utf-8")
    one = check(capsys, str(path), "--jobs", "1", "--encoding", "utf-8")
    assert parts == one
    assert one[0] == 2
    assert str(path) in one[2]
    assert "utf-8 near line 17873" in one[2]  # the first line of the block that holds them
    assert merged == [False]  # one process reads the file again, to name the line


def test_parts_also_work_where_processes_are_spawned(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    merged: list[bool],
) -> None:
    """Where processes are spawned (macOS, Windows), the parts are sent, not inherited."""
    spawn = multiprocessing.get_context("spawn")
    monkeypatch.setattr(_parallel.multiprocessing, "get_context", lambda: spawn)
    path = records_file(tmp_path / "sorted.csv", SORTED)
    assert check(capsys, str(path), "--jobs", "2") == check(capsys, str(path), "--jobs", "1")
    assert merged == [True]
