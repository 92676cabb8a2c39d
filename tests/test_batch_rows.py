"""The fast path of CSV files: blocks of rows say exactly what records one by one say.

``ce-rules check`` reads a CSV file in blocks (``read_items``) and translates many rows
at once; ``read_records`` gives the same file one ``InputRecord`` at a time, through
the record-by-record path. Whatever the cells hold, both must give the same verdicts,
invalid records and totals; and split lines must be what ``csv.reader`` returns.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce_rules import Course, CreditEntry, evaluate_many
from ce_rules._batch import CourseRow, EntryRow, _runs
from ce_rules._io import csv_items, read_items, read_records

HEADER = [
    "身份证号", "姓名", "单位级别", "记录编号", "课程编号", "课程名称", "科目类别", "学时",
    "学习形式", "学习平台", "是否优质在线公需课", "角色", "完成日期", "审核状态", "证书编号",
]  # fmt: skip

#: Cells per column: mostly valid values, with the faults and oddities files have.
CELLS: dict[str, list[str]] = {
    "身份证号": ["P1", "P2", "P3", " P2 ", "", "X" * 65],
    "姓名": ["张伟", "", " 李娜 ", "名" * 201],
    "单位级别": ["省直单位", "市属单位", "", "provincial", " 省直 ", "中央单位"],
    "记录编号": ["R1", "", " R2 ", "R" * 65],
    "课程编号": ["GX-1", "ZY-1", "ZY-2", ""],
    "课程名称": ["课程", "专题", ""],
    "科目类别": ["公需科目", "专业科目", "专业", "其他", ""],
    "学时": ["20", "12.5", "0", "-2", "1.005", "abc", ""],
    "学习形式": ["远程教育", "线下培训", "", "线上"],
    "学习平台": ["专技知到", "某某培训网", ""],
    "是否优质在线公需课": ["否", "是", "", "maybe"],
    "角色": ["学员", "授课教师", "", " 学员 ", "Learner", "校长"],
    "完成日期": ["2024-03-01", "2024-12-31", "2023-06-30", "2024/5/6", "2024-02-30", ""],
    "审核状态": ["已审核", "待审核", "已驳回", "", "审核通过", "未知"],
    "证书编号": ["", "Z-1", "Z" * 65],
}


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    """A record file: sorted or not, with broken, blank and short lines."""
    lines = [",".join(HEADER)]
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["row"] * 12 + ["blank", "short", "long", "spaces"]))
        if kind == "blank":
            lines.append("")
        elif kind == "short":
            lines.append("P1,张伟,省直单位")
        elif kind == "spaces":
            lines.append(",".join([" "] * len(HEADER)))
        else:
            cells = [draw(st.sampled_from(CELLS[name])) for name in HEADER]
            lines.append(",".join(cells + ([""] if kind == "long" else [])))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


def batch_of(items: Any) -> dict[str, Any]:
    """Everything a streamed batch of ``items`` reports, as plain data."""
    batch = evaluate_many(items, year=2024, presorted=True)
    verdicts = [v.model_dump(mode="json") for v in batch]
    return {
        "verdicts": verdicts,
        "invalid": [r.model_dump(mode="json") for r in batch.invalid_records],
        "totals": batch.totals.as_dict(),
    }


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=csv_texts())
def test_blocks_and_records_agree(tmp_path: Path, text: str) -> None:
    """The same verdicts, invalid records (with field, line, reason) and totals."""
    path = tmp_path / "records.csv"
    path.write_text(text, encoding="utf-8")
    assert batch_of(read_items(path)) == batch_of(read_records(path))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=csv_texts())
def test_every_fast_entry_is_what_the_model_makes_of_it(tmp_path: Path, text: str) -> None:
    """An ``EntryRow`` (and its ``CourseRow``) holds exactly what validation makes of it."""
    path = tmp_path / "records.csv"
    path.write_text(text, encoding="utf-8")
    for run in _runs(read_items(path)):
        for entry in run.entries:
            if isinstance(entry, EntryRow):
                fields = {**entry._asdict(), "course": entry.course._asdict()}
                model = CreditEntry.model_validate(fields)
                assert model.course.__dict__ == entry.course._asdict()
                assert {**model.__dict__, "course": entry.course} == entry._asdict()


def test_entry_rows_have_the_fields_of_credit_entries() -> None:
    """Same names, same order: the engine reads either alike."""
    assert EntryRow._fields == tuple(CreditEntry.model_fields)
    assert CourseRow._fields == tuple(Course.model_fields)


#: Characters that make splitting lines hard: delimiters, quotes, line breaks, spaces.
LINE_TEXT = st.text(alphabet=st.sampled_from(list(',"\r\n \tab1张\x00')), max_size=60)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=LINE_TEXT)
def test_rows_are_what_csv_reader_reads(tmp_path: Path, body: str) -> None:
    """Split lines, blocks and csv.reader fallbacks give csv.reader's rows and lines."""
    path = tmp_path / "rows.csv"
    path.write_text("person_id,course_id\n" + body, encoding="utf-8", newline="")
    expected = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        try:
            while True:
                line = reader.line_num + 1
                row = next(reader)
                if any(cell.strip() for cell in row):
                    expected.append((line, row))
        except StopIteration:
            pass
        except csv.Error:
            return  # a row csv.reader refuses is reported, not compared here
    got = []
    try:
        for item in csv_items(path, str(path), "utf-8", ",", ("person_id",)):
            if hasattr(item, "rows"):
                got.extend(zip(item.lines, item.rows, strict=True))
            else:
                got.append((item.line, None))
    except UnicodeDecodeError:  # pragma: no cover - the text is valid UTF-8
        raise
    well_formed = [(line, row) for line, row in expected if len(row) == 2 or _padded(row)]
    assert [(line, row[:2]) for line, row in got if row is not None] == [
        (line, row[:2]) for line, row in well_formed
    ]


def _padded(row: list[str]) -> bool:
    return len(row) > 2 and not any(cell.strip() for cell in row[2:])


def test_a_quote_after_plain_blocks_switches_to_csv_reader(tmp_path: Path) -> None:
    """A quoted line break far into the file is read as one record, on its first line."""
    lines = ["身份证号,课程编号,课程名称,科目类别,学时,完成日期"]
    lines += [f"P{n:05d},C1,课程,公需科目,1,2024-01-01" for n in range(20_000)]
    lines += [
        'P99999,C1,"两行\n课程",公需科目,1,2024-01-01',
        "P99999,C2,课程,专业科目,2,2024-01-01",
    ]
    path = tmp_path / "quoted.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = list(read_records(path))
    assert len(records) == 20_002
    assert records[-2].fields["course_title"] == "两行\n课程"
    assert [r.line for r in records[-2:]] == [20_002, 20_004]
    assert batch_of(read_items(path)) == batch_of(io_records(path))


def io_records(path: Path) -> list[Any]:
    """The records as csv.DictReader reads them: a reader independent of ce-rules'."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(io.StringIO(handle.read())))
