"""Records as tables: raw cells in columns, parsed, grouped by person and judged in bulk.

The columnar counterpart of ``_records`` and ``_batch``: the same cell parsers (``_cells``,
applied once to each *distinct* value of a column, not to each cell), the same record
rules (``settle_course_facts``, ``entry_problems``, applied to each distinct combination),
the same reading of who a person is, and the columnar engine (``_columnar``) instead of
``evaluate`` per person. ``tests/test_table.py`` proves that the verdicts, the invalid
records and the totals are those of ``evaluate_many`` on the same rows.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from ._batch import (
    BatchResult,
    BatchTotals,
    BatchVerdict,
    RecordRef,
    _assumption,
    _persons,
    evaluate_many,
    person_of,
)
from ._cells import CellError, moment_days, parse_cell
from ._columnar import ENTRY_SCHEMA, Judged, judge_table
from ._engine import (
    _loosening_findings,
    check_as_of,
    make_decision,
    other_year_finding,
    requirement_result,
    topic_findings,
)
from ._exceptions import EvaluationInputError
from ._message import Message
from ._model import Mode, Person, UnitLevel, entry_problems, settle_course_facts
from ._policy import CreditFactorRule, Policy, Rule
from ._readers import BadCell, BrokenRow, RawRow, RecordFile, SkippedRow
from ._records import (
    Described,
    InvalidRecord,
    Problem,
    _column_order,
    _shown,
    as_read,
    course_id,
)
from ._schema import IGNORED, RECORD_COLUMNS, CellKind, Column, column, match_header, unit_notes
from ._spill import Held
from ._verdict import (
    EntryDecision,
    Finding,
    Reason,
    RequirementResult,
    Status,
    with_details,
)
from ._vocabulary import Category, EntryStatus, Role
from .kinds import Figures, RequirementRule
from .kinds._base import UNITS_PER_HOUR

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "Frames",
    "TableBatch",
    "TableResult",
    "batches_of",
    "evaluate_batches",
    "evaluate_table",
    "evaluate_tables",
]

_SHOWN_VALUE: Final = 200
#: Columns whose distinct values may be as many as the rows (a record's own id): their
#: plain values are taken as they are, natively (``_cells.PLAIN_ID``), the rest parsed.
_MANY_VALUES: Final = frozenset({"entry_id", "certificate_no", "person_id"})
_REQUIRED: Final = tuple(c.name for c in RECORD_COLUMNS if c.required)
#: Entries the engine judges at once (``_judged_in_parts``).
_PART_ENTRIES: Final = 250_000


class TableBatch(NamedTuple):
    """Rows of one record file as a table (a reader's ``RawTable``).

    Attributes:
        source: The file.
        frame: One row per record: ``item`` (its position among the file's items),
            ``line``, and one String column per mapped field (null: an empty cell).
        others: The file's other items (rows that are not records, rows that cannot be
            split), with their positions.
        bad_cells: Values that cannot be cells at all, by position and field.
        typed: For a field whose cells were typed values (a table's number, date or list
            column), the value each of its texts stands for: the parser reads the value,
            as ``evaluate_many`` reads it, and the text is what a problem shows.
    """

    source: str
    frame: pl.DataFrame
    others: list[tuple[int, SkippedRow | BrokenRow]]
    bad_cells: dict[int, dict[str, BadCell]]
    typed: Mapping[str, Mapping[str, object]] = {}


@dataclass
class TableResult:
    """A batch judged in bulk: the engine's frames, and what the records were.

    Attributes:
        year: The year judged.
        policy: The policy applied.
        as_of: The day the verdicts speak for.
        judged: The decisions and verdicts frames.
        persons: Who each person was taken to be: one row per person (``PERSON_SCHEMA``),
            sorted by id.
        findings: Findings of the batch (records disagreeing, defaults used), by person.
        assumed: The facts taken from a default, by person.
        invalid_records: Every invalid record, in input order.
        skipped: Every row that is not a record, in input order.
        totals: The totals, which add up.
        given: The persons read one by one, as ``Person``: given by the caller, or whose
            records disagree, or whose unit level came from the default (the others are
            only rows of ``persons``).
        complete: Whether ``judged.decisions`` holds every entry's decision; False if
            only those of entries that do not count were kept (``evaluate_tables``), when
            neither the verdict objects, nor the frames, nor the JSON texts can be made.
    """

    year: int
    policy: Policy
    as_of: date | None
    judged: Judged
    persons: pl.DataFrame
    findings: dict[str, list[Finding]]
    assumed: dict[str, tuple[str, ...]]
    invalid_records: list[InvalidRecord] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    totals: BatchTotals = field(default_factory=BatchTotals)
    given: dict[str, Person] = field(default_factory=dict)
    complete: bool = True

    def verdicts(self) -> Iterator[BatchVerdict]:
        """Every person's verdict as a ``BatchVerdict``, sorted by person id, built one by one."""
        self._check_complete()
        return _verdict_objects(self)

    def people(self) -> Iterator[Person]:
        """Who each person was taken to be, as a ``Person``, sorted by id, built one by one."""
        for row in self.persons.iter_rows(named=True):
            yield _person(self, row)

    def frames(self) -> Frames:
        """The verdicts, decisions and invalid records as flat tables (``Frames``)."""
        self._check_complete()
        return _frames(self)

    def excluded(self) -> pl.DataFrame:
        """The decisions of the entries that do not count, as in ``Frames.decisions``."""
        import polars as pl

        return _decision_rows(self, self.judged.decisions.filter(~pl.col("counted")))

    def _check_complete(self) -> None:
        if not self.complete:
            raise ValueError(
                "only the decisions of entries that do not count were kept (counted=False)"
            )


class Frames(NamedTuple):
    """A batch's results as flat tables, for data platforms (Arrow, Spark, SQL).

    Hours are exact decimals (``Decimal(18, 4)``). Every verdict row names its year,
    policy and version; every decision row its person, position, file and line.

    Attributes:
        verdicts: One row per person, sorted by person id: ``person_id``, ``name``,
            ``unit``, ``status``, ``compliant``, ``certificate_eligible``,
            ``missing_facts``, then per requirement ``<code>_required``, ``_earned``,
            ``_shortfall``, ``_pending``, ``_undetermined``, ``_met``, ``_determined``;
            ``invalid_records``, ``fingerprint``, ``year``, ``policy_id``,
            ``policy_version``.
        decisions: One row per entry: ``person_id``, ``index``, ``source``, ``line``,
            ``entry_id``, ``course_id``, ``category``, ``role``, ``credited_year``,
            ``hours``, ``factor``, ``credited_hours``, ``would_add``,
            ``undetermined_hours``, ``missing_facts``, ``counted``, ``reason``, ``rule``,
            ``clause``, ``decision`` (as ``EntryDecision.decision``), ``duplicate_of``.
        invalid: One row per problem of an invalid record: ``index``, ``source``,
            ``line``, ``person_id``, ``field``, ``value``, ``code``, ``message_zh``,
            ``message_en``.
    """

    verdicts: pl.DataFrame
    decisions: pl.DataFrame
    invalid: pl.DataFrame


def _dtype(kind: CellKind) -> Any:
    import polars as pl

    return {
        CellKind.ID: pl.String,
        CellKind.TEXT: pl.String,
        CellKind.CHOICE: pl.String,
        CellKind.HOURS: pl.Int64,
        CellKind.DATE: pl.Date,
        CellKind.YEAR: pl.Int32,
        CellKind.FLAG: pl.Boolean,
        CellKind.TOPICS: pl.List(pl.String),
    }[kind]


def _typed(kind: CellKind, value: Any) -> Any:
    """A parsed value as the table holds it: hours in units, enums by value, topics as text."""
    if value is None:
        return None
    if kind is CellKind.HOURS:
        return int(value * UNITS_PER_HOUR)
    if kind is CellKind.CHOICE:
        return str(value.value)
    if kind is CellKind.TOPICS:
        return [str(t) for t in value]
    return value


class _Parsed:
    """The parser of each column, applied once to each distinct value and remembered.

    The texts of a batch's typed cells (``TableBatch.typed``) stand for values of that
    batch only: they are remembered for it alone.
    """

    def __init__(self) -> None:
        self.known: dict[str, dict[str, tuple[Any, CellError | None]]] = {}
        self.typed: dict[str, dict[str, tuple[Any, CellError | None]]] = {}

    def columns(
        self, frame: pl.DataFrame, names: list[str], typed: Mapping[str, Mapping[str, object]]
    ) -> pl.DataFrame:
        """``frame`` with ``{name}__v`` (the value) and ``{name}__e`` (an error) of each column.

        The distinct values of every column are found in one query, those not seen
        before parsed (in Python, by the column's one parser), and every column looked
        up in one more: polars works on the columns side by side. A column of ``typed``
        cells is parsed from the values its texts stand for.
        """
        import polars as pl

        self.typed = {}
        wanted = []
        for name in names:
            raw = pl.col(name)
            if name in _MANY_VALUES and name not in typed:
                # The plain ids read as themselves (``_plain_id``).
                raw = raw.filter(raw.is_not_null() & ~_plain_id(raw))
            wanted.append(raw.drop_nulls().unique().implode())
        distinct = frame.select(wanted).row(0) if names else ()
        looked: list[pl.Expr] = []
        for name, values in zip(names, distinct, strict=True):
            looked += self._looked_up(name, values, typed.get(name))
        return frame.with_columns(looked)

    def _looked_up(
        self, name: str, values: list[str], typed: Mapping[str, object] | None
    ) -> tuple[pl.Expr, pl.Expr]:
        """The expressions of a column's values and errors, given its distinct values."""
        import polars as pl

        col = column(name)
        kind = col.kind
        if typed is None:
            known = self.known.setdefault(name, {})
        else:
            known = self.typed[name] = {}
        for value in values:
            if value not in known:
                try:
                    cell = value if typed is None else typed.get(value, value)
                    known[value] = (_typed(kind, parse_cell(col, cell)), None)
                except CellError as error:
                    known[value] = (None, error)
        raw = pl.col(name)
        wrong = [value for value in values if known[value][1] is not None]
        errors = raw.is_in(wrong).fill_null(value=False) if wrong else pl.lit(value=False)
        dtype = _dtype(kind)
        if dtype == pl.String:
            # Only the values that read otherwise are replaced (none, in most text and
            # id columns): the others, and the plain ids not looked at, are kept.
            changed = [value for value in values if known[value][0] != value]
            parsed = raw
            if changed:
                parsed = raw.replace(changed, [known[value][0] for value in changed])
        else:
            parsed = raw.replace_strict(
                values, [known[value][0] for value in values], default=None, return_dtype=dtype
            )
        return parsed.alias(f"{name}__v"), errors.alias(f"{name}__e")

    def error(self, name: str, value: str) -> CellError | None:
        known = self.typed[name] if name in self.typed else self.known.get(name, {})
        return known.get(value, (None, None))[1]


def _plain_id(raw: pl.Expr) -> pl.Expr:
    """The ids ``parse_id`` takes as they are (its fast path), natively; a test keeps them equal."""
    return (
        # (No character outside the class, and 1 to 64 bytes: cheaper than an anchored
        # pattern of 1 to 64 characters, and the same, as every character is one byte.)
        ~raw.str.contains(r"[^0-9A-Za-z_\-]")
        & raw.str.len_bytes().is_between(1, 64)
        & ~raw.is_in(["\\N", "NULL", "null"])
        & ~((raw.str.len_chars() == 18) & raw.str.ends_with("x"))
    ).fill_null(value=False)


def _required(col: Column) -> Problem:
    return Problem(
        field=col.name,
        code="required",
        message=Message(zh=f"缺少必填的“{col.label}”", en=f"{col.name} ({col.label}) is required"),
    )


def _settled(
    category: str | None, mode: str | None, featured: bool | None, present: bool
) -> tuple[str | None, bool | None, Problem | None]:
    """A course's mode and featured flag settled as ``RecordBuilder`` settles them."""
    if category is None:
        return mode, featured, None
    if featured is None and present:
        featured = False  # the column is there and the cell blank: 否, as exports write it
    try:
        settled_mode, settled_featured = settle_course_facts(
            Category(category), None if mode is None else Mode(mode), featured
        )
    except ValueError as error:
        problem = Problem(
            field="featured",
            code="not_online_public",
            message=Message(
                zh="只有远程教育的公需科目课程才能是优质在线公需课（二(三)）",
                en=str(error).removeprefix("featured: "),
            ),
        )
        return mode, featured, problem
    return (None if settled_mode is None else settled_mode.value), settled_featured, None


def _parse(
    batch: TableBatch, parsed: _Parsed, offset: int, default_mode: Mode | None
) -> tuple[pl.DataFrame, list[InvalidRecord]]:
    """One batch's valid entries (``ENTRY_SCHEMA`` and more) and its invalid records."""
    import polars as pl

    frame = batch.frame
    present = [c.name for c in RECORD_COLUMNS if c.name in frame.columns]
    frame = parsed.columns(frame, present, batch.typed)
    for name in (c.name for c in RECORD_COLUMNS):
        if name not in present:
            col = column(name)
            frame = frame.with_columns(
                pl.lit(None, dtype=pl.String).alias(name),
                pl.lit(None, dtype=_dtype(col.kind)).alias(f"{name}__v"),
                pl.lit(value=False).alias(f"{name}__e"),
            )
    featured_present = "featured" in present
    # A course without an id is named after its title (``_records.course_id``), once per
    # distinct title.
    titles = (
        frame.filter(pl.col("course_id__v").is_null() & pl.col("course_title__v").is_not_null())[
            "course_title__v"
        ]
        .unique()
        .to_list()
    )
    if titles:
        named = pl.DataFrame(
            {"course_title__v": titles, "course_id__t": [course_id(None, t) for t in titles]},
            schema={"course_title__v": pl.String, "course_id__t": pl.String},
        )
        frame = frame.join(named, on="course_title__v", how="left").with_columns(
            pl.coalesce("course_id__v", "course_id__t").alias("course_id__v")
        )
    # The course's facts, settled once per distinct combination (settle_course_facts).
    combos = frame.select("category__v", "mode__v", "featured__v").unique()
    settled = [
        (row["category__v"], row["mode__v"], row["featured__v"], *_settled(
            row["category__v"], row["mode__v"], row["featured__v"], featured_present
        ))
        for row in combos.iter_rows(named=True)
    ]  # fmt: skip
    facts = pl.DataFrame(
        {
            "category__v": [s[0] for s in settled],
            "mode__v": [s[1] for s in settled],
            "featured__v": [s[2] for s in settled],
            "mode__s": [s[3] for s in settled],
            "featured__s": [s[4] for s in settled],
            "settle__e": [s[5] is not None for s in settled],
        },
        schema={
            "category__v": pl.String, "mode__v": pl.String, "featured__v": pl.Boolean,
            "mode__s": pl.String, "featured__s": pl.Boolean, "settle__e": pl.Boolean,
        },
    )  # fmt: skip
    frame = frame.join(
        facts, on=["category__v", "mode__v", "featured__v"], how="left", nulls_equal=True
    )
    frame = frame.with_columns(
        pl.coalesce("course_hours__v", "hours__v").alias("course_units"),
        pl.when(pl.col("course_hours__v").is_not_null())
        .then(pl.col("hours__v"))
        .otherwise(None)
        .alias("entry_units"),
    )
    # The entry's own consistency (entry_problems), once per distinct combination.
    combos = frame.select(
        "entry_units",
        "course_units",
        "credited_year__v",
        pl.col("completed_on__v").dt.year().alias("completion_year"),
    ).unique()
    checked = []
    for row in combos.iter_rows(named=True):
        if row["course_units"] is None or row["completion_year"] is None:
            checked.append((*row.values(), False))
            continue
        problems = entry_problems(
            None if row["entry_units"] is None else Decimal(row["entry_units"]) / UNITS_PER_HOUR,
            Decimal(row["course_units"]) / UNITS_PER_HOUR,
            row["credited_year__v"],
            date(row["completion_year"], 1, 1),
        )
        checked.append((*row.values(), bool(problems)))
    consistency = pl.DataFrame(
        checked,
        schema={"entry_units": pl.Int64, "course_units": pl.Int64, "credited_year__v": pl.Int32,
                "completion_year": pl.Int32, "consistency__e": pl.Boolean},
        orient="row",
    )  # fmt: skip
    frame = frame.with_columns(pl.col("completed_on__v").dt.year().alias("completion_year")).join(
        consistency,
        on=["entry_units", "course_units", "credited_year__v", "completion_year"],
        how="left",
        nulls_equal=True,
    )
    missing_required = pl.any_horizontal(
        [pl.col(f"{n}__v").is_null() & ~pl.col(f"{n}__e") for n in _REQUIRED]
    )
    errors = pl.any_horizontal([pl.col(f"{c.name}__e") for c in RECORD_COLUMNS])
    bad_items = set(batch.bad_cells)
    broken = (
        errors
        | missing_required
        | pl.col("settle__e").fill_null(value=False)
        | pl.col("consistency__e").fill_null(value=False)
        | pl.col("item").is_in(list(bad_items))
    )
    frame = frame.with_columns(broken.alias("invalid"))
    invalid = [
        _invalid(row, batch, parsed, offset, featured_present)
        for row in frame.filter(pl.col("invalid")).iter_rows(named=True)
    ]
    assume_mode = default_mode is not None
    entries = frame.select(
        pl.col("invalid"),
        pl.col("person_id__v").alias("person_id"),
        (pl.col("item") + offset).alias("item"),
        pl.lit(batch.source, dtype=pl.Categorical).alias("source"),  # one text for all
        pl.col("line"),
        pl.col("entry_id__v").alias("entry_id"),
        pl.col("course_id__v").alias("course_id"),
        pl.col("course_title__v").alias("course_title"),
        pl.col("category__v").alias("category"),
        pl.col("course_units").alias("hours"),
        pl.col("entry_units").alias("entry_hours"),
        (
            pl.coalesce("mode__s", pl.lit(default_mode.value))
            if assume_mode and default_mode
            else pl.col("mode__s")
        ).alias("mode"),
        pl.col("platform__v").alias("platform"),
        pl.col("featured__s").alias("featured"),
        (  # a blank cell records none; no column, not recorded (decision 14)
            pl.col("topics__v").fill_null(pl.lit([], dtype=pl.List(pl.String)))
            if "topics" in present
            else pl.col("topics__v")
        ).alias("topics"),
        pl.col("role__v").fill_null(Role.LEARNER.value).alias("role"),
        pl.col("completed_on__v").alias("completed_on"),
        pl.col("credited_year__v").alias("credited_year"),
        pl.col("certificate_no__v").alias("certificate_no"),
        pl.col("status__v").fill_null(EntryStatus.APPROVED.value).alias("status"),
        pl.col("name__v").alias("name"),
        pl.col("unit__v").alias("unit"),
        pl.col("city__v").alias("city"),
        pl.col("industry__v").alias("industry"),
        (pl.col("mode__s").is_null() & pl.lit(assume_mode)).alias("assumed_mode"),
    )
    # The valid entries, only the columns they keep copied.
    return entries.filter(~pl.col("invalid")).drop("invalid"), invalid


_COURSE_FIELDS: Final = (
    "course_id", "course_title", "category", "hours", "course_hours", "mode", "platform",
    "featured", "topics",
)  # fmt: skip


def _invalid(
    row: Mapping[str, Any], batch: TableBatch, parsed: _Parsed, offset: int, featured_present: bool
) -> InvalidRecord:
    """Every problem of one row, named as ``RecordBuilder`` and ``evaluate_many`` name them."""
    bad = [
        Problem(field=name, code=cell.code, message=cell.message)
        for name, cell in batch.bad_cells.get(row["item"], {}).items()
    ]

    def shown(name: str) -> str | None:
        """The cell as a problem shows it: a typed cell's value, not its stand-in text."""
        raw = row[name]
        return _shown(batch.typed[name].get(raw, raw) if name in batch.typed else raw)

    problems: list[Problem] = []
    for col in RECORD_COLUMNS:
        raw = row[col.name]
        if row[f"{col.name}__e"]:
            error = parsed.error(col.name, raw)
            assert error is not None
            problems.append(
                Problem(
                    field=col.name, value=shown(col.name), code=error.code, message=error.message
                )
            )
        elif col.required and row[f"{col.name}__v"] is None:
            problems.append(_required(col))
    course_fields = {p.field for p in problems} & set(_COURSE_FIELDS)
    if not course_fields:
        _, _, problem = _settled(
            row["category__v"], row["mode__v"], row["featured__v"], featured_present
        )
        if problem is not None:
            problems.append(problem.model_copy(update={"value": shown("featured")}))
    if problems:
        unique = {(p.field, p.code): p for p in problems}
        problems = sorted(unique.values(), key=_column_order)
    else:
        for name, code, text in entry_problems(
            None if row["entry_units"] is None else Decimal(row["entry_units"]) / UNITS_PER_HOUR,
            Decimal(row["course_units"]) / UNITS_PER_HOUR,
            row["credited_year__v"],
            row["completed_on__v"],
        ):
            problems.append(Problem(field=name, value=shown(name), code=code, message=text))
    # A cell that is no cell (a JSON list) is not also "required" (as evaluate_many).
    named = {p.field for p in bad}
    problems = [p for p in problems if p.field not in named]
    person = row["person_id__v"] if not row["person_id__e"] else None
    return InvalidRecord(
        index=row["item"] + offset,
        source=batch.source,
        line=row["line"],
        person_id=person,
        problems=(*bad, *problems),
    )


def file_batches(files: Iterable[RecordFile], rows: int | None = None) -> Iterator[TableBatch]:
    """Every file's records as table batches (``RecordFile.tables``).

    Of ``rows`` items at most if given, else of the reader's default size; a workbook's
    sheets are each their own source.
    """
    for record_file in files:
        for raw in record_file.tables() if rows is None else record_file.tables(rows):
            yield TableBatch(raw.source, raw.frame, raw.others, raw.bad_cells)


def batches_of(
    items: Iterable[RawRow | SkippedRow | BrokenRow], size: int = 65_536
) -> Iterator[TableBatch]:
    """Rows of readers as table batches: one source at a time, ``size`` items at most each."""
    import polars as pl

    names = [c.name for c in RECORD_COLUMNS]
    source: str | None = None
    rows: list[RawRow] = []
    others: list[tuple[int, SkippedRow | BrokenRow]] = []
    bad: dict[int, dict[str, BadCell]] = {}
    items_seen = 0
    positions: list[int] = []

    def flush() -> TableBatch:
        columns: dict[str, list[Any]] = {name: [] for name in names}
        present = {name for row in rows for name in row.cells}
        for row in rows:
            for name in names:
                value = row.cells.get(name)
                columns[name].append(value if isinstance(value, str) and value != "" else None)
        data: dict[str, Any] = {"item": positions[:], "line": [r.line for r in rows]}
        data.update({name: columns[name] for name in names if name in present})
        schema = {
            "item": pl.Int64,
            "line": pl.Int64,
            **dict.fromkeys((n for n in names if n in present), pl.String),
        }
        return TableBatch(str(source), pl.DataFrame(data, schema=schema), others[:], dict(bad))

    for item in items:
        if item.source != source and (rows or others):
            yield flush()
            rows, others, bad, positions = [], [], {}, []
        if item.source != source:
            items_seen = 0
        source = item.source
        if isinstance(item, RawRow):
            cells_bad = {k: v for k, v in item.cells.items() if isinstance(v, BadCell)}
            if cells_bad:
                bad[items_seen] = cells_bad
            rows.append(item)
            positions.append(items_seen)
        else:
            others.append((items_seen, item))
        items_seen += 1
        if len(rows) + len(others) >= size:
            yield flush()
            rows, others, bad, positions = [], [], {}, []
    if rows or others:
        yield flush()


def evaluate_tables(
    batches: Iterable[TableBatch],
    *,
    year: int,
    policy: Policy,
    as_of: date | None,
    persons: Mapping[str, Person] | None = None,
    default_unit: UnitLevel | None = None,
    default_mode: Mode | None = None,
    fingerprints: bool = True,
    counted: bool = True,
    parts: int = 1,
) -> TableResult:
    """Judge the records of ``batches`` in bulk, as ``evaluate_many`` judges the same rows.

    The caller has checked ``year``, ``as_of`` and the defaults and resolved ``policy``
    (as ``evaluate_many`` does). Batches of several files come one file after another.

    Without ``counted``, the decisions of the entries that count are not kept, only
    their number (in the totals): for a report that lists only the entries that do not
    count (``TableResult.complete`` is then False). With ``parts`` over 1, the persons
    are judged in that many partitions, their entries held in temporary files between
    reading and judging (``_spill.Held``), so that only one partition's are in memory:
    the result is the same.

    Raises:
        OutputError: The temporary files cannot be written (``parts`` over 1).
    """
    with Held(parts) as held:
        invalid, skipped, totals = _read(batches, held, default_mode)
        known = dict(persons or {})
        # The persons without entries (invalid records only, or given), each in their part.
        others = sorted({r.person_id for r in invalid if r.person_id is not None} | set(known))
        others_by_part: list[list[str]] = [[] for _ in range(parts)]
        for person_id, part in zip(others, held.part_of(others), strict=True):
            others_by_part[part].append(person_id)
        decisions: list[pl.DataFrame] = []
        verdicts: list[pl.DataFrame] = []
        people: list[pl.DataFrame] = []
        given: dict[str, Person] = {}
        findings: dict[str, list[Finding]] = {}
        assumed: dict[str, tuple[str, ...]] = {}
        reasons: Counter[tuple[bool, str]] = Counter()
        for part in range(parts):
            part_judged = _judged_part(
                held.take(part),
                others_by_part[part],
                {pid: known[pid] for pid in others_by_part[part] if pid in known},
                year=year,
                policy=policy,
                as_of=as_of,
                default_unit=default_unit,
                fingerprints=fingerprints,
                counted=counted,
                compact=parts > 1,
            )
            decisions.append(part_judged.decisions)
            verdicts.append(part_judged.verdicts)
            people.append(part_judged.persons)
            given.update(part_judged.given)
            findings.update(part_judged.findings)
            assumed.update(part_judged.assumed)
            reasons.update(part_judged.reasons)
            del part_judged  # its frames are in the lists, let go with them
    result = TableResult(
        year,
        policy,
        as_of,
        Judged(_joined(decisions, "person_id", "index"), _joined(verdicts, "person_id")),
        _joined(people, "person_id"),
        findings,
        assumed,
        invalid,
        skipped,
        totals,
        given,
    )
    _count(result, reasons)
    result.complete = counted
    return result


def _read(
    batches: Iterable[TableBatch], held: Held, default_mode: Mode | None
) -> tuple[list[InvalidRecord], list[SkippedRow], BatchTotals]:
    """Every batch parsed, its entries given to ``held``.

    Returned: its invalid records (in input order), its rows that are not records, and
    the count of its items.
    """
    parsed = _Parsed()
    invalid: list[InvalidRecord] = []
    skipped: list[SkippedRow] = []
    totals = BatchTotals()
    offset = 0
    source = None
    span = 0
    for batch in batches:
        if batch.source != source:
            offset += span
            source, span = batch.source, 0
        entries, bad = _parse(batch, parsed, offset, default_mode)
        held.add(entries)
        invalid.extend(bad)
        items = [*batch.frame["item"].to_list(), *(i for i, _ in batch.others)]
        span = max(span, max(items, default=-1) + 1)
        for item, row in sorted(batch.others, key=lambda pair: pair[0]):
            if isinstance(row, SkippedRow):
                skipped.append(row)
            else:
                problem = Problem(
                    field="(row)", value=row.text or None, code=row.code, message=row.message
                )
                invalid.append(
                    InvalidRecord(
                        index=item + offset, source=row.source, line=row.line, problems=(problem,)
                    )
                )
        totals.records += batch.frame.height + len(batch.others)
    invalid.sort(key=lambda record: record.index)
    return invalid, skipped, totals


class _Part(NamedTuple):
    """The judgement of one partition of persons (``_judged_part``)."""

    decisions: pl.DataFrame
    verdicts: pl.DataFrame
    persons: pl.DataFrame
    given: dict[str, Person]
    findings: dict[str, list[Finding]]
    assumed: dict[str, tuple[str, ...]]
    reasons: Counter[tuple[bool, str]]


def _judged_part(
    frames: list[pl.DataFrame],
    others: Sequence[str],
    known: Mapping[str, Person],
    *,
    year: int,
    policy: Policy,
    as_of: date | None,
    default_unit: UnitLevel | None,
    fingerprints: bool,
    counted: bool,
    compact: bool,
) -> _Part:
    """The persons of ``frames`` (parsed entries) and ``others`` (without entries), judged.

    With ``compact``, the frames returned have buffers of their own (``_compacted``).
    """
    import polars as pl

    numbers = _numbers(frames, others)
    # Each batch's entries with their persons' numbers, then one frame: its columns are
    # cut alike (one piece a batch), so that nothing must be copied to line them up.
    entries = pl.concat(
        [_numbered(frame, numbers) for frame in frames] or [_numbered(_empty_entries(), numbers)],
        how="vertical_relaxed",
    )
    frames.clear()  # the batches' frames, now in ``entries``: not held twice
    people, given, findings, assumed = _people(entries, numbers, known, default_unit)
    mode_assumed = entries.filter(pl.col("assumed_mode"))["person_id"].unique().to_list()
    for person_id in mode_assumed:
        assumed[person_id] = tuple(sorted({*assumed.get(person_id, ()), "mode"}))
        found = findings.setdefault(person_id, [])
        # The assumptions in the order of their facts, as evaluate_many lists them.
        at = next((i for i, f in enumerate(found) if f.code == "assumed_unit"), len(found))
        found.insert(at, _assumption("mode", None))
    # Who each person is was read: the entries keep only what the engine and the reports use.
    entries = entries.select(*ENTRY_SCHEMA, "person", "source", "line")
    judged, reasons = _judged_in_parts(
        entries,
        people,
        year=year,
        policy=policy,
        as_of=as_of,
        fingerprints=fingerprints,
        counted=counted,
    )
    if compact:
        # Kept while the other partitions are judged: not with the buffers of this one's.
        judged = Judged(
            judged.decisions if counted else _compacted(judged.decisions),
            _compacted(judged.verdicts),
        )
    return _Part(
        judged.decisions, judged.verdicts, people.drop("person"), given, findings, assumed, reasons
    )


def _joined(frames: list[pl.DataFrame], *by: str) -> pl.DataFrame:
    """The partitions' frames as one, sorted ``by``; the list is emptied.

    Each partition's frame is sorted by person id, but the partitions' persons
    interleave. The pieces are let go as soon as the whole is sorted.
    """
    import polars as pl

    count = len(frames)
    frame = pl.concat(frames)
    frames.clear()
    return frame if count == 1 else frame.sort(*by, maintain_order=True)


def _judged_in_parts(
    entries: pl.DataFrame,
    people: pl.DataFrame,
    *,
    year: int,
    policy: Policy,
    as_of: date | None,
    fingerprints: bool,
    counted: bool = True,
) -> tuple[Judged, Counter[tuple[bool, str]]]:
    """The engine's judgement of every person, a run of persons at a time.

    The persons (sorted by id) are cut into runs of about ``_PART_ENTRIES`` entries, and
    each run's entries are judged alone (a person's entries are all in one run), so that
    the engine's intermediate frames, some sixty columns wide, hold one run at a time.
    The runs follow each other in person order: their frames put end to end stay sorted.
    Each decision gets the file and line of its entry. Without ``counted``, only the
    decisions of entries that do not count are kept. Returned with the decisions'
    number by whether they count and by reason.
    """
    import polars as pl

    reasons: Counter[tuple[bool, str]] = Counter()

    def judged(rows: pl.DataFrame, persons: pl.DataFrame) -> Judged:
        found = judge_table(
            rows.select(*ENTRY_SCHEMA, "person"), persons, year=year, policy=policy,
            as_of=as_of, fingerprints=fingerprints,
        )  # fmt: skip
        decisions = found.decisions
        for count, reason, number in (
            decisions.group_by("counted", "reason").agg(pl.len()).iter_rows()
        ):
            reasons[count, reason] += number
        if not counted:
            decisions = decisions.filter(~pl.col("counted"))
        where = rows.select("item", "source", "line")
        return Judged(decisions.join(where, on="item", how="left"), found.verdicts)

    if entries.height <= _PART_ENTRIES:
        return judged(entries, people), reasons
    sizes = people.select("person").join(
        entries.select("person").group_by("person").agg(pl.len().alias("n")),
        on="person",
        how="left",
        maintain_order="left",
    )
    run = (pl.col("n").fill_null(0).cum_sum() - 1).clip(lower_bound=0) // _PART_ENTRIES
    runs = sizes.select("person", run.alias("run"))
    bounds = runs.group_by("run", maintain_order=True).agg(
        pl.col("person").first().alias("first"), pl.col("person").last().alias("last")
    )
    decisions, verdicts = [], []
    number = pl.col("person")
    for _, first, last in bounds.iter_rows():
        part = judged(
            entries.filter(number.is_between(first, last)),
            people.filter(number.is_between(first, last)),
        )
        decisions.append(part.decisions)
        verdicts.append(part.verdicts)
    return Judged(pl.concat(decisions), pl.concat(verdicts)), reasons


def _compacted(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with buffers of its own, as small as its values.

    Text columns taken from a larger frame (by a filter, a join, a group-by) hold views
    of that frame's text buffers, and keep them all alive: a frame kept while others are
    judged is written and read back (Arrow IPC, in memory), which keeps only its bytes.
    """
    import polars as pl

    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="uncompressed")
    buffer.seek(0)
    return pl.read_ipc(buffer)


def _empty_entries() -> pl.DataFrame:
    import polars as pl

    from ._columnar import _polars_schema

    return pl.DataFrame(
        schema=_polars_schema(
            {
                **ENTRY_SCHEMA,
                "source": "Categorical",  # as ``_parse`` makes it
                "line": "Int64",
                "name": "String",
                "unit": "String",
                "city": "String",
                "industry": "String",
                "assumed_mode": "Boolean",
            }
        )
    )


def _numbers(frames: Sequence[pl.DataFrame], others: Iterable[str]) -> pl.DataFrame:
    """Every person (of the entries, and ``others``) numbered in id order.

    Columns ``person`` (from 0) and ``person_id``: the engine groups, ranks and sorts
    persons by their number rather than by their id's text.
    """
    import polars as pl

    ids = pl.concat(
        [
            *(frame["person_id"].unique() for frame in frames),
            pl.Series("person_id", sorted(others), dtype=pl.String),
        ]
    )
    return ids.unique().sort().to_frame().with_row_index("person")


def _numbered(entries: pl.DataFrame, numbers: pl.DataFrame) -> pl.DataFrame:
    """``entries`` with their persons' numbers (``_numbers``) as ``person``."""
    # The id column alone looked up (joining the whole frame would copy every column).
    looked = entries.select("person_id").join(
        numbers, on="person_id", how="left", maintain_order="left"
    )
    return entries.with_columns(looked["person"])


def _people(
    entries: pl.DataFrame,
    numbers: pl.DataFrame,
    known: Mapping[str, Person],
    default_unit: UnitLevel | None,
) -> tuple[pl.DataFrame, dict[str, Person], dict[str, list[Finding]], dict[str, tuple[str, ...]]]:
    """Who each person is (as ``evaluate_many`` reads it), with its findings and defaults.

    One row per person of ``numbers`` (``PERSON_SCHEMA`` and ``person``, sorted by id),
    read from the records in bulk; a person the caller gave, whose records disagree, or
    whose unit comes from the default is read one by one (and returned as a ``Person``
    too). ``entries`` (in input order) carry their persons' numbers.
    """
    import polars as pl

    facts = ("unit", "city", "industry")
    # Per person, in input order: the first name given, and of each fact how many values
    # are given and the first (only the columns read are handed to the group-by).
    summary = (
        entries.select("person", "name", *facts)
        .group_by("person")
        .agg(
            pl.col("name").first(ignore_nulls=True).alias("name"),
            pl.col("name").drop_nulls().n_unique().alias("name_count"),
            *(pl.col(f).drop_nulls().n_unique().alias(f"{f}_count") for f in facts),
            *(pl.col(f).first(ignore_nulls=True).alias(f) for f in facts),
        )
    )
    summary = numbers.join(summary, on="person", how="left", maintain_order="left").with_columns(
        *(pl.col(f"{f}_count").fill_null(0) for f in ("name", *facts))
    )
    # Records that disagree (on a name too: a finding names them) are read one by one.
    conflicting = pl.any_horizontal(pl.col(f"{f}_count") > 1 for f in ("name", *facts))
    special = conflicting | pl.col("person_id").is_in(list(known))
    if default_unit is not None:
        special = special | pl.col("unit").is_null()
    summary = summary.with_columns(special.alias("special"))
    one_by_one = summary.filter("special")
    given: dict[str, Person] = {}
    findings: dict[str, list[Finding]] = {}
    assumed: dict[str, tuple[str, ...]] = {}
    if one_by_one.height:
        described: dict[str, list[tuple[Described, RecordRef]]] = {}
        rows = entries.filter(pl.col("person").is_in(one_by_one["person"])).sort("item")
        for row in rows.iter_rows(named=True):
            described.setdefault(row["person_id"], []).append(
                (
                    Described(
                        row["name"],
                        None if row["unit"] is None else UnitLevel(row["unit"]),
                        row["city"],
                        row["industry"],
                    ),
                    RecordRef(source=row["source"], line=row["line"]),
                )
            )
        for summed in one_by_one.iter_rows(named=True):
            pid = summed["person_id"]
            person, found, defaulted = _one_person(
                summed, known.get(pid), described.get(pid, []), default_unit
            )
            given[pid] = person
            if found:
                findings[pid] = found
            if defaulted:
                assumed[pid] = ("unit",)
    read = summary.filter(~pl.col("special")).select(
        "person",
        "person_id",
        "name",
        *(pl.when(pl.col(f"{f}_count") == 1).then(pl.col(f)).alias(f) for f in facts),
    )
    decided = pl.DataFrame(
        [
            {"person_id": p.id, "name": p.name, "unit": None if p.unit is None else p.unit.value,
             "city": p.city, "industry": p.industry}
            for p in given.values()
        ],
        schema=dict.fromkeys(("person_id", "name", "unit", "city", "industry"), pl.String),
    ).join(numbers, on="person_id")  # fmt: skip
    people = pl.concat([read, decided.select(read.columns)], how="vertical_relaxed").sort("person")
    return people, given, findings, assumed


def _one_person(
    summed: Mapping[str, Any],
    given: Person | None,
    described: Sequence[tuple[Described, RecordRef]],
    default_unit: UnitLevel | None,
) -> tuple[Person, list[Finding], bool]:
    """One person read one by one (``_batch.person_of``), and whether the default unit applied."""
    person, found, defaulted = person_of(summed["person_id"], given, list(described), default_unit)
    if defaulted:
        found.append(_assumption("unit", person.unit))
    return person, found, defaulted


def _count(result: TableResult, reasons: Counter[tuple[bool, str]]) -> None:
    """The totals of a batch judged in bulk (as ``evaluate_many`` counts them).

    ``reasons``: how many decisions count or not, by reason.
    """
    import polars as pl

    totals = result.totals
    totals.invalid = len(result.invalid_records)
    totals.skipped = len(result.skipped)
    totals.counted = sum(n for (counted, _), n in reasons.items() if counted)
    totals.excluded = sum(n for (counted, _), n in reasons.items() if not counted)
    by_reason: Counter[str] = Counter()
    for (_, reason), number in reasons.items():
        by_reason[reason] += number
    totals.by_reason = by_reason
    statuses = dict(result.judged.verdicts.group_by("status").agg(pl.len()).iter_rows())
    totals.persons = result.judged.verdicts.height
    totals.compliant = statuses.get(Status.COMPLIANT.value, 0)
    totals.non_compliant = statuses.get(Status.NON_COMPLIANT.value, 0)
    totals.in_progress = statuses.get(Status.IN_PROGRESS.value, 0)
    totals.undetermined = statuses.get(Status.UNDETERMINED.value, 0)
    with_invalid = {r.person_id for r in result.invalid_records if r.person_id is not None}
    totals.persons_with_invalid_input = len(with_invalid)
    totals.defaulted_persons = len(result.assumed)


# --- verdict objects ---------------------------------------------------------------------


class _Built:
    """Details of a verdict the columnar engine judged, its parts built on first use."""

    __slots__ = ("_decisions", "_findings", "_fingerprint", "_make", "_requirements", "_rows")

    def __init__(
        self,
        rows: list[dict[str, Any]],
        make: Any,
        fingerprint: str,
        requirements: Any,
        findings: tuple[Finding, ...],
    ) -> None:
        self._rows = rows
        self._make = make
        self._fingerprint = fingerprint
        self._requirements = requirements
        self._findings = findings
        self._decisions: tuple[EntryDecision, ...] | None = None

    def requirements(self) -> tuple[RequirementResult, ...]:
        made: tuple[RequirementResult, ...] = self._requirements()
        return made

    def findings(self) -> tuple[Finding, ...]:
        return self._findings

    def decisions(self) -> tuple[EntryDecision, ...]:
        if self._decisions is None:
            self._decisions = tuple(self._make(row) for row in self._rows)
        return self._decisions

    def fingerprint(self) -> str:
        return self._fingerprint

    def entry_reasons(self) -> tuple[Reason, ...]:
        return tuple(Reason(row["reason"]) for row in self._rows)


def _hours(units: int | None) -> Decimal:
    return Decimal(0) if units is None else Decimal(units) / UNITS_PER_HOUR


def _decision_maker(result: TableResult) -> Any:
    """``make_decision`` for a row of the decisions frame (a dict)."""
    policy = result.policy
    rules: dict[str, Rule] = {r.code: r for r in policy.rules}
    factor_rules = {r.code: r for r in policy.rules if isinstance(r, CreditFactorRule)}

    def make(d: dict[str, Any]) -> EntryDecision:
        factor_rule = factor_rules.get(d["factor_rule"]) if d["factor_rule"] else None
        deciding = rules.get(d["deciding"]) if d["deciding"] else None
        return make_decision(
            index=d["index"],
            entry_id=d["entry_id"],
            course_id=d["course_id"],
            category=Category(d["category"]),
            role=Role(d["role"]),
            credited_year=d["credited_year"],
            hours=_hours(d["hours"]),
            reason=Reason(d["reason"]),
            factor_rule=factor_rule,
            would_add=_hours(d["would_add"]),
            low=_hours(d["low"]),
            high=_hours(d["high"]),
            missing=tuple(d["missing_facts"]),
            deciding=deciding,  # type: ignore[arg-type]
            duplicate_of=d["duplicate_of"],
            platform=d["refused_platform"],
        )

    return make


def _person(result: TableResult, row: Mapping[str, Any]) -> Person:
    """The person of a row of ``persons`` (or of the verdicts): given, else as read."""
    pid = row["person_id"]
    return result.given.get(pid) or Person(
        id=pid, name=row["name"], unit=row["unit"], city=row["city"], industry=row["industry"]
    )


def _figures(figures: Mapping[str, Any]) -> Figures:
    """A requirement's figures from the engine's struct (hours in units)."""
    return Figures(
        required=_hours(figures["required"]),
        earned=_hours(figures["earned"]),
        shortfall=_hours(figures["shortfall"]),
        pending=_hours(figures["pending"]),
        undetermined=_hours(figures["undetermined"]),
        met=figures["met"],
        determined=figures["determined"],
        rounding=figures["rounding"],
    )


def _verdict_objects(result: TableResult) -> Iterator[BatchVerdict]:
    """Every person's ``BatchVerdict``, one at a time (from the first ``next``)."""
    result._check_complete()
    policy = result.policy
    by_key = topic_findings(policy)
    loosenings = _loosening_findings(policy) if policy.loosenings else ()
    if result.year not in policy.years:
        loosenings = (*loosenings, other_year_finding(policy, result.year))
    invalid_by: dict[str, list[InvalidRecord]] = {}
    for record in result.invalid_records:
        if record.person_id is not None:
            invalid_by.setdefault(record.person_id, []).append(record)
    # One pass over the decisions, in frame order (a small frame per person costs polars a
    # query each: 30 % of a run on 100,000 records).
    parts: dict[str, list[dict[str, Any]]] = {}
    for d in result.judged.decisions.iter_rows(named=True):
        parts.setdefault(d["person_id"], []).append(d)
    requirement_rules = list(policy.requirement_rules)
    make = _decision_maker(result)
    for row in result.judged.verdicts.iter_rows(named=True):
        pid = row["person_id"]
        rows = parts.get(pid, [])
        numbers = [_figures(row[f"requirement_{rule.code}"]) for rule in requirement_rules]
        findings = (
            *(by_key[code] for code in row["topic_findings"]),
            *loosenings,
            *result.findings.get(pid, ()),
        )
        person = _person(result, row)
        fields: dict[str, Any] = {
            "person_id": pid,
            "year": result.year,
            "policy_id": policy.id,
            "policy_version": policy.version,
            "as_of": result.as_of,
            "status": Status(row["status"]),
            "compliant": row["compliant"],
            "certificate_eligible": row["certificate_eligible"],
            "certificate_citation": policy.certificate_citation,
            "certificate_reading": policy.certificate_reading,
            "missing_facts": tuple(row["missing_facts"]),
            "person": person,
            "assumed": result.assumed.get(pid, ()),
            "records": tuple(RecordRef(source=d["source"], line=d["line"]) for d in rows),
            "invalid_records": tuple(invalid_by.get(pid, ())),
        }
        details = _Built(
            rows,
            make,
            row.get("fingerprint") or "",
            partial(_requirements, requirement_rules, numbers),
            findings,
        )
        yield with_details(BatchVerdict, fields, details)


# --- verdicts as JSON text ---------------------------------------------------------------

#: Ids as pydantic writes them when they need no escape: the text itself, in quotes.
_PLAIN_TEXT: Final = r"^[0-9A-Za-z_.:\-]*$"


def _json_text(frame: pl.DataFrame, name: str) -> pl.Expr:
    """The JSON of a text column as pydantic writes it (``null`` for a null).

    A plain text is quoted natively; any other is written by pydantic itself, once for
    each distinct value.
    """
    import polars as pl
    from pydantic_core import to_json

    raw = pl.col(name)
    plain = raw.str.contains(_PLAIN_TEXT)
    others = frame.filter(raw.is_not_null() & ~plain)[name].unique().to_list()
    quoted = pl.concat_str([pl.lit('"'), raw, pl.lit('"')])
    if others:
        written = raw.replace_strict(
            {value: to_json(value).decode() for value in others},
            default=None,
            return_dtype=pl.String,
        )
        quoted = pl.when(plain).then(quoted).otherwise(written)
    return pl.when(raw.is_null()).then(pl.lit("null")).otherwise(quoted)


#: Persons whose verdicts' text is put together at once.
_JSON_SLICE: Final = 8_192
#: What decides a decision's JSON besides its index, ids and the copy it duplicates.
_SHAPE: Final = (
    "category", "role", "credited_year", "hours", "reason", "factor_rule", "would_add", "low",
    "high", "missing_facts", "deciding", "refused_platform",
)  # fmt: skip


def _split(text: str, head: str, marker: str) -> tuple[str, str]:
    """``text`` without ``head``, cut around ``marker`` and the value after it."""
    if not text.startswith(head):
        raise AssertionError(f"unexpected JSON: {text[:80]!r}")
    body = text[len(head) :]
    at = body.rindex(marker)
    rest = body[at + len(marker) :]
    value_end = rest.index(",")
    return body[:at], rest[value_end:]


class _EntriesJson:
    """Persons' entries and records as JSON arrays, as ``model_dump_json`` writes them.

    Each decision is made and written by ``make_decision`` once for each distinct shape
    (everything but its index, its ids and the copy it duplicates), each file's name once,
    and the text around them completed natively.
    """

    def __init__(self, result: TableResult) -> None:
        import polars as pl

        make = _decision_maker(result)
        decisions = result.judged.decisions
        shapes = decisions.select(
            *_SHAPE, pl.col("duplicate_of").is_not_null().alias("copy")
        ).unique()
        head = '{"index":0,"entry_id":"E","course_id":"C",'
        middles, tails = [], []
        for row in shapes.iter_rows(named=True):
            text = make(
                {**row, "index": 0, "entry_id": "E", "course_id": "C",
                 "duplicate_of": 0 if row["copy"] else None}
            ).model_dump_json()  # fmt: skip
            middle, tail = _split(text, head, '"duplicate_of":')
            middles.append(middle)
            tails.append(tail)
        self.written = shapes.with_columns(
            pl.Series("middle", middles, dtype=pl.String),
            pl.Series("tail", tails, dtype=pl.String),
        )
        self.sources = {}
        for source in decisions["source"].unique().to_list():
            text = RecordRef(source=source, line=0).model_dump_json()
            if not text.startswith('{"source":') or not text.endswith(',"line":0}'):
                raise AssertionError(f"unexpected JSON: {text!r}")
            self.sources[source] = text.removesuffix("0}")

    def arrays(self, decisions: pl.DataFrame) -> pl.DataFrame:
        """``entries`` and ``records`` (each the inside of a JSON array) by ``person_id``."""
        import polars as pl

        frame = decisions.with_columns(pl.col("duplicate_of").is_not_null().alias("copy")).join(
            self.written, on=[*_SHAPE, "copy"], how="left", nulls_equal=True, maintain_order="left"
        )
        entry = pl.concat_str(
            [
                pl.lit('{"index":'), pl.col("index").cast(pl.String),
                pl.lit(',"entry_id":'), _json_text(frame, "entry_id"),
                pl.lit(',"course_id":'), _json_text(frame, "course_id"),
                pl.lit(","), pl.col("middle"),
                pl.lit('"duplicate_of":'),
                pl.col("duplicate_of").cast(pl.String).fill_null("null"),
                pl.col("tail"),
            ]
        )  # fmt: skip
        ref = pl.concat_str(
            [
                pl.col("source").replace_strict(self.sources, return_dtype=pl.String),
                pl.col("line").cast(pl.String).fill_null("null"),
                pl.lit("}"),
            ]
        )
        # Each entry's texts first (row by row), then joined by person (sorted by id).
        texts = frame.select("person_id", entry.alias("entries"), ref.alias("records"))
        # The decisions are sorted by person: each run of one person's is a group.
        run = pl.col("person_id").rle_id().alias("run")
        return (
            texts.group_by(run, maintain_order=True)
            .agg(
                pl.col("person_id").first(),
                pl.col("entries").str.join(","),
                pl.col("records").str.join(","),
            )
            .drop("run")
        )


def _requirement_json(result: TableResult, rule: RequirementRule) -> pl.Expr:
    """Each person's result of ``rule`` as JSON, by pydantic once for each set of figures."""
    import polars as pl
    from pydantic_core import to_json

    name = f"requirement_{rule.code}"
    key = pl.col(name).struct.json_encode()
    distinct = result.judged.verdicts.select(key.alias("key"), pl.col(name)).unique("key")
    written = {}
    for text, figures in distinct.iter_rows():
        written[text] = to_json(requirement_result(rule, _figures(figures))).decode()
    return key.replace_strict(written, return_dtype=pl.String)


def _by_person(values: Mapping[str, str], default: str) -> pl.Expr:
    """A text per person id (``default`` for the others)."""
    import polars as pl

    if not values:
        return pl.lit(default)
    return pl.col("person_id").replace_strict(values, default=default, return_dtype=pl.String)


def verdict_json(result: TableResult) -> Iterator[str]:
    """Every person's verdict as JSON text, sorted by person id.

    The text is ``model_dump_json()`` of each of ``result.verdicts()``, byte for byte
    (``tests/test_table.py`` proves it), written without a verdict or decision object:
    what pydantic writes is written by pydantic once for each distinct value (a decision's
    shape, a requirement's figures, a finding, a person given or read one by one, an
    invalid record), and put together natively around the values of each person and entry.
    """
    from pydantic_core import to_json

    result._check_complete()
    invalid_by: dict[str, list[str]] = {}
    for record in result.invalid_records:
        if record.person_id is not None:
            invalid_by.setdefault(record.person_id, []).append(record.model_dump_json())
    findings_by = {
        pid: ",".join(to_json(f).decode() for f in found) for pid, found in result.findings.items()
    }
    given = {pid: person.model_dump_json() for pid, person in result.given.items()}
    requirements = [_requirement_json(result, rule) for rule in result.policy.requirement_rules]
    entries = _EntriesJson(result)
    decisions = result.judged.decisions
    ids = decisions["person_id"]
    # A slice of persons at a time: the text of all would be as large as the output.
    for chunk in result.judged.verdicts.iter_slices(_JSON_SLICE):
        if not chunk.height:
            continue
        first, last = chunk["person_id"][0], chunk["person_id"][-1]
        start = int(ids.search_sorted(first, side="left"))
        end = int(ids.search_sorted(last, side="right"))
        frame = chunk.join(
            entries.arrays(decisions.slice(start, end - start)),
            on="person_id",
            how="left",
            maintain_order="left",
        )
        yield from frame.select(
            _verdict_text(result, frame, given, requirements, findings_by, invalid_by)
        ).to_series()


def _verdict_text(
    result: TableResult,
    frame: pl.DataFrame,
    given: Mapping[str, str],
    requirements: Sequence[pl.Expr],
    findings_by: Mapping[str, str],
    invalid_by: Mapping[str, list[str]],
) -> pl.Expr:
    """Each verdict's JSON text, from its row of ``frame`` and what was written for it."""
    import polars as pl
    from pydantic_core import to_json

    policy = result.policy
    topic_json = {k: to_json(f).decode() for k, f in topic_findings(policy).items()}
    loosenings = _loosening_findings(policy) if policy.loosenings else ()
    if result.year not in policy.years:
        loosenings = (*loosenings, other_year_finding(policy, result.year))

    def const(value: Any) -> pl.Expr:
        return pl.lit(to_json(value).decode())

    def flag(value: pl.Expr) -> pl.Expr:
        return (
            pl.when(value.is_null())
            .then(pl.lit("null"))
            .when(value)
            .then(pl.lit("true"))
            .otherwise(pl.lit("false"))
        )

    def items(parts: Sequence[pl.Expr]) -> pl.Expr:
        """A JSON array of the non-empty texts of ``parts`` (each a list's items)."""
        joined = pl.concat_list([part.cast(pl.List(pl.String)) for part in parts])
        return pl.concat_str(
            [pl.lit("["), joined.list.eval(pl.element().filter(pl.element() != "")).list.join(","),
             pl.lit("]")]
        )  # fmt: skip

    person = pl.concat_str(
        [
            pl.lit('{"id":'), _json_text(frame, "person_id"),
            pl.lit(',"name":'), _json_text(frame, "name"),
            pl.lit(',"unit":'), _json_text(frame, "unit"),
            pl.lit(',"city":'), _json_text(frame, "city"),
            pl.lit(',"industry":'), _json_text(frame, "industry"), pl.lit("}"),
        ]
    )  # fmt: skip
    if given:
        person = (
            pl.when(pl.col("person_id").is_in(list(given)))
            .then(_by_person(given, ""))
            .otherwise(person)
        )
    findings = items(
        [
            pl.col("topic_findings").list.eval(
                pl.element().replace_strict(topic_json, return_dtype=pl.String)
            ),
            pl.concat_list([const(f) for f in loosenings])
            if loosenings
            else pl.lit([], dtype=pl.List(pl.String)),
            pl.concat_list([_by_person(findings_by, "")]),
        ]
    )
    text = pl.concat_str(
        [
            pl.lit('{"person_id":'), _json_text(frame, "person_id"),
            pl.lit(',"year":'), const(result.year),
            pl.lit(',"policy_id":'), const(policy.id),
            pl.lit(',"policy_version":'), const(policy.version),
            pl.lit(',"as_of":'), const(result.as_of),
            pl.lit(',"status":"'), pl.col("status"),
            pl.lit('","compliant":'), flag(pl.col("compliant")),
            pl.lit(',"certificate_eligible":'), flag(pl.col("certificate_eligible")),
            pl.lit(',"certificate_citation":'), const(policy.certificate_citation),
            pl.lit(',"certificate_reading":'), const(policy.certificate_reading),
            pl.lit(',"missing_facts":'),
            items([pl.col("missing_facts").list.eval(pl.concat_str(
                [pl.lit('"'), pl.element(), pl.lit('"')]))]),
            pl.lit(',"person":'), person,
            pl.lit(',"assumed":'),
            _by_person({p: to_json(list(a)).decode() for p, a in result.assumed.items()}, "[]"),
            pl.lit(',"records":['), pl.col("records").fill_null(""),
            pl.lit('],"invalid_records":['),
            _by_person({p: ",".join(found) for p, found in invalid_by.items()}, ""),
            pl.lit('],"requirements":'),
            items([pl.concat_list(requirements)]) if requirements else pl.lit("[]"),
            pl.lit(',"findings":'), findings,
            pl.lit(',"entries":['), pl.col("entries").fill_null(""),
            pl.lit('],"fingerprint":'),
            const("") if "fingerprint" not in frame.columns else _json_text(frame, "fingerprint"),
            pl.lit("}"),
        ]
    )  # fmt: skip
    return text.alias("json")


def _requirements(
    rules: Sequence[RequirementRule], numbers: Sequence[Figures]
) -> tuple[RequirementResult, ...]:
    return tuple(map(requirement_result, rules, numbers))


def evaluate_batches(
    batches: Iterable[TableBatch],
    *,
    year: int,
    persons: Iterable[Person] | Mapping[str, Person] | None = None,
    policy: Policy | str | None = None,
    as_of: date | None = None,
    default_unit: UnitLevel | None = None,
    default_mode: Mode | None = None,
    unknown_fields: Sequence[str] = (),
    allow_other_year: bool = False,
    fingerprints: bool = True,
    counted: bool = True,
    parts: int = 1,
) -> BatchResult:
    """``evaluate_many`` for records in table batches, judged in bulk by the columnar engine.

    The arguments are checked as ``evaluate_many`` checks them; the result is a
    ``BatchResult`` whose ``table`` holds the engine's frames. Without ``fingerprints``
    the verdicts' fingerprints are empty (their canonical forms are not computed);
    ``counted`` and ``parts`` are ``evaluate_tables``'. Without ``counted``, the result
    has no verdict objects: iterating it raises ``ValueError``.
    """
    rules, known, checked_as_of = _checked(
        year, persons, policy, as_of, default_unit, default_mode, allow_other_year
    )
    table = evaluate_tables(
        batches,
        year=year,
        policy=rules,
        as_of=checked_as_of,
        persons=known,
        default_unit=default_unit,
        default_mode=default_mode,
        fingerprints=fingerprints,
        counted=counted,
        parts=parts,
    )
    result = BatchResult(_verdict_objects(table), year, rules)
    result.invalid_records = table.invalid_records
    result.skipped = table.skipped
    result.totals = table.totals
    result.unknown_fields = list(unknown_fields)
    result.table = table
    return result


def evaluate_table(
    records: Any,
    *,
    year: int,
    persons: Iterable[Person] | Mapping[str, Person] | None = None,
    policy: Policy | str | None = None,
    as_of: date | None = None,
    default_unit: UnitLevel | None = None,
    default_mode: Mode | None = None,
    source: str = "<table>",
    allow_other_year: bool = False,
) -> BatchResult:
    """Judge records already in a polars DataFrame (or LazyFrame) or an Arrow table, in bulk.

    Columns are named as in a record file (English or Chinese headers, docs/cli.md);
    a column naming no field is listed in ``unknown_fields``. Each cell is read by the one
    parser of its column as ``evaluate_many`` reads the same value in a row: a text as it
    is, an integer as its digits, and any other value (a float, a decimal, a date, a time,
    a boolean, a list) as itself, once for each distinct value. Rows are numbered from 1
    as ``line``. The result is ``evaluate_many``'s for the rows of the table
    (``DataFrame.to_dicts()``), with the engine's frames in ``result.table.judged`` (one
    row per decision, one per verdict).

    Raises:
        EvaluationInputError: ``records`` is not a table; it has rows and no column for a
            field every record needs (person_id, course_title, category, hours,
            completed_on), or two of its columns name one field (a file with such a
            header is refused too); or ``persons`` are not ``Person`` objects.
    """
    import polars as pl

    frame = _polars_table(records)
    renamed: dict[str, str] = {}
    unknown: list[str] = []
    twice: list[str] = []
    for name in frame.columns:
        field_name = match_header(name)
        if field_name is None:
            unknown.append(name)
        elif field_name in renamed.values():
            first = next(k for k, v in renamed.items() if v == field_name)
            twice.append(f"{first!r} and {name!r} both name {field_name}")
        elif field_name != IGNORED:
            renamed[name] = field_name
    if twice:
        raise EvaluationInputError(
            "records", twice, "one field may be named by one column only: drop or rename one"
        )
    missing = missing_columns(renamed.values(), unknown)
    if missing is not None and frame.height:  # (without rows, no record lacks anything)
        raise EvaluationInputError("records", frame.columns, missing)
    texts, typed = cell_texts(frame, renamed)
    raw = texts.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("item"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"),
        *renamed.values(),
    )
    batch = TableBatch(source, raw, [], {}, typed)
    return evaluate_batches(
        [batch],
        year=year,
        persons=persons,
        policy=policy,
        as_of=as_of,
        default_unit=default_unit,
        default_mode=default_mode,
        unknown_fields=unknown,
        allow_other_year=allow_other_year,
    )


def missing_columns(fields: Iterable[str], unknown: Iterable[str]) -> str | None:
    """Why a table with columns of ``fields`` (and ``unknown`` ones) cannot be judged, or None.

    Every record needs the required fields (person_id, course_title, category, hours,
    completed_on); a column of hours in another unit (学时（分钟）) is named with why.
    """
    present = set(fields)
    missing = [c for c in RECORD_COLUMNS if c.required and c.name not in present]
    if not missing:
        return None
    named = ", ".join(f"{c.name} ({c.label})" for c in missing)
    units = unit_notes(unknown, table=True)
    return (
        f"no column names {named}: every record needs it (docs/cli.md lists the headers read)"
        + ("" if units is None else f"; {units.en}")
    )


def _polars_table(records: Any) -> pl.DataFrame:
    """``records`` as a polars DataFrame (a LazyFrame collected, Arrow data converted)."""
    import polars as pl

    if isinstance(records, pl.LazyFrame):
        records = records.collect()  # a query of records: its result is the table
    if isinstance(records, pl.DataFrame):
        return records
    frame: pl.DataFrame | pl.Series | None = None
    with suppress(TypeError):  # not Arrow data: refused below
        frame = _from_arrow(records)
    if not isinstance(frame, pl.DataFrame):
        raise EvaluationInputError(
            "records",
            type(records).__name__,
            "must be a polars DataFrame or LazyFrame, or an Arrow table or record batch",
        )
    return frame


def _from_arrow(records: Any) -> pl.DataFrame | pl.Series:
    """Arrow data as polars; a column of a type polars cannot hold, as Python values.

    Such a column (``decimal256``, say) is read as ``evaluate_many`` reads its values
    (``to_pylist``), one by one.
    """
    import polars as pl

    if hasattr(records, "read_all"):  # a stream of batches can be read once
        records = records.read_all()
    schema: Any = getattr(records, "schema", None)
    names: list[str] = [] if schema is None else list(schema.names)
    kinds = [] if schema is None else [str(f.type) for f in schema]
    if len(set(names)) < len(names):  # an export's header with a name twice
        records = _once_each(records, names)
        names, kinds = list(records.schema.names), [str(f.type) for f in records.schema]
    if not any("decimal256" in kind for kind in kinds):  # polars panics on it
        try:
            return pl.from_arrow(records)
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
            if schema is None:
                raise TypeError(type(records).__name__) from None
    columns = []
    for position, name in enumerate(names):
        data = records.column(position)
        try:
            if "decimal256" in kinds[position]:
                raise pl.exceptions.InvalidOperationError(kinds[position])
            columns.append(pl.Series(name, data))
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
            columns.append(pl.Series(name, data.to_pylist(), dtype=pl.Object))
    return pl.DataFrame(columns)


def _once_each(records: Any, names: list[str]) -> Any:
    """Arrow data whose columns share a name, with the first of each name only.

    Two columns named as a field (学时 twice) are refused, as a file's header is; a name
    that is no field (备注 twice) is not read either way, and is listed as unknown.
    """
    twice = [n for n in dict.fromkeys(names) if names.count(n) > 1]
    fields = [n for n in twice if match_header(n) not in (None, IGNORED)]
    if fields:
        raise EvaluationInputError(
            "records", fields, "these columns are each named twice: one field, one column"
        )
    keep = [names.index(n) for n in dict.fromkeys(names)]
    return records.select(keep)


def cell_texts(
    frame: pl.DataFrame, fields: Mapping[str, str]
) -> tuple[pl.DataFrame, dict[str, dict[str, object]]]:
    """The cells of ``frame``'s columns (``fields``: column to field) as a batch holds them.

    One String column per field, an empty text null: a text as it is; an integer as its
    digits, which every parser reads as it reads the integer itself (a test proves it); a
    category as its text; any other value as a text that stands for it, with the value
    (``TableBatch.typed``, by field), so that its parser reads the value as
    ``evaluate_many`` reads it in a row.
    """
    import polars as pl

    columns: list[pl.Series] = []
    typed: dict[str, dict[str, object]] = {}
    for original, field_name in fields.items():
        cells = frame.get_column(original)
        dtype = cells.dtype
        if dtype == pl.String:
            text = cells
        elif dtype.is_integer() or isinstance(dtype, pl.Categorical | pl.Enum | pl.Null):
            text = cells.cast(pl.String)
        elif isinstance(dtype, pl.Datetime) and column(field_name).kind is CellKind.DATE:
            # Moments are nearly all distinct: their days natively (``moment_days``), as
            # ISO days; the few it leaves (out of range) read one by one.
            days = moment_days(cells)
            rest = pl.select(pl.when(days.is_null()).then(cells)).to_series()
            text, typed[field_name] = _stand_ins(rest, original)
            text = pl.select(pl.coalesce(days.dt.to_string("%Y-%m-%d"), text)).to_series()
        else:
            text, typed[field_name] = _stand_ins(cells, original)
        columns.append(text.alias(field_name))
    texts = pl.DataFrame(columns, height=frame.height).select(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in fields.values()
    )
    return texts, typed


def _stand_ins(cells: pl.Series, name: str) -> tuple[pl.Series, dict[str, object]]:
    """A column of typed values as texts that stand for them, and the value of each text.

    The text is the value as read (``_records.as_read``), the parser reads the value
    itself (``TableBatch.typed``), once for each distinct one, and a problem shows the
    value (``_invalid``), as ``evaluate_many`` shows it. Values of one type written alike
    are read alike; of two types (a text ``1`` and a number 1, in a column of Python
    objects) not always: the second is given a text of its own.
    """
    import polars as pl

    pairs: pl.DataFrame | None = None
    if cells.dtype == pl.Object:  # Python objects: no native operation, one by one
        values = cells.to_list()
    else:
        # The values told apart natively: by themselves, but floats by their text (in a
        # join NaN equals no NaN, and -0.0 equals 0.0; their shortest texts differ).
        key = cells.cast(pl.String) if cells.dtype.is_float() else cells
        pairs = pl.DataFrame([key.alias("key"), cells.alias("value")])
        pairs = pairs.unique(subset="key", keep="first", maintain_order=True)
        values = pairs.get_column("value").to_list()
    typed: dict[str, object] = {}
    texts: list[str | None] = []
    for value in values:
        shown = None if value is None else as_read(value)
        if shown is not None:
            if shown in typed and type(typed[shown]) is not type(value):
                shown = f"{shown}\x00{type(value).__name__}"
            typed[shown] = value
        texts.append(shown)
    if pairs is None:
        return pl.Series(name, texts, dtype=pl.String), typed
    lookup = pairs.select("key").with_columns(pl.Series("text", texts, pl.String))
    key = cells.cast(pl.String) if cells.dtype.is_float() else cells
    text = (
        key.alias("key")
        .to_frame()
        .join(lookup, on="key", how="left", nulls_equal=True, maintain_order="left")
        .get_column("text")
    )
    return text, typed


def _checked(
    year: int,
    persons: Iterable[Person] | Mapping[str, Person] | None,
    policy: Policy | str | None,
    as_of: date | None,
    default_unit: UnitLevel | None,
    default_mode: Mode | None,
    allow_other_year: bool,
) -> tuple[Policy, Mapping[str, Person], date | None]:
    """The checks ``evaluate_many`` makes of its arguments, made once."""
    probe = evaluate_many(
        (),
        year=year,
        persons=persons,
        policy=policy,
        as_of=as_of,
        default_unit=default_unit,
        default_mode=default_mode,
        allow_other_year=allow_other_year,
    )
    return probe.policy, _persons(persons), check_as_of(as_of)


def _decimal(units: pl.Expr) -> pl.Expr:
    """Hours in units as an exact decimal of four places."""
    import polars as pl

    return (units.cast(pl.Decimal(20, 4)) / UNITS_PER_HOUR).cast(pl.Decimal(18, 4))


def _factor(hundredths: pl.Expr) -> pl.Expr:
    """A factor in hundredths as an exact decimal of two places."""
    import polars as pl

    return (hundredths.cast(pl.Decimal(20, 2)) / 100).cast(pl.Decimal(18, 2))


def _decision_rows(result: TableResult, decisions: pl.DataFrame) -> pl.DataFrame:
    """Rows of the engine's decisions as ``Frames.decisions`` has them."""
    import polars as pl

    policy = result.policy
    clauses = pl.DataFrame(
        {
            "rule": [r.code for r in policy.rules],
            "clause": [r.citation.clause for r in policy.rules],
            "rule_decision": [
                None if r.reading is None else r.reading.decision for r in policy.rules
            ],
        },
        schema={"rule": pl.String, "clause": pl.String, "rule_decision": pl.Int64},
    )
    # As EntryDecision.decision: the deciding rule's reading, else the reason's own decision.
    reason_decision = pl.col("reason").replace_strict(
        {r.value: r.decision for r in Reason}, return_dtype=pl.Int64
    )
    return (
        decisions.with_columns(pl.col("index").cast(pl.Int64))
        .join(clauses, on="rule", how="left")
        .select(
            "person_id", "index", pl.col("source").cast(pl.String), "line", "entry_id",
            "course_id", "category", "role", "credited_year",
            _decimal(pl.col("hours")).alias("hours"),
            _factor(pl.col("factor")).alias("factor"),
            _decimal(pl.col("credited_hours")).alias("credited_hours"),
            _decimal(pl.col("would_add")).alias("would_add"),
            _decimal(pl.col("undetermined_hours")).alias("undetermined_hours"),
            "missing_facts", "counted", "reason", "rule", "clause",
            pl.coalesce("rule_decision", reason_decision).alias("decision"),
            pl.col("duplicate_of").cast(pl.Int64),
        )
        .sort("person_id", "index")
    )  # fmt: skip


def _frames(result: TableResult) -> Frames:
    import polars as pl

    policy = result.policy
    judged = result.judged
    invalid_count = Counter(r.person_id for r in result.invalid_records if r.person_id)
    requirement = []
    for rule in policy.requirement_rules:
        figures = pl.col(f"requirement_{rule.code}")
        requirement += [
            *(
                _decimal(figures.struct.field(name)).alias(f"{rule.code}_{name}")
                for name in ("required", "earned", "shortfall", "pending", "undetermined")
            ),
            figures.struct.field("met").alias(f"{rule.code}_met"),
            figures.struct.field("determined").alias(f"{rule.code}_determined"),
        ]
    counts = pl.DataFrame(
        {"person_id": list(invalid_count), "invalid_records": list(invalid_count.values())},
        schema={"person_id": pl.String, "invalid_records": pl.Int64},
    )
    verdicts = (
        judged.verdicts.join(counts, on="person_id", how="left")
        .select(
            "person_id", "name", "unit", "status", "compliant", "certificate_eligible",
            "missing_facts", *requirement,
            pl.col("invalid_records").fill_null(0),
            *(["fingerprint"] if "fingerprint" in judged.verdicts.columns else []),
            pl.lit(result.year).alias("year"), pl.lit(policy.id).alias("policy_id"),
            pl.lit(policy.version).alias("policy_version"),
        )
        .sort("person_id")
    )  # fmt: skip
    decisions = _decision_rows(result, judged.decisions)
    invalid = pl.DataFrame(
        [
            {
                "index": r.index, "source": r.source, "line": r.line, "person_id": r.person_id,
                "field": p.field, "value": p.value, "code": p.code,
                "message_zh": p.message.zh, "message_en": p.message.en,
            }
            for r in result.invalid_records
            for p in r.problems
        ],
        schema={
            "index": pl.Int64, "source": pl.String, "line": pl.Int64, "person_id": pl.String,
            "field": pl.String, "value": pl.String, "code": pl.String,
            "message_zh": pl.String, "message_en": pl.String,
        },
    )  # fmt: skip
    return Frames(verdicts, decisions, invalid)
