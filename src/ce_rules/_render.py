"""Rendering verdicts for people and spreadsheets: the table, CSV and xlsx rows, totals.

Everything here follows the language asked for (``zh`` or ``en``): headers, statuses and
values. Text that came from input (ids, names, reasons quoting values) is made safe where
it is shown: ``terminal_safe`` for the terminal table, ``formula_safe`` for CSV (OWASP CSV
injection); a workbook's rows (``workbook=True``) keep such text as written, since
``write_workbook`` makes every text cell a string Excel never evaluates, and an apostrophe
added to it would change a person's ID in the workbook. Machine formats (JSON, JSON Lines)
keep stable English keys and values and are written by the command line directly.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from ._batch import BatchResult, BatchTotals, BatchVerdict
from ._output import formula_safe, terminal_safe
from ._policy import MinHoursRule, Policy, RequirementRule
from ._readers import SkippedRow
from ._records import InvalidRecord, field_name
from ._schema import column
from ._table import TableResult, _decimal
from ._verdict import Reason, Status
from ._vocabulary import Category

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "csv_header",
    "excluded_header",
    "excluded_rows",
    "invalid_header",
    "invalid_row",
    "requirement_label",
    "skipped_header",
    "skipped_row",
    "table_lines",
    "totals_line",
    "totals_rows",
    "verdict_cells",
]

Cell = str | int | Decimal | bool | None


def _say(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def requirement_label(rule: RequirementRule, lang: str) -> str:
    """A requirement's name for people: its category (公需科目), the total, or a share."""
    if isinstance(rule, MinHoursRule):
        if rule.category is None:
            return _say(lang, "total", "总学时")
        return rule.category.label if lang == "zh" else rule.category.value
    return _say(lang, f"{rule.category.value} share", f"{rule.category.label}占比")


def _status(status: Status, lang: str) -> str:
    return status.label.in_(lang)


def _flag(value: bool | None, lang: str) -> str:
    if value is None:
        return _say(lang, "undetermined", "待定")
    return _say(lang, "true" if value else "false", "是" if value else "否")


# --- the terminal table ------------------------------------------------------------------

#: Columns a character takes on a terminal, by its East Asian width (wide, fullwidth: 2).
_WIDE: Final = frozenset({"W", "F"})


def display_width(text: str) -> int:
    """How many terminal columns ``text`` takes (Chinese characters take two)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in _WIDE else 1 for c in text)


def _widths(frame: pl.DataFrame, name: str) -> pl.Expr:
    """The ``display_width`` of each cell of the text column ``name``.

    An ASCII cell's width is its length, taken natively; ``display_width`` is applied
    once to each distinct cell that is not ASCII (a Chinese name, a Chinese status).
    """
    import polars as pl

    text = pl.col(name)
    length = text.str.len_chars().cast(pl.Int64)
    wide = frame.filter(text.str.len_bytes() != text.str.len_chars())[name].unique().to_list()
    if not wide:
        return length
    widths = {value: display_width(value) for value in wide}
    return text.replace_strict(widths, default=length, return_dtype=pl.Int64)


def _padded(cells: Sequence[str], widths: Sequence[int]) -> str:
    """One line of the table from its cells, each padded to its column's width."""
    spaced = (c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True))
    return "  ".join(spaced).rstrip() + "\n"


def _header_cells(policy: Policy, lang: str) -> list[str]:
    return [
        _say(lang, "person", "身份证号"),
        _say(lang, "name", "姓名"),
        _say(lang, "status", "结论"),
        *(requirement_label(r, lang) for r in policy.requirement_rules),
        _say(lang, "invalid", "无效记录"),
    ]


#: Lines of the table put together at once (their text is held until written).
_TABLE_ROWS: Final = 65_536


