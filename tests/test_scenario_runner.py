"""``ce-rules test``: a policy author's scenario files, through the real entry point.

Each test writes scenario files as an author would, runs ``python -m ce_rules test`` and
reads what a person reads: the exit code, each failure as expected vs got with the rule
and the clause, the errors naming file, scenario and field, in Chinese and English. The
snapshots of ``--update`` are compared with verdicts the test computes itself.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import ce_rules as ce
from ce_rules import scenarios
from test_cli import ENGLISH_WORDS, ROOT, record, run, run_all, write_csv

PERSON = scenarios.DEFAULT_PERSON_ID

#: A passing file: 29.9 public hours fall 0.1 short (二(一)); an entry named E-1.
PASSING = """\
# Shandong 2024, a provincial-unit person (the default person)
policy = "shandong-2024"
year = 2024

[[scenario]]
name = "29.9 public hours fall 0.1 short"
clause = "二(一)"
entries = [
  { id = "E-1", course = { category = "public", hours = "29.9" } },
  { course = { category = "professional", hours = "60" } },
]
[scenario.expect]
status = "non_compliant"
requirements = { public_hours = { earned = "29.9", shortfall = "0.1", met = false } }
entry = { E-1 = { reason = "counted", credited = "29.9" } }
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_whose_expectations_hold_passes_with_exit_0(tmp_path: Path) -> None:
    """Every expectation met: exit 0, no failure printed, a summary of what ran."""
    path = _write(tmp_path, "short.toml", PASSING)
    en, zh = run_all(["--lang", "en", "test", path], ["test", path])
    assert en.returncode == 0, en.stdout + en.stderr
    assert en.stdout.strip() == "1 scenarios in 1 file(s): 1 passed, 0 failed"
    assert zh.returncode == 0, zh.stderr
    assert zh.stdout.strip() == "1个文件，1个场景：1个通过，0个未通过"


def test_the_projects_own_scenarios_pass_through_the_command(tmp_path: Path) -> None:
    """tests/scenarios/, a folder searched recursively, passes as pytest's collector says."""
    result = run("--lang", "en", "test", ROOT / "tests" / "scenarios", "--verbose")
    assert result.returncode == 0, result.stdout + result.stderr
    count = sum(len(scenarios.load(p).scenarios) for p in scenarios.discover(
        [ROOT / "tests" / "scenarios"])[0])  # fmt: skip
    assert result.stdout.count("PASS ") == count
    assert result.stdout.strip().endswith(
        f"{count} scenarios in 3 file(s): {count} passed, 0 failed"
    )


def test_a_failure_prints_expected_vs_got_with_the_rule_and_clause(tmp_path: Path) -> None:
    """A wrong expectation: exit 1; each field expected vs got, the rule, its clause."""
    wrong = (
        PASSING.replace('shortfall = "0.1", met = false', 'shortfall = "0", met = true')
        .replace('status = "non_compliant"', 'status = "compliant"')
        .replace('reason = "counted"', 'reason = "duplicate"')
    )
    path = _write(tmp_path, "wrong.toml", wrong)
    en, zh = run_all(["--lang", "en", "test", path], ["test", path])
    assert en.returncode == 1, en.stderr
    lines = en.stdout.splitlines()
    assert lines[0] == (
        f"FAIL {path}: scenario #1 “29.9 public hours fall 0.1 short” [二(一)] "
        "(policy shandong-2024, 2024)"
    )
    assert '  status: expected "compliant", got "non_compliant"' in lines
    assert (
        '  requirements.public_hours.shortfall: expected "0", got "0.1" '
        "(rule public_hours, 二(一))" in lines
    )
    assert (
        "  requirements.public_hours.met: expected true, got false (rule public_hours, 二(一))"
        in lines
    )
    assert any(
        line.startswith('  entry.E-1.reason: expected "duplicate", got "counted" (rule ')
        for line in lines
    )
    assert lines[-1] == "1 scenarios in 1 file(s): 0 passed, 1 failed"
    assert zh.returncode == 1
    assert (
        '  requirements.public_hours.shortfall：应为 "0"，实际为 "0.1"（规则 public_hours，二(一)）'
        in zh.stdout
    )
    assert f"未通过 {path}：场景#1 “29.9 public hours fall 0.1 short” [二(一)]" in zh.stdout
    assert zh.stdout.strip().endswith("1个文件，1个场景：0个通过，1个未通过")


