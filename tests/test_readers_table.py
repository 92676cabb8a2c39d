"""Tables: the items of ``rows()`` as columnar batches, read by polars where it is certain."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce_rules import _readers
from ce_rules._readers import (
    BadCell,
    BrokenRow,
    Item,
    RawRow,
    RawTable,
    RecordFile,
    RecordFileError,
    SkippedRow,
    open_record_file,
)
from test_readers import FIELDS, HEADER, csv_text, person, record, write  # the same files


def normal(item: Item) -> Item:
    """``item`` with an empty cell as None: a table holds it as null."""
    if isinstance(item, RawRow):
        cells = {k: (v if isinstance(v, BadCell) else v or None) for k, v in item.cells.items()}
        return RawRow(item.source, item.line, cells, item.lines)
    return item


def from_tables(tables: Iterator[RawTable]) -> list[Item]:
    """The items of every batch, in order, checking each batch's shape on the way."""
    got: list[Item] = []
    for table in tables:
        frame = table.frame
        assert frame.columns[:2] == ["item", "line"]
        assert frame.schema["item"] == pl.Int64
        assert frame.schema["line"] == pl.Int64
        assert all(frame.schema[c] == pl.String for c in frame.columns[2:])
        positions = sorted([*frame.get_column("item").to_list(), *(p for p, _ in table.others)])
        assert positions == list(range(len(got), len(got) + len(positions)))
        assert [p for p, _ in table.others] == sorted(p for p, _ in table.others)
        got.extend(table.items())
    return got


def assert_same(file: RecordFile, batch_rows: int = 262_144) -> list[Item]:
    """``tables(batch_rows)`` gives ``rows()``, item for item, each batch small enough."""
    expected = [normal(i) for i in file.rows()]
    tables = list(file.tables(batch_rows))
    assert all(t.frame.height + len(t.others) <= batch_rows for t in tables)
    got = from_tables(iter(tables))
    assert got == expected
    return got


