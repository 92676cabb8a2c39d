"""Batch evaluation: records in any order, one verdict per person out, nothing lost."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ce_rules as ce
from ce_rules import BatchVerdict, BrokenRow, RawRow, SkippedRow, evaluate_many
from ce_rules._message import Message
from ce_rules._records import PersonRowError, person_of_cells


def record(person: str = "P1", **overrides: Any) -> dict[str, Any]:
    """A flat record of 30 public hours in 2024, with ``overrides``."""
    base: dict[str, Any] = {
        "person_id": person,
        "course_id": "C1",
        "course_title": "绿色低碳高质量发展",
        "category": "公需科目",
        "hours": "30",
        "mode": "线下培训",
        "completed_on": "2024-05-01",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def compliant(person: str) -> list[dict[str, Any]]:
    """Two records that make ``person`` compliant under shandong-2024."""
    return [
        record(person),
        record(person, course_id="Z1", course_title="专业课", category="专业科目", hours="60"),
    ]


def test_one_verdict_per_person_sorted_by_id() -> None:
    """Each person gets exactly one verdict, sorted by person id whatever the input order."""
    records = [*compliant("C"), record("B"), *compliant("A")]
    verdicts = list(evaluate_many(records, year=2024))
    assert [v.person_id for v in verdicts] == ["A", "B", "C"]
    assert [v.compliant for v in verdicts] == [True, False, True]
    assert all(isinstance(v, BatchVerdict) for v in verdicts)


def test_records_of_a_person_scattered_are_judged_together() -> None:
    """A person's records apart from each other (a file sorted by date) make one verdict."""
    a_public, a_professional = compliant("A")
    records = [a_public, *compliant("B"), a_professional]
    verdicts = {v.person_id: v for v in evaluate_many(records, year=2024)}
    assert verdicts["A"].compliant
    assert len(verdicts["A"].entries) == 2


def test_chinese_column_names_and_values_are_read() -> None:
    """Records with Chinese headers and values mean the same as English ones."""
    zh = {
        "身份证号": "A",
        "课程编号": "C1",
        "课程名称": "课程",
        "科目类别": "专业科目",
        "学时": "60学时",
        "完成时间": "2024年5月1日 08:30",
        "角色": "学员",
        "审核结果": "审核通过",
        "学习方式": "面授",
    }
    en = {
        "person_id": "A",
        "course_id": "C1",
        "course_title": "课程",
        "category": "professional",
        "hours": "60",
        "completed_on": "2024-05-01",
        "role": "learner",
        "status": "approved",
        "mode": "offline",
    }
    (from_zh,) = evaluate_many([zh], year=2024)
    (from_en,) = evaluate_many([en], year=2024)
    assert from_zh.requirement("professional_hours").met
    assert from_zh.fingerprint == from_en.fingerprint


def test_matches_evaluate_for_credit_entries() -> None:
    """CreditEntry objects give the verdict evaluate gives."""
    person = ce.Person(id="P1", unit=ce.UnitLevel.PROVINCIAL)
    course = ce.Course(
        id="C1", title="t", category="public", hours=30, mode="online", platform="专技知到"
    )
    entry = ce.CreditEntry(person_id="P1", course=course, completed_on=date(2024, 5, 1))
    (verdict,) = evaluate_many([entry], year=2024, persons=[person])
    direct = ce.evaluate(person, [entry], year=2024)
    assert verdict.status == direct.status
    assert verdict.fingerprint == direct.fingerprint
    assert verdict.entries == direct.entries


def test_unknown_unit_makes_an_unrecognised_platform_undetermined() -> None:
    """Without a unit level, online public hours on another platform are undetermined (二(二))."""
    records = [
        record("A", mode="远程教育", platform="某培训网"),
        record("A", course_id="Z1", course_title="专业课", category="专业科目", hours="60"),
    ]
    (verdict,) = evaluate_many(records, year=2024)
    assert verdict.status is ce.Status.UNDETERMINED
    assert verdict.missing_facts == ("unit",)
    assert verdict.certificate_eligible is None
    public = verdict.requirement("public_hours")
    assert (public.earned, public.undetermined, public.met, public.determined) == (
        0,
        30,
        False,
        False,
    )
    decision = verdict.entries[0]
    assert decision.reason is ce.Reason.UNDETERMINED
    assert decision.missing_facts == ("unit",)
    assert decision.rule == "provincial_platforms"


