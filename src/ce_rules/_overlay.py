"""Local overlays: a city's or an industry authority's rules on top of the province's.

Clause 二(二) lets each city set how its staff take public subjects ("各市专业技术人员应按照
本地市人力资源社会保障局有关要求参加公需科目学习") and clause 三(二) has each provincial
industry authority plan its professional subjects. An overlay is a policy file that
``extends`` a base policy and ``applies_to`` a city and/or an industry. It may add rules
and tighten the base's rules (same code, same kind, stricter value); a rule it makes
*less* strict must be named in ``loosens``, and the loosening is then reported as a
finding in every verdict under the merged policy. A loosening not named is an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from . import kinds
from ._engine import DEFAULT_REGION
from ._exceptions import EvaluationInputError, PolicyFileError
from ._model import Person, UnitLevel
from ._policy import Loosening, Policy, Rule, get_policy, load_policy
from .kinds._base import values

__all__ = ["load_overlay", "merge_overlay", "overlay_applies", "policy_for"]

#: Rule kinds of which a policy applies only the first (deadlines, title achievements).
_ONE_PER_POLICY: Final = frozenset({"filing_deadline", "submission_deadline", "title_achievement"})
#: How a loosening by a new credit factor rule describes what the base gave.
_NO_FACTOR_RULE: Final = "no rule: factor=1"


def load_overlay(path: str | Path) -> Policy:
    """Load a local overlay policy file (TOML with ``extends`` and ``applies_to``).

    Raises:
        PolicyFileError: The file is malformed, or is not an overlay.
    """
    overlay = load_policy(path)
    if overlay.extends is None or overlay.applies_to is None:
        raise PolicyFileError(str(path), "extends", "an overlay needs extends and applies_to")
    return overlay


def overlay_applies(overlay: Policy, person: Person, year: int) -> bool:
    """Whether ``overlay`` governs ``person`` in ``year``, by city or industry (二(二), 三(二)).

    A city's overlay governs that city's municipal staff (各市专业技术人员, 二(二)), never
    a provincial-unit person who has a city recorded.

    Raises:
        EvaluationInputError: The person is of the overlay's city (and industry) but their
            unit level is not known, so whether the city's rules govern them is not known
            either (decision 11: never guessed).
    """
    target = overlay.applies_to
    if overlay.extends is None or target is None or year not in overlay.years:
        return False
    if target.city is not None and target.city != person.city:
        return False
    if target.industry is not None and target.industry != person.industry:
        return False
    if target.city is None or person.unit is UnitLevel.MUNICIPAL:
        return True
    if person.unit is None:
        raise EvaluationInputError(
            "person.unit",
            None,
            f"the overlay {overlay.id} governs municipal staff of {target.city}, and "
            f"{person.id}'s unit level is not known: give it (provincial or municipal)",
        )
    return False


def _describe(rule: BaseModel) -> str:
    parts = []
    for key, value in values(rule).items():
        shown = ",".join(str(v) for v in value) if isinstance(value, tuple | list) else value
        parts.append(f"{key}={shown}")
    return "; ".join(parts) or rule.__class__.__name__


def merge_overlay(base: Policy, overlay: Policy) -> Policy:
    """The policy that results from applying ``overlay`` on top of ``base``.

    A rule of the overlay with a code of the base replaces the base rule (it must be of
    the same kind); other rules are added after the base's (a new ``credit_factor``
    rule with a factor above 1 credits more than the base and is a loosening too). The
    merged policy governs the years both govern, requires for the certificate what
    either requires, and records every loosening the overlay declared in ``loosens``.

    Raises:
        PolicyFileError: The overlay extends another policy, changes a rule's kind,
            loosens a rule it does not name in ``loosens``, or names one it does not
            loosen.
    """
    source = overlay.id
    root = base.id.split(".", 1)[0]
    if overlay.extends is None or overlay.extends not in (base.id, root):
        raise PolicyFileError(source, "extends", f"{overlay.extends!r} is not {base.id!r}")
    base_rules = {rule.code: rule for rule in base.rules}
    replaced: dict[str, Rule] = {}
    added: list[Rule] = []
    loosenings = list(base.loosenings)
    declared = set(overlay.loosens)
    for rule in overlay.rules:
        old = base_rules.get(rule.code)
        if old is not None and old.kind != rule.kind:
            raise PolicyFileError(
                source,
                f"rules.{rule.code}",
                f"kind {rule.kind!r} differs from the base's {old.kind!r}",
            )
        if old is None:
            single = next((r for r in base.rules if r.kind == rule.kind), None)
            if rule.kind in _ONE_PER_POLICY and single is not None:
                # Only the first rule of these kinds is applied: a second one would be
                # ignored without a word, whether it tightens or loosens.
                raise PolicyFileError(
                    source,
                    f"rules.{rule.code}",
                    f"the base already has a {rule.kind} rule, {single.code!r}: give the "
                    "overlay's rule that code to replace it",
                )
            added.append(rule)
            loosened = kinds.adds_credit(rule)
            before = _NO_FACTOR_RULE
        else:
            replaced[rule.code] = rule
            loosened = kinds.loosens(old, rule)
            before = _describe(old)
        if loosened:
            if rule.code not in declared:
                raise PolicyFileError(
                    source,
                    f"rules.{rule.code}",
                    f"loosens the base rule ({before} -> {_describe(rule)}); "
                    "name it in `loosens` if that is intended",
                )
            declared.discard(rule.code)
            loosenings.append(
                Loosening(
                    code=rule.code,
                    overlay_id=overlay.id,
                    base=before,
                    overlay=_describe(rule),
                    citation=rule.citation,
                )
            )
    if declared:
        raise PolicyFileError(
            source, "loosens", f"{sorted(declared)} name no base rule that the overlay loosens"
        )
    years = tuple(y for y in base.years if y in overlay.years)
    if not years:
        raise PolicyFileError(source, "years", f"none of them is governed by {base.id}")
    topics = list(base.topics)
    for position, topic in enumerate(overlay.topics):
        same = next((t for t in topics if t.id == topic.id), None)
        if same is None:
            topics.append(topic)
        elif same != topic:
            raise PolicyFileError(
                source,
                f"topics[{position}]",
                f"{base.id} declares the topic series {topic.id!r} otherwise: an overlay adds "
                "topic series, it does not rename the base's",
            )
    certificate = base.certificate_requires + tuple(
        c for c in overlay.certificate_requires if c not in base.certificate_requires
    )
    data: dict[str, Any] = {
        "id": f"{base.id}.{overlay.id}",
        "version": f"{base.version}+{overlay.id}-{overlay.version}",
        "region": base.region,
        "title": f"{base.title}；{overlay.title}",
        "title_en": f"{base.title_en}; {overlay.title_en}",
        "authority": f"{base.authority}；{overlay.authority}",
        "document_number": base.document_number,
        "issued_on": base.issued_on,
        "years": years,
        "source": base.source,
        "source_text": base.source_text,
        "certificate_requires": certificate,
        # An overlay that adds to the condition states its own basis (load_policy).
        "certificate_citation": overlay.certificate_citation or base.certificate_citation,
        "certificate_reading": overlay.certificate_reading or base.certificate_reading,
        "topics": tuple(topics),
        "rules": tuple(replaced.get(r.code, r) for r in base.rules) + tuple(added),
        "loosenings": tuple(loosenings),
    }
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise PolicyFileError(source, "(merged)", str(error.errors()[0]["msg"])) from error


def policy_for(
    person: Person,
    year: int,
    *,
    overlays: Iterable[Policy] = (),
    region: str = DEFAULT_REGION,
) -> Policy:
    """The policy that governs ``person`` in ``year``: the region's, plus their overlays.

    The overlays that extend the region's policy for ``year`` and apply to the person's
    city or industry (``overlay_applies``) are merged in order of their ids, so the
    result does not depend on the order they were given in.

    Raises:
        PolicyNotFoundError: No policy of ``region`` governs ``year``.
        PolicyFileError: An applicable overlay cannot be merged.
    """
    policy = get_policy(region, year)
    for overlay in sorted(overlays, key=lambda o: o.id):
        if overlay.extends == policy.id.split(".", 1)[0] and overlay_applies(overlay, person, year):
            policy = merge_overlay(policy, overlay)
    return policy