def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes reading the whole file for ``rows()`` fail: the fast path must not need it."""

    def refuse(self: object) -> list[str]:
        raise AssertionError("the exact path read the file")

    monkeypatch.setattr(_readers._CsvFile, "_lines", refuse)


# --- The fast path ---------------------------------------------------------------------


def office(tmp_path: Path, encoding: str = "utf-8", **options: object) -> Path:
    """An export with a title row, records, a short row, blank rows and the usual footer."""
    rows = [
        ["2024年度专业技术人员继续教育学时登记表", *[""] * 6],
        [""] * 7,
        HEADER,
        *(record(i) for i in range(1, 40)),
        record(40)[:4],
        record(41, 姓名=""),
        [*record(42), "", ""],
        [""] * 7,
        ["合计", "", "", "", "", "410", ""],
        ["制表人：王五", "", "", "审核人：赵六", "", "", ""],
        ["2024年12月31日", "", "", "", "", "", ""],
    ]
    return write(tmp_path, "a.csv", csv_text(rows, **options), encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
@pytest.mark.parametrize("quoting", [csv.QUOTE_MINIMAL, csv.QUOTE_ALL])
def test_office_export_read_by_polars_as_rows_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str, quoting: int
) -> None:
    """A title, records, a short row, blanks and footers: the same items, without ``rows()``."""
    file = open_record_file(office(tmp_path, encoding, quoting=quoting))
    expected = [normal(i) for i in file.rows()]
    no_fallback(monkeypatch)
    for batch_rows in (1, 7, 262_144):
        assert from_tables(file.tables(batch_rows)) == expected
    kinds = [type(i).__name__ for i in expected]
    assert kinds.count("RawRow") == 41
    assert kinds.count("BrokenRow") == 1


def test_batches_hold_records_as_columns(tmp_path: Path) -> None:
    """A batch: positions among all items, first lines, cells by field, empty cells null."""
    (table,) = open_record_file(office(tmp_path)).tables()
    frame = table.frame
    assert frame.columns == ["item", "line", *FIELDS]
    assert frame.row(0) == (
        2,
        4,
        person(1),
        "张1",
        "绿色低碳高质量发展",
        "公需科目",
        "10",
        "2024-05-01",
    )
    assert frame.filter(pl.col("line") == 44).get_column("name").to_list() == [None]
    assert [(p, type(i).__name__, i.line) for p, i in table.others[:3]] == [
        (0, "SkippedRow", 1),
        (1, "SkippedRow", 2),
        (41, "BrokenRow", 43),
    ]
    assert table.source == str(tmp_path / "a.csv")
    assert table.bad_cells == {}
    assert table.spans == {}


def test_quoted_empty_cell_is_null_too(tmp_path: Path) -> None:
    """An empty cell written as "" is null in the frame, as an unquoted empty one."""
    path = write(tmp_path, "a.csv", csv_text([HEADER, record(1, 姓名="")], quoting=csv.QUOTE_ALL))
    assert b'""' in path.read_bytes()
    (table,) = open_record_file(path).tables()
    assert table.frame.get_column("name").to_list() == [None]


def test_a_row_past_the_header_made_wider(tmp_path: Path) -> None:
    """Rows wider than the header (a blank cell past it, or more): judged as rows() judges them."""
    rows = [HEADER, record(1), [*record(2), "", "  "], [*record(3), "x"], record(4)]
    file = open_record_file(write(tmp_path, "a.csv", csv_text(rows)))
    got = assert_same(file)
    assert [getattr(i, "code", "record") for i in got] == [
        "record",
        "record",
        "too_many_fields",
        "record",
    ]


def test_trailing_delimiters_under_an_empty_header_cell(tmp_path: Path) -> None:
    """A header with a trailing delimiter: its empty column is looked at by polars when opening."""
    rows = [[*HEADER, ""], [*record(1), ""], [*record(2), ""]]
    path = write(tmp_path, "a.csv", csv_text(rows))
    file = open_record_file(path)
    assert file.unknown() == ()
    assert_same(file, 1)
    rows.append([*record(3), "备用"])
    file = open_record_file(write(tmp_path, "b.csv", csv_text(rows)))
    assert file.unknown() == ("第8列",)
    assert_same(file)


def test_person_ids_that_are_not_ascii_are_judged_one_by_one(tmp_path: Path) -> None:
    """Person cells starting with Chinese or a space: each row classified as rows() does."""
    rows = [HEADER] + [record(i, 身份证号=f"鲁{i}") for i in range(300)]
    rows += [record(1, 身份证号=" 合计"), record(2, 身份证号="\u3000370602")]
    assert_same(open_record_file(write(tmp_path, "a.csv", csv_text(rows))), 100)


def test_last_named_column_mostly_empty(tmp_path: Path) -> None:
    """A last column (备注) mostly empty: a row is short only if it lacks the delimiter."""
    header = [*HEADER, "备注"]
    rows = [header] + [[*record(i), ""] for i in range(500)] + [record(501), [*record(502), "x"]]
    got = assert_same(open_record_file(write(tmp_path, "a.csv", csv_text(rows))))
    assert [getattr(i, "code", None) for i in got][-2:] == ["too_few_fields", None]


@pytest.mark.parametrize(
    ("tail", "why"),
    [
        ('9,x,"open\r\n' + ",".join(record(3)) + "\r\n", "an unclosed quote"),
        ('9,"a\r\nb",x,y,z,1,d\r\n', "a quoted line break"),
        ("9,\x00,x\r\n", "a NUL byte"),
        ("9,a\rb,c\r\n", "a CR inside a line"),
        ('9,"a"b,c,d,e,f,g\r\n', "text after a closing quote"),
        ('9,x,"b"c"d",e,f,g,h\r\n', "quotes polars reads otherwise"),
        ('9,a"b,c,d,e,f,g\r\n', "a quote inside an unquoted cell"),
        ("9," + "课" * 70_000 + ",c,d,e,f,g\r\n", "a cell over 64 KiB"),
    ],
)
def test_doubtful_lines_are_read_by_rows(tmp_path: Path, tail: str, why: str) -> None:
    """From a doubtful line on, the file is read by rows(): the same items."""
    text = csv_text([HEADER, *(record(i) for i in range(1, 30))]) + tail
    text += csv_text([record(i) for i in range(30, 40)])
    file = open_record_file(write(tmp_path, "a.csv", text))
    for batch_rows in (1, 4, 262_144):
        assert_same(file, batch_rows)


@pytest.mark.parametrize(
    "text",
    [
        csv_text([HEADER, record(1)]).replace("\r\n", "\n") + csv_text([record(2)]),  # LF, CR LF
        csv_text([HEADER, record(1), record(2)]) + "\r",  # a CR ending the file
        csv_text([HEADER]) + "\ufeff" + csv_text([record(1), record(2)]),  # a BOM on line 2
        csv_text([HEADER, record(1)]).rstrip("\r\n"),  # no line break at the end
        csv_text([HEADER]),  # no line under the header
        csv_text([HEADER]) + "\r\n\r\n",  # blank lines only
    ],
)
def test_line_breaks_and_marks_polars_could_read_otherwise(tmp_path: Path, text: str) -> None:
    """Mixed or missing line breaks, a lone CR at the end, a BOM on the first line read."""
    file = open_record_file(write(tmp_path, "a.csv", text))
    for batch_rows in (1, 262_144):
        assert_same(file, batch_rows)


def test_wider_rows_around_lines_that_start_with_a_mark(tmp_path: Path) -> None:
    """Rows wider than the header near lines starting with U+FEFF: read as rows() reads them."""
    rows = [HEADER] + [record(i) for i in range(1, 50)]
    rows[20][0] = "\ufeff" + rows[20][0]
    rows[30] = [*rows[30], "x"]
    rows[31][0] = "\ufeff"
    rows[40] = [*rows[40], "", "", ""]
    file = open_record_file(write(tmp_path, "a.csv", csv_text(rows)))
    for batch_rows in (1, 3, 10, 262_144):
        assert_same(file, batch_rows)


def test_doubt_deep_in_a_large_file(tmp_path: Path) -> None:
    """An unclosed quote after many batches: those before it by polars, the rest by rows()."""
    rows = [HEADER, *(record(i) for i in range(1, 30_000))]
    text = csv_text(rows[:25_000]) + '1,"open,x\r\n' + csv_text(rows[25_000:])
    path = write(tmp_path, "a.csv", text)
    assert path.stat().st_size > (1 << 20)
    file = open_record_file(path)
    got = assert_same(file, 4096)
    assert [(i.line, i.code) for i in got if isinstance(i, BrokenRow)] == [
        (25_001, "unclosed_quote")
    ]


def test_quotes_are_not_left_to_polars(tmp_path: Path) -> None:
    """A quoted quote before a long row and a quoted last cell: polars (2.1) shifted it.

    Its CSV reader, streaming, read the quoted quote of line 3 as the fifth cell when a
    later row was too long and the file ended in a quoted cell. polars no longer reads
    quotes at all: it splits at every delimiter, and plain quoted cells are unquoted after.
    """
    text = (
        "2024年度学时登记表\n身份证号,课程名称,科目类别,学时,完成日期\n"
        '370602199000000000,,,"""",\n370602199000000000,,,,,\n'
        '370602199000000000,,,,\n370602199000000000,,,,""""'
    )
    file = open_record_file(write(tmp_path, "a.csv", text))
    for batch_rows in (1, 2, 262_144):
        got = assert_same(file, batch_rows)
    assert got[1].cells["hours"] == '"'  # type: ignore[union-attr]