def test_unknown_unit_does_not_matter_on_a_recognised_platform() -> None:
    """A recognised platform counts for either unit level: nothing is undetermined."""
    records = [
        record("A", mode="远程教育", platform="专技知到"),
        record("A", course_id="Z1", course_title="专业课", category="专业科目", hours="60"),
    ]
    (verdict,) = evaluate_many(records, year=2024)
    assert verdict.status is ce.Status.COMPLIANT
    assert verdict.missing_facts == ()


def test_a_supplied_default_unit_is_used_and_said() -> None:
    """default_unit decides the unknown unit, and the verdict says it was assumed."""
    records = [
        record("A", mode="远程教育", platform="某培训网"),
        record("A", course_id="Z1", course_title="专业课", category="专业科目", hours="60"),
    ]
    (municipal,) = evaluate_many(records, year=2024, default_unit=ce.UnitLevel.MUNICIPAL)
    (provincial,) = evaluate_many(records, year=2024, default_unit=ce.UnitLevel.PROVINCIAL)
    assert municipal.status is ce.Status.COMPLIANT
    assert provincial.status is ce.Status.NON_COMPLIANT
    assert municipal.assumed == ("unit",)
    assert any(f.code == "assumed_unit" and f.decision == 11 for f in municipal.findings)


def test_records_disagreeing_on_the_unit_leave_it_unknown() -> None:
    """Two records naming different unit levels: neither wins; a finding names both."""
    records = [
        record("A", unit="省直单位", mode="远程教育", platform="某培训网"),
        record("A", unit="市属单位", course_id="Z1", course_title="专业", category="专业科目",
               hours="60"),
    ]  # fmt: skip
    (verdict,) = evaluate_many(records, year=2024, default_unit=ce.UnitLevel.MUNICIPAL)
    assert verdict.person.unit is None
    assert verdict.status is ce.Status.UNDETERMINED
    assert verdict.assumed == ()
    (finding,) = [f for f in verdict.findings if f.code == "conflicting_unit"]
    assert "省直单位" in finding.message.zh
    assert "市属单位" in finding.message.zh


def test_records_giving_one_id_two_names_say_so_and_change_no_hours() -> None:
    """王小明 and 王晓明 under one ID: the first name is shown, a finding names both (a typo?)."""
    first, second = compliant("A")
    records = [
        {**first, "name": "王小明"},
        {**second, "name": "王晓明"},
        record("A", name="王小明"),
    ]
    (verdict,) = evaluate_many(records, year=2024)
    (alone,) = evaluate_many([first, second], year=2024)
    assert verdict.person.name == "王小明"
    assert verdict.requirements == alone.requirements
    assert verdict.status is ce.Status.COMPLIANT
    (finding,) = [f for f in verdict.findings if f.code == "conflicting_name"]
    assert finding.decision is None
    assert finding.message.zh == (
        "同一身份证号的记录中的姓名不一致：王小明、王晓明；显示第一个；请核对身份证号是否填错"
    )
    assert finding.message.en == (
        "the records of one ID give different names: 王小明, 王晓明; the first is shown; "
        "check that the ID is not mistyped"
    )
    given = ce.Person(id="A", name="王晓明")
    (listed,) = evaluate_many(records, year=2024, persons=[given])
    assert listed.person.name == "王晓明"
    (finding,) = [f for f in listed.findings if f.code == "conflicting_name"]
    assert finding.message.zh.startswith("人员名单与记录中的姓名不一致：王晓明、王小明")
    assert "以人员名单为准" in finding.message.zh
    # A list without names: the name is the records', as if no list were given.
    (unnamed,) = evaluate_many(records, year=2024, persons=[ce.Person(id="A")])
    assert unnamed.person.name == "王小明"
    assert [f for f in unnamed.findings if f.code == "conflicting_name"] == [
        f for f in verdict.findings if f.code == "conflicting_name"
    ]


