"""The ``ce-rules`` command line: a thin edge over ``evaluate_many`` and the registry.

Commands: ``check`` (every person's verdict from record files), ``explain`` (one
person in full), ``rules`` (a policy's rule catalogue), ``policies`` (what is
registered) and ``schema`` (JSON Schemas for systems not written in Python).

Exit codes: 0 every person compliant, 1 some not compliant (or still in progress),
2 invalid input or usage. The core never imports this module.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from functools import partial
from itertools import repeat
from pathlib import Path
from typing import IO, Any, Final

from ._batch import (
    COLUMNS,
    BatchResult,
    BatchVerdict,
    InputRecord,
    InvalidRecord,
    RowBlock,
    evaluate_many,
    normalise_header,
)
from ._exceptions import CeRulesError, PolicyNotFoundError
from ._io import CsvPlan, RecordFileError, plan_csv_parts, read_items, read_persons, read_records
from ._overlay import merge_overlay
from ._parallel import Progress, check_in_parts, part_count
from ._policy import Policy, list_policies, load_policy, policy_by_id
from ._verdict import EntryDecision, Status, format_hours

__all__ = ["main"]

EXIT_OK: Final = 0
EXIT_NOT_COMPLIANT: Final = 1
EXIT_INVALID: Final = 2
#: Interrupted (Ctrl-C): 128 + SIGINT, as shells report it.
EXIT_INTERRUPTED: Final = 130
#: Files smaller than this are checked in one process: starting more would cost more.
_PARALLEL_BYTES: Final = 8 << 20
_MAX_JOBS: Final = 8
#: The collector's thresholds during a batch (default 700, 10, 10): a young-generation
#: collection every 100,000 allocations, an older one a thousand times less often.
_GC_THRESHOLDS: Final = (100_000, 1_000, 1_000)
_CACHE_SIZE: Final = 4096


class _UsageError(Exception):
    def __init__(self, en: str, zh: str) -> None:
        self.en = en
        self.zh = zh
        super().__init__(en)


def _say(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def _error(lang: str, en: str, zh: str) -> int:
    print(_say(lang, f"ce-rules: error: {en}", f"ce-rules：错误：{zh}"), file=sys.stderr)
    return EXIT_INVALID


def _policy(value: str | None) -> Policy | None:
    if value is None:
        return None
    if value.endswith(".toml") or Path(value).is_file():
        policy = load_policy(value)
        if policy.extends is not None:
            # An overlay alone lacks its base's rules (三(一) among them): judge under
            # base + overlay, whose loosenings every verdict then reports.
            return merge_overlay(policy_by_id(policy.extends), policy)
        return policy
    return policy_by_id(value)


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


def _records(
    files: Sequence[str], encoding: str | None, person: str | None = None
) -> Iterator[InputRecord | InvalidRecord | RowBlock]:
    for name in files:
        if person is None:
            yield from read_items(name, encoding=encoding)
            continue
        for record in read_records(name, encoding=encoding):
            if _person_of(record) == person:
                yield record


def _person_of(record: InputRecord | InvalidRecord) -> str | None:
    if isinstance(record, InvalidRecord):
        return record.person_id
    for key, value in record.fields.items():
        if normalise_header(str(key)) == "person_id":
            return str(value).strip()
    return None


def _preflight(files: Sequence[str], encoding: str | None) -> None:
    # Open each file and read its header before any output: a file that cannot be read
    # at all stops the run before a partial report is written.
    for name in files:
        iterator = read_records(name, encoding=encoding)
        next(iter(iterator), None)
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _progress(items: Iterable[Any], enabled: bool, lang: str) -> Iterator[Any]:
    if not enabled:
        yield from items
        return
    progress = Progress(_shown_progress(lang))
    yield from progress.counted(items)
    if progress.reported:
        print(file=sys.stderr)


def _show_progress(count: int, start: float, lang: str) -> None:
    rate = count / max(time.monotonic() - start, 1e-9)
    text = _say(
        lang, f"{count:,} records read, {rate:,.0f}/s", f"已读取{count:,}条记录，每秒{rate:,.0f}条"
    )
    print(f"\r{text}", end="", file=sys.stderr, flush=True)


#: Columns a character takes on a terminal, by its East Asian width (wide, fullwidth: 2).
_CHAR_WIDTH: Final = {"W": 2, "F": 2}


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(map(_CHAR_WIDTH.get, map(unicodedata.east_asian_width, text), repeat(1)))


def _pad(text: str, width: int) -> str:
    if text.isascii():
        return text.ljust(width)
    return text + " " * max(width - _width(text), 0)


def _hours(value: Decimal) -> str:
    return format_hours(value)


def _table_header(policy: Policy, lang: str) -> list[str]:
    cells = [
        _say(lang, "person", "身份证号"),
        _say(lang, "name", "姓名"),
        _say(lang, "status", "结论"),
    ]
    cells.extend(r.code for r in policy.requirement_rules)
    cells.append(_say(lang, "invalid", "无效记录"))
    return cells


_WIDTHS: Final = (20, 8, 14)
_ZH_HEADERS: Final = {column.name: column.zh[0] for column in COLUMNS}


def _table_widths(policy: Policy, lang: str) -> list[int]:
    header = _table_header(policy, lang)
    return [*_WIDTHS, *([18] * (len(header) - len(_WIDTHS) - 1)), 0]


def _table_line(cells: list[str], widths: list[int]) -> str:
    return "  ".join(map(_pad, cells, widths)).rstrip() + "\n"


def _table_head(policy: Policy, lang: str) -> str:
    return _table_line(_table_header(policy, lang), _table_widths(policy, lang))


def _table_rows(
    out: IO[str], verdicts: Iterable[BatchVerdict], widths: list[int], lang: str
) -> None:
    """One line a verdict: each cell padded to its column's width, as ``_table_line`` pads it."""
    id_width, name_width, status_width, *result_widths, _ = widths
    # Statuses and requirement cells repeat from person to person: each is made once.
    statuses: dict[Status, str] = {}
    results: list[dict[tuple[Decimal, Decimal], str]] = [{} for _ in result_widths]
    for verdict in verdicts:
        fields = verdict.__dict__  # one read of the fields, not one through pydantic each
        status = statuses.get(fields["status"])
        if status is None:
            status = statuses[fields["status"]] = _pad(
                fields["status"].label.in_(lang), status_width
            )
        person_id = fields["person_id"]
        cells = [
            person_id.ljust(id_width) if person_id.isascii() else _pad(person_id, id_width),
            _pad(fields["name"] or "", name_width),
            status,
        ]
        for result, width, made in zip(fields["requirements"], result_widths, results, strict=True):
            key = (result.earned, result.required)  # equal hours print alike (format_hours)
            cell = made.get(key)
            if cell is None:
                if len(made) >= _CACHE_SIZE:
                    made.clear()
                cell = made[key] = _pad(f"{_hours(key[0])}/{_hours(key[1])}", width)
            cells.append(cell)
        invalid = fields["invalid_records"]
        cells.append(str(len(invalid)) if invalid else "")
        out.write("  ".join(cells).rstrip() + "\n")


