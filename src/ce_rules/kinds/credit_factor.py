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

from pydantic import AfterValidator, Field

from .._hours import format_hours
from .._vocabulary import Category, Role
from ._base import RuleBase, same_scope

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CreditFactorRule", "applies", "applies_expr", "loosens", "summary"]


def _no_negative_zero(factor: Decimal) -> Decimal:
    # -0 is 0: a credited 0 must never print as "-0".
    return factor.copy_abs() if factor.is_zero() else factor


#: A factor: exact, from 0 (not credited) to 10, with at most two decimal places (so that
#: hours times a factor stays a whole number of ten-thousandths of an hour).
Factor = Annotated[
    Decimal,
    Field(ge=0, le=10, allow_inf_nan=False, decimal_places=2),
    AfterValidator(_no_negative_zero),
]


class CreditFactorRule(RuleBase):
    """Hours of matching entries are credited ``factor`` times.

    Attributes:
        role: The role the entry must have.
        featured: If set, whether the course must (or must not) be featured.
        category: If set, the category the course must have.
        factor: The multiplier; 0 means the entry is not credited (``not_credited``).
        toward: The category the credited hours count toward; None: the course's own.
        once_per_course_year: Whether one course is credited once in a year however many
            entries of it there are (二(三): the hours *of the course*, doubled, for its
            instructor); the others are ``already_credited``.
    """

    kind: Literal["credit_factor"]
    role: Role
    featured: bool | None = None
    category: Category | None = None
    factor: Factor
    toward: Category | None = None
    once_per_course_year: bool = False


def summary(rule: CreditFactorRule) -> str:
    """The rule in one line, for the catalogue."""
    conditions = [rule.role.value]
    if rule.featured is not None:
        conditions.append("featured course" if rule.featured else "course not featured")
    if rule.category is not None:
        conditions.append(rule.category.value)
    if not rule.factor:
        return f"{', '.join(conditions)}: not credited"
    text = f"{', '.join(conditions)}: hours × {format_hours(rule.factor)}"
    if rule.toward is not None:
        text += f", toward {rule.toward.value}"
    if rule.once_per_course_year:
        text += ", once per course and year"
    return text


def loosens(old: CreditFactorRule, new: CreditFactorRule) -> bool:
    """Whether ``new`` credits more, or other entries, or more often, than ``old``."""
    return (
        not same_scope(old, new, {"factor", "once_per_course_year"})
        or new.factor > old.factor
        or (old.once_per_course_year and not new.once_per_course_year)
    )


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
