"""Reports written whole or not at all, and cells that cannot run or steer anything.

The fault tests run real child processes that are killed, terminated and interrupted
in the middle of a write, or that run out of file size: the previous report must be
left byte for byte, with no file beside it.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import re
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ce_rules import _output
from ce_rules._output import (
    OutputError,
    Sheet,
    Terminated,
    atomic_output,
    check_output_path,
    formula_safe,
    terminal_safe,
    termination_as_interrupt,
    write_workbook,
)

SRC = Path(__file__).resolve().parent.parent / "src"
OLD = "身份证号,结论\n370102198001011234,合格\n".encode()
TRIGGERS = "=+-@\t\r＝＋－＠"
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
TIMEOUT = 10.0
POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and permissions")


def unnamed_files_work(folder: Path) -> bool:
    """Whether ``folder``'s file system makes unnamed files (O_TMPFILE) that /proc can link."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return False
    try:
        fd = os.open(folder, flag | os.O_WRONLY, 0o600)
    except OSError:
        return False
    try:
        return os.path.exists(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)


@pytest.fixture(params=["unnamed", "named"])
def staging(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test twice: with an unnamed O_TMPFILE file, and with the named fallback."""
    if request.param == "unnamed" and not unnamed_files_work(tmp_path):
        pytest.skip("no O_TMPFILE on this platform or file system")
    if request.param == "named":
        monkeypatch.setattr(_output, "_O_TMPFILE", None)
    return str(request.param)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """A previous report, alone in its folder."""
    folder = tmp_path / "reports"
    folder.mkdir()
    target = folder / "结果.csv"
    target.write_bytes(OLD)
    return target


def write_then_raise(target: Path, error: BaseException) -> None:
    """Writes half a report to ``target``, flushed, then raises ``error`` inside the block."""
    with atomic_output(target) as out:
        out.write("half a report\n" * 10_000)
        out.flush()
        raise error


def listing(folder: Path) -> list[str]:
    """The names in ``folder``, hidden ones included."""
    return sorted(os.listdir(folder))


# ----------------------------------------------------------------------- atomic_output


def test_success_replaces_the_target(report: Path, staging: str) -> None:
    """A block that ends normally replaces the report and leaves no other file."""
    with atomic_output(report) as out:
        out.write("身份证号,结论\n370102198001011234,不合格\n")
    assert report.read_text(encoding="utf-8") == "身份证号,结论\n370102198001011234,不合格\n"
    assert listing(report.parent) == ["结果.csv"]


def test_a_new_target_is_created(tmp_path: Path, staging: str) -> None:
    """A report that did not exist is created, and nothing else."""
    target = tmp_path / "new.json"
    with atomic_output(target) as out:
        out.write("{}\n")
    assert target.read_text() == "{}\n"
    assert listing(tmp_path) == ["new.json"]


@pytest.mark.parametrize(
    "error",
    [ValueError("bad row"), KeyboardInterrupt(), SystemExit(2), Terminated(signal.SIGTERM)],
    ids=["ValueError", "KeyboardInterrupt", "SystemExit", "Terminated"],
)
def test_an_exception_keeps_the_previous_report(
    report: Path, staging: str, error: BaseException
) -> None:
    """An exception inside the block goes on; the report is byte for byte as it was."""
    with pytest.raises(type(error)):
        write_then_raise(report, error)
    assert report.read_bytes() == OLD
    assert listing(report.parent) == ["结果.csv"]


def test_an_exception_creates_no_new_target(tmp_path: Path, staging: str) -> None:
    """A failed first run leaves no report at all."""
    target = tmp_path / "结果.csv"
    with pytest.raises(ZeroDivisionError):
        write_then_raise(target, ZeroDivisionError())
    assert listing(tmp_path) == []


def test_an_oserror_of_the_caller_is_not_called_a_write_failure(report: Path) -> None:
    """An input that cannot be read inside the block raises its own error, not OutputError."""
    with pytest.raises(FileNotFoundError) as caught, atomic_output(report):
        Path(report.parent / "missing-input.csv").read_text()
    assert not isinstance(caught.value, OutputError)
    assert report.read_bytes() == OLD


def test_unnamed_file_has_no_name_while_written(report: Path, staging: str) -> None:
    """With O_TMPFILE the folder shows no new file while the report is written."""
    with atomic_output(report) as out:
        out.write("x" * 100_000)
        out.flush()
        during = listing(report.parent)
    if staging == "unnamed":
        assert during == ["结果.csv"]
    else:
        assert len(during) == 2
        assert re.fullmatch(r"\.结果\.csv\.[0-9a-f]{12}\.part", during[0])


def test_text_handle_encoding_and_newline(tmp_path: Path) -> None:
    """The text handle writes the encoding asked for (a BOM for Excel) and newlines as given."""
    target = tmp_path / "r.csv"
    with atomic_output(target, encoding="utf-8-sig") as out:
        out.write("姓名\r\n张三\n")
    assert target.read_bytes() == "\ufeff姓名\r\n张三\n".encode()


def test_binary_handle(tmp_path: Path) -> None:
    """``binary=True`` yields a handle that takes bytes and refuses text."""
    target = tmp_path / "r.bin"
    with atomic_output(target, binary=True) as out:
        out.write(b"\x00\xff")
        with pytest.raises(TypeError):
            out.write("text")
    assert target.read_bytes() == b"\x00\xff"


def test_closing_the_handle_inside_the_block_is_allowed(report: Path, staging: str) -> None:
    """A caller that closes the handle itself still gets the report put in place."""
    with atomic_output(report) as out:
        out.write("closed early\n")
        out.close()
    assert report.read_text() == "closed early\n"
    assert listing(report.parent) == ["结果.csv"]


def test_a_long_target_name(tmp_path: Path, staging: str) -> None:
    """A name near the 255-byte limit still gets a temporary name that fits."""
    target = tmp_path / ("报" * 80 + ".csv")  # 244 bytes in UTF-8
    with atomic_output(target) as out:
        out.write("ok")
    assert target.read_text() == "ok"
    assert listing(tmp_path) == [target.name]


def test_o_tmpfile_refused_falls_back_to_a_named_file(
    report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system that refuses O_TMPFILE (EOPNOTSUPP) gets a named temporary file."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        pytest.skip("no O_TMPFILE on this platform")
    real_open = os.open

    def refusing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & flag == flag:
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    with atomic_output(report) as out:
        out.write("fallback")
        during = listing(report.parent)
    assert len(during) == 2
    assert report.read_text() == "fallback"
    assert listing(report.parent) == ["结果.csv"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_sync_or_rename_keeps_the_previous_report(
    report: Path, staging: str, failing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An I/O error while the report is put in place raises OutputError; nothing changed."""

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    def write() -> None:
        with atomic_output(report) as out:
            out.write("new")
            monkeypatch.setattr(os, failing, broken)

    with pytest.raises(OutputError) as caught:
        write()
    assert caught.value.errno == errno.EIO
    assert caught.value.path == str(report)
    assert str(caught.value).endswith("; the previous file is unchanged")
    assert caught.value.message.zh.endswith("输入/输出错误；原文件未改动")
    assert report.read_bytes() == OLD
    assert listing(report.parent) == ["结果.csv"]


@POSIX
def test_a_failed_folder_sync_says_the_report_was_written(
    report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that cannot be synced after the rename: an error that does not claim "unchanged"."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OutputError) as caught, atomic_output(report) as out:
        out.write("new")
    assert "the report was written" in str(caught.value)
    assert "报告已写入" in caught.value.message.zh
    assert report.read_text() == "new"


@POSIX
def test_a_folder_that_cannot_be_synced_is_no_error(
    report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system that does not sync folders (EINVAL) is not an error."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with atomic_output(report) as out:
        out.write("new")
    assert report.read_text() == "new"


@POSIX
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_a_new_file_follows_the_umask(tmp_path: Path, staging: str, umask: int) -> None:
    """A new report has the mode ``open`` would give it: 0o666 less the umask, not 0600."""
    target = tmp_path / "r.csv"
    previous = os.umask(umask)
    try:
        with atomic_output(target) as out:
            out.write("x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


@POSIX
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o604])
def test_a_replaced_file_keeps_its_mode(report: Path, staging: str, mode: int) -> None:
    """A replaced report keeps its mode exactly, even bits that the umask would remove."""
    report.chmod(mode)
    previous = os.umask(0o022)
    try:
        with atomic_output(report) as out:
            out.write("x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(report.stat().st_mode) == mode


@POSIX
def test_a_symlinked_report_is_replaced_behind_its_link(tmp_path: Path, staging: str) -> None:
    """Writing through a link replaces the file it points to; the link still points there."""
    real = tmp_path / "2024.csv"
    real.write_bytes(OLD)
    link = tmp_path / "latest.csv"
    link.symlink_to(real.name)
    assert check_output_path(link, []) == real.resolve()
    with atomic_output(link) as out:
        out.write("new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_a_protected_target_is_refused_before_anything_is_written(report: Path) -> None:
    """``atomic_output`` checks the target first: an input file is refused, untouched."""
    with pytest.raises(OutputError), atomic_output(report, protected=[report]):
        pytest.fail("the block must not run")
    assert report.read_bytes() == OLD
    assert listing(report.parent) == ["结果.csv"]


@pytest.mark.parametrize(
    ("name", "zh"),
    [("ENOSPC", "磁盘空间不足"), ("ENOENT", "文件或文件夹不存在"), ("ENOTDIR", "不是文件夹"),
     ("EACCES", "没有权限"), ("EISDIR", "是文件夹")],
)  # fmt: skip
def test_why_a_write_failed_is_said_in_chinese(report: Path, name: str, zh: str) -> None:
    """The reasons a folder or a disk gives are in Chinese, not left in the system's English."""
    number = getattr(errno, name)
    error = _output._write_failed(str(report), OSError(number, os.strerror(number)), False)
    assert error.message.zh == f"无法写入 {report}：{zh}；未生成文件"
    assert os.strerror(number) in error.message.en


def test_output_error_is_an_oserror_and_pickles(report: Path) -> None:
    """OutputError is a CeRulesError and an OSError, and survives pickling."""
    error = _output._write_failed(str(report), OSError(errno.ENOSPC, "No space"), True)
    assert isinstance(error, OSError)
    assert isinstance(error, _output.CeRulesError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.message, copy.errno, str(copy)) == (
        error.path,
        error.message,
        errno.ENOSPC,
        str(error),
    )


# ----------------------------------------------------------------------- check_output_path


def test_check_returns_the_resolved_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The target comes back absolute, with ``..`` resolved."""
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert check_output_path("../out.csv", []) == (tmp_path / "out.csv").resolve()


def test_check_refuses_an_input_by_another_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The input named ``records.csv`` is refused as ``./sub/../records.csv``."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "records.csv").write_bytes(OLD)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError) as caught:
        check_output_path("./sub/../records.csv", ["records.csv", "policy.toml"])
    assert "a file this run reads" in str(caught.value)
    assert "本次运行要读取的文件 records.csv" in caught.value.message.zh
    assert caught.value.path == "./sub/../records.csv"


@POSIX
def test_check_refuses_an_input_through_a_symlink(tmp_path: Path) -> None:
    """A link to the input is the input, and so is the input behind a link given as input."""
    data = tmp_path / "records.csv"
    data.write_bytes(OLD)
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    with pytest.raises(OutputError):
        check_output_path(link, [data])
    with pytest.raises(OutputError):
        check_output_path(data, [link])


@POSIX
def test_check_refuses_a_hard_link_of_an_input(tmp_path: Path) -> None:
    """A hard link of the persons file is the persons file."""
    persons = tmp_path / "persons.csv"
    persons.write_bytes(OLD)
    twin = tmp_path / "twin.csv"
    os.link(persons, twin)
    with pytest.raises(OutputError):
        check_output_path(twin, [tmp_path / "records.csv", persons])


def test_check_allows_a_file_that_is_not_protected(tmp_path: Path) -> None:
    """An existing report that no input names is a valid target; missing inputs are no match."""
    (tmp_path / "old.csv").write_bytes(OLD)
    target = check_output_path(tmp_path / "old.csv", [tmp_path / "missing.csv"])
    assert target == (tmp_path / "old.csv").resolve()


@pytest.mark.parametrize("name", ["", ".", "folder", "folder/", "new/"])
def test_check_refuses_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """A folder, or a path ending with a separator, is no report file."""
    (tmp_path / "folder").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError) as caught:
        check_output_path(name, [])
    assert "folder" in str(caught.value)
    assert "文件夹" in caught.value.message.zh


@POSIX
def test_check_refuses_a_device_or_a_pipe(tmp_path: Path) -> None:
    """``/dev/null`` and a FIFO would be replaced by a regular file: refused."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target in (fifo, Path(os.devnull)):
        with pytest.raises(OutputError) as caught:
            check_output_path(target, [])
        assert "not a regular file" in str(caught.value)


def test_check_refuses_a_missing_folder(tmp_path: Path) -> None:
    """A report in a folder that does not exist is refused with the folder's name."""
    with pytest.raises(OutputError) as caught:
        check_output_path(tmp_path / "no" / "结果.csv", [])
    assert caught.value.errno == errno.ENOENT
    assert "does not exist" in str(caught.value)
    assert "不存在" in caught.value.message.zh


def test_check_refuses_a_folder_without_write_permission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder this process cannot create files in is refused (root passes os.access: faked)."""
    monkeypatch.setattr(os, "access", lambda path, mode, **kwargs: False)
    with pytest.raises(OutputError) as caught:
        check_output_path(tmp_path / "结果.csv", [])
    assert caught.value.errno == errno.EACCES
    assert "no permission to create files" in str(caught.value)


def test_check_refuses_a_read_only_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report marked read-only is not replaced, as ``open`` would not overwrite it."""
    target = tmp_path / "2023.csv"
    target.write_bytes(OLD)
    real_access = os.access

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        return False if Path(path) == target.resolve() else real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(OutputError) as caught:
        check_output_path(target, [])
    assert "read-only" in str(caught.value)
    assert "只读" in caught.value.message.zh


def test_check_shows_a_hostile_name_escaped(tmp_path: Path) -> None:
    """A file name with terminal escapes is shown escaped in the message, kept in ``path``."""
    name = str(tmp_path / "no" / "\x1b[2Jx.csv")
    with pytest.raises(OutputError) as caught:
        check_output_path(name, [])
    assert "\x1b" not in str(caught.value)
    assert "\\x1b[2J" in str(caught.value)
    assert caught.value.path == name


# ----------------------------------------------------------------------- real processes

SLOW_WRITER = """
import json, os, signal, sys, time
from ce_rules import _output
from ce_rules._output import Terminated, atomic_output, termination_as_interrupt

target, marker, staging = sys.argv[1:]
if staging == "named":
    _output._O_TMPFILE = None
signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
try:
    with termination_as_interrupt(), atomic_output(target) as out:
        out.write("370102198001011234,不合格\\n" * 20_000)
        out.flush()
        with open(marker + ".tmp", "w") as ready:
            json.dump(sorted(os.listdir(os.path.dirname(target))), ready)
        os.replace(marker + ".tmp", marker)
        time.sleep(60)
except Terminated as stopped:
    sys.exit(128 + stopped.signum)
except KeyboardInterrupt:
    sys.exit(128 + signal.SIGINT)
"""

FULL_DISK_WRITER = """
import json, resource, signal, sys
from ce_rules import _output
from ce_rules._output import OutputError, atomic_output

target, staging = sys.argv[1:]
if staging == "named":
    _output._O_TMPFILE = None
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    with atomic_output(target) as out:
        for _ in range(1000):
            out.write("不合格" * 1000)
except OutputError as error:
    print(json.dumps({"errno": error.errno, "en": str(error), "zh": error.message.zh}))
    sys.exit(3)
"""


def child_env() -> dict[str, str]:
    """The environment of a child: ce-rules from this tree, no bytecode written."""
    return {**os.environ, "PYTHONPATH": str(SRC), "PYTHONDONTWRITEBYTECODE": "1"}


def start_slow_writer(report: Path, marker: Path, staging: str) -> subprocess.Popen[str]:
    """A child that writes a report, flushes it and sleeps; returns once it is asleep."""
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(report), str(marker), staging],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + TIMEOUT
    while not marker.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            _, stderr = child.communicate(timeout=TIMEOUT)
            pytest.fail(f"the child did not start writing: {stderr}")
        time.sleep(0.01)
    return child


def stop(child: subprocess.Popen[str], signum: int) -> int:
    """Sends ``signum`` to ``child`` and returns its exit status."""
    child.send_signal(signum)
    try:
        child.communicate(timeout=TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate(timeout=TIMEOUT)
    return child.returncode


@POSIX
def test_sigkill_leaves_no_file_with_o_tmpfile(report: Path, tmp_path: Path) -> None:
    """SIGKILL in the middle of a write: the previous report intact and no new file at all."""
    if not unnamed_files_work(report.parent):
        pytest.skip("no O_TMPFILE on this platform or file system")
    marker = tmp_path / "writing"
    child = start_slow_writer(report, marker, "unnamed")
    assert json.loads(marker.read_text()) == ["结果.csv"]  # no name while writing
    assert stop(child, signal.SIGKILL) == -signal.SIGKILL
    assert report.read_bytes() == OLD
    assert listing(report.parent) == ["结果.csv"]


@POSIX
def test_sigkill_of_the_named_fallback_leaves_only_a_part_file(
    report: Path, tmp_path: Path
) -> None:
    """The fallback's documented window: after SIGKILL, a hidden ``.part`` file, report intact."""
    child = start_slow_writer(report, tmp_path / "writing", "named")
    assert stop(child, signal.SIGKILL) == -signal.SIGKILL
    assert report.read_bytes() == OLD
    left = listing(report.parent)
    assert left[1] == "结果.csv"
    assert re.fullmatch(r"\.结果\.csv\.[0-9a-f]{12}\.part", left[0])


@POSIX
@pytest.mark.parametrize(
    "signum",
    [signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", signal.SIGTERM)],
    ids=["SIGTERM", "SIGINT", "SIGHUP"],
)
def test_a_stopped_child_keeps_the_previous_report(
    report: Path, tmp_path: Path, staging: str, signum: int
) -> None:
    """SIGTERM, Ctrl-C, SIGHUP: exit 128+signum, previous report intact, no temporary file."""
    marker = tmp_path / "writing"
    child = start_slow_writer(report, marker, staging)
    if staging == "named":
        assert len(json.loads(marker.read_text())) == 2  # the named file existed while writing
    assert stop(child, signum) == 128 + signum
    assert report.read_bytes() == OLD
    assert listing(report.parent) == ["结果.csv"]


@POSIX
@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE")
def test_disk_full_raises_output_error_and_keeps_the_report(report: Path, staging: str) -> None:
    """A write past the file size limit (EFBIG) raises OutputError; the report is intact."""
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK_WRITER, str(report), staging],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    error = json.loads(result.stdout)
    assert error["errno"] == errno.EFBIG
    assert error["en"] == (
        f"cannot write {report}: {os.strerror(errno.EFBIG)}; the previous file is unchanged"
    )
    assert error["zh"] == f"无法写入 {report}：文件过大；原文件未改动"
    assert report.read_bytes() == OLD
    assert listing(report.parent) == ["结果.csv"]


# ----------------------------------------------------------------------- termination


@POSIX
def test_sigterm_raises_terminated_and_handlers_come_back() -> None:
    """Inside the block SIGTERM raises Terminated(SIGTERM); outside, the old handler is back."""
    before = signal.getsignal(signal.SIGTERM)
    with termination_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) is _output._raise_terminated
        with pytest.raises(Terminated) as caught:
            signal.raise_signal(signal.SIGTERM)
    assert caught.value.signum == signal.SIGTERM
    assert isinstance(caught.value, KeyboardInterrupt)
    assert str(caught.value) == "terminated by SIGTERM"
    assert pickle.loads(pickle.dumps(caught.value)).signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == before


@POSIX
def test_an_ignored_sighup_stays_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under ``nohup`` SIGHUP is ignored on purpose, and stays so."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with termination_as_interrupt():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is _output._raise_terminated
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_termination_as_interrupt_is_a_no_op_outside_the_main_thread() -> None:
    """In another thread, where handlers cannot be set, the block runs without them."""
    seen: list[object] = []

    def run() -> None:
        with termination_as_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(TIMEOUT)
    assert seen == [before]


# ----------------------------------------------------------------------- formula_safe


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","点击")', '\'=HYPERLINK("http://x","点击")'),
        ("+86 138", "'+86 138"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("＝1+1", "'＝1+1"),
        ("＠x", "'＠x"),
        ("张三", "张三"),
        ("370102198001011234", "370102198001011234"),
        ("a=1", "a=1"),
        ("'=1", "'=1"),
        ("", ""),
    ],
)
def test_formula_safe_examples(text: str, safe: str) -> None:
    """A formula trigger at the start gets an apostrophe; anything else is unchanged."""
    assert formula_safe(text) == safe


texts_with_triggers = st.one_of(
    st.text(), st.builds(lambda c, t: c + t, st.sampled_from(TRIGGERS), st.text())
)


@given(texts_with_triggers)
def test_formula_safe_never_starts_with_a_trigger(text: str) -> None:
    """The result starts with ``'`` or with no trigger, and is the text or ``'`` plus it."""
    safe = formula_safe(text)
    assert safe[:1] == "'" or safe[:1] not in set(TRIGGERS)
    assert safe in (text, "'" + text)


@given(st.text().filter(lambda t: t[:1] not in set(TRIGGERS)))
def test_formula_safe_leaves_other_text_alone(text: str) -> None:
    """Text that starts with no trigger comes back unchanged."""
    assert formula_safe(text) == text


# ----------------------------------------------------------------------- terminal_safe


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("\x1b[31m红\x1b[0m", "\\x1b[31m红\\x1b[0m"),
        ("张三\n李四\t", "张三\\x0a李四\\x09"),
        ("abc\u202eFDP.exe", "abc\\u202eFDP.exe"),
        ("\x00\x7f\x9b", "\\x00\\x7f\\x9b"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("继续教育 30 学时（公需科目）", "继续教育 30 学时（公需科目）"),
    ],
)
def test_terminal_safe_examples(text: str, safe: str) -> None:
    """Escape sequences, newlines, tabs and bidi overrides are shown, not obeyed."""
    assert terminal_safe(text) == safe


def is_unsafe(char: str) -> bool:
    """A control character or a bidi control."""
    return unicodedata.category(char) == "Cc" or char in BIDI


@given(st.text())
def test_terminal_safe_leaves_no_control_character(text: str) -> None:
    """The result holds no control and no bidi character."""
    assert not any(map(is_unsafe, terminal_safe(text)))


@given(st.text(st.characters(exclude_categories=["Cc", "Cs"], exclude_characters=BIDI)))
def test_terminal_safe_leaves_printable_text_alone(text: str) -> None:
    """Text without control or bidi characters comes back unchanged."""
    assert terminal_safe(text) == text


# ----------------------------------------------------------------------- write_workbook

openpyxl = pytest.importorskip("openpyxl")

HEADER = ["身份证号", "姓名", "结论", "公需科目学时", "合格", "备注"]
ROWS: list[list[str | int | Decimal | bool | None]] = [
    ["370102198001011234", "=1+1", "合格", Decimal("30"), True, None],
    ["370102198001015678", "@SUM(A1:A9)", "不合格", Decimal("12.5"), False, "#N/A"],
    ["-370102", "+86 138", "－1", Decimal("0.1"), True, '=HYPERLINK("http://x","点击")'],
    ["\tx", "＝1", "", 42, False, "备注\x07响铃"],
]


def write(path: Path, sheets: list[Sheet]) -> Any:
    """Writes ``sheets`` through ``atomic_output`` and reads the workbook back."""
    with atomic_output(path, binary=True) as out:
        write_workbook(out, sheets)
    return openpyxl.load_workbook(path)


def test_workbook_values_and_types(tmp_path: Path) -> None:
    """Text comes back as text, numbers as numbers, booleans as booleans, None as empty."""
    book = write(tmp_path / "结果.xlsx", [Sheet("结果", HEADER, iter(ROWS))])
    sheet = book["结果"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [
        ["370102198001011234", "=1+1", "合格", 30, True, None],
        ["370102198001015678", "@SUM(A1:A9)", "不合格", 12.5, False, "#N/A"],
        ["-370102", "+86 138", "－1", 0.1, True, '=HYPERLINK("http://x","点击")'],
        ["\tx", "＝1", None, 42, False, "备注\\x07响铃"],
    ]
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert cell.data_type == "s"
                assert cell.quotePrefix  # Excel's apostrophe, outside the value
            elif isinstance(cell.value, bool):
                assert cell.data_type == "b"
            elif cell.value is not None:
                assert cell.data_type == "n"
                assert not cell.quotePrefix


def test_workbook_has_no_formula_element(tmp_path: Path) -> None:
    """No part of the xlsx file holds an ``<f>`` element."""
    path = tmp_path / "r.xlsx"
    write(path, [Sheet("a", HEADER, ROWS), Sheet("b", ["x"], [["=cmd|' /C calc'!A0"]])])
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            assert not re.search(rb"<(\w+:)?f[ >/]", archive.read(name)), name
        assert b'quotePrefix="1"' in archive.read("xl/styles.xml")


def test_workbook_decimals_read_back_exactly(tmp_path: Path) -> None:
    """Hours up to 15 significant digits read back as the same number."""
    hours = [Decimal(h) for h in ("0.1", "12.5", "2.675", "0.33", "90", "123456.789012345")]
    book = write(tmp_path / "r.xlsx", [Sheet("h", ["h"], [[h] for h in hours])])
    read = [row[0].value for row in book["h"].iter_rows(min_row=2)]
    assert [Decimal(repr(value)) for value in read] == hours


def test_workbook_header_panes_and_widths(tmp_path: Path) -> None:
    """A bold header, panes frozen below it, widths by display width (wide: 2), at most 60."""
    rows = [["张三丰", "x" * 200, 7]]
    book = write(tmp_path / "r.xlsx", [Sheet("s", ["姓名", "reason", "n"], rows)])
    sheet = book["s"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
    assert widths == {"A": 6 + 2, "B": 60, "C": len("n") + 2}


def test_workbook_sheet_names_follow_excel_rules(tmp_path: Path) -> None:
    """Names lose Excel's refused characters, fit 31 characters, differ by more than case."""
    names = [
        "结果/2024",
        "结果:2024",
        "RESULT",
        "result",
        "x" * 40,
        "'q'",
        "",
        "History",
        "a*b?[c]\\",
    ]
    book = write(tmp_path / "r.xlsx", [Sheet(name, ["h"], []) for name in names])
    assert book.sheetnames == [
        "结果_2024",
        "结果_2024 (2)",
        "RESULT",
        "result (2)",
        "x" * 31,
        "q",
        "Sheet",
        "History_",
        "a_b__c__",
    ]


def test_workbook_streams_rows_past_the_width_sample(tmp_path: Path) -> None:
    """A generator longer than the rows read ahead is written whole, once."""
    count = 2500
    consumed: list[int] = []

    def rows() -> Iterator[list[str | int | Decimal | bool | None]]:
        for number in range(count):
            consumed.append(number)
            yield [f"P{number}", number]

    book = write(tmp_path / "r.xlsx", [Sheet("s", ["id", "n"], rows())])
    assert consumed == list(range(count))
    assert book["s"].max_row == count + 1
    assert book["s"].cell(row=count + 1, column=1).value == f"P{count - 1}"


@pytest.mark.parametrize(
    ("value", "error"), [(Decimal("NaN"), ValueError), (1.5, TypeError), (object(), TypeError)]
)
def test_workbook_refuses_bad_cells_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: Any, error: type[Exception]
) -> None:
    """A cell it cannot write raises; no report and no openpyxl temporary file remain."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    target = tmp_path / "out" / "r.xlsx"
    target.parent.mkdir()
    rows = [["ok", 1]] * 1500 + [["bad", value]]
    with pytest.raises(error), atomic_output(target, binary=True) as out:
        write_workbook(out, [Sheet("first", ["a"], [["x"]]), Sheet("second", ["a", "b"], rows)])
    assert listing(temp) == []
    assert listing(target.parent) == []


def test_workbook_without_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the extra, OutputError says which to install; no file is left."""
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    target = tmp_path / "r.xlsx"
    with pytest.raises(OutputError) as caught, atomic_output(target, binary=True) as out:
        write_workbook(out, [Sheet("s", ["a"], [])])
    assert "pip install openpyxl" in str(caught.value)
    assert "pip install openpyxl" in caught.value.message.zh
    assert caught.value.path is None
    assert listing(tmp_path) == []