def _table_foot(out: IO[str], batch: BatchResult, lang: str) -> None:
    _write_invalid(out, batch.invalid_records, lang)
    out.write(_totals_line(batch, lang) + "\n")


def _write_table(out: IO[str], batch: BatchResult, lang: str) -> None:
    out.write(_table_head(batch.policy, lang))
    _table_rows(out, batch, _table_widths(batch.policy, lang), lang)
    _table_foot(out, batch, lang)


def _write_invalid(out: IO[str], records: Sequence[InvalidRecord], lang: str) -> None:
    if not records:
        return
    out.write(_say(lang, "Invalid records:\n", "无效记录：\n"))
    for record in records:
        where = f"{record.source or '-'}:{record.line or '-'}"
        value = "" if record.value is None else f" {record.value!r}"
        field = record.field
        if lang == "zh" and field in _ZH_HEADERS:
            field = f"{_ZH_HEADERS[field]}({field})"
        out.write(f"  {where} {field}{value}: {record.reason}\n")


def _totals_line(batch: BatchResult, lang: str) -> str:
    t = batch.totals
    if lang == "zh":
        return (
            f"合计：{t.persons}人，合格{t.compliant}人，不合格{t.non_compliant}人，"
            f"进行中{t.in_progress}人；记录{t.records}条：计入{t.counted}条，"
            f"未计入{t.excluded}条，无效{t.invalid}条"
        )
    return (
        f"Totals: {t.persons} persons, {t.compliant} compliant, {t.non_compliant} non-compliant, "
        f"{t.in_progress} in progress; {t.records} records: {t.counted} counted, "
        f"{t.excluded} excluded, {t.invalid} invalid"
    )


