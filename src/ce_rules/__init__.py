"""ce-rules: continuing-education rules for professional and technical personnel, as code.

The first jurisdiction is Shandong, from the 2024 notice of the provincial Department
of Human Resources and Social Security. Build a ``Person`` and their ``CreditEntry``
records, and ``evaluate`` gives a ``Verdict`` that explains every number by its clause.
"""

from __future__ import annotations

from ._batch import (
    BatchResult,
    BatchTotals,
    BatchVerdict,
    InputRecord,
    InvalidRecord,
    evaluate_many,
)
from ._catalogue import rule_catalogue
from ._engine import DEFAULT_REGION, evaluate
from ._exceptions import (
    CeRulesError,
    EvaluationInputError,
    PolicyError,
    PolicyFileError,
    PolicyNotFoundError,
)
from ._io import RecordFileError, read_records
from ._model import (
    MAX_ENTRY_HOURS,
    Category,
    Course,
    CreditEntry,
    EntryStatus,
    Hours,
    Mode,
    Person,
    PublicTopic,
    Role,
    UnitLevel,
    parse_hours,
)
from ._overlay import load_overlay, merge_overlay, overlay_applies, policy_for
from ._policy import (
    AppliesTo,
    CategoryDeadlineRule,
    Citation,
    CreditFactorRule,
    FilingDeadlineRule,
    KeyTopicsRule,
    Loosening,
    Message,
    MinHoursRule,
    MinShareRule,
    Policy,
    RecognisedPlatformsRule,
    Rule,
    SubmissionDeadlineRule,
    TitleAchievementRule,
    get_policy,
    list_policies,
    load_policy,
    parse_policy,
    policy_by_id,
)
from ._title import (
    TITLE_WINDOW_MAX_YEARS,
    Achievement,
    PeriodVerdict,
    YearShortfall,
    achievements,
    evaluate_period,
    title_window,
)
from ._verdict import (
    EntryDecision,
    Finding,
    Reason,
    RequirementResult,
    Status,
    Verdict,
    format_hours,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_REGION",
    "MAX_ENTRY_HOURS",
    "TITLE_WINDOW_MAX_YEARS",
    "Achievement",
    "AppliesTo",
    "BatchResult",
    "BatchTotals",
    "BatchVerdict",
    "Category",
    "CategoryDeadlineRule",
    "CeRulesError",
    "Citation",
    "Course",
    "CreditEntry",
    "CreditFactorRule",
    "EntryDecision",
    "EntryStatus",
    "EvaluationInputError",
    "FilingDeadlineRule",
    "Finding",
    "Hours",
    "InputRecord",
    "InvalidRecord",
    "KeyTopicsRule",
    "Loosening",
    "Message",
    "MinHoursRule",
    "MinShareRule",
    "Mode",
    "PeriodVerdict",
    "Person",
    "Policy",
    "PolicyError",
    "PolicyFileError",
    "PolicyNotFoundError",
    "PublicTopic",
    "Reason",
    "RecognisedPlatformsRule",
    "RecordFileError",
    "RequirementResult",
    "Role",
    "Rule",
    "Status",
    "SubmissionDeadlineRule",
    "TitleAchievementRule",
    "UnitLevel",
    "Verdict",
    "YearShortfall",
    "__version__",
    "achievements",
    "evaluate",
    "evaluate_many",
    "evaluate_period",
    "format_hours",
    "get_policy",
    "list_policies",
    "load_overlay",
    "load_policy",
    "merge_overlay",
    "overlay_applies",
    "parse_hours",
    "parse_policy",
    "policy_by_id",
    "policy_for",
    "read_records",
    "rule_catalogue",
    "title_window",
]