def test_quoted_delimiters_read_again_by_rows_splitter(tmp_path: Path) -> None:
    """Cells holding the delimiter, quoted: split by rows()' own splitter, put in the frame."""
    rows = [HEADER, *(record(i, 课程名称=f"课程,{i}") for i in range(1, 30)), record(30)]
    file = open_record_file(write(tmp_path, "a.csv", csv_text(rows)))
    for batch_rows in (1, 7, 262_144):
        got = assert_same(file, batch_rows)
    assert got[0].cells["course_title"] == "课程,1"  # type: ignore[union-attr]


@pytest.mark.parametrize("delimiter", [",", "\t"])
@pytest.mark.parametrize(
    "title",
    ['课程"甲"', '"', '""', "课,程", "课\t程", " ", "", '"课程"', "合计", '课程""'],
)
def test_quoted_cells_of_every_kind(tmp_path: Path, delimiter: str, title: str) -> None:
    """Quotes doubled, quoted delimiters, empty quoted cells: as rows() reads them, no fallback."""
    rows = [HEADER, *(record(i, 课程名称=title) for i in range(1, 12)), record(12, 姓名="")]
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_ALL):
        text = csv_text(rows, delimiter=delimiter, quoting=quoting)
        file = open_record_file(write(tmp_path, "a.csv", text))
        expected = [normal(i) for i in file.rows()]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_readers._CsvFile, "_lines", refuse_rows)
            for batch_rows in (1, 5, 262_144):
                assert from_tables(file.tables(batch_rows)) == expected


