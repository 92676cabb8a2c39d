"""Policies the differential tests judge under, beside the bundled ones."""

from __future__ import annotations

import ce_rules as ce

BASE = ce.get_policy("shandong", 2024)


def _variant_rule(rule: ce.Rule) -> ce.Rule:
    if rule.code == "featured_instructor_credit":
        return rule.model_copy(
            update={"once_per_course_year": True, "toward": ce.Category.PROFESSIONAL}
        )
    return rule


#: The 2x credit once per course and year, toward professional hours; other teaching
#: not credited (factor 0): every switch of the credit_factor kind.
VARIANT = BASE.model_copy(
    update={
        "rules": (
            *map(_variant_rule, BASE.rules),
            ce.CreditFactorRule(
                kind="credit_factor",
                code="other_teaching",
                role=ce.Role.INSTRUCTOR,
                factor=0,
                citation=BASE.rules[0].citation,
                message=BASE.rules[0].message,
            ),
        )
    }
)
