"""Batch evaluation: records in, one verdict per person out, nothing lost."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import ce_rules as ce
from ce_rules import BatchVerdict, InputRecord, InvalidRecord, evaluate_many


def record(person: str = "P1", **overrides: Any) -> dict[str, Any]:
    """A flat record of 30 public hours in 2024, with ``overrides``."""
    base: dict[str, Any] = {
        "person_id": person,
        "course_id": "C1",
        "course_title": "绿色低碳高质量发展",
        "category": "公需科目",
        "hours": "30",
        "completed_on": "2024-05-01",
    }
    base.update(overrides)
    return base


def compliant(person: str) -> list[dict[str, Any]]:
    """Two records that make ``person`` compliant under shandong-2024."""
    return [
        record(person),
        record(person, course_id="Z1", course_title="专业课", category="专业科目", hours="60"),
    ]


def test_one_verdict_per_person_in_input_order() -> None:
    """Each person gets exactly one verdict, in the order they first appear."""
    records = [*compliant("A"), record("B"), *compliant("C")]
    verdicts = list(evaluate_many(records, year=2024))
    assert [v.person_id for v in verdicts] == ["A", "B", "C"]
    assert [v.compliant for v in verdicts] == [True, False, True]
    assert all(isinstance(v, BatchVerdict) for v in verdicts)


def test_chinese_column_names_and_values_are_read() -> None:
    """Records with Chinese headers and values mean the same as English ones."""
    zh = {
        "身份证号": "A",
        "课程编号": "C1",
        "课程名称": "课程",
        "科目类别": "专业科目",
        "学时": "60",
        "完成日期": "2024年5月1日",
        "角色": "学员",
        "审核状态": "已审核",
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
    }
    (from_zh,) = evaluate_many([zh], year=2024)
    (from_en,) = evaluate_many([en], year=2024)
    assert from_zh == from_en
    assert from_zh.requirement("professional_hours").earned == Decimal(60)


def test_matches_evaluate_for_credit_entries() -> None:
    """Entries given as objects get the same verdict as ``evaluate`` gives."""
    course = ce.Course(
        id="C", title="T", category=ce.Category.PUBLIC, hours=Decimal(30), mode=ce.Mode.OFFLINE
    )
    entry = ce.CreditEntry(person_id="A", course=course, completed_on=date(2024, 3, 1))
    person = ce.Person(id="A", unit=ce.UnitLevel.MUNICIPAL)
    (verdict,) = evaluate_many([entry], year=2024, persons=[person])
    expected = ce.evaluate(person, [entry], year=2024)
    assert ce.Verdict.model_validate(verdict.model_dump(exclude={"name", "invalid_records"})) == (
        expected
    )


def test_default_person_is_municipal_so_the_platform_rule_does_not_apply() -> None:
    """A person no record describes is municipal: online hours on any platform count."""
    records = [record("A", platform="某培训网", mode="online")]
    batch = evaluate_many(records, year=2024)
    (verdict,) = batch
    assert verdict.requirement("public_hours").met
    assert batch.totals.defaulted_persons == 1


def test_unit_level_from_a_record_applies_the_platform_rule() -> None:
    """A provincial-unit person (二(二)) gets no public hours from an unrecognised platform."""
    records = [record("A", platform="某培训网", unit="省直单位", name="张伟")]
    (verdict,) = evaluate_many(records, year=2024)
    assert verdict.entries[0].reason is ce.Reason.PLATFORM_NOT_RECOGNISED
    assert verdict.name == "张伟"


def test_invalid_record_is_reported_with_field_and_marks_the_person() -> None:
    """A bad value never aborts the batch: it is reported and the person is marked."""
    records = [
        InputRecord(record("A", hours="abc"), "f.csv", 2),
        InputRecord(record("A", course_id="C2"), "f.csv", 3),
        InputRecord(compliant("B")[0], "f.csv", 4),
    ]
    batch = evaluate_many(records, year=2024)
    verdicts = list(batch)
    assert [v.person_id for v in verdicts] == ["A", "B"]
    (bad,) = batch.invalid_records
    assert (bad.source, bad.line, bad.field, bad.value, bad.person_id) == (
        "f.csv",
        2,
        "hours",
        "abc",
        "A",
    )
    assert verdicts[0].has_invalid_input
    assert verdicts[0].invalid_records == (bad,)
    assert not verdicts[1].has_invalid_input


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"person_id": ""}, "person_id"),
        ({"category": "其他"}, "category"),
        ({"completed_on": "2024-02-30"}, "completed_on"),
        ({"completed_on": "yesterday"}, "completed_on"),
        ({"hours": "0"}, "hours"),
        ({"hours": "1.005"}, "hours"),
        ({"course_hours": "10", "hours": "20"}, "hours"),
        ({"credited_year": "2025"}, "credited_year"),
        ({"credited_year": "x"}, "credited_year"),
        ({"featured": "也许"}, "featured"),
        ({"featured": "是", "category": "专业科目"}, "featured"),
        ({"course_title": None}, "course_title"),
        ({"unit": "中央"}, "unit"),
        ({"status": "unknown"}, "status"),
    ],
)
def test_each_kind_of_bad_value_names_its_field(overrides: dict[str, Any], field: str) -> None:
    """The invalid record names the column at fault."""
    batch = evaluate_many([record("A", **overrides)], year=2024)
    list(batch)
    (bad,) = batch.invalid_records
    assert bad.field == field
    assert bad.reason


def test_reader_invalid_records_pass_through() -> None:
    """An ``InvalidRecord`` from a reader is counted and kept."""
    broken = InvalidRecord(index=0, source="f.csv", line=7, field="(row)", reason="x", code="row")
    batch = evaluate_many([broken, *compliant("A")], year=2024)
    assert [v.person_id for v in batch] == ["A"]
    assert batch.invalid_records[0].line == 7
    assert batch.totals.invalid == 1
    assert batch.totals.balanced


def test_presorted_streams_and_reports_a_person_seen_again() -> None:
    """Sorted input streams; a person reappearing later is reported, never judged twice."""
    records = [*compliant("A"), *compliant("B"), record("A", course_id="late")]
    batch = evaluate_many(records, year=2024, presorted=True)
    verdicts = list(batch)
    assert [v.person_id for v in verdicts] == ["A", "B"]
    (late,) = batch.invalid_records
    assert late.code == "unsorted"
    assert late.person_id == "A"
    assert batch.totals.balanced


def test_presorted_is_lazy() -> None:
    """With presorted input a verdict is issued before the rest of the input is read."""
    read: list[int] = []

    def source() -> Any:
        for number in range(1000):
            read.append(number)
            yield record(f"P{number:04d}")

    batch = evaluate_many(source(), year=2024, presorted=True)
    first = next(batch)
    assert first.person_id == "P0000"
    assert len(read) == 2


def test_unsorted_input_is_grouped_by_default() -> None:
    """Without presorted, a person's records may be anywhere in the input."""
    records = [record("A"), record("B"), record("A", **compliant("A")[1])]
    verdicts = {v.person_id: v for v in evaluate_many(records, year=2024)}
    assert verdicts["A"].compliant
    assert not verdicts["B"].compliant


