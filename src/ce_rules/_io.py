"""Reading record files: CSV (UTF-8, with or without BOM, or GBK/GB18030), JSON Lines, xlsx.

The readers only translate files into flat records (``InputRecord``) with their file
and line; a line that cannot even be split into fields becomes an ``InvalidRecord``.
What the values mean is decided by ``evaluate_many``. A file that cannot be read at
all (missing, undecodable, without a header or a required column) raises
``RecordFileError``.
"""

from __future__ import annotations

import codecs
import copy
import csv
import importlib
import io
import json
import zipfile
from collections.abc import Generator, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import chain, pairwise, repeat
from operator import itemgetter, ne
from pathlib import Path
from typing import IO, Any, Final, NamedTuple

from pydantic import ValidationError

from ._batch import (
    _UNIT,
    COLUMNS,
    InputRecord,
    InvalidRecord,
    RowBlock,
    _BadRecordError,
    _choice,
    _fields,
    _id,
    _text,
    _where,
    normalise_header,
)
from ._exceptions import CeRulesError
from ._model import Person

__all__ = [
    "CsvPart",
    "CsvPlan",
    "NotPlainError",
    "RecordFileError",
    "csv_items",
    "csv_part_items",
    "detect_encoding",
    "plan_csv_parts",
    "read_items",
    "read_persons",
    "read_records",
]

_REQUIRED: Final = tuple(c.name for c in COLUMNS if c.required)
_ZH: Final = {c.name: c.zh[0] for c in COLUMNS}
_SNIFF_BYTES: Final = 1 << 16


class RecordFileError(CeRulesError, ValueError):
    """A record file cannot be read at all: the message names the file and why."""

    def __init__(self, source: str, message: str, message_zh: str | None = None) -> None:
        self.source = source
        self.message = message
        self.message_zh = message_zh or message
        super().__init__(f"{source}: {message}")


def detect_encoding(head: bytes) -> str:
    """A CSV file's encoding from its first bytes: utf-8-sig, utf-16, utf-8 or gb18030.

    A byte-order mark wins (UTF-8, or UTF-16 as spreadsheets' "Unicode text" exports);
    bytes that decode as UTF-8 are UTF-8; anything else is read as GB18030, the superset
    of GBK that Chinese spreadsheets export. The CSV reader checks the rest of a longer
    file too (``_utf8_throughout``).
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def read_records(
    path: str | Path, *, encoding: str | None = None, columns: tuple[str, ...] = _REQUIRED
) -> Iterator[InputRecord | InvalidRecord]:
    """The records of a file, lazily, each with its file and line.

    The format follows the suffix: ``.jsonl``/``.ndjson`` (JSON Lines), ``.xlsx``
    (needs the ``excel`` extra), anything else CSV. ``encoding`` overrides detection
    for CSV.

    Raises:
        RecordFileError: The file cannot be read, or lacks a header or a column in
            ``columns``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path, encoding or "utf-8-sig")
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, columns)
    return _read_csv(path, encoding, columns)


def read_items(
    path: str | Path, *, encoding: str | None = None
) -> Iterator[InputRecord | InvalidRecord | RowBlock]:
    """The records of a file for ``evaluate_many``, a CSV file's in blocks of rows.

    As ``read_records``, except that a CSV file's well-formed rows come in
    ``RowBlock`` items, which ``evaluate_many`` translates faster.

    Raises:
        RecordFileError: As ``read_records``.
    """
    path = Path(path)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".xlsx", ".xlsm"):
        return read_records(path, encoding=encoding)
    source, chosen, delimiter = _csv_format(path, encoding)
    return csv_items(path, source, chosen, delimiter, _REQUIRED)


def _row_error(
    index: int, source: str, line: int, reason: str, value: str | None = None
) -> InvalidRecord:
    """A record that cannot even be split into fields (field ``(row)``, code ``row``)."""
    return InvalidRecord(
        index=index, source=source, line=line, field="(row)", value=value, reason=reason,
        code="row",
    )  # fmt: skip


def _line_error(
    path: str | Path, line: int | None, reason: str, reason_zh: str | None = None
) -> RecordFileError:
    """A persons file that cannot be used, because of its line ``line``."""
    zh = reason if reason_zh is None else reason_zh
    return RecordFileError(str(path), f"line {line}: {reason}", f"第{line}行：{zh}")


