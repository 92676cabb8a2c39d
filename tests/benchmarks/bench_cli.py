"""End to end: ``ce-rules check`` against a hand-written csv+dict loop on the same file.

``python tests/benchmarks/bench_cli.py [ROWS ...] [--seed 2024] [--format table] [--repeat 5]``
generates (once, under tests/benchmarks/data/, which git ignores) a sorted record file of
ROWS rows per size, runs both programs on it as separate processes, alternately, REPEAT
times each, checks that their totals are identical, and prints the best and median wall
time, records per second, the ratio (ce-rules / hand-written; target <= 1.0) and the peak
memory (max RSS; for ce-rules the largest of its processes).
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
    r"Totals: (\d+) persons, (\d+) compliant, (\d+) non-compliant, \d+ in progress; "
    r"(\d+) records: (\d+) counted, (\d+) excluded, (\d+) invalid"
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


def bench(rows: int, seed: int, fmt: str, repeat: int) -> dict[str, float]:
    path = DATA / f"records-{rows}-{seed}.csv"
    if not path.exists():
        start = time.perf_counter()
        write(rows, seed, path)
        print(f"generated {path} in {time.perf_counter() - start:.1f} s", flush=True)
    python = sys.executable
    compiled(python)
    command = [python, "-m", "ce_rules", "--lang", "en", "check", str(path), "--year", "2024",
               "--quiet", "--format", fmt]  # fmt: skip
    base_runs, ce_runs = [], []
    # Alternated, so that a slow spell of a shared machine falls on both alike.
    for _ in range(repeat):
        base_runs.append(run([python, str(HERE / "handwritten.py"), str(path)]))
        ce_runs.append(run(command))
    base_out, ce_out = base_runs[-1][2], ce_runs[-1][2]
    baseline = json.loads(base_out)
    found = TOTALS.search(ce_out) if fmt == "table" else None
    if found is not None:
        ours = dict(zip(KEYS, map(int, found.groups()), strict=True))
        same = all(ours[k] == baseline[k] for k in KEYS)
        print(f"totals identical: {same} {ours}")
        if not same:
            print(f"  hand-written: {baseline}")
    base_s = [seconds for seconds, _, _, _ in base_runs]
    ce_s = [seconds for seconds, _, _, _ in ce_runs]
    ce_mb = max(mb for _, mb, _, _ in ce_runs)
    base_mb = max(mb for _, mb, _, _ in base_runs)
    ce_cpu = statistics.median(cpu for _, _, _, cpu in ce_runs)
    base_cpu = statistics.median(cpu for _, _, _, cpu in base_runs)
    best, typical = min(ce_s), statistics.median(ce_s)
    base_best, base_typical = min(base_s), statistics.median(base_s)
    print(
        f"{rows:>9,} rows, {repeat} runs each (best / median wall; median CPU, all processes):\n"
        f"  ce-rules check: {best:6.2f} / {typical:6.2f} s ({rows / best:>9,.0f} rows/s), "
        f"CPU {ce_cpu:5.2f} s, peak {ce_mb:5.0f} MB\n"
        f"  hand-written:   {base_best:6.2f} / {base_typical:6.2f} s "
        f"({rows / base_best:>9,.0f} rows/s), CPU {base_cpu:5.2f} s, peak {base_mb:5.0f} MB\n"
        f"  ratio: {best / base_best:.2f} (best) / {typical / base_typical:.2f} (median); "
        f"each run: {' '.join(f'{c / b:.2f}' for c, b in zip(ce_s, base_s, strict=True))}",
        flush=True,
    )
    return {"rows": rows, "ce": best, "base": base_best, "ce_mb": ce_mb, "base_mb": base_mb}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--format", default="table", choices=("table", "csv", "jsonl", "json"))
    parser.add_argument("--repeat", type=int, default=5, help="runs of each program")
    args = parser.parse_args()
    for rows in args.rows:
        bench(rows, args.seed, args.format, args.repeat)


if __name__ == "__main__":
    main()
