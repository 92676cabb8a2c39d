"""``credit_factor``: the hours of matching entries are credited so many times.

二(三): the instructor of a featured online public course is credited 按照课程课时的2倍. Which
category such hours count toward, and how teaching a course that is not featured is
credited, are readings (domain decision 3), written as rules of this kind in the policy
file so that a policy can change them. The first matching rule of a policy applies; an
entry no rule matches is credited once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from .._hours import format_hours
from .._vocabulary import Category, Role
from ._base import RuleBase, same_scope

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CreditFactorRule", "applies", "applies_expr", "loosens", "summary"]

#: A factor: exact, > 0, at most 10, with at most two decimal places (so that hours times
#: a factor stays a whole number of ten-thousandths of an hour).
Factor = Annotated[Decimal, Field(gt=0, le=10, allow_inf_nan=False, decimal_places=2)]


class CreditFactorRule(RuleBase):
    """Hours of matching entries are credited ``factor`` times.

    Attributes:
        role: The role the entry must have.
        featured: If set, whether the course must (or must not) be featured.
        category: If set, the category the course must have.
        factor: The multiplier.
    """

    kind: Literal["credit_factor"]
    role: Role
    featured: bool | None = None
    category: Category | None = None
    factor: Factor


def summary(rule: CreditFactorRule) -> str:
    """The rule in one line, for the catalogue."""
    conditions = [rule.role.value]
    if rule.featured is not None:
        conditions.append("featured course" if rule.featured else "course not featured")
    if rule.category is not None:
        conditions.append(rule.category.value)
    return f"{', '.join(conditions)}: hours × {format_hours(rule.factor)}"


def loosens(old: CreditFactorRule, new: CreditFactorRule) -> bool:
    """Whether ``new`` credits more, or other entries, than ``old``."""
    return not same_scope(old, new, {"factor"}) or new.factor > old.factor


def adds_credit(rule: CreditFactorRule) -> bool:
    """Whether a rule a base policy does not have may credit entries more than once."""
    return rule.factor > 1


def applies(rule: CreditFactorRule, role: Role, featured: bool, category: Category) -> bool:
    """Whether the rule matches an entry of this role, featured flag and category (scalar)."""
    return (
        rule.role is role
        and (rule.featured is None or rule.featured == featured)
        and (rule.category is None or rule.category is category)
    )


def applies_expr(
    rule: CreditFactorRule, role: pl.Expr, featured: pl.Expr, category: pl.Expr
) -> pl.Expr:
    """Whether the rule matches each entry of a table (columnar ``applies``)."""
    import polars as pl

    match = role == rule.role.value
    if rule.featured is not None:
        match = match & (featured == rule.featured)
    if rule.category is not None:
        match = match & (category == rule.category.value)
    return match.fill_null(value=False) if isinstance(match, pl.Expr) else match