def _head(batch: BatchResult) -> dict[str, Any]:
    return {
        "year": batch.year,
        "policy_id": batch.policy.id,
        "policy_version": batch.policy.version,
    }


def _write_json(out: IO[str], batch: BatchResult) -> None:
    head = json.dumps(_head(batch), ensure_ascii=False)[:-1]
    out.write(head + ', "verdicts": [')
    for number, verdict in enumerate(batch):
        out.write(("\n" if number == 0 else ",\n") + verdict.model_dump_json())
    out.write('\n], "invalid_records": [')
    for number, record in enumerate(batch.invalid_records):
        out.write(("\n" if number == 0 else ",\n") + record.model_dump_json())
    out.write('\n], "totals": ' + json.dumps(batch.totals.as_dict()) + "}\n")


def _write_jsonl(out: IO[str], batch: BatchResult) -> None:
    for verdict in batch:
        out.write('{"verdict": ' + verdict.model_dump_json() + "}\n")
    for record in batch.invalid_records:
        out.write('{"invalid_record": ' + record.model_dump_json() + "}\n")
    out.write('{"totals": ' + json.dumps(batch.totals.as_dict()) + "}\n")


def _csv_head(policy: Policy) -> str:
    header = ["person_id", "name", "status", "compliant", "certificate_eligible"]
    for rule in policy.requirement_rules:
        header += [f"{rule.code}_earned", f"{rule.code}_required", f"{rule.code}_shortfall"]
    header.append("invalid_records")
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(header)
    return text.getvalue()


