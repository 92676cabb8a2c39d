"""The vocabulary of rule kinds: one module per kind, and the dispatch over all of them.

Each kind's module holds its data model, its catalogue summary, its overlay-loosening
check and its part in judging (scalar and columnar side by side). The functions here
dispatch on the kind with an exhaustive ``match``: a kind added to ``Rule`` and left out
of one of them fails the type check (``assert_never``), never falls through to another
kind's arithmetic.
"""

from __future__ import annotations

from typing import Annotated, assert_never

from pydantic import Field

from . import (
    category_deadline,
    credit_factor,
    filing_deadline,
    key_topics,
    min_hours,
    min_share,
    recognised_platforms,
    submission_deadline,
    title_achievement,
)
from ._base import Citation, Figures, RuleBase, Totals
from .category_deadline import CategoryDeadlineRule
from .credit_factor import CreditFactorRule
from .filing_deadline import FilingDeadlineRule
from .key_topics import KeyTopicsRule
from .min_hours import MinHoursRule
from .min_share import MinShareRule
from .recognised_platforms import RecognisedPlatformsRule
from .submission_deadline import SubmissionDeadlineRule
from .title_achievement import TitleAchievementRule

__all__ = [
    "CategoryDeadlineRule",
    "Citation",
    "CreditFactorRule",
    "Figures",
    "FilingDeadlineRule",
    "KeyTopicsRule",
    "MinHoursRule",
    "MinShareRule",
    "RecognisedPlatformsRule",
    "RequirementRule",
    "Rule",
    "RuleBase",
    "SubmissionDeadlineRule",
    "TitleAchievementRule",
    "Totals",
    "adds_credit",
    "figures",
    "loosens",
    "summary",
]

#: A rule that produces a requirement in a verdict.
RequirementRule = MinHoursRule | MinShareRule
#: Any rule of the vocabulary, told apart by its ``kind``.
AnyRule = (
    MinHoursRule
    | MinShareRule
    | CreditFactorRule
    | RecognisedPlatformsRule
    | KeyTopicsRule
    | TitleAchievementRule
    | FilingDeadlineRule
    | SubmissionDeadlineRule
    | CategoryDeadlineRule
)
Rule = Annotated[AnyRule, Field(discriminator="kind")]


def summary(rule: AnyRule) -> str:
    """What a rule requires, in one line, from its data alone (the catalogue)."""
    match rule:
        case MinHoursRule():
            return min_hours.summary(rule)
        case MinShareRule():
            return min_share.summary(rule)
        case CreditFactorRule():
            return credit_factor.summary(rule)
        case RecognisedPlatformsRule():
            return recognised_platforms.summary(rule)
        case KeyTopicsRule():
            return key_topics.summary(rule)
        case TitleAchievementRule():
            return title_achievement.summary(rule)
        case FilingDeadlineRule():
            return filing_deadline.summary(rule)
        case SubmissionDeadlineRule():
            return submission_deadline.summary(rule)
        case CategoryDeadlineRule():
            return category_deadline.summary(rule)
        case _:
            assert_never(rule)


def loosens(old: AnyRule, new: AnyRule) -> bool:
    """Whether ``new`` is less strict than ``old`` (same code; a change of kind is refused).

    A change of what a rule applies to (its category, role, unit level ...) is not a
    tightening anyone can check, so each kind counts it as a loosening.
    """
    match old:
        case MinHoursRule():
            return isinstance(new, MinHoursRule) and min_hours.loosens(old, new)
        case MinShareRule():
            return isinstance(new, MinShareRule) and min_share.loosens(old, new)
        case CreditFactorRule():
            return isinstance(new, CreditFactorRule) and credit_factor.loosens(old, new)
        case RecognisedPlatformsRule():
            return isinstance(new, RecognisedPlatformsRule) and recognised_platforms.loosens(
                old, new
            )
        case KeyTopicsRule():
            return isinstance(new, KeyTopicsRule) and key_topics.loosens(old, new)
        case TitleAchievementRule():
            return isinstance(new, TitleAchievementRule) and title_achievement.loosens(old, new)
        case FilingDeadlineRule():
            return isinstance(new, FilingDeadlineRule) and filing_deadline.loosens(old, new)
        case SubmissionDeadlineRule():
            return isinstance(new, SubmissionDeadlineRule) and submission_deadline.loosens(old, new)
        case CategoryDeadlineRule():
            return isinstance(new, CategoryDeadlineRule) and category_deadline.loosens(old, new)
        case _:
            assert_never(old)


def adds_credit(rule: AnyRule) -> bool:
    """Whether a rule a base policy lacks may credit some entries more than the base does.

    An entry no factor rule matches is credited once; a new ``credit_factor`` rule with a
    factor above 1 may credit entries more, so it loosens the minimums.
    """
    return isinstance(rule, CreditFactorRule) and credit_factor.adds_credit(rule)


def figures(rule: RequirementRule, totals: Totals) -> Figures:
    """How one person's hours stand against a requirement rule (the scalar judgement).

    Told apart by their ``kind`` (a tagged union the type checker narrows): an
    ``isinstance`` of a pydantic class goes through ``ABCMeta``, several times slower,
    and this runs for every requirement of every verdict.
    """
    if rule.kind == "min_hours":
        return min_hours.figures(rule, totals)
    if rule.kind == "min_share":
        return min_share.figures(rule, totals)
    assert_never(rule)
