"""Policies the differential tests judge under, beside the bundled ones."""

from __future__ import annotations

import ce_rules as ce

BASE = ce.get_policy("shandong", 2024)


def _variant_rule(rule: ce.Rule) -> ce.Rule:
    if rule.code == "featured_instructor_credit":
        return rule.model_copy(
            update={"once_per_course_year": False, "toward": ce.Category.PROFESSIONAL}
        )
    if rule.code == "provincial_platforms":
        alias = {"name": "专技知到平台", "of": "专技知到"}
        return type(rule).model_validate({**rule.model_dump(), "aliases": [alias]})
    return rule


#: The 2x credit for every delivery of a course (the bundled policy: once per course and
#: year), toward professional hours; other teaching
#: not credited (factor 0): every switch of the credit_factor kind; a recognised platform
#: under another name (an alias).
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


NATIONAL = ce.get_policy("cn-national", 2024)


def _strict_rule(rule: ce.Rule) -> ce.Rule:
    if rule.kind == "min_share":
        return rule.model_copy(update={"of": "earned", "required_total": None})
    return rule


#: Decision 10's strict reading: two thirds of the hours earned, not of the 90 required.
STRICT_NATIONAL = NATIONAL.model_copy(update={"rules": tuple(map(_strict_rule, NATIONAL.rules))})
