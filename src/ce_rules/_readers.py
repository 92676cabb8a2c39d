"""Reading record files: CSV, JSON Lines and xlsx, into rows of raw cells with their line.

Readers translate files as offices really have them into rows; they do not interpret
values (``_cells`` parses cells), except that an xlsx file's typed cells become their
canonical text. A verdict is a statement about a person, so nothing is lost silently:
every physical line (an xlsx sheet's every row) after opening is accounted for by
exactly one item that ``RecordFile.rows`` yields, or by the header:

- ``RawRow``: a record, with the raw cells of the columns it maps;
- ``SkippedRow``: a row recognised as not a record (a title above the header, a blank
  row, a footer such as 合计 or 制表人, a note under the table), reported;
- ``BrokenRow``: a row that cannot even be split into cells, reported with a code
  and a message saying what to fix.

Everything that can fail for the whole file (opening it, its format and encoding, its
header, its columns) raises ``RecordFileError`` in ``open_record_file``, before any row;
except that a large CSV file is opened from its head (``HEAD_BYTES``), so that a line
past it that cannot be decoded is refused when reading starts, still before any row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import importlib
import io
import json
import math
import os
import re
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

from ._cells import CellError, normalise
from ._exceptions import CeRulesError
from ._message import Message
from ._schema import RECORD_COLUMNS, CellKind, Column, header_key, match_header, unit_notes
from ._spill import DECODED, temporary_failed, temporary_folder

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "BadCell",
    "BrokenRow",
    "Cell",
    "Header",
    "HeaderColumn",
    "Item",
    "RawRow",
    "RawTable",
    "RecordFile",
    "RecordFileError",
    "SkippedRow",
    "load_column_mapping",
    "open_record_file",
    "read_records",
]

#: The header is looked for among this many non-blank rows at the top of a table.
HEADER_WINDOW: Final = 30
#: A quoted cell may span this many physical lines at most ...
QUOTE_LINES: Final = 100
#: ... and this many characters (the lines of its record together).
QUOTE_CHARS: Final = 64 * 1024
#: The longest cell a CSV row may hold, in characters.
FIELD_CHARS: Final = 64 * 1024
#: The longest line of a JSON Lines file, in characters.
JSON_LINE_CHARS: Final = 1 << 20
#: Limits that refuse a hostile xlsx file (a zip bomb) before it is unpacked.
ZIP_ENTRIES: Final = 10_000
ZIP_TOTAL: Final = 1 << 30
ZIP_RATIO: Final = 200
ZIP_LARGE: Final = 10 << 20
#: The longest text of a skipped or broken row that is kept, in characters.
TEXT_CHARS: Final = 200

_DELIMITERS: Final = (",", "\t", ";", "|")
_DELIMITER_NAMES: Final = {"\t": ("制表符", "tab"), ";": ("分号", "semicolon"), "|": ("竖线", "|")}
# What a footer row starts with: totals, signatures, print stamps, remarks.
_FOOTER_WORDS: Final = (
    "合计", "总计", "小计", "共计", "汇总", "制表", "审核人", "复核人", "负责人", "填报",
    "填表", "打印", "导出", "备注", "说明", "注：", "注:",
)  # fmt: skip
_FOOTER_COUNT: Final = re.compile(r"共\d+(条|人|项)")
_FOOTER_FIRST: Final = frozenset(w[0] for w in _FOOTER_WORDS) | {"共"}
_OLE2: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")
_HTML_STARTS: Final = (
    "<!doctype", "<html", "<table", "<head", "<body", "<meta", "<style", "<div", "<!--", "<?xml",
)  # fmt: skip
_EXCEL_SUFFIXES: Final = (".xls", ".xlsx", ".xlsm", ".xlsb", ".et")
_JSONL_SUFFIXES: Final = (".jsonl", ".ndjson", ".json")


def _m(zh: str, en: str) -> Message:
    return Message(zh=zh, en=en)


class RecordFileError(CeRulesError, ValueError):
    """A record file cannot be read at all: the message names the file and why.

    Attributes:
        source: The file, as given (an xlsx sheet as ``path[sheet]``).
        message: What is wrong and what to do, in Chinese and English.
    """

    def __init__(self, source: str, message: Message) -> None:
        self.source = source
        self.message = message
        super().__init__(f"{source}: {message.en}")


@dataclass(frozen=True, slots=True)
class BadCell:
    """A value that cannot be read as a cell: a JSON list or object, an xlsx formula unknown.

    Attributes:
        code: Why, for machines (``not_a_cell``; ``formula_without_value`` for an xlsx
            formula whose result the workbook does not store).
        message: Why, for people.
    """

    code: str
    message: Message


#: A raw cell: its text as read, a value that cannot be a cell, or nothing (None).
Cell: TypeAlias = str | BadCell | None


@dataclass(frozen=True, slots=True)
class RawRow:
    """One record as read: the cells of the columns it maps, not interpreted.

    Attributes:
        source: The file (an xlsx sheet as ``path[sheet]``).
        line: Its first physical line in the file (an xlsx row number), from 1.
        cells: Each mapped field (a ``Column.name``) and its raw cell: CSV cells as
            split (not stripped), JSON values as text, xlsx values as canonical text.
        lines: The physical lines it spans (a quoted CSV cell may hold line breaks).
    """

    source: str
    line: int
    cells: dict[str, Cell]
    lines: int = 1


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row recognised as not a record: reported, never dropped silently.

    Attributes:
        source: The file (an xlsx sheet as ``path[sheet]``).
        line: Its first physical line.
        kind: ``title`` (above the header), ``blank``, ``footer`` (合计, 制表人, ...)
            or ``note`` (a date stamp or a remark under the table).
        text: Its non-blank cells, joined with `` | ``, at most 200 characters.
        lines: The physical lines it spans.
    """

    source: str
    line: int
    kind: Literal["title", "blank", "footer", "note"]
    text: str
    lines: int = 1


@dataclass(frozen=True, slots=True)
class BrokenRow:
    """A row that cannot even be split into cells.

    Attributes:
        source: The file.
        line: Its first physical line.
        code: Why, for machines (``unclosed_quote``, ``too_many_fields``, ...).
        message: Why and what to fix, for people.
        text: The line as written, at most 200 characters.
        lines: The physical lines it spans.
    """

    source: str
    line: int
    code: str
    message: Message
    text: str
    lines: int = 1


#: What ``RecordFile.rows`` yields.
Item: TypeAlias = RawRow | SkippedRow | BrokenRow


@dataclass(frozen=True, slots=True)
class HeaderColumn:
    """One column of a file's header (a JSON Lines file's: one key).

    Attributes:
        position: Its place in the row, counted from 1 as people count columns (JSON
            Lines: the order in which keys first appeared).
        header: The header as written (stripped); "" for an empty header cell.
        field: The ``Column.name`` it is read as; "" when it is known and not needed
            (序号, or ignored by the mapping, or an empty header cell without data);
            None when it is not understood.
    """

    position: int
    header: str
    field: str | None

    def shown(self, lang: str = "zh") -> str:
        """The header, or for an empty header cell its place (``第3列``, ``column 3``)."""
        if self.header:
            return self.header
        return f"第{self.position}列" if lang == "zh" else f"column {self.position}"


@dataclass(frozen=True, slots=True)
class Header:
    """The header of one table: a CSV file's, or one xlsx sheet's.

    Attributes:
        source: The file, or ``path[sheet]``.
        line: Its first physical line.
        lines: The physical lines it spans.
        columns: Its columns, in order.
    """

    source: str
    line: int
    lines: int
    columns: tuple[HeaderColumn, ...]


@dataclass(frozen=True, slots=True)
class RawTable:
    """A batch of a record file's items, its records as columns (``RecordFile.tables``).

    Attributes:
        frame: One row per record (``RawRow``) of the batch, in file order: ``item``
            (Int64), its position among all the items ``rows()`` yields for the file,
            from 0; ``line`` (Int64), its first physical line (``RawRow.line``); and one
            String column per field the records map (``Column.name``, in the header's
            order; JSON Lines: the keys of the batch's records), the raw cell text as
            ``rows()`` gives it, except that an empty cell is null.
        others: The batch's other items (skipped and broken rows), in order, each with
            its position.
        bad_cells: Values that cannot be cells (JSON lists and objects), null in
            ``frame``: position -> field -> the ``BadCell``.
        source: The file, as its items name it (an xlsx sheet as ``path[sheet]``): a
            batch never spans two sheets.
        spans: The records that span more than one physical line (a quoted CSV cell
            holding a line break): position -> ``RawRow.lines``; every other spans one.
    """

    frame: pl.DataFrame
    others: list[tuple[int, SkippedRow | BrokenRow]]
    bad_cells: dict[int, dict[str, BadCell]]
    source: str
    spans: dict[int, int]

    def items(self) -> Iterator[Item]:
        """The batch's items as ``rows()`` yields them, in order (an empty cell as None)."""
        fields = self.frame.columns[2:]
        others = iter(self.others)
        other = next(others, None)
        for row in self.frame.iter_rows():
            position: int = row[0]
            while other is not None and other[0] < position:
                yield other[1]
                other = next(others, None)
            cells: dict[str, Cell] = dict(zip(fields, row[2:], strict=True))
            cells.update(self.bad_cells.get(position, {}))
            yield RawRow(self.source, row[1], cells, self.spans.get(position, 1))
        while other is not None:
            yield other[1]
            other = next(others, None)


class RecordFile:
    """An opened record file: what was found about it, and its rows.

    Attributes:
        path: The file.
        source: The file as given, as reported in every row and error.
        format: ``csv``, ``jsonl`` or ``xlsx``.
        encoding: The text encoding read (None for xlsx).
        sheets: The xlsx sheets read, in order (empty for other formats).
        notes: What the user should know: the encoding guessed, the delimiter, the
            mapping used, the sheets read and not read.
        headers: The header of each table read: one for CSV, one per sheet for xlsx,
            none for JSON Lines.
    """

    path: Path
    source: str
    format: Literal["csv", "jsonl", "xlsx"]
    encoding: str | None
    sheets: tuple[str, ...]
    notes: list[Message]

    def __init__(
        self,
        path: Path,
        source: str,
        format: Literal["csv", "jsonl", "xlsx"],
        encoding: str | None,
        notes: list[Message],
        headers: list[Header],
        sheets: tuple[str, ...] = (),
    ) -> None:
        self.path = path
        self.source = source
        self.format = format
        self.encoding = encoding
        self.sheets = sheets
        self.notes = notes
        self._headers = headers
        self._keys: list[HeaderColumn] = []  # JSON Lines: the keys seen so far

    @property
    def headers(self) -> tuple[Header, ...]:
        """The header of each table read (CSV: one; xlsx: one per sheet read)."""
        return tuple(self._headers)

    @property
    def header_line(self) -> int | None:
        """The header's line (xlsx: of the first sheet read); None for JSON Lines."""
        return self._headers[0].line if self._headers else None

    @property
    def columns(self) -> tuple[HeaderColumn, ...]:
        """The header's columns (xlsx: the first sheet's); JSON Lines: the keys seen so far."""
        return self._headers[0].columns if self._headers else tuple(self._keys)

    def unknown(self) -> tuple[str, ...]:
        """The headers (keys) not understood, in order, each once (all sheets of a workbook).

        An empty header cell above data is named by its place (``第3列``). For JSON Lines
        and for data found in an xlsx column without a header this grows while reading.
        """
        return tuple(dict.fromkeys(c.shown() for c in self._all_columns() if c.field is None))

    def unknown_message(self) -> Message | None:
        """A warning naming the columns not understood, or None if there is none."""
        unknown = [c for c in self._all_columns() if c.field is None]
        if not unknown:
            return None
        zh = "、".join(dict.fromkeys(c.shown("zh") for c in unknown))
        en = ", ".join(dict.fromkeys(c.shown("en") for c in unknown))
        units = unit_notes(c.header for c in unknown if c.header)
        return _m(
            f"未识别的列，未读取：{zh}；如其中有需要的数据，请用 --column 表头=字段 指定"
            + ("" if units is None else f"。{units.zh}"),
            f"columns not understood, not read: {en}; if one holds needed data, map it with"
            " --column HEADER=field" + ("" if units is None else f". {units.en}"),
        )

    def _all_columns(self) -> Iterator[HeaderColumn]:
        for header in self._headers:
            yield from header.columns
        yield from self._keys

    def rows(self) -> Iterator[Item]:
        """The file's rows, streamed: records, skipped rows and broken rows, in file order.

        Each call reads the file again from its start.

        Raises:
            RecordFileError: JSON Lines in strict mode, at the first key not understood;
                xlsx in strict mode, at the first data in a column without a header; an
                xlsx sheet that turns out to be corrupt while it is read.
        """
        raise NotImplementedError  # pragma: no cover - every format reads its own

    def tables(self, batch_rows: int = 262_144) -> Iterator[RawTable]:
        """The items of ``rows()`` as columnar batches of at most ``batch_rows`` items.

        Batches come in file order, and together they are ``rows()``, item for item:
        each record a row of a batch's ``frame``, each other item in its ``others``.
        Each call reads the file again from its start; polars is imported when it does.

        A CSV file in UTF-8 or GB18030 (GBK) with a person column, whose name is text,
        is read by polars (the fast path, ``_FastCsv``) up to its first line where
        polars is not certain to read as ``rows()`` does (a quoted line break, a stray
        quote or CR, a NUL);
        from there, and for every other file, batches are made from ``rows()``.

        Raises:
            RecordFileError: As ``rows()`` raises it: a file that cannot be decoded
                before any batch.
            OutputError: A GBK file's UTF-8 copy, which the fast path reads, cannot be
                written in the temporary folder (``TMPDIR`` if set): a full disk, a
                ``TMPDIR`` that is missing or not writable.
            ValueError: ``batch_rows`` is less than 1.
        """
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be at least 1, not {batch_rows}")
        return self._tables(batch_rows)

    def _tables(self, batch_rows: int) -> Iterator[RawTable]:
        batcher = _Batcher(batch_rows, self._mapped)
        for position, item in enumerate(self.rows()):
            yield from batcher.add(position, item)
        yield from batcher.flush()

    def _mapped(self, source: str) -> tuple[str, ...] | None:
        """The fields the records of ``source`` map; None (JSON Lines) if each has its own."""
        for header in self._headers:
            if header.source == source:
                return tuple(c.field for c in header.columns if c.field)
        return None

    def __repr__(self) -> str:
        return f"RecordFile({self.source!r}, format={self.format!r})"


