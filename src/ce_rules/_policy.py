"""Policies as data: the rule vocabulary, the TOML loader and the registry.

A policy is one legal document turned into data: its metadata and a list of rules,
each of one *kind* from a small vocabulary, each carrying the clause it comes from and,
where it decides more than the clause says, the numbered decision it reads it by.
Python implements the kinds; the numbers, lists and citations live in TOML files
under ``ce_rules/policies/``. A new year of an existing kind of rule is a new file.

A policy file is bounded: at most ``MAX_POLICY_BYTES``, nested at most
``MAX_POLICY_DEPTH`` levels, at most ``MAX_RULES`` rules, every number in a sane range
and every text at most ``MAX_TEXT`` characters. Whatever is wrong with a file is one
``PolicyFileError`` that names the file and every field at fault, at load time: a policy
that loads never fails when it is applied.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, NamedTuple

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
)
from pydantic import model_validator as _model_validator

from ._exceptions import PolicyFileError, PolicyNotFoundError
from ._message import Message
from ._model import FROZEN, Category, Mode, PublicTopic, Role, UnitLevel
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
from .kinds._base import MAX_TEXT, Reading

__all__ = [
    "MAX_POLICY_BYTES",
    "MAX_POLICY_DEPTH",
    "MAX_RULES",
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
    "Reading",
    "RecognisedPlatformsRule",
    "RequirementRule",
    "Rule",
    "SubmissionDeadlineRule",
    "TitleAchievementRule",
    "TopicSeries",
    "get_policy",
    "list_policies",
    "load_policy",
    "parse_policy",
    "policy_by_id",
]

#: The largest policy file read, in bytes (1 MiB); a larger one is refused before parsing.
MAX_POLICY_BYTES: Final = 1 << 20
#: The deepest nesting of tables and arrays in a policy (the policy itself is level 1; a
#: rule's reading's rationale is level 5).
MAX_POLICY_DEPTH: Final = 6
#: The most rules one policy file may have (a policy merged from overlays may have more).
MAX_RULES: Final = 200
#: The most rules a policy built in code may have: merges of local overlays add up.
_MAX_MERGED_RULES: Final = 10 * MAX_RULES
#: The longest id or version a policy file may give (a merged policy joins them).
_MAX_ID: Final = 64
#: The most problems a ``PolicyFileError`` spells out (it counts the others).
_MAX_PROBLEMS_SHOWN: Final = 50

_Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
_Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT, strip_whitespace=True)]
#: A text a merge joins (a title, an authority): bounded in a file (``_file_problems``).
_Joined = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
_Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
#: A path relative to the ``ce_rules`` package: segments that do not start with a dot.
_PackagePath = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$", max_length=200
    ),
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

    city: _Name | None = None
    industry: _Name | None = None

    @_model_validator(mode="after")
    def _something(self) -> AppliesTo:
        if self.city is None and self.industry is None:
            raise ValueError("applies_to needs a city, an industry or both")
        return self


class TopicSeries(BaseModel):
    """A topic series (专题) a policy names, e.g. Shandong 2024's five key series of 二(一).

    Topics are jurisdiction vocabulary, so they are policy data: a ``key_topics`` rule
    names the key ones by ``id``, and a course's topic is read against the policy it is
    judged under (its id, its name in either language, or one of its ``aliases``).

    Attributes:
        id: A stable identifier (``yellow_river``), what rules and JSON use.
        name: Its name in Chinese (as the document writes it) and in English.
        clause: The clause that names it.
        aliases: Other ways records write it.
    """

    model_config = FROZEN

    id: _Code
    name: Message
    clause: Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
    aliases: Annotated[tuple[_Name, ...], Field(max_length=20)] = ()

    def spellings(self) -> frozenset[str]:
        """Every text a course's topic may be to be this series, as ``parse_topics`` reads it.

        ``parse_topics`` turns the Chinese names of Shandong 2024's topics into
        ``PublicTopic`` members (their value): those values are spellings too, so that a
        policy naming a topic as Shandong does reads it whatever id it gives it.
        """
        texts = {self.id, self.name.zh, self.name.en, *self.aliases}
        found = PublicTopic.from_label(self.name.zh)
        if found is not None:
            texts.add(found.value)
        return frozenset(t.strip().strip('“”"') for t in texts)


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
    overlay_id: _Name
    # Derived from the rules when an overlay is merged, never read from a file: a rule's
    # description is as long as its values.
    base: Annotated[str, StringConstraints(min_length=1)]
    overlay: Annotated[str, StringConstraints(min_length=1)]
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
    #: Whether each combination is credited once per course and year (二(三)).
    once_table: dict[FactorKey, bool]
    #: All an entry's combination decides of its credit, in one look-up (the judging loop).
    credit_table: dict[FactorKey, Credit]
    #: For each key-topic rule, every text a course's topic may be to cover it.
    topic_keys: tuple[frozenset[str], ...]
    #: The places in ``requirement_rules`` of those the certificate needs; None if the
    #: policy names no certificate condition.
    certificate_positions: tuple[int, ...] | None

    @classmethod
    def of(
        cls,
        rules: tuple[Rule, ...],
        topics: tuple[TopicSeries, ...] = (),
        certificate_requires: tuple[str, ...] = (),
    ) -> _RuleIndex:
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
        topic_rules = tuple(r for r in rules if isinstance(r, KeyTopicsRule))
        spellings = {t.id: t.spellings() for t in topics}
        return cls(
            requirement_rules,
            factor_rules,
            platform_rules,
            tuple(r for r in rules if isinstance(r, CategoryDeadlineRule)),
            topic_rules,
            factor_table,
            platform_table,
            {key: _multiplier(rule) for key, rule in factor_table.items()},
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
            tuple(
                # A topic the policy does not declare (a policy built in code) is its id.
                frozenset().union(*(spellings.get(t, frozenset({t})) for t in rule.topics))
                for rule in topic_rules
            ),
            tuple(i for i, r in enumerate(requirement_rules) if r.code in certificate_requires)
            if certificate_requires
            else None,
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
        document_number: The document number (文号), only where the document has one
            (人力资源社会保障部令第25号 has; the Shandong 2024 notice shows none).
        issued_on: The day it was issued.
        years: The calendar years it governs (distinct, 1990 to 2100).
        source: Where the text can be read.
        source_text: The legal text the rules quote, as a path relative to the
            ``ce_rules`` package (``sources/shandong-2024-notice.md``); every quote of a
            bundled policy is found in it (``tests/test_legal.py``).
        certificate_requires: The requirement codes that must all be met for the
            electronic certificate (继续教育电子证书).
        certificate_citation: The clause that sets the certificate condition, where a
            document does.
        certificate_reading: The decision the certificate condition rests on where no
            document sets it (Shandong: decision 12, from the provincial platform's
            practice). A policy file that lists ``certificate_requires`` gives a citation,
            a reading or both.
        topics: The topic series (专题) the document names; its ``key_topics`` rules
            name theirs by id, and a file that names an undeclared one is refused.
        rules: The rules, in the order they apply (at most ``MAX_RULES``).
        extends: For a local overlay (二(二), 三(二)): the id of the policy it extends.
        applies_to: For an overlay: the city and/or industry it applies to.
        loosens: For an overlay: the codes of base rules it deliberately makes less
            strict; any other loosening is an error.
        loosenings: Set when an overlay is merged: the loosenings it made, which every
            verdict under the merged policy reports.
    """

    model_config = FROZEN

    # A merge joins the ids, versions, titles and authorities of a policy and its overlays:
    # their lengths are bounded where a file gives them (``_file_problems``).
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    version: _Joined
    region: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
    title: _Joined
    title_en: _Joined
    authority: _Joined
    document_number: _Name | None = None
    issued_on: date | None = None
    years: Annotated[
        tuple[Annotated[int, Field(ge=1990, le=2100)], ...], Field(min_length=1, max_length=111)
    ]
    source: _Text | None = None
    source_text: _PackagePath | None = None
    certificate_requires: Annotated[tuple[_Code, ...], Field(max_length=_MAX_MERGED_RULES)] = ()
    certificate_citation: Citation | None = None
    certificate_reading: Reading | None = None
    topics: Annotated[tuple[TopicSeries, ...], Field(max_length=MAX_RULES)] = ()
    rules: Annotated[tuple[Rule, ...], Field(min_length=1, max_length=_MAX_MERGED_RULES)]
    extends: _Name | None = None
    applies_to: AppliesTo | None = None
    loosens: Annotated[tuple[_Code, ...], Field(max_length=MAX_RULES)] = ()
    loosenings: tuple[Loosening, ...] = ()

    @_model_validator(mode="after")
    def _coherent(self, info: ValidationInfo) -> Policy:
        problems = _coherence_problems(self)
        context = info.context if isinstance(info.context, dict) else {}
        if context.get(_FROM_FILE):
            problems += _file_problems(self)
        sink = context.get(_PROBLEMS)
        if problems and isinstance(sink, list):
            # parse_policy reports these with the file's name, each with its field.
            sink.extend(problems)
        elif problems:
            raise ValueError("; ".join(f"{field}: {message}" for field, message in problems))
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
        # Read through the slot, as ``_verdict._Deferred`` reads its own: ``self._derived_index``
        # goes through BaseModel.__getattr__, which costs a microsecond or two a call.
        private: dict[str, Any] = self.__pydantic_private__  # type: ignore[assignment]
        index: _RuleIndex | None = private["_derived_index"]
        if index is None:
            index = private["_derived_index"] = _RuleIndex.of(
                self.rules, self.topics, self.certificate_requires
            )
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

    @property
    def topic_keys(self) -> tuple[frozenset[str], ...]:
        """For each of ``topic_rules``, every text of a course's topic that covers it."""
        return self._index().topic_keys

    def topic(self, topic_id: str) -> TopicSeries:
        """The topic series with this id; ``KeyError`` naming it if the policy has none."""
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(f"policy {self.id} declares no topic series {topic_id!r}")

    def rule(self, code: str) -> Rule:
        """The rule with this code; ``KeyError`` naming the code if there is none."""
        for rule in self.rules:
            if rule.code == code:
                return rule
        raise KeyError(f"policy {self.id} has no rule {code!r}")