def _csv_rows(out: IO[str], verdicts: Iterable[BatchVerdict]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    for verdict in verdicts:
        row: list[Any] = [
            verdict.person_id,
            verdict.name or "",
            verdict.status.value,
            str(verdict.compliant).lower(),
            str(verdict.certificate_eligible).lower(),
        ]
        for result in verdict.requirements:
            row += [_hours(result.earned), _hours(result.required), _hours(result.shortfall)]
        row.append(len(verdict.invalid_records))
        writer.writerow(row)


def _write_csv(out: IO[str], batch: BatchResult) -> None:
    out.write(_csv_head(batch.policy))
    _csv_rows(out, batch)


def _exit_code(batch: BatchResult) -> int:
    totals = batch.totals
    if totals.invalid:
        return EXIT_INVALID
    if totals.non_compliant or totals.in_progress:
        return EXIT_NOT_COMPLIANT
    return EXIT_OK


def _open_output(path: str | None, csv_bom: bool) -> IO[str]:
    if path is None:
        return sys.stdout
    try:
        # A BOM lets spreadsheet programs recognise UTF-8 CSV.
        return open(path, "w", encoding="utf-8-sig" if csv_bom else "utf-8", newline="")
    except OSError as error:
        reason = error.strerror or str(error)
        raise _UsageError(
            f"cannot write the output file {path}: {reason}",
            f"无法写入输出文件 {path}：{reason}",
        ) from None


def _warnings(batch: BatchResult, lang: str, *, listed: bool = True) -> None:
    """Warnings and the invalid-record error on stderr.

    ``listed`` says whether the output lists the invalid records; the CSV output (one
    row per person) does not, so they are listed here instead, never only counted.
    """
    totals = batch.totals
    if not totals.records:
        print(
            _say(lang, "warning: the input has no records", "提示：输入中没有记录"), file=sys.stderr
        )
    other_year = totals.by_reason.get("other_year", 0)
    if other_year:
        print(
            _say(
                lang,
                f"warning: {other_year} entries are credited to another year than {batch.year}",
                f"提示：有{other_year}条记录不属于{batch.year}培训年度",
            ),
            file=sys.stderr,
        )
    if any(r.code == "unsorted" for r in batch.invalid_records):
        print(
            _say(
                lang,
                "warning: the input is not sorted by person; sort it or pass --unsorted",
                "提示：输入未按人员排序；请先排序，或使用 --unsorted",
            ),
            file=sys.stderr,
        )
    if totals.invalid:
        if not listed:
            _write_invalid(sys.stderr, batch.invalid_records, lang)
        print(
            _say(
                lang,
                f"error: {totals.invalid} invalid records (listed in the output)",
                f"错误：有{totals.invalid}条无效记录（见输出）",
            )
            if listed
            else _say(
                lang,
                f"error: {totals.invalid} invalid records (listed above)",
                f"错误：有{totals.invalid}条无效记录（见上）",
            ),
            file=sys.stderr,
        )


def _batch(args: argparse.Namespace, person: str | None = None) -> BatchResult:
    policy = _policy(args.policy)
    _preflight(args.files, args.encoding)
    persons = read_persons(args.persons, encoding=args.encoding) if args.persons else None
    if persons is not None and person is not None:
        # Explaining one person: the others of the persons file are not judged.
        persons = {person: persons[person]} if person in persons else {}
    records = _progress(
        _records(args.files, args.encoding, person),
        enabled=sys.stderr.isatty() and not args.quiet,
        lang=args.lang,
    )
    return evaluate_many(
        records,
        year=args.year,
        persons=persons,
        policy=policy,
        as_of=_as_of(args.as_of),
        presorted=not args.unsorted,
    )


def _check_output_path(args: argparse.Namespace) -> None:
    # Opening the output truncates it: it must not be a file the run still has to read.
    if args.output is None or not Path(args.output).exists():
        return
    inputs = [*args.files, *([args.persons] if args.persons else [])]
    for name in inputs:
        if Path(name).exists() and Path(name).samefile(args.output):
            raise _UsageError(
                f"--output {args.output} is the input file {name}: it would be overwritten",
                f"--output {args.output} 是输入文件 {name}，会被覆盖",
            )


@contextmanager
def _batch_gc() -> Iterator[None]:
    """The garbage collector tuned for a batch, then as it was.

    A batch makes millions of short-lived objects without cycles, which the default
    thresholds would have the collector scan over and over, with everything imported.
    """
    thresholds = gc.get_threshold()
    gc.freeze()  # what exists already (the imported modules) is not scanned again
    gc.set_threshold(*_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _check(args: argparse.Namespace) -> int:
    with _batch_gc():
        return _checked(args)


def _checked(args: argparse.Namespace) -> int:
    _check_output_path(args)
    plan = _plan(args)
    batch = None
    if plan is not None:
        # Checked up front as evaluate_many checks them: a bad year or date stops the run.
        as_of = _as_of(args.as_of)
        policy = evaluate_many((), year=args.year, policy=_policy(args.policy), as_of=as_of).policy
    out = _open_output(args.output, csv_bom=args.format == "csv")
    try:
        if plan is not None:
            batch = _check_in_parts(args, plan, policy, as_of, out)
        if batch is None:
            batch = _batch(args)
            if args.format == "table":
                _write_table(out, batch, args.lang)
            elif args.format == "csv":
                _write_csv(out, batch)
            elif args.format == "json":
                _write_json(out, batch)
            else:
                _write_jsonl(out, batch)
        out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    _warnings(batch, args.lang, listed=args.format != "csv")
    return _exit_code(batch)


def _jobs(value: str) -> int:
    if value == "auto":
        try:
            available = len(os.sched_getaffinity(0))
        except AttributeError:  # not on every platform
            available = os.cpu_count() or 1
        return max(1, min(available, _MAX_JOBS))
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise _UsageError(
            f"--jobs must be a whole number of processes or auto, got {value!r}",
            f"--jobs 应为进程数或 auto，实际为 {value!r}",
        )
    return jobs


def _plan(args: argparse.Namespace) -> CsvPlan | None:
    """How to check in parts, or None to check in one process (docs/cli.md, "Speed")."""
    jobs = _jobs(args.jobs)
    if (
        jobs < 2
        or len(args.files) != 1
        or args.format not in ("table", "csv")
        or args.persons
        or args.unsorted
    ):
        return None
    try:
        size = Path(args.files[0]).stat().st_size
    except OSError:
        return None  # reported by the usual path
    if size < _PARALLEL_BYTES:
        return None
    return plan_csv_parts(args.files[0], args.encoding, part_count(size, jobs))


def _check_in_parts(
    args: argparse.Namespace, plan: CsvPlan, policy: Policy, as_of: date | None, out: IO[str]
) -> BatchResult | None:
    write_rows: Any
    if args.format == "table":
        head = _table_head(policy, args.lang)
        write_rows = partial(_table_rows, widths=_table_widths(policy, args.lang), lang=args.lang)
    else:
        head = _csv_head(policy)
        write_rows = _csv_rows
    progress = _shown_progress(args.lang) if sys.stderr.isatty() and not args.quiet else None
    batch = check_in_parts(
        plan,
        jobs=_jobs(args.jobs),
        year=args.year,
        policy=policy,
        as_of=as_of,
        write_rows=write_rows,
        head=head,
        out=out,
        progress=progress,
    )
    if progress is not None:
        print(file=sys.stderr)
    if batch is not None and args.format == "table":
        _table_foot(out, batch, args.lang)
    return batch


def _shown_progress(lang: str) -> Callable[[int], None]:
    """Shows a count of records read, with the rate since now."""
    return partial(_show_progress, start=time.monotonic(), lang=lang)


def _explain(args: argparse.Namespace) -> int:
    batch = _batch(args, person=args.person_id)
    verdicts = [v for v in batch if v.person_id == args.person_id]
    if not verdicts:
        return _error(
            args.lang,
            f"no record of person {args.person_id!r} in the input",
            f"输入中没有人员 {args.person_id!r} 的记录",
        )
    verdict = verdicts[0]
    if args.format == "json":
        sys.stdout.write(verdict.model_dump_json(indent=2) + "\n")
    else:
        lang = args.lang

        def category(decision: EntryDecision) -> str:
            return decision.category.label if lang == "zh" else decision.category.value

        print(verdict.explain(lang))
        print(_say(lang, "Every entry:", "全部记录："))
        for decision in verdict.entries:
            mark = "+" if decision.counted else "x"
            clause = f" [{decision.citation.clause}]" if decision.citation else ""
            print(
                f"  {mark} #{decision.index} {decision.course_id} {category(decision)} "
                f"{_hours(decision.hours)}: {decision.message.in_(lang)}{clause}"
            )
        _write_invalid(sys.stdout, verdict.invalid_records, lang)
    if verdict.invalid_records:
        return EXIT_INVALID
    return EXIT_OK if verdict.status is Status.COMPLIANT else EXIT_NOT_COMPLIANT


def _rules(args: argparse.Namespace) -> int:
    policies = [_policy(args.policy)] if args.policy else list(list_policies())
    lang = args.lang
    for policy in policies:
        assert policy is not None
        title = policy.title if lang == "zh" else policy.title_en
        print(f"{policy.id} v{policy.version}  {title}  {list(policy.years)}")
        for rule in policy.rules:
            print(f"  {rule.code} ({rule.kind}) [{rule.citation.clause}] {rule.message.in_(lang)}")
            print(f"      {rule.citation.document} {rule.citation.clause}：“{rule.citation.quote}”")
    return EXIT_OK


def _policies(args: argparse.Namespace) -> int:
    for policy in list_policies():
        title = policy.title if args.lang == "zh" else policy.title_en
        years = ", ".join(str(y) for y in policy.years)
        print(f"{policy.id}\tv{policy.version}\t{policy.region}\t{years}\t{title}")
    return EXIT_OK


def record_schema() -> dict[str, Any]:
    """The JSON Schema of one input record (English column names; Chinese ones also read)."""
    properties: dict[str, Any] = {}
    for column in COLUMNS:
        kind: dict[str, Any] = {"type": ["string", "number", "boolean", "null"]}
        properties[column.name] = {
            **kind,
            "description": f"{column.description} (中文表头: {'、'.join(column.zh)})",
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ce-rules input record",
        "type": "object",
        "properties": properties,
        "required": [c.name for c in COLUMNS if c.required],
    }


def output_schema() -> dict[str, Any]:
    """The JSON Schema of ``ce-rules check --format json`` output."""
    verdict = BatchVerdict.model_json_schema(ref_template="#/$defs/{model}", mode="serialization")
    defs = verdict.pop("$defs", {})
    defs["BatchVerdict"] = verdict
    counts = {"type": "integer", "minimum": 0}
    totals = {
        "type": "object",
        "properties": {
            "records": counts,
            "counted": counts,
            "excluded": counts,
            "invalid": counts,
            "by_reason": {"type": "object", "additionalProperties": counts},
            "persons": counts,
            "compliant": counts,
            "non_compliant": counts,
            "in_progress": counts,
            "persons_with_invalid_input": counts,
            "defaulted_persons": counts,
        },
        "required": ["records", "counted", "excluded", "invalid", "persons"],
        "additionalProperties": False,
    }
    defs["BatchTotals"] = totals
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
            "totals": {"$ref": "#/$defs/BatchTotals"},
        },
        "required": [
            "year",
            "policy_id",
            "policy_version",
            "verdicts",
            "invalid_records",
            "totals",
        ],
        "additionalProperties": False,
        "$defs": defs,
    }


