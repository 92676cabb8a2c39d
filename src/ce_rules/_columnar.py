"""The columnar engine: a table of many persons' entries judged at once, on polars.

It judges exactly as ``evaluate`` does (docs/concepts.md, "How an entry is decided"), and
``tests/test_columnar.py`` proves it field by field on generated cases: the order of the
checks, facts the records do not give (decision 11), duplicates and pending copies
(decisions 4 and 5), credit factors (二(三)), the platform rule (二(二)), requirements,
statuses, findings and fingerprints. Each rule kind's part is its module's columnar form
(``ce_rules.kinds``), beside its scalar one.

Hours are whole numbers of ten-thousandths of an hour (``UNITS_PER_HOUR``): every hour of
an entry (two places) times every factor (two places) is one, so every sum is exact.

Input: ``entries``, one row per valid entry (``ENTRY_SCHEMA``), and ``persons``, one row
per person to judge (``PERSON_SCHEMA``). Output: ``Judged``, a frame of decisions (one row
per entry) and a frame of verdicts (one row per person), sorted by person id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from . import kinds
from ._policy import Policy
from ._verdict import Reason
from ._vocabulary import Category, EntryStatus, Mode, UnitLevel
from .kinds import (
    CategoryDeadlineRule,
    CreditFactorRule,
    KeyTopicsRule,
    RecognisedPlatformsRule,
    category_deadline,
    credit_factor,
    key_topics,
    min_hours,
    min_share,
    recognised_platforms,
)
from .kinds._base import UNITS_PER_HOUR, ColumnarTotals

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "ENTRY_SCHEMA",
    "PERSON_SCHEMA",
    "Judged",
    "hours_text",
    "judge_table",
]

#: The columns of the entries table, with their polars types (by name, so that this module
#: imports polars only when it judges).
ENTRY_SCHEMA: Final = {
    "person_id": "String",
    "item": "Int64",
    "entry_id": "String",
    "course_id": "String",
    "course_title": "String",
    "category": "String",
    "hours": "Int64",
    "entry_hours": "Int64",
    "mode": "String",
    "platform": "String",
    "featured": "Boolean",
    "topics": "List(String)",
    "role": "String",
    "completed_on": "Date",
    "credited_year": "Int32",
    "certificate_no": "String",
    "status": "String",
}
#: The columns of the persons table.
PERSON_SCHEMA: Final = {
    "person_id": "String",
    "name": "String",
    "unit": "String",
    "city": "String",
    "industry": "String",
}
_FINGERPRINT_SCHEME: Final = "ce-rules/verdict-fingerprint/2"
#: The worlds the facts a record may leave unknown could make: unit level, mode, featured,
#: in the order ``evaluate`` tries them (``_engine._open_facts``).
_WORLDS: Final = tuple(
    (unit, mode, featured) for unit in UnitLevel for mode in Mode for featured in (False, True)
)


@dataclass(frozen=True)
class Judged:
    """What the columnar engine decided.

    Attributes:
        decisions: One row per entry, sorted by person id and index: the fields of
            ``EntryDecision`` (hours in units), with ``person_id`` and ``item`` (the bulk
            judgement adds ``source`` and ``line``), and ``refused_platform``: the
            platform of an entry a platform rule excludes, which its message names.
        verdicts: One row per person, sorted by person id: status, compliance, the
            certificate, the missing facts, one struct per requirement (``requirements``),
            the findings' codes (``findings``) and the fingerprint (if asked for).
    """

    decisions: pl.DataFrame
    verdicts: pl.DataFrame


def hours_text(units: pl.Expr) -> pl.Expr:
    """Hours in units as ``format_hours`` writes them: exact, without trailing zeros."""
    import polars as pl

    whole = (units // UNITS_PER_HOUR).cast(pl.String)
    fraction = (units % UNITS_PER_HOUR).cast(pl.String).str.zfill(4).str.strip_chars_end("0")
    return (
        pl.when(fraction == "")
        .then(whole)
        .otherwise(pl.concat_str([whole, fraction], separator="."))
    )


def _units(value: Decimal) -> int:
    return int(value * UNITS_PER_HOUR)


def _first(conditions: Sequence[tuple[pl.Expr, str]]) -> pl.Expr:
    """The value of the first condition that holds, else null (a when/then chain)."""
    import polars as pl

    if not conditions:
        return pl.lit(None, dtype=pl.String)
    (condition, value), *rest = conditions
    chain: Any = pl.when(condition).then(pl.lit(value))
    for condition, value in rest:
        chain = chain.when(condition).then(pl.lit(value))
    result: pl.Expr = chain.otherwise(pl.lit(None, dtype=pl.String))
    return result


def _factor_rule(
    rules: Sequence[CreditFactorRule], role: pl.Expr, featured: pl.Expr, category: pl.Expr
) -> pl.Expr:
    """The code of the first factor rule that applies (null: the hours count once)."""
    return _first(
        [(credit_factor.applies_expr(r, role, featured, category), r.code) for r in rules]
    )


def _factor_of(rules: Sequence[CreditFactorRule], code: pl.Expr) -> pl.Expr:
    """A factor rule's factor in hundredths (100: once), from its code."""
    import polars as pl

    chain: Any = pl.when(code.is_null()).then(100)
    for rule in rules:
        chain = chain.when(code == rule.code).then(int(rule.factor * 100))
    result: pl.Expr = chain.otherwise(100).cast(pl.Int64)
    return result