def refuse_rows(self: object) -> list[str]:
    """Stands for ``_CsvFile._lines``: the fast path must not need ``rows()``."""
    raise AssertionError("the exact path read the file")


def test_large_gbk_file_read_through_a_decoded_copy(tmp_path: Path) -> None:
    """A GBK file over 1 MiB: the same items, and the decoded copy is removed."""
    rows = [HEADER, *(record(i) for i in range(1, 20_000)), ["合计", "", "", "", "", "1", ""]]
    path = write(tmp_path, "a.csv", csv_text(rows), "gbk")
    assert path.stat().st_size > (1 << 20)
    made: list[Path] = []
    mkstemp = _readers.tempfile.mkstemp

    def spy(*args: object, **kwargs: object) -> tuple[int, str]:
        handle, name = mkstemp(*args, **kwargs)  # type: ignore[call-overload]
        made.append(Path(name))
        return handle, name  # type: ignore[no-any-return]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_readers.tempfile, "mkstemp", spy)
        got = assert_same(open_record_file(path), 5000)
    assert len(got) == 20_000
    assert made
    assert not any(p.exists() for p in made)


def test_encoding_error_past_the_head_refused_before_any_batch(tmp_path: Path) -> None:
    """A GBK line after the first 1 MiB of a UTF-8 file: refused before the first batch."""
    good = csv_text([HEADER, *(record(i) for i in range(1, 20_000))]).encode("utf-8")
    path = tmp_path / "a.csv"
    path.write_bytes(good + csv_text([record(20_000, 姓名="李四")]).encode("gbk"))
    file = open_record_file(path)
    with pytest.raises(RecordFileError, match="line 20001 is not UTF-8 although the lines"):
        next(file.tables())


def test_an_abandoned_read_removes_its_copy(tmp_path: Path) -> None:
    """A GBK read stopped after its first batch leaves no decoded copy behind."""
    rows = [HEADER, *(record(i) for i in range(1, 100))]
    path = write(tmp_path, "a.csv", csv_text(rows), "gbk")
    tables = open_record_file(path).tables(10)
    next(tables)
    copies = list(Path(_readers.tempfile.gettempdir()).glob("ce-rules-*.csv"))
    assert copies
    tables.close()  # type: ignore[attr-defined]
    assert not any(p.exists() for p in copies)


def test_a_name_that_looks_like_a_pattern_is_this_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """学时[2].csv is read by polars as itself, not as the pattern matching 学时2.csv."""
    write(tmp_path, "学时2.csv", csv_text([HEADER, record(7)]))
    file = open_record_file(write(tmp_path, "学时[2].csv", csv_text([HEADER, record(1)])))
    expected = [normal(i) for i in file.rows()]
    no_fallback(monkeypatch)
    assert from_tables(file.tables()) == expected


def test_batch_rows_must_be_positive(tmp_path: Path) -> None:
    """A batch holds at least one item."""
    with pytest.raises(ValueError, match="batch_rows"):
        open_record_file(office(tmp_path)).tables(0)


def test_python_spaces_are_listed_whole() -> None:
    """The spaces the fast path knows are exactly the characters ``str.isspace`` knows."""
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(_readers._SPACES) == spaces
    assert all(unicodedata.category(c)[0] != "L" for c in spaces)


def test_import_does_not_import_polars() -> None:
    """``import ce_rules`` stays light: polars is imported when a table is first read."""
    code = "import sys, ce_rules; assert 'polars' not in sys.modules, 'polars imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- Other formats: batches made from rows() -------------------------------------------


