"""The ``ce-rules`` command line: a thin edge over the readers, ``evaluate_many`` and the registry.

Commands: ``check`` (every person's verdict from record files), ``explain`` (one person in
full), ``rules`` (a policy's rule catalogue), ``policies`` (what is registered),
``schema`` (JSON Schemas for systems not written in Python) and ``serve`` (the HTTP
service of ``ce_rules.serve``, the ``serve`` extra).

Exit codes: 0 every person compliant; 1 some not compliant, in progress or undetermined;
2 invalid input, usage, or an output that cannot be written; 70 an internal error;
130 and 143 interrupted (SIGINT, SIGTERM). The core never imports this module.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import IO, Any, Final, NoReturn

from . import __version__
from ._batch import BatchResult, BatchVerdict, evaluate_many
from ._cells import CellError, may_have_been, parse_cell, parse_id
from ._exceptions import CeRulesError, EvaluationInputError, PolicyNotFoundError
from ._message import Message
from ._model import Mode, Person, UnitLevel
from ._output import (
    OutputError,
    Sheet,
    Terminated,
    atomic_output,
    check_output_path,
    terminal_safe,
    termination_as_interrupt,
    write_workbook,
)
from ._overlay import merge_overlay, overlay_applies
from ._policy import Policy, load_policy
from ._readers import (
    BrokenRow,
    RawRow,
    RecordFile,
    RecordFileError,
    SkippedRow,
    load_column_mapping,
    open_record_file,
)
from ._records import InvalidRecord, PersonRowError, person_of_cells
from ._registry import POLICY_PATH_VARIABLE, Registry, load_registry
from ._render import (
    csv_header,
    excluded_header,
    excluded_rows,
    invalid_header,
    invalid_row,
    skipped_header,
    skipped_row,
    skipped_summary,
    table_lines,
    totals_line,
    totals_rows,
    verdict_cells,
)
from ._schema import PERSON_COLUMNS, column, record_json_schema, unit_notes
from ._table import TableResult, evaluate_batches, file_batches, verdict_json
from ._verdict import EntryDecision, Reason, Status, format_hours, grounds, instead
from .kinds import RecognisedPlatformsRule
from .kinds._base import basis

__all__ = ["main"]

EXIT_OK: Final = 0
EXIT_NOT_COMPLIANT: Final = 1
EXIT_INVALID: Final = 2
#: An error in ce-rules itself (sysexits' EX_SOFTWARE): never mistaken for a verdict.
EXIT_INTERNAL: Final = 70
#: Interrupted: 128 + the signal, as shells report it (SIGINT 130, SIGTERM 143).
EXIT_INTERRUPTED: Final = 130
_DEBUG_VARIABLE: Final = "CE_RULES_DEBUG"
#: A character that is no character: bytes of an argument that were not text (PEP 383).
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")
#: How many records a warning names before it says "and N more".
_NAMED: Final = 10
#: ``check`` judges an input of more bytes than this by partition of persons, its entries
#: in temporary files between reading and judging (``evaluate_tables``' ``parts``), so
#: that its memory is about one partition's: one for every ``_PART_BYTES`` of input
#: (about 300,000 records of a typical export). Such an input is read in smaller batches,
#: for memory more than speed (docs/performance.md).
_SPILL_BYTES: Final = 256 * 2**20
_PART_BYTES: Final = 24 * 2**20
_SPILL_BATCH_ROWS: Final = 65_536
#: For ``explain`` given a file where the person's id should be.
_ID_FIRST: Final = Message(
    en="the person's id comes first: explain PERSON_ID FILE...",
    zh="先写身份证号，再写文件：explain 身份证号 文件…",
)


class _UsageError(Exception):
    def __init__(self, en: str, zh: str) -> None:
        self.en = en
        self.zh = zh
        super().__init__(en)


def _say(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def _stderr(text: str) -> None:
    """One line on stderr; what came from the input (headers, values, names) is escaped."""
    print(terminal_safe(text), file=sys.stderr)


def _print_error(lang: str, en: str, zh: str) -> None:
    _stderr(_say(lang, f"ce-rules: error: {en}", f"ce-rules：错误：{zh}"))


def _warn(lang: str, en: str, zh: str) -> None:
    _stderr(_say(lang, f"warning: {en}", f"提示：{zh}"))


# --- inputs -------------------------------------------------------------------------------


#: The region check and explain took when given neither --region nor --policy (0.1);
#: deprecated: they warn now and will refuse in 0.3.
_DEPRECATED_DEFAULT_REGION: Final = "shandong"


def _registry(args: argparse.Namespace, *, choosing: bool = False) -> Registry:
    """The bundled policies, then those of ``CE_RULES_POLICY_PATH``, then of ``--policies``.

    Read once a run; a broken file in a folder is a ``PolicyFileError`` naming it. When
    ``choosing`` a policy by ``--region`` or ``--policy``, giving both is refused first.
    """
    if choosing and args.policy is not None and args.region is not None:
        raise _UsageError(
            "give --region or --policy, not both", "请只给出 --region 或 --policy 之一"
        )
    registry: Registry | None = getattr(args, "_registry", None)
    if registry is None:
        registry = load_registry(*(getattr(args, "policies", None) or ()), environ=os.environ)
        args._registry = registry
    return registry


def _merged(args: argparse.Namespace, registry: Registry, policy: Policy) -> Policy:
    """``policy``, or an overlay merged onto its base (kept in ``args`` for ``_in_scope``).

    An overlay alone lacks its base's rules (三(一) among them): it is judged as base +
    overlay, whose loosenings every verdict then reports.
    """
    if policy.extends is None:
        return policy
    args._overlay = policy
    return merge_overlay(registry.by_id(policy.extends), policy)


def _in_scope(args: argparse.Namespace, persons: Iterable[Person]) -> None:
    """Refuse to judge under an overlay anyone it does not govern (二(二), 三(二)).

    A city's overlay governs that city's municipal staff: a person of another city, a
    provincial-unit person, or one whose unit level is not known (decision 11) would get
    a verdict under rules that are not theirs, so the run stops before any report and names
    them; they are checked without the overlay.
    """
    overlay: Policy | None = getattr(args, "_overlay", None)
    if overlay is None:
        return
    outside: list[str] = []
    unknown: list[str] = []
    for person in persons:
        try:
            if not overlay_applies(overlay, person, args.year):
                outside.append(person.id)
        except EvaluationInputError:
            unknown.append(person.id)
    if not outside and not unknown:
        return
    target = overlay.applies_to
    city = None if target is None else target.city
    industry = None if target is None else target.industry
    scope_en = (
        " and ".join(
            part
            for part in (
                city and f"municipal staff of {city}",
                industry and f"the industry {industry}",
            )
            if part
        )
        or "no one"
    )
    scope_zh = (
        "、".join(
            part
            for part in (city and f"{city}市属单位人员", industry and f"{industry}行业")
            if part
        )
        or "任何人"
    )
    lang = args.lang
    who_en, who_zh = [], []
    if outside:
        who_en.append(
            f"{_count(len(outside), 'person')} it does not govern ({_named(outside, lang, '人')})"
        )
        who_zh.append(f"不适用的{len(outside)}人（{_named(outside, lang, '人')}）")
    if unknown:
        who_en.append(
            f"{_count(len(unknown), 'person')} whose unit level is not known "
            f"({_named(unknown, lang, '人')})"
        )
        who_zh.append(f"缺少单位级别的{len(unknown)}人（{_named(unknown, lang, '人')}）")
    raise _UsageError(
        f"the overlay {overlay.id} governs {scope_en} ({args.year}); judged under it, "
        f"{' and '.join(who_en)} would get verdicts under rules that are not theirs: check "
        f"them without --policy {args.policy} (with --region), or give their unit level",
        f"本地政策 {overlay.id} 只适用于{scope_zh}（{args.year}年度）；按它判断，"
        f"{'和'.join(who_zh)}将得到不属于他们的结论：请对他们不带 --policy {args.policy}"
        "（用 --region）检查，或补充单位级别",
    )


def _policy_file(args: argparse.Namespace, registry: Registry, value: str) -> Policy:
    return _merged(args, registry, load_policy(value))


def _is_file(value: str) -> bool:
    return value.endswith(".toml") or Path(value).is_file()


def _policy(args: argparse.Namespace) -> Policy:
    """The policy check and explain judge under: ``--policy``, or ``--region`` and ``--year``.

    Neither given: the Shandong policy of the year, with a warning (deprecated, refused
    from 0.3); a year Shandong has no policy for is refused, the regions listed.
    """
    registry = _registry(args, choosing=True)
    if args.policy is not None:
        if _is_file(args.policy):
            return _policy_file(args, registry, args.policy)
        return _merged(args, registry, registry.by_id(args.policy))
    if args.region is not None:
        return registry.policy(args.region, args.year)
    known = ", ".join(r.describe() for r in registry.regions())
    known_zh = "、".join(r.describe() for r in registry.regions())
    try:
        policy = registry.policy(_DEPRECATED_DEFAULT_REGION, args.year)
    except PolicyNotFoundError:
        raise _UsageError(
            f"no --region or --policy given, and no policy of {_DEPRECATED_DEFAULT_REGION} "
            f"(the deprecated default) governs {args.year}: say which rules apply, "
            f"--region REGION (known: {known}) or --policy ID|FILE",
            f"未给出 --region 或 --policy，且没有适用于{_DEPRECATED_DEFAULT_REGION}"
            f"（已弃用的默认地区）{args.year}年度的政策：请指明适用的规则，"
            f"--region 地区（已登记：{known_zh}）或 --policy 政策编号|文件",
        ) from None
    _warn(
        args.lang,
        f"no --region or --policy given: judging under {policy.id}, the Shandong policy of "
        f"{args.year}, as before; this default is deprecated and will be refused from 0.3: "
        f"give --region {_DEPRECATED_DEFAULT_REGION} (known regions: {known})",
        f"未给出 --region 或 --policy：按山东省{args.year}年度政策 {policy.id} 判断（与以前相同）；"
        f"此默认做法已弃用，自0.3版起将不再接受：请给出 --region {_DEPRECATED_DEFAULT_REGION}"
        f"（已登记的地区：{known_zh}）",
    )
    return policy


def _catalogue_policies(args: argparse.Namespace) -> list[Policy]:
    """The policies ``rules`` shows: ``--policy``, ``--region``'s, or every registered one."""
    registry = _registry(args, choosing=True)
    if args.policy is not None:
        if _is_file(args.policy):
            return [_policy_file(args, registry, args.policy)]
        return [registry.by_id(args.policy)]
    if args.region is not None:
        return list(registry.region_policies(args.region))
    return list(registry.policies)


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _UsageError(
            f"--as-of must be a date YYYY-MM-DD, got {value!r}",
            f"--as-of 应为日期 YYYY-MM-DD，实际为 {value!r}",
        ) from None


