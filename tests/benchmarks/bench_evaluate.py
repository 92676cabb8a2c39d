"""Micro-benchmark: ``ce.evaluate`` for one person with 10 entries built in memory.

Run: ``python tests/benchmarks/bench_evaluate.py [--profile | --instructions | --split]``.
Prints the median, the 10th and 90th percentiles of one call in microseconds (target: median
< 20 µs). ``--instructions`` counts the machine instructions of one call instead, under
``valgrind --tool=callgrind``: the same on every run, so that two commits can be compared
on a noisy machine. ``--split`` counts, the same way, where they go (``PARTS``): the call
without entries, the verdict's construction alone, and two yardsticks that ce-rules does
not use (a plain model of the verdict's fields; the judgement of the entries as plain
objects).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

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


#: What ``--split`` counts, each by the name ``--part`` gives it, with what it is.
PARTS: dict[str, str] = {
    "evaluate": "ce.evaluate, 10 entries (as --instructions)",
    "no_entries": "ce.evaluate, no entries: what every call costs",
    "verdict": "the verdict built from its fields and details (with_details)",
    "plain_verdict": "yardstick: a plain frozen model of the verdict's fields, validated",
    "judge": "judge, 10 entries (evaluate without its argument checks)",
    "plain_entries": "yardstick: judge, the same entries as plain objects with __slots__",
}


def _part(name: str) -> Callable[[], object]:
    """The call that ``--split`` counts as ``name`` (``PARTS``)."""
    from pydantic import BaseModel

    from ce_rules import _engine, _verdict

    person, entries = scenario()
    if name == "evaluate":
        return lambda: ce.evaluate(person, entries, year=2024)
    if name == "no_entries":
        return lambda: ce.evaluate(person, (), year=2024)
    policy = _engine.resolve_policy(None, 2024, allow_other_year=False)
    if name == "judge":
        checked = tuple(entries)
        return lambda: _engine.judge(person, checked, 2024, policy, None)
    if name == "plain_entries":
        made: dict[int, object] = {}  # a course shared by two entries stays shared
        kinds: dict[type, type] = {}  # one class a model, as the models are

        def plain(model: BaseModel) -> object:
            if id(model) in made:
                return made[id(model)]
            names = {*type(model).model_fields, *type(model).model_computed_fields}
            names |= {n for n in ("effective_hours", "year") if hasattr(model, n)}
            kind = kinds.get(type(model))
            if kind is None:
                slots = tuple(sorted(names))
                kind = kinds[type(model)] = type(
                    f"Plain{type(model).__name__}", (), {"__slots__": slots}
                )
            value = made[id(model)] = kind()
            for n in names:
                field = getattr(model, n)
                setattr(value, n, plain(field) if isinstance(field, BaseModel) else field)
            return value

        objects = tuple(plain(entry) for entry in entries)
        return lambda: _engine.judge(person, objects, 2024, policy, None)  # type: ignore[arg-type]
    built: list[tuple[Any, dict[str, Any], Any]] = []
    original = _engine.with_details

    def keep(cls: Any, fields: dict[str, Any], details: Any) -> Any:
        built.append((cls, fields, details))
        return original(cls, fields, details)

    _engine.with_details = keep  # type: ignore[assignment]
    try:
        ce.evaluate(person, entries, year=2024)
    finally:
        _engine.with_details = original
    cls, fields, details = built[0]
    if name == "verdict":
        return lambda: _verdict.with_details(cls, fields, details)
    if name == "plain_verdict":
        annotations = {n: ce.Verdict.model_fields[n].annotation for n in fields}
        model = type(
            "PlainVerdict",
            (BaseModel,),
            {"__annotations__": annotations, "model_config": ce.Verdict.model_config},
        )
        validator = model.__pydantic_validator__
        return lambda: validator.validate_python(fields)
    raise SystemExit(f"unknown part {name!r}; known: {', '.join(PARTS)}")


def instructions(calls: int = 2_000, part: str = "evaluate") -> float:
    """Instructions of one call: a run of ``calls`` less a run of none, under callgrind.

    Both runs import ce-rules and make 200 calls first (the policy registry, the
    interpreter's caches); what differs is the calls themselves. String hashing is seeded
    alike (``PYTHONHASHSEED``), else dictionaries and sets differ by a few per cent.
    ``part`` is what is called (``PARTS``).
    """

    def counted(number: int) -> int:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
             sys.executable, __file__, "--calls", str(number), "--part", part],
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
    parser.add_argument(
        "--split", action="store_true", help="instructions of each part of a call (callgrind)"
    )
    parser.add_argument("--calls", type=int, help=argparse.SUPPRESS)  # run by --instructions
    parser.add_argument("--part", default="evaluate", help=argparse.SUPPRESS)  # and --split
    args = parser.parse_args()
    if args.calls is not None:
        call = _part(args.part)
        for _ in range(200 + args.calls):
            call()
        return
    if args.instructions:
        print(f"ce.evaluate, 10 entries: {instructions():,.0f} instructions a call")
        return
    if args.split:
        for name, what in PARTS.items():
            print(f"{instructions(part=name):>9,.0f}  {what}")
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