def test_a_fact_the_persons_file_leaves_blank_is_the_records() -> None:
    """docs/cli.md, "Persons": each fact from the list, else the records, else the default.

    A list of ids and unit levels only keeps the city and name the records give; a unit it
    leaves blank is the records', or the default unit where no record gives one.
    """
    records = [record("A", name="张伟", city="济南市", unit="市属单位"), record("B", city="青岛市")]
    persons = [ce.Person(id="A", unit=ce.UnitLevel.PROVINCIAL), ce.Person(id="B")]
    a, b = evaluate_many(records, year=2024, persons=persons, default_unit=ce.UnitLevel.MUNICIPAL)
    assert (a.person.name, a.person.city, a.person.unit) == (
        "张伟",
        "济南市",
        ce.UnitLevel.PROVINCIAL,
    )
    assert [f.code for f in a.findings if f.code.startswith("conflicting")] == ["conflicting_unit"]
    assert a.assumed == ()
    assert (b.person.city, b.person.unit) == ("青岛市", ce.UnitLevel.MUNICIPAL)
    assert b.assumed == ("unit",)


def test_unknown_mode_matters_only_where_a_platform_rule_could_apply() -> None:
    """Without a mode, a provincial person's public hours on another platform are undetermined."""
    person = ce.Person(id="A", unit=ce.UnitLevel.PROVINCIAL)
    records = [
        record("A", mode=None, platform="某培训网"),
        record(
            "A", mode=None, course_id="Z1", course_title="专业", category="专业科目", hours="60"
        ),
    ]
    (verdict,) = evaluate_many(records, year=2024, persons=[person])
    assert verdict.missing_facts == ("mode",)
    assert verdict.status is ce.Status.UNDETERMINED
    (offline,) = evaluate_many(records, year=2024, persons=[person], default_mode=ce.Mode.OFFLINE)
    assert offline.status is ce.Status.COMPLIANT
    assert offline.assumed == ("mode",)


def test_a_featured_instructor_without_the_featured_column_is_undetermined() -> None:
    """An instructor record with no featured column counts 1x for certain, 2x possibly (二(三))."""
    person = ce.Person(id="A", unit=ce.UnitLevel.MUNICIPAL)
    taught = record("A", hours="10", mode="远程教育", platform="专技知到", role="授课教师")
    (verdict,) = evaluate_many([taught], year=2024, persons=[person])
    decision = verdict.entries[0]
    assert decision.reason is ce.Reason.UNDETERMINED
    assert (decision.credited_hours, decision.undetermined_hours) == (10, 10)
    assert decision.missing_facts == ("featured",)
    (blank,) = evaluate_many([{**taught, "featured": ""}], year=2024, persons=[person])
    assert blank.entries[0].reason is ce.Reason.COUNTED
    assert blank.entries[0].credited_hours == 10


def test_a_record_without_a_course_id_is_identified_by_its_title() -> None:
    """No course id: the title names the course, so its copies are duplicates (decision 4)."""
    records = [record("A", course_id=None), record("A", course_id=None)]
    (verdict,) = evaluate_many(records, year=2024)
    assert [d.reason for d in verdict.entries] == [ce.Reason.COUNTED, ce.Reason.DUPLICATE]
    assert verdict.entries[0].course_id == "绿色低碳高质量发展"


