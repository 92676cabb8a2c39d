"""The errors ce-rules raises.

Bad input raises; falling short of a requirement is a verdict, never an exception.
Model validation (``Person``, ``Course``, ``CreditEntry``) raises pydantic's
``ValidationError``, which names the field and the value. Everything else derives
from one root::

    CeRulesError
    ├── PolicyError
    │   ├── PolicyNotFoundError     (also a LookupError)
    │   ├── PolicyFileError         (also a ValueError)
    │   └── HolidayCalendarError    (_deadlines; also a LookupError)
    ├── EvaluationInputError        (also a ValueError)
    ├── CellError                   (_cells; also a ValueError)
    ├── RecordFileError             (_readers; also a ValueError)
    └── OutputError                 (_output; also an OSError)
"""

from __future__ import annotations

__all__ = [
    "CeRulesError",
    "EvaluationInputError",
    "PolicyError",
    "PolicyFileError",
    "PolicyNotFoundError",
]


class CeRulesError(Exception):
    """The root of every error that ce-rules raises itself."""


class PolicyError(CeRulesError):
    """A policy could not be found, read or applied."""


class PolicyNotFoundError(PolicyError, LookupError):
    """No policy is registered for the region and year, or with the id (never a fallback).

    ``region`` is the region looked up, or the policy id when ``year`` is None (unless
    ``region_only``: a region looked up with no year, that no policy governs);
    ``available`` what is registered (policy ids, or regions with their years).
    """

    def __init__(
        self,
        region: str,
        year: int | None,
        available: tuple[str, ...] = (),
        *,
        region_only: bool = False,
    ) -> None:
        self.region = region
        self.year = year
        self.available = available
        known = ", ".join(available) if available else "none"
        if region_only:
            super().__init__(f"no policy governs region {region!r}; registered: {known}")
        elif year is None:
            super().__init__(
                f"no policy has the id {region!r}; registered: {known} (a region's policy "
                "for a year is get_policy(region, year))"
            )
        else:
            super().__init__(
                f"no policy is registered for region {region!r}, year {year}; registered: {known}"
            )


class PolicyFileError(PolicyError, ValueError):
    """A policy file is malformed: the message names the file and the field."""

    def __init__(self, source: str, field: str, message: str) -> None:
        self.source = source
        self.field = field
        self.message = message
        super().__init__(f"{source}: {field}: {message}")


class EvaluationInputError(CeRulesError, ValueError):
    """An argument of an evaluation is of the wrong kind or out of range."""

    def __init__(self, field: str, value: object, message: str) -> None:
        self.field = field
        self.value = value
        self.message = message
        super().__init__(f"{field}={value!r}: {message}")
