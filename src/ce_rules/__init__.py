"""ce-rules: continuing-education rules for professional and technical personnel, as code.

The first jurisdiction is Shandong, from the 2024 notice of the provincial Department
of Human Resources and Social Security. Build a ``Person`` and their ``CreditEntry``
records, and ``evaluate`` gives a ``Verdict`` that explains every number by its clause.
"""

from __future__ import annotations

from ._engine import DEFAULT_REGION, evaluate
from ._exceptions import (
    CeRulesError,
    EvaluationInputError,
    PolicyError,
    PolicyFileError,
    PolicyNotFoundError,
)
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
from ._policy import (
    Citation,
    CreditFactorRule,
    KeyTopicsRule,
    Message,
    MinHoursRule,
    MinShareRule,
    Policy,
    RecognisedPlatformsRule,
    Rule,
    get_policy,
    list_policies,
    load_policy,
    parse_policy,
    policy_by_id,
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
    "Category",
    "CeRulesError",
    "Citation",
    "Course",
    "CreditEntry",
    "CreditFactorRule",
    "EntryDecision",
    "EntryStatus",
    "EvaluationInputError",
    "Finding",
    "Hours",
    "KeyTopicsRule",
    "Message",
    "MinHoursRule",
    "MinShareRule",
    "Mode",
    "Person",
    "Policy",
    "PolicyError",
    "PolicyFileError",
    "PolicyNotFoundError",
    "PublicTopic",
    "Reason",
    "RecognisedPlatformsRule",
    "RequirementResult",
    "Role",
    "Rule",
    "Status",
    "UnitLevel",
    "Verdict",
    "__version__",
    "evaluate",
    "format_hours",
    "get_policy",
    "list_policies",
    "load_policy",
    "parse_hours",
    "parse_policy",
    "policy_by_id",
]
