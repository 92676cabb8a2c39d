"""``min_share``: a category's hours are at least a share of all counted hours.

The national baseline (令第25号 第八条): "每年累计应不少于90学时，其中，专业科目一般不少于
总学时的三分之二". What the share is of is the policy's choice (``of``, domain decision 10):
of the total *required* (``of = "required"``, with ``required_total = 90``: professional
hours ≥ 60, so that extra public study never makes a person non-compliant; the usual
reading and the bundled default), or of the hours *earned* (``of = "earned"``: the strict
reading, under which 100 public + 60 professional falls short).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import StringConstraints, model_validator

from .._hours import format_hours
from .._vocabulary import Category
from ._base import (
    ROUNDING_CEILING_CENT,
    UNITS_PER_HOUR,
    ColumnarTotals,
    Figures,
    PolicyHours,
    RuleBase,
    Totals,
    ceil_cent,
    ceil_cent_units,
    other,
    same_scope,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = ["MinShareRule", "columnar", "figures", "loosens", "summary"]


class MinShareRule(RuleBase):
    """Hours of ``category`` are at least ``share`` of all counted hours.

    Attributes:
        category: The category whose share is measured.
        share: The minimum share as an exact fraction between 0 and 1, written
            ``"2/3"`` (numerator and denominator of at most three digits).
        of: What the share is of: the hours ``earned`` (both categories), or the total
            ``required`` (``required_total``).
        required_total: With ``of = "required"``: the total the share is taken of.
    """

    kind: Literal["min_share"]
    category: Category
    share: Annotated[str, StringConstraints(pattern=r"^\s*\d{1,3}\s*/\s*\d{1,3}\s*$")]
    of: Literal["earned", "required"] = "earned"
    required_total: PolicyHours | None = None

    @property
    def ratio(self) -> Fraction:
        """The share as an exact fraction."""
        return Fraction(self.share.replace(" ", ""))

    @model_validator(mode="after")
    def _proper_fraction(self) -> MinShareRule:
        numerator, _, denominator = self.share.partition("/")
        if int(denominator) == 0 or not 0 < Fraction(int(numerator), int(denominator)) < 1:
            raise ValueError(f"share must be a fraction between 0 and 1, got {self.share!r}")
        if (self.of == "required") != (self.required_total is not None):
            raise ValueError('required_total is given with of = "required", and only then')
        return self


def summary(rule: MinShareRule) -> str:
    """The rule in one line, for the catalogue."""
    if rule.required_total is not None:
        return (
            f"{rule.category.value} ≥ {rule.share} of the {format_hours(rule.required_total)} "
            "学时 required"
        )
    return f"{rule.category.value} ≥ {rule.share} of the counted total"


def _least(rule: MinShareRule) -> Fraction | None:
    """The hours a share of a fixed total asks for; None for a share of hours earned."""
    return None if rule.required_total is None else rule.ratio * Fraction(rule.required_total)


def loosens(old: MinShareRule, new: MinShareRule) -> bool:
    """Whether ``new`` asks for less than ``old``: a smaller share, or of other entries.

    A share of hours earned never asks for less than the same share of a fixed total it
    exceeds, and the reverse; a change between the two readings is a loosening unless the
    new one asks at least as much in every case, which is never certain: it is reported.
    """
    if not same_scope(old, new, {"share", "of", "required_total"}) or old.of != new.of:
        return True
    old_least, new_least = _least(old), _least(new)
    if old_least is not None and new_least is not None:
        return new_least < old_least
    return new.ratio < old.ratio


def figures(rule: MinShareRule, totals: Totals) -> Figures:
    """How one person's hours stand against the share (scalar form).

    Certain: the category's hours without its own open hours, against a total with the
    other category's open hours. Possible: every open hour of the category added.
    """
    category = rule.category
    earned = totals.earned[category]
    open_hours = totals.open[category]
    least = _least(rule)
    if least is not None:
        # A share of a fixed total: a minimum of the category's hours.
        required, inexact = ceil_cent(least)
        met = earned >= required
        return Figures(
            required=required,
            earned=earned,
            shortfall=Decimal(0) if met else required - earned,
            pending=totals.pending[category],
            undetermined=open_hours,
            met=met,
            determined=met == (met or earned + open_hours >= required),
            rounding=ROUNDING_CEILING_CENT if inexact else None,
        )
    share = rule.ratio
    total = Fraction(earned + totals.earned[other(category)])
    open_other = Fraction(totals.open[other(category)])
    met = Fraction(earned) >= share * (total + open_other)
    possible = met or Fraction(earned + open_hours) >= share * (total + Fraction(open_hours))
    required, inexact_required = ceil_cent(share * total)
    # Hours of the category added raise the total too: x >= (s*t - e) / (1 - s).
    if Fraction(earned) >= share * total:
        shortfall, inexact_shortfall = Decimal(0), False
    else:
        shortfall, inexact_shortfall = ceil_cent((share * total - Fraction(earned)) / (1 - share))
    return Figures(
        required=required,
        earned=earned,
        shortfall=shortfall,
        pending=totals.pending[category],
        undetermined=open_hours,
        met=met,
        determined=met == possible,
        rounding=ROUNDING_CEILING_CENT if inexact_required or inexact_shortfall else None,
    )


def columnar(rule: MinShareRule, totals: ColumnarTotals) -> dict[str, pl.Expr]:
    """The same figures for a table of persons (columnar form), in exact integers."""
    import polars as pl

    p, q = rule.ratio.numerator, rule.ratio.denominator
    category = rule.category
    earned = totals.earned[category]
    open_hours = totals.open[category]
    if rule.required_total is not None:
        least = p * int(rule.required_total * UNITS_PER_HOUR)
        fixed, inexact_fixed = ceil_cent_units(pl.lit(least, dtype=pl.Int64), q)
        met_fixed = earned >= fixed
        return {
            "required": fixed,
            "earned": earned,
            "shortfall": pl.when(met_fixed).then(0).otherwise(fixed - earned),
            "pending": totals.pending[category],
            "undetermined": open_hours,
            "met": met_fixed,
            "determined": met_fixed | (earned + open_hours < fixed),
            "rounding": pl.when(inexact_fixed).then(pl.lit(ROUNDING_CEILING_CENT)).otherwise(None),
        }
    total = earned + totals.earned[other(category)]
    open_other = totals.open[other(category)]
    # earned / total >= p / q, in integers: q * earned >= p * total.
    met = q * earned >= p * (total + open_other)
    possible = met | (q * (earned + open_hours) >= p * (total + open_hours))
    required, inexact_required = ceil_cent_units(p * total, q)
    reached = q * earned >= p * total
    # (s*t - e) / (1 - s) = (p*t - q*e) / (q - p)
    short, inexact_short = ceil_cent_units(p * total - q * earned, q - p)
    inexact = inexact_required | (~reached & inexact_short)
    return {
        "required": required,
        "earned": earned,
        "shortfall": pl.when(reached).then(0).otherwise(short),
        "pending": totals.pending[category],
        "undetermined": open_hours,
        "met": met,
        "determined": met == possible,
        "rounding": pl.when(inexact).then(pl.lit(ROUNDING_CEILING_CENT)).otherwise(None),
    }
