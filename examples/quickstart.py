"""Quickstart: one person's 2024 records, evaluated under the Shandong 2024 notice.

Run it with ``python examples/quickstart.py``; the test suite runs it too.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ce_rules as ce


def main() -> ce.Verdict:
    """Evaluate Zhang San's 2024 records and print the verdict in Chinese and English."""
    person = ce.Person(id="370102198001011234", name="张三", unit=ce.UnitLevel.PROVINCIAL)

    featured = ce.Course(
        id="C-001",
        title="数字技术概论",
        category=ce.Category.PUBLIC,
        hours=Decimal(10),
        mode=ce.Mode.ONLINE,
        platform="专技知到",
        featured=True,
        topics=["数字技术"],
    )
    yellow_river = ce.Course(
        id="C-002",
        title="黄河流域生态保护和高质量发展专题",
        category=ce.Category.PUBLIC,
        hours=Decimal(12),
        mode=ce.Mode.ONLINE,
        platform="山东开放大学",
        topics=["黄河流域生态保护和高质量发展"],
    )
    elsewhere = ce.Course(
        id="C-003",
        title="职场沟通技巧",
        category=ce.Category.PUBLIC,
        hours=Decimal(8),
        mode=ce.Mode.ONLINE,
        platform="某商业学习平台",
    )
    professional = ce.Course(
        id="P-101",
        title="新型建筑材料应用",
        category=ce.Category.PROFESSIONAL,
        hours=Decimal("52.5"),
        mode=ce.Mode.OFFLINE,
    )

    entries = [
        # 二(三): the instructor of a featured online public course earns 2 x 10 hours.
        ce.CreditEntry(
            person_id=person.id,
            course=featured,
            role=ce.Role.INSTRUCTOR,
            completed_on=date(2024, 5, 1),
        ),
        ce.CreditEntry(person_id=person.id, course=yellow_river, completed_on=date(2024, 6, 3)),
        # 二(二): a provincial-unit learner's online public hours elsewhere do not count.
        ce.CreditEntry(person_id=person.id, course=elsewhere, completed_on=date(2024, 7, 9)),
        ce.CreditEntry(person_id=person.id, course=professional, completed_on=date(2024, 9, 20)),
        # Awaiting the employer's approval: shown as what it would add.
        ce.CreditEntry(
            person_id=person.id,
            course=professional.model_copy(update={"id": "P-102", "hours": Decimal(8)}),
            completed_on=date(2024, 11, 2),
            status=ce.EntryStatus.PENDING,
        ),
    ]

    verdict = ce.evaluate(person, entries, year=2024, as_of=date(2024, 12, 1))
    print(verdict.explain("zh"))
    print()
    print(verdict.explain("en"))
    return verdict


if __name__ == "__main__":
    main()
