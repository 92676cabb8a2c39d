"""The registry of regions: a new province's year is one TOML file in a folder, and no Python.

A fictional province (region ``fictional``) is written to ``tmp_path`` with minimums,
clauses and citations of its own, and judged through the API and the command line.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

import ce_rules as ce
from test_cli import EXAMPLE, bare_command, cli_env, command

BUNDLED = Path(ce.__file__).parent / "policies"

#: A province that does not exist: 24 public and 56 professional 学时, its own clauses.
FICTIONAL = (Path(__file__).parent / "data" / "fictional-2025.toml").read_text(encoding="utf-8")

#: Records of four persons in 2025, as an office exports them, topics by their Chinese names.
RECORDS = """\
身份证号,姓名,单位级别,课程编号,课程名称,科目类别,学时,学习形式,专题,角色,完成日期,审核状态
F001,甲,市属单位,G-1,公需一,公需科目,24,线下培训,海洋经济高质量发展,学员,2025-03-01,已审核
F001,甲,市属单位,Z-1,专业一,专业科目,56,线下培训,,学员,2025-04-01,已审核
F002,乙,市属单位,G-2,公需二,公需科目,23.5,线下培训,数字经济,学员,2025-03-01,已审核
F002,乙,市属单位,Z-1,专业一,专业科目,60,线下培训,,学员,2025-04-01,已审核
F003,丙,市属单位,G-3,公需三,公需科目,30,线下培训,乡村振兴,学员,2025-03-01,已审核
F003,丙,市属单位,Z-1,专业一,专业科目,55,线下培训,,学员,2025-04-01,已审核
F004,丁,市属单位,G-2,公需二,公需科目,30,线下培训,数字经济,学员,2025-03-01,已审核
F004,丁,市属单位,Z-1,专业一,专业科目,60,线下培训,,学员,2025-04-01,已审核
"""


def fictional_folder(tmp_path: Path) -> Path:
    """A folder holding the fictional province's policy file."""
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "fictional-2025.toml").write_text(FICTIONAL, encoding="utf-8")
    return folder


def entry(
    course_id: str, category: ce.Category, hours: str, topics: tuple[str, ...] = ()
) -> ce.CreditEntry:
    """An approved learner entry of an offline course completed in 2025."""
    course = ce.Course(
        id=course_id,
        title=course_id,
        category=category,
        hours=ce.parse_hours(hours),
        mode=ce.Mode.OFFLINE,
        topics=topics,
    )
    return ce.CreditEntry(
        person_id="F002", course=course, role=ce.Role.LEARNER, completed_on=date(2025, 3, 1)
    )


