"""Micro-benchmark: ``ce.evaluate`` for one person with 10 entries built in memory.

Run: ``python tests/benchmarks/bench_evaluate.py [--profile | --instructions]``. Prints
the median, the 10th and 90th percentiles of one call in microseconds (target: median
< 20 µs). ``--instructions`` counts the machine instructions of one call instead, under
``valgrind --tool=callgrind``: the same on every run, so that two commits can be compared
on a noisy machine.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

import ce_rules as ce


def scenario() -> tuple[ce.Person, list[ce.CreditEntry]]:
    """A provincial-unit person with a typical year: 10 entries, one of each kind."""
    person = ce.Person(id="370102198001011234", name="张三", unit=ce.UnitLevel.PROVINCIAL)

    def course(n: int, category: ce.Category, hours: str, **kw: object) -> ce.Course:
        return ce.Course.model_validate(
            {"id": f"C{n}", "title": f"课程{n}", "category": category, "hours": Decimal(hours),
             "mode": kw.pop("mode", ce.Mode.ONLINE), "platform": kw.pop("platform", "专技知到"),
             **kw}
        )  # fmt: skip

    pub, pro = ce.Category.PUBLIC, ce.Category.PROFESSIONAL
    courses = [
        course(1, pub, "10", topics=("xi_jinping_thought",)),
        course(2, pub, "8", featured=True),
        course(3, pub, "6"),
        course(4, pub, "6", platform="某培训网"),
        course(5, pro, "20", mode=ce.Mode.OFFLINE, platform=None),
        course(6, pro, "16.5"),
        course(7, pro, "12"),
        course(8, pro, "12"),
        course(9, pro, "8"),
        course(10, pro, "4"),
    ]
    roles = [ce.Role.LEARNER] * 10
    roles[1] = ce.Role.INSTRUCTOR
    statuses = [ce.EntryStatus.APPROVED] * 10
    statuses[8] = ce.EntryStatus.PENDING
    entries = [
        ce.CreditEntry(
            person_id=person.id, course=c, role=r, completed_on=date(2024, 1 + i, 10), status=s
        )
        for i, (c, r, s) in enumerate(zip(courses, roles, statuses, strict=True))
    ]
    entries[9] = ce.CreditEntry(
        person_id=person.id, course=courses[6], completed_on=entries[6].completed_on
    )  # a duplicate
    return person, entries


def measure(rounds: int = 200, number: int = 50) -> list[float]:
    person, entries = scenario()
    ce.evaluate(person, entries, year=2024)  # warm the policy registry
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            ce.evaluate(person, entries, year=2024)
        timings.append((time.perf_counter() - start) / number * 1e6)
    return timings


def instructions(calls: int = 2_000) -> float:
    """Instructions of one call: a run of ``calls`` less a run of none, under callgrind.

    Both runs import ce-rules and make 200 calls first (the policy registry, the
    interpreter's caches); what differs is the calls themselves. String hashing is seeded
    alike (``PYTHONHASHSEED``), else dictionaries and sets differ by a few per cent.
    """

    def counted(number: int) -> int:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
             sys.executable, __file__, "--calls", str(number)],
            capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},  # hashing alike in every run
        )  # fmt: skip
        found = re.search(r"Collected : ([0-9]+)", done.stderr)
        if found is None:
            raise SystemExit(f"no count from callgrind:\n{done.stderr}")
        return int(found[1])

    return (counted(calls) - counted(0)) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="store_true", help="cProfile 20,000 calls")
    parser.add_argument(
        "--instructions", action="store_true", help="instructions of one call (callgrind)"
    )
    parser.add_argument("--calls", type=int, help=argparse.SUPPRESS)  # run by --instructions
    args = parser.parse_args()
    if args.calls is not None:
        person, entries = scenario()
        for _ in range(200 + args.calls):
            ce.evaluate(person, entries, year=2024)
        return
    if args.instructions:
        print(f"ce.evaluate, 10 entries: {instructions():,.0f} instructions a call")
        return
    if args.profile:
        import cProfile
        import pstats

        person, entries = scenario()
        with cProfile.Profile() as profile:
            for _ in range(20_000):
                ce.evaluate(person, entries, year=2024)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return
    timings = sorted(measure())
    median = statistics.median(timings)
    p10, p90 = timings[len(timings) // 10], timings[len(timings) * 9 // 10]
    print(f"ce.evaluate, 10 entries: median {median:.1f} µs (p10 {p10:.1f}, p90 {p90:.1f})")


if __name__ == "__main__":
    main()