def _check_encoding(source: str, encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise RecordFileError(
            source, f"unknown encoding {encoding!r}", f"未知的编码 {encoding!r}"
        ) from None


def _decode_error(
    source: str, encoding: str, line: int, error: UnicodeDecodeError
) -> RecordFileError:
    return RecordFileError(
        source,
        f"not {encoding} near line {line}: {error.reason}; pass --encoding",
        f"第{line}行附近不是{encoding}编码：请用 --encoding 指定编码",
    )


def _open_error(source: str, error: OSError) -> RecordFileError:
    reason = error.strerror or str(error)
    return RecordFileError(source, f"cannot read the file: {reason}", f"无法读取文件：{reason}")


def _header(source: str, row: list[str], columns: tuple[str, ...]) -> list[str | None]:
    names = [normalise_header(cell) for cell in row]
    missing = [c for c in columns if c not in names]
    if missing:
        en = ", ".join(f"{c} ({_ZH.get(c, c)})" for c in missing)
        zh = "、".join(f"{_ZH.get(c, c)}（{c}）" for c in missing)
        raise RecordFileError(source, f"missing column(s): {en}", f"缺少列：{zh}")
    seen: set[str] = set()
    unique: list[str | None] = []
    for name in names:
        # A column given twice: the first one is read.
        unique.append(None if name is None or name in seen else name)
        if name is not None:
            seen.add(name)
    return unique


def _read_csv(
    path: Path, encoding: str | None, columns: tuple[str, ...]
) -> Iterator[InputRecord | InvalidRecord]:
    source, chosen, delimiter = _csv_format(path, encoding)
    return _csv_rows(path, source, chosen, delimiter, columns)


def _csv_format(path: Path, encoding: str | None, *, verify: bool = True) -> tuple[str, str, str]:
    """A CSV file's name as reported, its encoding and its delimiter.

    With ``verify`` false, a file whose head is UTF-8 is taken as UTF-8 without
    reading the rest; whoever reads it must then treat a decoding error as a wrong
    guess (``CsvPlan.guessed``), not as the file's fault.
    """
    source = str(path)
    try:
        with path.open("rb") as raw:
            head = raw.read(_SNIFF_BYTES)
    except OSError as error:
        raise _open_error(source, error) from None
    chosen = encoding or detect_encoding(head)
    # GBK bytes may first appear after the sniffed head: only a file that is UTF-8
    # throughout is read as UTF-8 (never a partial report, then a decoding error).
    if (
        verify
        and encoding is None
        and chosen == "utf-8"
        and len(head) == _SNIFF_BYTES
        and not _utf8_throughout(path, source)
    ):
        chosen = "gb18030"
    _check_encoding(source, chosen)
    # Decoded first, so that a UTF-16 header's bytes are not mistaken for separators.
    first = head.decode(chosen, errors="replace").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return source, chosen, delimiter


def _utf8_throughout(path: Path, source: str) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as raw:
            while chunk := raw.read(1 << 20):
                decoder.decode(chunk, final=False)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    except OSError as error:
        raise _open_error(source, error) from None
    return True


def _csv_rows(
    path: Path, source: str, encoding: str, delimiter: str, columns: tuple[str, ...]
) -> Iterator[InputRecord | InvalidRecord]:
    """The records of a CSV file one by one: ``read_records``'s view of ``csv_items``."""
    for item in csv_items(path, source, encoding, delimiter, columns):
        if isinstance(item, RowBlock):
            header = item.header
            for row, line in zip(item.rows, item.lines, strict=True):
                yield InputRecord(_fields(header, row), source, line, True)
        else:
            yield item


class _Rows:
    """Sorts split rows into blocks of records, blank lines and broken lines, in order."""

    __slots__ = ("delimiter", "header", "index", "source", "width")

    def __init__(self, source: str, header: tuple[str | None, ...], delimiter: str) -> None:
        self.source = source
        self.header = header
        self.width = len(header)
        self.delimiter = delimiter
        self.index = 0  # records so far, for the index of a broken line

    def items(
        self, rows: list[list[str]], lines: Sequence[int]
    ) -> Iterator[RowBlock | InvalidRecord]:
        """``rows`` (starting on ``lines``) as blocks of well-formed records and broken lines.

        A row with the header's number of cells, or more but only empty ones after them,
        is a record; a row of blank cells is no record (skipped); any other is broken.
        """
        width = self.width
        lengths = list(map(len, rows))
        odd = (
            [] if lengths.count(width) == len(lengths) else _where(map(ne, lengths, repeat(width)))
        )
        # A row of blank cells has a blank first cell: only those are looked at closely.
        firsts = list(map(itemgetter(0), rows))
        if "" in firsts or any(map(str.isspace, firsts)):
            odd = sorted({*odd, *(i for i, cell in enumerate(firsts) if not cell.strip())})
        start = 0
        for i in odd:
            row = rows[i]
            if (
                len(row) >= width
                and not any(cell.strip() for cell in row[width:])
                and any(cell.strip() for cell in row)
            ):
                rows[i] = row[:width]
                continue  # a record after all
            if start < i:
                yield self._block(rows[start:i], lines[start:i])
            start = i + 1
            if any(cell.strip() for cell in row):
                yield _row_error(
                    self.index, self.source, lines[i],
                    f"expected {width} fields, got {len(row)}",
                    self.delimiter.join(row)[:200],
                )  # fmt: skip
                self.index += 1
        if start < len(rows):
            yield self._block(rows[start:] if start else rows, lines[start:])

    def _block(self, rows: list[list[str]], lines: Sequence[int]) -> RowBlock:
        self.index += len(rows)
        return RowBlock(self.source, self.header, rows, lines)


_BLOCK_ROWS: Final = 2048


def csv_items(
    path: Path, source: str, encoding: str, delimiter: str, columns: tuple[str, ...]
) -> Iterator[RowBlock | InvalidRecord]:
    """A CSV file's records as blocks of rows, and its broken lines, in file order.

    Lines without a quote, a lone carriage return or a NUL, which is what exported
    files hold, are split on the delimiter a block at a time: for them that is exactly
    what ``csv.reader`` returns. From the first block with one of those on, the rest
    of the file goes through ``csv.reader``. Either way each record keeps its line.
    """
    try:
        raw = path.open("rb")
    except OSError as error:
        raise _open_error(source, error) from None
    with raw:
        chunks = _decoded(raw, encoding)
        lines = _Lines(chunks)
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            rows = yield from _csv_header(reader, source, delimiter, columns)
        except UnicodeDecodeError as error:
            raise _decode_error(source, encoding, reader.line_num + 1, error) from None
        yield from _csv_body(rows, chain([lines.rest()], chunks), reader.line_num, encoding)


#: Bytes read at once by the CSV reader.
_BLOCK_BYTES: Final = 1 << 18


def _decoded(raw: IO[bytes], encoding: str, size: int | None = None) -> Iterator[str]:
    """The text of ``raw`` from where it stands (``size`` bytes at most), a block at a time."""
    decoder = codecs.getincrementaldecoder(encoding)()
    left = _BLOCK_BYTES if size is None else size
    while True:
        data = raw.read(min(_BLOCK_BYTES, left)) if left > 0 else b""
        if size is not None:
            left -= len(data)
        text = decoder.decode(data, final=not data)
        if text:
            yield text
        if not data:
            return


class _Lines:
    """The lines of decoded text, split as a file opened with ``newline=""`` splits them.

    ``rest()`` is the text not yet taken as lines.
    """

    def __init__(self, chunks: Iterator[str], text: str = "") -> None:
        self._chunks = chunks
        self._pending = text
        self._current = io.StringIO("", newline="")

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._current.readline()
        if line:
            return line
        for chunk in self._chunks:
            self._pending += chunk
            # Up to the last line break; a carriage return at the very end may be the
            # first half of "\r\n".
            pending = self._pending
            cut = max(pending.rfind("\n"), pending.rfind("\r", 0, len(pending) - 1)) + 1
            if cut:
                self._current = io.StringIO(pending[:cut], newline="")
                self._pending = pending[cut:]
                return self._current.readline()
        if self._pending:
            self._current = io.StringIO(self._pending, newline="")
            self._pending = ""
            return self._current.readline()
        raise StopIteration

    def rest(self) -> str:
        """The text after the last line taken."""
        return self._current.read() + self._pending


def _csv_header(
    reader: Any, source: str, delimiter: str, columns: tuple[str, ...]
) -> Generator[InvalidRecord, None, _Rows]:
    """Reads up to the header (the first row with a non-blank cell); yields broken lines."""
    index = 0
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            raise RecordFileError(
                source, "the file is empty (no header line)", "文件为空（没有表头）"
            ) from None
        except csv.Error as error:
            yield _row_error(index, source, line, f"cannot split the line into fields: {error}")
            index += 1
            continue
        if any(cell.strip() for cell in row):
            if row[0].startswith("\ufeff"):
                row[0] = row[0][1:]
            rows = _Rows(source, tuple(_header(source, row, columns)), delimiter)
            rows.index = index
            return rows


class NotPlainError(Exception):
    """A part of a CSV file holds a quote, a NUL or a lone carriage return.

    A line break in it may not end a record, so the file cannot be read in parts.
    """


def _csv_body(
    rows: _Rows, chunks: Iterator[str], physical: int, encoding: str, *, plain: bool = False
) -> Generator[RowBlock | InvalidRecord, None, int]:
    """The records of the text ``chunks``, whose first line comes after line ``physical``.

    Returns the number of the last line read.

    Raises:
        NotPlainError: ``plain`` is set and a line is not plain.
    """
    limit = csv.field_size_limit()
    line = physical + 1
    carry = ""  # the start of a line whose end has not been read yet
    try:
        for data in chain(chunks, [""]):  # "" marks the end
            line = physical + 1
            text = carry + data
            if not data:
                if not text:
                    return physical
                carry = ""  # the last line, without a line break
            else:
                cut = text.rfind("\n") + 1
                if not cut:
                    carry = text
                    continue
                text, carry = text[:cut], text[cut:]
            unified = text.replace("\r\n", "\n") if "\r" in text else text
            parts = unified.split("\n")
            if not parts[-1]:
                parts.pop()  # the line break at the end
            if (
                '"' in unified
                or "\r" in unified
                or "\0" in unified
                or (parts and max(map(len, parts)) > limit)
            ):
                # Quotes, lone carriage returns, NULs or a line that may hold a field over
                # csv's limit: csv.reader reads the rest.
                if plain:
                    raise NotPlainError(rows.source)
                return (yield from _csv_reader_items(rows, _Lines(chunks, text + carry), physical))
            split = list(map(str.split, parts, repeat(rows.delimiter)))
            yield from rows.items(split, range(line, line + len(split)))
            physical += len(parts)
        return physical
    except UnicodeDecodeError as error:
        raise _decode_error(rows.source, encoding, line, error) from None


class CsvPart(NamedTuple):
    """A stretch of a CSV file that holds whole persons, to be checked on its own.

    Attributes:
        start: Its first byte (the start of a line).
        stop: The byte after its last.
    """

    start: int
    stop: int


class CsvPlan(NamedTuple):
    """How to read one CSV file in parts: its format, its header and the parts.

    Attributes:
        source: The file, as reported.
        encoding: Its encoding.
        rows: Its header, for the parts' rows.
        header_lines: The lines up to and including the header.
        parts: The parts, in file order, together the whole rest of the file.
        guessed: Whether the encoding is UTF-8 guessed from the file's head only: a
            decoding error in a part then means the guess was wrong.
    """

    source: str
    encoding: str
    rows: _Rows
    header_lines: int
    parts: tuple[CsvPart, ...]
    guessed: bool


#: Encodings in which a line break, a delimiter or a quote byte is always that character.
_SPLITTABLE: Final = frozenset({"ascii", "utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312"})
#: How far past a cut the plan looks for the next person before giving the cut up.
_SCAN_BYTES: Final = 1 << 20
#: How far it looks first: far enough for a few dozen persons, cheap for hundreds of cuts.
_PEEK_BYTES: Final = 1 << 16


def plan_csv_parts(path: str | Path, encoding: str | None, parts: int) -> CsvPlan | None:
    """Cuts a CSV file into up to ``parts`` stretches at lines where the person changes.

    Only a file in an encoding in which a line break byte is always a line break, with
    a plain header in its first 64 KB, qualifies (None otherwise: read it whole). A
    cut goes where a well-formed row names a different person than the row before it.
    The parts themselves must then be plain too (``csv_part_items``): no quote, NUL or
    lone carriage return, so that every line break ends a record.
    """
    path = Path(path)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".xlsx", ".xlsm") or parts < 2:
        return None
    # The parts decode the file in parallel: a UTF-8 guess is checked there, not here.
    source, chosen, delimiter = _csv_format(path, encoding, verify=False)
    if codecs.lookup(chosen).name not in _SPLITTABLE:
        return None
    try:
        with path.open("rb") as raw:
            plan = _plan(raw, source, chosen, delimiter, parts)
    except OSError:
        return None  # read as usual, which reports it
    return None if plan is None else plan._replace(guessed=encoding is None)


