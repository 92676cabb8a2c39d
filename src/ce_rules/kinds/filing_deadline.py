"""``filing_deadline``: a filing is due within so many days after a completion (四(二)).

四(二): 在培训结业30日内将培训学员名单和培训情况总结报省、市人力资源社会保障部门备案. Judged by
``check_training_filing`` (``_deadlines``), not by the annual verdict.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ._base import RuleBase

__all__ = ["FilingDeadlineRule", "loosens", "summary"]


class FilingDeadlineRule(RuleBase):
    """A filing is due at most ``days`` calendar days after a completion (四(二)).

    Read as: the filing date is on or before the completion date plus ``days``
    (domain decision 7; 《民法典》第二百零一条: the day of completion is not counted).
    When ``extend_past_holidays`` is set, a period whose last day is a statutory rest day
    (法定休假日) ends on the day after the rest days end (《民法典》第二百零三条, decision
    7), read from the official holiday calendar with its adjusted working days (调休).
    What the filing is made of comes from the notice too: 四(二) files the trainee list
    and the training summary (培训学员名单和培训情况总结) with the provincial and the
    municipal authorities (报省、市人力资源社会保障部门备案); the filing is complete when
    every document reached every recipient.

    Attributes:
        days: The number of calendar days allowed after the completion day.
        documents: The documents to file (``trainee_list``, ``training_summary``); none
            means the filing is one act, dated by ``TrainingCohort.filed_on``.
        recipients: The authorities to file with (``provincial``, ``municipal``); none
            means one recipient, as for ``documents``.
        extend_past_holidays: Whether a last day on a statutory rest day moves to the day
            after the rest days (《民法典》第二百零三条, decision 7). On by default: the
            project's reading of decision 7.
        holidays_include_weekends: Which days are statutory rest days for that purpose:
            every day the official calendar gives off, weekends included (the common
            judicial reading, and the default), or only the days of the State Council's
            holiday periods (the narrow reading of 法定休假日). Either way an adjusted
            working day (调休上班) is a working day.
    """

    kind: Literal["filing_deadline"]
    days: Annotated[int, Field(ge=0, le=3660)]
    documents: tuple[Literal["trainee_list", "training_summary"], ...] = ()
    recipients: tuple[Literal["provincial", "municipal"], ...] = ()
    extend_past_holidays: bool = True
    holidays_include_weekends: bool = True

    @model_validator(mode="after")
    def _distinct_parts(self) -> FilingDeadlineRule:
        for name in ("documents", "recipients"):
            values: tuple[str, ...] = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name}: a value appears twice: {list(values)}")
        if bool(self.documents) != bool(self.recipients):
            raise ValueError("documents and recipients are given together, or neither")
        return self


def summary(rule: FilingDeadlineRule) -> str:
    """The rule in one line, for the catalogue."""
    parts = [f"file within {rule.days} days after completion"]
    if rule.documents:
        parts.append(f"{' and '.join(rule.documents)} to {' and '.join(rule.recipients)}")
    if rule.extend_past_holidays:
        parts.append("a last day on a statutory rest day moves to the next working day")
    return "; ".join(parts)


def holidays_loosen(
    old_extend: bool, old_weekends: bool, new_extend: bool, new_weekends: bool
) -> bool:
    """Whether moving past rest days is switched on, or made to count weekends too."""
    return (new_extend and not old_extend) or (
        new_extend and old_extend and new_weekends and not old_weekends
    )


def loosens(old: FilingDeadlineRule, new: FilingDeadlineRule) -> bool:
    """Whether ``new`` allows longer, or asks for fewer documents or recipients, than ``old``."""
    return (
        new.days > old.days
        or not set(old.documents) <= set(new.documents)
        or not set(old.recipients) <= set(new.recipients)
        or holidays_loosen(
            old.extend_past_holidays,
            old.holidays_include_weekends,
            new.extend_past_holidays,
            new.holidays_include_weekends,
        )
    )
