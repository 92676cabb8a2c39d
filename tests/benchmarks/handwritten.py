"""The baseline: a plain, hand-written csv + dict loop computing the same totals.

``python tests/benchmarks/handwritten.py FILE`` prints the totals as JSON. It implements
only what the generated files need (shandong-2024: 30 public + 60 professional hours,
instructors of featured courses 2x once a course a year, provincial staff's online public
hours only on the three platforms, approved entries only, duplicates counted once) with the
same validation of hours and dates, as someone would write it without ce-rules. Records
may come in any order: each person's are gathered in a dict, then judged.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from decimal import Decimal, InvalidOperation

PLATFORMS = {"专技知到", "山东开放大学", "蟹壳云学"}
CATEGORIES = {"公需科目": "public", "专业科目": "professional"}
CENT = Decimal("0.01")
MAX = Decimal(1000)
YEAR = 2024


def hours_of(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value > MAX or value != value.quantize(CENT):
        return None
    return value


Key = tuple[str, str, date | None]


def judge(entries: list[tuple[Key, Decimal, str, bool]], totals: dict[str, int]) -> None:
    """One person's entries: the larger of duplicates counts, the sums decide."""
    best: dict[Key, tuple[Decimal, str]] = {}
    excluded = 0
    for key, credited, category, counts in entries:
        if not counts:
            excluded += 1
        elif key in best:
            excluded += 1  # a duplicate: the larger one counts
            if credited > best[key][0]:
                best[key] = (credited, category)
        else:
            best[key] = (credited, category)
    earned = {"public": Decimal(0), "professional": Decimal(0)}
    for credited, category in best.values():
        earned[category] += credited
    totals["persons"] += 1
    totals["counted"] += len(best)
    totals["excluded"] += excluded
    if earned["public"] >= 30 and earned["professional"] >= 60:
        totals["compliant"] += 1
    else:
        totals["non_compliant"] += 1


def main(path: str) -> dict[str, int]:
    totals = dict.fromkeys(
        ["records", "counted", "excluded", "invalid", "persons", "compliant", "non_compliant"], 0
    )
    persons: dict[str, list[tuple[Key, Decimal, str, bool]]] = {}
    provincial: dict[str, bool] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        col = {name: i for i, name in enumerate(header)}
        width = len(header)
        pid_i, unit_i, course_i = col["身份证号"], col["单位级别"], col["课程编号"]
        cat_i, hours_i, mode_i = col["科目类别"], col["学时"], col["学习形式"]
        plat_i, feat_i, role_i = col["学习平台"], col["是否优质在线公需课"], col["角色"]
        day_i, status_i = col["完成日期"], col["审核状态"]
        for row in reader:
            totals["records"] += 1
            if len(row) != width:
                totals["invalid"] += 1
                continue
            pid = row[pid_i]
            entries = persons.get(pid)
            if entries is None:
                entries = persons[pid] = []
                provincial[pid] = row[unit_i] == "省直单位"
            hours = hours_of(row[hours_i])
            category = CATEGORIES.get(row[cat_i])
            try:
                day = date.fromisoformat(row[day_i])
            except ValueError:
                day = None
            if hours is None or category is None or day is None:
                totals["invalid"] += 1
                continue
            role = row[role_i]
            featured = row[feat_i] == "是"
            # A featured course's instructor: 2x, once a course a year (二(三)).
            twice = role == "授课教师" and featured
            online = row[mode_i] == "远程教育"
            counts = (
                day.year == YEAR
                and not (
                    provincial[pid] and online and category == "public" and role == "学员"
                    and row[plat_i] not in PLATFORMS
                )
                and row[status_i] == "已审核"
            )  # fmt: skip
            key = (row[course_i], role, None if twice else day)
            entries.append((key, hours * (2 if twice else 1), category, counts))
    for entries in persons.values():
        judge(entries, totals)
    return totals


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
