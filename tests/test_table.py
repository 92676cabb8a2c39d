"""Records judged in bulk (columnar) give exactly what ``evaluate_many`` gives, row for row."""

from __future__ import annotations

import errno
import json
import random
from datetime import date
from pathlib import Path
from typing import Any
from unittest.mock import patch

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import ce_rules as ce
from _policies import VARIANT  # tests/_policies.py
from ce_rules import BrokenRow, RawRow, SkippedRow, _table, evaluate_many
from ce_rules._message import Message
from ce_rules._output import OutputError
from ce_rules._render import excluded_rows, verdict_cells
from ce_rules._table import _plain_id, batches_of, evaluate_tables, verdict_json

ROOT = Path(__file__).parent.parent
BASE = ce.get_policy("shandong", 2024)
POLICIES = (
    BASE,
    VARIANT,
    ce.policy_by_id("cn-national-2015"),
    ce.merge_overlay(BASE, ce.load_overlay(ROOT / "examples/overlays/example-city-2024.toml")),
)

#: Cells as offices write them, for each column: good ones, then bad ones (after None).
GOOD: dict[str, list[Any]] = {
    "person_id": ["370102198001011234", "370102198001011234", "37010219800101123x", "A\u200b1",
                  "A1", "37010219800101123X"],
    "name": [None, "张三", "李四"],
    "unit": [None, None, "省直单位", "市属"],
    "city": [None, "济南市", "青岛市"],
    "course_id": ["C1", "C2", "C1", None],
    "course_title": ["绿色低碳", "专业课", "建筑 结构 抗震设计" , "很长的课程名称" * 12],
    "category": ["公需科目", "专业科目", "public"],
    "hours": ["10", "30", "20.5", "１０", "10学时", "60"],
    "course_hours": [None, None, None, "30"],
    "mode": [None, "远程教育", "线下培训", "面授"],
    "platform": [None, "专技知到", "某培训网"],
    "featured": [None, "是", "否", ""],
    "topics": [None, "黄河流域生态保护和高质量发展", "数字技术;自定"],
    "role": [None, "学员", "授课教师"],
    "completed_on": ["2024-03-01", "2023-12-31", "2024/6/1 8:30", "45413", "2024-11-01"],
    "credited_year": [None, None, None, "2023"],
    "status": [None, "已审核", "待审核", "已驳回", "已撤销"],
    "entry_id": [None, "R1", "R2", "R1"],
    "certificate_no": [None, "Z-1"],
}  # fmt: skip
BAD: dict[str, list[Any]] = {
    "person_id": ["3.70602E+17", "", "P 1"],
    "unit": ["未知级别"],
    "course_id": ["C 3"],
    "course_title": [None],
    "category": ["??"],
    "hours": ["-1", "abc", "3_0"],
    "course_hours": ["5"],
    "mode": ["云"],
    "featured": ["maybe"],
    "role": ["?"],
    "completed_on": ["2024-13-01", "05/01/2024", None],
    "credited_year": ["2025", "20x4"],
    "status": ["通过?"],
    "entry_id": ["R 3"],
}


def _rows(seed: int, count: int, *, featured_column: bool, topics_column: bool = True) -> list[Any]:
    rng = random.Random(seed)
    out: list[Any] = []
    source = "a.csv"
    position = 0
    for number in range(count):
        if number == count // 2:
            source, position = "b.xlsx[表]", 0  # a second file
        position += 1
        draw = rng.random()
        if draw < 0.04:
            wrong = Message(zh="列数不对", en="wrong width")
            out.append(
                BrokenRow(
                    source=source, line=position, code="too_many_fields", message=wrong, text="x"
                )
            )
        elif draw < 0.08:
            out.append(SkippedRow(source=source, line=position, kind="footer", text="合计"))
        else:
            cells = {
                name: rng.choice(BAD[name] if name in BAD and rng.random() < 0.02 else values)
                for name, values in GOOD.items()
            }
            if not featured_column:
                cells.pop("featured")
            if not topics_column:  # topics not recorded (decision 14)
                cells.pop("topics")
            if rng.random() < 0.03 and topics_column:
                cells["topics"] = ce.BadCell(
                    code="not_a_cell", message=Message(zh="不是值", en="not a value")
                )
            out.append(RawRow(source=source, line=position, cells=cells))
    return out