# ---------------------------------------------------------------------------------------
# Tables: the items as columnar batches


class _Batcher:
    """Gathers a file's items, one at a time or as columnar pieces, into ``RawTable``.

    A batch holds at most ``size`` items, all of one source, whose records all map the
    same fields: those of the source's header (``fields``), or for JSON Lines those of
    the batch's first record (a record with other keys starts a new batch).
    """

    def __init__(self, size: int, fields: Callable[[str], tuple[str, ...] | None]) -> None:
        self.size = size
        self.fields_of = fields
        self._start(None)

    def _start(self, source: str | None) -> None:
        self.source = source
        self._fields(None if source is None else self.fields_of(source))
        self.count = 0
        self.frames: list[pl.DataFrame] = []
        self.records: list[tuple[int, int, list[str | None]]] = []  # not yet in ``frames``
        self.others: list[tuple[int, SkippedRow | BrokenRow]] = []
        self.bad: dict[int, dict[str, BadCell]] = {}
        self.spans: dict[int, int] = {}

    def _fields(self, fields: tuple[str, ...] | None) -> None:
        self.fields = fields
        self.keys = None if fields is None else set(fields)

    def add(self, position: int, item: Item) -> Iterator[RawTable]:
        """Adds the item at ``position``; yields the batch it fills, or one it cannot join."""
        if self.count and (
            item.source != self.source
            or (
                isinstance(item, RawRow)
                and self.keys is not None
                and item.cells.keys() != self.keys
            )
        ):
            yield self._table()
        if self.source != item.source or not self.count:
            self._start(item.source)
        if isinstance(item, RawRow):
            if self.fields is None:
                self._fields(tuple(item.cells))
            assert self.fields is not None
            values: list[str | None] = []
            for field in self.fields:
                cell = item.cells[field]
                if isinstance(cell, BadCell):
                    self.bad.setdefault(position, {})[field] = cell
                    cell = None
                values.append(cell or None)
            self.records.append((position, item.line, values))
            if item.lines != 1:
                self.spans[position] = item.lines
        else:
            self.others.append((position, item))
        self.count += 1
        if self.count >= self.size:
            yield self._table()

    def piece(
        self,
        source: str,
        frame: pl.DataFrame,
        others: list[tuple[int, SkippedRow | BrokenRow]],
        first: int,
        count: int,
    ) -> Iterator[RawTable]:
        """Adds ``count`` items from position ``first`` on; yields the batches they fill.

        The records are the rows of ``frame``, in order; the rest are ``others``.
        """
        if self.count and source != self.source:
            yield self._table()
        if not self.count:
            self._start(source)
        positions = frame.get_column("item")
        start = first
        end = first + count
        taken = 0  # of ``others``
        while start < end:
            stop = min(end, start + self.size - self.count)
            low = positions.search_sorted(start)
            high = positions.search_sorted(stop)
            if high > low:
                self._records()
                self.frames.append(frame.slice(low, high - low))
            while taken < len(others) and others[taken][0] < stop:
                self.others.append(others[taken])
                taken += 1
            self.count += stop - start
            start = stop
            if self.count >= self.size:
                yield self._table()
                self._start(source)

    def flush(self) -> Iterator[RawTable]:
        """The last batch, if it holds any item."""
        if self.count:
            yield self._table()

    def _records(self) -> None:
        """The records added one at a time, as a frame (after those of earlier pieces)."""
        if self.records:
            self.frames.append(_frame(self.fields or (), self.records))
            self.records = []

    def _table(self) -> RawTable:
        import polars as pl

        self._records()
        fields = self.fields or ()
        if not self.frames:
            frame = _frame(fields, [])
        elif len(self.frames) == 1:
            frame = self.frames[0]
        else:
            frame = pl.concat(self.frames, how="vertical", rechunk=False)
        assert self.source is not None  # a batch holds an item
        table = RawTable(frame, self.others, self.bad, self.source, self.spans)
        self._start(None)
        return table


def _frame(fields: Sequence[str], records: list[tuple[int, int, list[str | None]]]) -> pl.DataFrame:
    """A ``RawTable.frame`` of records given as (position, line, cells of ``fields``)."""
    import polars as pl

    columns: list[Sequence[Any]] = [list(c) for c in zip(*records, strict=True)] or [[], []]
    cells = list(zip(*columns[2], strict=True)) if records else [() for _ in fields]
    data: dict[str, Sequence[Any]] = {"item": columns[0], "line": columns[1]}
    data.update(zip(fields, cells, strict=True))
    schema: dict[str, Any] = {"item": pl.Int64, "line": pl.Int64}
    schema.update(dict.fromkeys(fields, pl.String))
    return pl.DataFrame(data, schema=schema)


# ---------------------------------------------------------------------------------------
# Columns: what each header is read as


def _label(col: Column, lang: str) -> str:
    return f"{col.label}（{col.name}）" if lang == "zh" else f"{col.label} ({col.name})"


