"""``key_topics``: advisory, counted hours of a category should include one of the key topics.

二(一): 公需科目重点围绕……等专题系列课程开展学习. Advisory only: it never changes a status.
Where the records do not record a counted entry's topics, whether the key series are
covered cannot be told, and the verdict says so instead of claiming they are not
(decision 14).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Annotated, Final, Literal

from pydantic import Field

from .._message import Message
from .._vocabulary import Category
from ._base import Code, RuleBase

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "NOT_RECORDED",
    "NOT_RECORDED_TEXT",
    "KeyTopicsRule",
    "covered",
    "covers_expr",
    "finding_expr",
    "loosens",
    "not_recorded_key",
    "not_recorded_message",
    "summary",
    "unrecorded_expr",
]

#: The code of the finding that the topics of counted entries are not recorded, so whether
#: the key series are covered cannot be told (decision 14).
NOT_RECORDED: Final = "key_topics_not_recorded"
#: Topics not recorded in the canonical form of an entry (its fingerprint, the tie-break of
#: copies): a text no recorded topics can be, as a topic holds no control character, and
#: that sorts after them, so that of copies alike but for their topics the one that
#: records them counts (decisions 4 and 14).
NOT_RECORDED_TEXT: Final = "\U0010ffff\x00"


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


def covered(
    rule: KeyTopicsRule,
    keys: frozenset[str],
    counted: Iterable[tuple[Category, tuple[str, ...] | None]],
) -> bool | None:
    """Whether a person's counted entries (category, topics) cover the rule (scalar).

    ``keys`` is every text that is one of the rule's topics (``Policy.topic_keys``). An
    entry covers the rule when it is of the rule's category and one of its topics is a
    key (``covers_expr``, columnar); an entry of another category never does.

    True when one covers it; else None when one of the rule's category does not record
    its topics (it might: decision 14); else False, and the advisory finding says so.
    """
    unknown = False
    category = rule.category
    for entry_category, topics in counted:
        if entry_category is not category:
            continue
        if topics is None:
            unknown = True
        elif not keys.isdisjoint(topics):
            return True
    return None if unknown else False


def not_recorded_key(rule: KeyTopicsRule) -> str:
    """How the columnar engine names the rule's "not recorded" finding (never a rule's code)."""
    return f"{NOT_RECORDED}:{rule.code}"


def not_recorded_message(rule: KeyTopicsRule) -> Message:
    """The finding's message when the topics are not recorded: the rule, its code and clause."""
    clause = rule.citation.clause
    return Message(
        zh=f"{rule.message.zh}；记录未载明计入学时的专题，无法判断其中是否有专题系列课程"
        f"（规则{rule.code}，{clause}）",
        en=f"{rule.message.en}; the records do not record the topics of counted hours, so "
        f"whether any are in one of them cannot be told (rule {rule.code}, {clause})",
    )


def covers_expr(
    rule: KeyTopicsRule, keys: frozenset[str], category: pl.Expr, topics: pl.Expr
) -> pl.Expr:
    """Whether each entry of a table covers the rule (as ``covered`` tells; not recorded: False)."""
    import polars as pl

    keys_list = pl.lit(sorted(keys), dtype=pl.List(pl.String))
    hit = topics.list.set_intersection(keys_list).list.len() > 0
    return ((category == rule.category.value) & hit).fill_null(value=False)


def unrecorded_expr(rule: KeyTopicsRule, category: pl.Expr, topics: pl.Expr) -> pl.Expr:
    """Whether each entry is of the rule's category with its topics not recorded (columnar)."""
    return (category == rule.category.value) & topics.is_null()


def finding_expr(rule: KeyTopicsRule, covered: pl.Expr, unrecorded: pl.Expr) -> pl.Expr:
    """Each person's finding of the rule (columnar ``covered``): its key, or null if covered.

    ``covered`` and ``unrecorded``: whether a counted entry covers the rule, and whether
    one of its category does not record its topics.
    """
    import polars as pl

    return (
        pl.when(covered)
        .then(None)
        .when(unrecorded)
        .then(pl.lit(not_recorded_key(rule)))
        .otherwise(pl.lit(rule.code))
    )