def table_lines(cells: pl.DataFrame, policy: Policy, lang: str) -> Iterator[str]:
    """The table: a header line, then a line per verdict (``verdict_cells(..., terminal=True)``).

    Each column is as wide on the terminal as its widest cell, the header's included
    (``display_width``: a Chinese character takes two columns), so that the columns line
    up whatever the names and the language; two spaces part the columns and a line ends
    without trailing blanks. Text from input is escaped (``terminal_safe``). The verdicts'
    lines are put together natively and yielded ``_TABLE_ROWS`` lines to a text.
    """
    import polars as pl

    header = _header_cells(policy, lang)
    names = cells.columns
    widths = cells.select(_widths(cells, name).alias(f"{name}__w") for name in names)
    column_widths = [
        max(display_width(caption), int(widths[f"{name}__w"].max() or 0))  # type: ignore[arg-type]
        for caption, name in zip(header, names, strict=True)
    ]
    yield _padded(header, column_widths)
    padded = [
        pl.col(name).str.pad_end(pl.col(name).str.len_chars() + width - pl.col(f"{name}__w"))
        for name, width in zip(names, column_widths, strict=True)
    ]
    line = pl.concat_str(padded, separator="  ").str.strip_chars_end() + "\n"
    framed = pl.concat([cells, widths], how="horizontal")
    for start in range(0, framed.height, _TABLE_ROWS):
        lines = framed.slice(start, _TABLE_ROWS).select(line.alias("line"))["line"]
        yield "".join(lines.to_list())


# --- CSV and xlsx rows --------------------------------------------------------------------


def csv_header(policy: Policy, lang: str) -> list[str]:
    """The header of a verdicts sheet: stable English names, or Chinese ones."""
    if lang == "en":
        header = ["person_id", "name", "status", "compliant", "certificate_eligible"]
        for rule in policy.requirement_rules:
            code = rule.code
            header += [f"{code}_earned", f"{code}_required", f"{code}_shortfall",
                       f"{code}_undetermined"]  # fmt: skip
        return [*header, "missing_facts", "invalid_records"]
    header = ["身份证号", "姓名", "结论", "是否合格", "电子证书"]
    for rule in policy.requirement_rules:
        label = requirement_label(rule, "zh")
        header += [f"{label}已获学时", f"{label}要求学时", f"{label}尚差学时", f"{label}待定学时"]
    return [*header, "缺少的信息", "无效记录数"]


def _as_written(text: str) -> str:
    return text


def _text_cell(workbook: bool) -> Callable[[str], str]:
    """How a text from the input goes into a cell: as written in a workbook, else formula-safe."""
    return _as_written if workbook else formula_safe


def _each_distinct(frame: pl.DataFrame, name: str, make: Callable[[str], str]) -> pl.Expr:
    """``make`` applied once to each distinct value of the text column ``name``."""
    import polars as pl

    distinct = frame[name].drop_nulls().unique().to_list()
    return pl.col(name).replace_strict(
        {value: make(value) for value in distinct}, default=None, return_dtype=pl.String
    )