def _dump(verdict: ce.BatchVerdict) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(verdict.model_dump_json())
    return data


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    count=st.integers(0, 80),
    featured_column=st.booleans(),
    topics_column=st.booleans(),
    policy=st.sampled_from(POLICIES),
    default_unit=st.sampled_from([None, ce.UnitLevel.MUNICIPAL]),
    default_mode=st.sampled_from([None, ce.Mode.OFFLINE]),
    as_of=st.sampled_from([None, date(2024, 6, 30)]),
    size=st.sampled_from([7, 65_536]),
    parts=st.sampled_from([1, 1, 3]),
)
def test_bulk_judgement_is_evaluate_many(
    seed: int,
    count: int,
    featured_column: bool,
    topics_column: bool,
    policy: ce.Policy,
    default_unit: ce.UnitLevel | None,
    default_mode: ce.Mode | None,
    as_of: date | None,
    size: int,
    parts: int,
) -> None:
    """Every verdict (every field, in JSON), invalid record, skipped row and total is the same.

    Also when the persons are judged in partitions, their entries on disk in between.
    """
    rows = _rows(seed, count, featured_column=featured_column, topics_column=topics_column)
    persons = {"A1": ce.Person(id="A1", unit=ce.UnitLevel.PROVINCIAL, city="淄博市")}
    want_batch = evaluate_many(
        rows, year=2024, policy=policy, as_of=as_of, persons=persons,
        default_unit=default_unit, default_mode=default_mode,
    )  # fmt: skip
    want = [_dump(v) for v in want_batch]
    got_batch = evaluate_tables(
        batches_of(rows, size), year=2024, policy=policy, as_of=as_of, persons=persons,
        default_unit=default_unit, default_mode=default_mode, parts=parts,
    )  # fmt: skip
    got = [_dump(v) for v in got_batch.verdicts()]
    assert [v["person_id"] for v in got] == [v["person_id"] for v in want]
    for mine, theirs in zip(got, want, strict=True):
        assert mine == theirs
    assert got_batch.invalid_records == want_batch.invalid_records
    assert got_batch.skipped == want_batch.skipped
    assert got_batch.totals.as_dict() == want_batch.totals.as_dict()


@given(st.text(max_size=70) | st.from_regex(r"[0-9A-Za-z_\-]{1,70}", fullmatch=True))
@example("7" * 64)
@example("7" * 65)
@example("")
@example("3701021980010112x")
@example("37010219800101123x")
@example("3701021980010112é")
def test_ids_taken_natively_are_those_parse_id_takes_as_they_are(text: str) -> None:
    """The native test passes exactly the ids of parse_id's fast path (returned unchanged)."""
    cells = ce._cells  # type: ignore[attr-defined]
    native = pl.DataFrame({"v": [text]}).select(_plain_id(pl.col("v")))["v"][0]
    fast = bool(
        cells._PLAIN_ID.fullmatch(text)
        and text not in cells._NULLS
        and not (len(text) == 18 and text[17] == "x")
    )
    assert native == fast
    if native:
        assert cells.parse_id(text) == text


def _decision_row(verdict: ce.BatchVerdict, index: int) -> dict[str, Any]:
    decision, ref = verdict.entries[index], verdict.records[index]
    return {
        "person_id": verdict.person_id, "index": decision.index, "source": ref.source,
        "line": ref.line, "entry_id": decision.entry_id, "course_id": decision.course_id,
        "category": decision.category.value, "role": decision.role.value,
        "credited_year": decision.credited_year, "hours": decision.hours,
        "factor": decision.factor, "credited_hours": decision.credited_hours,
        "would_add": decision.would_add, "undetermined_hours": decision.undetermined_hours,
        "missing_facts": list(decision.missing_facts), "counted": decision.counted,
        "reason": decision.reason.value, "rule": decision.rule,
        "clause": None if decision.citation is None else decision.citation.clause,
        "decision": decision.decision, "duplicate_of": decision.duplicate_of,
    }  # fmt: skip


