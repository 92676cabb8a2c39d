"""``submission_deadline``: documents are due by a day of the year (五(二): 4月底前).

五(二): 各市人力资源社会保障局制定的继续教育工作的通知、各省级行业主管部门制定的专业科目学习方案，
请于4月底前将Word版和PDF版报送至我厅. Judged by ``check_submission`` (``_deadlines``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final, Literal

from pydantic import Field

from ._base import RuleBase, Text
from .category_deadline import Day, Month, later
from .filing_deadline import holidays_loosen

__all__ = ["FORMAT_LABELS", "SubmissionDeadlineRule", "canonical_format", "loosens", "summary"]

#: Spellings of the formats of 五(二) (Word版和PDF版), compared after ``strip``, ``lower``
#: and a leading dot removed; any other name is compared as it is then.
_FORMAT_ALIASES: Final[Mapping[str, str]] = {
    "word": "word",
    "word版": "word",
    "doc": "word",
    "docx": "word",
    "pdf": "pdf",
    "pdf版": "pdf",
}
FORMAT_LABELS: Final[Mapping[str, str]] = {"word": "Word", "pdf": "PDF"}


def canonical_format(name: str) -> str:
    """The canonical name of a submitted format (五(二)): ``word``, ``pdf`` or as given.

    Case, surrounding spaces and a leading dot do not matter; ``Word``, ``docx``, ``.doc``
    and ``Word版`` are ``word``; ``PDF`` and ``PDF版`` are ``pdf``. Other names (``ofd``)
    are kept, lower-cased.
    """
    key = name.strip().lower().removeprefix(".")
    return _FORMAT_ALIASES.get(key, key)


class SubmissionDeadlineRule(RuleBase):
    """Documents are due on or before a day of the year (五(二): 4月底前).

    ``day`` larger than the month's length means the month's last day. The submission
    is complete only with every format of ``formats`` (五(二): Word版和PDF版); formats
    are compared by their canonical names (``Word``, ``docx`` and ``doc`` are ``word``).
    ``extend_past_holidays`` and ``holidays_include_weekends`` read the deadline as
    the last day of a period, as for ``FilingDeadlineRule`` (《民法典》第二百零三条,
    decision 7).

    Attributes:
        month: The month of the deadline.
        day: The last day allowed, inclusive.
        formats: The file formats that must all be submitted (e.g. Word and PDF).
        extend_past_holidays: Whether a deadline on a statutory rest day moves to the
            day after the rest days (decision 7); on by default.
        holidays_include_weekends: Whether weekends count as statutory rest days for
            that purpose (the default), or only the official holiday periods do.
    """

    kind: Literal["submission_deadline"]
    month: Month
    day: Day
    formats: Annotated[tuple[Text, ...], Field(max_length=20)] = ()
    extend_past_holidays: bool = True
    holidays_include_weekends: bool = True


def summary(rule: SubmissionDeadlineRule) -> str:
    """The rule in one line, for the catalogue."""
    formats = f" ({' and '.join(rule.formats)})" if rule.formats else ""
    return f"submit by {rule.month:02d}-{rule.day:02d}{formats}"


def loosens(old: SubmissionDeadlineRule, new: SubmissionDeadlineRule) -> bool:
    """Whether ``new`` allows a later day or fewer formats than ``old``."""
    fewer_formats = not {canonical_format(f) for f in old.formats} <= {
        canonical_format(f) for f in new.formats
    }
    return (
        later(old.month, old.day, new.month, new.day)
        or fewer_formats
        or holidays_loosen(
            old.extend_past_holidays,
            old.holidays_include_weekends,
            new.extend_past_holidays,
            new.holidays_include_weekends,
        )
    )