def test_an_invalid_record_names_every_problem_in_both_languages() -> None:
    """Every bad cell of a record is reported, not only the first, in Chinese and English."""
    row = RawRow(
        source="f.csv",
        line=7,
        cells={**record("A", hours="三十", category="公需课程x"), "completed_on": "05/01/2024"},
    )
    batch = evaluate_many([row, *compliant("B")], year=2024)
    verdicts = list(batch)
    (invalid,) = batch.invalid_records
    assert (invalid.source, invalid.line, invalid.person_id) == ("f.csv", 7, "A")
    assert [p.field for p in invalid.problems] == ["category", "hours", "completed_on"]
    assert all(p.message.zh and p.message.en for p in invalid.problems)
    assert "专业科目" in invalid.problems[0].message.zh  # the accepted values are listed
    a = next(v for v in verdicts if v.person_id == "A")
    assert a.invalid_records == (invalid,)
    assert a.has_invalid_input


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hours": "abc"}, "hours"),
        ({"hours": "3_0"}, "hours"),
        ({"category": "x"}, "category"),
        ({"completed_on": "1714521600"}, "completed_on"),
        ({"role": "?"}, "role"),
        ({"status": "?"}, "status"),
        ({"featured": "maybe"}, "featured"),
        ({"credited_year": "20x4"}, "credited_year"),
        ({"person_id": "3.70602E+17"}, "person_id"),
        ({"person_id": "3701\x0102"}, "person_id"),
        ({"course_title": None}, "course_title"),
        ({"featured": "是", "category": "专业科目"}, "featured"),
        ({"credited_year": "2025"}, "credited_year"),
    ],
)
def test_each_kind_of_bad_value_names_its_field(overrides: dict[str, Any], field: str) -> None:
    """A bad value is reported under its column, never silently accepted or dropped."""
    batch = evaluate_many([record("A", **overrides)], year=2024)
    list(batch)
    (invalid,) = batch.invalid_records
    assert field in [p.field for p in invalid.problems]


def test_rows_from_readers_pass_through() -> None:
    """A broken row is an invalid record; a skipped row is counted; totals balance."""
    broken = BrokenRow(
        source="f.csv", line=7, code="unclosed_quote", message=Message(zh="引号", en="quote"),
        text='A,"x',
    )  # fmt: skip
    skipped = SkippedRow(source="f.csv", line=9, kind="footer", text="合计")
    batch = evaluate_many([broken, *compliant("A"), skipped], year=2024)
    list(batch)
    assert [r.line for r in batch.invalid_records] == [7]
    assert batch.skipped == [skipped]
    totals = batch.totals
    assert (totals.records, totals.invalid, totals.skipped, totals.counted) == (4, 1, 1, 2)
    assert totals.balanced


def test_no_policy_for_the_year_is_an_error_before_any_record() -> None:
    """A year without a policy fails at once, not at the first verdict."""
    with pytest.raises(ce.PolicyNotFoundError):
        evaluate_many([record()], year=1995)


def test_bad_as_of_raises_at_once() -> None:
    """An as_of that is not a date fails when the batch is made."""
    with pytest.raises(ce.EvaluationInputError):
        evaluate_many([], year=2024, as_of="2024-01-01")  # type: ignore[arg-type]


_CELLS = {
    "category": ["公需科目", "专业科目", "public", "??"],
    "hours": ["10", "20.5", "-1", "abc", "8", "１０"],
    "completed_on": ["2024-03-01", "2023-12-31", "2024-13-01", "2024/6/1 8:30"],
    "status": ["已审核", "待审核", "已驳回", "已撤销", "approved"],
    "platform": [None, "专技知到", "某培训网"],
    "unit": [None, "省直单位", "市属单位"],
    "role": ["学员", "授课教师"],
    "mode": [None, "远程教育", "线下培训"],
}


def _random_rows(seed: int, count: int = 60) -> list[Any]:
    rng = random.Random(seed)
    out: list[Any] = []
    for number in range(count):
        person = f"P{rng.randrange(12):02d}"
        cells = record(person, course_id=f"C{rng.randrange(6)}")
        cells.update({name: rng.choice(values) for name, values in _CELLS.items()})
        cells = {k: v for k, v in cells.items() if v is not None}
        draw = rng.random()
        if draw < 0.05:
            out.append(
                BrokenRow(source="r.csv", line=number + 2, code="too_many_fields",
                          message=Message(zh="列数不对", en="wrong width"), text="x")
            )  # fmt: skip
        elif draw < 0.1:
            out.append(SkippedRow(source="r.csv", line=number + 2, kind="blank", text=""))
        else:
            out.append(RawRow(source="r.csv", line=number + 2, cells=cells))
    return out


def _summary(verdicts: list[BatchVerdict]) -> dict[str, Any]:
    return {
        v.person_id: (
            v.status,
            v.fingerprint,
            tuple((r.earned, r.undetermined, r.pending) for r in v.requirements),
            sorted((d.reason, d.credited_hours, d.course_id) for d in v.entries),
            sorted(r.line or 0 for r in v.invalid_records),
        )
        for v in verdicts
    }