def _rule_value(rules: Sequence[CreditFactorRule], code: pl.Expr, value: Any) -> pl.Expr:
    """``value(rule)`` of the factor rule named by ``code`` (null: no rule, or no value)."""
    import polars as pl

    chain: Any = pl.when(code.is_null()).then(None)
    for rule in rules:
        chain = chain.when(code == rule.code).then(pl.lit(value(rule)))
    result: pl.Expr = chain.otherwise(None)
    return result


def _broken_rule(
    rules: Sequence[RecognisedPlatformsRule],
    unit: pl.Expr,
    mode: pl.Expr,
    category: pl.Expr,
    role: pl.Expr,
    platform: pl.Expr,
) -> pl.Expr:
    """The code of the first platform rule that excludes the entry (null: none does)."""
    return _first(
        [
            (recognised_platforms.excludes_expr(r, unit, mode, category, role, platform), r.code)
            for r in rules
        ]
    )


#: A world of the facts an entry's records may leave unknown: its unit level, its mode,
#: whether its course is featured, and whether the entry can be in it.
_World = tuple["pl.Expr", "pl.Expr", "pl.Expr", "pl.Expr"]


def _open_worlds() -> list[_World]:
    """Every world of ``_WORLDS``, each possible where the entry's known facts allow it."""
    import polars as pl

    worlds: list[_World] = []
    for unit, mode, featured in _WORLDS:
        can = (
            (pl.col("unit").is_null() | (pl.col("unit") == unit.value))
            & (pl.col("mode").is_null() | (pl.col("mode") == mode.value))
            & (pl.col("featured").is_null() | (pl.col("featured") == featured))
        )
        if featured:
            # Only an online public course can be featured (二(三)).
            can = can & (pl.col("category") == Category.PUBLIC.value) & (mode is Mode.ONLINE)
        worlds.append((pl.lit(unit.value), pl.lit(mode.value), pl.lit(featured), can))
    return worlds


