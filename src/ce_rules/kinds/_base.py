"""What every rule kind shares: its citation, its message, and the figures of a requirement.

A rule kind lives in one module of this package: its data model, its catalogue summary,
its overlay-loosening check, and its part in judging, once for one person (scalar, on
Python values) and once for a table of persons (columnar, as polars expressions), side
by side. ``tests/test_columnar.py`` proves the two forms equal.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated, Any, Final, NamedTuple

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from .._message import Message
from .._model import FROZEN
from .._vocabulary import Category
from ..sources import decision_numbers

if TYPE_CHECKING:  # polars is imported by the columnar forms only, when they run
    import polars as pl

__all__ = [
    "MAX_TEXT",
    "ROUNDING_CEILING_CENT",
    "UNITS_PER_HOUR",
    "BoundedMessage",
    "Citation",
    "Code",
    "ColumnarTotals",
    "Figures",
    "PolicyHours",
    "Reading",
    "RuleBase",
    "Text",
    "Totals",
    "basis",
    "ceil_cent",
    "ceil_cent_units",
    "other",
    "same_scope",
    "values",
]

#: The longest text a policy file may hold in one field (a quote, a message, a name).
MAX_TEXT: Final = 1000
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT, strip_whitespace=True)]
#: Hours in a policy: exact, > 0, at most 10,000, with at most two decimal places.
PolicyHours = Annotated[Decimal, Field(gt=0, le=10_000, allow_inf_nan=False, decimal_places=2)]
#: The columnar engine counts hours in ten-thousandths: every hour (two places) times every
#: factor (two places) is a whole number of them, so sums stay exact integers.
UNITS_PER_HOUR: Final = 10_000
_CENT: Final = Decimal("0.01")
#: Hundredths of an hour in columnar units.
_CENT_UNITS: Final = UNITS_PER_HOUR // 100


def _bounded(message: Message) -> Message:
    for lang, text in (("zh", message.zh), ("en", message.en)):
        if len(text) > MAX_TEXT:
            raise ValueError(f"{lang}: at most {MAX_TEXT} characters, got {len(text)}")
    return message


#: A bilingual text of a policy file, each language at most ``MAX_TEXT`` characters.
BoundedMessage = Annotated[Message, AfterValidator(_bounded)]


class Citation(BaseModel):
    """Where a rule comes from: the document, the clause number and a short quote.

    Attributes:
        document: The legal document: its title, or its document number (文号) where it
            has one. Never a made-up number: the Shandong 2024 notice shows none, so its
            rules name it by its title.
        clause: The clause number as the document numbers it, e.g. ``二(一)``.
        quote: A short quote of the clause, verbatim; words left out are marked ``……``
            (every part between the marks is found, in order, in the legal text).
    """

    model_config = FROZEN

    document: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    clause: Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
    quote: Text

    def __str__(self) -> str:
        return f"{self.document} {self.clause}"


def _known_decision(number: int) -> int:
    known = decision_numbers()
    if number not in known:
        raise ValueError(
            f"decision {number} is not in the catalogue of decisions "
            f"(1 to {max(known)}, docs/concepts.md)"
        )
    return number


class Reading(BaseModel):
    """The project's reading a rule (or a policy's claim) rests on where the notice is silent.

    A rule's ``citation`` names the clause it implements; where the rule decides more
    than the clause's words (which category a credit counts toward, that hours from other
    platforms do not count, how a period is counted), ``reading`` names the numbered
    decision of docs/concepts.md it takes and says, in one line, what it reads and why.

    Attributes:
        decision: The number of the decision (``ce_rules.sources.decisions()``); a number
            the catalogue lacks is refused.
        rationale: What the reading is and why, in one line, in Chinese and English.
    """

    model_config = FROZEN

    decision: Annotated[int, Field(strict=True), AfterValidator(_known_decision)]
    rationale: BoundedMessage

    def describe(self, lang: str = "en") -> str:
        """``reading: decision 6 — …`` (``解读：决定6——…``), for people."""
        if lang == "zh":
            return f"解读：决定{self.decision}——{self.rationale.zh}"
        return f"reading: decision {self.decision} — {self.rationale.in_(lang)}"


def basis(citation: Citation | None, reading: Reading | None, lang: str = "en") -> str:
    """What something rests on, for people: the clause, and the reading where there is one.

    ``二(二); reading: decision 6 — …`` in English, ``二(二)；解读：决定6——…`` in Chinese.
    """
    parts = [] if citation is None else [citation.clause]
    if reading is not None:
        parts.append(reading.describe(lang))
    return ("；" if lang == "zh" else "; ").join(parts)


class RuleBase(BaseModel):
    """The fields every rule has: a stable code, its basis and a bilingual message.

    Attributes:
        code: A stable code, unique in its policy.
        citation: The clause the rule implements.
        reading: The numbered decision the rule takes where it decides more than the
            clause says; None where it is the clause's own words.
        message: What the rule asks, in Chinese and English: no more than the clause says,
            and, where a reading decides, naming the decision.
    """

    model_config = FROZEN

    code: Code
    citation: Citation
    reading: Reading | None = None
    message: BoundedMessage

    def basis(self, lang: str = "en") -> str:
        """The rule's clause, and its reading where it has one (``basis``)."""
        return basis(self.citation, self.reading, lang)