def verdict_cells(
    table: TableResult, lang: str, *, workbook: bool = False, terminal: bool = False
) -> pl.DataFrame:
    """Every verdict as a row of cells, sorted by person id, from the engine's frames.

    The columns are ``csv_header``'s (or, with ``terminal``, the table's). Text from the
    input is made formula-safe for CSV (kept as written in a workbook, made safe for the
    terminal with ``terminal``). Hours are exact: text as ``format_hours`` writes it, or
    ``Decimal`` in a workbook. In Chinese the status is its label (不合格); in English its
    stable code (``non_compliant``), like the headers and the yes/no values.
    """
    import polars as pl

    from ._columnar import hours_text

    verdicts = table.judged.verdicts
    invalid = Counter(r.person_id for r in table.invalid_records if r.person_id is not None)
    counts = pl.DataFrame(
        {"person_id": list(invalid), "invalid": list(invalid.values())},
        schema={"person_id": pl.String, "invalid": pl.Int64},
    )
    frame = verdicts.join(counts, on="person_id", how="left").with_columns(
        pl.col("invalid").fill_null(0)
    )
    safe = terminal_safe if terminal else _text_cell(workbook)
    statuses = {s.value: _status(s, lang) if lang == "zh" or terminal else s.value for s in Status}
    undetermined = pl.col("status") == Status.UNDETERMINED.value

    def flag(value: pl.Expr) -> pl.Expr:
        return (
            pl.when(value.is_null())
            .then(pl.lit(_flag(None, lang)))
            .when(value)
            .then(pl.lit(_flag(True, lang)))
            .otherwise(pl.lit(_flag(False, lang)))
        )

    def hours(units: pl.Expr) -> pl.Expr:
        return _decimal(units) if workbook else hours_text(units)

    person = [
        _each_distinct(frame, "person_id", safe).alias("person_id"),
        _each_distinct(frame, "name", safe).fill_null("").alias("name"),
        pl.col("status").replace_strict(statuses, return_dtype=pl.String).alias("status"),
    ]
    requirements: list[pl.Expr] = []
    for rule in table.policy.requirement_rules:
        figures = pl.col(f"requirement_{rule.code}")
        earned, required, shortfall, open_ = (
            figures.struct.field(name)
            for name in ("earned", "required", "shortfall", "undetermined")
        )
        if terminal:
            text = pl.concat_str([hours_text(earned), pl.lit("/"), hours_text(required)])
            text = (
                pl.when(shortfall > 0)
                .then(
                    pl.concat_str(
                        [text, pl.lit(_say(lang, " short ", " 差")), hours_text(shortfall)]
                    )
                )
                .otherwise(text)
            )
            text = pl.when(open_ > 0).then(
                pl.concat_str(
                    [text, pl.lit(_say(lang, " (", "（待定")), hours_text(open_),
                     pl.lit(_say(lang, " open)", "）"))]
                )
            ).otherwise(text)  # fmt: skip
            requirements.append(text.alias(rule.code))
        else:
            requirements += [
                hours(value).alias(f"{rule.code}_{name}")
                for name, value in (
                    ("earned", earned), ("required", required), ("shortfall", shortfall),
                    ("undetermined", open_),
                )
            ]  # fmt: skip
    if terminal:
        invalid_cell = pl.when(pl.col("invalid") > 0).then(pl.col("invalid").cast(pl.String))
        return frame.select(*person, *requirements, invalid_cell.fill_null("").alias("invalid"))
    labels = {name: column(name).label for name in ("unit", "mode", "featured")}
    facts = (
        pl.col("missing_facts").list.eval(pl.element().replace(labels)).list.join("、")
        if lang == "zh"
        else pl.col("missing_facts").list.join(";")
    )
    return frame.select(
        *person,
        # An undetermined person is not "not compliant": missing facts decide it (decision 11).
        flag(pl.when(~undetermined).then(pl.col("compliant"))).alias("compliant"),
        flag(pl.col("certificate_eligible")).alias("certificate_eligible"),
        *requirements,
        facts.alias("missing_facts"),
        pl.col("invalid").alias("invalid_records"),
    )


def excluded_header(lang: str) -> list[str]:
    """The header of the sheet of entries that do not count (``excluded_rows``)."""
    if lang == "en":
        return ["source", "line", "person_id", "name", "entry_id", "course_id", "category",
                "hours", "reason", "rule", "clause", "decision"]  # fmt: skip
    return ["文件", "行号", "身份证号", "姓名", "记录编号", "课程编号", "科目类别", "学时",
            "未计入原因", "规则", "条款", "决定"]  # fmt: skip


def excluded_rows(table: TableResult, lang: str) -> Iterator[tuple[Cell, ...]]:
    """Every entry that does not count, whose it is and why: reason, rule, clause, decision.

    In the order of the verdicts (person id, then the person's entries); the reason in the
    language asked for, text from the input as written (for a workbook).
    """
    import polars as pl

    decisions = table.excluded()
    names = table.persons.select("person_id", "name")
    decisions = decisions.join(names, on="person_id", how="left", maintain_order="left")
    reasons = {r.value: r.text.in_(lang) for r in Reason}
    categories = {c.value: c.label if lang == "zh" else c.value for c in Category}
    yield from decisions.select(
        "source", "line", "person_id", "name", "entry_id", "course_id",
        pl.col("category").replace_strict(categories, return_dtype=pl.String),
        "hours",
        pl.col("reason").replace_strict(reasons, return_dtype=pl.String),
        "rule", "clause", "decision",
    ).iter_rows()  # fmt: skip


def invalid_header(lang: str) -> list[str]:
    """The header of the invalid-records sheet."""
    if lang == "en":
        return ["source", "line", "person_id", "field", "value", "code", "problem"]
    return ["文件", "行号", "身份证号", "列", "取值", "代码", "问题"]