def _plan(raw: IO[bytes], source: str, encoding: str, delimiter: str, parts: int) -> CsvPlan | None:
    head = raw.read(_SNIFF_BYTES)
    # The header: the first line with a non-blank cell.
    start, lines = 0, 0
    while True:
        end = head.find(b"\n", start)
        if end < 0:
            return None
        lines += 1
        text = head[start:end].decode(encoding, errors="replace").rstrip("\r")
        if text.strip(" \t" + delimiter):
            break
        start = end + 1
    if '"' in text or "\r" in text:
        return None
    try:
        rows = _Rows(
            source,
            tuple(_header(source, text.removeprefix("\ufeff").split(delimiter), _REQUIRED)),
            delimiter,
        )
    except RecordFileError:
        return None  # read as usual, which reports it
    size = raw.seek(0, io.SEEK_END)
    column = rows.header.index("person_id")
    separator = delimiter.encode(encoding)
    cuts = [end + 1]
    for number in range(1, parts):
        at = max(size * number // parts, cuts[-1])
        cut = None
        for scan in (_PEEK_BYTES, _SCAN_BYTES):
            raw.seek(at)
            cut = _cut(raw.read(scan), separator, rows.width, column)
            if cut is not None:
                break
        if cut is not None and cuts[-1] < at + cut < size:
            cuts.append(at + cut)
    if len(cuts) < 2:
        return None
    bounds = [*cuts, size]
    return CsvPlan(
        source, encoding, rows, lines, tuple(CsvPart(a, b) for a, b in pairwise(bounds)), False
    )


def _cut(data: bytes, separator: bytes, width: int, column: int) -> int | None:
    """Where the first well-formed line of a new person starts in ``data``, if it does.

    ``data`` starts anywhere in a line; the person of a line is compared with that of
    the well-formed line before it.
    """
    start = data.find(b"\n") + 1
    if start == 0:
        return None
    previous: bytes | None = None
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            return None  # the rest may be a partial line
        cells = data[start:end].rstrip(b"\r").split(separator)
        if len(cells) == width:
            person = cells[column].strip()
            if previous is not None and person != previous:
                return start
            previous = person
        start = end + 1


def csv_part_items(plan: CsvPlan, part: CsvPart) -> Generator[RowBlock | InvalidRecord, None, int]:
    """The records of one part of a planned CSV file; lines count from the part's start.

    The caller adds the lines before the part (``plan.header_lines`` and those of the
    parts before it) to each line number. Returns the number of lines the part spans.

    Raises:
        NotPlainError: The part holds a line that is not plain: read the file whole.
    """
    try:
        raw = open(plan.source, "rb")  # noqa: SIM115 - closed below, when the generator ends
    except OSError as error:
        raise _open_error(plan.source, error) from None
    rows = copy.copy(plan.rows)
    rows.index = 0
    with raw:
        raw.seek(part.start)
        chunks = _decoded(raw, plan.encoding, part.stop - part.start)
        return (yield from _csv_body(rows, chunks, 0, plan.encoding, plain=True))


def _csv_reader_items(
    rows: _Rows, lines: Iterator[str], before: int
) -> Generator[RowBlock | InvalidRecord, None, int]:
    """The records of ``lines`` through ``csv.reader``, in blocks, numbered after ``before``.

    Returns the number of the last line read.
    """
    reader = csv.reader(lines, delimiter=rows.delimiter)
    block: list[list[str]] = []
    starts: list[int] = []
    while True:
        line = before + reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            yield from rows.items(block, starts)
            block, starts = [], []
            yield _row_error(
                rows.index, rows.source, line, f"cannot split the line into fields: {error}"
            )
            rows.index += 1
            continue
        if not row:
            continue  # an empty line
        block.append(row)
        starts.append(line)
        if len(block) == _BLOCK_ROWS:
            yield from rows.items(block, starts)
            block, starts = [], []
    yield from rows.items(block, starts)
    return before + reader.line_num


def _read_jsonl(path: Path, encoding: str) -> Iterator[InputRecord | InvalidRecord]:
    source = str(path)
    _check_encoding(source, encoding)
    if not "a\n".encode(encoding).endswith(b"a\n"):  # a BOM may come first
        raise RecordFileError(
            source,
            f"JSON Lines are read in UTF-8 or another ASCII-compatible encoding, not {encoding!r}",
            f"JSON Lines 文件应为UTF-8等兼容ASCII的编码，而不是 {encoding!r}",
        )
    try:
        handle = path.open("rb")
    except OSError as error:
        raise _open_error(source, error) from None
    with handle:
        index = 0
        for line, raw in enumerate(handle, start=1):
            try:
                # Each line decoded on its own, so that an error names its exact line.
                text = raw.decode(encoding)
            except UnicodeDecodeError as error:
                raise _decode_error(source, encoding, line, error) from None
            if not text.strip():
                continue
            try:
                data = json.loads(text, parse_float=Decimal)
            except ValueError as error:
                yield _row_error(index, source, line, f"not JSON: {error}", text.strip()[:200])
            else:
                if isinstance(data, dict):
                    yield InputRecord(data, source, line)
                else:
                    yield _row_error(index, source, line, "not a JSON object", text.strip()[:200])
            index += 1


def _cell(value: Any) -> Any:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    if isinstance(value, float):
        return Decimal(repr(value))  # shortest repr: 0.5 stays 0.5
    return value


def _read_xlsx(path: Path, columns: tuple[str, ...]) -> Iterator[InputRecord | InvalidRecord]:
    source = str(path)
    try:
        # The optional extra, imported only when an xlsx file is read.
        openpyxl: Any = importlib.import_module("openpyxl")
    except ImportError:
        raise RecordFileError(
            source,
            "reading xlsx needs the optional extra: pip install 'ce-rules[excel]'",
            "读取xlsx文件需要安装可选依赖：pip install 'ce-rules[excel]'",
        ) from None
    # A file that is not a workbook (not a zip, or a zip without a sheet) is refused
    # with its name, like an unreadable CSV file.
    invalid_file = importlib.import_module("openpyxl.utils.exceptions").InvalidFileException
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, invalid_file) as error:
        raise RecordFileError(
            source, f"cannot read the workbook: {error}", "无法读取工作簿"
        ) from None
    try:
        sheet = book.worksheets[0]
        header: list[str | None] | None = None
        index = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if not any(v is not None and str(v).strip() for v in values):
                continue
            if header is None:
                header = _header(source, ["" if v is None else str(v) for v in values], columns)
                continue
            yield InputRecord(
                {
                    name: _cell(value)
                    for name, value in zip(header, values, strict=False)
                    if name is not None and value is not None
                },
                source,
                number,
            )
            index += 1
        if header is None:
            raise RecordFileError(
                source, "the sheet is empty (no header row)", "工作表为空（没有表头）"
            )
    finally:
        book.close()


