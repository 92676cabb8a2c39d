"""Policies as data: the rule vocabulary, the TOML loader and the registry.

A policy is one legal document turned into data: its metadata and a list of rules,
each of one *kind* from a small vocabulary, each carrying the clause it comes from.
Python implements the kinds; the numbers, lists and citations live in TOML files
under ``ce_rules/policies/``. A new year of an existing kind of rule is a new file.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, Literal, NamedTuple

from pydantic import BaseModel, Field, StringConstraints, ValidationError
from pydantic import model_validator as _model_validator

from ._exceptions import PolicyFileError, PolicyNotFoundError
from ._message import Message
from ._model import FROZEN, Category, Mode, PublicTopic, Role, UnitLevel

__all__ = [
    "AppliesTo",
    "CategoryDeadlineRule",
    "Citation",
    "CreditFactorRule",
    "FilingDeadlineRule",
    "KeyTopicsRule",
    "Loosening",
    "Message",
    "MinHoursRule",
    "MinShareRule",
    "Policy",
    "RecognisedPlatformsRule",
    "RequirementRule",
    "Rule",
    "SubmissionDeadlineRule",
    "TitleAchievementRule",
    "get_policy",
    "list_policies",
    "load_policy",
    "parse_policy",
    "policy_by_id",
]

_Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
_Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
_PositiveDecimal = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]


class Citation(BaseModel):
    """Where a rule comes from: the document, the clause number and a short quote.

    Attributes:
        document: The legal document, e.g. the notice's title or a decree number.
        clause: The clause number as the document numbers it, e.g. ``二(一)``.
        quote: A short quote of the clause, in the document's own words.
    """

    model_config = FROZEN

    document: _Text
    clause: _Text
    quote: _Text

    def __str__(self) -> str:
        return f"{self.document} {self.clause}"


class _RuleBase(BaseModel):
    model_config = FROZEN

    code: _Code
    citation: Citation
    message: Message


class MinHoursRule(_RuleBase):
    """At least ``hours`` in the year, in one category or (``category`` unset) in total.

    Attributes:
        category: The category counted, or None for all hours together.
        hours: The minimum.
    """

    kind: Literal["min_hours"]
    category: Category | None = None
    hours: _PositiveDecimal


class MinShareRule(_RuleBase):
    """Hours of ``category`` are at least ``share`` of all counted hours.

    Attributes:
        category: The category whose share is measured.
        share: The minimum share as an exact fraction, written ``"2/3"``.
    """

    kind: Literal["min_share"]
    category: Category
    share: Annotated[str, StringConstraints(pattern=r"^\s*\d+\s*/\s*\d+\s*$")]

    @property
    def ratio(self) -> Fraction:
        """The share as an exact fraction."""
        return Fraction(self.share.replace(" ", ""))

    @_model_validator(mode="after")
    def _proper_fraction(self) -> MinShareRule:
        numerator, _, denominator = self.share.partition("/")
        if int(denominator) == 0 or not 0 < Fraction(int(numerator), int(denominator)) < 1:
            raise ValueError(f"share must be a fraction between 0 and 1, got {self.share!r}")
        return self


class CreditFactorRule(_RuleBase):
    """Hours of matching entries are credited ``factor`` times.

    The first matching factor rule of a policy applies; an entry no rule matches is
    credited once (factor 1).

    Attributes:
        role: The role the entry must have.
        featured: If set, whether the course must (or must not) be featured.
        category: If set, the category the course must have.
        factor: The multiplier.
    """

    kind: Literal["credit_factor"]
    role: Role
    featured: bool | None = None
    category: Category | None = None
    factor: _PositiveDecimal


class RecognisedPlatformsRule(_RuleBase):
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
    roles: tuple[Role, ...] = (Role.LEARNER,)
    platforms: Annotated[tuple[_Text, ...], Field(min_length=1)]


class KeyTopicsRule(_RuleBase):
    """Advisory: counted hours of ``category`` should include one of the key topics.

    Attributes:
        category: The category whose courses are looked at.
        topics: The key topic series.
    """

    kind: Literal["key_topics"]
    category: Category = Category.PUBLIC
    topics: Annotated[tuple[PublicTopic, ...], Field(min_length=1)]


_Month = Annotated[int, Field(ge=1, le=12)]
_Day = Annotated[int, Field(ge=1, le=31)]


class TitleAchievementRule(_RuleBase):
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


class FilingDeadlineRule(_RuleBase):
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

    @_model_validator(mode="after")
    def _distinct_parts(self) -> FilingDeadlineRule:
        for name in ("documents", "recipients"):
            values: tuple[str, ...] = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name}: a value appears twice: {list(values)}")
        if bool(self.documents) != bool(self.recipients):
            raise ValueError("documents and recipients are given together, or neither")
        return self


class SubmissionDeadlineRule(_RuleBase):
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
    month: _Month
    day: _Day
    formats: tuple[_Text, ...] = ()
    extend_past_holidays: bool = True
    holidays_include_weekends: bool = True


class CategoryDeadlineRule(_RuleBase):
    """Hours of ``category`` count only if completed on or before a day of their year.

    A local rule (e.g. a city wanting public hours done by 31 October, 二(二) lets each
    city set how its staff take public subjects); the day is inclusive and is taken in
    the entry's credited year.

    Attributes:
        category: The category whose entries must be completed by the day.
        month: The month of the deadline.
        day: The last day allowed, inclusive.
    """

    kind: Literal["category_deadline"]
    category: Category
    month: _Month
    day: _Day


#: A rule that produces a requirement in a verdict.
RequirementRule = MinHoursRule | MinShareRule
#: Any rule of the vocabulary, told apart by its ``kind``.
Rule = Annotated[
    MinHoursRule
    | MinShareRule
    | CreditFactorRule
    | RecognisedPlatformsRule
    | KeyTopicsRule
    | TitleAchievementRule
    | FilingDeadlineRule
    | SubmissionDeadlineRule
    | CategoryDeadlineRule,
    Field(discriminator="kind"),
]


class AppliesTo(BaseModel):
    """Whom a local overlay policy applies to: a city, an industry authority, or both.

    Clauses 二(二) (cities set how their staff take public subjects) and 三(二)
    (provincial industry authorities plan professional subjects).

    Attributes:
        city: The city (``Person.city``) it applies to.
        industry: The industry (``Person.industry``) it applies to.
    """

    model_config = FROZEN

    city: _Text | None = None
    industry: _Text | None = None

    @_model_validator(mode="after")
    def _something(self) -> AppliesTo:
        if self.city is None and self.industry is None:
            raise ValueError("applies_to needs a city, an industry or both")
        return self


class Loosening(BaseModel):
    """A rule of a base policy that a local overlay explicitly made less strict.

    Attributes:
        code: The code of the rule loosened.
        overlay_id: The overlay that loosened it.
        base: The base rule's value, for people (e.g. ``30 学时``).
        overlay: The overlay's value, for people.
        citation: The overlay rule's citation.
    """

    model_config = FROZEN

    code: _Code
    overlay_id: _Text
    base: _Text
    overlay: _Text
    citation: Citation


_INDEX_KEY: Final = "__ce_rules_rule_index__"


#: A credit factor's conditions: the entry's role, whether the course is featured, its category.
FactorKey = tuple[Role, bool, Category]
#: The courses a platform rule restricts: their mode and category.
PlatformKey = tuple[Mode, Category]


def _first_factor_rule(
    factor_rules: tuple[CreditFactorRule, ...], role: Role, featured: bool, category: Category
) -> CreditFactorRule | None:
    """The first factor rule matching; None means the hours count once."""
    for rule in factor_rules:
        if (
            rule.role is role
            and (rule.featured is None or rule.featured == featured)
            and (rule.category is None or rule.category is category)
        ):
            return rule
    return None


class _RuleIndex(NamedTuple):
    """A policy's rules sorted by kind and tabled for look-up, derived once per policy.

    The engine reads them for every entry: the factor of every combination of role,
    featured and category, and the platform rules of each unit level by the mode and
    category they restrict, are found here once rather than per entry.
    """

    rules: tuple[Rule, ...]
    requirement_rules: tuple[RequirementRule, ...]
    factor_rules: tuple[CreditFactorRule, ...]
    platform_rules: tuple[RecognisedPlatformsRule, ...]
    category_deadline_rules: tuple[CategoryDeadlineRule, ...]
    topic_rules: tuple[KeyTopicsRule, ...]
    factor_table: dict[FactorKey, CreditFactorRule | None]
    platform_table: dict[UnitLevel, dict[PlatformKey, tuple[RecognisedPlatformsRule, ...]]]
    #: What each combination's factor multiplies hours by; None where it leaves them as
    #: they are (no rule, or a factor of exactly ``Decimal(1)``: the same digits).
    multiplier_table: dict[FactorKey, Decimal | None]
    #: For each requirement rule, the one category whose hours earned and pending alone
    #: decide its result (a ``min_hours`` rule of one category), else None.
    deciding_categories: tuple[Category | None, ...]

    @classmethod
    def of(cls, rules: tuple[Rule, ...]) -> _RuleIndex:
        factor_rules = tuple(r for r in rules if isinstance(r, CreditFactorRule))
        platform_rules = tuple(r for r in rules if isinstance(r, RecognisedPlatformsRule))
        platform_table: dict[UnitLevel, dict[PlatformKey, tuple[RecognisedPlatformsRule, ...]]]
        platform_table = {unit: {} for unit in UnitLevel}
        for rule in platform_rules:
            table = platform_table[rule.unit_level]
            key = (rule.mode, rule.category)
            table[key] = (*table.get(key, ()), rule)
        factor_table = {
            (role, featured, category): _first_factor_rule(factor_rules, role, featured, category)
            for role in Role
            for featured in (False, True)
            for category in Category
        }
        requirement_rules = tuple(r for r in rules if isinstance(r, MinHoursRule | MinShareRule))
        return cls(
            rules,
            requirement_rules,
            factor_rules,
            platform_rules,
            tuple(r for r in rules if isinstance(r, CategoryDeadlineRule)),
            tuple(r for r in rules if isinstance(r, KeyTopicsRule)),
            factor_table,
            platform_table,
            {key: _multiplier(rule) for key, rule in factor_table.items()},
            tuple(r.category if isinstance(r, MinHoursRule) else None for r in requirement_rules),
        )


def _multiplier(rule: CreditFactorRule | None) -> Decimal | None:
    """What ``rule`` multiplies hours by; None if that leaves every value's digits as they are."""
    if rule is None or (rule.factor == 1 and rule.factor.as_tuple().exponent == 0):
        return None
    return rule.factor


