"""End to end: ``ce-rules check`` beside a hand-written loop and a polars baseline.

``python tests/benchmarks/bench_cli.py [ROWS ...] [--seed 2024] [--order record]
[--format table] [--repeat 5]`` generates (once, under tests/benchmarks/data/, which git
ignores) a record file of ROWS rows per size, in record order unless ``--order person``,
and runs three programs on it as separate processes, in turn, REPEAT times each:

- ``handwritten.py``, a plain csv + dict loop (the wall-time baseline);
- ``polars_baseline.py``, the loop's semantics written directly in polars (the CPU
  baseline: the same engine, doing only what the loop does);
- ``ce-rules check --format FORMAT``.

It checks that the three give identical totals (for the table and jsonl formats, which
print them) and prints, for each, the best and median wall time, the median CPU time
(user + system, of every thread) and the peak memory (max RSS), then the ratios the
targets are stated in (docs/performance.md): check's wall time over the loop's and its
CPU over the polars baseline's.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from generate import DATA, write  # noqa: E402 - the generator sits beside this script

TOTALS = re.compile(
    r"Totals: (\d+) persons, (\d+) compliant, (\d+) non-compliant, \d+ in progress, "
    r"\d+ undetermined; (\d+) records: (\d+) counted, (\d+) excluded, (\d+) invalid"
)
KEYS = ("persons", "compliant", "non_compliant", "records", "counted", "excluded", "invalid")


def run(command: list[str]) -> tuple[float, float, str, float]:
    """Run ``command``; return wall seconds, peak RSS in MB, stdout's last line and CPU seconds.

    The CPU seconds (user and system) are those of the process and every process it
    waited for: for ``ce-rules check`` on several cores, the sum over its processes.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    last = ""
    for line in process.stdout:
        last = line.decode("utf-8").strip() or last
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1, 2):
        raise SystemExit(f"{command} failed with {code}")
    return seconds, usage.ru_maxrss / 1024, last, usage.ru_utime + usage.ru_stime


def compiled(python: str) -> None:
    """Compiles ce-rules' modules to bytecode, as installing it from a wheel does.

    An editable install under PYTHONDONTWRITEBYTECODE (as in some CI images) would
    otherwise compile them again at every start, which no installed copy does.
    """
    spec = importlib.util.find_spec("ce_rules")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("ce_rules is not installed in this environment")
    folder = spec.submodule_search_locations[0]
    subprocess.run([python, "-m", "compileall", "-q", folder], check=True)


def totals_of(fmt: str, last: str) -> dict[str, int] | None:
    """The totals ``ce-rules check`` printed last, if the format prints them."""
    if fmt == "table":
        found = TOTALS.search(last)
        return None if found is None else dict(zip(KEYS, map(int, found.groups()), strict=True))
    if fmt == "jsonl":
        totals = json.loads(last)["totals"]
        return {key: totals[key] for key in KEYS}
    return None


def bench(rows: int, seed: int, order: str, fmt: str, repeat: int) -> None:
    suffix = "" if order == "person" else "-unsorted"
    path = DATA / f"records-{rows}-{seed}{suffix}.csv"
    if not path.exists():
        start = time.perf_counter()
        write(rows, seed, path, order)
        print(f"generated {path} in {time.perf_counter() - start:.1f} s", flush=True)
    python = sys.executable
    compiled(python)
    programs = {
        "hand-written loop": [python, str(HERE / "handwritten.py"), str(path)],
        "polars baseline": [python, str(HERE / "polars_baseline.py"), str(path)],
        f"ce-rules check ({fmt})": [
            python, "-m", "ce_rules", "--lang", "en", "check", str(path), "--year", "2024",
            "--quiet", "--format", fmt,
        ],
    }  # fmt: skip
    runs: dict[str, list[tuple[float, float, str, float]]] = {name: [] for name in programs}
    # In turn, so that a slow spell of a shared machine falls on all alike.
    for _ in range(repeat):
        for name, command in programs.items():
            runs[name].append(run(command))
    loop, baseline, ours = programs
    expected = json.loads(runs[loop][-1][2])
    found = {
        baseline: json.loads(runs[baseline][-1][2]),
        ours: totals_of(fmt, runs[ours][-1][2]),
    }
    verdict = "identical"
    for name, totals in found.items():
        if totals is None:
            verdict = f"not printed by --format {fmt}"
        elif any(totals[k] != expected[k] for k in KEYS):
            print(f"  TOTALS DIFFER: {name} {totals} != {loop} {expected}")
            verdict = "DIFFERENT"
    print(f"{rows:>11,} records ({order} order), {repeat} runs each: "
          f"best / median wall, median CPU, peak memory")  # fmt: skip
    summary = {}
    for name, done in runs.items():
        walls = [wall for wall, _, _, _ in done]
        cpu = statistics.median(c for _, _, _, c in done)
        peak = max(mb for _, mb, _, _ in done)
        summary[name] = (min(walls), statistics.median(walls), cpu, peak)
        print(
            f"  {name:<26} {min(walls):7.2f} / {statistics.median(walls):7.2f} s wall, "
            f"CPU {cpu:7.2f} s, peak {peak:7.0f} MB"
        )
    print(
        f"  check / loop, wall (median): {summary[ours][1] / summary[loop][1]:.2f}; "
        f"check / polars baseline, CPU: {summary[ours][2] / summary[baseline][2]:.2f}; "
        f"totals: {verdict}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--order", choices=("record", "person"), default="record")
    parser.add_argument("--format", default="table", choices=("table", "csv", "jsonl", "json"))
    parser.add_argument("--repeat", type=int, default=5, help="runs of each program")
    args = parser.parse_args()
    for rows in args.rows:
        bench(rows, args.seed, args.order, args.format, args.repeat)


if __name__ == "__main__":
    main()
