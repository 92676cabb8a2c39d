"""A large input: judged a partition of persons at a time, its entries on disk in between.

``check`` judges an input of more than ``_SPILL_BYTES`` this way (docs/performance.md). The
thresholds are lowered here so that a small file goes the same way: every report must be
the one of the same file judged at once, and the temporary files must go with the run.
A GBK file's UTF-8 copy, the other temporary file ``check`` makes, goes where they go.
"""

from __future__ import annotations

import errno
import os
import random
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from ce_rules import _cli, _readers
from test_cli import record, write_csv

FORMATS = ("table", "csv", "json", "jsonl", "xlsx")


def _export(path: Path) -> Path:
    """An office's export of 120 persons in record order: a title, a footer, bad rows."""
    rng = random.Random(11)
    rows = []
    for number in range(360):
        person = f"3701021980{rng.randrange(120):08d}"
        course = rng.choice(["GX1", "GX2", "ZY1", "ZY2", "ZY3"])
        unit = rng.choice(["市属单位", "省直单位"])
        platform = rng.choice(["", "专技知到", "某培训网"])
        mode = "远程教育" if platform else "线下培训"
        hours = "三十" if number % 97 == 0 else rng.choice(["10", "20.5", "30"])
        day = rng.choice(["2024-03-01", "2023-12-31", "2024/6/1"])
        rows.append(
            record(person, course, unit=unit, hours=hours, day=day, mode=mode, platform=platform)
        )
    return write_csv(path, rows, before=[["2024年度学时汇总"]], after=[["合计", "360"]])


def _report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: Path, fmt: str, name: str
) -> tuple[int, bytes | list[list[object]], str]:
    target = tmp_path / f"{name}.{'xlsx' if fmt == 'xlsx' else 'out'}"
    code = _cli.main(
        ["check", str(source), "--year", "2024", "--region", "shandong",
         "--format", fmt, "-o", str(target)]
    )  # fmt: skip
    err = capsys.readouterr().err
    if fmt != "xlsx":
        return code, target.read_bytes(), err
    book = openpyxl.load_workbook(target, read_only=True)
    cells = [
        [sheet.title, *row]
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]
    book.close()
    return code, cells, err


def _partitioned(monkeypatch: pytest.MonkeyPatch, folder: Path, part_bytes: int) -> None:
    """Any input judged by partition, of ``part_bytes`` each, its files in ``folder``."""
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(_cli, "_SPILL_BYTES", 0)
    monkeypatch.setattr(_cli, "_PART_BYTES", part_bytes)