def test_no_policy_for_the_year_is_an_error_before_any_record() -> None:
    """A year without a policy raises at once (decision 8)."""
    with pytest.raises(ce.PolicyNotFoundError):
        evaluate_many([record()], year=1995)


def test_bad_as_of_raises_at_once() -> None:
    """``as_of`` is checked when the batch is created, not at the first verdict."""
    with pytest.raises(ce.EvaluationInputError):
        evaluate_many([], year=2024, as_of="2024-01-01")  # type: ignore[arg-type]


def _random_records(seed: int) -> list[Any]:
    rng = random.Random(seed)
    out: list[Any] = []
    for number in range(60):
        person = f"P{rng.randrange(20):02d}"
        fields = record(
            person,
            course_id=f"C{rng.randrange(6)}",
            category=rng.choice(["公需科目", "专业科目", "public", "??"]),
            hours=rng.choice(["10", "20.5", "-1", "abc", "8"]),
            completed_on=rng.choice(["2024-03-01", "2023-12-31", "2024-13-01", "2024-06-01"]),
            status=rng.choice(["已审核", "待审核", "已驳回", "已撤销", "approved"]),
            platform=rng.choice([None, "专技知到", "某培训网"]),
            unit=rng.choice([None, "省直单位", "市属单位"]),
            role=rng.choice(["学员", "授课教师"]),
        )
        if rng.random() < 0.05:
            out.append(
                InvalidRecord(index=number, line=number, field="(row)", reason="r", code="row")
            )
        else:
            out.append(InputRecord(fields, "random.csv", number + 2))
    return out


