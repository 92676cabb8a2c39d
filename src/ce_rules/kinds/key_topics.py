"""``key_topics``: advisory, counted hours of a category should include one of the key topics.

二(一): 公需科目重点围绕……等专题系列课程开展学习. Advisory only: it never changes a status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from .._vocabulary import Category, PublicTopic
from ._base import RuleBase

if TYPE_CHECKING:
    import polars as pl

__all__ = ["KeyTopicsRule", "covers", "covers_expr", "loosens", "summary"]


class KeyTopicsRule(RuleBase):
    """Advisory: counted hours of ``category`` should include one of the key topics.

    Attributes:
        category: The category whose courses are looked at.
        topics: The key topic series.
    """

    kind: Literal["key_topics"]
    category: Category = Category.PUBLIC
    topics: Annotated[tuple[PublicTopic, ...], Field(min_length=1, max_length=100)]


def summary(rule: KeyTopicsRule) -> str:
    """The rule in one line, for the catalogue."""
    return f"advisory: {rule.category.value} hours in one of " + "、".join(
        t.label for t in rule.topics
    )


def loosens(old: KeyTopicsRule, new: KeyTopicsRule) -> bool:
    """Never: an advisory rule does not change a verdict."""
    return False


def covers(rule: KeyTopicsRule, category: Category, topics: tuple[PublicTopic | str, ...]) -> bool:
    """Whether a counted entry of this category and these topics covers the rule (scalar)."""
    return category is rule.category and any(topic in rule.topics for topic in topics)


def covers_expr(rule: KeyTopicsRule, category: pl.Expr, topics: pl.Expr) -> pl.Expr:
    """Whether each entry of a table covers the rule (columnar ``covers``)."""
    import polars as pl

    keys = pl.lit([t.value for t in rule.topics], dtype=pl.List(pl.String))
    hit = topics.list.set_intersection(keys).list.len() > 0
    return ((category == rule.category.value) & hit).fill_null(value=False)
