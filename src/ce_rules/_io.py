"""Reading record files: CSV (UTF-8, with or without BOM, or GBK/GB18030), JSON Lines, xlsx.

The readers only translate files into flat records (``InputRecord``) with their file
and line; a line that cannot even be split into fields becomes an ``InvalidRecord``.
What the values mean is decided by ``evaluate_many``. A file that cannot be read at
all (missing, undecodable, without a header or a required column) raises
``RecordFileError``.
"""

from __future__ import annotations

import codecs
import csv
import importlib
import json
import zipfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import chain, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from ._batch import (
    _UNIT,
    COLUMNS,
    InputRecord,
    InvalidRecord,
    RowBlock,
    _BadRecordError,
    _choice,
    _id,
    _text,
    normalise_header,
)
from ._exceptions import CeRulesError
from ._model import Person

__all__ = [
    "RecordFileError",
    "csv_items",
    "detect_encoding",
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


def _csv_format(path: Path, encoding: str | None) -> tuple[str, str, str]:
    """A CSV file's name as reported, its encoding and its delimiter."""
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
        encoding is None
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
                yield InputRecord(
                    {
                        name: cell
                        for name, cell in zip(header, row, strict=False)
                        if name is not None and cell
                    },
                    source,
                    line,
                    True,
                )
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
        odd = [i for i, n in enumerate(map(len, rows)) if n != width]
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


#: Text read at once by the CSV reader: whole lines, about this many characters.
_BLOCK_CHARS: Final = 1 << 18
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
        handle = path.open(encoding=encoding, newline="")
    except OSError as error:
        raise _open_error(source, error) from None
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        line = 1
        try:
            rows: _Rows | None = None
            index = 0
            while rows is None:
                line = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    raise RecordFileError(
                        source, "the file is empty (no header line)", "文件为空（没有表头）"
                    ) from None
                except csv.Error as error:
                    yield _row_error(
                        index, source, line, f"cannot split the line into fields: {error}"
                    )
                    index += 1
                    continue
                if any(cell.strip() for cell in row):
                    if row[0].startswith("\ufeff"):
                        row[0] = row[0][1:]
                    rows = _Rows(source, tuple(_header(source, row, columns)), delimiter)
                    rows.index = index
            physical = reader.line_num  # lines read so far
            limit = csv.field_size_limit()
            while True:
                line = physical + 1
                chunk = handle.readlines(_BLOCK_CHARS)
                if not chunk:
                    return
                text = "".join(chunk)
                if "\r" in text:
                    text = text.replace("\r\n", "\n")
                if '"' in text or "\r" in text or "\0" in text:
                    # Quotes, lone carriage returns or NULs: csv.reader reads the rest.
                    yield from _csv_reader_items(rows, chain(chunk, handle), physical)
                    return
                parts = text.split("\n")
                if not parts[-1]:
                    parts.pop()  # the line break at the end of the chunk
                if parts and max(map(len, parts)) > limit:
                    # A line that may hold a field over csv's limit: csv.reader says so.
                    yield from _csv_reader_items(rows, chain(chunk, handle), physical)
                    return
                split = list(map(str.split, parts, repeat(delimiter)))
                yield from rows.items(split, range(line, line + len(split)))
                physical += len(chunk)
        except UnicodeDecodeError as error:
            raise _decode_error(source, encoding, line, error) from None


def _csv_reader_items(
    rows: _Rows, lines: Iterator[str], before: int
) -> Iterator[RowBlock | InvalidRecord]:
    """The records of ``lines`` through ``csv.reader``, in blocks, numbered after ``before``."""
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