#: The fields of every rule that say where it comes from, not what it applies to or asks.
_BASIS_FIELDS: Final = frozenset({"kind", "code", "citation", "reading", "message"})


def values(rule: BaseModel) -> dict[str, Any]:
    """A rule's own values: every field but its kind, code, citation, reading and message."""
    return {k: v for k, v in rule.model_dump().items() if k not in _BASIS_FIELDS}


def same_scope(old: BaseModel, new: BaseModel, value_fields: set[str]) -> bool:
    """Whether two rules apply to the same entries: equal in every field but ``value_fields``."""
    old_values, new_values = values(old), values(new)
    return all(old_values[k] == new_values[k] for k in old_values if k not in value_fields)


def other(category: Category) -> Category:
    """The category that is not ``category``."""
    return Category.PROFESSIONAL if category is Category.PUBLIC else Category.PUBLIC


class Totals(NamedTuple):
    """One person's hours by category: earned, pending approval, and open (missing facts).

    Attributes:
        earned: Hours counted, by category.
        pending: What approving pending entries would add, by category.
        open: What entries waiting for a missing fact might add, by category.
    """

    earned: dict[Category, Decimal]
    pending: dict[Category, Decimal]
    open: dict[Category, Decimal]


class Figures(NamedTuple):
    """The numbers of a requirement's result, as a rule kind computes them.

    Attributes:
        required: The hours required.
        earned: The hours that count toward it.
        shortfall: The hours still needed (0 when met).
        pending: What pending entries would add.
        undetermined: What entries waiting for a missing fact might add.
        met: Whether it is met on what is certain.
        determined: Whether the missing facts could not change ``met``.
        rounding: How ``required`` and ``shortfall`` were rounded, if they were.
    """

    required: Decimal
    earned: Decimal
    shortfall: Decimal
    pending: Decimal
    undetermined: Decimal
    met: bool
    determined: bool
    rounding: str | None


class ColumnarTotals(NamedTuple):
    """The columns of a table of persons that hold their hours, in ``UNITS_PER_HOUR``.

    Attributes:
        earned: The column of earned hours, by category.
        pending: The column of pending hours, by category.
        open: The column of open hours, by category.
    """

    earned: dict[Category, pl.Expr]
    pending: dict[Category, pl.Expr]
    open: dict[Category, pl.Expr]


#: Named rounding for numbers that a share makes inexact: up, to the next 0.01 hour.
ROUNDING_CEILING_CENT: Final = "ceiling to 0.01 hour"


def ceil_cent(value: Fraction) -> tuple[Decimal, bool]:
    """``value`` as a decimal, rounded up to 0.01 if it is not exact; and whether it was."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(exact) == value and exact == exact.quantize(_CENT):
        return exact, False
    cents = -((-value.numerator * 100) // value.denominator)  # ceiling, in whole cents
    return Decimal(cents) / 100, True


def ceil_cent_units(numerator: pl.Expr, denominator: int) -> tuple[pl.Expr, pl.Expr]:
    """Columnar ``ceil_cent`` of ``numerator / denominator`` (units): the value and whether inexact.

    ``numerator`` counts units times ``denominator``; the result is in units, a whole
    number of hundredths, rounded up.
    """
    step = denominator * _CENT_UNITS
    # Python's floor division of integers: -((-n) // d) is the ceiling, also for negatives.
    cents = -((-numerator) // step)
    return cents * _CENT_UNITS, (numerator % step) != 0