@given(seed=st.integers(0, 10_000), split=st.integers(0, 60), data=st.randoms())
def test_order_and_splitting_never_change_a_verdict(
    seed: int, split: int, data: random.Random
) -> None:
    """Any shuffle of the records, and any split into two inputs, gives the same verdicts."""
    rows = _random_rows(seed)
    expected = _summary(list(evaluate_many(rows, year=2024)))
    shuffled = rows[:]
    data.shuffle(shuffled)
    first, second = shuffled[:split], shuffled[split:]
    got = _summary(list(evaluate_many([*second, *first], year=2024)))
    assert got == expected


@pytest.mark.parametrize("seed", range(10))
def test_every_record_is_counted_excluded_invalid_or_skipped(seed: int) -> None:
    """The totals add up: records == counted + excluded + invalid + skipped."""
    rows = _random_rows(seed)
    batch = evaluate_many(rows, year=2024)
    verdicts = list(batch)
    totals = batch.totals
    decisions = [d for v in verdicts for d in v.entries]
    assert totals.records == len(rows)
    assert totals.balanced
    assert totals.counted == sum(d.counted for d in decisions)
    assert totals.excluded == sum(not d.counted for d in decisions)
    assert totals.invalid == len(batch.invalid_records)
    assert sum(totals.by_reason.values()) == len(decisions)
    assert totals.persons == len(verdicts)
    assert (
        totals.compliant + totals.non_compliant + totals.in_progress + totals.undetermined
        == totals.persons
    )


def test_verdicts_round_trip_through_json() -> None:
    """A batch verdict survives JSON unchanged."""
    for verdict in evaluate_many([*compliant("A"), record("B", hours="x")], year=2024):
        again = BatchVerdict.model_validate_json(verdict.model_dump_json())
        assert again == verdict


def test_numeric_ids_from_json_are_read_as_text_and_mangled_ones_refused() -> None:
    """An id given as a JSON integer is its digits; one in scientific notation is refused."""
    exact = record(370102198001011234)  # type: ignore[arg-type]
    batch = evaluate_many([exact, record(3.70602e17)], year=2024)  # type: ignore[arg-type]
    verdicts = list(batch)
    assert [v.person_id for v in verdicts] == ["370102198001011234"]
    (invalid,) = batch.invalid_records
    assert invalid.problems[0].code == "spreadsheet_number"


def test_persons_describing_one_id_twice_differently_are_refused() -> None:
    """Two different descriptions of one person are an error, not a silent choice."""
    provincial = ce.Person(id="A", unit=ce.UnitLevel.PROVINCIAL)
    municipal = ce.Person(id="A", unit=ce.UnitLevel.MUNICIPAL)
    with pytest.raises(ce.EvaluationInputError):
        evaluate_many([], year=2024, persons=[provincial, municipal])
    assert list(evaluate_many(compliant("A"), year=2024, persons=[provincial, provincial]))


def test_persons_given_without_any_record_are_judged_too() -> None:
    """A person of ``persons`` without records gets a non-compliant verdict, not silence."""
    given = [ce.Person(id="A", unit=ce.UnitLevel.MUNICIPAL)]
    result = evaluate_many(compliant("B"), year=2024, persons=given)
    verdicts = {v.person_id: v for v in result}
    assert verdicts["A"].status is ce.Status.NON_COMPLIANT
    assert verdicts["A"].entries == ()
    assert result.totals.persons == 2


def test_mapping_keys_not_understood_are_reported() -> None:
    """A key that names no column is listed, never silently dropped."""
    result = evaluate_many([{**record("A"), "是否优质": "是", "序号": "1"}], year=2024)
    list(result)
    assert result.unknown_fields == ["是否优质"]


def test_a_persons_row_is_read_by_the_one_parser_of_each_column() -> None:
    """``person_of_cells``: the persons list of check and of Spark, its errors naming the column."""
    person = person_of_cells({"person_id": " 370102198001011234 ", "unit": "省直单位"})
    assert person == ce.Person(id="370102198001011234", unit=ce.UnitLevel.PROVINCIAL)
    with pytest.raises(PersonRowError) as caught:
        person_of_cells({"person_id": "A1", "unit": "未知级别"})
    assert (caught.value.field, caught.value.value) == ("unit", "未知级别")
    assert caught.value.message.en.startswith("unit: ")
    assert caught.value.message.zh.startswith("单位级别：")
    with pytest.raises(PersonRowError) as caught:
        person_of_cells({"name": "张三"})
    assert caught.value.field == "person_id"
    assert caught.value.message == ce.Message(zh="缺少身份证号", en="person_id is required")