@pytest.mark.parametrize("presorted", [False, True])
@pytest.mark.parametrize("seed", range(20))
def test_every_record_is_counted_excluded_or_invalid(seed: int, presorted: bool) -> None:
    """The totals add up: each record is counted, excluded with a reason, or invalid."""
    records = _random_records(seed)
    if presorted:
        # Mostly grouped; the reader's invalid records (no person) stay where they sort.
        records.sort(
            key=lambda r: (
                (r.person_id or "") if isinstance(r, InvalidRecord) else r.fields["person_id"]
            )
        )
    batch = evaluate_many(records, year=2024, presorted=presorted)
    verdicts = list(batch)
    totals = batch.totals
    decisions = [d for v in verdicts for d in v.entries]
    in_verdicts = sum(len(v.invalid_records) for v in verdicts)
    unassigned = [r for r in batch.invalid_records if r.person_id is None or r.code == "unsorted"]

    assert totals.records == len(records)
    assert totals.records == totals.counted + totals.excluded + totals.invalid
    assert totals.counted == sum(d.counted for d in decisions)
    assert totals.excluded == sum(not d.counted for d in decisions)
    assert all(d.reason for d in decisions if not d.counted)
    assert totals.invalid == len(batch.invalid_records) == in_verdicts + len(unassigned)
    assert sum(totals.by_reason.values()) == len(decisions)
    assert totals.persons == len(verdicts) == len({v.person_id for v in verdicts})
    assert totals.compliant + totals.non_compliant + totals.in_progress == totals.persons
    assert sorted(r.index for r in batch.invalid_records) == [
        r.index for r in batch.invalid_records
    ]


def test_verdicts_round_trip_through_json() -> None:
    """Batch verdicts (built on the engine's fast path) read back equal from their JSON."""
    records = [*compliant("A"), record("B", status="待审核"), record("C", role="授课教师")]
    for verdict in evaluate_many(records, year=2024):
        again = BatchVerdict.model_validate_json(verdict.model_dump_json())
        assert again == verdict
        assert again.model_dump() == verdict.model_dump()
        plain = ce.Verdict.model_validate_json(
            verdict.model_dump_json(exclude={"name", "invalid_records"})
        )
        assert plain.entries == verdict.entries


def test_presorted_detects_a_reappearance_after_descending_ids() -> None:
    """Grouped input whose ids are not ascending still reports a person seen again."""
    order = ["C", "A", "B", "A"]
    records = [record(person, course_id=f"K{n}") for n, person in enumerate(order)]
    batch = evaluate_many(records, year=2024, presorted=True)
    assert [v.person_id for v in batch] == ["C", "A", "B"]
    assert [r.code for r in batch.invalid_records] == ["unsorted"]


def test_presorted_ascending_ids_are_never_reported() -> None:
    """Ascending ids stream without any report."""
    records = [record(f"P{n:05d}") for n in range(500)]
    batch = evaluate_many(records, year=2024, presorted=True)
    assert len(list(batch)) == 500
    assert batch.invalid_records == []


def test_numeric_ids_from_json_or_spreadsheets_are_read_as_text() -> None:
    """A person id or course code stored as a number (JSON, xlsx) is the same id as text."""
    records = [
        record(12345, course_id=101, hours=30),
        record("12345", course_id=202, course_title="专业课", category="专业科目", hours=60),
    ]
    result = evaluate_many(records, year=2024)
    (verdict,) = list(result)
    assert result.invalid_records == []
    assert verdict.person_id == "12345"
    assert verdict.compliant
    assert [d.course_id for d in verdict.entries] == ["101", "202"]


def test_persons_describing_one_id_twice_differently_are_refused() -> None:
    """Two different descriptions of one person are an error naming the id, never last-wins."""
    provincial = ce.Person(id="A", unit=ce.UnitLevel.PROVINCIAL)
    municipal = ce.Person(id="A", unit=ce.UnitLevel.MUNICIPAL)
    with pytest.raises(ce.EvaluationInputError) as caught:
        evaluate_many([], year=2024, persons=[provincial, municipal])
    assert caught.value.field == "persons"
    assert caught.value.value == "A"
    assert list(evaluate_many(compliant("A"), year=2024, persons=[provincial, provincial]))


@pytest.mark.parametrize("presorted", [True, False])
def test_persons_given_without_any_record_are_judged_too(presorted: bool) -> None:
    """A person given in ``persons`` with no record has a verdict (0 hours), never left out."""
    given = [ce.Person(id=pid, unit=ce.UnitLevel.MUNICIPAL) for pid in ("A", "B", "C")]
    result = evaluate_many(compliant("B"), year=2024, persons=given, presorted=presorted)
    verdicts = list(result)
    assert [v.person_id for v in verdicts] == ["B", "A", "C"]
    assert [v.compliant for v in verdicts] == [True, False, False]
    assert verdicts[1].requirement("public_hours").shortfall == Decimal(30)
    assert result.totals.persons == 3
    assert result.totals.non_compliant == 2
    assert result.totals.balanced
