"""Records per second of ``evaluate_spark`` in a local Spark session, beside ``evaluate_table``.

``python tests/benchmarks/bench_spark.py 100000 1000000 [--cores 2] [--partitions N]
[--repeat 3]`` generates each file (``generate.py``), stores it as Parquet (text cells and a
``line`` column), then times, best and median of ``--repeat`` runs:

- ``spark``: ``evaluate_spark`` with the three frames written to Spark's ``noop`` sink (all
  computed, nothing stored), the judged partitions persisted between the three as the
  default does;
- ``keys``: the first pass alone (each row keyed by its person id as ``parse_id`` reads it);
- ``table``: ``evaluate_table`` on the same rows in this one process (the single machine).

Each run reports its wall time and the CPU time of this process and every process under it
(the JVM and the Python workers), which a busy shared VM disturbs less. The session is
``local[CORES]`` with ``spark.sql.shuffle.partitions`` = ``--partitions``
(default: about one partition per 250,000 records, at least ``CORES``). Every run checks
that Spark and the single machine gave the same number of rows in each frame.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
import generate  # beside this script, not a package

DATA = Path(__file__).parent / "data"


def parquet(rows: int) -> tuple[Path, pl.DataFrame]:
    csv_path = DATA / f"records-{rows}-2024.csv"
    if not csv_path.exists():
        generate.write(rows, 2024, csv_path)
    path = DATA / f"records-{rows}-2024.parquet"
    with csv_path.open(encoding="utf-8", newline="") as handle:
        header, *body = csv.reader(handle)
    body = [row + [""] * (len(header) - len(row)) for row in body]  # broken rows: cells missing
    frame = pl.DataFrame(body, schema=dict.fromkeys(header, pl.String), orient="row")
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"))
    if not path.exists():
        frame.write_parquet(path, row_group_size=100_000)
    return path, frame


def tree_cpu() -> float:
    """CPU seconds of this process and every process under it (the JVM, Python workers).

    Linux only: read from /proc, with the time of children already reaped by their parent.
    On a shared VM, CPU time varies less than wall time when other work competes for cores.
    """
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    mine = {os.getpid()}
    grew = True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in mine} - mine
        grew = bool(more)
        mine |= more
    return sum(times.get(pid, 0) for pid in mine) / os.sysconf("SC_CLK_TCK")


def timed(work) -> tuple[float, float]:
    cpu = tree_cpu()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start, tree_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int, nargs="+")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--partitions", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from ce_rules._table import evaluate_table
    from ce_rules.spark import _keyed, evaluate_spark

    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(f"Spark {spark.version}, local[{args.cores}], load average {os.getloadavg()[0]:.1f}")
    print("CPU: median of the runs, this process and every process under it (JVM, workers)")
    for rows in args.rows:
        path, frame = parquet(rows)
        partitions = args.partitions or max(args.cores, round(rows / 250_000))
        spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
        print(f"{rows:,} rows: {partitions} partitions")
        records = spark.read.parquet(str(path))
        reference = evaluate_table(frame.drop("line"), year=2024).table.frames()

        def judge(records=records, reference=reference, check=False) -> None:
            result = evaluate_spark(records, year=2024, line="line")
            for mine, theirs in zip(result, reference, strict=True):
                mine.write.format("noop").mode("overwrite").save()
                if check:
                    assert mine.count() == theirs.height
            spark.catalog.clearCache()

        def keys(records=records) -> None:
            texts = records.withColumnRenamed("身份证号", "person_id")
            _keyed(texts, "person_id").write.format("noop").mode("overwrite").save()

        def table(frame=frame) -> None:
            evaluate_table(frame.drop("line"), year=2024).table.frames()

        judge(check=True)  # the Python workers started and warm
        for name, work in (("spark", judge), ("keys", keys), ("table", table)):
            runs = [timed(work) for _ in range(args.repeat)]
            best = min(wall for wall, _ in runs)
            median = statistics.median(wall for wall, _ in runs)
            cpu = statistics.median(cpu for _, cpu in runs)
            print(
                f"{rows:>9,} rows  {name:<5}  wall best {best:6.2f} s  median {median:6.2f} s  "
                f"{rows / best:>9,.0f} records/s (best)  CPU {cpu:6.2f} s "
                f"({rows / cpu:>7,.0f} records per CPU second)"
            )
    spark.stop()


if __name__ == "__main__":
    main()
