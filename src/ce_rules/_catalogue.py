"""The rule catalogue of a policy, rendered from the policy data for people.

``docs/rules.md`` is this rendering of every bundled policy; a test regenerates it
and fails if the page and the data disagree, so the documentation cannot drift.
"""

from __future__ import annotations

from . import kinds
from ._policy import Policy, Rule

__all__ = ["rule_catalogue", "rule_summary"]


def rule_summary(rule: Rule) -> str:
    """What a rule requires, in one line, from its data alone (its kind's ``summary``)."""
    return kinds.summary(rule)


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
