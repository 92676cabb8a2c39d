"""A title application (职称评审): five years of continuing education, achievements, a plan.

Run it: ``python examples/title_evaluation.py``. It prints, in Chinese and English, the
verdict on the years an application shows (decision 9), the featured course the person
taught (二(三)), what the short year would have needed, and two deadlines of the notice
(四(二), 五(二)). Everything is pure: the day the answers speak for is passed in.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ce_rules as ce

person = ce.Person(id="370102198001010011", name="李四", unit=ce.UnitLevel.MUNICIPAL, city="济南")
public = ce.Course(
    id="GX-2024", title="绿色低碳高质量发展", category="public", hours=30, mode="offline"
)
professional = ce.Course(
    id="ZY-2024", title="桥梁结构新技术", category="professional", hours=60, mode="offline"
)
featured = ce.Course(
    id="YZ-07",
    title="黄河流域生态保护（优质在线公需课）",
    category="public",
    hours=6,
    mode="online",
    platform="专技知到",
    featured=True,
)


def year_of(year: int, professional_hours: Decimal) -> list[ce.CreditEntry]:
    """The person's entries of ``year``: 30 public hours and some professional hours."""
    partial = ce.CreditEntry(
        person_id=person.id,
        course=professional,
        completed_on=date(year, 9, 1),
        hours=professional_hours,
    )
    return [
        ce.CreditEntry(person_id=person.id, course=public, completed_on=date(year, 4, 1)),
        partial,
    ]


# The current title was obtained on 2019-07-01; the application is made in 2025.
window = ce.title_window(date(2019, 7, 1), 2025)
entries = [e for y in window for e in year_of(y, Decimal(60) if y != 2022 else Decimal("52.5"))]
entries.append(
    ce.CreditEntry(
        person_id=person.id, course=featured, role="instructor", completed_on=date(2024, 5, 8)
    )
)

# ce-rules registers Shandong's rules for 2024 only and never guesses another year's
# (decision 8). For 2020-2023 this example chooses, explicitly, the national baseline
# (人力资源社会保障部令第25号): a caller's choice, shown here, not a default.
policies: dict[int, ce.Policy | str] = dict.fromkeys(window, "cn-national-2015")
policies[2024] = "shandong-2024"

period = ce.evaluate_period(person, entries, years=window, policy=policies)
print(period.explain("zh"))
print()
print(period.explain("en"))
print()

# What the short year would have needed, as of 1 October of that year.
plan = ce.plan_compliance(
    person, entries, year=2022, policy=policies[2022], as_of=date(2022, 10, 1)
)
print(plan.explain("zh"))
print()

# 四(二): a training institution files within 30 days after completion.
cohort = ce.TrainingCohort(
    institution="示例数字技术工程师培训机构",
    course="大数据工程技术人员（初级）",
    required_hours=Decimal(80),
    completed_on=date(2024, 1, 31),
    trainees=(
        ce.Trainee(id="T1", completed_hours=Decimal(80), passed=True),
        ce.Trainee(id="T2", completed_hours=Decimal("76.5"), passed=True),
    ),
    filed_on=date(2024, 3, 1),
)
print(ce.check_training_filing(cohort).explain("en"))
# 五(二): a city's notice is due by the end of April.
notice = ce.Submission(
    kind=ce.SubmissionKind.MUNICIPAL_NOTICE,
    submitter="济南市人力资源和社会保障局",
    year=2024,
    submitted_on=date(2024, 5, 1),
    formats=("word", "pdf"),
)
print(ce.check_submission(notice).explain("en"))
