"""The vocabulary of records: categories, roles, modes, unit levels, review statuses, topics.

Each value is an enum member with a stable English value (what JSON and the API use) and a
Chinese label (what people read). ``SPELLINGS`` lists, for each enum, every way offices
write its values in their exports; the cell parser (``_cells.parse_choice``) reads them
after normalising width, case, spaces and punctuation, so ``公需科目``, ``公需`` and
``public`` are one value. An unknown spelling is refused with the accepted ones listed,
never mapped to a default.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

__all__ = [
    "FLAG_SPELLINGS",
    "SPELLINGS",
    "Category",
    "EntryStatus",
    "Mode",
    "PublicTopic",
    "Role",
    "UnitLevel",
]


class Category(enum.StrEnum):
    """The two kinds of subject (二、三): 公需科目 and 专业科目."""

    PUBLIC = "public"
    PROFESSIONAL = "professional"

    @property
    def label(self) -> str:
        """The Chinese name of the category."""
        return _LABELS[self]


class Role(enum.StrEnum):
    """The part a person played in a course: learner, or instructor (授课教师, 二(三))."""

    LEARNER = "learner"
    INSTRUCTOR = "instructor"

    @property
    def label(self) -> str:
        """The Chinese name of the role."""
        return _LABELS[self]


class Mode(enum.StrEnum):
    """How a course is taken (二(二)): distance education online, or offline training."""

    ONLINE = "online"
    OFFLINE = "offline"

    @property
    def label(self) -> str:
        """The Chinese name of the mode."""
        return _LABELS[self]


class UnitLevel(enum.StrEnum):
    """Whether the employer is a provincial-level unit (省直单位) or a municipal one (二(二))."""

    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"

    @property
    def label(self) -> str:
        """The Chinese name of the level."""
        return _LABELS[self]


class EntryStatus(enum.StrEnum):
    """Where an entry stands in the employer's review; only approved entries count."""

    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        """The Chinese name of the status."""
        return _LABELS[self]


class PublicTopic(enum.StrEnum):
    """The topics of public subjects named in 二(一) of the Shandong 2024 notice.

    The first five are the key topic series (专题系列课程); the other nine are the
    elective areas. Kept for code written for 0.1: topic series are policy data
    (``Policy.topics``, ``[[topics]]`` in a policy file), declared by each policy with
    their names and clause, and a verdict reads a course's topics against its policy.
    The values are the Shandong policy's topic ids.
    """

    XI_JINPING_THOUGHT = "xi_jinping_thought"
    PARTY_HISTORY = "party_history"
    YELLOW_RIVER = "yellow_river"
    GREEN_LOW_CARBON = "green_low_carbon"
    PROFESSIONAL_ETHICS = "professional_ethics"
    DIGITAL_TECHNOLOGY = "digital_technology"
    INTELLECTUAL_PROPERTY = "intellectual_property"
    CYBERSECURITY = "cybersecurity"
    EMERGENCY_MANAGEMENT = "emergency_management"
    HEALTH_AND_ELDERLY_CARE = "health_and_elderly_care"
    TALENT_INTERNATIONALISATION = "talent_internationalisation"
    SCIENTIFIC_SPIRIT = "scientific_spirit"
    TEAMWORK = "teamwork"
    HUMANITIES = "humanities"

    @property
    def label(self) -> str:
        """The Chinese name of the topic, as the notice writes it."""
        return _LABELS[self]

    @classmethod
    def from_label(cls, text: str) -> PublicTopic | None:
        """The topic whose value or Chinese label is ``text``, if any."""
        text = text.strip().strip('“”"')
        return _TOPIC_BY_TEXT.get(text)