def _verdict_row(verdict: ce.BatchVerdict) -> dict[str, Any]:
    row: dict[str, Any] = {
        "person_id": verdict.person_id, "name": verdict.person.name,
        "unit": None if verdict.person.unit is None else verdict.person.unit.value,
        "status": verdict.status.value, "compliant": verdict.compliant,
        "certificate_eligible": verdict.certificate_eligible,
        "missing_facts": list(verdict.missing_facts),
    }  # fmt: skip
    for result in verdict.requirements:
        for name in ("required", "earned", "shortfall", "pending", "undetermined", "met"):
            row[f"{result.code}_{name}"] = getattr(result, name)
        row[f"{result.code}_determined"] = result.determined
    row |= {
        "invalid_records": len(verdict.invalid_records), "fingerprint": verdict.fingerprint,
        "year": verdict.year, "policy_id": verdict.policy_id,
        "policy_version": verdict.policy_version,
    }  # fmt: skip
    return row


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    count=st.integers(0, 60),
    policy=st.sampled_from(POLICIES),
    as_of=st.sampled_from([None, date(2024, 6, 30)]),
)
def test_the_flat_frames_say_what_the_verdicts_say(
    seed: int, count: int, policy: ce.Policy, as_of: date | None
) -> None:
    """Every row and column of ``frames()`` is the field of the verdict or decision it names."""
    rows = _rows(seed, count, featured_column=True)
    result = evaluate_tables(batches_of(rows, 16), year=2024, policy=policy, as_of=as_of)
    verdicts = list(result.verdicts())
    frames = result.frames()
    people = [_verdict_row(v) for v in verdicts]
    assert frames.verdicts.to_dicts() == people
    want = [_decision_row(v, i) for v in verdicts for i in range(len(v.entries))]
    assert frames.decisions.to_dicts() == want
    if want:  # the columns in the order documented (Frames)
        assert frames.verdicts.columns == list(people[0])
        assert frames.decisions.columns == list(want[0])
    problems = [(r.index, r.source, r.line, p.field, p.code) for r in result.invalid_records
                for p in r.problems]  # fmt: skip
    assert frames.invalid.select("index", "source", "line", "field", "code").rows() == problems


