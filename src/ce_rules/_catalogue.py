"""The rule catalogue of a policy, rendered from the policy data for people.

``docs/rules.md`` is this rendering of every bundled policy; a test regenerates it
and fails if the page and the data disagree, so the documentation cannot drift.
Each rule shows its basis: the clause it implements and, where it decides more than the
clause says, the numbered decision it reads it by (``二(二); reading: decision 6 — …``).
"""

from __future__ import annotations

from . import kinds
from ._policy import KeyTopicsRule, Policy, Rule
from .kinds import key_topics
from .kinds._base import basis

__all__ = ["rule_basis", "rule_catalogue", "rule_summary"]


def rule_summary(rule: Rule) -> str:
    """What a rule requires, in one line, from its data alone (its kind's ``summary``)."""
    return kinds.summary(rule)


def rule_basis(rule: Rule, lang: str = "en") -> str:
    """What a rule rests on: its clause, and its reading where it has one."""
    return rule.basis(lang)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rule_catalogue(policy: Policy) -> str:
    """The policy's rules as a Markdown section: code, kind, rule, basis and quote."""
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
    if policy.source_text:
        lines += [f"Legal text quoted: `ce_rules/{policy.source_text}`.", ""]
    if policy.certificate_requires:
        grounds = basis(policy.certificate_citation, policy.certificate_reading)
        lines += [
            "Certificate (继续教育电子证书) requires: "
            + ", ".join(f"`{c}`" for c in policy.certificate_requires)
            + (f" ({grounds})" if grounds else "")
            + ".",
            "",
        ]
    if policy.topics:
        lines += [
            "Topic series (专题) named by the policy:",
            "",
            "| id | name | English | clause |",
            "| --- | --- | --- | --- |",
            *(
                f"| `{t.id}` | {_cell(t.name.zh)} | {_cell(t.name.en)} | {_cell(t.clause)} |"
                for t in policy.topics
            ),
            "",
        ]
    lines += [
        "| code | kind | rule | basis | quote |",
        "| --- | --- | --- | --- | --- |",
    ]
    names = {t.id: t.name.zh for t in policy.topics}
    for rule in policy.rules:
        # A key-topic rule names its topics by the policy's names, not their ids.
        said = key_topics.summary(rule, names) if isinstance(rule, KeyTopicsRule) else None
        lines.append(
            f"| `{rule.code}` | {rule.kind} | {_cell(said or rule_summary(rule))} | "
            f"{_cell(rule_basis(rule))} | {_cell(rule.citation.quote)} |"
        )
    return "\n".join(lines) + "\n"
