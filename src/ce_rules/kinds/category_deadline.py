"""``category_deadline``: a category's hours count only if completed by a day of their year.

A local rule: 二(二) lets each city set how its staff take public subjects (各市专业技术人员应
按照本地市人力资源社会保障局有关要求参加公需科目学习), e.g. public hours done by 31 October.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from .._vocabulary import Category
from ._base import RuleBase, same_scope

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CategoryDeadlineRule", "due", "loosens", "missed", "missed_expr", "summary"]

Month = Annotated[int, Field(ge=1, le=12)]
Day = Annotated[int, Field(ge=1, le=31)]


class CategoryDeadlineRule(RuleBase):
    """Hours of ``category`` count only if completed on or before a day of their year.

    The day is inclusive and is taken in the entry's credited year; a day past the
    month's end means its last day.

    Attributes:
        category: The category whose entries must be completed by the day.
        month: The month of the deadline.
        day: The last day allowed, inclusive.
    """

    kind: Literal["category_deadline"]
    category: Category
    month: Month
    day: Day


def summary(rule: CategoryDeadlineRule) -> str:
    """The rule in one line, for the catalogue."""
    return f"{rule.category.value} hours count if completed by {rule.month:02d}-{rule.day:02d}"


def due(month: int, day: int, year: int) -> date:
    """The last day allowed in ``year``: the day, or the month's last day if it is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def later(old_month: int, old_day: int, new_month: int, new_day: int) -> bool:
    """Whether the new day falls after the old one in some year (a leap year or a common one)."""
    return any(
        due(new_month, new_day, year) > due(old_month, old_day, year) for year in (2023, 2024)
    )


def loosens(old: CategoryDeadlineRule, new: CategoryDeadlineRule) -> bool:
    """Whether ``new`` allows later completions, or restricts other entries, than ``old``."""
    return not same_scope(old, new, {"month", "day"}) or later(
        old.month, old.day, new.month, new.day
    )


def missed(rule: CategoryDeadlineRule, category: Category, year: int, completed_on: date) -> bool:
    """Whether an entry of ``category`` credited to ``year`` was completed too late (scalar)."""
    return category is rule.category and completed_on > due(rule.month, rule.day, year)


def missed_expr(
    rule: CategoryDeadlineRule, category: pl.Expr, year: pl.Expr, completed_on: pl.Expr
) -> pl.Expr:
    """Whether each entry of a table was completed too late (columnar ``missed``)."""
    import polars as pl

    first = pl.date(year, rule.month, 1)
    last_day = pl.min_horizontal(first.dt.month_end().dt.day().cast(pl.Int32), pl.lit(rule.day))
    deadline = pl.date(year, rule.month, last_day)
    return ((category == rule.category.value) & (completed_on > deadline)).fill_null(value=False)
