"""Records per second of ``evaluate_spark`` in a local Spark session, beside ``evaluate_table``.

``python tests/benchmarks/bench_spark.py 100000 1000000 [--cores 2] [--partitions N]
[--repeat 3]`` generates each file (``generate.py``), stores it as Parquet (text cells and a
``line`` column), then times, best and median of ``--repeat`` runs:

- ``spark``: ``evaluate_spark`` with the three frames written to Spark's ``noop`` sink (all
  computed, nothing stored), the judged partitions persisted between the three as the
  default does;
- ``keys``: the first pass alone (every row through Python to read its person id);
- ``table``: ``evaluate_table`` on the same rows in this one process (the single machine).

The session is ``local[CORES]`` with ``spark.sql.shuffle.partitions`` = ``--partitions``
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


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int, nargs="+")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--partitions", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T  # noqa: N812 - Spark's own name for it

    from ce_rules._table import evaluate_table
    from ce_rules.spark import _PERSON, _person_keys, evaluate_spark

    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(f"Spark {spark.version}, local[{args.cores}], load average {os.getloadavg()[0]:.1f}")
    for rows in args.rows:
        path, frame = parquet(rows)
        partitions = args.partitions or max(args.cores, round(rows / 250_000))
        spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
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
            schema = T.StructType([*records.schema.fields, T.StructField(_PERSON, T.StringType())])
            records.mapInArrow(_person_keys, schema).write.format("noop").mode("overwrite").save()

        def table(frame=frame) -> None:
            evaluate_table(frame.drop("line"), year=2024).table.frames()

        judge(check=True)  # the Python workers started and warm
        for name, work in (("spark", judge), ("keys", keys), ("table", table)):
            times = sorted(timed(work) for _ in range(args.repeat))
            best, median = times[0], statistics.median(times)
            print(
                f"{rows:>9,} rows  {name:<5}  {partitions} partitions  best {best:6.2f} s  "
                f"median {median:6.2f} s  {rows / best:>9,.0f} records/s (best)"
            )
    spark.stop()


if __name__ == "__main__":
    main()
