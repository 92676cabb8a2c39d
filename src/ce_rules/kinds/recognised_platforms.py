"""``recognised_platforms``: some entries count only from the platforms named.

二(二): 省直单位专业技术人员可登录“山东省专业技术人员继续教育公共服务平台”，在山东开放大学、
蟹壳云学、专技知到等3个公需科目网络学习平台参加学习. The notice says they *may* (可) study
there; that their online public-subject hours from another platform do not count is the
project's reading (domain decision 6), which the rule's basis names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final, Literal

from pydantic import BaseModel, Field, model_validator

from .._message import Message
from .._model import FROZEN
from .._vocabulary import Category, Mode, Role, UnitLevel
from ._base import RuleBase, Text, same_scope

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "PlatformAlias",
    "RecognisedPlatformsRule",
    "breaks",
    "excludes_expr",
    "loosens",
    "recognised",
    "refusal",
    "summary",
]

#: The recognised platforms a refusal names at most (a long list ends with 等, etc.).
_NAMED: Final = 5


class PlatformAlias(BaseModel):
    """Another name under which records give a recognised platform.

    A policy says so explicitly (``蟹壳云学平台`` for ``蟹壳云学``): ce-rules never takes one
    name for another by itself.

    Attributes:
        name: The name as the records write it.
        of: The recognised platform it names, one of the rule's ``platforms``.
    """

    model_config = FROZEN

    name: Text
    of: Text


class RecognisedPlatformsRule(RuleBase):
    """Entries of this unit level, mode and category count only from these platforms.

    Attributes:
        unit_level: The persons it applies to.
        mode: The mode of the courses it restricts.
        category: The category of the courses it restricts.
        roles: The roles it restricts (learners, by default).
        platforms: The recognised platform names.
        aliases: Other names of the recognised platforms, as records write them.
    """

    kind: Literal["recognised_platforms"]
    unit_level: UnitLevel
    mode: Mode
    category: Category
    roles: Annotated[tuple[Role, ...], Field(min_length=1, max_length=len(Role))] = (Role.LEARNER,)
    platforms: Annotated[tuple[Text, ...], Field(min_length=1, max_length=1000)]
    # Left out of dumps when empty: a policy without aliases reads, and digests, as before.
    aliases: Annotated[
        tuple[PlatformAlias, ...], Field(max_length=1000, exclude_if=lambda aliases: not aliases)
    ] = ()

    @model_validator(mode="after")
    def _aliases_name_platforms(self) -> RecognisedPlatformsRule:
        named = set()
        for name in recognised(self):
            if name in named:
                raise ValueError(f"aliases: {name!r} is named twice among platforms and aliases")
            named.add(name)
        for alias in self.aliases:
            if alias.of not in self.platforms:
                raise ValueError(
                    f"aliases: {alias.name!r} is given as a name of {alias.of!r}, which is not "
                    f"one of the platforms ({', '.join(self.platforms)})"
                )
        return self


def recognised(rule: RecognisedPlatformsRule) -> tuple[str, ...]:
    """Every name the rule recognises: its platforms, then their aliases."""
    return (*rule.platforms, *(alias.name for alias in rule.aliases))


def summary(rule: RecognisedPlatformsRule) -> str:
    """The rule in one line, for the catalogue."""
    roles = "/".join(r.value for r in rule.roles)
    aliases = "; ".join(f"{a.name} for {a.of}" for a in rule.aliases)
    return (
        f"{rule.unit_level.value} unit, {rule.mode.value} {rule.category.value} "
        f"({roles}): only on {', '.join(rule.platforms)}"
        + (f" (also written: {aliases})" if aliases else "")
    )


def loosens(old: RecognisedPlatformsRule, new: RecognisedPlatformsRule) -> bool:
    """Whether ``new`` recognises more names, or restricts fewer roles or other entries."""
    return (
        not same_scope(old, new, {"platforms", "aliases", "roles"})
        or not set(recognised(new)) <= set(recognised(old))
        or not set(old.roles) <= set(new.roles)
    )


def scope(rule: RecognisedPlatformsRule) -> tuple[UnitLevel, Mode, Category]:
    """The persons and courses the rule restricts: unit level, mode and category."""
    return rule.unit_level, rule.mode, rule.category


def breaks(rule: RecognisedPlatformsRule, role: Role, platform: str | None) -> bool:
    """Whether an entry in the rule's scope, of this role and platform, breaks it (scalar).

    An entry with no platform recorded breaks it: it is not on a platform named.
    """
    return (
        role in rule.roles
        and platform not in rule.platforms
        and (not rule.aliases or all(alias.name != platform for alias in rule.aliases))
    )


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
    off_list = ~platform.is_in(list(recognised(rule))).fill_null(value=False)
    return (in_scope & off_list).fill_null(value=False)