def _schema(args: argparse.Namespace) -> int:
    schemas = {"record": record_schema, "output": output_schema}
    if args.which == "verdict":
        data: Any = BatchVerdict.model_json_schema(mode="serialization")
    elif args.which == "all":
        data = {name: make() for name, make in schemas.items()}
        data["verdict"] = BatchVerdict.model_json_schema(mode="serialization")
    else:
        data = schemas[args.which]()
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ce-rules",
        description="Continuing-education rules (专业技术人员继续教育) as code.",
    )
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language (zh|en)")
    commands = parser.add_subparsers(dest="command", required=True)

    def inputs(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("files", nargs="+", metavar="FILE", help="CSV, JSON Lines or xlsx")
        sub.add_argument("--year", type=int, required=True, help="the year to judge")
        sub.add_argument("--policy", help="a bundled policy id or a TOML file")
        sub.add_argument("--as-of", help="the day the verdicts speak for (YYYY-MM-DD)")
        sub.add_argument("--persons", help="a file of persons (person_id, name, unit, ...)")
        sub.add_argument("--encoding", help="CSV encoding (default: detect UTF-8/GB18030)")
        sub.add_argument(
            "--unsorted",
            action="store_true",
            help="input is not grouped by person: hold it all in memory",
        )
        sub.add_argument("--quiet", action="store_true", help="no progress on stderr")
        sub.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)

    check = commands.add_parser("check", help="every person's verdict")
    inputs(check)
    check.add_argument(
        "--format", choices=("table", "json", "jsonl", "csv"), default="table", help="output"
    )
    check.add_argument("--output", "-o", help="write to this file instead of stdout")
    check.add_argument(
        "--jobs",
        default="auto",
        help="processes for one large sorted CSV file (default auto: one per core; 1: one)",
    )
    check.set_defaults(handler=_check)

    explain = commands.add_parser("explain", help="one person's verdict in full")
    explain.add_argument("person_id", metavar="PERSON_ID")
    inputs(explain)
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.set_defaults(handler=_explain)

    rules = commands.add_parser("rules", help="the rule catalogue with clauses")
    rules.add_argument("--policy", help="a bundled policy id or a TOML file (default: all)")
    rules.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    rules.set_defaults(handler=_rules)

    policies = commands.add_parser("policies", help="the registered policies")
    policies.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    policies.set_defaults(handler=_policies)

    schema = commands.add_parser("schema", help="JSON Schemas of input record and output")
    schema.add_argument(
        "which", nargs="?", choices=("record", "verdict", "output", "all"), default="all"
    )
    schema.set_defaults(handler=_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ce-rules``; returns the exit code (0 compliant, 1 not compliant, 2 invalid)."""
    args = _parser().parse_args(argv)
    lang: str = args.lang
    try:
        code: int = args.handler(args)
    except RecordFileError as error:
        return _error(lang, str(error), f"{error.source}：{error.message_zh}")
    except _UsageError as error:
        return _error(lang, error.en, error.zh)
    except PolicyNotFoundError as error:
        where = error.region if error.year is None else f"{error.region} {error.year}年度"
        known = "、".join(error.available) or "无"
        zh = f"没有适用于 {where} 的政策（已登记：{known}）"
        return _error(lang, str(error), zh)
    except CeRulesError as error:
        return _error(lang, str(error), str(error))
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
        sys.stderr.close()
        return EXIT_INVALID
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