def _choice(option: str, value: str | None, kind: type[UnitLevel] | type[Mode]) -> Any:
    if value is None:
        return None
    try:
        return parse_cell(column("unit" if kind is UnitLevel else "mode"), value)
    except CellError as error:
        raise _UsageError(
            f"{option}: {error.message.en}", f"{option}：{error.message.zh}"
        ) from None


def _mapping(args: argparse.Namespace) -> dict[str, str]:
    mapping: dict[str, str] = {}
    if args.columns:
        mapping.update(load_column_mapping(args.columns))
    for item in args.column or ():
        if _LONE_SURROGATE.search(item):
            # Bytes that are not text in this system's encoding: no header can be them.
            shown = terminal_safe(item)
            raise _UsageError(
                f"--column “{shown}” is not text in this system's encoding",
                f"--column “{shown}”不是本系统编码的文本",
            )
        header, sep, field = item.partition("=")
        if not sep or not header.strip():
            raise _UsageError(
                f"--column must be HEADER=FIELD (or HEADER= to leave it aside), got {item!r}",
                f"--column 应为“表头=字段”（或“表头=”表示不读该列），实际为 {item!r}",
            )
        mapping[header.strip()] = field.strip()
    return mapping


def _protected(args: argparse.Namespace) -> list[str]:
    """Every file the run reads: the output must never be one of them."""
    files = [*args.files]
    for name in (args.persons, args.columns):
        if name:
            files.append(name)
    if args.policy and _is_file(args.policy):
        files.append(args.policy)
    listed = os.environ.get(POLICY_PATH_VARIABLE, "").split(os.pathsep)
    for folder in [*(f for f in listed if f), *(args.policies or ())]:
        # The policy files of the folders (a folder that is not one is reported later).
        files.extend(str(p) for p in sorted(Path(folder).glob("*.toml")))
    return files


def _open_inputs(args: argparse.Namespace, mapping: dict[str, str]) -> list[RecordFile]:
    """Every input opened, its header read, before any output.

    A file that cannot be read at all stops the run before a report is written.
    """
    opened = []
    for name in args.files:
        record_file = open_record_file(
            name, mapping=mapping, encoding=args.encoding, strict=args.strict
        )
        opened.append(record_file)
        _tell_about_file(record_file, args)
    return opened


def _tell_about_file(record_file: RecordFile, args: argparse.Namespace) -> None:
    lang = args.lang
    for note in record_file.notes:
        if not args.quiet:
            _stderr(_say(lang, f"note: {note.en}", f"说明：{note.zh}"))
    unknown = record_file.unknown()
    if unknown:
        names = "、".join(unknown) if lang == "zh" else ", ".join(unknown)
        units = unit_notes(unknown)  # a column of hours in minutes: why, and what to do
        _warn(
            lang,
            f"{record_file.source}: columns not understood, not read: {names} "
            "(map one with --column HEADER=FIELD, or leave it aside with --column HEADER=)"
            + ("" if units is None else f". {units.en}"),
            f"{record_file.source}：以下列无法识别，未读取：{names}"
            "（可用 --column 表头=字段 指定，或用 --column 表头= 表示不读）"
            + ("" if units is None else f"。{units.zh}"),
        )


def _rows(files: Sequence[RecordFile]) -> Iterator[RawRow | SkippedRow | BrokenRow]:
    for record_file in files:
        yield from record_file.rows()


def _of_person(
    rows: Iterable[RawRow | SkippedRow | BrokenRow], person_id: str
) -> Iterator[RawRow | SkippedRow | BrokenRow]:
    """The rows whose person cell reads as ``person_id``, by the parser ``check`` uses.

    Rows whose person cannot be read (a broken row, a blank or unreadable person cell)
    come too: they may be this person's, so the explanation must name them.
    """
    for row in rows:
        if isinstance(row, BrokenRow):
            yield row
        elif isinstance(row, RawRow):
            try:
                found = parse_id(row.cells.get("person_id"))
            except CellError:
                yield row
                continue
            if found is None or found == person_id:
                yield row


def _persons(args: argparse.Namespace) -> dict[str, Person] | None:
    if not args.persons:
        return None
    record_file = open_record_file(args.persons, encoding=args.encoding, columns=PERSON_COLUMNS)
    persons: dict[str, Person] = {}
    for row in record_file.rows():
        if isinstance(row, SkippedRow):
            continue
        if isinstance(row, BrokenRow):
            raise RecordFileError(
                row.source,
                Message(
                    zh=f"第{row.line}行：{row.message.zh}", en=f"line {row.line}: {row.message.en}"
                ),
            )
        try:
            person = person_of_cells(row.cells)
        except PersonRowError as error:
            raise RecordFileError(
                row.source,
                Message(
                    zh=f"第{row.line}行：{error.message.zh}",
                    en=f"line {row.line}: {error.message.en}",
                ),
            ) from None
        if persons.setdefault(person.id, person) != person:
            # Two different descriptions of one person: neither may silently win.
            raise RecordFileError(
                row.source,
                Message(
                    zh=f"第{row.line}行：身份证号 {person.id} 在前面已有不同的描述",
                    en=f"line {row.line}: person_id {person.id!r} is already described "
                    "differently above",
                ),
            )
    return persons