def invalid_row(
    record: InvalidRecord, lang: str, *, workbook: bool = False
) -> Iterator[list[Cell]]:
    """One row per problem of an invalid record."""
    text = _text_cell(workbook)
    for problem in record.problems:
        name = field_name(problem.field, lang)
        yield [
            text(record.source or ""),
            record.line,
            text(record.person_id or ""),
            name,
            text(problem.value or ""),
            problem.code,
            text(problem.message.in_(lang)),
        ]


_SKIP_KINDS: Final = {
    "title": ("title row", "标题行"),
    "blank": ("blank row", "空行"),
    "footer": ("footer row", "表尾行"),
    "note": ("note row", "备注行"),
}


def skipped_header(lang: str) -> list[str]:
    """The header of the skipped-rows sheet."""
    return ["source", "line", "kind", "text"] if lang == "en" else ["文件", "行号", "类型", "内容"]


def skipped_row(row: SkippedRow, lang: str, *, workbook: bool = False) -> list[Cell]:
    """One row that is not a record."""
    en, zh = _SKIP_KINDS[row.kind]
    text = _text_cell(workbook)
    return [text(row.source), row.line, _say(lang, en, zh), text(row.text)]


# --- totals -------------------------------------------------------------------------------


def totals_rows(totals: BatchTotals, lang: str) -> list[list[Cell]]:
    """The totals as (name, number) rows, in the language asked for."""
    names = {
        "records": "记录",
        "counted": "计入",
        "excluded": "未计入",
        "invalid": "无效",
        "skipped": "跳过的行",
        "persons": "人数",
        "compliant": "合格",
        "non_compliant": "不合格",
        "in_progress": "进行中",
        "undetermined": "待定",
        "persons_with_invalid_input": "有无效记录的人数",
        "defaulted_persons": "使用默认值的人数",
    }
    data = totals.as_dict()
    rows: list[list[Cell]] = []
    for key, zh in names.items():
        rows.append([key if lang == "en" else zh, data[key]])
    for reason, count in sorted(totals.by_reason.items()):
        label = f"by_reason.{reason}" if lang == "en" else f"按原因：{Reason(reason).text.zh}"
        rows.append([label, count])
    return rows


def totals_line(batch: BatchResult, lang: str) -> str:
    """The totals in one sentence."""
    t = batch.totals
    if lang == "zh":
        text = (
            f"合计：{t.persons}人，合格{t.compliant}人，不合格{t.non_compliant}人，"
            f"进行中{t.in_progress}人，待定{t.undetermined}人；记录{t.records}条：计入{t.counted}条，"
            f"未计入{t.excluded}条，无效{t.invalid}条，跳过{t.skipped}行"
        )
    else:
        text = (
            f"Totals: {t.persons} persons, {t.compliant} compliant, {t.non_compliant} "
            f"non-compliant, {t.in_progress} in progress, {t.undetermined} undetermined; "
            f"{t.records} records: {t.counted} counted, {t.excluded} excluded, "
            f"{t.invalid} invalid, {t.skipped} skipped"
        )
    return text


def skipped_summary(rows: Iterable[SkippedRow], lang: str) -> str | None:
    """The rows skipped, by kind, with their lines (the first ten of each kind)."""
    by_kind: dict[str, list[SkippedRow]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    if not by_kind:
        return None
    parts = []
    for kind, found in by_kind.items():
        en, zh = _SKIP_KINDS[kind]
        where = ", ".join(f"{r.source}:{r.line}" for r in found[:10])
        more = (
            ""
            if len(found) <= 10
            else _say(lang, f" and {len(found) - 10} more", f" 等{len(found)}行")
        )
        parts.append(
            _say(
                lang,
                f"{len(found)} {en}(s) ({where}{more})",
                f"{zh}{len(found)}行（{where}{more}）",
            )
        )
    return _say(lang, "skipped, not records: ", "已跳过非记录行：") + _say(lang, "; ", "；").join(
        parts
    )


def reason_counts(verdicts: Iterable[BatchVerdict]) -> Counter[str]:
    """Entries per reason code over ``verdicts``."""
    counts: Counter[str] = Counter()
    for verdict in verdicts:
        counts.update(d.reason for d in verdict.entries)
    return counts