def run(*args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m ce_rules ARGS`` exactly as given (no region added), UTF-8."""
    return subprocess.run(
        bare_command(*args),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        env=cli_env(**env),
        timeout=120,
    )


def test_bundled_regions_are_listed_with_their_years() -> None:
    """ce.regions() names every bundled region and the policy of each of its years."""
    regions = {r.id: r for r in ce.regions()}
    assert set(regions) == {"shandong", "cn-national"}
    assert regions["shandong"].years == (2024,)
    assert regions["shandong"].policies == ("shandong-2024",)
    assert regions["cn-national"].describe() == "cn-national (2016–2026)"
    assert ce.load_registry().policy("shandong", 2024) is ce.get_policy("shandong", 2024)


def test_a_region_or_year_nothing_governs_names_what_is_registered() -> None:
    """An unknown region or year is PolicyNotFoundError listing the regions and their years."""
    registry = ce.load_registry()
    with pytest.raises(ce.PolicyNotFoundError, match=r"shandong \(2024\)") as caught:
        registry.policy("shandong", 2025)
    assert caught.value.year == 2025
    with pytest.raises(ce.PolicyNotFoundError, match="'fictional'"):
        registry.region_policies("fictional")
    with pytest.raises(ce.PolicyNotFoundError, match="fictional-2025"):
        registry.by_id("fictional-2025")


def test_a_fictional_province_is_one_file_in_a_folder(tmp_path: Path) -> None:
    """A folder's policy is registered by region and year and judged under its own clauses."""
    registry = ce.load_registry(fictional_folder(tmp_path))
    assert [r.describe() for r in registry.regions()] == [
        "cn-national (2016–2026)",
        "fictional (2025)",
        "shandong (2024)",
    ]
    policy = registry.policy("fictional", 2025)
    assert policy.id == "fictional-2025"
    assert registry.source("fictional-2025") == str(tmp_path / "policies" / "fictional-2025.toml")
    person = ce.Person(id="F002", unit=ce.UnitLevel.MUNICIPAL)
    entries = [
        entry("G-1", ce.Category.PUBLIC, "23.5", ("数字经济",)),
        entry("Z-1", ce.Category.PROFESSIONAL, "60"),
    ]
    verdict = ce.evaluate(person, entries, year=2025, policy=policy)
    assert verdict.status is ce.Status.NON_COMPLIANT
    public = verdict.requirement("public_hours")
    assert (public.required, public.earned, public.shortfall) == (
        24,
        ce.parse_hours("23.5"),
        ce.parse_hours("0.5"),
    )
    assert public.citation.clause == "第三条"
    assert verdict.requirement("professional_hours").met
    assert verdict.requirement("professional_hours").citation.clause == "第四条"
    assert verdict.certificate_citation is not None
    assert verdict.certificate_citation.clause == "第七条"
    assert "第三条" in verdict.explain("en")
    # 数字经济 is an elective area (第六条), not one of the province's key series (第五条).
    (finding,) = verdict.findings
    assert finding.code == "fictional_key_topics"
    assert finding.citation is not None
    assert finding.citation.clause == "第五条"
    # A key series by its id, its Chinese or English name, or an alias covers it.
    for topic in (
        "coastal_economy",
        "海洋经济高质量发展",
        "All-round rural revitalisation",
        "乡村振兴",
    ):
        entries[0] = entry("G-1", ce.Category.PUBLIC, "24", (topic,))
        covered = ce.evaluate(person, entries, year=2025, policy=policy)
        assert covered.status is ce.Status.COMPLIANT, topic
        assert covered.findings == (), topic
    assert policy.topic("rural_revitalisation").name.en == "All-round rural revitalisation"
    assert [t.id for t in policy.topics] == [
        "coastal_economy",
        "rural_revitalisation",
        "digital_economy",
    ]
    catalogue = ce.rule_catalogue(policy)
    assert "Region `fictional`; years: 2025." in catalogue
    assert "| `public_hours` | min_hours |" in catalogue
    assert "公需科目每年不少于24学时" in catalogue
    name = "High-quality development of the marine economy"
    assert f"| `coastal_economy` | 海洋经济高质量发展 | {name} | 第五条 |" in catalogue
    assert (
        "advisory: public hours in one of 海洋经济高质量发展、乡村全面振兴 | 第五条 |" in catalogue
    )


def test_the_environment_variable_adds_folders(tmp_path: Path) -> None:
    """CE_RULES_POLICY_PATH is read when environ is given, before the folders named."""
    folder = fictional_folder(tmp_path)
    environ = {ce.POLICY_PATH_VARIABLE: str(folder)}
    assert ce.load_registry(environ=environ).policy("fictional", 2025).id == "fictional-2025"
    with pytest.raises(ce.PolicyNotFoundError):
        ce.load_registry().policy("fictional", 2025)


def test_a_broken_file_in_a_folder_is_named(tmp_path: Path) -> None:
    """Every *.toml of a folder is read at load time: a broken one is named with its field."""
    folder = fictional_folder(tmp_path)
    broken = folder / "zz-broken.toml"
    broken.write_text(FICTIONAL.replace("hours = 24", 'hours = "24 学时"'), encoding="utf-8")
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.load_registry(folder)
    assert caught.value.source == str(broken)
    assert caught.value.field == "rules[0].min_hours.hours"


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        # Another province's file reusing the fictional id with other content.
        (("hours = 24", "hours = 20"), "id", "already the id of another policy"),
        # Another policy for the same region and year.
        (('id = "fictional-2025"', 'id = "fictional-2025-bis"'), "years", "already governed"),
        # An overlay whose base is nowhere.
        (
            ('id = "fictional-2025"', 'id = "fictional-city"\nextends = "nowhere-2025"\n'
             'applies_to = { city = "虚构市" }'),
            "extends",
            "'nowhere-2025' is not a registered policy",
        ),
    ],
)  # fmt: skip
def test_a_folder_policy_that_conflicts_is_refused(
    tmp_path: Path, change: tuple[str, str], field: str, says: str
) -> None:
    """Two contents under one id, two policies for one year, or an overlay without a base."""
    folder = fictional_folder(tmp_path)
    other = folder / "other.toml"
    other.write_text(FICTIONAL.replace(*change), encoding="utf-8")
    with pytest.raises(ce.PolicyFileError, match=says) as caught:
        ce.load_registry(folder)
    assert caught.value.source == str(other)
    assert caught.value.field == field


def test_a_folder_may_not_change_a_bundled_policy(tmp_path: Path) -> None:
    """A folder file with a bundled id and other content is refused; an exact copy is the same."""
    folder = tmp_path / "copies"
    folder.mkdir()
    text = (BUNDLED / "shandong-2024.toml").read_text(encoding="utf-8")
    (folder / "copy.toml").write_text(text, encoding="utf-8")
    assert ce.load_registry(folder).policy("shandong", 2024).id == "shandong-2024"
    (folder / "edited.toml").write_text(text.replace("hours = 30", "hours = 20"), "utf-8")
    with pytest.raises(ce.PolicyFileError, match="bundled policy") as caught:
        ce.load_registry(folder)
    assert caught.value.source == str(folder / "edited.toml")
    missing = tmp_path / "absent"
    with pytest.raises(ce.PolicyFileError, match="absent") as absent:
        ce.load_registry(missing)
    assert absent.value.field == "(folder)"


