"""``recognised_platforms``: some entries count only from the platforms named.

二(二): 省直单位专业技术人员可登录“山东省专业技术人员继续教育公共服务平台”，在山东开放大学、
蟹壳云学、专技知到等3个公需科目网络学习平台参加学习. The notice says they *may* (可) study
there; that their online public-subject hours from another platform do not count is the
project's reading (domain decision 6), which the rule's basis names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final, Literal

from pydantic import Field

from .._message import Message
from .._vocabulary import Category, Mode, Role, UnitLevel
from ._base import RuleBase, Text, same_scope

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "RecognisedPlatformsRule",
    "breaks",
    "excludes_expr",
    "loosens",
    "refusal",
    "summary",
]

#: The recognised platforms a refusal names at most (a long list ends with 等, etc.).
_NAMED: Final = 5


class RecognisedPlatformsRule(RuleBase):
    """Entries of this unit level, mode and category count only from these platforms.

    Attributes:
        unit_level: The persons it applies to.
        mode: The mode of the courses it restricts.
        category: The category of the courses it restricts.
        roles: The roles it restricts (learners, by default).
        platforms: The recognised platform names.
    """

    kind: Literal["recognised_platforms"]
    unit_level: UnitLevel
    mode: Mode
    category: Category
    roles: Annotated[tuple[Role, ...], Field(min_length=1, max_length=len(Role))] = (Role.LEARNER,)
    platforms: Annotated[tuple[Text, ...], Field(min_length=1, max_length=1000)]


def summary(rule: RecognisedPlatformsRule) -> str:
    """The rule in one line, for the catalogue."""
    roles = "/".join(r.value for r in rule.roles)
    return (
        f"{rule.unit_level.value} unit, {rule.mode.value} {rule.category.value} "
        f"({roles}): only on {', '.join(rule.platforms)}"
    )


def loosens(old: RecognisedPlatformsRule, new: RecognisedPlatformsRule) -> bool:
    """Whether ``new`` recognises more platforms, or restricts fewer roles or other entries."""
    return (
        not same_scope(old, new, {"platforms", "roles"})
        or not set(new.platforms) <= set(old.platforms)
        or not set(old.roles) <= set(new.roles)
    )


def scope(rule: RecognisedPlatformsRule) -> tuple[UnitLevel, Mode, Category]:
    """The persons and courses the rule restricts: unit level, mode and category."""
    return rule.unit_level, rule.mode, rule.category


def breaks(rule: RecognisedPlatformsRule, role: Role, platform: str | None) -> bool:
    """Whether an entry in the rule's scope, of this role and platform, breaks it (scalar).

    An entry with no platform recorded breaks it: it is not on a platform named.
    """
    return role in rule.roles and platform not in rule.platforms


def refusal(rule: RecognisedPlatformsRule, platform: str | None) -> Message:
    """Why an entry the rule excludes does not count: its platform, and those recognised."""
    named = rule.platforms[:_NAMED]
    more = len(rule.platforms) - len(named)
    zh_list = "、".join(named) + (f"等{len(rule.platforms)}个平台" if more else "")
    en_list = ", ".join(named) + (f" and {more} more" if more else "")
    if platform is None:
        return Message(
            zh=f"未记录学习平台，不在认可的平台之列（{zh_list}）",
            en=f"no learning platform is recorded, so it is not a recognised one ({en_list})",
        )
    return Message(
        zh=f"学习平台“{platform}”不在认可的平台之列（{zh_list}）",
        en=f"the learning platform “{platform}” is not a recognised one ({en_list})",
    )


def excludes_expr(
    rule: RecognisedPlatformsRule,
    unit: pl.Expr,
    mode: pl.Expr,
    category: pl.Expr,
    role: pl.Expr,
    platform: pl.Expr,
) -> pl.Expr:
    """Whether the rule excludes each entry of a table (columnar ``scope`` and ``breaks``)."""
    in_scope = (
        (unit == rule.unit_level.value)
        & (mode == rule.mode.value)
        & (category == rule.category.value)
        & role.is_in([r.value for r in rule.roles])
    )
    off_list = ~platform.is_in(list(rule.platforms)).fill_null(value=False)
    return (in_scope & off_list).fill_null(value=False)