class Policy(BaseModel):
    """One legal document as data: what it is, which years it governs, and its rules.

    Attributes:
        id: A stable identifier, e.g. ``shandong-2024``.
        version: The version of this data file; bumped on every change of a rule.
        region: The region it governs, e.g. ``shandong`` or ``cn-national``.
        title: The document's title in Chinese.
        title_en: The title in English.
        authority: The issuing authority.
        document_number: The document number (文号), where there is one.
        issued_on: The day it was issued.
        years: The calendar years it governs.
        source: Where the text can be read.
        certificate_requires: The requirement codes that must all be met for the
            electronic certificate (继续教育电子证书).
        rules: The rules, in the order they apply.
        extends: For a local overlay (二(二), 三(二)): the id of the policy it extends.
        applies_to: For an overlay: the city and/or industry it applies to.
        loosens: For an overlay: the codes of base rules it deliberately makes less
            strict; any other loosening is an error.
        loosenings: Set when an overlay is merged: the loosenings it made, which every
            verdict under the merged policy reports.
    """

    model_config = FROZEN

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    version: _Text
    region: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: _Text
    title_en: _Text
    authority: _Text
    document_number: _Text | None = None
    issued_on: date | None = None
    years: Annotated[tuple[Annotated[int, Field(ge=1990, le=2100)], ...], Field(min_length=1)]
    source: _Text | None = None
    certificate_requires: tuple[_Code, ...] = ()
    rules: Annotated[tuple[Rule, ...], Field(min_length=1)]
    extends: _Text | None = None
    applies_to: AppliesTo | None = None
    loosens: tuple[_Code, ...] = ()
    loosenings: tuple[Loosening, ...] = ()

    @_model_validator(mode="after")
    def _coherent(self) -> Policy:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.code in seen:
                raise ValueError(f"rules: the code {rule.code!r} is used twice")
            seen.add(rule.code)
        requirement_codes = {r.code for r in self.requirement_rules}
        if self.extends is not None:
            # An overlay is checked again once merged with the policy it extends.
            return self
        if self.applies_to is not None or self.loosens:
            raise ValueError("applies_to and loosens are for overlays: set extends too")
        if not requirement_codes:
            raise ValueError("rules: a policy needs at least one min_hours or min_share rule")
        for code in self.certificate_requires:
            if code not in requirement_codes:
                raise ValueError(
                    f"certificate_requires: {code!r} is not the code of a requirement rule"
                )
        return self

    def _index(self) -> _RuleIndex:
        # Derived once per rules tuple and kept beside the fields (not one of them, so
        # equality, dumps and schemas ignore it); keyed by the tuple's identity, so a
        # copy with other rules (model_copy(update=...)) never sees a stale index.
        index: _RuleIndex | None = self.__dict__.get(_INDEX_KEY)
        if index is None or index.rules is not self.rules:
            index = _RuleIndex.of(self.rules)
            self.__dict__[_INDEX_KEY] = index
        return index

    @property
    def requirement_rules(self) -> tuple[RequirementRule, ...]:
        """The rules that produce requirements, in policy order."""
        return self._index().requirement_rules

    @property
    def factor_rules(self) -> tuple[CreditFactorRule, ...]:
        """The credit factor rules, in policy order (the first match applies)."""
        return self._index().factor_rules

    @property
    def platform_rules(self) -> tuple[RecognisedPlatformsRule, ...]:
        """The recognised-platform rules."""
        return self._index().platform_rules

    @property
    def category_deadline_rules(self) -> tuple[CategoryDeadlineRule, ...]:
        """The per-category completion deadlines of a local overlay."""
        return self._index().category_deadline_rules

    @property
    def topic_rules(self) -> tuple[KeyTopicsRule, ...]:
        """The advisory key-topic rules."""
        return self._index().topic_rules

    def rule(self, code: str) -> Rule:
        """The rule with this code; ``KeyError`` naming the code if there is none."""
        for rule in self.rules:
            if rule.code == code:
                return rule
        raise KeyError(f"policy {self.id} has no rule {code!r}")


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def parse_policy(data: Mapping[str, Any], *, source: str = "<policy>") -> Policy:
    """Build a ``Policy`` from parsed data; ``PolicyFileError`` names source and field."""
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise PolicyFileError(source, _field_path(first["loc"]), first["msg"]) from error