def test_the_command_line_judges_a_fictional_province(tmp_path: Path) -> None:
    """`check --policies DIR --region fictional`: its minimums and its clauses, exit 1."""
    folder = fictional_folder(tmp_path)
    records = tmp_path / "records.csv"
    records.write_text(RECORDS, encoding="utf-8")
    args = ["--lang", "en", "check", records, "--year", "2025", "--region", "fictional"]
    table = run(*args, "--policies", folder)
    assert table.returncode == 1, table.stderr
    assert table.stderr == ""
    lines = {line.split()[0]: line for line in table.stdout.splitlines() if line.startswith("F")}
    assert " compliant " in lines["F001"]
    assert "23.5/24 short 0.5" in lines["F002"]
    assert "55/56 short 1" in lines["F003"]
    assert " compliant " in lines["F004"]
    as_json = run(*args, "--policies", folder, "--format", "json")
    assert as_json.returncode == 1, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["policy_id"] == "fictional-2025"
    verdicts = {v["person_id"]: v for v in data["verdicts"]}
    # The key series of 第五条: covered by 海洋经济高质量发展 (F001) and by the alias 乡村振兴
    # (F003); 数字经济 (F002, F004) is an elective area, an advisory finding only.
    findings = {pid: [f["code"] for f in v["findings"]] for pid, v in verdicts.items()}
    assert findings == {
        "F001": [],
        "F002": ["fictional_key_topics"],
        "F003": [],
        "F004": ["fictional_key_topics"],
    }
    assert verdicts["F004"]["status"] == "compliant"
    assert verdicts["F004"]["findings"][0]["citation"]["clause"] == "第五条"
    assert {r["code"]: r["citation"]["clause"] for r in verdicts["F002"]["requirements"]} == {
        "public_hours": "第三条",
        "professional_hours": "第四条",
    }
    explained = run(
        "--lang", "en", "explain", "F002", records, "--year", "2025", "--region", "fictional",
        "--policies", folder,
    )  # fmt: skip
    assert explained.returncode == 1, explained.stderr
    assert "第三条" in explained.stdout
    assert "第七条" in explained.stdout
    # A report never replaces one of the policy files it was judged under.
    over = run(*args, "--policies", folder, "-o", folder / "fictional-2025.toml")
    assert over.returncode == 2
    assert (folder / "fictional-2025.toml").read_text(encoding="utf-8") == FICTIONAL
    # The same folder through the environment variable.
    by_env = run(*args, **{ce.POLICY_PATH_VARIABLE: str(folder)})
    assert by_env.returncode == 1, by_env.stderr
    assert by_env.stdout == table.stdout


def test_rules_and_policies_show_a_folders_policies(tmp_path: Path) -> None:
    """`rules --region` and `policies` list a folder's policy, its clauses and quotes."""
    folder = fictional_folder(tmp_path)
    rules = run("--lang", "en", "rules", "--region", "fictional", "--policies", folder)
    assert rules.returncode == 0, rules.stderr
    assert rules.stdout.startswith("fictional-2025 v1.0.0")
    assert "public_hours (min_hours) [第三条] Public subjects: at least 24" in rules.stdout
    assert "虚构省2025年通知 第四条：“专业科目每年不少于56学时”" in rules.stdout
    assert "certificate: public_hours, professional_hours [第七条]" in rules.stdout
    assert "topic coastal_economy [第五条] High-quality development of the marine economy" in (
        rules.stdout
    )
    assert "topic digital_economy [第六条] Digital economy" in rules.stdout
    in_zh = run("rules", "--region", "fictional", "--policies", folder)
    assert "专题 rural_revitalisation [第五条] 乡村全面振兴" in in_zh.stdout
    assert "shandong-2024" not in rules.stdout
    listed = run("policies", "--policies", folder)
    assert listed.returncode == 0, listed.stderr
    assert "fictional-2025\tv1.0.0\tfictional\t2025\t" in listed.stdout
    unknown = run("--lang", "en", "rules", "--region", "fictional")
    assert unknown.returncode == 2
    assert "no policy governs region 'fictional'" in unknown.stderr