def test_an_invalid_file_exits_2_naming_file_scenario_and_field(tmp_path: Path) -> None:
    """A typo, inexact hours, an unknown reason: exit 2, the field named, in either language."""
    typo = _write(tmp_path, "typo.toml", PASSING.replace("status =", "stauts ="))
    floaty = _write(tmp_path, "float.toml", PASSING.replace('hours = "29.9"', "hours = 29.9"))
    reason = _write(tmp_path, "reason.toml", PASSING.replace('"counted"', '"count"'))
    missing = tmp_path / "missing.toml"
    results = run_all(
        ["--lang", "en", "test", typo],
        ["test", typo],
        ["--lang", "en", "test", floaty],
        ["--lang", "en", "test", reason],
        ["--lang", "en", "test", missing],
    )
    en, zh, floats, reasons, absent = results
    assert en.returncode == 2
    scenario = "scenario #1 “29.9 public hours fall 0.1 short”"
    assert f"ce-rules: error: {typo}: {scenario}: expect.stauts: unknown key 'stauts'" in en.stderr
    assert "status" in en.stderr.split("the keys are:")[1]
    assert (
        en.stdout.strip()
        == "0 scenarios in 0 file(s): 0 passed, 0 failed; 1 invalid file(s) not run"
    )
    assert zh.returncode == 2
    assert (
        f"ce-rules：错误：{typo}：场景#1 “29.9 public hours fall 0.1 short”：expect.stauts："
        "无法识别的键“stauts”" in zh.stderr
    )
    assert not any(word in zh.stderr for word in ENGLISH_WORDS)
    assert floats.returncode == 2
    assert (
        f"{floaty}: {scenario}: entries #1: course.hours: write hours as a string" in floats.stderr
    )
    assert reasons.returncode == 2
    assert "expect.entry.E-1.reason: unknown value 'count'; one of: counted," in reasons.stderr
    assert absent.returncode == 2
    assert f"{missing}: no such file or folder" in absent.stderr


def test_an_inline_entry_the_record_parser_refuses_is_named_by_its_key(tmp_path: Path) -> None:
    """A category no column knows: exit 2, the entry and its key named, the values accepted."""
    path = _write(
        tmp_path,
        "cat.toml",
        PASSING.replace('"public", hours = "29.9"', '"publik", hours = "29.9"'),
    )
    result = run("--lang", "en", "test", path)
    assert result.returncode == 2
    assert (
        "entries #1: course.category 'publik': unknown value 'publik'; accepted: public"
        in result.stderr
    )


def _records(folder: Path, *rows: list[str]) -> Path:
    return write_csv(folder / "records.csv", rows)


CSV_SCENARIO = """\
policy = "shandong-2024"
year = 2024

[[scenario]]
name = "a municipal person's records, from the export beside this file"
clause = "二(一), 三(一)"
records = "records.csv"
[scenario.expect]
status = "{status}"
requirements.public_hours = {{ earned = "30" }}
requirements.professional_hours = {{ earned = "{professional}" }}
reasons = ["counted", "counted"]
"""