def _parse_toml(text: str, source: str) -> Policy:
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise PolicyFileError(source, "(syntax)", str(error)) from error
    return parse_policy(data, source=source)


def load_policy(path: str | Path) -> Policy:
    """Load a policy from a TOML file of your own (the format of the bundled ones)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyFileError(str(path), "(file)", error.strerror or str(error)) from error
    except UnicodeDecodeError as error:
        raise PolicyFileError(str(path), "(file)", f"not UTF-8: {error.reason}") from error
    return _parse_toml(text, str(path))


@functools.cache
def _registry() -> tuple[Policy, ...]:
    # The bundled files never change while the process runs: read them once.
    folder = resources.files("ce_rules").joinpath("policies")
    policies = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            policies.append(
                _parse_toml(item.read_text(encoding="utf-8"), f"ce_rules/policies/{item.name}")
            )
    return tuple(sorted(policies, key=lambda p: (p.region, p.years)))


@functools.cache
def _by_region_year() -> dict[tuple[str, int], Policy]:
    # Read-only once built: the registry never changes while the process runs.
    found: dict[tuple[str, int], Policy] = {}
    for policy in _registry():
        for year in policy.years:
            key = (policy.region, year)
            if key in found:  # pragma: no cover - guarded by the test suite
                raise PolicyFileError(
                    policy.id, "years", f"{year} is also governed by {found[key].id}"
                )
            found[key] = policy
    return found


def list_policies() -> tuple[Policy, ...]:
    """Every bundled policy, ordered by region and years."""
    return _registry()


def get_policy(region: str, year: int) -> Policy:
    """The bundled policy governing ``year`` in ``region``.

    Raises ``PolicyNotFoundError`` when none does: a year without a policy is never
    evaluated under another year's rules.
    """
    policy = _by_region_year().get((region, year))
    if policy is None:
        raise PolicyNotFoundError(region, year, tuple(p.id for p in _registry()))
    return policy


def policy_by_id(policy_id: str) -> Policy:
    """The bundled policy with this id; ``PolicyNotFoundError`` if there is none."""
    for policy in _registry():
        if policy.id == policy_id:
            return policy
    raise PolicyNotFoundError(policy_id, None, tuple(p.id for p in _registry()))