def test_jsonl_batches_keep_keys_and_bad_cells(tmp_path: Path) -> None:
    """JSON Lines: a batch per key set, a list as a bad cell, broken lines as others."""
    base = '"person_id": "P1", "course_title": "课", "category": "公需", "completed_on": "d"'
    lines = [
        "{" + base + ', "topics": ["a"], "featured": null}',
        "{" + base + ', "topics": "x", "featured": ""}',
        "{" + base + "}",
        "not json",
        "",
    ]
    path = write(tmp_path, "a.jsonl", "\n".join(lines) + "\n")
    file = open_record_file(path)
    for batch_rows in (1, 2, 100):
        assert_same(file, batch_rows)
    first, second = list(file.tables())
    assert first.frame.columns == [
        "item",
        "line",
        "person_id",
        "course_title",
        "category",
        "completed_on",
        "topics",
        "featured",
    ]
    assert isinstance(first.bad_cells[0]["topics"], BadCell)
    assert first.frame.get_column("topics").to_list() == [None, "x"]
    assert "featured" not in second.frame.columns  # the key is absent: not blank, unknown


def test_xlsx_batches_never_span_two_sheets(tmp_path: Path) -> None:
    """A workbook: each sheet's rows in batches of their own, named by the sheet."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title in ("甲", "乙"):
        sheet = book.create_sheet(title)
        for row in [["标题"], HEADER, record(1), record(2), ["合计"]]:
            sheet.append(row)
    path = tmp_path / "a.xlsx"
    book.save(path)
    file = open_record_file(path)
    tables = list(file.tables())
    assert [t.source for t in tables] == [f"{path}[甲]", f"{path}[乙]"]
    assert_same(file, 3)


def test_multiline_record_spans_lines(tmp_path: Path) -> None:
    """A record over two lines (read by rows()) keeps its span in the batch."""
    rows = [HEADER, record(1, 课程名称="绿色\n低碳"), record(2)]
    file = open_record_file(write(tmp_path, "a.csv", csv_text(rows)))
    (table,) = file.tables()
    assert table.spans == {0: 2}
    assert_same(file)


# --- The differential property ---------------------------------------------------------

_HEADERS = st.lists(
    st.sampled_from(["姓名", "序号", "备注", "学习形式", "是否优质在线公需课", "培训机构", ""]),
    max_size=4,
    unique=True,
)
_REQUIRED = ["身份证号", "课程名称", "科目类别", "学时", "完成日期"]
_PIECES = st.sampled_from(
    [
        '"', '""', ",", "\t", ";", "\r", "\n", "\r\n", " ", "\u3000", "中", "学时", "合计",
        "制表人：", "共3人", "注：", "Ａ", "１", "x", "10", "😀", "\ufeff", "\x85",
    ]
)  # fmt: skip
_TEXT = st.lists(
    st.one_of(_PIECES, st.text(max_size=3, alphabet=st.characters(exclude_characters="\0"))),
    max_size=4,
).map("".join)
_PERSON = st.one_of(
    st.integers(0, 10**6).map(person),
    st.sampled_from(["", " ", " 3706", "\u30003706", "合计", "合　计", "制表人：王五", "共3人"]),
    st.sampled_from(["注：以平台为准", "鲁A123", "A123", "z9", "{x", "9"]),
    _TEXT,
)


@st.composite
def _rows(draw: st.DrawFn, width: int, person_at: int) -> list[list[str]]:
    kind = draw(st.sampled_from(["record", "record", "record", "blank", "footer", "ragged"]))
    if kind == "blank":
        return [[""] * draw(st.integers(0, width + 1))]
    if kind == "footer":
        cells = [""] * width
        cells[draw(st.integers(0, width - 1))] = draw(
            st.sampled_from(
                ["合计", "合　计", "制表人：王五", "共12人", "2024年12月31日", "注：无"]
            )
        )
        return [cells]
    cells = draw(st.lists(_TEXT, min_size=width, max_size=width))
    cells[person_at] = draw(_PERSON)
    if kind == "ragged":
        cells = cells[: draw(st.integers(0, width))] + draw(st.lists(_TEXT, max_size=2))
    return [cells]


@st.composite
def _files(draw: st.DrawFn) -> tuple[bytes, str]:
    extra = draw(_HEADERS)
    header = draw(st.permutations([*_REQUIRED, *extra]))
    if draw(st.booleans()):
        header = [*header, ""]  # a trailing delimiter
    width = len(header)
    person_at = header.index("身份证号")
    delimiter = draw(st.sampled_from([",", ",", "\t"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "gbk"]))
    titles = draw(
        st.lists(st.sampled_from(["2024年度学时登记表", "", "单位：某某局", '"标题"']), max_size=3)
    )
    body = draw(st.lists(_rows(width, person_at), max_size=25))
    if body and draw(st.integers(0, 19)) == 0:
        # A NUL byte makes the whole file read by rows(): rare, so the fast path is tried.
        body[draw(st.integers(0, len(body) - 1))][0][:1] = ["a\0b"]
    ending = draw(st.sampled_from(["\n", "\r\n", None]))
    lines = [*([t] for t in titles), header, *(row for rows in body for row in rows)]
    text = []
    for number, cells in enumerate(lines):
        style = draw(st.sampled_from(["minimal", "minimal", "all", "raw"]))
        if number == len(titles):
            style = "minimal"  # the header itself is always written well
        if style == "raw":
            line = delimiter.join(cells)
        else:
            quoting = csv.QUOTE_ALL if style == "all" else csv.QUOTE_MINIMAL
            line = csv_text([cells], delimiter=delimiter, quoting=quoting, lineterminator="")
        end = ending or draw(st.sampled_from(["\n", "\r\n", "\r"]))
        text.append(line + end)
    joined = "".join(text)
    if draw(st.booleans()):
        joined = joined.rstrip("\r\n")
    return joined.encode(encoding, errors="replace"), encoding


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=_files(), batch_rows=st.sampled_from([1, 2, 3, 5, 262_144]))
def test_property_tables_agree_with_rows(
    tmp_path: Path, file: tuple[bytes, str], batch_rows: int
) -> None:
    """For any file, tables() gives rows(), item for item, whichever path reads it."""
    data, _ = file
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    try:
        opened = open_record_file(path)
    except RecordFileError:
        return
    try:
        expected: list[Item] | str = [normal(i) for i in opened.rows()]
    except RecordFileError as error:
        expected = str(error)
    try:
        got: list[Item] | str = from_tables(opened.tables(batch_rows))
    except RecordFileError as error:
        got = str(error)
    assert got == expected


@st.composite
def _exports(draw: st.DrawFn) -> bytes:
    """Files as systems export them: many records, some cells empty, a few odd rows."""
    extra = draw(_HEADERS)
    header = [*draw(st.permutations([*_REQUIRED, *extra]))]
    width = len(header)
    at = header.index("身份证号")
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    empty = draw(st.floats(0, 0.9))  # how often a cell is empty: often, in a last 备注
    rows = [header]
    for number in range(draw(st.integers(1, 120))):
        cells = [f"值{number}" if draw(st.floats(0, 1)) > empty else "" for _ in header]
        cells[at] = person(number)
        odd = draw(st.integers(0, 30))
        if odd == 0:
            cells = cells[: draw(st.integers(0, width - 1))]  # short
        elif odd == 1:
            cells += [""] * draw(st.integers(1, 2))  # trailing delimiters
        elif odd == 2:
            cells += ["多"]  # long
        elif odd == 3:
            cells = [""] * width  # blank
        elif odd == 4:
            cells[at] = draw(st.sampled_from(["", " ", "合计", "鲁A1"]))
        rows.append(cells)
    rows.append(["合计", *[""] * (width - 1)])
    text = csv_text(rows, quoting=quoting, lineterminator=ending)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"])))


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_exports(), batch_rows=st.sampled_from([7, 50, 262_144]))
def test_property_exports_agree_with_rows(tmp_path: Path, data: bytes, batch_rows: int) -> None:
    """For files as systems export them, tables() gives rows(), item for item."""
    path = tmp_path / "e.csv"
    path.write_bytes(data)
    file = open_record_file(path)
    expected = [normal(i) for i in file.rows()]
    assert from_tables(file.tables(batch_rows)) == expected


def test_json_value_kinds_survive_a_table(tmp_path: Path) -> None:
    """JSON numbers and booleans are text in the frame as in rows()."""
    path = write(tmp_path, "a.jsonl", json.dumps({"person_id": 1, "hours": 1.5, "featured": True}))
    (table,) = open_record_file(path).tables()
    assert table.frame.row(0) == (0, 1, "1", "1.5", "true")
    assert [type(i) for i in table.items()] == [RawRow]
    assert not any(isinstance(i, SkippedRow | BrokenRow) for i in table.items())
