"""Seeded generator of realistic record files for the benchmarks.

``python tests/benchmarks/generate.py ROWS [--seed 2024] [--order person|record] [--out FILE]``
writes a CSV with Chinese headers, about 10 entries a person, sorted by person or (``record``)
in record order, a person's records spread over the whole file as a platform's export by
date spreads them: mostly 2024 public and
professional courses from a shared catalogue, with duplicates, other years, instructors of
featured courses, pending/rejected entries, provincial staff on unrecognised platforms and
a few broken lines. The same ROWS and seed always give the same file.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import tempfile
from pathlib import Path

HEADER = [
    "身份证号", "姓名", "单位级别", "所在市", "记录编号", "课程编号", "课程名称", "科目类别",
    "学时", "学习形式", "学习平台", "是否优质在线公需课", "角色", "完成日期", "审核状态",
]  # fmt: skip
CITIES = ["济南市", "青岛市", "淄博市", "烟台市", "潍坊市", "济宁市", "临沂市", "德州市"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
PLATFORMS = ["专技知到", "山东开放大学", "蟹壳云学"]
DATA = Path(__file__).parent / "data"


def catalogue(rng: random.Random) -> list[tuple[str, str, str, str, str, str, str]]:
    """A few hundred courses: (id, title, category, hours, mode, platform, featured)."""
    courses = []
    for number in range(120):
        featured = "是" if number % 20 == 0 else "否"
        hours = rng.choice(["4", "6", "8", "10", "12", "15", "20"])
        platform = rng.choice(PLATFORMS) if number % 9 else "某某培训网"
        courses.append(
            (f"GX2024-{number:03d}", f"公需课程{number}", "公需科目", hours, "远程教育",
             platform, featured)
        )  # fmt: skip
    for number in range(300):
        online = number % 3 == 0
        hours = rng.choice(["8", "10", "12", "16", "20", "24", "30", "32.5", "40"])
        courses.append(
            (f"ZY2024-{number:03d}", f"专业课程{number}", "专业科目", hours,
             "远程教育" if online else "线下培训", rng.choice(PLATFORMS) if online else "", "否")
        )  # fmt: skip
    return courses


#: Record order: each row goes to one of this many parts, written one after another.
PARTS = 64


def write(count: int, seed: int, path: Path, order: str = "person") -> Path:
    """Write ``count`` data rows (plus the header) to ``path``, sorted by person or not.

    In ``record`` order each row goes to one of ``PARTS`` parts chosen at random, and the
    parts are written one after another: a person's records end up all over the file, in
    bounded memory whatever the size.
    """
    if order == "record":
        with tempfile.TemporaryDirectory(dir=path.parent if path.parent.exists() else None) as tmp:
            sorted_path = write(count, seed, Path(tmp) / "sorted.csv")
            rng = random.Random(seed + 1)
            parts = [
                (Path(tmp) / f"part-{i}.csv").open("w", encoding="utf-8") for i in range(PARTS)
            ]
            with sorted_path.open(encoding="utf-8") as rows:
                header = next(rows)
                for line in rows:
                    parts[rng.randrange(PARTS)].write(line)
            with path.open("w", encoding="utf-8") as out:
                out.write(header)
                for part in parts:
                    part.close()
                    with open(part.name, encoding="utf-8") as handle:
                        shutil.copyfileobj(handle, out)
        return path
    rng = random.Random(seed)
    courses = catalogue(rng)
    public = [c for c in courses if c[2] == "公需科目"]
    professional = [c for c in courses if c[2] == "专业科目"]
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    person = 0
    record = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(HEADER)
        while written < count:
            person += 1
            pid = f"3701{person:08d}{rng.randrange(10**6):06d}"  # ascending, as sorted
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", rng.choice(GIVEN)])
            provincial = rng.random() < 0.3
            unit = "省直单位" if provincial else "市属单位"
            city = "" if provincial else rng.choice(CITIES)
            n = min(rng.randint(6, 14), count - written)
            for i in range(n):
                record += 1
                course = rng.choice(public if i < n // 3 else professional)
                role = "学员"
                if course[6] == "是" and rng.random() < 0.3:
                    role = "授课教师"
                year = 2024 if rng.random() > 0.03 else 2023
                day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                status = rng.choices(["已审核", "待审核", "已驳回", "已撤销"], [94, 3, 2, 1])[0]
                row = [pid, name, unit, city, f"R{record:09d}", *course[:6], course[6], role,
                       day, status]  # fmt: skip
                roll = rng.random()
                if roll < 0.0005:
                    row = row[:7]  # a broken line: too few fields
                elif roll < 0.001:
                    row[8] = rng.choice(["三十", "-2", "1.005", ""])  # a bad number of hours
                out.writerow(row)
                written += 1
                if written < count and rng.random() < 0.02:
                    record += 1
                    duplicate = list(row)
                    if len(duplicate) > 4:
                        duplicate[4] = f"R{record:09d}"
                    out.writerow(duplicate)  # exported twice
                    written += 1
                if written >= count:
                    break
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--order", choices=("person", "record"), default="person")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    suffix = "" if args.order == "person" else "-unsorted"
    path = args.out or DATA / f"records-{args.rows}-{args.seed}{suffix}.csv"
    print(write(args.rows, args.seed, path, args.order))


if __name__ == "__main__":
    main()