#: Ids whose JSON needs escapes or is not ASCII (a quote, a backslash, Chinese, a slash).
ODD_IDS = ['R"1', "C\\2", "课程一", "a/b", "R1"]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    count=st.integers(0, 60),
    policy=st.sampled_from(POLICIES),
    as_of=st.sampled_from([None, date(2024, 6, 30)]),
    default_unit=st.sampled_from([None, ce.UnitLevel.MUNICIPAL]),
    given=st.booleans(),
    topics_column=st.booleans(),
)
def test_the_verdicts_json_is_pydantics(
    seed: int,
    count: int,
    policy: ce.Policy,
    as_of: date | None,
    default_unit: ce.UnitLevel | None,
    given: bool,
    topics_column: bool,
) -> None:
    """``verdict_json`` writes exactly what ``model_dump_json`` writes, byte for byte.

    It writes each decision once for each distinct shape and completes the text around
    each entry's ids natively: ids that need escapes and other files' names included, and
    the finding of topics not recorded (decision 14).
    """
    rng = random.Random(seed)
    rows = _rows(seed, count, featured_column=True, topics_column=topics_column)
    for row in rows:
        if isinstance(row, RawRow) and rng.random() < 0.3:
            row.cells["entry_id"] = rng.choice(ODD_IDS)
            row.cells["course_id"] = rng.choice(ODD_IDS)
    # A person given (their records may disagree with them), and one read from records.
    persons = {"A1": ce.Person(id="A1", name="王五", unit=ce.UnitLevel.PROVINCIAL)} if given else {}
    result = evaluate_tables(
        batches_of(rows, 16), year=2024, policy=policy, as_of=as_of, persons=persons,
        default_unit=default_unit,
    )  # fmt: skip
    want = [v.model_dump_json() for v in result.verdicts()]
    assert list(verdict_json(result)) == want
    with patch.object(_table, "_JSON_SLICE", 3):  # written a few persons at a time
        assert list(verdict_json(result)) == want


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    count=st.integers(0, 80),
    policy=st.sampled_from(POLICIES),
    part=st.integers(1, 12),
)
def test_judging_a_run_of_persons_at_a_time_changes_nothing(
    seed: int, count: int, policy: ce.Policy, part: int
) -> None:
    """Persons judged in runs of a few entries give the frames of one judgement of all."""
    rows = _rows(seed, count, featured_column=True)
    whole = evaluate_tables(batches_of(rows, 16), year=2024, policy=policy, as_of=None)
    with patch.object(_table, "_PART_ENTRIES", part):
        runs = evaluate_tables(batches_of(rows, 16), year=2024, policy=policy, as_of=None)
    assert runs.frames().verdicts.equals(whole.frames().verdicts)
    assert runs.frames().decisions.equals(whole.frames().decisions)
    assert runs.totals == whole.totals


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    count=st.integers(0, 80),
    policy=st.sampled_from(POLICIES),
    parts=st.integers(1, 9),
    size=st.sampled_from([5, 64]),
    default_unit=st.sampled_from([None, ce.UnitLevel.MUNICIPAL]),
)
def test_judging_by_partition_of_persons_changes_nothing(
    seed: int,
    count: int,
    policy: ce.Policy,
    parts: int,
    size: int,
    default_unit: ce.UnitLevel | None,
) -> None:
    """Persons judged in partitions, their entries on disk in between, give the same result."""
    rows = _rows(seed, count, featured_column=True)
    persons = {"A1": ce.Person(id="A1", unit=ce.UnitLevel.PROVINCIAL, city="淄博市")}

    def judged(parts: int) -> _table.TableResult:
        return evaluate_tables(
            batches_of(rows, size), year=2024, policy=policy, as_of=None, persons=persons,
            default_unit=default_unit, parts=parts,
        )  # fmt: skip

    whole, cut = judged(1), judged(parts)
    for mine, theirs in zip(cut.frames(), whole.frames(), strict=True):
        assert mine.equals(theirs)
    assert cut.persons.equals(whole.persons)
    assert (cut.findings, cut.assumed, cut.given) == (whole.findings, whole.assumed, whole.given)
    assert cut.invalid_records == whole.invalid_records
    assert cut.totals == whole.totals
    assert list(verdict_json(cut)) == list(verdict_json(whole))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    count=st.integers(0, 80),
    policy=st.sampled_from(POLICIES),
    parts=st.sampled_from([1, 4]),
)
def test_a_batch_without_its_counted_decisions_says_the_same(
    seed: int, count: int, policy: ce.Policy, parts: int
) -> None:
    """Without the decisions of entries that count: the same verdicts, exclusions and totals.

    What needs every decision (verdict objects, frames, JSON) is refused, not made wrong.
    """
    rows = _rows(seed, count, featured_column=True)
    whole = evaluate_tables(batches_of(rows, 16), year=2024, policy=policy, as_of=None)
    lean = evaluate_tables(
        batches_of(rows, 16), year=2024, policy=policy, as_of=None, counted=False, parts=parts
    )
    assert lean.totals == whole.totals
    assert not lean.complete
    assert not lean.judged.decisions["counted"].any()
    assert lean.judged.verdicts.equals(whole.judged.verdicts)
    assert lean.excluded().equals(whole.excluded())
    assert whole.excluded().equals(whole.frames().decisions.filter(~pl.col("counted")))
    for language in ("en", "zh"):
        assert verdict_cells(lean, language).equals(verdict_cells(whole, language))
        assert list(excluded_rows(lean, language)) == list(excluded_rows(whole, language))
    with pytest.raises(ValueError, match="counted=False"):
        lean.frames()
    with pytest.raises(ValueError, match="counted=False"):
        lean.verdicts()
    with pytest.raises(ValueError, match="counted=False"):
        list(verdict_json(lean))


def test_partitions_leave_no_temporary_file_and_a_full_disk_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary files go with the run, whether it ends well or not."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    rows = _rows(3, 60, featured_column=True)
    result = evaluate_tables(batches_of(rows, 8), year=2024, policy=BASE, as_of=None, parts=5)
    assert result.totals.persons
    assert list(tmp_path.iterdir()) == []

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError("No space left on device (os error 28)")

    monkeypatch.setattr(pl.DataFrame, "write_ipc", full)
    with pytest.raises(OutputError) as raised:
        evaluate_tables(batches_of(rows, 8), year=2024, policy=BASE, as_of=None, parts=5)
    assert raised.value.errno == errno.ENOSPC
    assert "TMPDIR" in raised.value.message.en
    assert "磁盘空间不足" in raised.value.message.zh
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="at least 1"):
        evaluate_tables([], year=2024, policy=BASE, as_of=None, parts=0)


