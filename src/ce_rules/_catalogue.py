"""The rule catalogue of a policy, rendered from the policy data for people.

``docs/rules.md`` is this rendering of every bundled policy; a test regenerates it
and fails if the page and the data disagree, so the documentation cannot drift.
"""

from __future__ import annotations

from typing import Any

from ._policy import (
    CreditFactorRule,
    KeyTopicsRule,
    MinHoursRule,
    MinShareRule,
    Policy,
    RecognisedPlatformsRule,
    Rule,
)
from ._verdict import format_hours

__all__ = ["rule_catalogue", "rule_summary"]

_BASE_FIELDS = {"kind", "code", "citation", "message"}


def _generic(rule: Rule) -> str:
    fields: dict[str, Any] = rule.model_dump(mode="json", exclude=_BASE_FIELDS)
    parts = []
    for name, value in fields.items():
        if value is None or value == [] or value == {}:
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{name}: {shown}")
    return "; ".join(parts)


def rule_summary(rule: Rule) -> str:
    """What a rule requires, in one line, from its data alone."""
    if isinstance(rule, MinHoursRule):
        what = rule.category.value if rule.category else "all categories"
        return f"{what} ≥ {format_hours(rule.hours)} 学时 in the year"
    if isinstance(rule, MinShareRule):
        return f"{rule.category.value} ≥ {rule.share} of the counted total"
    if isinstance(rule, CreditFactorRule):
        conditions = [rule.role.value]
        if rule.featured is not None:
            conditions.append("featured course" if rule.featured else "course not featured")
        if rule.category is not None:
            conditions.append(rule.category.value)
        return f"{', '.join(conditions)}: hours × {format_hours(rule.factor)}"
    if isinstance(rule, RecognisedPlatformsRule):
        roles = "/".join(r.value for r in rule.roles)
        return (
            f"{rule.unit_level.value} unit, {rule.mode.value} {rule.category.value} "
            f"({roles}): only on {', '.join(rule.platforms)}"
        )
    if isinstance(rule, KeyTopicsRule):
        return f"advisory: {rule.category.value} hours in one of " + "、".join(
            t.label for t in rule.topics
        )
    return _generic(rule)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rule_catalogue(policy: Policy) -> str:
    """The policy's rules as a Markdown section: code, kind, rule, clause and quote."""
    lines = [
        f"### {policy.id} (version {policy.version})",
        "",
        f"{policy.title}  ",
        f"*{policy.title_en}*  ",
        f"Authority: {policy.authority}"
        + (f"; document number: {policy.document_number}" if policy.document_number else "")
        + (f"; issued {policy.issued_on.isoformat()}" if policy.issued_on else ""),
        "",
        f"Region `{policy.region}`; years: {', '.join(str(y) for y in policy.years)}.",
        "",
    ]
    if policy.certificate_requires:
        lines += [
            "Certificate (继续教育电子证书) requires: "
            + ", ".join(f"`{c}`" for c in policy.certificate_requires)
            + ".",
            "",
        ]
    lines += [
        "| code | kind | rule | clause | quote |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in policy.rules:
        lines.append(
            f"| `{rule.code}` | {rule.kind} | {_cell(rule_summary(rule))} | "
            f"{_cell(rule.citation.clause)} | {_cell(rule.citation.quote)} |"
        )
    return "\n".join(lines) + "\n"