def read_persons(path: str | Path, *, encoding: str | None = None) -> dict[str, Person]:
    """The persons of a file (columns person_id, name, unit, city, industry), by id.

    Raises:
        RecordFileError: The file cannot be read, a row is not a valid person, or a
            person is described twice, differently.
    """
    persons: dict[str, Person] = {}
    for record in read_records(path, encoding=encoding, columns=("person_id", "unit")):
        if isinstance(record, InvalidRecord):
            raise _line_error(path, record.line, record.reason)
        fields = {normalise_header(str(k)) or str(k): v for k, v in record.fields.items()}
        try:
            person = Person.model_validate(
                {
                    "id": _id(fields.get("person_id")),
                    "name": _text(fields.get("name")),
                    "unit": _choice(fields, "unit", _UNIT, None),
                    "city": _text(fields.get("city")),
                    "industry": _text(fields.get("industry")),
                }
            )
        except ValidationError as error:
            raise _line_error(path, record.line, str(error)) from None
        except _BadRecordError as error:
            raise _line_error(path, record.line, f"{error.field}: {error.reason}") from None
        if persons.get(person.id, person) != person:
            # Two different descriptions of one person: neither may silently win.
            raise _line_error(
                path,
                record.line,
                f"person_id {person.id!r} is already described differently above",
                f"身份证号 {person.id!r} 在前面已有不同的描述",
            )
        persons[person.id] = person
    return persons
