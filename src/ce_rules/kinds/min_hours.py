"""``min_hours``: at least so many hours in the year, in one category or in total.

The minimums of the notice are of this kind: public subjects 年度累计应不少于30学时 (二(一)),
professional subjects 不少于60学时 (三(一)); the national baseline's 90 学时 in total
(令第25号 第八条).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from .._hours import format_hours
from .._vocabulary import Category
from ._base import (
    UNITS_PER_HOUR,
    ColumnarTotals,
    Figures,
    PolicyHours,
    RuleBase,
    Totals,
    same_scope,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = ["MinHoursRule", "columnar", "figures", "loosens", "summary"]

_ZERO = Decimal(0)


class MinHoursRule(RuleBase):
    """At least ``hours`` in the year, in one category or (``category`` unset) in total.

    Attributes:
        category: The category counted, or None for all hours together.
        hours: The minimum.
    """

    kind: Literal["min_hours"]
    category: Category | None = None
    hours: PolicyHours


def summary(rule: MinHoursRule) -> str:
    """The rule in one line, for the catalogue."""
    what = rule.category.value if rule.category else "all categories"
    return f"{what} ≥ {format_hours(rule.hours)} 学时 in the year"


def loosens(old: MinHoursRule, new: MinHoursRule) -> bool:
    """Whether ``new`` asks for fewer hours, or of other entries, than ``old``."""
    return not same_scope(old, new, {"hours"}) or new.hours < old.hours


def _of(values: dict[Category, Decimal], category: Category | None) -> Decimal:
    if category is None:
        return values[Category.PUBLIC] + values[Category.PROFESSIONAL]
    return values[category]


def figures(rule: MinHoursRule, totals: Totals) -> Figures:
    """How one person's hours stand against the minimum (scalar form)."""
    category = rule.category
    earned = _of(totals.earned, category)
    open_hours = _of(totals.open, category)
    required = rule.hours
    met = earned >= required
    possible = met or earned + open_hours >= required
    return Figures(
        required,
        earned,
        _ZERO if met else required - earned,
        _of(totals.pending, category),
        open_hours,
        met,
        met == possible,
        None,
    )


def _sum(values: dict[Category, pl.Expr], category: Category | None) -> pl.Expr:
    if category is None:
        return values[Category.PUBLIC] + values[Category.PROFESSIONAL]
    return values[category]


def columnar(rule: MinHoursRule, totals: ColumnarTotals) -> dict[str, pl.Expr]:
    """The same figures for a table of persons (columnar form), in hour units."""
    import polars as pl

    required = int(rule.hours * UNITS_PER_HOUR)
    earned = _sum(totals.earned, rule.category)
    open_hours = _sum(totals.open, rule.category)
    met = earned >= required
    return {
        "required": pl.lit(required, dtype=pl.Int64),
        "earned": earned,
        "shortfall": pl.when(met).then(0).otherwise(required - earned),
        "pending": _sum(totals.pending, rule.category),
        "undetermined": open_hours,
        "met": met,
        "determined": met | (earned + open_hours < required),
        "rounding": pl.lit(None, dtype=pl.String),
    }