#: Keys of the validation context ``parse_policy`` passes: where the model's own checks
#: put their problems (to be reported with pydantic's), and that the data is a file's.
_PROBLEMS: Final = "ce_rules.policy_problems"
_FROM_FILE: Final = "ce_rules.policy_file"

#: A problem of a policy: the field at fault and what is wrong with it.
Problem = tuple[str, str]


def _used_twice(table: str, key: str, values: Sequence[str]) -> list[Problem]:
    """A problem for each value of ``key`` in ``table`` that an earlier item already has."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for position, value in enumerate(values):
        if value in seen:
            problems.append(
                (
                    f"{table}[{position}].{key}",
                    f"the {key} {value!r} is used twice (also {table}[{seen[value]}])",
                )
            )
        seen.setdefault(value, position)
    return problems


def _coherence_problems(policy: Policy) -> list[Problem]:
    """What is wrong across the fields of a policy whose fields are each valid."""
    problems: list[Problem] = [
        *_used_twice("rules", "code", [rule.code for rule in policy.rules]),
        *_used_twice("topics", "id", [topic.id for topic in policy.topics]),
    ]
    topic_ids = {topic.id for topic in policy.topics}
    for name in ("years", "certificate_requires", "loosens"):
        items: tuple[object, ...] = getattr(policy, name)
        repeated = sorted({str(v) for v in items if items.count(v) > 1})
        if repeated:
            problems.append((name, f"a value appears twice: {', '.join(repeated)}"))
    if policy.extends is not None:
        # An overlay is checked again once merged with the policy it extends.
        return problems
    if policy.applies_to is not None:
        problems.append(("applies_to", "applies_to is for overlays: set extends too"))
    if policy.loosens:
        problems.append(("loosens", "loosens is for overlays: set extends too"))
    declared = ", ".join(t.id for t in policy.topics) or "none"
    for position, rule in enumerate(policy.rules):
        if isinstance(rule, KeyTopicsRule):
            for place, topic_id in enumerate(rule.topics):
                if topic_id not in topic_ids:
                    problems.append(
                        (
                            f"rules[{position}].topics[{place}]",
                            f"{topic_id!r} is not a topic series of this policy: declare it "
                            f"under [[topics]] (id, name, clause); declared: {declared}",
                        )
                    )
    requirement_codes = {r.code for r in policy.requirement_rules}
    if not requirement_codes:
        problems.append(("rules", "a policy needs at least one min_hours or min_share rule"))
    for position, code in enumerate(policy.certificate_requires):
        if code not in requirement_codes:
            problems.append(
                (
                    f"certificate_requires[{position}]",
                    f"{code!r} is not the code of a requirement rule",
                )
            )
    return problems


def _file_problems(policy: Policy) -> list[Problem]:
    """What a policy file must keep to that a policy built in code (a merge) need not.

    A merge joins the ids, versions, titles and authorities of a policy and its overlays,
    and adds their rules up: those are bounded in the file, so that a merge of files that
    load never fails on a length.
    """
    problems: list[Problem] = []
    for name, limit in (
        ("id", _MAX_ID),
        ("version", _MAX_ID),
        ("title", MAX_TEXT),
        ("title_en", MAX_TEXT),
        ("authority", MAX_TEXT),
    ):
        length = len(getattr(policy, name))
        if length > limit:
            problems.append((name, f"at most {limit} characters, got {length}"))
    for name in ("rules", "certificate_requires", "loosenings"):
        count = len(getattr(policy, name))
        if count > MAX_RULES:
            problems.append((name, f"at most {MAX_RULES} items, got {count}"))
    if policy.certificate_requires and (
        policy.certificate_citation is None and policy.certificate_reading is None
    ):
        problems.append(
            (
                "certificate_reading",
                "certificate_requires needs its basis: certificate_citation (the clause that "
                "sets the condition) or certificate_reading (the decision it takes)",
            )
        )
    return problems


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return _shorten(path, 200) or "(top level)"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _file_error(source: str, problems: list[Problem]) -> PolicyFileError:
    """One error for every problem of a file: its fields, and each field with its problem."""
    if len(problems) == 1:
        return PolicyFileError(source, *problems[0])
    shown = problems[:_MAX_PROBLEMS_SHOWN]
    fields = ", ".join(dict.fromkeys(field for field, _ in shown))
    text = "; ".join(f"{field}: {message}" for field, message in shown)
    if len(problems) > len(shown):
        fields += ", …"
        text += f"; and {len(problems) - len(shown)} more problems"
    return PolicyFileError(source, fields, f"{len(problems)} problems: {text}")


def _has_inner(loc: tuple[int | str, ...], locs: list[tuple[int | str, ...]]) -> bool:
    """Whether some problem lies inside the value at ``loc``."""
    return any(len(other) > len(loc) and other[: len(loc)] == loc for other in locs)


def _too_deep(data: object) -> str | None:
    """The path of the first value nested deeper than ``MAX_POLICY_DEPTH``, if any.

    Iterative, so that data nested thousands deep (or a structure that contains itself)
    is refused rather than exhausting the stack.
    """
    stack: list[tuple[object, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, Mapping):
            children: list[tuple[object, str]] = [
                (v, f"{path}.{k}" if path else str(k)) for k, v in value.items()
            ]
        elif isinstance(value, list | tuple):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(value)]
        else:
            continue
        if depth > MAX_POLICY_DEPTH:
            return _shorten(path, 200)  # never the top level: it is at depth 1
        stack.extend((child, depth + 1, where) for child, where in children)
    return None


def parse_policy(data: Mapping[str, Any], *, source: str = "<policy>") -> Policy:
    """Build a ``Policy`` from parsed data (the tables of a policy file).

    Raises:
        PolicyFileError: Naming ``source`` and every field at fault: every problem
            pydantic finds in the fields, and, once the fields are valid, every problem
            across them (a code used twice, a certificate requirement that is not a
            requirement rule, a certificate condition without its basis …).
    """
    deep = _too_deep(data)
    if deep is not None:
        raise PolicyFileError(source, deep, f"nested deeper than {MAX_POLICY_DEPTH} levels")
    problems: list[Problem] = []
    try:
        policy = Policy.model_validate(data, context={_PROBLEMS: problems, _FROM_FILE: True})
    except ValidationError as error:
        items = error.errors()  # only their loc, msg and type are read
        at_fault = [tuple(item["loc"]) for item in items]
        problems = [
            (_field_path(item["loc"]), _shorten(item["msg"], 300))
            for item in items
            # A list whose items were refused is also "too short" once they are dropped:
            # its items are the problem, not its length.
            if not (item["type"] == "too_short" and _has_inner(tuple(item["loc"]), at_fault))
        ]
        raise _file_error(source, problems) from error
    if problems:
        raise _file_error(source, problems)
    return policy


def _parse_toml(text: str, source: str) -> Policy:
    # Its size is bounded before: load_policy refuses a file over MAX_POLICY_BYTES before
    # decoding it, and the bundled files are small.
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise PolicyFileError(source, "(syntax)", str(error)) from error
    except RecursionError as error:
        raise PolicyFileError(
            source, "(syntax)", f"nested deeper than {MAX_POLICY_DEPTH} levels"
        ) from error
    except (ValueError, ArithmeticError) as error:
        # A number TOML allows that Python will not hold (an integer of thousands of digits).
        raise PolicyFileError(source, "(syntax)", _shorten(str(error), 300)) from error
    return parse_policy(data, source=source)


def load_policy(path: str | Path) -> Policy:
    """Load a policy from a TOML file of your own (the format of the bundled ones).

    Raises:
        PolicyFileError: The file cannot be read, is larger than ``MAX_POLICY_BYTES``
            (refused before it is parsed), is not UTF-8 or not TOML, or is not a valid
            policy: naming the file and every field at fault; or it takes the id of a
            bundled policy with other content (an edited copy is another policy, and a
            verdict naming the bundled id must mean the bundled rules).
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            # Never more than the limit and one byte: a file that grows, or a device that
            # never ends, is refused all the same.
            raw = file.read(MAX_POLICY_BYTES + 1)
    except OSError as error:
        raise PolicyFileError(str(path), "(file)", error.strerror or str(error)) from error
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyFileError(str(path), "(file)", f"larger than {MAX_POLICY_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PolicyFileError(str(path), "(file)", f"not UTF-8: {error.reason}") from error
    policy = _parse_toml(text, str(path))
    bundled = next((p for p in _registry() if p.id == policy.id), None)
    if bundled is not None and bundled.digest != policy.digest:
        raise PolicyFileError(
            str(path),
            "id",
            f"{policy.id!r} is the id of a bundled policy, and this file's content differs "
            "from it: give your policy its own id (and version)",
        )
    return policy


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