def test_a_broken_folder_file_stops_the_command_naming_it(tmp_path: Path) -> None:
    """A broken file in --policies DIR: exit 2, the file and the field named, nothing judged."""
    folder = fictional_folder(tmp_path)
    (folder / "broken.toml").write_text(FICTIONAL.replace("years = [2025]", "years = []"), "utf-8")
    result = run(
        "--lang", "en", "check", EXAMPLE, "--year", "2025", "--region", "fictional",
        "--policies", folder,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{folder / 'broken.toml'}: years" in result.stderr


def test_no_region_is_deprecated_and_refused_where_shandong_has_no_year(tmp_path: Path) -> None:
    """Neither --region nor --policy: a warning naming the regions, then Shandong as in 0.1.

    Where Shandong has no policy for the year, the command refuses, listing the regions.
    """
    warned = run("--lang", "en", "check", EXAMPLE, "--year", "2024")
    assert warned.returncode == 1
    assert "deprecated" in warned.stderr
    assert "give --region shandong (known regions: cn-national (2016–2026), shandong (2024))" in (
        warned.stderr
    )
    explicit = subprocess.run(
        command("--lang", "en", "check", EXAMPLE, "--year", "2024"),
        capture_output=True, text=True, encoding="utf-8", check=False, env=cli_env(),
    )  # fmt: skip
    assert explicit.stdout == warned.stdout
    assert "deprecated" not in explicit.stderr
    zh = run("check", EXAMPLE, "--year", "2025", "--policies", fictional_folder(tmp_path))
    assert zh.returncode == 2
    assert zh.stdout == ""
    assert "请指明适用的规则" in zh.stderr
    assert "cn-national (2016–2026)、fictional (2025)、shandong (2024)" in zh.stderr
    both = run("check", EXAMPLE, "--year", "2024", "--region", "shandong", "--policy", "x")
    assert both.returncode == 2
    assert "请只给出 --region 或 --policy 之一" in both.stderr


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (
            ('topics = ["coastal_economy", "rural_revitalisation"]',
             'topics = ["coastal_economy", "fishing"]'),
            "rules[2].topics[1]",
            "'fishing' is not a topic series of this policy",
        ),
        (('id = "digital_economy"', 'id = "coastal_economy"'), "topics[2].id", "used twice"),
        (('clause = "第六条"', 'clause = ""'), "topics[2].clause", "at least 1 character"),
    ],
)  # fmt: skip
def test_topic_series_are_checked_when_the_file_is_read(
    tmp_path: Path, change: tuple[str, str], field: str, says: str
) -> None:
    """A key series the policy does not declare, an id twice, a series without its clause."""
    path = tmp_path / "fictional.toml"
    assert change[0] in FICTIONAL
    path.write_text(FICTIONAL.replace(*change), encoding="utf-8")
    with pytest.raises(ce.PolicyFileError, match=says) as caught:
        ce.load_policy(path)
    assert caught.value.source == str(path)
    assert field in caught.value.field


def test_an_overlay_adds_topic_series_and_may_not_rename_its_bases(tmp_path: Path) -> None:
    """A city's overlay declares its own series beside the base's; renaming one is refused."""
    base = ce.load_policy(fictional_folder(tmp_path) / "fictional-2025.toml")
    overlay_text = """\
id = "fictional-city-2025"
version = "1.0.0"
region = "fictional"
title = "虚构市通知"
title_en = "Fictional city notice"
authority = "虚构市人力资源和社会保障局"
years = [2025]
extends = "fictional-2025"
applies_to = { city = "虚构市" }

[[topics]]
id = "port_logistics"
name = { zh = "港口物流", en = "Port logistics" }
clause = "第二条"

[[rules]]
kind = "key_topics"
code = "city_key_topics"
topics = ["coastal_economy", "port_logistics"]
citation = { document = "虚构市通知", clause = "第二条", quote = "围绕港口物流开展学习" }
message = { zh = "围绕港口物流开展学习", en = "Public subjects centre on port logistics" }
"""
    path = tmp_path / "city.toml"
    path.write_text(overlay_text, encoding="utf-8")
    merged = ce.merge_overlay(base, ce.load_overlay(path))
    assert [t.id for t in merged.topics][-1] == "port_logistics"
    person = ce.Person(id="F002", unit=ce.UnitLevel.MUNICIPAL, city="虚构市")
    entries = [
        entry("G-1", ce.Category.PUBLIC, "24", ("港口物流",)),
        entry("Z-1", ce.Category.PROFESSIONAL, "56"),
    ]
    verdict = ce.evaluate(person, entries, year=2025, policy=merged)
    # 港口物流 covers the city's series, not the province's: the province's finding stays.
    assert [f.code for f in verdict.findings] == ["fictional_key_topics"]
    path.write_text(
        overlay_text.replace('id = "port_logistics"', 'id = "coastal_economy"'), encoding="utf-8"
    )
    with pytest.raises(ce.PolicyFileError, match="declares the topic series 'coastal_economy'"):
        ce.merge_overlay(base, ce.load_overlay(path))
