"""``title_achievement``: an instructorship that also counts in title evaluation (二(三)).

二(三): 入选的优质在线公需课，可视同授课教师的教学成果或代表性论文，作为职称评审时的重要参考.
Used by title evaluation (``evaluate_period``, ``achievements``), not by the annual verdict.
"""

from __future__ import annotations

from typing import Literal

from .._vocabulary import Role
from ._base import RuleBase, values

__all__ = ["TitleAchievementRule", "loosens", "summary"]


class TitleAchievementRule(RuleBase):
    """An instructorship that also counts as an achievement in title evaluation (二(三)).

    The notice: a course selected as a featured online public course (优质在线公需课)
    "may be treated as the instructor's teaching achievement or representative paper",
    an important reference in title evaluation (职称评审).

    Attributes:
        role: The role the entry must have (the instructor).
        featured: Whether the course must be featured.
    """

    kind: Literal["title_achievement"]
    role: Role = Role.INSTRUCTOR
    featured: bool = True


def summary(rule: TitleAchievementRule) -> str:
    """The rule in one line, for the catalogue."""
    what = "featured course" if rule.featured else "course not featured"
    # 可视同 ... 作为重要参考: "may be treated as", an important reference, not a right.
    return (
        f"{rule.role.value} of a {what}: may be treated as a teaching achievement or "
        "representative paper in title evaluation (an important reference)"
    )


def loosens(old: TitleAchievementRule, new: TitleAchievementRule) -> bool:
    """Whether ``new`` differs from ``old``: any change of whom it credits is reported."""
    return values(old) != values(new)