def _outcomes(
    frame: pl.DataFrame,
    worlds: Sequence[_World],
    factor_rules: Sequence[CreditFactorRule],
    platform_rules: Sequence[RecognisedPlatformsRule],
) -> pl.DataFrame:
    """``frame`` with what its entries' possible ``worlds`` make of them.

    Added: ``all_excluded`` (a platform rule excludes the entry in every possible world),
    ``first_broken`` (the first such rule), ``low`` and ``high`` (the least and most units
    credited), ``differs`` (the worlds disagree), ``missing`` (the unknown facts that decide
    it) and ``maybe`` (the rule that would decide it).
    """
    import polars as pl

    category, role, platform = pl.col("category"), pl.col("role"), pl.col("platform")
    columns = []
    for i, (unit, mode, featured, can) in enumerate(worlds):
        excluding = _broken_rule(platform_rules, unit, mode, category, role, platform)
        factor = _factor_of(factor_rules, _factor_rule(factor_rules, role, featured, category))
        columns += [
            can.alias(f"possible_{i}"),
            excluding.alias(f"broken_{i}"),
            pl.when(excluding.is_null())
            .then(pl.col("effective") * factor // 100)
            .otherwise(None)
            .alias(f"value_{i}"),
        ]
    frame = frame.with_columns(columns)
    possible = [pl.col(f"possible_{i}") for i in range(len(worlds))]
    broken = [pl.col(f"broken_{i}") for i in range(len(worlds))]
    value = [pl.col(f"value_{i}") for i in range(len(worlds))]
    credit = [pl.when(p).then(pl.coalesce(v, 0)) for p, v in zip(possible, value, strict=True)]
    all_excluded = pl.all_horizontal(
        [~p | b.is_not_null() for p, b in zip(possible, broken, strict=True)]
    )
    first_broken = pl.coalesce([pl.when(p).then(b) for p, b in zip(possible, broken, strict=True)])
    frame = frame.with_columns(
        all_excluded.alias("all_excluded"),
        first_broken.alias("first_broken"),
        pl.min_horizontal(credit).alias("low"),
        pl.max_horizontal(credit).alias("high"),
        (_differs(possible, value) if len(worlds) > 1 else pl.lit(value=False)).alias("differs"),
    )
    nothing = pl.lit([], dtype=pl.List(pl.String))
    if len(worlds) > 1:
        frame = frame.with_columns(
            pl.when(pl.col("all_excluded") | ~pl.col("differs"))
            .then(nothing)
            .otherwise(_missing(possible, value))
            .alias("missing"),
            # The rule that would decide an open entry: the platform rule that excludes it
            # in some world, else the factor rule of the world credited the most.
            pl.when(pl.col("differs") & ~pl.col("all_excluded"))
            .then(
                pl.coalesce(
                    pl.col("first_broken"), _most_rule(factor_rules, worlds, possible, value)
                )
            )
            .otherwise(None)
            .alias("maybe"),
        )
    else:
        frame = frame.with_columns(
            nothing.alias("missing"), pl.lit(None, dtype=pl.String).alias("maybe")
        )
    return frame.drop(
        *(f"{name}_{i}" for name in ("possible", "broken", "value") for i in range(len(worlds)))
    )


def judge_table(
    entries: pl.DataFrame,
    persons: pl.DataFrame,
    *,
    year: int,
    policy: Policy,
    as_of: date | None,
    fingerprints: bool = True,
) -> Judged:
    """Judge every person of ``persons`` on their rows of ``entries``, as ``evaluate`` would.

    The caller has checked ``year`` and ``as_of`` and resolved ``policy`` (not an
    overlay); ``entries`` holds valid entries only (the invalid records were told apart
    before) and every person of ``entries`` is in ``persons``. Both may carry ``person``,
    each person's number in the order of their ids (``_table._people``); the verdicts do
    not.
    """
    import polars as pl

    rules = policy.rules
    factor_rules = [r for r in rules if isinstance(r, CreditFactorRule)]
    platform_rules = [r for r in rules if isinstance(r, RecognisedPlatformsRule)]
    deadline_rules = [r for r in rules if isinstance(r, CategoryDeadlineRule)]
    topic_rules = list(policy.topic_rules)

    # Each person by number, in the order of their ids (the caller's numbers, ``person``
    # in both tables, or numbered here): grouping, ranking and sorting by a number instead
    # of the id's text. The entries in that order, a person's in the input's: an entry's
    # index is its place among its person's, and ``row`` its place.
    if "person" in entries.columns:
        persons = persons.sort("person")
        frame = entries.join(persons.select("person", "unit"), on="person", how="left")
    else:
        persons = persons.sort("person_id").with_row_index("person")
        frame = entries.join(
            persons.select("person_id", "person", "unit"), on="person_id", how="left"
        )
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    first = (pl.col("person") != pl.col("person").shift(1)).fill_null(value=True)
    frame = frame.sort(pl.col("person").cast(pl.Int64) * 2**32 + pl.col("item"))
    frame = frame.with_columns(
        row.alias("row"),
        (row - pl.when(first).then(row).forward_fill()).alias("index"),
        pl.coalesce("credited_year", pl.col("completed_on").dt.year()).alias("year"),
        pl.coalesce("entry_hours", "hours").alias("effective"),
    )
    category, role = pl.col("category"), pl.col("role")

    # The worlds of the unknown facts (decision 11): which are possible for each entry, and
    # what each makes of it. An entry whose facts are all known has one world, its own;
    # the others are tried in every world their unknown facts could make. What the worlds
    # make of an entry depends only on the facts below: each distinct combination of them
    # is tried once, and the entries look their outcome up.
    known = (
        pl.col("unit").is_not_null()
        & pl.col("mode").is_not_null()
        & pl.col("featured").is_not_null()
    )
    own: list[_World] = [(pl.col("unit"), pl.col("mode"), pl.col("featured"), pl.lit(value=True))]
    facts = ["unit", "mode", "featured", "category", "role", "platform", "effective"]
    combinations = frame.select(facts).unique()
    outcomes = pl.concat(
        [
            _outcomes(combinations.filter(known), own, factor_rules, platform_rules),
            _outcomes(combinations.filter(~known), _open_worlds(), factor_rules, platform_rules),
        ]
    )
    looked = frame.select(facts).join(
        outcomes, on=facts, how="left", nulls_equal=True, maintain_order="left"
    )
    frame = frame.with_columns(looked.drop(facts))

    # The checks in their order (docs/concepts.md): year, as_of, a local category
    # deadline, the platform rule, the review status; then duplicates.
    missed = _first(
        [
            (
                category_deadline.missed_expr(r, category, pl.col("year"), pl.col("completed_on")),
                r.code,
            )
            for r in deadline_rules
        ]
    )
    # The factor rule an entry is credited under for certain (a featured flag still unknown
    # counts as not featured): its factor, the category it counts toward, and whether its
    # course is credited once a year (二(三)).
    factor_code = _factor_rule(
        factor_rules, role, pl.col("featured").fill_null(value=False), category
    )
    frame = frame.with_columns(factor_code.alias("factor_rule"))
    code = pl.col("factor_rule")
    frame = frame.with_columns(
        _factor_of(factor_rules, code).alias("factor"),
        _rule_value(factor_rules, code, lambda r: r.toward.value if r.toward else None)
        .fill_null(category)
        .alias("toward"),
        _rule_value(factor_rules, code, lambda r: r.once_per_course_year)
        .fill_null(value=False)
        .alias("once"),
    )
    stage: Any = pl.when(pl.col("year") != year).then(pl.lit(Reason.OTHER_YEAR.value))
    if as_of is not None:
        stage = stage.when(pl.col("completed_on") > as_of).then(pl.lit(Reason.AFTER_AS_OF.value))
    stage = (
        stage.when(missed.is_not_null())
        .then(pl.lit(Reason.AFTER_CATEGORY_DEADLINE.value))
        .when(pl.col("all_excluded"))
        .then(pl.lit(Reason.PLATFORM_NOT_RECOGNISED.value))
        .when(pl.col("status") != EntryStatus.APPROVED.value)
        .then(pl.col("status"))
        .when(pl.col("high") == 0)
        .then(pl.lit(Reason.NOT_CREDITED.value))
        .when(pl.col("differs"))
        .then(pl.lit(Reason.UNDETERMINED.value))
        .otherwise(pl.lit(Reason.COUNTED.value))
    )
    deciding = (
        pl.when(missed.is_not_null())
        .then(missed)
        .when(pl.col("all_excluded"))
        .then(pl.col("first_broken"))
        .otherwise(pl.col("maybe"))
    )
    frame = frame.with_columns(stage.alias("stage"), missed.alias("missed"))
    frame = frame.with_columns(
        pl.when(pl.col("stage").is_in([Reason.OTHER_YEAR.value, Reason.AFTER_AS_OF.value]))
        .then(None)
        .when(pl.col("stage") == Reason.NOT_CREDITED.value)
        .then(pl.col("factor_rule"))
        .otherwise(deciding)
        .alias("deciding"),
        pl.when(pl.col("once")).then(None).otherwise(pl.col("completed_on")).alias("copy_day"),
        pl.coalesce("low", 0).alias("credited_low"),
    )

    # Duplicates (decision 4): of the approved entries of one course, role and day, the one
    # credited most counts, then the least canonical form, then the first.
    candidate = pl.col("stage").is_in([Reason.COUNTED.value, Reason.UNDETERMINED.value])
    pending = pl.col("stage") == Reason.PENDING.value
    group = ["person", "course_id", "role", "copy_day"]
    # Most entries share their group with no other: each is its own first copy. Only the
    # groups of several copies are ranked, apart, and their places looked up by row.
    frame = frame.with_columns(pl.struct(group).is_duplicated().alias("several"))
    needed = ["row", *group, "stage", "index", "credited_low", "high", "completed_on"]
    copies = frame.select(*dict.fromkeys([*needed, *_KEY_COLUMNS, "several"])).filter("several")
    copies = _with_entry_key(copies)
    copies = _with_rank(copies, candidate, group, "candidate_rank")
    copies = _with_rank(copies, pending, group, "pending_rank")
    kept = copies.filter(candidate & (pl.col("candidate_rank") == 0)).select(
        *group,
        pl.col("index").alias("kept_index"),
        pl.col("credited_low").alias("kept_credited"),
        pl.col("completed_on").alias("kept_day"),
    )
    ranked = ("candidate_rank", "pending_rank", "kept_index", "kept_credited", "kept_day")
    copies = copies.join(kept, on=group, how="left", nulls_equal=True).select("row", *ranked)
    looked = frame.select("row").join(copies, on="row", how="left", maintain_order="left")
    single = (
        pl.when(candidate).then(0),
        pl.when(pending).then(0),
        pl.when(candidate).then(pl.col("index")),
        pl.when(candidate).then(pl.col("credited_low")),
        pl.when(candidate).then(pl.col("completed_on")),
    )
    frame = frame.with_columns(looked.select(ranked)).with_columns(
        pl.when(pl.col("several")).then(pl.col(name)).otherwise(alone).alias(name)
        for name, alone in zip(ranked, single, strict=True)
    )
    duplicate = candidate & (pl.col("candidate_rank") > 0)
    best_pending = pending & (pl.col("pending_rank") == 0)
    would_add = (
        pl.when(best_pending)
        .then(pl.max_horizontal(pl.col("credited_low") - pl.coalesce("kept_credited", 0), 0))
        .otherwise(0)
    )
    # A copy of the same day is a duplicate (decision 4); another day's entry of a course
    # credited once a year was credited already (二(三)).
    reason = (
        pl.when(duplicate & (pl.col("completed_on") == pl.col("kept_day")))
        .then(pl.lit(Reason.DUPLICATE.value))
        .when(duplicate)
        .then(pl.lit(Reason.ALREADY_CREDITED.value))
        .otherwise(pl.col("stage"))
    )
    frame = frame.with_columns(
        reason.alias("reason"),
        pl.when(duplicate).then(pl.col("kept_index")).otherwise(None).alias("duplicate_of"),
        would_add.alias("would_add"),
    )
    counted_reason = pl.col("reason") == Reason.COUNTED.value
    open_reason = pl.col("reason") == Reason.UNDETERMINED.value
    frame = frame.with_columns(
        pl.when(counted_reason)
        .then(pl.col("effective") * pl.col("factor") // 100)
        .when(open_reason)
        .then(pl.col("credited_low"))
        .otherwise(0)
        .alias("credited"),
        pl.when(open_reason).then(pl.col("high") - pl.col("low")).otherwise(0).alias("open"),
        pl.when(open_reason)
        .then(pl.col("missing"))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        .alias("missing_facts"),
        pl.when(counted_reason)
        .then(pl.col("factor_rule"))
        .otherwise(pl.col("deciding"))
        .alias("rule"),
    )
    frame = frame.with_columns(
        (pl.col("credited") > 0).alias("counted"),
        pl.col("topics").list.len().alias("topic_count"),
    )
    verdicts = _verdicts(frame, persons, policy, year, as_of, topic_rules, fingerprints)
    decisions = frame.select(
        "row", "person_id", "item", "index", "entry_id", "course_id", "category", "role",
        pl.col("year").alias("credited_year"), pl.col("effective").alias("hours"), "factor",
        pl.col("credited").alias("credited_hours"), "would_add",
        pl.col("open").alias("undetermined_hours"), "missing_facts", "counted", "reason",
        "rule", "duplicate_of", "factor_rule", "deciding",
        pl.col("credited_low").alias("low"), pl.col("high").fill_null(0).alias("high"),
        pl.when(pl.col("reason") == Reason.PLATFORM_NOT_RECOGNISED.value)
        .then(pl.col("platform"))
        .alias("refused_platform"),
    ).sort("row").drop("row")  # fmt: skip
    return Judged(decisions, verdicts)


def _differs(possible: list[pl.Expr], value: list[pl.Expr]) -> pl.Expr:
    """Whether the possible worlds disagree on the entry: excluded or credited differently."""
    import polars as pl

    signature = [pl.when(p).then(pl.coalesce(v, -1)) for p, v in zip(possible, value, strict=True)]
    # Excluded is -1 (no credit is negative); impossible worlds are null and left out.
    low = pl.min_horizontal(signature)
    high = pl.max_horizontal(signature)
    return low != high


def _missing(possible: list[pl.Expr], value: list[pl.Expr]) -> pl.Expr:
    """The unknown facts that change the outcome, each alone (else all that are unknown)."""
    import polars as pl

    outcome = [pl.coalesce(v, -1) for v in value]

    def differ_on(position: int) -> pl.Expr:
        pairs = []
        for a, wa in enumerate(_WORLDS):
            for b, wb in enumerate(_WORLDS):
                if (
                    a < b
                    and all(wa[k] == wb[k] for k in range(3) if k != position)
                    and wa[position] != wb[position]
                ):
                    pairs.append(possible[a] & possible[b] & (outcome[a] != outcome[b]))
        return pl.any_horizontal(pairs)

    unit_open, mode_open, featured_open = (
        pl.col("unit").is_null(),
        pl.col("mode").is_null(),
        pl.col("featured").is_null(),
    )
    each = [
        (unit_open & differ_on(0), "unit"),
        (mode_open & differ_on(1), "mode"),
        (featured_open & differ_on(2), "featured"),
    ]
    found = pl.concat_list(
        [pl.when(c).then(pl.lit(name)).otherwise(None) for c, name in each]
    ).list.drop_nulls()
    every = pl.concat_list(
        [
            pl.when(o).then(pl.lit(name)).otherwise(None)
            for o, name in ((unit_open, "unit"), (mode_open, "mode"), (featured_open, "featured"))
        ]
    ).list.drop_nulls()
    return pl.when(found.list.len() > 0).then(found).otherwise(every)


def _most_rule(
    rules: Sequence[CreditFactorRule],
    worlds: Sequence[_World],
    possible: list[pl.Expr],
    value: list[pl.Expr],
) -> pl.Expr:
    """The factor rule of the first possible world credited the most."""
    import polars as pl

    credit = [pl.when(p).then(pl.coalesce(v, 0)) for p, v in zip(possible, value, strict=True)]
    high = pl.max_horizontal(credit)
    choices = []
    for (_, _, featured, _), p, c in zip(worlds, possible, credit, strict=True):
        rule = _factor_rule(rules, pl.col("role"), featured, pl.col("category"))
        choices.append(pl.when(p & (c == high)).then(rule))
    return pl.coalesce(choices)


def _with_rank(frame: pl.DataFrame, among: pl.Expr, group: list[str], name: str) -> pl.DataFrame:
    """``frame`` with each entry's place among the copies ``among`` of its group as ``name``.

    0 for the one that counts: most credited first (the least credited, then the most,
    where facts are missing: ``_engine._Details.keep``), then the least canonical form,
    then the first in the input; null outside ``among``. ``frame`` has each entry's
    canonical form as ``key`` (``_with_entry_key``).
    """
    import polars as pl

    order = (
        -pl.col("credited_low"),
        -pl.coalesce("high", "credited_low"),
        pl.col("key"),
        pl.col("index"),
    )
    # In that order, an entry's place among its group's is its rank (the index, unique
    # within a person, leaves no tie).
    rank = pl.int_range(pl.len(), dtype=pl.Int64).over([*group, among.alias("__among")])
    return frame.sort(*order).with_columns(pl.when(among).then(rank).alias(name))


#: The columns of a course's canonical form (``_with_entry_key``).
_COURSE_COLUMNS: Final = (
    "course_id", "course_title", "category", "hours", "mode", "platform", "featured", "topics",
)  # fmt: skip
#: The columns the canonical form of an entry is made of (``_with_entry_key``).
_KEY_COLUMNS: Final = (
    "entry_id", "person_id", "course_id", "course_title", "category", "hours", "mode",
    "platform", "featured", "topics", "role", "completed_on", "entry_hours", "credited_year",
    "certificate_no", "status",
)  # fmt: skip


def _with_entry_key(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``key``, the canonical form of each entry (``_engine._entry_key``).

    For tie-breaks and fingerprints. The canonical text of a course and of a day is made
    once for each distinct course and day of ``frame`` (few), and looked up.
    """
    import polars as pl

    sep = "\x1f"
    featured = (
        pl.when(pl.col("featured").is_null())
        .then(pl.lit(""))
        .when(pl.col("featured"))
        .then(pl.lit("1"))
        .otherwise(pl.lit("0"))
    )
    course = pl.concat_str(
        [
            pl.col("course_id"),
            pl.col("course_title"),
            pl.col("category"),
            hours_text(pl.col("hours")),
            pl.col("mode").fill_null(""),
            pl.col("platform").fill_null(""),
            featured,
            pl.col("topics").list.join(",").fill_null(key_topics.NOT_RECORDED_TEXT),
        ],
        separator=sep,
    )
    texts = {
        "course_key": (list(_COURSE_COLUMNS), course),
        "day_key": (["completed_on"], pl.col("completed_on").dt.strftime("%Y-%m-%d")),
    }
    looked = []
    for name, (columns, text) in texts.items():
        distinct = frame.select(columns).unique().with_columns(text.alias(name))
        looked.append(
            frame.select(columns).join(
                distinct, on=columns, how="left", nulls_equal=True, maintain_order="left"
            )[name]
        )
    key = pl.concat_str(
        [
            pl.col("entry_id").fill_null(""),
            pl.col("person_id"),
            pl.col("course_key"),
            pl.col("role"),
            pl.col("day_key"),
            pl.when(pl.col("entry_hours").is_null())
            .then(pl.lit(""))
            .otherwise(hours_text(pl.col("entry_hours"))),
            pl.col("credited_year").cast(pl.String).fill_null(""),
            pl.col("certificate_no").fill_null(""),
            pl.col("status"),
        ],
        separator=sep,
    )
    return frame.with_columns(looked).with_columns(key.alias("key")).drop("course_key", "day_key")


def _verdicts(
    frame: pl.DataFrame,
    persons: pl.DataFrame,
    policy: Policy,
    year: int,
    as_of: date | None,
    topic_rules: Sequence[KeyTopicsRule],
    fingerprints: bool,
) -> pl.DataFrame:
    import polars as pl

    public, _professional = Category.PUBLIC.value, Category.PROFESSIONAL.value
    is_public = pl.col("toward") == public
    counted_kept = pl.col("reason").is_in([Reason.COUNTED.value, Reason.UNDETERMINED.value])
    if fingerprints:
        # The canonical form of every entry, only where a fingerprint is asked for.
        frame = _with_entry_key(frame)
    # Whether each counted entry covers a key topic series, and whether it is of the rule's
    # category with its topics not recorded (decision 14): a list operation per entry, not
    # per person; then each person's sums.
    counted = pl.col("reason") == Reason.COUNTED.value
    frame = frame.with_columns(
        *(
            (
                key_topics.covers_expr(rule, keys, pl.col("category"), pl.col("topics")) & counted
            ).alias(f"covered_{i}")
            for i, (rule, keys) in enumerate(zip(topic_rules, policy.topic_keys, strict=True))
        ),
        *(
            (
                key_topics.unrecorded_expr(rule, pl.col("category"), pl.col("topics")) & counted
            ).alias(f"unrecorded_{i}")
            for i, rule in enumerate(topic_rules)
        ),
    )
    sums = frame.group_by("person").agg(
        pl.col("credited").filter(counted_kept & is_public).sum().alias("earned_public"),
        pl.col("credited").filter(counted_kept & ~is_public).sum().alias("earned_professional"),
        pl.col("would_add").filter(is_public).sum().alias("pending_public"),
        pl.col("would_add").filter(~is_public).sum().alias("pending_professional"),
        pl.col("open").filter(is_public).sum().alias("open_public"),
        pl.col("open").filter(~is_public).sum().alias("open_professional"),
        *(pl.col(f"covered_{i}").any() for i in range(len(topic_rules))),
        *(pl.col(f"unrecorded_{i}").any() for i in range(len(topic_rules))),
        *([pl.col("key").sort().str.join("\x1e").alias("body")] if fingerprints else []),
    )
    # The facts some entry waits on, from the few entries that wait on one.
    waiting = frame.filter(pl.col("missing_facts").list.len() > 0).group_by("person")
    missing = waiting.agg(pl.col("missing_facts").list.explode(keep_nulls=False).unique().sort())
    table = persons.join(sums, on="person", how="left", maintain_order="left").join(
        missing, on="person", how="left", maintain_order="left"
    )
    zero = [
        "earned_public", "earned_professional", "pending_public", "pending_professional",
        "open_public", "open_professional",
    ]  # fmt: skip
    table = table.with_columns(
        *(pl.col(c).fill_null(0) for c in zero),
        pl.col("missing_facts").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        *(pl.col(f"covered_{i}").fill_null(value=False) for i in range(len(topic_rules))),
        *(pl.col(f"unrecorded_{i}").fill_null(value=False) for i in range(len(topic_rules))),
    )
    totals = ColumnarTotals(
        earned={
            Category.PUBLIC: pl.col("earned_public"),
            Category.PROFESSIONAL: pl.col("earned_professional"),
        },
        pending={
            Category.PUBLIC: pl.col("pending_public"),
            Category.PROFESSIONAL: pl.col("pending_professional"),
        },
        open={
            Category.PUBLIC: pl.col("open_public"),
            Category.PROFESSIONAL: pl.col("open_professional"),
        },
    )
    requirement_rules = list(policy.requirement_rules)
    structs = []
    for rule in requirement_rules:
        figures = (
            min_hours.columnar(rule, totals)
            if isinstance(rule, kinds.MinHoursRule)
            else min_share.columnar(rule, totals)
        )
        structs.append(
            pl.struct([v.alias(k) for k, v in figures.items()]).alias(f"requirement_{rule.code}")
        )
    table = table.with_columns(structs)
    met = [pl.col(f"requirement_{r.code}").struct.field("met") for r in requirement_rules]
    determined = [
        pl.col(f"requirement_{r.code}").struct.field("determined") for r in requirement_rules
    ]
    compliant = pl.all_horizontal(met) if met else pl.lit(value=True)
    undecided = pl.any_horizontal([~m & ~d for m, d in zip(met, determined, strict=True)])
    all_open = pl.all_horizontal([m | ~d for m, d in zip(met, determined, strict=True)])
    status: Any = pl.when(compliant).then(pl.lit("compliant"))
    if as_of is not None and as_of <= date(year, 12, 31):
        status = status.when(~compliant).then(pl.lit("in_progress"))
    status = (
        status.when(undecided & all_open)
        .then(pl.lit("undetermined"))
        .otherwise(pl.lit("non_compliant"))
    )
    certificate = [
        (m, d)
        for r, m, d in zip(requirement_rules, met, determined, strict=True)
        if r.code in policy.certificate_requires
    ]
    # A policy that names no certificate condition decides no eligibility (None).
    eligible: pl.Expr = pl.lit(None, dtype=pl.Boolean)
    if certificate:
        eligible = (
            pl.when(pl.all_horizontal([m for m, _ in certificate]))
            .then(pl.lit(value=True))
            .when(pl.any_horizontal([~m & d for m, d in certificate]))
            .then(pl.lit(value=False))
            .otherwise(None)
        )
    findings = [
        key_topics.finding_expr(rule, pl.col(f"covered_{i}"), pl.col(f"unrecorded_{i}"))
        for i, rule in enumerate(topic_rules)
    ]
    table = table.with_columns(
        status.alias("status"),
        compliant.alias("compliant"),
        eligible.alias("certificate_eligible"),
        (
            pl.concat_list(findings).list.drop_nulls()
            if findings
            else pl.lit([], dtype=pl.List(pl.String))
        ).alias("topic_findings"),
    )
    if fingerprints:
        head = pl.concat_str(
            [
                pl.lit(_FINGERPRINT_SCHEME), pl.lit(policy.id), pl.lit(policy.version),
                pl.lit(policy.digest),
                pl.lit(str(year)), pl.lit(as_of.isoformat() if as_of else ""),
                pl.col("person_id"), pl.col("unit").fill_null(""), pl.col("city").fill_null(""),
                pl.col("industry").fill_null(""),
            ],
            separator="\x1e",
        )  # fmt: skip
        text = pl.concat_str([head, pl.lit("\x1d"), pl.col("body").fill_null("")])
        table = table.with_columns(
            text.map_elements(_sha256, return_dtype=pl.String).alias("fingerprint")
        )
    # The sums and texts the verdicts were made of are not theirs.
    return table.drop(
        "person", *zero,
        *(f"{kind}_{i}" for kind in ("covered", "unrecorded") for i in range(len(topic_rules))),
        *(["body"] if fingerprints else []),
    )  # fmt: skip


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _polars_schema(schema: dict[str, str]) -> dict[str, Any]:
    """A schema of type names (``ENTRY_SCHEMA``) as polars types."""
    import polars as pl

    return {
        name: pl.List(pl.String) if kind == "List(String)" else getattr(pl, kind)
        for name, kind in schema.items()
    }


def persons_frame(rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """A persons table from dicts with the keys of ``PERSON_SCHEMA``."""
    import polars as pl

    return pl.DataFrame(list(rows), schema=dict.fromkeys(PERSON_SCHEMA, pl.String))
