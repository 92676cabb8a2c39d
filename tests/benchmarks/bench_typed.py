"""Benchmark: ``evaluate_table`` on a typed table, against the same table as text.

Run: ``python tests/benchmarks/bench_typed.py [ROWS]`` (default 200,000). A platform's table
(Int64 ids, Float64 hours, ``Datetime[us, Asia/Shanghai]`` moments, nearly all distinct) is
judged as it is and cast to text first, alternately, three times each; prints the best and
the median of each, and checks that both give the same totals. Every typed cell is read by
the one parser of its field once for each distinct value, and moments natively
(``_cells.moment_days``): the typed table should cost about what its text costs.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timedelta

import polars as pl

import ce_rules as ce


def table(rows: int) -> pl.DataFrame:
    rng = random.Random(1)
    start = datetime(2024, 1, 1)
    seconds = 366 * 86_400
    return pl.DataFrame(
        {
            "person_id": [370100000000000000 + rng.randrange(rows // 5) for _ in range(rows)],
            "course_title": [f"课程{rng.randrange(300)}" for _ in range(rows)],
            "category": [rng.choice(["公需科目", "专业科目"]) for _ in range(rows)],
            "hours": [rng.choice([10.0, 20.0, 30.0, 12.5]) for _ in range(rows)],
            "mode": ["线下培训"] * rows,
            "completed_on": pl.Series(
                [start + timedelta(seconds=rng.randrange(seconds)) for _ in range(rows)]
            ).dt.replace_time_zone("Asia/Shanghai"),
        }
    )


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    typed = table(rows)
    text = typed.select(pl.all().cast(pl.String))
    timings: dict[str, list[float]] = {"typed": [], "text": []}
    totals = {}
    for _ in range(3):
        for name, frame in (("typed", typed), ("text", text)):
            began = time.perf_counter()
            result = ce.evaluate_table(frame, year=2024)
            timings[name].append(time.perf_counter() - began)
            totals[name] = result.totals.as_dict()
    if totals["typed"] != totals["text"]:
        raise SystemExit(f"totals differ: {totals}")
    for name, values in timings.items():
        print(f"{name:5s} {rows:,} records: best {min(values):.2f} s, "
              f"median {statistics.median(values):.2f} s")  # fmt: skip
    print(f"totals identical: {totals['typed']['persons']:,} persons, "
          f"{totals['typed']['counted']:,} counted")  # fmt: skip


if __name__ == "__main__":
    main()
