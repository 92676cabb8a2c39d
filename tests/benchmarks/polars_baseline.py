"""The columnar baseline: the hand-written loop's semantics, written directly in polars.

``python tests/benchmarks/polars_baseline.py FILE`` prints the same totals as
``handwritten.py`` (the same rules, the same validation of hours and dates) as JSON. It is
what a data engineer would write for the generated files without ce-rules, and the floor
against which the CPU of ``ce-rules check`` is measured: both run on the same engine, so
the difference is what ce-rules does beyond it (every column parsed, every unknown fact
tried, every decision kept with its reason).
"""

from __future__ import annotations

import json
import sys

import polars as pl

PLATFORMS = ["专技知到", "山东开放大学", "蟹壳云学"]
YEAR = 2024


def main(path: str) -> dict[str, int]:
    # A broken line (too few fields) is read with nulls and counted invalid below.
    raw = pl.read_csv(path, infer_schema=False, missing_columns="insert")
    frame = raw.with_columns(
        pl.when(pl.col("学时").str.contains(r"^[0-9]+(\.[0-9]{1,2})?$"))
        .then(pl.col("学时").cast(pl.Decimal(12, 2), strict=False))
        .alias("hours"),
        pl.col("科目类别")
        .replace_strict({"公需科目": "public", "专业科目": "professional"}, default=None)
        .alias("category"),
        pl.col("完成日期").str.to_date("%Y-%m-%d", strict=False).alias("day"),
    )
    # Only the platform may be empty (an offline course); a short line leaves the last null.
    broken = pl.col("审核状态").is_null()
    valid = (
        ~broken
        & (pl.col("hours") > 0)
        & (pl.col("hours") <= 1000)
        & pl.col("category").is_not_null()
        & pl.col("day").is_not_null()
    ).fill_null(value=False)
    frame = frame.with_columns(valid.alias("valid"))
    provincial = (
        frame.group_by("身份证号")
        .agg(pl.col("单位级别").first().alias("unit"))
        .select("身份证号", (pl.col("unit") == "省直单位").alias("provincial"))
    )
    entries = frame.filter("valid").join(provincial, on="身份证号", how="left")
    twice = (pl.col("角色") == "授课教师") & (pl.col("是否优质在线公需课") == "是")
    counts = (
        (pl.col("day").dt.year() == YEAR)
        & ~(
            pl.col("provincial")
            & (pl.col("学习形式") == "远程教育")
            & (pl.col("category") == "public")
            & (pl.col("角色") == "学员")
            & ~pl.col("学习平台").is_in(PLATFORMS)
        )
        & (pl.col("审核状态") == "已审核")
    )
    entries = entries.with_columns(
        counts.alias("counts"),
        pl.when(twice).then(pl.col("hours") * 2).otherwise(pl.col("hours")).alias("credited"),
        pl.when(twice).then(None).otherwise(pl.col("day")).alias("key_day"),
    )
    # Of the entries of one course, role and day (a featured course's instructor: year),
    # the largest counts once.
    best = (
        entries.filter("counts")
        .group_by("身份证号", "课程编号", "角色", "key_day")
        .agg(pl.col("credited").max(), pl.col("category").first())
    )
    earned = best.group_by("身份证号").agg(
        pl.col("credited").filter(pl.col("category") == "public").sum().alias("public"),
        pl.col("credited").filter(pl.col("category") == "professional").sum().alias("pro"),
    )
    persons = frame.select(pl.col("身份证号").unique())
    verdicts = persons.join(earned, on="身份证号", how="left").with_columns(
        ((pl.col("public").fill_null(0) >= 30) & (pl.col("pro").fill_null(0) >= 60)).alias("ok")
    )
    compliant = int(verdicts["ok"].sum())
    invalid = frame.height - entries.height
    return {
        "records": frame.height,
        "counted": best.height,
        "excluded": entries.height - best.height,
        "invalid": invalid,
        "persons": verdicts.height,
        "compliant": compliant,
        "non_compliant": verdicts.height - compliant,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
