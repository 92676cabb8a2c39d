"""``key_topics``: advisory, counted hours of a category should include one of the key topics.

二(一): 公需科目重点围绕……等专题系列课程开展学习. Advisory only: it never changes a status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from .._vocabulary import Category
from ._base import Code, RuleBase

if TYPE_CHECKING:
    import polars as pl

__all__ = ["KeyTopicsRule", "covers", "covers_expr", "loosens", "summary"]


class KeyTopicsRule(RuleBase):
    """Advisory: counted hours of ``category`` should include one of the key topics.

    Attributes:
        category: The category whose courses are looked at.
        topics: The ids of the key topic series, each declared by the policy
            (``Policy.topics``: its names, its clause).
    """

    kind: Literal["key_topics"]
    category: Category = Category.PUBLIC
    topics: Annotated[tuple[Code, ...], Field(min_length=1, max_length=100)]


def summary(rule: KeyTopicsRule, names: Mapping[str, str] | None = None) -> str:
    """The rule in one line, for the catalogue: each topic by its name in ``names``, else its id.

    The names are the policy's (``Policy.topics``); the rule alone knows only the ids.
    """
    if names:
        return f"advisory: {rule.category.value} hours in one of " + "、".join(
            names.get(t, t) for t in rule.topics
        )
    return f"advisory: {rule.category.value} hours in one of " + ", ".join(rule.topics)


def loosens(old: KeyTopicsRule, new: KeyTopicsRule) -> bool:
    """Never: an advisory rule does not change a verdict."""
    return False


def covers(
    rule: KeyTopicsRule, keys: frozenset[str], category: Category, topics: tuple[str, ...]
) -> bool:
    """Whether a counted entry of this category and these topics covers the rule (scalar).

    ``keys`` is every text that is one of the rule's topics (``Policy.topic_keys``).
    """
    return category is rule.category and any(topic in keys for topic in topics)


def covers_expr(
    rule: KeyTopicsRule, keys: frozenset[str], category: pl.Expr, topics: pl.Expr
) -> pl.Expr:
    """Whether each entry of a table covers the rule (columnar ``covers``)."""
    import polars as pl

    keys_list = pl.lit(sorted(keys), dtype=pl.List(pl.String))
    hit = topics.list.set_intersection(keys_list).list.len() > 0
    return ((category == rule.category.value) & hit).fill_null(value=False)