def test_records_from_a_csv_beside_the_file_are_read_as_check_reads_them(tmp_path: Path) -> None:
    """A CSV export with Chinese headers beside the scenario: judged like `check` judges it."""
    _records(
        tmp_path,
        record(PERSON, "GX1", hours="30", day="2024-03-01"),
        record(PERSON, "ZY1", hours="59.5", day="2024-06-01"),
    )
    good = _write(
        tmp_path, "csv.toml", CSV_SCENARIO.format(status="non_compliant", professional="59.5")
    )
    bad = _write(
        tmp_path, "csv-bad.toml", CSV_SCENARIO.format(status="compliant", professional="60")
    )
    passing, failing = run_all(["--lang", "en", "test", good], ["--lang", "en", "test", bad])
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert failing.returncode == 1
    assert (
        '  requirements.professional_hours.earned: expected "60", got "59.5" '
        "(rule professional_hours, 三(一))" in failing.stdout.splitlines()
    )
    check = run(
        "--lang", "en", "check", tmp_path / "records.csv", "--year", "2024", "--format", "json"
    )
    assert check.returncode == 1  # the same verdict from `check`: not compliant


def test_an_invalid_record_or_another_person_in_the_csv_is_an_error(tmp_path: Path) -> None:
    """A bad row, or records of two persons: exit 2 naming the line; never a verdict."""
    (tmp_path / "bad").mkdir()
    (tmp_path / "two").mkdir()
    _records(
        tmp_path / "bad", record(PERSON, "GX1", hours="三十"), record(PERSON, "ZY1", hours="60")
    )
    _records(
        tmp_path / "two", record(PERSON, "GX1"), record("370102199001015678", "ZY1", hours="60")
    )
    text = CSV_SCENARIO.format(status="compliant", professional="60")
    bad = _write(tmp_path / "bad", "s.toml", text)
    two = _write(tmp_path / "two", "s.toml", text)
    broken, mixed = run_all(["--lang", "en", "test", bad], ["test", two])
    assert broken.returncode == 2
    assert f"{bad}: scenario #1" in broken.stderr
    assert "records: records.csv:2 is invalid: hours '三十'" in broken.stderr
    assert mixed.returncode == 2
    assert (
        "records：records.csv 应恰好是一个人的记录（场景的人员），实际为："
        "370102198001011234, 370102199001015678" in mixed.stderr
    )


#: A file to snapshot: wrong and missing expectations, comments outside them.
TO_UPDATE = """\
# A comment at the top that must survive.
policy = "shandong-2024"
year = 2024

[[scenario]]
name = "an instructor of a featured course"  # why: 二(三)
clause = "二(三)"
decisions = [3]
entries = [
  # the featured course, taught
  { id = "T-1", role = "instructor", course = { category = "public", hours = "12.5", \
mode = "online", platform = "专技知到", featured = true } },
  { course = { category = "professional", hours = "61" } },
]
[scenario.expect]
status = "compliant"
entry = { T-1 = { reason = "counted", credited = "99" } }

# A comment between scenarios.
[[scenario]]
name = "nothing yet, before the year ends"
clause = "二(一), 三(一)"
as_of = 2024-06-30
entries = []
"""