def _checked(source: Path, target: Path | None, *options: str) -> int:
    """``ce-rules [OPTIONS] check SOURCE --year 2024 --region shandong [-o TARGET]``."""
    written = ["-o", str(target)] if target is not None else []
    return _cli.main(
        [*options, "check", str(source), "--year", "2024", "--region", "shandong", *written]
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_large_input_is_judged_by_partition_with_the_same_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """Every format, byte for byte (a workbook cell for cell), and the same warnings."""
    source = _export(tmp_path / "导出.csv")
    whole = _report(tmp_path, capsys, source, fmt, "whole")
    folder = tmp_path / "tmp"
    folder.mkdir()
    _partitioned(monkeypatch, folder, source.stat().st_size // 5)
    monkeypatch.setattr(_cli, "_SPILL_BATCH_ROWS", 50)
    written: list[str] = []
    write = pl.DataFrame.write_ipc

    def counted(frame: pl.DataFrame, path: object, **options: object) -> object:
        written.append(str(path))
        return write(frame, path, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(pl.DataFrame, "write_ipc", counted)
    cut = _report(tmp_path, capsys, source, fmt, "cut")
    assert any(str(folder) in path for path in written)  # it did go through the disk
    assert whole[0] == cut[0] == 2  # invalid records: exit 2 either way
    assert cut[1] == whole[1]
    assert cut[2] == whole[2]
    assert list(folder.iterdir()) == []


def test_a_full_disk_for_the_temporary_files_is_said_and_nothing_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 2, in Chinese: where, why, and that TMPDIR chooses another folder; no report."""
    source = _export(tmp_path / "导出.csv")
    folder = tmp_path / "tmp"
    folder.mkdir()
    _partitioned(monkeypatch, folder, 1000)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError("No space left on device (os error 28)")

    monkeypatch.setattr(pl.DataFrame, "write_ipc", full)
    target = tmp_path / "结果.csv"
    code = _checked(source, target)
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"无法在 {folder} 写入临时文件（磁盘空间不足）：大批量记录在读取后、判定前暂存于此；"
        "请腾出空间，或用环境变量 TMPDIR 指定其他文件夹\n"
    ) in err, err
    assert not target.exists()
    assert list(folder.iterdir()) == []
    code = _checked(source, None, "--lang", "en")
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"cannot write temporary files in {folder} (No space left on device): a large input is "
        "held there between reading and judging; free some space, or name another folder with "
        "the TMPDIR environment variable\n"
    ) in err, err


@pytest.mark.parametrize("problem", ["missing", "a file"])
def test_a_tmpdir_that_cannot_hold_the_files_is_refused_not_replaced(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    problem: str,
) -> None:
    """A mistyped TMPDIR stops the run, naming it: Python's tempfile would quietly use /tmp."""
    source = _export(tmp_path / "导出.csv")
    chosen = tmp_path / "没有这个文件夹"
    if problem == "a file":
        chosen.write_text("not a folder")
    _partitioned(monkeypatch, chosen, 1000)
    target = tmp_path / "结果.csv"
    code = _checked(source, target)
    err = capsys.readouterr().err
    assert code == 2
    reason = "文件或文件夹不存在" if problem == "missing" else "不是文件夹"
    assert (
        f"无法在 {chosen} 写入临时文件（{reason}）：大批量记录在读取后、判定前暂存于此；"
        "请将环境变量 TMPDIR 设为一个存在且可写入的文件夹\n"  # not to make room: no disk is full
    ) in err, err
    assert not target.exists()
    code = _checked(source, None, "--lang", "en")
    err = capsys.readouterr().err
    assert code == 2
    reason = "No such file or directory" if problem == "missing" else "Not a directory"
    assert (
        f"cannot write temporary files in {chosen} ({reason}): a large input is held there "
        "between reading and judging; set the TMPDIR environment variable to a folder that "
        "exists and can be written\n"
    ) in err, err


def _gbk_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmpdir: Path) -> Path:
    """A GBK export of one record, read with ``TMPDIR`` set to ``tmpdir``."""
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    return write_csv(tmp_path / "导出.csv", [record("A", "GX1")], encoding="gbk")


def test_a_gbk_files_copy_goes_in_tmpdir_and_goes_with_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decoded copy is made in TMPDIR, not in the system's folder, and removed after."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    source = _gbk_export(tmp_path, monkeypatch, folder)
    made: list[str] = []
    mkstemp = _readers.tempfile.mkstemp

    def seen(**options: Any) -> tuple[int, str]:
        handle, name = mkstemp(**options)
        made.append(name)
        return handle, name

    monkeypatch.setattr(_readers.tempfile, "mkstemp", seen)
    assert _checked(source, tmp_path / "结果.txt") == 1  # read; not compliant
    assert "按GB18030（GBK）编码读取" in capsys.readouterr().err
    assert [Path(name).parent for name in made] == [folder]
    assert list(folder.iterdir()) == []


def test_a_tmpdir_that_cannot_hold_a_gbk_files_copy_is_refused_not_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 2 naming the folder and why a copy is made there, no report: not a quiet /tmp."""
    chosen = tmp_path / "没有这个文件夹"
    source = _gbk_export(tmp_path, monkeypatch, chosen)
    target = tmp_path / "结果.txt"
    code = _checked(source, target)
    err = capsys.readouterr().err
    assert code == 2
    assert f"无法在 {chosen} 写入临时文件" in err, err
    assert "GBK（GB18030）编码的文件先在此转为UTF-8副本再读取" in err, err
    assert "TMPDIR" in err
    assert not target.exists()


def test_a_full_disk_for_a_gbk_files_copy_is_said_and_nothing_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy's folder and the disk named (not the file being read); the copy removed."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    source = _gbk_export(tmp_path, monkeypatch, folder)
    fdopen = os.fdopen

    class Full:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    def opened(fd: int, mode: str = "r", *args: Any, **options: Any) -> Any:
        handle = fdopen(fd, mode, *args, **options)
        return Full(handle) if "w" in mode else handle

    monkeypatch.setattr(_readers.os, "fdopen", opened)
    code = _checked(source, tmp_path / "结果.txt", "--lang", "en")
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot write temporary files in {folder} (No space left on device)" in err, err
    assert "a GBK (GB18030) file is decoded into a UTF-8 copy there" in err, err
    assert list(folder.iterdir()) == []
