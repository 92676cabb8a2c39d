"""Records judged on Spark: partitioned by person, each partition judged by the columnar engine.

An optional edge (``pip install 'ce-rules[spark]'``) over the bulk judgement of ``_table``,
for provincial platforms whose year of records lives in a Hive or Spark cluster. The records
are never collected on the driver: texts and integers are read as text on the Spark side and
every other value goes to the executors as itself (as ``evaluate_table`` reads it), each record
is keyed by the person id as the one id parser reads it, the records are repartitioned by
that key so that all of a person's records (and the person's row of ``persons``) meet in one
partition, and each partition is judged by the same code as ``evaluate_table`` through
``mapInArrow``. ``tests/test_spark.py`` proves the three result tables equal, row for row,
to those of ``evaluate_table`` on the same rows. docs/scale.md explains the choices and how
to run it on a cluster.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final, NamedTuple

try:
    import pyarrow as pa
    from pyspark import StorageLevel
    from pyspark.errors import PythonException
    from pyspark.sql import Column, DataFrame
    from pyspark.sql import functions as F  # noqa: N812 - the name Spark's own documentation uses
    from pyspark.sql import types as T  # noqa: N812 - likewise
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        "ce_rules.spark needs pyspark, pyarrow, pandas and polars: pip install 'ce-rules[spark]'"
    ) from error

from ._cells import CellError, parse_cell
from ._exceptions import EvaluationInputError
from ._model import Mode, Person, UnitLevel
from ._policy import Policy
from ._records import PersonRowError, person_of_cells
from ._schema import (
    IGNORED,
    PERSON_COLUMNS,
    RECORD_COLUMNS,
    column,
    match_header,
    unit_notes,
)
from ._table import (
    Frames,
    TableBatch,
    _checked,
    _plain_id,
    cell_texts,
    evaluate_tables,
    missing_columns,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = ["SparkResult", "evaluate_spark"]

# Internal columns between the two passes; the records' own columns are renamed to field
# names, and every other name is refused, so these cannot clash with them.
_KIND: Final = "__ce_kind"  # 0: a record, 1: a row of ``persons``
_LINE: Final = "__ce_line"
_PERSON: Final = "__ce_person"  # the person id as ``parse_id`` reads it, null if it cannot
_ABOUT: Final = "__ce_about_"  # before a field of ``persons``: apart from the records' own
_RECORD: Final = 0
_PERSON_ROW: Final = 1
_PARTS: Final = ("verdict", "decision", "invalid")
_CHUNK: Final = 8_192


class SparkResult(NamedTuple):
    """The judgement of ``evaluate_spark``: three Spark DataFrames, as ``Frames`` are.

    The columns and types are those of ``TableResult.frames()`` (hours ``decimal(18,4)``,
    factors ``decimal(18,2)``, lists ``array<string>``); the verdict columns depend on the
    policy's requirement rules (``<code>_required`` ... ``<code>_determined`` for each).
    Spark keeps no order: sort verdicts by ``person_id``, decisions by ``person_id`` and
    ``index``, invalid rows by ``line``, ``field`` and ``code`` (docs/scale.md).

    Attributes:
        verdicts: One row per person.
        decisions: One row per valid entry.
        invalid: One row per problem of an invalid record.
    """

    verdicts: DataFrame
    decisions: DataFrame
    invalid: DataFrame


@dataclass(frozen=True)
class _Judging:
    """What each partition needs to be judged: sent to the executors with the function."""

    year: int
    policy: Policy
    as_of: date | None
    default_unit: UnitLevel | None
    default_mode: Mode | None
    source: str
    fields: tuple[str, ...]  # the record fields the records have, in RECORD_COLUMNS order
    person_fields: tuple[str, ...]  # the person fields ``persons`` has
    has_line: bool
    schemas: tuple[pa.Schema, pa.Schema, pa.Schema]  # verdicts, decisions, invalid
    output: pa.Schema


def evaluate_spark(
    records: DataFrame,
    *,
    year: int,
    policy: Policy | str | None = None,
    as_of: date | None = None,
    persons: DataFrame | None = None,
    default_unit: UnitLevel | None = None,
    default_mode: Mode | None = None,
    partitions: int | None = None,
    line: str | None = None,
    source: str = "<spark>",
    persist: bool = True,
    allow_other_year: bool = False,
) -> SparkResult:
    """Judge records held in a Spark DataFrame, partition by partition, as ``evaluate_table``.

    Args:
        records: One row per record. Columns are named as in a record file (English or
            Chinese headers, docs/cli.md); headers ce-rules knows and does not need (序号,
            性别, ...) are left aside; any other column is refused. Each cell is read by
            the one parser of its field as ``evaluate_table`` reads it: a text as it is,
            an integer as its digits, any other value (a double, a decimal, a date, a
            timestamp, a boolean, an array) as itself; a struct, map or binary column is
            refused.
        year: The year judged.
        policy: The policy, its id, or None for the year's registered one.
        as_of: The day the verdicts speak for (None: after every deadline).
        persons: Who each person is: ``person_id`` and any of ``name``, ``unit``, ``city``,
            ``industry`` (or their Chinese headers). A person described twice differently,
            or a cell that cannot be read, fails the job with the field and the value.
        default_unit: The unit level of persons nothing describes.
        default_mode: The mode of courses whose records do not give it.
        partitions: How many partitions to judge in (None: ``spark.sql.shuffle.partitions``).
        line: A column of integers giving each record's position (a line number the
            ingest kept, or 行号): it orders each person's entries, is reported as
            ``line``, and an invalid record's ``index`` is ``line - 1`` (the 0-based
            position when lines count from 1, as ``evaluate_table`` numbers rows). A
            record whose line is null or below 1 is refused (see ``persist``). A line
            column that names a field (记录编号) is read as that field too. Without it, each
            person's entries are ordered by their cells, and ``line`` and the invalid
            records' ``index`` are null.
        source: What the ``source`` columns say.
        persist: Judge the records now and keep the judged partitions (memory, then
            disk), so that the three frames are computed once however many of them are
            written, and a refusal made while judging (a record without a line, a
            ``persons`` list that contradicts itself) is raised here, before anything
            is written; ``spark.catalog.clearCache()`` releases them. False: nothing
            runs until an action, each action judges the records again, and such a
            refusal fails that action.
        allow_other_year: Apply ``policy`` to a year it does not govern, on purpose
            (every verdict then says so), as ``evaluate_many`` allows.

    Returns:
        The verdicts, decisions and invalid records as Spark DataFrames (``SparkResult``).

    Raises:
        EvaluationInputError: ``records`` (or ``persons``) is not a Spark DataFrame, a
            column names no field or names one twice, a required field has no column,
            the ``line`` column is missing or not of integers, or an argument is out of
            range (as ``evaluate_many`` checks them); with ``persist``, a record without
            a line of 1 or more, or ``persons`` that cannot be read or contradict
            themselves.
    """
    rules, _, checked_as_of = _checked(
        year, None, policy, as_of, default_unit, default_mode, allow_other_year
    )
    if not isinstance(records, DataFrame):
        raise EvaluationInputError(
            "records",
            type(records).__name__,
            "must be a Spark DataFrame (evaluate_table "
            "judges a polars or Arrow table on one machine)",
        )
    if persons is not None and not isinstance(persons, DataFrame):
        raise EvaluationInputError("persons", type(persons).__name__, "must be a Spark DataFrame")
    if partitions is not None and (isinstance(partitions, bool) or not isinstance(partitions, int)):
        raise EvaluationInputError("partitions", partitions, "must be an int or None")
    if partitions is not None and partitions < 1:
        raise EvaluationInputError("partitions", partitions, "must be at least 1")
    fields = _fields(records, "records", {c.name for c in RECORD_COLUMNS}, line)
    missing = missing_columns(fields, ())
    if missing is not None:  # (a Spark table is selected: a column left out is a mistake)
        raise EvaluationInputError("records", records.columns, missing)
    cells = [_cell(records, original, name) for name, original in fields.items()]
    position = F.lit(None).cast(T.LongType())
    if line is not None:
        position = _line(records, line)
    rows = _keyed(
        records.select(F.lit(_RECORD).alias(_KIND), position.alias(_LINE), *cells), "person_id"
    )
    person_fields: dict[str, str] = {}
    if persons is not None:
        person_fields = _fields(persons, "persons", {c.name for c in PERSON_COLUMNS}, None)
        if "person_id" not in person_fields:
            raise EvaluationInputError("persons", persons.columns, "has no person_id column")
        # Under names of their own: a person's unit beside a record's unit of another type.
        people = persons.select(
            F.lit(_PERSON_ROW).alias(_KIND),
            F.lit(None).cast(T.LongType()).alias(_LINE),
            *(_cell(persons, original, _ABOUT + name) for name, original in person_fields.items()),
        )
        rows = rows.unionByName(_keyed(people, _ABOUT + "person_id"), allowMissingColumns=True)
    schemas = _schemas(rules, year, checked_as_of)
    judging = _Judging(
        year=year,
        policy=rules,
        as_of=checked_as_of,
        default_unit=default_unit,
        default_mode=default_mode,
        source=source,
        fields=tuple(c.name for c in RECORD_COLUMNS if c.name in fields),
        person_fields=tuple(person_fields),
        has_line=line is not None,
        schemas=schemas,
        output=pa.schema(
            [
                pa.field(_KIND, pa.int32()),
                *(
                    pa.field(part, pa.struct(list(s)))
                    for part, s in zip(_PARTS, schemas, strict=True)
                ),
            ]
        ),
    )
    spread = [
        F.col(_LINE).cast("string"),
        *(F.col(n) for n in sorted({*fields, *(_ABOUT + n for n in person_fields)})),
    ]
    # A record without a person id belongs to no one: spread by its cells, not all in one.
    key = F.coalesce(F.col(_PERSON), F.concat(F.lit("\x00"), F.xxhash64(*spread).cast("string")))
    shuffled = rows.repartition(partitions, key) if partitions else rows.repartition(key)
    judged = shuffled.mapInArrow(functools.partial(_judge, judging), _spark_schema(judging.output))
    if persist:
        judged = judged.persist(StorageLevel.MEMORY_AND_DISK)
        _judge_now(judged)
    return SparkResult(
        *(
            judged.where(F.col(_KIND) == number).select(f"{part}.*")
            for number, part in enumerate(_PARTS)
        )
    )


# --- the driver: columns, text, schemas ----------------------------------------------------


def _fields(frame: DataFrame, what: str, wanted: set[str], line: str | None) -> dict[str, str]:
    """The fields ``frame``'s columns name (field: column), refusing any that names none.

    A Spark table is selected, not exported: a column that names no field is a mistake
    (a misspelt 学时) more often than extra data, and it is free to drop, so it is refused
    rather than reported. Known headers ce-rules does not need (序号, 性别, ...) and, in
    ``persons``, the fields of records that are not the person's are left aside, as the
    file readers leave them.
    """
    found: dict[str, str] = {}
    unknown: list[str] = []
    twice: list[str] = []
    for name in frame.columns:
        field = match_header(name)
        if name == line and field is None:
            continue  # the position only (a line that names a field is read as it too)
        if field is None:
            unknown.append(name)
        elif field in found:
            twice.append(f"{found[field]!r} and {name!r} both name {field}")
        elif field != IGNORED and field in wanted:
            found[field] = name
    if unknown:
        units = unit_notes(unknown, table=True)
        raise EvaluationInputError(
            what,
            unknown,
            "these columns name no field (docs/cli.md lists the headers read); select the "
            "record columns or drop these before judging"
            + ("" if units is None else f"; {units.en}"),
        )
    if twice:
        raise EvaluationInputError(what, twice, "one field may be named by one column only")
    if line is not None and line not in frame.columns:
        raise EvaluationInputError("line", line, f"is not a column of {what}")
    return found


def _ref(name: str) -> Column:
    """A column by its literal name (dots and backticks in a header are not paths)."""
    return F.col("`" + name.replace("`", "``") + "`")


def _cell(frame: DataFrame, original: str, name: str) -> Column:
    """A column of records or persons as the executors read it, named ``name``.

    A text as it is (an empty text is an empty cell), an integer as its digits; any other
    value (a double, a decimal, a date, a timestamp, a boolean, an array) as itself, read
    on the executor as ``evaluate_table`` reads it (``_table.cell_texts``): Spark's cast
    to string would write a double otherwise (``1.0E7``) and a timestamp in the session's
    time zone without its offset.
    """
    data = _ref(original)
    dtype = frame.schema[original].dataType
    if isinstance(dtype, T.StringType):
        return F.when(data == "", F.lit(None)).otherwise(data).alias(name)
    if isinstance(dtype, T.ByteType | T.ShortType | T.IntegerType | T.LongType | T.NullType):
        return data.cast(T.StringType()).alias(name)
    if isinstance(dtype, T.StructType | T.MapType | T.BinaryType):
        raise EvaluationInputError(
            original, dtype.simpleString(), "a cell must be text, a number, a date or a list"
        )
    return data.alias(name)


def _line(frame: DataFrame, line: str) -> Column:
    dtype = frame.schema[line].dataType
    if not isinstance(dtype, T.ByteType | T.ShortType | T.IntegerType | T.LongType):
        raise EvaluationInputError("line", line, f"must be a column of integers, not {dtype}")
    return _ref(line).cast(T.LongType())


def _schemas(
    policy: Policy, year: int, as_of: date | None
) -> tuple[pa.Schema, pa.Schema, pa.Schema]:
    """The Arrow schemas of the three frames, from an empty judgement of the same policy."""
    frames = evaluate_tables([], year=year, policy=policy, as_of=as_of).frames()
    verdicts, decisions, invalid = (
        pa.schema([pa.field(f.name, _plain(f.type)) for f in frame.to_arrow().schema])
        for frame in frames
    )
    return verdicts, decisions, invalid


def _plain(kind: pa.DataType) -> pa.DataType:
    """An Arrow type as Spark exchanges it: ``string`` and ``list``, not their large forms."""
    if pa.types.is_large_string(kind) or pa.types.is_string(kind) or _is_view(kind):
        return pa.string()
    if pa.types.is_large_list(kind) or pa.types.is_list(kind):
        return pa.list_(_plain(kind.value_type))
    return kind


def _is_view(kind: pa.DataType) -> bool:
    return str(kind) == "string_view"


def _spark_type(kind: pa.DataType) -> T.DataType:
    """The Spark type of one of the few Arrow types the frames hold."""
    if pa.types.is_string(kind):
        return T.StringType()
    if pa.types.is_boolean(kind):
        return T.BooleanType()
    if pa.types.is_int32(kind):
        return T.IntegerType()
    if pa.types.is_int64(kind):
        return T.LongType()
    if pa.types.is_decimal(kind):
        return T.DecimalType(kind.precision, kind.scale)
    if pa.types.is_list(kind):
        return T.ArrayType(_spark_type(kind.value_type))
    if pa.types.is_struct(kind):
        return T.StructType([T.StructField(f.name, _spark_type(f.type)) for f in kind])
    raise TypeError(f"no Spark type for {kind}")  # pragma: no cover - a new column type


def _spark_schema(schema: pa.Schema) -> T.StructType:
    return T.StructType([T.StructField(f.name, _spark_type(f.type)) for f in schema])


def _keyed(rows: DataFrame, name: str) -> DataFrame:
    """``rows`` with the person id their column ``name`` gives as ``parse_id`` reads it.

    As ``_PERSON``, null if it cannot be read. The key that brings a person's records
    together must be the parsed id: a full-width, zero-width or lower-case-x spelling is
    the same person, and only the one parser knows every such rule. Nearly every id is
    plain text, which ``parse_id`` takes as it is: those are keyed by Spark (the test of
    ``_cells._PLAIN_ID``, in Java's syntax), and only the others go through Python to be
    parsed (all of them, when ids are typed values: decimals, doubles). The records are
    read twice, once for each kind.
    """
    schema = T.StructType([*rows.schema.fields, T.StructField(_PERSON, T.StringType())])
    if name not in rows.columns:
        return rows.withColumn(_PERSON, F.lit(None).cast(T.StringType()))
    raw = F.col(name)
    parse = functools.partial(_person_keys, name)
    if not isinstance(rows.schema[name].dataType, T.StringType):
        return rows.mapInArrow(parse, schema)
    plain = F.coalesce(
        raw.rlike(r"\A[0-9A-Za-z_\-]{1,64}\z")
        & ~raw.isin("\\N", "NULL", "null")
        & ~((F.length(raw) == 18) & raw.endswith("x")),
        F.lit(False),
    )
    easy = rows.where(plain).withColumn(_PERSON, raw)
    odd = rows.where(~plain).mapInArrow(parse, schema)
    return easy.unionByName(odd)


# --- the executors: keys, then judgement -----------------------------------------------------


class _ExecutorInputError(EvaluationInputError):
    """A refusal raised on an executor (``field=value: message``), raised on the driver."""

    def __init__(self, text: str) -> None:
        field, _, rest = text.partition("=")
        value, _, message = rest.partition(": ")
        self.field, self.value, self.message = field, value, message
        ValueError.__init__(self, text)


def _judge_now(judged: DataFrame) -> None:
    """Judges every partition now, into the persisted frame.

    A refusal raised on an executor (a record without a line, a ``persons`` list that
    contradicts itself) is raised here, as an ``EvaluationInputError``, before the caller
    writes anything (and before ``mode("overwrite")`` drops the table it would replace).
    """
    try:
        judged.count()
    except PythonException as error:
        found = re.search(r"EvaluationInputError: (.+)", str(error))
        if found is None:
            raise
        judged.unpersist()
        raise _ExecutorInputError(found.group(1).strip()) from None


def _in_utc(table: pa.Table) -> pa.Table:
    """``table`` with its timestamps labelled UTC: the same instants, whatever the session's zone.

    Spark labels them with ``spark.sql.session.timeZone``, which may be a name polars
    does not read (``GMT+8``, ``CTT``); the instant is what is read (its day is China's,
    ``_cells.moment_days``), and UTC shows a moment alike in every session.
    """
    fields = list(table.schema)
    if not any(pa.types.is_timestamp(f.type) and f.type.tz not in (None, "UTC") for f in fields):
        return table
    schema = pa.schema(
        [
            f.with_type(pa.timestamp(f.type.unit, "UTC"))
            if pa.types.is_timestamp(f.type) and f.type.tz is not None
            else f
            for f in fields
        ]
    )
    return table.cast(schema)


def _person_keys(name: str, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Each row with the person id of its column ``name`` as ``parse_id`` reads it (or null)."""
    import polars as pl

    person = column("person_id")
    for batch in batches:
        frame = pl.from_arrow(_in_utc(pa.Table.from_batches([batch]).select([name])))
        assert isinstance(frame, pl.DataFrame)
        texts, typed = cell_texts(frame, {name: name})
        raw = texts.get_column(name)
        values = typed.get(name, {})
        known: dict[str, str | None] = {}
        if values:  # typed values are all read by the parser
            plain = pl.repeat(False, raw.len(), dtype=pl.Boolean, eager=True)
        else:
            plain = raw.to_frame("id").select(_plain_id(pl.col("id"))).to_series()
        for value in raw.filter(~plain & raw.is_not_null()).unique().to_list():
            try:
                known[value] = parse_cell(person, values.get(value, value))
            except CellError:
                known[value] = None
        parsed = raw.replace_strict(known, default=None, return_dtype=pl.String) if known else None
        ids = (
            raw
            if parsed is None
            else pl.select(pl.when(plain).then(raw).otherwise(parsed)).to_series()
        )
        yield batch.append_column(_PERSON, ids.to_arrow().cast(pa.string()))


def _judge(judging: _Judging, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """One partition's records and persons judged by ``evaluate_tables``, as three parts."""
    judged = _judged(judging, batches)
    if judged is not None:
        for number, part in enumerate(judged):
            yield from _part(judging, number, part)


def _judged(judging: _Judging, batches: Iterator[pa.RecordBatch]) -> Frames | None:
    """The frames of one partition (None if it is empty).

    A function of its own so that the partition's rows and the engine's working tables are
    freed when it returns, before the results are sent: a Python worker holds them all.
    """
    import polars as pl

    received = list(batches)
    if not sum(batch.num_rows for batch in received):
        return None
    table = _in_utc(pa.Table.from_batches(received))
    del received
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    del table
    known = _known(frame.filter(pl.col(_KIND) == _PERSON_ROW), judging.person_fields)
    fields = list(judging.fields)
    rows = frame.filter(pl.col(_KIND) == _RECORD)
    del frame
    # Each cell as evaluate_table reads it: a typed value by the parser, from the value.
    texts, typed = cell_texts(rows, {name: name for name in fields})
    # Each person's entries in the order of their lines, then of their cells: the same
    # rows give the same order, whichever partition and batch they arrived in.
    records = (
        texts.with_columns(rows.get_column(_LINE).alias(_LINE))
        .sort([_LINE, *fields], nulls_last=True)
        .select(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("item"),
            pl.col(_LINE).alias("line"),
            *fields,
        )
    )
    del rows, texts
    if not records.height and not known:
        return None
    if judging.has_line:
        _check_lines(records)
    batch = TableBatch(judging.source, records, [], {}, typed)
    verdicts, decisions, invalid = evaluate_tables(
        [batch] if records.height else [],
        year=judging.year,
        policy=judging.policy,
        as_of=judging.as_of,
        persons=known,
        default_unit=judging.default_unit,
        default_mode=judging.default_mode,
    ).frames()
    index = pl.col("line") - 1 if judging.has_line else pl.lit(None, dtype=pl.Int64)
    return Frames(verdicts, decisions, invalid.with_columns(index.alias("index")))


def _part(judging: _Judging, number: int, part: pl.DataFrame) -> Iterator[pa.RecordBatch]:
    """A frame's rows as batches of the output: its struct filled, the others null."""
    table = part.to_arrow().cast(judging.schemas[number])
    for batch in table.to_batches(max_chunksize=_CHUNK):
        rows = batch.num_rows
        columns: list[pa.Array] = [pa.array([number] * rows, pa.int32())]
        for other, schema in enumerate(judging.schemas):
            kind = pa.struct(list(schema))
            if other == number:
                columns.append(pa.StructArray.from_arrays(batch.columns, fields=list(schema)))
            else:
                columns.append(pa.nulls(rows, kind))
        yield pa.RecordBatch.from_arrays(columns, schema=judging.output)


def _check_lines(records: pl.DataFrame) -> None:
    """Refuses a line that is no position (null, or below 1): its record could not be found.

    Raised on the executor, it fails the job, with this message in Spark's error.
    """
    import polars as pl

    line = pl.col("line")
    found = records.filter(line.is_null() | (line < 1))
    if found.height:
        whose = ""
        if "person_id" in found.columns and found.get_column("person_id")[0] is not None:
            whose = f"; the first without one is a record of person {found['person_id'][0]}"
        raise EvaluationInputError(
            "line",
            found.get_column("line")[0],
            "every record needs a line of 1 or more (its position: a line number, 行号)" + whose,
        )


def _known(rows: pl.DataFrame, names: Sequence[str]) -> dict[str, Person]:
    """The persons of ``persons`` in this partition, read as ``ce-rules check --persons``."""
    import polars as pl

    known: dict[str, Person] = {}
    rows = rows.select(pl.col(_ABOUT + name).alias(name) for name in names)
    for row in rows.iter_rows(named=True):
        try:
            person = person_of_cells(row)
        except PersonRowError as error:
            raise EvaluationInputError(
                f"persons.{error.field}", error.value, error.reason.en
            ) from None
        first = known.setdefault(person.id, person)
        if first != person:
            # Two different descriptions of one person: neither may silently win.
            differ = [
                f"{name} {getattr(first, name)!r} and {getattr(person, name)!r}"
                for name in type(person).model_fields
                if getattr(first, name) != getattr(person, name)
            ]
            raise EvaluationInputError(
                "persons",
                person.id,
                f"describes this person twice, differently: {'; '.join(differ)}",
            )
    return known