def test_update_writes_the_verdicts_keeps_comments_and_then_passes(tmp_path: Path) -> None:
    """--update: the snapshot is what the verdict says, comments stay, the next run passes."""
    path = _write(tmp_path, "update.toml", TO_UPDATE)
    before = run("--lang", "en", "test", path)
    assert before.returncode == 2  # the second scenario has no expectations yet
    updated = run("--lang", "en", "test", path, "--update")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "expectations of 2 scenarios rewritten; review the diff" in updated.stderr
    text = path.read_text(encoding="utf-8")
    for comment in (
        "# A comment at the top",
        "# why: 二(三)",
        "# the featured course",
        "# A comment between",
    ):
        assert comment in text
    data = tomllib.loads(text)
    first, second = (table["expect"] for table in data["scenario"])

    # The verdicts, computed here from the same inputs, built without the runner.
    person = ce.Person(id=PERSON, unit=ce.UnitLevel.PROVINCIAL)
    featured = ce.Course(
        id="C-1", title="课程 C-1", category=ce.Category.PUBLIC, hours=Decimal("12.5"),
        mode=ce.Mode.ONLINE, platform="专技知到", featured=True,
    )  # fmt: skip
    professional = ce.Course(
        id="C-2", title="课程 C-2", category=ce.Category.PROFESSIONAL, hours=Decimal(61),
        mode=ce.Mode.OFFLINE, featured=False,
    )  # fmt: skip
    day = date(2024, 5, 1)
    verdict = ce.evaluate(
        person,
        [
            ce.CreditEntry(
                id="T-1",
                person_id=PERSON,
                course=featured,
                role=ce.Role.INSTRUCTOR,
                completed_on=day,
            ),
            ce.CreditEntry(person_id=PERSON, course=professional, completed_on=day),
        ],
        year=2024,
    )
    assert first["status"] == verdict.status.value == "non_compliant"  # 25 of 30 public hours
    assert first["certificate_eligible"] is verdict.certificate_eligible is False
    assert first["reasons"] == [d.reason.value for d in verdict.entries]
    assert first["findings"] == [f.code for f in verdict.findings]
    for result in verdict.requirements:
        written = first["requirements"][result.code]
        assert Decimal(written["earned"]) == result.earned
        assert Decimal(written["shortfall"]) == result.shortfall
        assert written["met"] is result.met
    assert first["requirements"]["public_hours"]["earned"] == "25"
    assert first["entry"] == {"T-1": {"reason": "counted", "credited": "25"}}
    empty = ce.evaluate(person, [], year=2024, as_of=date(2024, 6, 30))
    assert second["status"] == empty.status.value == "in_progress"
    assert second["reasons"] == []

    again, unchanged = run_all(
        ["--lang", "en", "test", path], ["--lang", "en", "test", path, "--update"]
    )
    assert again.returncode == 0, again.stdout
    assert unchanged.returncode == 0
    assert f"{path}: unchanged" in unchanged.stderr
    assert path.read_text(encoding="utf-8") == text  # deterministic: a second update is a no-op


def test_update_never_loses_a_comment_inside_expectations(tmp_path: Path) -> None:
    """A comment in an expectation block: the file is left alone, the snapshot goes beside it."""
    text = PASSING.replace('status = "non_compliant"', 'status = "compliant"  # wrong on purpose')
    path = _write(tmp_path, "commented.toml", text)
    updated = run("--lang", "en", "test", path, "--update")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    side = tmp_path / "commented.snapshot.toml"
    assert f"without comments); review it and merge by hand: {side}" in updated.stderr
    assert path.read_text(encoding="utf-8") == text
    snapshot = tomllib.loads(side.read_text(encoding="utf-8"))
    assert snapshot["scenario"][0]["expect"]["status"] == "non_compliant"
    assert side.read_text(encoding="utf-8").startswith("# A snapshot of commented.toml")
    folder, named = run_all(["--lang", "en", "test", tmp_path], ["--lang", "en", "test", side])
    assert folder.returncode == 1  # the original still expects "compliant"
    assert f"note: {side} is a policy file or a snapshot, not read as scenarios" in folder.stderr
    assert named.returncode == 0, named.stdout


def test_an_invalid_file_is_not_updated(tmp_path: Path) -> None:
    """--update on an invalid file: exit 2, nothing written."""
    text = PASSING.replace("clause =", "clauses =")
    path = _write(tmp_path, "invalid.toml", text)
    result = run("test", path, "--update")
    assert result.returncode == 2
    assert "缺少必填的“clause”" in result.stderr or "无法识别的键“clauses”" in result.stderr
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["invalid.toml"]


def test_a_folder_leaves_policy_files_aside_and_runs_the_rest(tmp_path: Path) -> None:
    """A folder with a policy file and nested scenario files: the policy is named, not run."""
    (tmp_path / "nested").mkdir()
    _write(tmp_path / "nested", "one.toml", PASSING)
    policy = (ROOT / "tests" / "data" / "overlays" / "national-strict-share.toml").read_text(
        encoding="utf-8"
    )
    _write(tmp_path, "overlay.toml", policy)
    result = run("--lang", "en", "test", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"note: {tmp_path / 'overlay.toml'} is a policy file" in result.stderr
    assert result.stdout.strip() == "1 scenarios in 1 file(s): 1 passed, 0 failed"