_LABELS: Final[Mapping[enum.StrEnum, str]] = {
    Category.PUBLIC: "公需科目",
    Category.PROFESSIONAL: "专业科目",
    Role.LEARNER: "学员",
    Role.INSTRUCTOR: "授课教师",
    Mode.ONLINE: "远程教育",
    Mode.OFFLINE: "线下培训",
    UnitLevel.PROVINCIAL: "省直单位",
    UnitLevel.MUNICIPAL: "市属单位",
    EntryStatus.APPROVED: "已审核",
    EntryStatus.PENDING: "待审核",
    EntryStatus.REJECTED: "已驳回",
    EntryStatus.REVOKED: "已撤销",
    PublicTopic.XI_JINPING_THOUGHT: "习近平新时代中国特色社会主义思想",
    PublicTopic.PARTY_HISTORY: "党史学习教育",
    PublicTopic.YELLOW_RIVER: "黄河流域生态保护和高质量发展",
    PublicTopic.GREEN_LOW_CARBON: "绿色低碳高质量发展",
    PublicTopic.PROFESSIONAL_ETHICS: "专业技术人员职业道德和能力建设",
    PublicTopic.DIGITAL_TECHNOLOGY: "数字技术",
    PublicTopic.INTELLECTUAL_PROPERTY: "知识产权",
    PublicTopic.CYBERSECURITY: "网络安全",
    PublicTopic.EMERGENCY_MANAGEMENT: "应急管理",
    PublicTopic.HEALTH_AND_ELDERLY_CARE: "医养健康",
    PublicTopic.TALENT_INTERNATIONALISATION: "人才国际化",
    PublicTopic.SCIENTIFIC_SPIRIT: "科学精神培育",
    PublicTopic.TEAMWORK: "团队合作建设",
    PublicTopic.HUMANITIES: "人文素养",
}
_TOPIC_BY_TEXT: Final = {
    **{t.value: t for t in PublicTopic},
    **{t.label: t for t in PublicTopic},
}

#: Every spelling of every value, as offices write them (the label and the value included).
#: Keys are compared after ``_cells.choice_key`` (width, case, spaces, punctuation).
SPELLINGS: Final[Mapping[type[enum.StrEnum], Mapping[enum.StrEnum, tuple[str, ...]]]] = {
    Category: {
        Category.PUBLIC: ("公需", "公需课", "公需科目学时", "公共科目", "公共课"),
        Category.PROFESSIONAL: ("专业", "专业课", "专业科目学时"),
    },
    Role: {
        Role.LEARNER: ("学习者", "参训人员"),
        Role.INSTRUCTOR: ("教师", "讲师", "授课人", "主讲教师", "主讲人"),
    },
    Mode: {
        Mode.ONLINE: (
            "线上",
            "网络学习",
            "在线",
            "网络",
            "网络培训",
            "在线学习",
            "线上学习",
            "远程",
            "网络远程教育",
        ),
        Mode.OFFLINE: ("线下", "面授", "面授培训", "线下学习", "集中培训", "现场培训", "脱产培训"),
    },
    # 二(二) sets provincial units (省直单位) against the cities' staff (各市专业技术人员):
    # units at county level belong to their city's human resources bureau.
    UnitLevel: {
        UnitLevel.PROVINCIAL: ("省直", "省属", "省属单位", "省直机关", "省直部门", "省级"),
        UnitLevel.MUNICIPAL: (
            "市属",
            "市直",
            "市直单位",
            "市级",
            "县级",
            "县属",
            "区属",
            "县区",
            "县(市、区)属",
        ),
    },
    EntryStatus: {
        EntryStatus.APPROVED: ("审核通过", "通过", "已通过", "已确认", "有效"),
        EntryStatus.PENDING: ("审核中", "未审核", "待审", "待确认", "已提交"),
        EntryStatus.REJECTED: (
            "驳回",
            "审核未通过",
            "未通过",
            "不通过",
            "审核不通过",
            "退回",
            "已退回",
        ),
        EntryStatus.REVOKED: ("撤销", "作废", "已作废", "已撤回"),
    },
    PublicTopic: {},
}

#: Spellings of a yes/no cell (是否优质在线公需课), true first.
FLAG_SPELLINGS: Final[Mapping[bool, tuple[str, ...]]] = {
    True: ("是", "true", "yes", "y", "1", "√", "✓", "优质", "优质课", "已入选"),
    False: ("否", "false", "no", "n", "0", "×", "非优质", "未入选"),
}