def test_a_policy_applied_to_another_year_on_purpose_in_bulk() -> None:
    """Decision 8: ``allow_other_year`` is honoured in bulk as by ``evaluate``, and said.

    The 2024 policy applied to records of 2025: every verdict carries the finding, in
    rows and in a table alike; without the flag the batch is refused before anything runs.
    """
    import polars as pl

    rows = [
        record("A", completed_on="2025-05-01"),
        record("A", course_id="Z1", category="专业科目", hours="60", completed_on="2025-06-01"),
    ]
    for result in (
        evaluate_many(rows, year=2025, policy="shandong-2024", allow_other_year=True),
        ce.evaluate_table(
            pl.DataFrame(rows), year=2025, policy="shandong-2024", allow_other_year=True
        ),
    ):
        (verdict,) = result
        assert verdict.status is ce.Status.COMPLIANT
        assert [f.code for f in verdict.findings if f.decision == 8] == ["policy_outside_years"]
    with pytest.raises(ce.EvaluationInputError, match="pass allow_other_year=True"):
        evaluate_many(rows, year=2025, policy="shandong-2024")
    with pytest.raises(ce.EvaluationInputError, match="pass allow_other_year=True"):
        ce.evaluate_table(pl.DataFrame(rows), year=2025, policy="shandong-2024")


@pytest.mark.parametrize("year", ["2024", 2024.0, True])
def test_a_year_that_is_not_an_int_is_refused_as_such(year: object) -> None:
    """A year given as text (a partition value, an argument) is named, not looked up."""
    with pytest.raises(ce.EvaluationInputError, match="must be an int calendar year"):
        evaluate_many([], year=year)  # type: ignore[arg-type]


def test_course_cells_equal_in_python_are_read_each_as_itself() -> None:
    """1 and True are equal keys in Python, not the same cell: each course read as itself.

    Nor is a course whose record has no featured column the course whose record leaves
    it blank: the first's flag is unknown (decision 11), the second's 否.
    """
    rows = [record("A", course_title=1), record("A", course_title=True)]
    result = evaluate_many(rows, year=2024)
    (verdict,) = result
    assert [e.course_id for e in verdict.entries] == ["C1"]
    ((problem,),) = [r.problems for r in result.invalid_records]
    assert (problem.field, problem.code) == ("course_title", "wrong_type")
    online = {"mode": "远程教育", "platform": "专技知到", "role": "授课教师", "unit": "市属单位"}
    blank, absent = {**record("B", **online), "featured": None}, record("C", **online)
    (first,), (second,) = (v.entries for v in evaluate_many([blank, absent], year=2024))
    assert (first.reason, first.missing_facts) == (ce.Reason.COUNTED, ())
    assert (second.reason, second.missing_facts) == (ce.Reason.UNDETERMINED, ("featured",))
    # Nor a course whose record leaves its topics blank (none recorded) the course whose
    # record has no topics column (not recorded: decision 14).
    recorded, unrecorded = {**record("D"), "topics": None}, record("E")
    codes = [[f.code for f in v.findings] for v in evaluate_many([recorded, unrecorded], year=2024)]
    assert codes == [["public_topics"], ["key_topics_not_recorded"]]


def test_a_problem_shows_the_cell_as_read() -> None:
    """A typed value as the parser reads it (10.1234, 2024-05-01); what is no cell, as written."""
    rows = [
        record("A", hours=Decimal("10.1234")),
        record("A", course_id="C2", course_title=["甲", "乙"]),
    ]
    result = evaluate_many(rows, year=2024)
    list(result)
    shown = [(p.field, p.value) for r in result.invalid_records for p in r.problems]
    assert shown == [("hours", "10.1234"), ("course_title", "['甲', '乙']")]
