"""Reading record files: ``RecordFile.tables()`` against ``rows()`` and a plain ``pl.read_csv``.

``python tests/benchmarks/bench_readers.py [--rows 1000000] [--big 4000000] [--repeat 3]
[--cases utf8 gbk quoted framed big] [--no-rows]`` generates (once, under
tests/benchmarks/data/, which git ignores) the benchmark file of ROWS rows (``generate.py``,
Chinese headers, UTF-8) and copies of it: in GBK, with every field quoted, with a title
row above the header and a footer (合计, 制表人) below the records; and a file of BIG
rows. Each reading runs in a process of its own (its peak memory is its own), REPEAT
times, alternately with a plain ``pl.read_csv`` of the same file (so that a slow spell of
a shared machine falls on both alike); ``rows()`` runs once. Printed for each: the best
and median wall time and the median CPU time (user and system, all threads) of opening
the file and reading it to the end (the imports excluded: they are timed apart), and the
peak RSS of the process (imports included).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from generate import DATA, write  # noqa: E402 - the generator sits beside this script

# What a child process runs: the imports first (timed apart), then one reading.
CHILD = r"""
import json, resource, sys, time

def clock():
    used = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), used.ru_utime + used.ru_stime

mode, path, encoding = sys.argv[1], sys.argv[2], sys.argv[3]
start = clock()
import polars as pl
from ce_rules._readers import open_record_file
imported = clock()
items = 0
if mode == "read_csv":
    frame = pl.read_csv(path, has_header=False, infer_schema=False, encoding=encoding)
    items = frame.height
else:
    file = open_record_file(path)
    if mode == "tables":
        for table in file.tables():
            items += table.frame.height + len(table.others)
    else:
        for _ in file.rows():
            items += 1
done = clock()
print(json.dumps({
    "import_wall": imported[0] - start[0], "import_cpu": imported[1] - start[1],
    "wall": done[0] - imported[0], "cpu": done[1] - imported[1], "items": items,
}))
"""


def run(mode: str, path: Path, encoding: str) -> dict[str, float]:
    """One reading in a child process: its measurements, and its peak RSS in MB."""
    command = [sys.executable, "-c", CHILD, mode, str(path), encoding]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=os.environ.copy())
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{mode} {path} failed")
    result: dict[str, float] = json.loads(out)
    result["rss"] = usage.ru_maxrss / 1024
    return result


def source(rows: int, seed: int) -> Path:
    """The benchmark file of ``rows`` rows, generated once."""
    path = DATA / f"records-{rows}-{seed}.csv"
    if not path.exists():
        start = time.perf_counter()
        write(rows, seed, path)
        print(f"generated {path} in {time.perf_counter() - start:.1f} s", flush=True)
    return path


def copy(original: Path, kind: str) -> Path:
    """A copy of ``original``: ``gbk``, ``quoted`` (every field), ``framed`` (title, footer)."""
    path = original.with_name(f"{original.stem}-{kind}.csv")
    if path.exists():
        return path
    encoding = "gbk" if kind == "gbk" else "utf-8"
    with (
        original.open(encoding="utf-8", newline="") as inp,
        path.open("w", encoding=encoding, newline="") as out,
    ):
        if kind == "quoted":
            writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            writer.writerows(csv.reader(inp))
        else:
            header = inp.readline()
            if kind == "framed":
                out.write("2024年度专业技术人员继续教育学时登记表" + "," * header.count(",") + "\n")
            out.write(header)
            while block := inp.read(1 << 20):
                out.write(block)
            if kind == "framed":
                empty = "," * (header.count(",") - 1)
                out.write(f"合计,{empty}\n制表人：王五,{empty}\n")
    return path


def report(name: str, path: Path, encoding: str, repeat: int, rows: bool) -> None:
    plain: list[dict[str, float]] = []
    fast: list[dict[str, float]] = []
    for _ in range(repeat):
        plain.append(run("read_csv", path, encoding))
        fast.append(run("tables", path, encoding))
    size = path.stat().st_size / 1e6
    print(f"{name}: {path.name}, {size:.0f} MB, {fast[0]['items']:,.0f} items", flush=True)
    show("pl.read_csv", plain)
    show("tables()", fast)
    if rows:
        exact = [run("rows", path, encoding)]
        assert exact[0]["items"] == fast[0]["items"]
        show("rows()", exact)
    imports = statistics.median(r["import_cpu"] for r in fast)
    print(f"  (imports of polars and ce_rules, apart: {imports:.2f} s CPU)", flush=True)


def show(label: str, runs: list[dict[str, float]]) -> None:
    walls = [r["wall"] for r in runs]
    cpu = statistics.median(r["cpu"] for r in runs)
    rss = max(r["rss"] for r in runs)
    print(
        f"  {label:12s} wall {min(walls):6.2f} s best, {statistics.median(walls):6.2f} s median;"
        f" CPU {cpu:6.2f} s; peak RSS {rss:6.0f} MB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=4_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", nargs="*", default=["utf8", "gbk", "quoted", "framed", "big"])
    parser.add_argument("--no-rows", action="store_true", help="skip rows() (slow)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    original = source(args.rows, args.seed)
    for case in args.cases:
        if case == "utf8":
            report(case, original, "utf8", args.repeat, not args.no_rows)
        elif case == "big":
            report(case, source(args.big, args.seed), "utf8", args.repeat, not args.no_rows)
        else:
            encoding = "gbk" if case == "gbk" else "utf8"
            report(case, copy(original, case), encoding, args.repeat, not args.no_rows)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