def _parts(files: Sequence[RecordFile]) -> int:
    """In how many partitions of persons the records of ``files`` are judged (``_SPILL_BYTES``)."""
    size = 0
    for record_file in files:
        with suppress(OSError):
            size += record_file.path.stat().st_size
    return 1 if size <= _SPILL_BYTES else -(-size // _PART_BYTES)


def _batch(
    args: argparse.Namespace,
    person_id: str | None = None,
    *,
    fingerprints: bool = True,
    counted: bool = True,
) -> BatchResult:
    policy = _policy(args)
    as_of = _as_of(args.as_of)
    default_unit = _choice("--default-unit", args.default_unit, UnitLevel)
    default_mode = _choice("--default-mode", args.default_mode, Mode)
    mapping = _mapping(args)
    opened = _open_inputs(args, mapping)
    persons = _persons(args)
    if person_id is None:
        # Every person: the records judged in bulk by the columnar engine.
        parts = _parts(opened)
        return evaluate_batches(
            file_batches(opened, _SPILL_BATCH_ROWS if parts > 1 else None),
            year=args.year,
            persons=persons,
            policy=policy,
            as_of=as_of,
            default_unit=default_unit,
            default_mode=default_mode,
            allow_other_year=args.allow_other_year,
            fingerprints=fingerprints,
            counted=counted,
            parts=parts,
        )
    # Explaining one person: only their rows, picked by the same parser check uses, and
    # judged by evaluate (the differential tests keep both engines equal).
    if persons is not None:
        persons = {person_id: persons[person_id]} if person_id in persons else {}
    return evaluate_many(
        _of_person(_rows(opened), person_id),
        year=args.year,
        persons=persons,
        policy=policy,
        as_of=as_of,
        default_unit=default_unit,
        default_mode=default_mode,
        allow_other_year=args.allow_other_year,
    )


# --- outputs ------------------------------------------------------------------------------


def _format(args: argparse.Namespace) -> str:
    if args.format is not None:
        return str(args.format)
    # The output file's suffix names its format (a table otherwise, as on a terminal).
    suffix = Path(args.output).suffix.lower() if args.output else ""
    return {".xlsx": "xlsx", ".csv": "csv", ".json": "json", ".jsonl": "jsonl"}.get(suffix, "table")


def _write_table(out: IO[str], batch: BatchResult, table: TableResult, lang: str) -> None:
    out.writelines(table_lines(verdict_cells(table, lang, terminal=True), batch.policy, lang))
    if batch.invalid_records:
        out.write(_say(lang, "Invalid records:\n", "无效记录：\n"))
        for record in batch.invalid_records:
            where = f"{record.source or '-'}:{record.line or '-'}"
            out.write(f"  {terminal_safe(where)} {terminal_safe(record.describe(lang))}\n")
    out.write(totals_line(batch, lang) + "\n")


def _write_csv(out: IO[str], batch: BatchResult, table: TableResult, lang: str) -> None:
    import polars as pl

    csv.writer(out, lineterminator="\n").writerow(csv_header(batch.policy, lang))
    cells = verdict_cells(table, lang)
    # An empty text is an empty cell, as the csv module writes it (polars would quote it).
    cells = cells.with_columns(
        pl.when(pl.col(name) != "").then(pl.col(name)).alias(name)
        for name, dtype in cells.schema.items()
        if dtype == pl.String
    )
    out.write(cells.write_csv(include_header=False, line_terminator="\n"))


def _write_json(out: IO[str], batch: BatchResult, verdicts: Iterable[str]) -> None:
    head = {
        "year": batch.year,
        "policy_id": batch.policy.id,
        "policy_version": batch.policy.version,
    }
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "verdicts": [')
    for number, verdict in enumerate(verdicts):
        out.write(("\n" if number == 0 else ",\n") + verdict)
    out.write('\n], "invalid_records": [')
    for number, record in enumerate(batch.invalid_records):
        out.write(("\n" if number == 0 else ",\n") + record.model_dump_json())
    out.write('\n], "skipped": [')
    for number, row in enumerate(batch.skipped):
        out.write(("\n" if number == 0 else ",\n") + json.dumps(_skipped(row), ensure_ascii=False))
    out.write('\n], "totals": ' + json.dumps(batch.totals.as_dict()) + "}\n")


def _skipped(row: SkippedRow) -> dict[str, Any]:
    return {"source": row.source, "line": row.line, "kind": row.kind, "text": row.text}


def _write_jsonl(out: IO[str], batch: BatchResult, verdicts: Iterable[str]) -> None:
    for verdict in verdicts:
        out.write('{"verdict": ' + verdict + "}\n")
    for record in batch.invalid_records:
        out.write('{"invalid_record": ' + record.model_dump_json() + "}\n")
    for row in batch.skipped:
        out.write(json.dumps({"skipped": _skipped(row)}, ensure_ascii=False) + "\n")
    out.write('{"totals": ' + json.dumps(batch.totals.as_dict()) + "}\n")


def _write_xlsx(out: IO[bytes], batch: BatchResult, table: TableResult, lang: str) -> None:
    invalid_rows = [
        row for record in batch.invalid_records for row in invalid_row(record, lang, workbook=True)
    ]
    verdict_rows = verdict_cells(table, lang, workbook=True).iter_rows()
    sheets = [
        Sheet(_say(lang, "verdicts", "结论"), csv_header(batch.policy, lang), verdict_rows),
        # Every record that does not count says why (the table and CSV give only counts).
        Sheet(_say(lang, "excluded entries", "未计入的记录"), excluded_header(lang),
              excluded_rows(table, lang)),
        Sheet(_say(lang, "invalid records", "无效记录"), invalid_header(lang), invalid_rows),
        Sheet(_say(lang, "skipped rows", "跳过的行"), skipped_header(lang),
              [skipped_row(r, lang, workbook=True) for r in batch.skipped]),
        Sheet(_say(lang, "totals", "合计"),
              [_say(lang, "item", "项目"), _say(lang, "count", "数量")],
              totals_rows(batch.totals, lang)),
    ]  # fmt: skip
    write_workbook(out, sheets)


def _stdout_text() -> IO[str]:
    return sys.stdout


def _write(args: argparse.Namespace, batch: BatchResult, table: TableResult) -> None:
    fmt = _format(args)
    lang = args.lang
    if fmt == "xlsx":
        if not args.output:
            raise _UsageError(
                "--format xlsx needs --output FILE.xlsx", "--format xlsx 需要 --output 文件.xlsx"
            )
        with atomic_output(args.output, binary=True, protected=_protected(args)) as raw:
            _write_xlsx(raw, batch, table, lang)
        return
    # The verdicts of the JSON formats are written one at a time (verdict_json).
    writers: dict[str, Callable[[IO[str]], None]] = {
        "table": lambda out: _write_table(out, batch, table, lang),
        "csv": lambda out: _write_csv(out, batch, table, lang),
        "json": lambda out: _write_json(out, batch, verdict_json(table)),
        "jsonl": lambda out: _write_jsonl(out, batch, verdict_json(table)),
    }
    if args.output:
        # A BOM lets spreadsheet programs recognise UTF-8 CSV.
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        with atomic_output(args.output, encoding=encoding, protected=_protected(args)) as out:
            writers[fmt](out)
    else:
        writers[fmt](_stdout_text())
        sys.stdout.flush()


def _warnings(batch: BatchResult, table: TableResult, lang: str, fmt: str) -> None:
    """What the user must know, on stderr: nothing here is only in a counter."""
    totals = batch.totals
    if batch.unknown_fields:
        names = ", ".join(batch.unknown_fields)
        _warn(lang, f"keys not understood, not read: {names}", f"以下字段无法识别，未读取：{names}")
    summary = skipped_summary(batch.skipped, lang)
    if summary:
        _stderr(summary)
    if not totals.records - totals.skipped:
        _warn(lang, "the input has no records", "输入中没有记录")
    _other_year(table, batch.year, lang)
    _refused_platforms(table, lang)
    _undetermined(table, lang)
    _names_differ(table, lang)
    if totals.invalid:
        listed = fmt in ("table", "json", "jsonl", "xlsx")
        if not listed:
            for record in batch.invalid_records:
                where = f"{record.source or '-'}:{record.line or '-'}"
                _stderr(f"  {where} {record.describe(lang)}")
        where_en = "listed in the output" if listed else "listed above"
        where_zh = "见输出" if listed else "见上"
        _print_error(
            lang,
            f"{_count(totals.invalid, 'invalid record')} ({where_en}): fix them and run again",
            f"有{totals.invalid}条无效记录（{where_zh}），请修正后重新运行",
        )


def _count(number: int, one: str, many: str | None = None) -> str:
    """``number`` and the English noun it counts: 1 entry, 2 entries."""
    return f"{number} {one if number == 1 else many or one + 's'}"


def _named(refs: list[str], lang: str, unit: str = "条") -> str:
    """The first ``_NAMED`` of ``refs``, and how many there are (``unit``: 条, 人)."""
    shown = ", ".join(refs[:_NAMED])
    if len(refs) > _NAMED:
        shown += _say(lang, f" and {len(refs) - _NAMED} more", f" 等{len(refs)}{unit}")
    return shown


def _other_year(table: TableResult, year: int, lang: str) -> None:
    import polars as pl

    # In input order (files as given, then lines): where an office would look for them.
    found = table.judged.decisions.filter(pl.col("reason") == Reason.OTHER_YEAR.value).sort("item")
    refs = [
        f"{source or '-'}:{line or '-'}"
        for source, line in found.select("source", "line").iter_rows()
    ]
    if refs:
        _warn(
            lang,
            f"{_count(len(refs), 'entry', 'entries')} {'is' if len(refs) == 1 else 'are'} "
            f"credited to another year than {year}: {_named(refs, lang)}",
            f"有{len(refs)}条记录不属于{year}培训年度：{_named(refs, lang)}",
        )


def _refused_platforms(table: TableResult, lang: str) -> None:
    """The platforms whose entries a platform rule refused (二(二)), the most used first.

    A name that holds a recognised one, or is held in it (蟹壳云学平台, 蟹壳云学), is asked
    about: it may be the same platform written otherwise, which only the records can say.
    """
    import polars as pl

    refused = table.judged.decisions.filter(
        pl.col("reason") == Reason.PLATFORM_NOT_RECOGNISED.value
    )
    if not refused.height:
        return
    rules = {r.code: r for r in table.policy.rules if isinstance(r, RecognisedPlatformsRule)}
    recognised = sorted({p for r in rules.values() for p in r.platforms})
    counts = (
        refused.group_by("refused_platform")
        .len()
        .sort(["len", "refused_platform"], descending=[True, False], nulls_last=True)
    )
    items_en, items_zh = [], []
    for name, count in counts.head(_NAMED).iter_rows():
        like = [p for p in recognised if name is not None and (p in name or name in p)]
        ask_en = f" (is it {' or '.join(like)}?)" if like else ""
        ask_zh = f"（是否即“{'”或“'.join(like)}”？）" if like else ""
        items_en.append(f"{name or '(none recorded)'} ×{count}{ask_en}")
        items_zh.append(f"{name or '（未记录）'} {count}条{ask_zh}")
    if counts.height > _NAMED:
        items_en.append(f"and {counts.height - _NAMED} more names")
        items_zh.append(f"等{counts.height}种写法")
    refusing = [rules[c] for c in refused["deciding"].drop_nulls().unique().sort() if c in rules]
    basis = {
        language: "; ".join(
            grounds(r.citation, None if r.reading is None else r.reading.decision, language)
            for r in refusing
        )
        for language in ("en", "zh")
    }
    _warn(
        lang,
        f"{_count(refused.height, 'entry', 'entries')} do not count because their learning "
        f"platform is not recognised ({basis['en']}): {', '.join(items_en)}; if a name is "
        "another spelling of a recognised platform, correct the records, or declare it in "
        "the policy (the rule's aliases)",
        f"有{refused.height}条记录因学习平台不在认可之列而未计入（{basis['zh']}）："
        f"{'、'.join(items_zh)}；如是认可平台的其他写法，请更正记录，"
        "或在政策中声明（规则的 aliases）",
    )


def _undetermined(table: TableResult, lang: str) -> None:
    import polars as pl

    undetermined = table.judged.verdicts.filter(pl.col("status") == Status.UNDETERMINED.value)
    if not undetermined.height:
        return
    facts = sorted({f for found in undetermined["missing_facts"].to_list() for f in found})
    ids = _named(undetermined["person_id"].to_list(), lang, "人")
    hint_en = []
    hint_zh = []
    if "unit" in facts:
        hint_en.append("a unit column, --persons FILE or --default-unit")
        hint_zh.append("单位级别列、--persons 人员名单或 --default-unit")
    if "mode" in facts:
        hint_en.append("a mode column or --default-mode")
        hint_zh.append("学习形式列或 --default-mode")
    if "featured" in facts:
        hint_en.append("a featured column (是否优质在线公需课)")
        hint_zh.append("“是否优质在线公需课”列")
    _warn(
        lang,
        f"{_count(undetermined.height, 'person')} "
        f"{'is' if undetermined.height == 1 else 'are'} undetermined, the records lack "
        f"{', '.join(facts)}: "
        f"{ids}; give {' or '.join(hint_en)}",
        f"有{undetermined.height}人结论待定，记录缺少"
        f"{'、'.join(column(f).label for f in facts)}：{ids}；请提供{'或'.join(hint_zh)}",
    )


def _names_differ(table: TableResult, lang: str) -> None:
    """The IDs whose records give different names: how a mistyped ID shows, told at once."""
    ids = sorted(
        pid
        for pid, found in table.findings.items()
        if any(f.code == "conflicting_name" for f in found)
    )
    if ids:
        named = _named(ids, lang, "个")
        _warn(
            lang,
            f"the records of {_count(len(ids), 'ID')} give different names (a mistyped ID?): "
            f"{named}; `ce-rules explain ID FILE` shows each name and its line",
            f"有{len(ids)}个身份证号下的记录姓名不一致（身份证号可能填错）：{named}；"
            "用 ce-rules explain 身份证号 文件 可查看各姓名及其所在行",
        )


def _exit_code(batch: BatchResult) -> int:
    totals = batch.totals
    if totals.invalid:
        return EXIT_INVALID
    if totals.non_compliant or totals.in_progress or totals.undetermined:
        return EXIT_NOT_COMPLIANT
    return EXIT_OK


# --- commands -----------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    if args.output:
        # Before anything is read: the report never lands on a file the run reads.
        check_output_path(args.output, _protected(args))
    fmt = _format(args)
    if fmt == "xlsx" and not args.output:
        raise _UsageError(
            "--format xlsx needs --output FILE.xlsx", "--format xlsx 需要 --output 文件.xlsx"
        )
    # Fingerprints, and the entries that count, are in the JSON formats only.
    full = fmt in ("json", "jsonl")
    batch = _batch(args, fingerprints=full, counted=full)
    table: TableResult = batch.table
    _in_scope(args, table.people())
    _write(args, batch, table)
    _warnings(batch, table, args.lang, fmt)
    return _exit_code(batch)


def _explain(args: argparse.Namespace) -> int:
    try:
        person_id = parse_id(args.person_id)
    except CellError as error:
        raise _UsageError(
            f"PERSON_ID: {error.message.en}", f"身份证号：{error.message.zh}"
        ) from None
    if person_id is None:
        raise _UsageError("PERSON_ID is empty", "身份证号为空")
    batch = _batch(args, person_id=person_id)
    verdicts = [v for v in batch if v.person_id == person_id]
    # Records naming no one that can be read may be this person's: the verdict may lack them.
    unowned = [r for r in batch.invalid_records if _may_be_of(r, person_id)]
    if not verdicts:
        # ``explain 记录.csv 其他.csv``: a file was taken for the person's id.
        order = Path(args.person_id).is_file()
        hint_en = f" ({_ID_FIRST.en})" if order else ""
        hint_zh = f"（{_ID_FIRST.zh}）" if order else ""
        if unowned:
            said_en, said_zh, refs = _unowned_said(unowned, args.lang)
            hint_en += f"; {said_en} and may be theirs: {refs}"
            hint_zh += f"；{said_zh}，可能属于该人员：{refs}"
        _print_error(
            args.lang,
            f"no record of person {person_id!r} in the input{hint_en}",
            f"输入中没有人员 {person_id!r} 的记录{hint_zh}",
        )
        return EXIT_INVALID
    verdict = verdicts[0]
    _in_scope(args, [verdict.person])
    if args.format == "json":
        sys.stdout.write(verdict.model_dump_json(indent=2) + "\n")
    else:
        lang = args.lang

        def category(decision: EntryDecision) -> str:
            return decision.category.label if lang == "zh" else decision.category.value

        for line in verdict.explain(lang).splitlines():
            print(terminal_safe(line))
        print(_say(lang, "Every entry:", "全部记录："))
        for decision, ref in zip(verdict.entries, verdict.records, strict=True):
            mark = "+" if decision.counted else "x"
            basis = grounds(decision.citation, decision.decision, lang)
            clause = f" [{basis}]" if basis else ""
            where = f" ({ref.source}:{ref.line})" if ref.source else ""
            print(
                terminal_safe(
                    f"  {mark} #{decision.index + 1} {decision.course_id} {category(decision)} "
                    f"{format_hours(decision.hours)}: {decision.message.in_(lang)}"
                    f"{instead(decision, lang)}{clause}{where}"
                )
            )
        for record in verdict.invalid_records:
            where = f"{record.source or '-'}:{record.line or '-'}"
            print(terminal_safe(f"  ! {where} {record.describe(lang)}"))
        for record in unowned:
            where = f"{record.source or '-'}:{record.line or '-'}"
            print(terminal_safe(f"  ? {where} {record.describe(lang)}"))
    if unowned:
        said_en, said_zh, refs = _unowned_said(unowned, args.lang)
        _warn(
            args.lang,
            f"{said_en} and may be {person_id}'s, so this verdict may be incomplete: {refs}",
            f"{said_zh}，可能属于{person_id}，此结论可能不完整：{refs}",
        )
    if verdict.invalid_records or unowned:
        return EXIT_INVALID
    return EXIT_OK if verdict.status is Status.COMPLIANT else EXIT_NOT_COMPLIANT


def _unowned_said(unowned: Sequence[InvalidRecord], lang: str) -> tuple[str, str, str]:
    """That ``unowned`` name no person that can be read: in English, in Chinese, and where."""
    refs = _named([f"{r.source or '-'}:{r.line or '-'}" for r in unowned], lang)
    verb = "names" if len(unowned) == 1 else "name"
    return (
        f"{_count(len(unowned), 'invalid record')} {verb} no person that can be read",
        f"有{len(unowned)}条无效记录读不出身份证号",
        refs,
    )


def _may_be_of(record: InvalidRecord, person_id: str) -> bool:
    """Whether an invalid record that names no person that can be read may be ``person_id``'s.

    Its person cell may be blank or unreadable (anyone's), or a number a spreadsheet made
    of an ID, which keeps its leading digits (``may_have_been``).
    """
    if record.person_id is not None:
        return False
    return all(
        may_have_been(problem.value, person_id)
        for problem in record.problems
        if problem.field == "person_id" and problem.value is not None
    )


def _rules(args: argparse.Namespace) -> int:
    policies = _catalogue_policies(args)
    lang = args.lang
    for policy in policies:
        title = policy.title if lang == "zh" else policy.title_en
        print(f"{policy.id} v{policy.version}  {title}  {list(policy.years)}")
        for rule in policy.rules:
            print(f"  {rule.code} ({rule.kind}) [{rule.citation.clause}] {rule.message.in_(lang)}")
            print(f"      {rule.citation.document} {rule.citation.clause}：“{rule.citation.quote}”")
            if rule.reading is not None:
                print(f"      {rule.reading.describe(lang)}")
        for topic in policy.topics:
            label = _say(lang, "topic", "专题")
            print(f"  {label} {topic.id} [{topic.clause}] {topic.name.in_(lang)}")
        if policy.certificate_requires:
            required = ", ".join(policy.certificate_requires)
            rests = basis(policy.certificate_citation, policy.certificate_reading, lang)
            print(
                _say(
                    lang,
                    f"  certificate: {required} [{rests}]",
                    f"  电子证书：{required} [{rests}]",
                )
            )
    return EXIT_OK


def _policies(args: argparse.Namespace) -> int:
    for policy in _registry(args).policies:
        title = policy.title if args.lang == "zh" else policy.title_en
        years = ", ".join(str(y) for y in policy.years)
        print(f"{policy.id}\tv{policy.version}\t{policy.region}\t{years}\t{title}")
    return EXIT_OK


_TOTALS: Final = (
    "records", "counted", "excluded", "invalid", "skipped", "persons", "compliant",
    "non_compliant", "in_progress", "undetermined", "persons_with_invalid_input",
    "defaulted_persons",
)  # fmt: skip


def output_schema() -> dict[str, Any]:
    """The JSON Schema of ``ce-rules check --format json`` output."""
    verdict = BatchVerdict.model_json_schema(ref_template="#/$defs/{model}", mode="serialization")
    defs = verdict.pop("$defs", {})
    defs["BatchVerdict"] = verdict
    counts = {"type": "integer", "minimum": 0}
    totals = {
        "type": "object",
        "properties": {
            **dict.fromkeys(_TOTALS, counts),
            "by_reason": {"type": "object", "additionalProperties": counts},
        },
        "required": ["records", "counted", "excluded", "invalid", "skipped", "persons"],
        "additionalProperties": False,
    }  # fmt: skip
    defs["BatchTotals"] = totals
    defs["SkippedRow"] = {
        "type": "object",
        "properties": {
            "source": {"type": "string"},
            "line": {"type": "integer"},
            "kind": {"enum": ["title", "blank", "footer", "note"]},
            "text": {"type": "string"},
        },
        "required": ["source", "line", "kind", "text"],
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ce-rules check --format json",
        "type": "object",
        "properties": {
            "year": {"type": "integer"},
            "policy_id": {"type": "string"},
            "policy_version": {"type": "string"},
            "verdicts": {"type": "array", "items": {"$ref": "#/$defs/BatchVerdict"}},
            "invalid_records": {"type": "array", "items": {"$ref": "#/$defs/InvalidRecord"}},
            "skipped": {"type": "array", "items": {"$ref": "#/$defs/SkippedRow"}},
            "totals": {"$ref": "#/$defs/BatchTotals"},
        },
        "required": [
            "year", "policy_id", "policy_version", "verdicts", "invalid_records", "skipped",
            "totals",
        ],
        "additionalProperties": False,
        "$defs": defs,
    }  # fmt: skip


def _schema(args: argparse.Namespace) -> int:
    schemas: dict[str, Callable[[], Any]] = {
        "record": record_json_schema,
        "person": lambda: record_json_schema(PERSON_COLUMNS),
        "verdict": lambda: BatchVerdict.model_json_schema(mode="serialization"),
        "output": output_schema,
    }
    if args.which == "all":
        data: Any = {name: make() for name, make in schemas.items()}
    else:
        data = schemas[args.which]()
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return EXIT_OK


# --- test: a policy author's scenario files ---------------------------------------------


def _test(args: argparse.Namespace) -> int:
    """Run scenario files (docs/authoring.md): 0 all pass, 1 some fail, 2 a file is invalid."""
    from . import _scenarios as sc  # only this command reads scenario files

    lang = args.lang
    try:
        files, aside = sc.discover(args.paths)
    except sc.ScenarioError as error:
        _stderr(_say(lang, "ce-rules: error: ", "ce-rules：错误：") + error.describe(lang))
        return EXIT_INVALID
    for path in aside:
        if not args.quiet:
            _stderr(
                _say(
                    lang,
                    f"note: {path} is a policy file or a snapshot, not read as scenarios",
                    f"说明：{path} 是政策文件或快照，不作为场景文件读取",
                )
            )
    if not files:
        _print_error(
            lang,
            "no scenario files (*.toml) in " + ", ".join(args.paths),
            "以下位置没有场景文件（*.toml）：" + "、".join(args.paths),
        )
        return EXIT_INVALID

    def tell(snapshot: sc.Snapshot) -> None:
        if snapshot.written is None:
            _stderr(_say(lang, f"{snapshot.source}: unchanged", f"{snapshot.source}：无变化"))
        elif snapshot.in_place:
            _stderr(
                _say(
                    lang,
                    f"{snapshot.source}: expectations of {snapshot.changed} scenarios rewritten; "
                    "review the diff before you commit it",
                    f"{snapshot.source}：已改写{snapshot.changed}个场景的预期结果；提交前请审阅差异",
                )
            )
        else:
            assert snapshot.why is not None  # a snapshot beside the file says why
            _warn(
                lang,
                f"{snapshot.why.en}: {snapshot.written}",
                f"{snapshot.why.zh}：{snapshot.written}",
            )

    results: list[sc.ScenarioResult] = []
    errors: list[sc.ScenarioError] = []
    for path in files:
        try:
            if args.update:
                snapshot = sc.update(path)
                tell(snapshot)
                path = snapshot.written or path
            results.extend(sc.run_file(path))
        except sc.ScenarioError as error:
            errors.append(error)
    for result in results:
        if not result.passed or args.verbose:
            for line in result.describe(lang).splitlines():
                print(terminal_safe(line))
    for problem in errors:
        _stderr(_say(lang, "ce-rules: error: ", "ce-rules：错误：") + problem.describe(lang))
    print(sc.summary(results, lang, errors=len(errors)))
    if errors:
        return EXIT_INVALID
    return EXIT_OK if all(result.passed for result in results) else EXIT_NOT_COMPLIANT


def _serve(args: argparse.Namespace) -> int:
    """``ce-rules serve``: the HTTP service of ``ce_rules.serve`` (the ``serve`` extra)."""
    try:
        from . import serve
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in _SERVE_PACKAGES:
            raise
        raise _UsageError(
            f"ce-rules serve needs the serve extra ({error.name} is not installed): "
            "pip install 'ce-rules[serve]', or from a clone pip install '.[serve]'",
            f"ce-rules serve 需要 serve 扩展（未安装 {error.name}）："
            "pip install 'ce-rules[serve]'，或在源码目录中 pip install '.[serve]'",
        ) from None
    token = (os.environ.get(serve.TOKEN_VARIABLE) or "").strip() or None
    if args.token_file:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise _UsageError(
                f"--token-file {args.token_file}: cannot read it ({error})",
                f"--token-file {args.token_file}：无法读取（{error}）",
            ) from None
        if not token:
            raise _UsageError(
                f"--token-file {args.token_file} is empty", f"--token-file {args.token_file} 为空"
            )
    for option, value in (
        ("--port", args.port), ("--max-body", args.max_body), ("--max-records", args.max_records),
        ("--timeout", args.timeout), ("--max-concurrency", args.max_concurrency),
    ):  # fmt: skip
        if value is not None and value <= 0 and not (option == "--port" and value == 0):
            raise _UsageError(f"{option} must be positive", f"{option} 必须为正数")
    if args.port > 65535:
        raise _UsageError("--port must be at most 65535", "--port 不得大于 65535")
    if token is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        _warn(
            args.lang,
            f"serving on {args.host} without a token: anyone who can reach it can use it "
            f"(--token-file FILE or {serve.TOKEN_VARIABLE})",
            f"在 {args.host} 上提供服务但未设令牌：能访问该地址的任何人都能使用"
            f"（--token-file 文件 或 {serve.TOKEN_VARIABLE}）",
        )
    settings = serve.ServeSettings(
        token=token,
        max_body_bytes=args.max_body,
        max_records=args.max_records,
        timeout_seconds=args.timeout,
        # Policies of your own: those of CE_RULES_POLICY_PATH and of --policies, as check.
        registry=_registry(args),
    )
    try:
        serve.run(
            settings,
            host=args.host,
            port=args.port,
            access_log=args.access_log,
            max_concurrency=args.max_concurrency,
        )
    except SystemExit as stop:
        if stop.code in (0, None):
            return EXIT_OK
        # uvicorn could not start (the address is in use …) and has logged why.
        _print_error(
            args.lang,
            f"could not serve on {args.host}:{args.port} (the reason is above)",
            f"无法在 {args.host}:{args.port} 上提供服务（原因见上）",
        )
        return EXIT_INVALID
    return EXIT_OK


#: The packages of the serve extra (and what they bring), for telling a missing one.
_SERVE_PACKAGES: Final = ("fastapi", "uvicorn", "starlette", "anyio", "h11")


def _serve_parser(commands: Any) -> None:
    sub = commands.add_parser("serve", help="the HTTP service (needs ce-rules[serve])")
    sub.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sub.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    sub.add_argument(
        "--token-file",
        metavar="FILE",
        help="a file holding the bearer token every request must carry (else $CE_RULES_TOKEN)",
    )
    sub.add_argument(
        "--max-body", type=int, default=10 * 1024 * 1024, metavar="BYTES",
        help="largest request body (default 10 MiB; larger: 413)",
    )  # fmt: skip
    sub.add_argument(
        "--max-records", type=int, default=100_000, metavar="N",
        help="most records a request may carry (default 100000; more: 413)",
    )  # fmt: skip
    sub.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS",
        help="longest judgement (default 60; longer: 503)",
    )  # fmt: skip
    sub.add_argument(
        "--max-concurrency", type=int, default=64, metavar="N",
        help="most connections at once (default 64; more: 503)",
    )  # fmt: skip
    sub.add_argument(
        "--access-log", action="store_true", help="log each request's line and status (no body)"
    )
    sub.add_argument(
        "--policies", action="append", metavar="DIR",
        help=f"serve every *.toml policy of DIR too (and of {POLICY_PATH_VARIABLE}); repeatable",
    )  # fmt: skip
    sub.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    sub.set_defaults(handler=_serve)


# --- the parser ---------------------------------------------------------------------------

_UNIT_CHOICES: Final = "provincial|municipal (省直单位|市属单位)"

#: argparse's usage errors (as Python 3.11 to 3.13 word them) in Chinese, the first that
#: matches; an error no pattern knows is shown as argparse wrote it.
_USAGE_ZH: Final = tuple(
    (re.compile(pattern, re.DOTALL), replacement)
    for pattern, replacement in (
        (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
        (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
        (r"one of the arguments (.*) is required", r"参数 \1 必须给出其一"),
        (r"ambiguous option: (.*) could match (.*)", r"选项 \1 有歧义，可以是 \2"),
        (
            r"argument (.+?): invalid choice: (.*) \(choose from (.*)\)",
            r"参数 \1：\2 不是可选的值（可选：\3）",
        ),
        (r"argument (.+?): expected one argument", r"参数 \1 后面需要一个值"),
        (r"argument (.+?): expected at least one argument", r"参数 \1 后面至少需要一个值"),
        (r"argument (.+?): invalid int value: (.*)", r"参数 \1：\2 不是整数"),
        (r"argument (.+?): invalid float value: (.*)", r"参数 \1：\2 不是数字"),
        (r"argument (.+?): not allowed with argument (.*)", r"参数 \1 不能与参数 \2 同时使用"),
        (r"argument (.+?): ignored explicit argument (.*)", r"参数 \1 不接受值 \2"),
        # A value our own reading refused, its reason already in the language asked for.
        (r"argument (.+?): (.*)", r"参数 \1：\2"),
    )
)


def _year_option(lang: str) -> Callable[[str], int]:
    """``--year`` read as a 年度 cell is read (``2024``, ``2024年``), by that cell's parser."""

    def year(text: str) -> int:
        try:
            value = parse_cell(column("credited_year"), text)
        except CellError as error:
            raise argparse.ArgumentTypeError(error.message.in_(lang)) from None
        if not isinstance(value, int):
            raise argparse.ArgumentTypeError(_say(lang, "a year is required", "需要年份"))
        return value

    return year


def _lang_of(argv: Sequence[str]) -> str:
    """The language a command line asks for (``--lang en``, ``--lang=en``), else Chinese."""
    lang = "zh"
    for position, token in enumerate(argv):
        if token == "--":
            break
        if token == "--lang" and position + 1 < len(argv):
            lang = argv[position + 1]
        elif token.startswith("--lang="):
            lang = token.removeprefix("--lang=")
    return "en" if lang == "en" else "zh"


#: The help of every command and option, in Chinese (``_Parser`` shows it for zh); a
#: test checks that no help is left untranslated.
_HELP_ZH: Final = {
    "Continuing-education rules (专业技术人员继续教育) as code.": (
        "专业技术人员继续教育规则的程序实现。"
    ),
    "language (zh|en)": "语言（zh|en）",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    f"add every *.toml policy of DIR to the registry (and of {POLICY_PATH_VARIABLE}); "
    "repeatable": f"把目录 DIR（以及 {POLICY_PATH_VARIABLE} 所列目录）中的每个 *.toml 政策文件"
    "加入登记；可重复",
    "CSV, JSON Lines or xlsx": "CSV、JSON Lines 或 xlsx 文件",
    "the year to judge (2024, 2024年)": "要评价的年度（2024 或 2024年）",
    "the region whose policy of --year applies (ce-rules policies)": "适用其 --year 年度政策的地区"
    "（见 ce-rules policies）",
    "a registered policy id or a TOML file": "已登记的政策编号或 TOML 政策文件",
    "the day the verdicts speak for (YYYY-MM-DD)": "结论所依据的日期（YYYY-MM-DD）",
    "a file of persons (person_id, name, unit, ...)": "人员名单文件（身份证号、姓名、单位级别等）",
    "CSV encoding (default: detect UTF-8/GB18030)": "CSV 编码（默认自动识别 UTF-8/GB18030）",
    "read the column HEADER as FIELD (HEADER= leaves it aside); repeatable": "把表头为 HEADER 的列"
    "读作字段 FIELD（HEADER= 表示忽略该列）；可重复",
    "a TOML file of such mappings": "写有上述列对应关系的 TOML 文件",
    "a column not understood is an error": "无法识别的列视为错误",
    f"unit of persons no record describes: {_UNIT_CHOICES}": "记录未载明单位级别的人员所用的"
    f"单位级别：{_UNIT_CHOICES}",
    "mode of courses without one: online|offline": "记录未载明学习形式的课程所用的学习形式："
    "online|offline（远程教育|面授）",
    "apply --policy to a year it does not govern (the verdicts say so)": (
        "将 --policy 用于其不适用的年度（结论中会注明）"
    ),
    "no notes on stderr": "不在标准错误输出中显示说明",
    "every person's verdict": "评价每个人员的年度继续教育",
    "output (default: table, or csv, xlsx, json or jsonl after the suffix of --output)": (
        "输出格式（默认 table；按 --output 的后缀为 csv、xlsx、json 或 jsonl）"
    ),
    "write to this file instead of stdout": "写入此文件，而非标准输出",
    "one person's verdict in full": "一个人员的完整结论",
    "the rule catalogue with clauses": "规则目录及其条款",
    "the policies of this region (default: all)": "此地区的政策（默认全部）",
    "a registered policy id or a TOML file (default: all)": "已登记的政策编号或 TOML 政策文件"
    "（默认全部）",
    "the registered policies": "已登记的政策",
    "JSON Schemas of records, persons and output": "记录、人员和输出的 JSON Schema",
    "run scenario files (a policy author's tests)": "运行场景文件（政策编写者的测试）",
    "scenario files or folders": "场景文件或文件夹",
    "write the verdicts into the files as their expectations, for review": "把结论作为预期写入"
    "场景文件，供审阅",
    "list passing scenarios too": "同时列出通过的场景",
    "the HTTP service (needs ce-rules[serve])": "HTTP 服务（需安装 ce-rules[serve]）",
    "address to bind (default 127.0.0.1)": "监听地址（默认 127.0.0.1）",
    "port (default 8000)": "端口（默认 8000）",
    "a file holding the bearer token every request must carry (else $CE_RULES_TOKEN)": (
        "存有访问令牌的文件，每个请求都须携带该令牌（否则取 $CE_RULES_TOKEN）"
    ),
    "largest request body (default 10 MiB; larger: 413)": "请求体的最大字节数（默认 10 MiB；"
    "超出时返回 413）",
    "most records a request may carry (default 100000; more: 413)": "一个请求最多的记录数"
    "（默认 100000；超出时返回 413）",
    "longest judgement (default 60; longer: 503)": "一次评价的最长秒数（默认 60；超出时返回 503）",
    "most connections at once (default 64; more: 503)": (
        "同时处理的最多连接数（默认 64；超出时返回 503）"
    ),
    "log each request's line and status (no body)": "记录每个请求的请求行和状态码（不记录内容）",
    f"serve every *.toml policy of DIR too (and of {POLICY_PATH_VARIABLE}); repeatable": "同时提供"
    f"目录 DIR（以及 {POLICY_PATH_VARIABLE} 所列目录）中的每个 *.toml 政策；可重复",
}
#: argparse's headings, in Chinese.
_HEADINGS_ZH: Final = {"positional arguments": "位置参数", "options": "选项"}


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors and help are in the language of the command line.

    In Chinese, the usage line is headed 用法 and the error is translated (``_USAGE_ZH``),
    as ce-rules' other errors are (``ce-rules：错误：…``); the exit code is 2 either way.
    The help of every command and option is ``_HELP_ZH``'s, under Chinese headings.
    """

    lang: str = "zh"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["description"] = self.said(kwargs.get("description"))
        super().__init__(*args, **kwargs)  # its -h is added through add_argument, below
        if self.lang == "zh":
            for group in self._action_groups:
                group.title = _HEADINGS_ZH.get(group.title or "", group.title)

    def said(self, text: str | None) -> str | None:
        """``text`` (a help) in the language of the command line."""
        if self.lang == "zh" and text is not None:
            return _HELP_ZH.get(text, text)
        return text

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        action.help = self.said(action.help)
        return action

    def format_usage(self) -> str:
        usage = super().format_usage()
        return "用法：" + usage.removeprefix("usage: ") if self.lang == "zh" else usage

    def format_help(self) -> str:
        text = super().format_help()
        return "用法：" + text.removeprefix("usage: ") if self.lang == "zh" else text

    def error(self, message: str) -> NoReturn:
        # ``explain 记录.csv``: the file was taken for the person's id.
        order = self.prog.endswith(" explain") and message.endswith("required: FILE")
        if self.lang == "en":
            super().error(message + (f" ({_ID_FIRST.en})" if order else ""))
        for pattern, replacement in _USAGE_ZH:
            if pattern.fullmatch(message):
                message = pattern.sub(replacement, message)
                break
        if order:
            message += f"（{_ID_FIRST.zh}）"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


class _EnglishParser(_Parser):
    """``_Parser`` speaking English (``--lang en``)."""

    lang = "en"


def _parser(lang: str = "zh") -> argparse.ArgumentParser:
    kind = _EnglishParser if lang == "en" else _Parser
    parser = kind(
        prog="ce-rules",
        description="Continuing-education rules (专业技术人员继续教育) as code.",
    )
    parser.add_argument("--version", action="version", version=f"ce-rules {__version__}")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language (zh|en)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=kind)

    def policy_folders(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--policies",
            action="append",
            metavar="DIR",
            help=f"add every *.toml policy of DIR to the registry (and of {POLICY_PATH_VARIABLE}); "
            "repeatable",
        )

    def inputs(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("files", nargs="+", metavar="FILE", help="CSV, JSON Lines or xlsx")
        sub.add_argument(
            "--year",
            type=_year_option(lang),
            required=True,
            help="the year to judge (2024, 2024年)",
        )
        sub.add_argument(
            "--region", help="the region whose policy of --year applies (ce-rules policies)"
        )
        sub.add_argument("--policy", help="a registered policy id or a TOML file")
        policy_folders(sub)
        sub.add_argument("--as-of", help="the day the verdicts speak for (YYYY-MM-DD)")
        sub.add_argument("--persons", help="a file of persons (person_id, name, unit, ...)")
        sub.add_argument("--encoding", help="CSV encoding (default: detect UTF-8/GB18030)")
        sub.add_argument(
            "--column",
            action="append",
            metavar="HEADER=FIELD",
            help="read the column HEADER as FIELD (HEADER= leaves it aside); repeatable",
        )
        sub.add_argument("--columns", metavar="FILE", help="a TOML file of such mappings")
        sub.add_argument(
            "--strict", action="store_true", help="a column not understood is an error"
        )
        sub.add_argument(
            "--default-unit",
            metavar="UNIT",
            help=f"unit of persons no record describes: {_UNIT_CHOICES}",
        )
        sub.add_argument(
            "--default-mode", metavar="MODE", help="mode of courses without one: online|offline"
        )
        sub.add_argument(
            "--allow-other-year",
            action="store_true",
            help="apply --policy to a year it does not govern (the verdicts say so)",
        )
        sub.add_argument("--quiet", action="store_true", help="no notes on stderr")
        sub.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
        # Accepted and ignored, so that scripts written for 0.1 keep working: the order
        # of the records no longer matters, and one process reads every file.
        sub.add_argument("--unsorted", action="store_true", help=argparse.SUPPRESS)
        sub.add_argument("--jobs", help=argparse.SUPPRESS)

    check = commands.add_parser("check", help="every person's verdict")
    inputs(check)
    check.add_argument(
        "--format",
        choices=("table", "json", "jsonl", "csv", "xlsx"),
        default=None,
        help="output (default: table, or csv, xlsx, json or jsonl after the suffix of --output)",
    )
    check.add_argument("--output", "-o", help="write to this file instead of stdout")
    check.set_defaults(handler=_check)

    explain = commands.add_parser("explain", help="one person's verdict in full")
    explain.add_argument("person_id", metavar="PERSON_ID")
    inputs(explain)
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.set_defaults(handler=_explain)

    rules = commands.add_parser("rules", help="the rule catalogue with clauses")
    rules.add_argument("--region", help="the policies of this region (default: all)")
    rules.add_argument("--policy", help="a registered policy id or a TOML file (default: all)")
    policy_folders(rules)
    rules.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    rules.set_defaults(handler=_rules)

    policies = commands.add_parser("policies", help="the registered policies")
    policies.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    policy_folders(policies)
    policies.set_defaults(handler=_policies)

    schema = commands.add_parser("schema", help="JSON Schemas of records, persons and output")
    schema.add_argument(
        "which", nargs="?", choices=("record", "person", "verdict", "output", "all"), default="all"
    )
    schema.set_defaults(handler=_schema)

    test = commands.add_parser("test", help="run scenario files (a policy author's tests)")
    test.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    test.add_argument(
        "--update",
        action="store_true",
        help="write the verdicts into the files as their expectations, for review",
    )
    test.add_argument("--verbose", "-v", action="store_true", help="list passing scenarios too")
    test.add_argument("--quiet", action="store_true", help="no notes on stderr")
    test.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    test.set_defaults(handler=_test)

    _serve_parser(commands)
    for listed in commands._choices_actions:  # each command's line in the list of commands
        listed.help = parser.said(listed.help)
    return parser


def _deprecated(args: argparse.Namespace) -> None:
    if getattr(args, "unsorted", False):
        _warn(
            args.lang,
            "--unsorted is no longer needed: records may come in any order",
            "--unsorted 已无需使用：记录可按任意顺序排列",
        )
    if getattr(args, "jobs", None) is not None:
        _warn(args.lang, "--jobs is no longer used and is ignored", "--jobs 已不再使用，将被忽略")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ce-rules``; returns the exit code (see the module docstring)."""
    args = _parser(_lang_of(sys.argv[1:] if argv is None else argv)).parse_args(argv)
    lang: str = args.lang
    try:
        with termination_as_interrupt():
            _deprecated(args)
            code: int = args.handler(args)
    except RecordFileError as error:
        _print_error(
            lang, f"{error.source}: {error.message.en}", f"{error.source}：{error.message.zh}"
        )
        return EXIT_INVALID
    except OutputError as error:
        _print_error(lang, error.message.en, error.message.zh)
        return EXIT_INVALID
    except _UsageError as error:
        _print_error(lang, error.en, error.zh)
        return EXIT_INVALID
    except PolicyNotFoundError as error:
        where = error.region if error.year is None else f"{error.region} {error.year}年度"
        known = "、".join(error.available) or "无"
        _print_error(lang, str(error), f"没有适用于 {where} 的政策（已登记：{known}）")
        return EXIT_INVALID
    except CeRulesError as error:
        _print_error(lang, str(error), str(error))
        return EXIT_INVALID
    except Terminated as error:
        print(_say(lang, "ce-rules: terminated", "ce-rules：已终止"), file=sys.stderr)
        return 128 + error.signum
    except KeyboardInterrupt:
        # Ctrl-C: the report is incomplete, so its exit code must not read as a verdict.
        print(_say(lang, "ce-rules: interrupted", "ce-rules：已中断"), file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not every verdict was
        # written, so the run cannot say "all compliant" (exit 0). What is still
        # buffered goes nowhere, so that flushing it at exit cannot fail again (the
        # idiom of the Python documentation, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_INVALID
    except Exception as error:
        return _internal_error(lang, error)
    return code


def _internal_error(lang: str, error: BaseException) -> int:
    """An error in ce-rules itself: one line, its own exit code; the trace on request."""
    if os.environ.get(_DEBUG_VARIABLE):
        traceback.print_exception(error)
    what = f"{type(error).__name__}: {error}"
    _print_error(
        lang,
        f"internal error ({what}); please report it, with the output of the same command "
        f"run with {_DEBUG_VARIABLE}=1",
        f"内部错误（{what}）；请报告此问题，并附上设置 {_DEBUG_VARIABLE}=1 后运行同一命令的输出",
    )
    return EXIT_INTERNAL