def test_a_temporary_file_gone_before_it_is_read_back_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cleaner that empties the temporary folder mid-run: an error naming it, not a crash."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    rows = _rows(3, 60, featured_column=True)
    read = pl.read_ipc

    def gone(source: Any, **options: Any) -> pl.DataFrame:
        if isinstance(source, Path):  # a temporary file, not a frame kept in memory
            source.unlink()
        return read(source, **options)

    monkeypatch.setattr(pl, "read_ipc", gone)
    with pytest.raises(OutputError) as raised:
        evaluate_tables(batches_of(rows, 8), year=2024, policy=BASE, as_of=None, parts=5)
    assert raised.value.errno == errno.ENOENT
    assert raised.value.path == str(tmp_path)
    assert raised.value.message.en == (
        f"cannot read back temporary files in {tmp_path} (No such file or directory): a large "
        "input is held there between reading and judging; run again, and keep the folder from "
        "being cleaned while it runs"
    )
    assert raised.value.message.zh == (
        f"无法在 {tmp_path} 读回临时文件（文件或文件夹不存在）："
        "大批量记录在读取后、判定前暂存于此；请重新运行，运行期间不要清理该文件夹"
    )
    assert list(tmp_path.iterdir()) == []


_TERMINAL_TEXT = st.text(
    alphabet=st.sampled_from(
        ["a", "Z", "7", " ", "-", "张", "欧", "Ａ", "\u0301", "é", "ｶ", "·", "\u3000"]
    ),
    max_size=8,
)


@given(
    rows=st.lists(st.lists(_TERMINAL_TEXT, min_size=6, max_size=6), max_size=12),
    lang=st.sampled_from(["zh", "en"]),
    batch=st.integers(min_value=1, max_value=5),
)
def test_table_lines_are_the_cells_padded_to_their_columns(
    rows: list[list[str]], lang: str, batch: int
) -> None:
    """The native table is, line for line, each row's cells padded to the widest of its column.

    Widths are terminal widths (``display_width``: wide and fullwidth characters take two
    columns, a combining accent as one character); every batch of lines is joined the same.
    """
    from ce_rules import _render
    from ce_rules._render import _header_cells, _padded, display_width, table_lines

    policy = ce.get_policy("shandong", 2024)
    names = ["person_id", "name", "status", "public", "professional", "invalid"]
    assert len(_header_cells(policy, lang)) == len(names)
    cells = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    everything = [_header_cells(policy, lang), *rows]
    widths = [max(display_width(row[i]) for row in everything) for i in range(len(names))]
    with patch.object(_render, "_TABLE_ROWS", batch):
        text = "".join(table_lines(cells, policy, lang))
    assert text == "".join(_padded(row, widths) for row in everything)


def test_the_defaults_assumed_are_listed_in_the_order_evaluate_many_lists_them() -> None:
    """A person whose unit and mode both come from the defaults: mode, then unit, in both."""
    cells = {"person_id": "P1", "course_title": "课", "category": "公需科目", "hours": "30",
             "completed_on": "2024-05-01", "topics": "数字技术"}  # fmt: skip
    rows = [RawRow(source="a.csv", line=1, cells=cells)]
    defaults: dict[str, Any] = {
        "year": 2024, "policy": BASE, "as_of": None,
        "default_unit": ce.UnitLevel.MUNICIPAL, "default_mode": ce.Mode.OFFLINE,
    }  # fmt: skip
    want = [f.code for v in evaluate_many(rows, **defaults) for f in v.findings]
    judged = evaluate_tables(batches_of(rows), **defaults)
    got = [f.code for v in judged.verdicts() for f in v.findings]
    assert want[-2:] == ["assumed_mode", "assumed_unit"]
    assert got == want


def test_evaluate_table_takes_a_lazy_frame_and_refuses_what_is_not_a_table() -> None:
    """A LazyFrame of records is judged as its result; a list is refused by name."""
    frame = pl.DataFrame(
        {"身份证号": ["370102198001011234"] * 2, "课程名称": ["甲", "乙"],
         "科目类别": ["公需科目", "专业科目"], "学时": ["30", "60"],
         "完成日期": ["2024-05-01", "2024-06-01"], "单位级别": ["市属单位"] * 2,
         "学习形式": ["面授"] * 2}
    )  # fmt: skip
    eager = list(ce.evaluate_table(frame, year=2024, policy=BASE))
    lazy = list(ce.evaluate_table(frame.lazy(), year=2024, policy=BASE))
    assert [v.model_dump_json() for v in lazy] == [v.model_dump_json() for v in eager]
    assert [v.status for v in lazy] == [ce.Status.COMPLIANT]
    with pytest.raises(ce.EvaluationInputError) as raised:
        ce.evaluate_table([1, 2], year=2024, policy=BASE)
    assert (raised.value.field, raised.value.value, raised.value.message) == (
        "records",
        "list",
        "must be a polars DataFrame or LazyFrame, or an Arrow table or record batch",
    )