def _fields_list(columns: Iterable[Column], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(_label(c, lang) for c in columns)


def _target(target: str, columns: tuple[Column, ...]) -> str | None:
    """The field a mapping's value names: a field name or a header of one; "" to ignore."""
    text = target.strip()
    if not text:
        return ""
    names = {c.name for c in (*RECORD_COLUMNS, *columns)}
    if text in names:
        return text
    field = match_header(text)
    return field if field else None


class _Resolver:
    """Reads headers as fields: the user's mapping first, then the schema's headers."""

    def __init__(
        self, source: str, columns: tuple[Column, ...], mapping: Mapping[str, str]
    ) -> None:
        self.source = source
        self.columns = columns
        self.names = {c.name for c in columns}
        self.by_name = {c.name: c for c in (*RECORD_COLUMNS, *columns)}
        self.user: dict[str, tuple[str, str]] = {}  # header key -> (field, header as given)
        self.used: set[str] = set()
        for header, target in mapping.items():
            key = header_key(header)
            field = _target(target, columns)
            if not key:
                raise RecordFileError(
                    source,
                    _m(
                        f"列映射“{header}={target}”的表头为空",
                        f"the column mapping “{header}={target}” has an empty header",
                    ),
                )
            if field is None:
                raise RecordFileError(
                    source,
                    _m(
                        f"列映射“{header}={target}”：“{target}”不是字段名；可用的字段："
                        f"{_fields_list(columns, 'zh')}；或留空以忽略该列",
                        f"the column mapping “{header}={target}”: “{target}” names no field;"
                        f" fields: {_fields_list(columns, 'en')}; or nothing, to ignore the"
                        " column",
                    ),
                )
            if key in self.user and self.user[key][0] != field:
                other = self.user[key][1]
                raise RecordFileError(
                    source,
                    _m(
                        f"列映射中“{other}”与“{header}”是同一表头，却指向不同字段",
                        f"the column mapping names one header twice, as “{other}” and"
                        f" “{header}”, with different fields",
                    ),
                )
            self.user[key] = (field, header)

    def field(self, text: str) -> str | None:
        """What a header (stripped, non-empty) is read as: a field, "" or None."""
        key = header_key(text)
        if key in self.user:
            field = self.user[key][0]
        else:
            found = match_header(text)
            if found is None:
                return None
            field = found
        # A column of records that this file does not need (a persons file's 课程名称).
        return field if field in self.names else ""

    def header(self, cells: Sequence[str | None]) -> list[HeaderColumn]:
        """A header row's columns."""
        columns = []
        for position, cell in enumerate(cells, start=1):
            text = _header_text(cell)
            columns.append(HeaderColumn(position, text, self.field(text) if text else ""))
        return columns

    def notes(self, columns: Iterable[HeaderColumn]) -> list[Message]:
        """What the user's mapping did to these columns."""
        notes = []
        for col in columns:
            key = header_key(col.header) if col.header else ""
            if key not in self.user:
                continue
            self.used.add(key)
            if col.field:
                zh_label = _label(self.by_name[col.field], "zh")
                en_label = _label(self.by_name[col.field], "en")
                notes.append(
                    _m(
                        f"表头“{col.header}”按指定读作 {zh_label}",
                        f"header “{col.header}” read as {en_label}, as mapped",
                    )
                )
            else:
                notes.append(
                    _m(
                        f"表头“{col.header}”按指定不读取",
                        f"header “{col.header}” left aside, as mapped",
                    )
                )
        return notes

    def unused(self) -> list[Message]:
        """Notes on the mapped headers that no table had."""
        return [
            _m(
                f"指定映射的表头“{header}”在文件中没有找到",
                f"mapped header “{header}” is not in the file",
            )
            for key, (_, header) in self.user.items()
            if key not in self.used
        ]

    @property
    def required(self) -> list[Column]:
        """The columns every header must have."""
        return [c for c in self.columns if c.required]


def _header_text(cell: str | None) -> str:
    return "" if cell is None else cell.strip().lstrip("\ufeff").strip()


def _check_header(source: str, columns: Sequence[HeaderColumn], strict: bool) -> None:
    """Refuses a header naming a field twice, or (``strict``) a header not understood."""
    by_field: dict[str, list[HeaderColumn]] = {}
    for col in columns:
        if col.field:
            by_field.setdefault(col.field, []).append(col)
    for field, cols in by_field.items():
        if len(cols) > 1:
            zh = "、".join(f"“{c.header}”（第{c.position}列）" for c in cols)
            en = ", ".join(f"“{c.header}” (column {c.position})" for c in cols)
            last = cols[-1].header
            raise RecordFileError(
                source,
                _m(
                    f"表头{zh}都读作 {field}：请用 --column 表头= 忽略其中一个"
                    f"（如 --column {last}=）",
                    f"headers {en} are all read as {field}: ignore all but one with"
                    f" --column HEADER= (e.g. --column {last}=)",
                ),
            )
    if strict:
        unknown = [c for c in columns if c.field is None]
        if unknown:
            raise _strict_error(source, unknown, None)


def _strict_error(
    source: str, unknown: Sequence[HeaderColumn], line: int | None
) -> RecordFileError:
    zh = "、".join(c.shown("zh") for c in unknown)
    en = ", ".join(c.shown("en") for c in unknown)
    where_zh = f"第{line}行：" if line is not None else ""
    where_en = f"line {line}: " if line is not None else ""
    return RecordFileError(
        source,
        _m(
            f"{where_zh}未识别的列（严格模式）：{zh}；请用 --column 表头=字段 指定，"
            "或用 --column 表头= 忽略",
            f"{where_en}columns not understood (strict mode): {en}; map them with"
            " --column HEADER=field or ignore them with --column HEADER=",
        ),
    )


@dataclass(slots=True)
class _Candidate:
    """A row looked at as the header."""

    line: int
    lines: int
    cells: list[str | None]
    required: int  # required columns matched
    known: int  # distinct fields understood (known-but-not-needed ones count as one)
    missing: list[Column]
    where: str = ""  # the sheet, for a workbook

    @property
    def score(self) -> tuple[int, int]:
        return self.required, self.known


def _find_header(
    rows: Iterable[tuple[int, int, list[str | None] | None]], resolver: _Resolver
) -> tuple[_Candidate | None, _Candidate | None]:
    """The header among ``rows`` (line, lines, cells or None if broken), and the best row.

    The header is the first of the first ``HEADER_WINDOW`` non-blank rows in which
    every required column is matched (and at least one column at all).
    """
    required = resolver.required
    best: _Candidate | None = None
    seen = 0
    for line, lines, cells in rows:
        if cells is not None and _separators_only(cells):
            continue
        seen += 1
        if cells is not None:
            fields = {
                resolver.field(text) if (text := _header_text(cell)) else None for cell in cells
            }
            missing = [c for c in required if c.name not in fields]
            known = len([f for f in fields if f is not None])
            candidate = _Candidate(line, lines, cells, len(required) - len(missing), known, missing)
            if not missing and any(fields - {None, ""}):
                return candidate, candidate
            if best is None or candidate.score > best.score:
                best = candidate
        if seen >= HEADER_WINDOW:
            break
    return None, best


def _no_header(source: str, best: _Candidate | None, *, text: bool = False) -> RecordFileError:
    """The error of a table without a header; ``text`` adds a hint on the encoding."""
    if best is None:
        return RecordFileError(
            source, _m("文件没有内容：找不到表头行", "the file holds no rows: no header to read")
        )
    found = [_shown_cell(c) for c in best.cells if c is not None and c.strip()]
    found_zh = "、".join(found[:30]) or "（无）"
    found_en = ", ".join(found[:30]) or "(none)"
    sheet_zh = f"（工作表“{best.where}”）" if best.where else ""
    sheet_en = f" (sheet {best.where})" if best.where else ""
    missing_zh = _fields_list(best.missing, "zh") or "（至少一个可识别的列）"
    missing_en = _fields_list(best.missing, "en") or "(at least one known column)"
    garbled = text and best.known == 0
    hint_zh = "；若表头显示为乱码，请用 --encoding 指定文件的编码" if garbled else ""
    hint_en = "; if these headers look garbled, pass the file's --encoding" if garbled else ""
    units = unit_notes(_header_text(c) for c in best.cells if c is not None)
    if units is not None:
        hint_zh, hint_en = f"{hint_zh}。{units.zh}", f"{hint_en}. {units.en}"
    return RecordFileError(
        source,
        _m(
            f"前{HEADER_WINDOW}个非空行中没有包含全部必填列的表头行。最接近的是第{best.line}行"
            f"{sheet_zh}，缺少：{missing_zh}；该行的表头为：{found_zh}。"
            f"若文件用其他表头，请用 --column 表头=字段 指定{hint_zh}",
            f"no row among the first {HEADER_WINDOW} non-blank rows has all the required"
            f" columns. The closest, line {best.line}{sheet_en}, lacks: {missing_en}; its"
            f" headers: {found_en}. If the file names a column differently, map it with"
            f" --column HEADER=field{hint_en}",
        ),
    )


def _shown_cell(cell: str) -> str:
    text = " ".join(cell.split())
    return text if len(text) <= 40 else text[:39] + "…"


# ---------------------------------------------------------------------------------------
# Rows: blank, footer, note, record


def _blank(cells: Sequence[str | None]) -> bool:
    return not any(c and not c.isspace() for c in cells)


def _separators_only(cells: Sequence[str | None]) -> bool:
    # A row of delimiters (",,,,") is blank whichever delimiter the file turns out to use.
    return not any(c and c.strip(" \t\r\n,;|") for c in cells)


def _footer_cell(cell: str) -> bool:
    # Offices space out short words to align them (合　计): spaces do not count.
    text = "".join(cell.split())
    return text.startswith(_FOOTER_WORDS) or _FOOTER_COUNT.match(text) is not None


def _skip_kind(
    cells: Sequence[str | None], person: int | None
) -> Literal["blank", "footer", "note"] | None:
    """Whether a row after the header is not a record, and what it is."""
    pid = (cells[person] if person is not None and person < len(cells) else None) or ""
    first = pid.lstrip()[:1]
    # A person: a record (the common case, decided at a glance at its first character).
    if first and (first not in _FOOTER_FIRST or not _footer_cell(pid)):
        return None
    filled = [c for c in cells if c and not c.isspace()]
    if not filled:
        return "blank"
    if any(map(_footer_cell, filled)):
        return "footer"
    if not first and len(filled) <= 1:
        return "note"
    return None


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def _shown(cells: Sequence[str | None]) -> str:
    return _clip(" | ".join(c.strip() for c in cells if c and not c.isspace()))


def _polars_can_name(path: Path) -> bool:
    """Whether polars can open ``path`` by its name: a name that is text (UTF-8).

    A name whose bytes are not UTF-8 (a GBK name from a Windows share) reaches Python with
    surrogate escapes, which polars cannot take; such a file is read by ``rows()``.
    """
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _person(columns: Sequence[HeaderColumn]) -> int | None:
    for i, col in enumerate(columns):
        if col.field == "person_id":
            return i
    return None


# ---------------------------------------------------------------------------------------
# Opening


def open_record_file(
    path: str | Path,
    *,
    columns: tuple[Column, ...] = RECORD_COLUMNS,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    strict: bool = False,
    source: str | None = None,
) -> RecordFile:
    """Opens a record file: its format, encoding, header and columns, before any row.

    The format follows the content first (a zip is an xlsx workbook whatever its
    name), then the suffix: ``.jsonl``/``.ndjson``/``.json`` JSON Lines,
    ``.xlsx``/``.xlsm`` xlsx, anything else CSV. A CSV file over ``HEAD_BYTES`` in
    UTF-8 or GB18030 (GBK) is opened from its head when the head tells its encoding
    and header; the rest is decoded when it is read, and a line there that cannot be
    decoded is refused when reading starts (``rows``, ``tables``), before any row.

    Args:
        path: The file.
        columns: The columns to read (``RECORD_COLUMNS``, or ``PERSON_COLUMNS`` for a
            persons file); the required ones must all be in the header.
        mapping: Headers of this file and the field each is read as (a field name, or
            a header the schema knows), or "" to leave the column aside. Keys are
            compared as ``header_key`` compares headers.
        encoding: The text encoding of a CSV or JSON Lines file, instead of detecting it.
        strict: Refuse a file with a column (a key) that is not understood.
        source: The name every row and error reports the file by, instead of ``path``
            (an upload kept in a temporary file is reported by the name it came with).

    Raises:
        RecordFileError: The file cannot be read, or has no header with the required
            columns, or its header names a field twice, or (``strict``) has a column
            not understood, or the mapping names no field.
    """
    source = _source(path if source is None else source)
    path = Path(path)
    resolver = _Resolver(source, columns, mapping or {})
    head = _head(path, source)
    notes: list[Message] = []
    kind = _sniff(path, source, head, notes)
    if kind == "xlsx":
        return _XlsxFile.open(path, source, resolver, strict, notes)
    if kind == "jsonl":
        data = _read(path, source)
        return _JsonLinesFile.open(path, source, data, encoding, resolver, strict, notes)
    return _CsvFile.open(path, source, encoding, resolver, strict, notes)


def read_records(
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
    strict: bool = False,
) -> Iterator[Item]:
    """The rows of a record file, for ``evaluate_many``: ``open_record_file(...).rows()``.

    The file is opened (and a file that cannot be read at all refused with
    ``RecordFileError``) when this is called, not when the first row is asked for; a
    large CSV file's lines past its head are decoded when the first row is asked for.
    """
    return open_record_file(path, mapping=mapping, encoding=encoding, strict=strict).rows()


_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _shown_text(text: str) -> str:
    r"""``text`` as reported, its lone surrogates (bytes that were not text) escaped.

    A file name that is not UTF-8 reaches ``sys.argv`` holding surrogates (PEP 383); no
    message, JSON report or terminal can hold them, so they are shown as the bytes they
    stand for (``r\xff.csv``).
    """
    if _LONE_SURROGATE.search(text) is None:
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _source(path: str | Path) -> str:
    """The file as given, as every row and error reports it."""
    return _shown_text(path if isinstance(path, str) else str(path))


def _head(path: Path, source: str) -> bytes:
    try:
        with path.open("rb") as raw:
            return raw.read(4096)
    except OSError as error:
        raise _open_error(source, error) from None


def _read(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise _open_error(source, error) from None


def _open_error(source: str, error: OSError) -> RecordFileError:
    reason = error.strerror or str(error)
    return RecordFileError(source, _m(f"无法读取文件：{reason}", f"cannot read the file: {reason}"))


def _sniff(path: Path, source: str, head: bytes, notes: list[Message]) -> str:
    """The format of a file by its content, then by its name: csv, jsonl or xlsx."""
    suffix = path.suffix.lower()
    if head.startswith(_ZIP_MAGIC):
        if suffix not in (".xlsx", ".xlsm"):
            notes.append(
                _m(
                    f"文件名为{suffix or '无后缀'}，内容却是xlsx工作簿：按xlsx读取",
                    f"the file is named {suffix or 'without a suffix'} but is an xlsx"
                    " workbook: read as xlsx",
                )
            )
        return "xlsx"
    if head.startswith(_OLE2):
        raise RecordFileError(
            source,
            _m(
                "是旧的 .xls 格式：请在Excel中另存为 .xlsx 或CSV"
                "（加了密码的工作簿也是这样，请先取消密码）",
                "old .xls format: save it as .xlsx or CSV (a password-protected workbook looks"
                " the same: remove the password first)",
            ),
        )
    start = _text_start(head)
    if start.startswith("<") and (suffix in _EXCEL_SUFFIXES or start.startswith(_HTML_STARTS)):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            raise RecordFileError(
                source,
                _m(
                    "是Excel 2003 XML表格，不是xlsx：请在Excel中打开并另存为 .xlsx",
                    "is an Excel 2003 XML spreadsheet, not xlsx: open it in Excel and save"
                    " as .xlsx",
                ),
            )
        raise RecordFileError(
            source,
            _m(
                "是网页，不是表格文件（系统导出的“Excel”常是网页）：请在Excel中打开并另存为 .xlsx",
                "is a web page, not a spreadsheet: open it in Excel and save as .xlsx",
            ),
        )
    if suffix in (".xlsx", ".xlsm"):
        raise RecordFileError(
            source,
            _m(
                "不是xlsx工作簿（不是zip文件）：请在Excel中打开并另存为 .xlsx",
                "not an xlsx workbook (not a zip file): open it in Excel and save as .xlsx",
            ),
        )
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix in _EXCEL_SUFFIXES:
        notes.append(
            _m(
                f"文件名为{suffix}，内容却是文本：按CSV读取",
                f"the file is named {suffix} but is plain text: read as CSV",
            )
        )
    return "csv"


def _text_start(head: bytes) -> str:
    """The start of a file's text, without a byte-order mark or leading whitespace."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace")
    return text.lstrip("\ufeff \t\r\n").lower()


def _breaks(text: str) -> int:
    """The line breaks in ``text``: CR LF, CR and LF each count once."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _check_encoding(source: str, encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except (LookupError, UnicodeError):  # a name that is not even ASCII text
        shown = _shown_text(encoding)
        raise RecordFileError(
            source, _m(f"未知的编码：{shown}", f"unknown encoding {shown!r}")
        ) from None


def _decode(
    source: str, data: bytes, encoding: str, tried: str | Message, *, given: bool = False
) -> str:
    """``data`` decoded; a failure names its real line and the encodings tried.

    ``given``: the caller named the encoding (``--encoding``), which is then not suggested
    as if it had not been.
    """
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        before = data[: error.start].decode(encoding, errors="replace")
        line = _breaks(before) + 1
        todo = (
            ("请确认文件的编码，或改用其他 --encoding（不指定则自动识别）",
             "check the file's encoding, or pass another --encoding (or none, to detect it)")
            if given
            else ("请把文件另存为UTF-8，或用 --encoding 指定编码",
                  "save the file as UTF-8, or pass --encoding")
        )  # fmt: skip
        named = tried if isinstance(tried, Message) else Message(zh=tried, en=tried)
        raise RecordFileError(
            source,
            _m(
                f"第{line}行无法按{named.zh}解码：{todo[0]}",
                f"line {line} cannot be decoded as {named.en}: {todo[1]}",
            ),
        ) from None
    return text.removeprefix("\ufeff")


# ---------------------------------------------------------------------------------------
# CSV


#: A CSV file's head, read at opening: its encoding and header are found in it when
#: they can be, and the rest of the file is decoded only when it is read.
HEAD_BYTES: Final = 1 << 20
#: Encodings in which the bytes \r and \n are never part of another character, so that a
#: file's lines are its byte lines, and each decodes alone: a file in one of them is
#: opened from its head, and read by the fast path of ``RecordFile.tables``.
_LINEWISE: Final = frozenset({"utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312"})


def _csv_text(
    source: str, data: bytes, given: str | None, *, head: bool = False
) -> tuple[str, str] | None:
    """A CSV file's encoding (``given``, or detected) and its text.

    With ``head`` the data is only the head of the file, cut after a line break: the
    result is what the whole file's would be, or None when the head cannot tell (a
    head all ASCII, or an encoding whose lines are not its byte lines). An encoding
    error inside the head is the whole file's first, raised as it would be for it.
    """
    if given is not None:
        _check_encoding(source, given)
        if head and codecs.lookup(given).name not in _LINEWISE:
            return None
        return given, _decode(source, data, given, given, given=True)
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return None if head else ("utf-32", _decode(source, data, "utf-32", "UTF-32"))
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", _decode(source, data, "utf-8-sig", "UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None if head else ("utf-16", _decode(source, data, "utf-16", "UTF-16"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        at = error.start
    else:
        # An ASCII head says nothing: a GBK file's first Chinese text may come later.
        return None if head and data.isascii() else ("utf-8", text)
    line_start = max(data.rfind(b"\n", 0, at), data.rfind(b"\r", 0, at)) + 1
    if not data[:line_start].isascii():
        # Whole lines of UTF-8 text, then a line that is not: a file pieced together.
        line = _breaks(data[:line_start].decode("utf-8")) + 1
        raise RecordFileError(
            source,
            _m(
                f"第{line}行不是UTF-8编码，而前面各行是：文件混用了多种编码；"
                "请把它另存为UTF-8（或用 --encoding 指定编码）",
                f"line {line} is not UTF-8 although the lines before it are: the file mixes"
                " encodings; save it again as UTF-8 (or pass --encoding)",
            ),
        )
    tried = Message(zh="UTF-8或GB18030（GBK）", en="UTF-8 or GB18030 (GBK)")
    return "gb18030", _decode(source, data, "gb18030", tried)


class _Feed:
    """The physical lines of a CSV file for ``csv.reader``, one record's worth at most.

    A record that would need more lines than ``QUOTE_LINES``, more characters than
    ``QUOTE_CHARS``, a line with a NUL byte or a line after the end of the file is
    starved: ``why`` says which.
    """

    __slots__ = ("lines", "pos", "size", "start", "why")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.start = self.pos = self.size = 0
        self.why: str | None = None

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        pos = self.pos
        if pos >= len(self.lines):
            self.why = "eof"
            raise StopIteration
        if pos - self.start >= QUOTE_LINES:
            self.why = "lines"
            raise StopIteration
        line = self.lines[pos]
        if pos > self.start:
            self.size += len(line)
            if "\0" in line:
                self.why = "nul"
                raise StopIteration
            if self.size > QUOTE_CHARS:
                self.why = "size"
                raise StopIteration
        self.pos = pos + 1
        return line


@dataclass(frozen=True, slots=True)
class _Shape:
    """The cells a CSV row must have.

    At least ``need`` (up to the last non-empty header cell), and at most ``width`` (the
    header's) unless the cells after those are blank.
    """

    need: int
    width: int

    def misfit(self, cells: list[str]) -> str | None:
        count = len(cells)
        if count < self.need:
            return "too_few_fields"
        if count > self.width and not _blank(cells[self.width :]):
            return "too_many_fields"
        return None

    def expected(self) -> tuple[str, str]:
        if self.need == self.width:
            return f"{self.width}", f"{self.width}"
        return f"{self.need}至{self.width}", f"{self.need} to {self.width}"


_MISFIT_HINTS: Final = {
    "too_many_fields": (
        "多出的单元格不是空的：单元格内的分隔符可能没有加引号",
        "the extra cells are not blank: a delimiter inside a cell may lack quotes",
    ),
    "too_few_fields": (
        "单元格内的换行可能没有加引号，或这一行被截断",
        "a line break inside a cell may lack quotes, or the line is cut short",
    ),
}
_WHY: Final = {
    "eof": ("到文件末尾仍未闭合", "before the end of the file"),
    "lines": (f"在{QUOTE_LINES}行内未闭合", f"within {QUOTE_LINES} lines"),
    "size": ("在64 KiB内未闭合", "within 64 KiB"),
    "nul": ("在含NUL字节的一行之前未闭合", "before a line holding a NUL byte"),
}


class _Splitter:
    """Splits the physical lines of a CSV file into rows, as ``csv`` does.

    A row normally fits on one line; a quoted cell may hold line breaks. A broken
    quote costs one line: the row starting there is a ``BrokenRow`` and the next row
    starts on the next line.
    """

    def __init__(self, source: str, lines: list[str], delimiter: str) -> None:
        self.source = source
        self.lines = lines
        self.delimiter = delimiter
        self.feed = _Feed(lines)
        self.reader = csv.reader(self.feed, delimiter=delimiter)
        # Whether a quote was still open at the end of ``lines``: the head of a file
        # then does not tell how its row ends.
        self.ran_out = False

    def split(self, pos: int, shape: _Shape | None) -> tuple[int, list[str] | BrokenRow]:
        """The row starting at ``lines[pos]``: how many lines it spans, and its cells.

        With ``shape`` (after the header), a row over several lines whose cells do not
        fit it is taken as a broken quote too.
        """
        line = self.lines[pos]
        if "\0" in line:
            return 1, self._broken(
                pos,
                "nul_byte",
                _m(
                    "这一行含有NUL字节（\\0），文件可能已损坏：请检查这一行",
                    "the line holds a NUL byte (\\0): the file may be damaged; check this line",
                ),
            )
        if '"' not in line:
            body = line.rstrip("\r\n")
            cells = body.split(self.delimiter)
            if len(body) > FIELD_CHARS and max(map(len, cells)) > FIELD_CHARS:
                return 1, self._too_long(pos)
            return 1, cells
        feed = self.feed
        feed.start = feed.pos = pos
        feed.size = len(line)
        feed.why = None
        try:
            row = next(self.reader, [])
        except csv.Error as error:
            self.reader = csv.reader(feed, delimiter=self.delimiter)
            if "field larger than field limit" in str(error):
                return 1, self._too_long(pos)
            return 1, self._broken(
                pos,
                "unsplittable",
                _m(
                    f"这一行无法拆分为单元格：{error}",
                    f"the line cannot be split into cells: {error}",
                ),
            )
        spanned = feed.pos - pos
        if feed.why is not None:
            self.reader = csv.reader(feed, delimiter=self.delimiter)
            self.ran_out = self.ran_out or feed.why == "eof"
            return 1, self._unclosed(pos, _WHY[feed.why])
        if spanned > 1 and shape is not None and shape.misfit(row):
            zh, en = shape.expected()
            last = pos + spanned
            return 1, self._unclosed(
                pos,
                (
                    f"到第{last}行才闭合，得到{len(row)}个单元格，而表头要求{zh}个",
                    f"until line {last}, which makes {len(row)} cells where the header has {en}",
                ),
            )
        if spanned == 1 and any(len(cell) > FIELD_CHARS for cell in row):
            return 1, self._too_long(pos)
        return spanned, row

    def _broken(self, pos: int, code: str, message: Message) -> BrokenRow:
        text = _clip(self.lines[pos].rstrip("\r\n"))
        return BrokenRow(self.source, pos + 1, code, message, text)

    def _too_long(self, pos: int) -> BrokenRow:
        return self._broken(
            pos,
            "field_too_long",
            _m(
                f"这一行有超过{FIELD_CHARS}个字符的单元格，不是学时记录：请检查这一行",
                f"the line holds a cell longer than {FIELD_CHARS} characters, which no record"
                " has: check this line",
            ),
        )

    def _unclosed(self, pos: int, why: tuple[str, str]) -> BrokenRow:
        return self._broken(
            pos,
            "unclosed_quote",
            _m(
                f"这一行的引号没有闭合（{why[0]}）：只跳过这一行，从下一行继续读取；"
                '请检查这一行的引号（单元格内的引号应写成两个""）',
                f"a quote opened in this line is not closed ({why[1]}): this line alone was"
                " skipped and reading went on with the next line; check its quotes (a quote"
                ' inside a cell is written twice: "")',
            ),
        )

    def rows(self, pos: int = 0, stop: int | None = None) -> Iterator[tuple[int, int, _Split]]:
        """Rows from ``lines[pos]`` to ``lines[stop]``, split without a header.

        Each is (line, lines spanned, cells or the broken row).
        """
        end = len(self.lines) if stop is None else stop
        while pos < end:
            spanned, row = self.split(pos, None)
            yield pos + 1, spanned, row
            pos += spanned


_Split: TypeAlias = list[str] | BrokenRow


def _unbroken(
    rows: Iterable[tuple[int, int, _Split]],
) -> Iterator[tuple[int, int, list[str | None] | None]]:
    """Rows for ``_find_header``: a broken row as None."""
    for line, spanned, row in rows:
        yield line, spanned, None if isinstance(row, BrokenRow) else list(row)


_BREAK: Final = re.compile(rb"\r\n?|\n")


def _line_start(data: bytes, count: int) -> int | None:
    """Where line ``count + 1`` starts in ``data``: after ``count`` line feeds.

    None if a CR breaks a line before it (``rows()`` breaks lines there, polars not).
    """
    if count == 0:
        return 0
    for number, found in enumerate(_BREAK.finditer(data), start=1):
        if found.group() == b"\r":
            return None
        if number == count:
            return found.end()
    return None


def _read_head(path: Path, source: str) -> bytes:
    """The first ``HEAD_BYTES`` bytes of a file and one more (to tell whether there is more)."""
    try:
        with path.open("rb") as raw:
            return raw.read(HEAD_BYTES + 1)
    except OSError as error:
        raise _open_error(source, error) from None


@dataclass(slots=True)
class _Search:
    """The header search in one file's lines, under each delimiter."""

    found: list[tuple[_Candidate, str]]
    best: _Candidate | None
    complete: bool  # whether more lines after these could not change it


def _search(source: str, lines: list[str], resolver: _Resolver, whole: bool) -> _Search:
    """The header under each delimiter, in ``lines`` (``whole``: all the file's lines)."""
    found: list[tuple[_Candidate, str]] = []
    best: _Candidate | None = None
    complete = True
    for delimiter in _DELIMITERS:
        splitter = _Splitter(source, lines, delimiter)
        exhausted = False

        def head_rows(
            splitter: _Splitter = splitter,
        ) -> Iterator[tuple[int, int, list[str | None] | None]]:
            nonlocal exhausted
            yield from _unbroken(splitter.rows())
            exhausted = True  # the search asked for a row after the last line

        match, candidate = _find_header(head_rows(), resolver)
        complete = complete and (whole or not (exhausted or splitter.ran_out))
        if match is not None:
            found.append((match, delimiter))
        if candidate is not None and (best is None or candidate.score > best.score):
            best = candidate
    return _Search(found, best, complete)


@dataclass(frozen=True, slots=True)
class _Body:
    """How the rows under one header become items: the one place a row is classified."""

    source: str
    shape: _Shape
    mapped: list[tuple[int, str]]  # (position from 0, field)
    empty: list[int]  # positions (from 0) of empty header cells
    person: int | None

    @classmethod
    def of(cls, header: Header) -> _Body:
        columns = header.columns
        named = [c.position for c in columns if c.header]
        return cls(
            header.source,
            _Shape(max(named, default=0), len(columns)),
            [(c.position - 1, c.field) for c in columns if c.field],
            [c.position - 1 for c in columns if not c.header],
            _person(columns),
        )

    def item(
        self, row: _Split, line: int, spanned: int, text: str, filled: set[int] | None
    ) -> Item:
        """The item of a row starting at ``line``, written ``text`` (its first line).

        ``filled`` gathers the empty header cells with a record's data under them.
        """
        if isinstance(row, BrokenRow):
            return row
        kind = _skip_kind(row, self.person)
        if kind is not None:
            return SkippedRow(self.source, line, kind, _shown(row), spanned)
        code = self.shape.misfit(row)
        if code is not None:
            zh, en = self.shape.expected()
            hint_zh, hint_en = _MISFIT_HINTS[code]
            return BrokenRow(
                self.source,
                line,
                code,
                _m(
                    f"应有{zh}个单元格，实有{len(row)}个：{hint_zh}",
                    f"expected {en} cells, got {len(row)}: {hint_en}",
                ),
                _clip(text.rstrip("\r\n")),
                spanned,
            )
        if filled is not None:
            filled.update(p for p in self.empty if p < len(row) and not _blank((row[p],)))
        return RawRow(self.source, line, {field: row[p] for p, field in self.mapped}, spanned)


def _title_items(source: str, splitter: _Splitter, stop: int) -> Iterator[Item]:
    """The rows above a header (which starts at ``lines[stop]``): titles and blank rows."""
    for line, spanned, cells in splitter.rows(0, stop):
        if isinstance(cells, BrokenRow):
            yield cells
        elif _blank(cells):
            yield SkippedRow(source, line, "blank", "", spanned)
        else:
            yield SkippedRow(source, line, "title", _shown(cells), spanned)


class _CsvFile(RecordFile):
    """A CSV file: its header found in its head, the rest decoded when it is read.

    A file in an encoding whose lines are its byte lines (UTF-8, GB18030 and its
    subsets) whose header lies in its first ``HEAD_BYTES`` is opened from that head
    alone; any other is decoded whole at opening. ``rows()`` decodes the whole file
    (once, kept); ``tables()`` reads it by the fast path where it can (``_FastCsv``).
    """

    def __init__(
        self,
        path: Path,
        source: str,
        encoding: str,
        notes: list[Message],
        header: Header,
        delimiter: str,
        reading: _Reading,
    ) -> None:
        super().__init__(path, source, "csv", encoding, notes, [header])
        self._delimiter = delimiter
        self._reading = reading

    @classmethod
    def open(
        cls,
        path: Path,
        source: str,
        encoding: str | None,
        resolver: _Resolver,
        strict: bool,
        notes: list[Message],
    ) -> _CsvFile:
        """Finds the file's encoding, delimiter and header, from its head if it can."""
        data = _read_head(path, source)
        whole = len(data) <= HEAD_BYTES
        found = None
        if not whole:
            data = data[: data.rfind(b"\n") + 1]
            text = _csv_text(source, data, encoding, head=True) if data else None
            if text is not None:
                lines = io.StringIO(text[1], newline="").readlines()
                search = _search(source, lines, resolver, False)
                if search.complete:
                    found = text[0], lines, search
        if found is None:
            # Small, or not to be told from its head: decoded whole, as before.
            if not whole:
                data = _read(path, source)
            whole = True
            text = _csv_text(source, data, encoding)
            assert text is not None  # a whole file always has its encoding
            lines = io.StringIO(text[1], newline="").readlines()
            found = text[0], lines, _search(source, lines, resolver, True)
        chosen, lines, search = found
        if encoding is None and chosen == "gb18030":
            notes.append(_m("按GB18030（GBK）编码读取", "read as GB18030 (GBK)"))
        if not search.found:
            raise _no_header(source, search.best, text=True)
        # The delimiter under which the header is understood best (the earliest on a tie).
        chosen_header, delimiter = max(search.found, key=lambda hd: hd[0].known)
        if delimiter in _DELIMITER_NAMES:
            zh, en = _DELIMITER_NAMES[delimiter]
            notes.append(_m(f"分隔符为{zh}", f"cells are separated by {en}"))
        columns = resolver.header(chosen_header.cells)
        header = Header(source, chosen_header.line, chosen_header.lines, tuple(columns))
        _check_header(source, columns, False)
        notes.extend(resolver.notes(columns))
        notes.extend(resolver.unused())
        body = header.line - 1 + header.lines  # the first line under the header, from 0
        reading = _Reading(
            given=encoding,
            head=lines,
            whole=whole,
            body=body,
            offset=_line_start(data, body) if codecs.lookup(chosen).name in _LINEWISE else None,
            line_bytes=_line_bytes(lines, len(data)),
        )
        file = cls(path, source, chosen, notes, header, delimiter, reading)
        if any(not c.header for c in columns):
            # Data under an empty header cell is a column not understood: looked for now,
            # so that ``columns`` and strict mode know of it before any row is read.
            filled = file._filled()
            file._headers[0] = Header(
                source,
                header.line,
                header.lines,
                tuple(
                    HeaderColumn(c.position, c.header, None) if c.position - 1 in filled else c
                    for c in columns
                ),
            )
        _check_header(source, file.columns, strict)
        return file

    def _filled(self) -> set[int]:
        """The positions (from 0) of empty header cells with a record's data under them."""
        filled: set[int] = set()
        for _ in self._fast(262_144, filled) if self._fast_ok() else self._items(filled):
            pass
        return filled

    def _lines(self) -> list[str]:
        """All the file's lines, decoded (once) as opening decoded its head.

        Raises:
            RecordFileError: The file cannot be read, or (past its head) decoded.
        """
        reading = self._reading
        if not reading.whole:
            data = _read(self.path, self.source)
            text = _csv_text(self.source, data, reading.given)
            assert text is not None  # a whole file always has its encoding
            if text[0] != self.encoding:  # pragma: no cover - the file changed under us
                raise RecordFileError(
                    self.source,
                    _m("文件在读取过程中被修改", "the file changed while it was read"),
                )
            reading.head = io.StringIO(text[1], newline="").readlines()
            reading.whole = True
        return reading.head

    def rows(self) -> Iterator[Item]:
        """The file's rows after opening: title rows, the records, footers.

        Raises:
            RecordFileError: The file cannot be read, or decoded past its head: when
                reading starts, before any row.
        """
        return self._items(None)

    def _items(self, filled: set[int] | None) -> Iterator[Item]:
        lines = self._lines()
        splitter = _Splitter(self.source, lines, self._delimiter)
        start = self._headers[0].line - 1
        yield from _title_items(self.source, splitter, start)
        yield from self._body_items(splitter, self._reading.body, filled)

    def _body_items(self, splitter: _Splitter, pos: int, filled: set[int] | None) -> Iterator[Item]:
        """The rows from ``lines[pos]`` (the start of a row) to the end of the file."""
        body = _Body.of(self._headers[0])
        shape = body.shape
        lines = splitter.lines
        total = len(lines)
        split = splitter.split
        while pos < total:
            spanned, row = split(pos, shape)
            yield body.item(row, pos + 1, spanned, lines[pos], filled)
            pos += spanned

    def _tables(self, batch_rows: int) -> Iterator[RawTable]:
        if not self._fast_ok():
            return super()._tables(batch_rows)
        return self._fast(batch_rows, None)

    def _fast_ok(self) -> bool:
        """Whether the fast path may read the file (``_FastCsv``)."""
        name = codecs.lookup(self.encoding).name if self.encoding else ""
        return (
            _polars_can_name(self.path)
            and name in _LINEWISE
            and self._reading.offset is not None
            and _person(self._headers[0].columns) is not None
        )

    def _fast(self, size: int, filled: set[int] | None) -> Iterator[RawTable]:
        """``tables`` by the fast path (``_FastCsv``); past its first doubt, by ``rows()``."""
        fast = _FastCsv(self, size, filled)
        batcher = _Batcher(size, self._mapped)
        reading = self._reading
        try:
            if not fast.start():
                # ``rows()`` reads the file, or names the line that cannot be decoded.
                for position, item in enumerate(self._items(filled)):
                    yield from batcher.add(position, item)
                yield from batcher.flush()
                return
            assert fast.survey is not None
            titles = 0
            splitter = _Splitter(self.source, reading.head, self._delimiter)
            for item in _title_items(self.source, splitter, self._headers[0].line - 1):
                yield from batcher.add(titles, item)
                titles += 1
            done = 0  # the body's lines read
            batches = fast.batches()
            try:
                for cells, start in batches:
                    line = reading.body + 1 + start
                    piece = fast.table(cells, start, line, titles + start)
                    if piece is None:
                        break
                    frame, others = piece
                    yield from batcher.piece(
                        self.source, frame, others, titles + start, cells.height
                    )
                    done = start + cells.height
            finally:
                batches.close()
        finally:
            fast.close()
        if done < fast.survey.lengths.len():
            # The rest of the file, from a line that starts a row, as ``rows()`` reads it.
            splitter = _Splitter(self.source, self._lines(), self._delimiter)
            position = titles + done
            for item in self._body_items(splitter, reading.body + done, filled):
                yield from batcher.add(position, item)
                position += 1
        yield from batcher.flush()


@dataclass(slots=True)
class _Reading:
    """What opening found out about reading a CSV file's text."""

    given: str | None  # the encoding given, None if detected
    head: list[str]  # the lines of the head (all the lines once ``whole``)
    whole: bool
    body: int  # the first line under the header, from 0
    offset: int | None  # where that line starts in the file's bytes, if it can be told
    line_bytes: int  # the bytes of a line under the header, about


def _line_bytes(lines: list[str], size: int) -> int:
    """The bytes of a line, about: the average of the ``size`` bytes ``lines`` hold."""
    return max(1, size // max(1, len(lines)))


# ---------------------------------------------------------------------------------------
# CSV: the fast path of tables()

#: The characters ``str.isspace`` holds to be spaces (a test keeps this list whole).
_SPACES: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: Bytes at a time when a GBK file's body is decoded for polars.
_TRANSCODE_BYTES: Final = 4 << 20
#: Cells past the header that polars reads (a row with more is read again by ``rows()``'s
#: splitter): a trailing delimiter is common, and its cell must be seen to be blank.
_PAST_HEADER: Final = 1


def _char_class(chars: Iterable[str]) -> str:
    """``chars`` for a class of a polars (Rust ``regex``) regular expression."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in sorted(set(chars)))


# A person cell whose first character is neither a space nor the first of a footer
# word: ``_skip_kind`` takes its row for a record at a glance, and so may polars.
_PLAIN_PERSON: Final = f"^[^{_char_class(_SPACES + ''.join(_FOOTER_FIRST))}]"
# A cell that is not blank (``_blank``): it holds a character that is not a space.
_NOT_BLANK: Final = f"[^{_char_class(_SPACES)}]"


def _simple_line(delimiter: str) -> str:
    """A line whose quotes ``csv`` reads as plainly as a split at the delimiter would.

    As a polars regular expression: each cell is unquoted without a quote, or quoted
    whole with no quote, no delimiter and no line break inside (a cell ``""`` is empty).
    Such a cell is unquoted by dropping its first and last character; a line with a
    doubled quote inside a cell is left to ``rows()``' splitter, as few are.
    """
    inside = {"\t": r"\t"}.get(delimiter, delimiter)
    between = {"\t": r"\t", "|": r"\|"}.get(delimiter, delimiter)
    cell = f'(?:"[^"\r\n{inside}]*"|[^"\r\n{inside}]*)'
    return f"^{cell}(?:{between}{cell})*$"


def _unquoted(cell: str) -> str:
    """A cell of a simple line (``_simple_line``) as ``csv`` reads it."""
    return cell[1:-1] if cell.startswith('"') else cell


@dataclass(slots=True)
class _Survey:
    """The body's lines as polars splits them, looked at before any batch is given.

    Attributes:
        lengths: The bytes of each line, without its line break (UInt32).
        quoted: Whether each line holds quotes, all in cells quoted whole with no quote
            or delimiter inside; None if none does.
        awkward: Whether each line holds another quote; None if none does.
        stop: The first doubtful line (from 0; the number of lines if none is).
        step: The bytes of every line break (1: LF, 2: CR LF); None if they differ.
    """

    lengths: pl.Series
    quoted: pl.Series | None
    awkward: pl.Series | None
    stop: int
    step: int | None


class _FastCsv:
    """The fast path of ``tables`` for a CSV file: its body read by polars.

    What polars reads is taken only where it is certain to be what ``rows()`` gives;
    from the first line where it is not, ``rows()`` reads the rest of the file. polars
    never reads quotes: it splits each line at every delimiter (so a line's bytes are
    its cells and its delimiters, and its cells are counted from its bytes), and quoted
    cells are unquoted after, where the survey found them plain.

    First, before any batch, polars reads the body (the lines under the header) as
    lines, to survey them (``start``). ``rows()`` reads the whole file if:

    - polars cannot read the body as UTF-8 (a GBK body is first decoded by Python into
      a temporary UTF-8 copy; a body that does not decode fails there): ``rows()``
      then names the line that cannot be decoded;
    - a line holds a NUL byte (polars cannot read it as one line);
    - the lines polars found and one line break each (all LF, all CR LF, or counted)
      do not make up the body's bytes exactly, or line breaks of both kinds meet a CR
      inside a line;
    - the body's first line starts with a byte-order mark (polars drops it).

    The first doubtful line, from which ``rows()`` reads the rest, is one that holds a
    CR (a line break to ``rows()``, not to polars) or has more than ``FIELD_CHARS``
    bytes. A line with a quote is plain when each of its cells is unquoted without a
    quote, or quoted whole with no quote and no delimiter inside (``_simple_line``); any
    other (awkward: a doubled quote, a quoted delimiter or line break, a stray quote) is
    read again from the file and split by the exact path's ``_Splitter``; if its quote
    is still open at its end, ``rows()`` reads from its batch on.

    Then polars reads the cells, in batches, as wide as the header and one more (a
    trailing delimiter, ``_PAST_HEADER``). Each row is one line. A row is a record at a
    glance when its person cell starts with an ASCII letter or digit (or, where many do
    not, with neither a space nor the first character of a footer word: ``_skip_kind``
    decides so too), it has a cell at or after the last named header cell (counted from
    its bytes), none past the header, and its line is not awkward. Every other row
    (blank, footer, note, short, long) is classified by the exact path's own
    ``_Body.item``: from its cells when it has no more cells than polars read and its
    line is plain (its text is then its cells joined by the delimiter), else from its
    line read again (where the line cannot be found again, line breaks of both kinds,
    ``rows()`` reads from its batch on). Some rows spread over each batch are checked
    against their lines' bytes.
    """

    def __init__(self, file: _CsvFile, size: int, filled: set[int] | None) -> None:
        reading = file._reading
        assert reading.offset is not None  # checked by ``_CsvFile._fast_ok``
        self.file = file
        self.body = _Body.of(file._headers[0])
        assert self.body.person is not None  # checked by ``_CsvFile._fast_ok``
        self.person = self.body.person
        self.columns = len(file._headers[0].columns)
        self.width = self.columns + _PAST_HEADER
        self.need = self.body.shape.need
        self.delimiter = file._delimiter
        name = codecs.lookup(file.encoding or "utf-8").name
        self.codec = None if name in ("utf-8", "utf-8-sig") else name
        self.size = size
        self.filled = filled
        self.splitter = _Splitter(file.source, [""], self.delimiter)
        # The body as UTF-8: the file itself from its line ``skip``, or a decoded copy.
        self.path = file.path.absolute()  # for polars: no ~ to expand, no URL
        self.skip = reading.body
        self.offset = reading.offset
        self.copy: Path | None = None
        self.survey: _Survey | None = None
        self.base = 0  # where the next batch's first line starts in ``path``

    def close(self) -> None:
        """Removes the decoded copy of a GBK body, if one was made."""
        if self.copy is not None:
            # Where a file in use cannot be removed (Windows), it is left to the system.
            with contextlib.suppress(OSError):
                self.copy.unlink(missing_ok=True)
            self.copy = None

    def start(self) -> bool:
        """Surveys the body, before any batch; False if ``rows()`` must read all of it."""
        if self.codec is not None and not self._transcode():
            return False
        try:
            with self.path.open("rb") as handle:
                handle.seek(0, io.SEEK_END)
                size = handle.tell() - self.offset
                handle.seek(self.offset)
                first = handle.read(3)
                handle.seek(max(self.offset, self.offset + size - 2))
                last = handle.read(2)
        except OSError as error:
            raise _open_error(self.file.source, error) from None
        if first.startswith(codecs.BOM_UTF8):
            return False  # polars would drop it
        found = self._look()
        if found is None:
            return False
        survey, inner = found
        step = self._step(survey.lengths, size, last, inner)
        if step is None:
            return False
        survey.step = step if step else None
        self.survey = survey
        self.base = self.offset
        return True

    def _look(self) -> tuple[_Survey, bool] | None:
        """The body's lines as polars splits them, surveyed, and whether one holds a CR.

        None if polars cannot read them (they are not UTF-8, or a line holds a NUL).
        The survey's ``step`` is left to ``_step``.
        """
        import polars as pl

        raw = pl.col("raw")
        # Only lines with a NUL, a CR or a quote need a closer look: few, unless every
        # cell is quoted.
        special = raw.str.contains_any(["\0", "\r", '"']).fill_null(False)
        lines = (
            self._lines()
            .with_row_index("i")
            .select("i", length=raw.str.len_bytes().fill_null(0), text=pl.when(special).then(raw))
        )
        simple = _simple_line(self.delimiter)
        text = pl.col("text")
        lengths: list[pl.Series] = []
        marks: dict[str, list[pl.Series]] = {"quoted": [], "awkward": []}
        stop: int | None = None
        inner = False
        try:
            for batch in lines.collect_batches(chunk_size=262_144):
                lengths.append(batch.get_column("length"))
                odd = batch.filter(text.is_not_null())
                if not odd.height:
                    continue
                odd = odd.with_columns(
                    quote=text.str.contains('"', literal=True), plain=text.str.contains(simple)
                ).select(
                    "i",
                    quoted=pl.col("quote") & pl.col("plain"),
                    awkward=pl.col("quote") & ~pl.col("plain"),
                    inner=text.str.contains("\r", literal=True),
                )
                returns = odd.filter("inner").get_column("i")
                if returns.len():
                    inner = True
                    stop = int(returns[0]) if stop is None else stop
                for kind, found in marks.items():
                    found.append(odd.filter(kind).get_column("i"))
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
            return None
        length = pl.concat(lengths) if lengths else pl.Series("length", [], pl.UInt32)
        count = length.len()
        long = (length > FIELD_CHARS).arg_true()
        if long.len():
            stop = int(long[0]) if stop is None else min(stop, int(long[0]))
        flags: dict[str, pl.Series | None] = {}
        for kind, found in marks.items():
            marked = pl.concat(found) if found else pl.Series("i", [], pl.UInt32)
            flags[kind] = None
            if marked.len():
                blank = pl.repeat(False, count, dtype=pl.Boolean, eager=True)
                flags[kind] = blank.scatter(marked, True)
        stop = count if stop is None else stop
        return _Survey(length, flags["quoted"], flags["awkward"], stop, None), inner

    def _step(self, lengths: pl.Series, size: int, last: bytes, inner: bool) -> int | None:
        """The bytes of each line break: 1 or 2, or 0 if they differ.

        None if the lines and their line breaks do not make up the body's ``size`` bytes
        (polars did not split it into the lines ``rows()`` has), or if they differ and
        a line holds a CR (``inner``: the CRs cannot be told apart then).
        """
        count = lengths.len()
        if not count:
            return 1 if size == 0 else None
        text = int(lengths.sum())
        final = 2 if last.endswith(b"\r\n") else 1 if last.endswith((b"\n", b"\r")) else 0
        for step in (1, 2):
            if final in (0, step) and text + step * (count - 1) + final == size:
                return step
        if inner:
            return None
        # Line breaks of both kinds: the CRs polars dropped, each before an LF or last.
        returns = 0
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            while data := handle.read(_TRANSCODE_BYTES):
                returns += data.count(b"\r")
        feeds = count - 1 + last.endswith(b"\n")
        return 0 if text + feeds + returns == size else None

    def _transcode(self) -> bool:
        """Decodes a GBK body into a temporary UTF-8 file; False if it does not decode."""
        assert self.codec is not None
        chosen = temporary_folder()
        try:
            handle, name = tempfile.mkstemp(prefix="ce-rules-", suffix=".csv", dir=chosen)
        except OSError as error:
            folder = chosen or tempfile.gettempdir()
            raise temporary_failed(folder, error, why=DECODED) from None
        self.copy = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                for text in self._decoded():
                    out.write(text)
        except UnicodeDecodeError:
            return False
        except OSError as error:  # writing the copy (the file's own errors are told apart)
            raise temporary_failed(str(self.copy.parent), error, why=DECODED) from None
        self.path, self.skip, self.offset = self.copy, 0, 0
        return True

    def _decoded(self) -> Iterator[bytes]:
        """The body as UTF-8, a piece at a time; ``RecordFileError`` if the file cannot be read."""
        assert self.codec is not None
        try:
            with self.file.path.open("rb") as raw:
                raw.seek(self.offset)
                rest = b""
                while data := raw.read(_TRANSCODE_BYTES):
                    data = rest + data
                    cut = data.rfind(b"\n") + 1
                    rest = data[cut:]
                    yield data[:cut].decode(self.codec).encode("utf-8")
                yield rest.decode(self.codec).encode("utf-8")
        except OSError as error:
            raise _open_error(self.file.source, error) from None

    def _lines(self) -> pl.LazyFrame:
        import polars as pl

        return pl.scan_csv(
            self.path,
            glob=False,  # a name with [ ] * ? is this file's, not a pattern
            has_header=False,
            skip_lines=self.skip,
            separator="\0",  # in no line that is read
            quote_char=None,
            infer_schema=False,
            schema={"raw": pl.String},
        )

    def batches(self) -> Generator[tuple[pl.DataFrame, int], None, None]:
        """The cells of the body's lines up to the first doubtful one, in batches.

        Each is (cells, its first line from 0). They stop early if polars fails (the
        rest is then for ``rows()``).
        """
        import polars as pl

        survey = self.survey
        assert survey is not None
        stream = pl.scan_csv(
            self.path,
            glob=False,
            has_header=False,
            skip_lines=self.skip,
            separator=self.delimiter,
            quote_char=None,  # every delimiter splits: quotes are looked at after
            infer_schema=False,
            schema={f"c{i}": pl.String for i in range(self.width)},
            missing_columns="insert",  # a short first line, as later ones
            truncate_ragged_lines=True,  # a longer line is counted from its bytes
        ).collect_batches(chunk_size=self.size)
        start = 0
        while start < survey.stop:
            try:
                cells = next(stream, None)
            except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
                return
            if cells is None:
                return
            if not cells.height:
                continue
            if cells.height > survey.stop - start:
                cells = cells.head(survey.stop - start)
            yield cells, start
            start += cells.height

    def table(
        self, cells: pl.DataFrame, start: int, line: int, first: int
    ) -> tuple[pl.DataFrame, list[tuple[int, SkippedRow | BrokenRow]]] | None:
        """A batch's records (a frame) and its other items, with their positions.

        ``cells`` are the body's lines from ``start`` on, the first at ``line`` and
        position ``first``. None if a row reads otherwise than ``rows()`` reads it.
        """
        import polars as pl

        survey = self.survey
        assert survey is not None
        count = cells.height
        width = self.width

        def cell(position: int) -> pl.Expr:
            return pl.col(f"c{position}")

        def flag(series: pl.Series | None, name: str) -> pl.Expr:
            return pl.lit(False) if series is None else pl.col(name)

        facts = cells.with_columns(
            _length=survey.lengths.slice(start, count),
            **{
                name: series.slice(start, count)
                for name, series in (("_quoted", survey.quoted), ("_awkward", survey.awkward))
                if series is not None
            },
        ).with_row_index("_i")
        awkward = flag(survey.awkward, "_awkward")
        # Quoted cells of plain lines, unquoted: those the frame holds, or that decide.
        unquote = sorted({p for p, _ in self.body.mapped} | {self.person, *self.body.empty})
        if survey.quoted is not None and bool(facts.get_column("_quoted").any()):
            # In a plain line, a cell is quoted whole or holds no quote at all.
            facts = facts.with_columns(
                cell(p).str.strip_prefix('"').str.strip_suffix('"').alias(f"u{p}") for p in unquote
            )
        else:
            facts = facts.with_columns(cell(p).alias(f"u{p}") for p in unquote)
        person = pl.col(f"u{self.person}")
        plain = ((person >= "0") & (person < "{")).fill_null(False)
        if count - int(facts.select(plain.sum()).item()) > 256:
            plain = person.str.contains(_PLAIN_PERSON).fill_null(False)
        # The cells polars read past the header, where any is filled in this batch.
        seen = width
        while seen > self.columns and cells.get_column(f"c{seen - 1}").null_count() == count:
            seen -= 1
        present = pl.any_horizontal(cell(i).is_not_null() for i in range(self.need - 1, seen))
        clear = ~pl.any_horizontal(
            [pl.lit(False), *(cell(i).is_not_null() for i in range(self.columns, seen))]
        )
        # Every byte of a line is in a cell or is a delimiter: its cells, counted (more
        # than ``width`` when polars left some out).
        counted = (
            pl.col("_length").cast(pl.Int64)
            - pl.sum_horizontal(cell(i).str.len_bytes().fill_null(0) for i in range(seen))
            + 1
        )
        # The rows not taken at a glance, and some rows spread over the batch (a line
        # that polars split otherwise than its bytes say would shift all after it).
        spread = pl.col("_i").is_in(range(0, count, max(1, count // 64))) | (
            pl.col("_i") == count - 1
        )
        needed = facts.select(~(plain & clear & present & ~awkward) | spread).to_series()
        cells_in_line = pl.col("counted")
        look = [
            "_i",
            "counted",
            awkward.alias("awkward"),
            (
                plain & clear & ~awkward & (cells_in_line <= width) & (cells_in_line >= self.need)
            ).alias("ok"),
            ((cells_in_line >= 1) & (~present | (cells_in_line >= self.need))).alias("sane"),
        ]
        if int(needed.sum()) * 8 < count:  # few: only they are looked at
            looked = facts.filter(needed).with_columns(counted=counted).select(look)
        else:  # many (a last column mostly empty): all are, without copying the cells
            looked = facts.with_columns(counted=counted).select(look).filter(needed)
        if not looked.get_column("sane").all():  # pragma: no cover - never seen
            return None  # a line polars split otherwise than its bytes say
        odd = looked.filter(~pl.col("ok"))
        others: list[tuple[int, SkippedRow | BrokenRow]] = []
        dropped: dict[int, RawRow | None] = {}  # rows not in the frame: None, or rows() has
        if odd.height:
            rows = odd.get_column("_i")
            # Rows to be read again: awkward lines, and lines with more cells than read.
            odd = odd.with_columns(read=pl.col("awkward") | (pl.col("counted") > width))
            texts = self._texts(start, odd.filter("read").get_column("_i"))
            for (i, cells_in_row, read), values in zip(
                odd.select("_i", "counted", "read").iter_rows(),
                cells.select(pl.all().gather(rows)).iter_rows(),
                strict=True,
            ):
                if read:
                    text = texts.get(i)
                    exact = None if text is None else self._exact(text, line + i)
                    if exact is None:
                        return None
                    item = exact
                    if isinstance(item, RawRow):
                        dropped[i] = item  # polars split it at a quoted delimiter
                else:
                    # The line is its cells joined by the delimiter.
                    written = [value or "" for value in values[:cells_in_row]]
                    item = self.body.item(
                        [_unquoted(value) for value in written],
                        line + i,
                        1,
                        self.delimiter.join(written),
                        self.filled,
                    )
                if not isinstance(item, RawRow):
                    others.append((first + i, item))
                    dropped[i] = None
        if survey.step is not None:
            self.base += int(facts.get_column("_length").sum() or 0) + survey.step * count
        fields = []
        for position, field in self.body.mapped:
            value = pl.col(f"u{position}")
            # An empty cell is null (polars reads an unquoted one so; "" unquotes to "").
            value = pl.when(value != "").then(value)
            fields.append(value.alias(field))
        index = pl.col("_i").cast(pl.Int64)
        frame = facts.select((index + first).alias("item"), (index + line).alias("line"), *fields)
        if dropped:
            frame = self._mend(frame, dropped, first, line)
        if self.filled is not None and self.body.empty:
            records = facts
            if dropped:
                records = facts.filter(~pl.col("_i").is_in(list(dropped)))
            filled = records.select(
                pl.col(f"u{p}").str.contains(_NOT_BLANK).any().alias(str(p))
                for p in self.body.empty
                if p < width
            )
            self.filled.update(int(name) for name in filled.columns if filled.get_column(name)[0])
        return frame, others

    def _mend(
        self, frame: pl.DataFrame, dropped: dict[int, RawRow | None], first: int, line: int
    ) -> pl.DataFrame:
        """``frame`` without the rows that are not records (None in ``dropped``).

        A record whose line polars split otherwise than ``rows()`` (at a quoted
        delimiter) is in it as ``rows()`` read it.
        """
        import polars as pl

        fields = tuple(field for _, field in self.body.mapped)
        parts = []
        previous = 0
        for i in sorted(dropped):
            if i > previous:
                parts.append(frame.slice(previous, i - previous))
            exact = dropped[i]
            if exact is not None:
                values = [
                    cell if isinstance(cell, str) and cell else None
                    for cell in (exact.cells[field] for field in fields)
                ]
                parts.append(_frame(fields, [(first + i, line + i, values)]))
            previous = i + 1
        parts.append(frame.slice(previous))
        return pl.concat(parts, how="vertical", rechunk=False)

    def _texts(self, start: int, rows: pl.Series) -> dict[int, str]:
        """The text of lines ``rows`` of the batch from line ``start``, read again.

        Empty if where they start is not known (line breaks of both kinds).
        """
        import polars as pl

        survey = self.survey
        assert survey is not None
        if not rows.len() or survey.step is None:
            return {}
        wanted: list[int] = rows.to_list()
        lengths = survey.lengths.slice(start, wanted[-1] + 1).cast(pl.Int64)
        ends = (lengths + survey.step).cum_sum()
        texts = {}
        with self.path.open("rb") as handle:
            for i in wanted:
                length = int(lengths[i])
                handle.seek(self.base + int(ends[i]) - survey.step - length)
                texts[i] = handle.read(length).decode("utf-8")
        return texts

    def _exact(self, text: str, line: int) -> Item | None:
        """The item ``rows()`` makes of a line ``text`` at ``line``, if it is a whole row."""
        splitter = self.splitter
        splitter.lines[0] = text
        splitter.ran_out = False
        spanned, row = splitter.split(0, self.body.shape)
        if spanned != 1 or splitter.ran_out:
            return None  # a quote still open at the end of the line
        if isinstance(row, BrokenRow):
            row = replace(row, line=line)
        return self.body.item(row, line, 1, text, self.filled)


# ---------------------------------------------------------------------------------------
# JSON Lines


class _PairsList(list[tuple[str, Any]]):
    """A JSON object's keys and values in order, duplicates kept (json keeps the last)."""


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


class _ConstantError(ValueError):
    """NaN or Infinity, which JSON does not have."""


def _refuse_constant(name: str) -> Any:
    raise _ConstantError(name)


def _json_cell(value: Any) -> Cell:
    if value is None:
        return value
    if isinstance(value, str):
        if not value.isprintable() and _has_surrogate(value):
            # A JSON "\ud800" escape: no character, no table or report can hold it. It is
            # no cell, with the reason the cell parser gives.
            try:
                normalise(value)
            except CellError as error:
                return BadCell(error.code, error.message)
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):  # an array, or an object (``_PairsList``)
        return BadCell(
            "not_a_cell",
            _m(
                "列表或对象不能作为单元格的值：请写成文本或数字",
                "a list or an object cannot be a cell: write text or a number",
            ),
        )
    return str(value)  # pragma: no cover - numbers arrive as their text


class _JsonLinesFile(RecordFile):
    """A JSON Lines file: one object a line, its keys read as headers."""

    def __init__(
        self,
        path: Path,
        source: str,
        encoding: str,
        notes: list[Message],
        text: str,
        resolver: _Resolver,
        strict: bool,
    ) -> None:
        super().__init__(path, source, "jsonl", encoding, notes, [])
        self._text = text
        self._resolver = resolver
        self._strict = strict
        self._fields: dict[str, str | None] = {}

    @classmethod
    def open(
        cls,
        path: Path,
        source: str,
        data: bytes,
        encoding: str | None,
        resolver: _Resolver,
        strict: bool,
        notes: list[Message],
    ) -> _JsonLinesFile:
        """Decodes the file: UTF-8 (a BOM allowed) or an ASCII-compatible ``encoding``."""
        chosen = encoding or "utf-8-sig"
        _check_encoding(source, chosen)
        if not "a\n".encode(chosen).endswith(b"a\n"):
            raise RecordFileError(
                source,
                _m(
                    f"JSON Lines 文件应为UTF-8等兼容ASCII的编码，而不是 {chosen}",
                    f"JSON Lines are read in UTF-8 or another ASCII-compatible encoding,"
                    f" not {chosen}",
                ),
            )
        text = _decode(source, data, chosen, chosen, given=encoding is not None)
        if path.suffix.lower() == ".json" and text.lstrip().startswith("["):
            raise RecordFileError(
                source,
                _m(
                    "是JSON数组，不是JSON Lines：请每行写一个对象（.jsonl）",
                    "is a JSON array, not JSON Lines: write one object a line (.jsonl)",
                ),
            )
        return cls(path, source, chosen, notes, text, resolver, strict)

    def _field(self, key: str, line: int) -> str | None:
        if key in self._fields:
            field = self._fields[key]
        else:
            text = key.strip()
            field = self._resolver.field(text) if text else None
            self._fields[key] = field
            self._keys.append(HeaderColumn(len(self._keys) + 1, key if text else '""', field))
        if field is None and self._strict:
            col = next(c for c in self._keys if c.header in (key, '""') and c.field is None)
            raise _strict_error(self.source, [col], line)
        return field

    def rows(self) -> Iterator[Item]:
        """The file's lines: records, blank lines and broken lines."""
        source = self.source
        lines = self._text.split("\n")
        if lines and not lines[-1]:
            lines.pop()  # the line break ending the last line
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                yield SkippedRow(source, number, "blank", "")
                continue
            if len(text) > JSON_LINE_CHARS:
                yield self._broken(
                    number,
                    "too_long",
                    _m(
                        f"这一行超过{JSON_LINE_CHARS}个字符，不是学时记录",
                        f"the line is longer than {JSON_LINE_CHARS} characters, which no record is",
                    ),
                    text,
                )
                continue
            try:
                data = json.loads(
                    text,
                    parse_int=str,
                    parse_float=str,
                    parse_constant=_refuse_constant,
                    object_pairs_hook=_PairsList,
                )
            except _ConstantError as error:
                yield self._broken(
                    number,
                    "not_json",
                    _m(
                        f"JSON中没有 {error}：请写出数值，或留空（null）",
                        f"JSON has no {error}: write the number, or null",
                    ),
                    text,
                )
                continue
            except RecursionError:
                yield self._broken(
                    number,
                    "too_deep",
                    _m("这一行的JSON嵌套过深", "the line's JSON is nested too deep"),
                    text,
                )
                continue
            except ValueError as error:
                column = error.colno if isinstance(error, json.JSONDecodeError) else 0
                reason = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
                yield self._broken(
                    number,
                    "not_json",
                    _m(
                        f"不是JSON（第{column}个字符处：{reason}）",
                        f"not JSON (at character {column}: {reason})",
                    ),
                    text,
                )
                continue
            if not isinstance(data, _PairsList):
                yield self._broken(
                    number,
                    "not_an_object",
                    _m("这一行不是JSON对象（{...}）", "the line is not a JSON object ({...})"),
                    text,
                )
                continue
            yield self._record(number, data, text)

    def _record(self, number: int, pairs: _PairsList, text: str) -> RawRow | BrokenRow:
        cells: dict[str, Cell] = {}
        keys: dict[str, str] = {}
        for key, value in pairs:
            field = self._field(key, number)
            if not field:
                continue
            if field in cells:
                return self._broken(
                    number,
                    "duplicate_field",
                    _m(
                        f"键“{keys[field]}”和“{key}”都读作 {field}：请只保留一个",
                        f"keys “{keys[field]}” and “{key}” are both read as {field}: keep one",
                    ),
                    text,
                )
            keys[field] = key
            cells[field] = _json_cell(value)
        return RawRow(self.source, number, cells)

    def _broken(self, number: int, code: str, message: Message, text: str) -> BrokenRow:
        return BrokenRow(self.source, number, code, message, _clip(text.strip()))


# ---------------------------------------------------------------------------------------
# xlsx


def _check_zip(path: Path, source: str) -> None:
    """Refuses a zip that is not a workbook, or that would unpack to too much (a zip bomb)."""
    not_workbook = RecordFileError(
        source,
        _m(
            "不是xlsx工作簿：请在Excel中打开并另存为 .xlsx",
            "not an xlsx workbook: open it in Excel and save it as .xlsx",
        ),
    )
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except OSError as error:
        raise _open_error(source, error) from None
    except Exception:  # a damaged zip may fail in zipfile anywhere: it is no workbook
        raise not_workbook from None
    bomb_zh = "工作簿解压后过大或压缩比异常（疑似“压缩炸弹”），拒绝读取"
    if len(entries) > ZIP_ENTRIES:
        raise RecordFileError(
            source,
            _m(
                f"{bomb_zh}：含{len(entries)}个部件（上限{ZIP_ENTRIES}）",
                f"refused: the workbook holds {len(entries)} parts (at most {ZIP_ENTRIES});"
                " it may be a zip bomb",
            ),
        )
    total = sum(e.file_size for e in entries)
    if total > ZIP_TOTAL:
        raise RecordFileError(
            source,
            _m(
                f"{bomb_zh}：解压后共{total}字节（上限1 GiB）",
                f"refused: the workbook unpacks to {total} bytes (at most 1 GiB); it may be a"
                " zip bomb",
            ),
        )
    for entry in entries:
        if entry.file_size > ZIP_LARGE and entry.file_size > ZIP_RATIO * max(
            entry.compress_size, 1
        ):
            raise RecordFileError(
                source,
                _m(
                    f"{bomb_zh}：部件 {entry.filename} 的压缩比超过{ZIP_RATIO}",
                    f"refused: the part {entry.filename} is compressed more than"
                    f" {ZIP_RATIO} times; the file may be a zip bomb",
                ),
            )
    names = {e.filename.lower() for e in entries}
    if "[content_types].xml" not in names or not any("workbook" in n for n in names):
        raise not_workbook


def _openpyxl(source: str) -> Any:
    try:
        # The optional extra, imported only when an xlsx file is read.
        return importlib.import_module("openpyxl")
    except ImportError:
        raise RecordFileError(
            source,
            _m(
                "读取xlsx文件需要可选依赖 openpyxl：pip install openpyxl"
                "（或在 ce-rules 源码目录中 pip install '.[excel]'）",
                "reading xlsx needs openpyxl, the optional extra excel: pip install openpyxl "
                "(or, in a clone of ce-rules, pip install '.[excel]')",
            ),
        ) from None


@contextmanager
def _workbook(path: Path, source: str) -> Iterator[Any]:
    """The workbook, read-only with cached values; any failure of openpyxl is named."""
    openpyxl = _openpyxl(source)
    try:
        raw = path.open("rb")
    except OSError as error:
        raise _open_error(source, error) from None
    with raw:
        try:
            # A file object, so that openpyxl does not refuse a workbook named .csv.
            book = openpyxl.load_workbook(raw, read_only=True, data_only=True)
        except Exception as error:  # a hostile file may break openpyxl anywhere
            raise _workbook_error(source, error) from None
        try:
            yield book
        finally:
            book.close()


def _workbook_error(source: str, error: BaseException, row: int | None = None) -> RecordFileError:
    reason = f"{type(error).__name__}: {error}"
    where_zh = f"第{row}行附近：" if row is not None else ""
    where_en = f"near row {row}: " if row is not None else ""
    return RecordFileError(
        source,
        _m(
            f"{where_zh}无法读取工作簿（{reason}）：请在Excel中打开并重新保存为 .xlsx",
            f"{where_en}cannot read the workbook ({reason}): open it in Excel and save it"
            " again as .xlsx",
        ),
    )


def _sheet_rows(sheet: Any, source: str) -> Iterator[tuple[Any, ...]]:
    """Every row of a sheet, whatever its ``<dimension>`` claims; failures named."""
    # Files written by other programs often state a stale size: without this, openpyxl
    # stops at the row the dimension names and the rows after it are lost.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    number = 0
    while True:
        number += 1
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as error:  # a hostile file may break openpyxl anywhere
            raise _workbook_error(source, error, number) from None
        yield values


#: A formula in a sheet's XML: ``<f>``, ``<f t="shared" .../>``, with or without a prefix
#: (not ``<filters>`` or ``<formula1>``).
_FORMULA_TAG: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
#: A formula that is a text and nothing else (``"370102"``, a quote inside doubled).
_TEXT_FORMULA: Final = re.compile(r'"(?:[^"]|"")*"')


def _uncached_formulas(sheet: Any, source: str) -> dict[tuple[int, int], str]:
    """The cells of ``sheet`` holding a formula whose result the file does not store.

    By (row, column), from 1: the formula, without its ``=``. openpyxl reads the stored
    results of formulas (``data_only``), and such a cell as if it were empty; a workbook
    written by a program rather than saved by a spreadsheet often has them. Most sheets
    hold no formula at all: their XML is scanned for one first, and parsed only if found.
    """
    from xml.etree.ElementTree import iterparse

    found: dict[tuple[int, int], str] = {}
    try:
        # openpyxl's reader of the sheet's XML (read-only worksheets), read twice at most.
        with sheet._get_source() as xml:
            tail = b""
            while chunk := xml.read(1 << 20):
                if _FORMULA_TAG.search(tail + chunk):
                    break
                tail = chunk[-64:]
            else:
                return found
        with sheet._get_source() as xml:
            row = column = 0
            for _, element in iterparse(xml):
                tag = element.tag.rpartition("}")[2]
                if tag == "row":
                    element.clear()
                    continue
                if tag != "c":
                    continue
                where = element.get("r")
                if where:
                    column, row = _cell_position(where)
                else:
                    column += 1
                formula = value = None
                for child in element:
                    name = child.tag.rpartition("}")[2]
                    if name == "f":
                        formula = child.text or ""
                    elif name == "v":
                        value = child.text
                if formula is not None and not value:
                    found[row, column] = formula
    except Exception as error:  # a hostile file may break the parser anywhere
        raise _workbook_error(source, error) from None
    return found


def _cell_position(reference: str) -> tuple[int, int]:
    """``B3`` as (2, 3): its column and row, from 1."""
    letters = reference.rstrip("0123456789")
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - 64
    return column, int(reference[len(letters) :])


def _formula_cell(formula: str) -> Cell:
    """A formula cell without a stored result: a text formula's text, else a ``BadCell``.

    ``="370102"`` is how exports keep a cell as text, as in CSV (``_cells`` reads the
    marked text); any other formula cannot be worked out here.
    """
    if _TEXT_FORMULA.fullmatch(formula):
        return "=" + formula
    shown = _shown_text("=" + formula)
    return BadCell(
        "formula_without_value",
        _m(
            f"单元格是公式 {shown}，文件中没有保存它的计算结果：请在Excel中打开并保存工作簿，"
            "或把公式换成值后再导出",
            f"the cell is the formula {shown}, whose result the file does not store: open and "
            "save the workbook in a spreadsheet, or replace the formula with its value",
        ),
    )


def _when(value: datetime) -> str:
    if value.time() == time():
        return value.date().isoformat()
    return value.isoformat(sep=" ", timespec="seconds")


class _Texts:
    """Canonical text of xlsx cell values, in one workbook's date system."""

    def __init__(self, epoch: datetime) -> None:
        self.epoch = epoch
        self.from_excel: Callable[..., Any] = importlib.import_module(
            "openpyxl.utils.datetime"
        ).from_excel

    def text(self, value: Any, day: bool = False) -> str | None:
        """``value`` as text; in a date column (``day``) a number is a date serial."""
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            if day and (serial := self._serial(value)) is not None:
                return serial
            if isinstance(value, int):
                return str(value)
            if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
                return str(int(value))
            return repr(value)
        if isinstance(value, datetime):
            return _when(value)
        if isinstance(value, date | time):
            return value.isoformat()
        if isinstance(value, timedelta):
            return str(value)
        return str(value)

    def _serial(self, value: float) -> str | None:
        # A serial of a day from 1900 to 9999; anything else stays a number, refused later.
        if not (math.isfinite(value) and 1 <= value < 2958466):
            return None
        try:
            when = self.from_excel(value, self.epoch)
        except (OverflowError, ValueError):  # pragma: no cover - excluded by the range
            return None
        return _when(when) if isinstance(when, datetime) else None


@dataclass(slots=True)
class _Seen:
    """Whether a sheet's rows looked at so far hold any cell."""

    filled: bool = False


def _head_rows(
    sheet: Any, source: str, texts: _Texts, seen: _Seen
) -> Iterator[tuple[int, int, list[str | None] | None]]:
    """A sheet's rows for ``_find_header``, noting in ``seen`` whether one is filled."""
    for number, values in enumerate(_sheet_rows(sheet, source), start=1):
        cells = [texts.text(v) for v in values]
        seen.filled = seen.filled or not _blank(cells)
        yield number, 1, cells


@dataclass(slots=True)
class _Sheet:
    title: str
    source: str
    hidden: bool
    header: _Candidate | None
    best: _Candidate | None
    filled: bool


class _XlsxFile(RecordFile):
    """An xlsx workbook: every sheet with a header is read, in order."""

    def __init__(
        self,
        path: Path,
        source: str,
        notes: list[Message],
        headers: list[Header],
        sheets: tuple[str, ...],
        columns: tuple[Column, ...],
        strict: bool,
    ) -> None:
        super().__init__(path, source, "xlsx", None, notes, headers, sheets)
        self._dates = {c.name for c in columns if c.kind is CellKind.DATE}
        self._strict = strict

    @classmethod
    def open(
        cls,
        path: Path,
        source: str,
        resolver: _Resolver,
        strict: bool,
        notes: list[Message],
    ) -> _XlsxFile:
        """Checks the zip, then finds the header of every sheet."""
        _check_zip(path, source)
        found: list[_Sheet] = []
        with _workbook(path, source) as book:
            texts = _Texts(book.epoch)
            for sheet in book.worksheets:
                sheet_source = f"{source}[{sheet.title}]"
                seen = _Seen()
                header, best = _find_header(_head_rows(sheet, sheet_source, texts, seen), resolver)
                if best is not None:
                    best.where = sheet.title
                hidden = getattr(sheet, "sheet_state", "visible") != "visible"
                found.append(_Sheet(sheet.title, sheet_source, hidden, header, best, seen.filled))
        read = [s for s in found if s.header is not None]
        if not read:
            candidates = [s.best for s in found if s.best is not None]
            best = max(candidates, key=lambda c: c.score, default=None)
            if best is None:
                raise RecordFileError(
                    source,
                    _m(
                        "工作簿中没有任何内容：找不到表头行",
                        "the workbook holds no cells: no header",
                    ),
                )
            raise _no_header(source, best)
        headers = []
        for sheet_found in read:
            assert sheet_found.header is not None  # filtered above
            columns = resolver.header(sheet_found.header.cells)
            _check_header(sheet_found.source, columns, strict)
            headers.append(Header(sheet_found.source, sheet_found.header.line, 1, tuple(columns)))
            notes.extend(resolver.notes(columns))
        notes[:] = list(dict.fromkeys(notes))  # a mapping note once for all sheets
        notes.extend(resolver.unused())
        titles = [s.title for s in read]
        notes.append(_m(f"读取的工作表：{'、'.join(titles)}", f"sheets read: {', '.join(titles)}"))
        for sheet_found in found:
            if sheet_found.header is None and sheet_found.filled:
                notes.append(
                    _m(
                        f"工作表“{sheet_found.title}”未读取：没有包含必填列的表头",
                        f"sheet {sheet_found.title} was not read: no header with the required"
                        " columns",
                    )
                )
            elif sheet_found.header is not None and sheet_found.hidden:
                notes.append(
                    _m(
                        f"工作表“{sheet_found.title}”是隐藏的，也已读取",
                        f"sheet {sheet_found.title} is hidden; it was read too",
                    )
                )
        return cls(path, source, notes, headers, tuple(titles), resolver.columns, strict)

    def rows(self) -> Iterator[Item]:
        """Every row of every sheet read, in order: titles, records, footers."""
        with _workbook(self.path, self.source) as book:
            texts = _Texts(book.epoch)
            for index, title in enumerate(self.sheets):
                yield from self._sheet(index, book[title], texts)

    def _sheet(self, index: int, sheet: Any, texts: _Texts) -> Iterator[Item]:
        header = self._headers[index]
        source = header.source
        columns = header.columns
        days = [c.field in self._dates for c in columns]
        width = len(columns)
        mapped = [(c.position - 1, c.field) for c in columns if c.field]
        person = _person(columns)
        formulas = _uncached_formulas(sheet, source)
        for number, values in enumerate(_sheet_rows(sheet, source), start=1):
            uncached: list[int] = []
            if number <= header.line:
                if number == header.line:
                    continue
                cells = [texts.text(v) for v in values]
                kind: Literal["title", "blank", "footer", "note"] | None = (
                    "blank" if _blank(cells) else "title"
                )
            else:
                cells = [
                    texts.text(v, days[p] if p < width else False) for p, v in enumerate(values)
                ]
                if formulas:
                    uncached = [p for p in range(len(cells)) if (number, p + 1) in formulas]
                for p in uncached:  # not empty: a formula, whose result is not known
                    cells[p] = "=" + formulas[number, p + 1]
                kind = _skip_kind(cells, person)
            if kind is not None:
                yield SkippedRow(source, number, kind, _shown(cells))
                continue
            # Data in a column without a header: a column not understood, found now.
            headless = [
                p for p, cell in enumerate(cells)
                if cell and not cell.isspace() and (p >= width or not columns[p].header)
            ]  # fmt: skip
            if headless:
                columns = self._headless(index, headless, number)
            row: dict[str, Cell] = {f: cells[p] if p < len(cells) else None for p, f in mapped}
            if uncached:  # (most rows: none, and nothing more to do)
                for p, f in mapped:
                    if p in uncached:
                        row[f] = _formula_cell(formulas[number, p + 1])
            yield RawRow(source, number, row)

    def _headless(self, index: int, positions: list[int], line: int) -> tuple[HeaderColumn, ...]:
        """Records data found in columns without a header (``positions``, from 0)."""
        header = self._headers[index]
        known = {c.position: c for c in header.columns}
        for p in positions:
            if p + 1 not in known or known[p + 1].field == "":
                known[p + 1] = HeaderColumn(p + 1, "", None)
        columns = tuple(known[p] for p in sorted(known))
        if columns != header.columns:
            self._headers[index] = Header(header.source, header.line, header.lines, columns)
        if self._strict:
            raise _strict_error(header.source, [known[p + 1] for p in positions], line)
        return columns


# ---------------------------------------------------------------------------------------
# Column mappings from a file


def load_column_mapping(path: str | Path) -> dict[str, str]:
    """A column mapping from a TOML file: ``[columns]`` ``"原表头" = "field"`` (or "").

    The field may also be given as a header the schema knows (``"完成时间2" = "完成日期"``).

    Raises:
        RecordFileError: The file cannot be read or parsed, or it holds anything but a
            ``[columns]`` table of strings each naming a field (or "").
    """
    source = _source(path)
    try:
        with Path(path).open("rb") as raw:
            data = tomllib.load(raw)
    except OSError as error:
        raise _open_error(source, error) from None
    except ValueError as error:  # TOMLDecodeError, or bytes that are not UTF-8
        raise RecordFileError(
            source, _m(f"不是有效的TOML文件：{error}", f"not a valid TOML file: {error}")
        ) from None
    for key in data:
        if key != "columns":
            raise RecordFileError(
                source,
                _m(
                    f"未知的键“{key}”：列映射文件只有 [columns] 表",
                    f"unknown key {key!r}: a column mapping file holds a [columns] table only",
                ),
            )
    table = data.get("columns")
    if not isinstance(table, dict):
        raise RecordFileError(
            source,
            _m(
                '缺少 [columns] 表：写成 [columns] 下的 "原表头" = "字段"',
                'no [columns] table: write "HEADER" = "field" lines under [columns]',
            ),
        )
    mapping: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str) or _target(value, RECORD_COLUMNS) is None:
            raise RecordFileError(
                source,
                _m(
                    f"columns.“{key}”的值应为字段名（或留空以忽略该列）；可用的字段："
                    f"{_fields_list(RECORD_COLUMNS, 'zh')}",
                    f'columns.{key!r} must be a field name (or "" to ignore the column);'
                    f" fields: {_fields_list(RECORD_COLUMNS, 'en')}",
                ),
            )
        mapping[key] = value
    return mapping
