"""Policies as data: the rule vocabulary, the TOML loader and the registry.

A policy is one legal document turned into data: its metadata and a list of rules,
each of one *kind* from a small vocabulary, each carrying the clause it comes from.
Python implements the kinds; the numbers, lists and citations live in TOML files
under ``ce_rules/policies/``. A new year of an existing kind of rule is a new file.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, Field, PrivateAttr, StringConstraints, ValidationError
from pydantic import model_validator as _model_validator

from ._exceptions import PolicyFileError, PolicyNotFoundError
from ._message import Message
from ._model import FROZEN, Category, Mode, Role, UnitLevel
from .kinds import (
    CategoryDeadlineRule,
    Citation,
    CreditFactorRule,
    FilingDeadlineRule,
    KeyTopicsRule,
    MinHoursRule,
    MinShareRule,
    RecognisedPlatformsRule,
    RequirementRule,
    Rule,
    SubmissionDeadlineRule,
    TitleAchievementRule,
    credit_factor,
)

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


#: A credit factor's conditions: the entry's role, whether the course is featured, its category.
FactorKey = tuple[Role, bool, Category]
#: The courses a platform rule restricts: their mode and category.
PlatformKey = tuple[Mode, Category]


def _first_factor_rule(
    factor_rules: tuple[CreditFactorRule, ...], role: Role, featured: bool, category: Category
) -> CreditFactorRule | None:
    """The first factor rule matching; None means the hours count once."""
    for rule in factor_rules:
        if credit_factor.applies(rule, role, featured, category):
            return rule
    return None


class Credit(NamedTuple):
    """What an entry's role, featured flag and category decide of its credit.

    Attributes:
        multiplier: What its hours are multiplied by (None: left as they are).
        toward: The category its hours count toward.
        nothing: Whether its factor is 0 (not credited).
    """

    multiplier: Decimal | None
    toward: Category
    nothing: bool


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
    #: The category each combination's credited hours count toward.
    toward_table: dict[FactorKey, Category]
    #: Whether each combination is credited once per course and year (二(三)).
    once_table: dict[FactorKey, bool]
    #: All an entry's combination decides of its credit, in one look-up (the judging loop).
    credit_table: dict[FactorKey, Credit]

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
            {
                key: (rule.toward if rule is not None and rule.toward is not None else key[2])
                for key, rule in factor_table.items()
            },
            {
                key: rule is not None and rule.once_per_course_year
                for key, rule in factor_table.items()
            },
            {
                key: Credit(
                    _multiplier(rule),
                    rule.toward if rule is not None and rule.toward is not None else key[2],
                    rule is not None and rule.factor == 0,
                )
                for key, rule in factor_table.items()
            },
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

    # What is derived from the fields, once: the rules by kind and in tables, and the
    # digest of the content. Private attributes, not fields: equality, dumps and schemas
    # ignore them; ``model_copy`` starts a copy without them (it may change the fields).
    _derived_index: _RuleIndex | None = PrivateAttr(default=None)
    _derived_digest: str | None = PrivateAttr(default=None)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Policy:
        """A copy (with ``update`` applied, unvalidated, as pydantic's), derived values dropped."""
        copy = super().model_copy(update=update, deep=deep)
        copy._derived_index = None
        copy._derived_digest = None
        return copy

    def _index(self) -> _RuleIndex:
        index = self._derived_index
        if index is None:
            index = self._derived_index = _RuleIndex.of(self.rules)
        return index

    @property
    def digest(self) -> str:
        """SHA-256 of the policy's content (every field), for fingerprints.

        An edited copy that keeps an id and a version has another digest.
        """
        digest = self._derived_digest
        if digest is None:
            text = self.model_dump_json()
            digest = self._derived_digest = hashlib.sha256(text.encode()).hexdigest()
        return digest

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
