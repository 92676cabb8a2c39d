"""Writing reports: whole or not at all, and safe to open in a spreadsheet or a terminal.

A report names people and says whether they met the law, so a run that fails, is
interrupted or is killed must leave the previous report as it was and no file that only
looks complete. ``atomic_output`` writes a report beside its target and puts it in place
with one rename once every byte is on disk; ``check_output_path`` refuses, before any
input is read, a target that is one of the run's own input files. What a record says is
data, never a command: ``formula_safe`` keeps a spreadsheet from running a formula found
in a cell, ``write_workbook`` writes text cells that Excel cannot take for formulas, and
``terminal_safe`` keeps a record from steering the terminal that shows it.
``termination_as_interrupt`` makes SIGTERM and SIGHUP unwind the program as Ctrl-C does,
so that the same clean-up runs.
"""

from __future__ import annotations

import errno
import importlib
import io
import os
import re
import secrets
import signal
import stat
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, Final, TypeAlias

from ._exceptions import CeRulesError
from ._message import Message

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = [
    "CellValue",
    "OutputError",
    "Sheet",
    "Terminated",
    "atomic_output",
    "check_output_path",
    "formula_safe",
    "terminal_safe",
    "termination_as_interrupt",
    "write_workbook",
]


class OutputError(CeRulesError, OSError):
    """A report cannot be written where asked; whatever was there before is unchanged.

    Raised for a refused target (an input file, a folder, a missing or read-only folder),
    for a failed write (a full disk, a file too large) and when the xlsx extra is missing.

    Attributes:
        path: The target as the caller named it, or None when the error has no target.
        message: What happened, in Chinese and in English; ``str()`` is the English text.
        errno: The operating system's error number behind it (``ENOSPC``, ``EFBIG``), or None.
    """

    def __init__(self, path: str | None, message: Message, error_number: int | None = None) -> None:
        super().__init__(message.en)
        self.path = path
        self.message = message
        self.errno = error_number

    def __str__(self) -> str:
        return self.message.en

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its attributes, not from OSError's ``args``, when it is pickled.
        return (type(self), (self.path, self.message, self.errno))


#: Chinese for the reasons a report most often cannot be written (English: ``strerror``).
_REASONS_ZH: Final = {
    number: text
    for name, text in (
        ("ENOSPC", "磁盘空间不足"),
        ("EDQUOT", "超出磁盘配额"),
        ("EFBIG", "文件过大"),
        ("EIO", "输入/输出错误"),
        ("EACCES", "没有权限"),
        ("EPERM", "不允许此操作"),
        ("EROFS", "文件系统为只读"),
        ("ENOENT", "文件或文件夹不存在"),
        ("ENOTDIR", "不是文件夹"),
        ("EISDIR", "是文件夹"),
        ("ENOMEM", "内存不足"),
        ("EMFILE", "打开的文件过多"),
        ("ENFILE", "系统打开的文件过多"),
        ("ENAMETOOLONG", "文件名过长"),
        ("ELOOP", "符号链接层数过多"),
        ("EXDEV", "不能跨文件系统改名"),
    )
    if (number := getattr(errno, name, None)) is not None
}


def _refused(given: str, en: str, zh: str, error_number: int | None = None) -> OutputError:
    shown = terminal_safe(given)
    message = Message(en=f"cannot write {shown}: {en}", zh=f"无法写入 {shown}：{zh}")
    return OutputError(given, message, error_number)


def os_reason(error: OSError) -> tuple[str, str, int | None]:
    """Why an operation failed, in English and in Chinese, and the error's number.

    polars raises an ``OSError`` whose number is only in its text (``(os error 28)``).
    """
    number = error.errno
    reason = error.strerror or str(error)
    if number is None and (found := re.search(r"\(os error (\d+)\)", str(error))):
        number = int(found[1])
        reason = os.strerror(number)
    return reason, _REASONS_ZH.get(number or 0, reason), number


def _write_failed(given: str, error: OSError, existed: bool) -> OutputError:
    """The error for a write that failed: the target, the reason, and that nothing changed."""
    reason, reason_zh, number = os_reason(error)
    if existed:
        kept_en, kept_zh = "the previous file is unchanged", "原文件未改动"
    else:
        kept_en, kept_zh = "no file was created", "未生成文件"
    return _refused(given, f"{reason}; {kept_en}", f"{reason_zh}；{kept_zh}", number)


def check_output_path(path: str | Path, protected: Iterable[str | Path]) -> Path:
    """The resolved target of a report, after refusing a target it must not replace.

    Call it before any input is read. Refused: a target that is one of the ``protected``
    files (inputs, policy, persons, mapping files), whether named by another relative path,
    through a symbolic link or as a hard link of it; a folder, a path ending in a separator,
    a device or a pipe (replacing ``/dev/null`` with a report would be a disaster, and
    writing to it cannot be atomic); an existing file that is read-only for this process
    (as opening it for writing would be refused); and a target whose folder is missing or
    where this process cannot create files.

    Symbolic links are followed: a link to a report keeps pointing to the new report,
    which replaces the file it points to.

    Args:
        path: The target as the user named it.
        protected: The files the run reads.

    Returns:
        The target with every symbolic link and ``..`` resolved.

    Raises:
        OutputError: The target is refused; the message says why, naming it as given.
    """
    given = os.fspath(path)
    if not given or given.endswith(tuple(filter(None, ("/", os.sep, os.altsep)))):
        raise _refused(given, "it names a folder", "这是一个文件夹")
    target = Path(os.path.realpath(given))
    try:
        found: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        found = None
    except OSError as error:
        raise _refused(given, error.strerror or str(error), error.strerror or str(error)) from None
    for name in protected:
        if _same_file(os.fspath(name), target, exists=found is not None):
            shown = terminal_safe(os.fspath(name))
            raise _refused(
                given,
                f"it is {shown}, a file this run reads",
                f"它就是本次运行要读取的文件 {shown}",
            )
    if found is not None:
        if stat.S_ISDIR(found.st_mode):
            raise _refused(given, "it is a folder", "这是一个文件夹")
        if not stat.S_ISREG(found.st_mode):
            raise _refused(given, "it is not a regular file", "这不是普通文件")
    folder = target.parent
    shown_folder = terminal_safe(str(folder))
    if not folder.is_dir():
        raise _refused(
            given,
            f"the folder {shown_folder} does not exist",
            f"文件夹 {shown_folder} 不存在",
            errno.ENOENT,
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _refused(
            given,
            f"no permission to create files in {shown_folder}",
            f"没有在文件夹 {shown_folder} 中创建文件的权限",
            errno.EACCES,
        )
    if found is not None and not os.access(target, os.W_OK):
        raise _refused(given, "the file is read-only", "该文件为只读", errno.EACCES)
    return target


def _same_file(name: str, target: Path, *, exists: bool) -> bool:
    if Path(os.path.realpath(name)) == target:
        return True
    if not exists:
        return False
    try:
        return os.path.samefile(name, target)  # hard links, case-insensitive file systems
    except OSError:
        return False  # a protected file that does not exist is not the target


#: ``os.O_TMPFILE`` where the platform has it (Linux), else None; None also forces the
#: named temporary file, as the tests do.
_O_TMPFILE: int | None = getattr(os, "O_TMPFILE", None)
_O_CLOEXEC: Final[int] = getattr(os, "O_CLOEXEC", 0)
_O_BINARY: Final[int] = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_O_DIRECTORY: Final[int | None] = getattr(os, "O_DIRECTORY", None)
#: How a file system (or an old kernel) says it has no unnamed files: use a named one.
_NO_TMPFILE: Final = frozenset({errno.EOPNOTSUPP, errno.ENOTSUP, errno.EISDIR, errno.EINVAL})
#: How a file system says a folder cannot be synced: nothing more to do.
_NO_DIRECTORY_SYNC: Final = frozenset({errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP})
#: Bytes of the target's name kept in a temporary name (file names hold 255 bytes).
_NAME_BYTES: Final = 200
_ATTEMPTS: Final = 100


def _temporary_name(target: str) -> str:
    """``.{target}.{random}.part``: hidden, unique, and plainly not a finished report."""
    while len(os.fsencode(target)) > _NAME_BYTES:
        target = target[: len(target) * 3 // 4]
    return f".{target}.{secrets.token_hex(6)}.part"


class _Staging:
    """The report while it is written: a file in the target's folder, not yet the target.

    Attributes:
        folder: The target's folder, where the file is.
        fd: Its descriptor, None once closed.
        name: Its name in ``folder``, None while it has none (an unnamed ``O_TMPFILE``).
        unnamed: Whether it was made without a name.
    """

    def __init__(self, folder: Path, fd: int, name: str | None) -> None:
        self.folder = folder
        self.fd: int | None = fd
        self.name = name
        self.unnamed = name is None

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    def discard(self) -> None:
        """Closes and removes the file; on an unnamed file the kernel does both."""
        with suppress(OSError):
            self.close()
        name, self.name = self.name, None
        if name is not None:
            with suppress(FileNotFoundError):
                os.unlink(self.folder / name)


def _stage(folder: Path, target: str, mode: int) -> _Staging:
    """A new empty file in ``folder``: unnamed if the file system can, else a named one."""
    if _O_TMPFILE is not None:
        try:
            fd = os.open(folder, _O_TMPFILE | os.O_WRONLY | _O_CLOEXEC, mode)
        except OSError as error:
            if error.errno not in _NO_TMPFILE:
                raise
        else:
            # Naming it at the end goes through /proc; without /proc, use a named file.
            if os.path.exists(f"/proc/self/fd/{fd}"):
                return _Staging(folder, fd, None)
            os.close(fd)
    for _ in range(_ATTEMPTS):
        name = _temporary_name(target)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC | _O_BINARY
        try:
            fd = os.open(folder / name, flags, mode)
        except FileExistsError:
            continue
        return _Staging(folder, fd, name)
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


def _publish(staging: _Staging, target: Path, mode: int | None) -> None:
    """Puts the written file in the target's place: synced, then named, then renamed."""
    assert staging.fd is not None
    if mode is not None and hasattr(os, "fchmod"):
        os.fchmod(staging.fd, mode)  # exactly the old mode, whatever the umask took away
    os.fsync(staging.fd)
    if staging.unnamed:
        _link(staging, target.name)
    staging.close()  # before the rename: Windows cannot rename an open file
    assert staging.name is not None
    os.replace(staging.folder / staging.name, target)
    staging.name = None


def _link(staging: _Staging, target: str) -> None:
    """Gives the unnamed file a temporary name, which the rename that follows takes away."""
    assert _O_DIRECTORY is not None
    folder = os.open(staging.folder, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
    try:
        for _ in range(_ATTEMPTS):
            # Named before the link: a Ctrl-C just after it still removes the link.
            staging.name = _temporary_name(target)
            try:
                # A folder descriptor makes os.link call linkat with AT_SYMLINK_FOLLOW, which
                # links the file /proc's magic link points to (plain link() fails, EXDEV).
                os.link(f"/proc/self/fd/{staging.fd}", staging.name, dst_dir_fd=folder)
            except FileExistsError:
                staging.name = None
                continue
            return
        raise FileExistsError(errno.EEXIST, "no free temporary file name", str(staging.folder))
    finally:
        os.close(folder)


def _sync_folder(folder: Path) -> None:
    """Makes the rename durable where folders can be synced (not on Windows)."""
    if _O_DIRECTORY is None:
        return
    fd = os.open(folder, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in _NO_DIRECTORY_SYNC:
            raise
    finally:
        os.close(fd)


class _StagedFileIO(io.FileIO):
    """The raw file under the handle: a failed write becomes an ``OutputError`` on the target.

    Only writes to the report are turned into ``OutputError``: an ``OSError`` that the code
    inside the ``with`` block raises for another file (an input that cannot be read) goes
    through as it is, and is not reported as a failure to write the report.
    """

    def __init__(self, fd: int, given: str, existed: bool) -> None:
        super().__init__(fd, "wb", closefd=False)  # the staging owns the descriptor
        self._given = given
        self._existed = existed

    def write(self, data: ReadableBuffer, /) -> int:
        try:
            return super().write(data)
        except OSError as error:
            raise _write_failed(self._given, error, self._existed) from error


@contextmanager
def atomic_output(
    path: str | Path,
    *,
    binary: bool = False,
    encoding: str = "utf-8",
    newline: str | None = "",
    protected: Iterable[str | Path] = (),
) -> Iterator[IO[Any]]:
    """A handle on a new report that replaces ``path`` only when the ``with`` block ends well.

    The report is written to a file in the target's own folder. On Linux that file has
    no name (``O_TMPFILE``), so if the process dies, even by SIGKILL or a power cut,
    nothing is left behind. When the block ends normally the file is flushed, synced to
    disk, given a temporary name and renamed over the target (``os.replace``), and the
    folder is synced: the target is at every moment either the previous file or the
    whole new report. The temporary name lives for the instant between the link and the
    rename; a SIGKILL in that instant leaves a ``.{name}.{random}.part`` file.

    Elsewhere (other systems, file systems without unnamed files such as NFS or SMB)
    the file is named ``.{name}.{random}.part`` from the start and removed on any
    exception. Its one remaining window: a SIGKILL, a crash of the interpreter or a
    power cut while the report is written leaves that file, hidden and plainly partial;
    the target is still the previous file.

    On any exception (``KeyboardInterrupt``, ``Terminated``, ``SystemExit``, an error of
    the caller) the new file is discarded, the target stays byte for byte as it was and
    the exception goes on. A write, sync or rename of the report that fails with an
    ``OSError`` (``ENOSPC``, ``EFBIG``) raises ``OutputError`` naming the target and the
    reason instead; another ``OSError`` raised in the block is not converted.

    The new file gets the permission bits of the file it replaces, or else
    ``0o666 & ~umask``, as ``open`` would give; it is never readable by more people than
    the final file while it is written. A target with other hard links is replaced by a
    new file: the other names keep the previous content.

    Args:
        path: The target.
        binary: Yield a binary handle instead of a text one.
        encoding: The text handle's encoding (``"utf-8-sig"``: CSV with a BOM for Excel).
        newline: The text handle's ``newline`` (``""``: written as given, as ``csv`` needs).
        protected: Files the run reads, which the target must not be (``check_output_path``).

    Yields:
        A text handle, or a binary one with ``binary=True``. Closing it is allowed.

    Raises:
        OutputError: The target is refused, or the report could not be written.
    """
    target = check_output_path(path, protected)
    given = os.fspath(path)
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode) & 0o777
    except FileNotFoundError:
        mode = None
    handle: IO[Any] | None = None
    try:
        # Made with the previous mode (narrowed by the umask) or with 0o666 & ~umask.
        staging = _stage(target.parent, target.name, 0o666 if mode is None else mode)
    except OSError as error:
        raise _write_failed(given, error, mode is not None) from error
    try:
        assert staging.fd is not None
        buffered = io.BufferedWriter(_StagedFileIO(staging.fd, given, mode is not None))
        handle = buffered if binary else io.TextIOWrapper(buffered, encoding, newline=newline)
        yield handle
        try:
            handle.close()  # flushes what is buffered: a full disk raises here
            _publish(staging, target, mode)
        except OutputError:
            raise
        except OSError as error:
            raise _write_failed(given, error, mode is not None) from error
    except BaseException:
        if handle is not None:
            with suppress(OSError, ValueError):
                handle.close()  # what it still holds goes to the discarded file, or nowhere
        staging.discard()
        raise
    try:
        _sync_folder(target.parent)
    except OSError as error:
        reason = error.strerror or str(error)
        reason_zh = _REASONS_ZH.get(error.errno or 0, reason)
        raise _refused(
            given,
            f"the report was written, but its folder could not be synced to disk: {reason}",
            f"报告已写入，但其所在文件夹未能同步到磁盘：{reason_zh}",
            error.errno,
        ) from error


#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"), and their
#: full-width forms, which Chinese input methods type: quoted too, in case a program
#: normalises them.
_FORMULA_TRIGGERS: Final = frozenset("=+-@\t\r＝＋－＠")


def formula_safe(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would take it for a formula.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or
    ``＝＋－＠``) gets the apostrophe, which spreadsheets read as "this is text"; any
    other text is returned unchanged. Apply it to text cells that come from the input
    (names, ids, titles, reasons quoting values), not to numbers formatted by ce-rules:
    ``-1.5`` would become text.
    """
    if text and text[0] in _FORMULA_TRIGGERS:
        return "'" + text
    return text


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


#: Unicode's Bidi_Control characters: marks, embeddings, overrides and isolates, which
#: would reverse or reorder the text around them (U+061C included, the Arabic letter mark).
_BIDI_CONTROLS: Final = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
#: Lone surrogates: no character at all, and no terminal encoding can write one (a file
#: name that is not UTF-8 arrives in ``sys.argv`` holding them, PEP 383).
_SURROGATES: Final = range(0xD800, 0xE000)
#: C0 (newline and tab too), DEL, C1, the bidi controls and lone surrogates, each to its
#: visible escape.
_TERMINAL_ESCAPES: Final = {
    code: _escape(code)
    for code in (*range(0x20), 0x7F, *range(0x80, 0xA0), *_BIDI_CONTROLS, *_SURROGATES)
}


def terminal_safe(text: str) -> str:
    r"""``text`` with every control and bidi character shown as an escape (``\x1b``, ``\u202e``).

    Control characters (C0, newline and tab included, DEL, C1) could move the cursor,
    clear or recolour the terminal; bidi controls could reverse the text of a table. A
    lone surrogate (``\udcff``, from a file name that is not UTF-8) is escaped too: it
    cannot be written to a terminal, nor held by a ``Message``. A value shown on a
    terminal goes through this first; printable text, Chinese included, is returned
    unchanged.
    """
    return text.translate(_TERMINAL_ESCAPES)


#: The values a workbook cell holds.
CellValue: TypeAlias = str | int | Decimal | bool | None


@dataclass(frozen=True, slots=True)
class Sheet:
    """One worksheet of a workbook.

    Attributes:
        name: Its name; ``write_workbook`` makes it one Excel accepts.
        header: The captions of its columns, the first row.
        rows: Its rows, read once, in order: a generator streams into the workbook.
    """

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[CellValue]]


#: Rows read ahead of writing to size the columns: the write-only workbook fixes column
#: widths before its first row, and a report may be a stream too long to hold.
_WIDTH_SAMPLE: Final = 1000
_MAX_WIDTH: Final = 60
_WIDTH_MARGIN: Final = 2
_MAX_SHEET_NAME: Final = 31
#: Characters Excel refuses in a sheet name, and control characters.
_SHEET_NAME_REFUSED: Final = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
#: Characters XML 1.0 cannot hold (openpyxl refuses the C0 ones): shown as escapes.
_XML_REFUSED: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    if _XML_REFUSED.search(text) is None:
        return text
    return _XML_REFUSED.sub(lambda found: _escape(ord(found.group())), text)


def _display_width(value: CellValue) -> int:
    """Columns ``value`` takes: East Asian wide and fullwidth characters count two."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    if text.isascii():
        return max(map(len, text.split("\n")))
    return max(
        sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        for line in text.split("\n")
    )


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # how Excel counts a name's length


def _fit(text: str, units: int) -> str:
    while _utf16_units(text) > units:
        text = text[:-1]
    return text


def _sheet_names(names: Sequence[str]) -> list[str]:
    r"""Names Excel accepts: at most 31 characters, none of ``[]:*?/\``, all different.

    A refused character becomes ``_``; an apostrophe cannot open or close a name; an
    empty name becomes ``Sheet``; ``History`` is reserved by Excel; a name already taken,
    compared regardless of case as Excel does, gets `` (2)``, `` (3)``...
    """
    taken: set[str] = set()
    chosen: list[str] = []
    for name in names:
        base = _fit(_SHEET_NAME_REFUSED.sub("_", name), _MAX_SHEET_NAME).strip("'") or "Sheet"
        if base.casefold() == "history":
            base += "_"
        title, number = base, 2
        while title.casefold() in taken:
            suffix = f" ({number})"
            title = _fit(base, _MAX_SHEET_NAME - len(suffix)).rstrip("'") + suffix
            number += 1
        taken.add(title.casefold())
        chosen.append(title)
    return chosen


def _openpyxl() -> Any:
    try:
        # The optional extra, imported only when a workbook is written.
        return importlib.import_module("openpyxl")
    except ImportError:
        raise OutputError(
            None,
            Message(
                en="writing xlsx needs openpyxl, the optional extra excel: pip install openpyxl "
                "(or, in a clone of ce-rules, pip install '.[excel]')",
                zh="写入xlsx文件需要可选依赖 openpyxl：pip install openpyxl"
                "（或在 ce-rules 源码目录中 pip install '.[excel]'）",
            ),
        ) from None


class _Cells:
    """Makes the cells of a worksheet: text as text, numbers as numbers."""

    def __init__(self, worksheet: Any, openpyxl: Any) -> None:
        self._worksheet = worksheet
        self._new = openpyxl.cell.WriteOnlyCell
        self._bold = openpyxl.styles.Font(bold=True)

    def text(self, value: str, *, bold: bool = False) -> Any:
        if not value:
            return None  # "" and None: an empty cell alike
        cell = self._new(self._worksheet, _xml_text(value))
        # openpyxl reads "=..." as a formula and "#N/A" as an error: a string it stays.
        cell.data_type = "s"
        cell.quotePrefix = True
        if bold:
            cell.font = self._bold
        return cell

    def value(self, value: CellValue) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if value is None or isinstance(value, int):  # bool is an int: a boolean cell
            return value
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"a workbook cell cannot hold {value}")
            return value
        raise TypeError(f"a workbook cell holds str, int, Decimal, bool or None, not {value!r}")


def write_workbook(handle: IO[bytes], sheets: Sequence[Sheet]) -> None:
    r"""Writes ``sheets`` to ``handle`` as an xlsx workbook, one worksheet each.

    Written by openpyxl's write-only mode, which streams the rows: each worksheet has a
    bold header row, panes frozen below it, and columns as wide as their widest cell
    among the header and the first 1,000 rows (wide characters count two, at most 60).

    Text is always text. Every ``str`` cell is written as a string (``t="inlineStr"``),
    never as a formula or an error value, whatever it starts with: Excel does not
    evaluate it on opening. Every ``str`` cell also has the cell style "quotePrefix",
    the apostrophe Excel keeps outside the value: the value reads as written (no
    visible ``'``), and a cell that a user edits and confirms stays text instead of
    turning into a formula, or an 18-digit ID number into a rounded float. One style
    for every text cell, rather than only those ``formula_safe`` would change, because
    a cell that is text is text whatever it looks like, and no prefix rule can list
    every way a spreadsheet reads a value. Characters XML cannot hold are shown as
    escapes (``\x07``).

    Numbers: ``int`` and ``Decimal`` are numeric cells and ``bool`` boolean ones.
    openpyxl writes a number with 16 significant digits (``"%.16g"``), so a ``Decimal``
    of up to 15 digits, every hour count, reads back exactly; Excel itself holds no
    more. A non-finite ``Decimal`` raises ``ValueError`` (openpyxl would write an empty
    cell). ``None`` is an empty cell. openpyxl keeps each worksheet in a temporary file
    of the system's temporary folder until the workbook is saved; on an exception those
    files are removed before it goes on.

    Raises:
        OutputError: openpyxl (the optional extra ``excel``) is not installed.
        ValueError: A cell holds a non-finite ``Decimal``.
        TypeError: A cell holds a value of another type.
    """
    openpyxl = _openpyxl()
    importlib.import_module("openpyxl.styles")
    get_column_letter = importlib.import_module("openpyxl.utils").get_column_letter
    book = openpyxl.Workbook(write_only=True)
    worksheets: list[Any] = []
    try:
        for sheet, name in zip(sheets, _sheet_names([s.name for s in sheets]), strict=True):
            worksheet = book.create_sheet(name)
            worksheets.append(worksheet)
            cells = _Cells(worksheet, openpyxl)
            rows = iter(sheet.rows)
            ahead = list(islice(rows, _WIDTH_SAMPLE))
            for number, width in enumerate(_column_widths(sheet.header, ahead), 1):
                worksheet.column_dimensions[get_column_letter(number)].width = width
            if sheet.header:
                worksheet.freeze_panes = "A2"
                worksheet.append([cells.text(caption, bold=True) for caption in sheet.header])
            for row in chain(ahead, rows):
                worksheet.append([cells.value(value) for value in row])
        book.save(handle)
    except BaseException:
        for worksheet in worksheets:
            _discard_worksheet(worksheet)
        raise


def _column_widths(header: Sequence[str], rows: Sequence[Sequence[CellValue]]) -> list[int]:
    widths = [_display_width(caption) for caption in header]
    for row in rows:
        if len(row) > len(widths):
            widths.extend([0] * (len(row) - len(widths)))
        for number, value in enumerate(row):
            if value is not None:
                widths[number] = max(widths[number], _display_width(value))
    return [min(width + _WIDTH_MARGIN, _MAX_WIDTH) for width in widths]


def _discard_worksheet(worksheet: Any) -> None:
    """Removes the temporary file openpyxl keeps a worksheet's rows in (else kept to exit)."""
    writer: Any = getattr(worksheet, "_writer", None)
    out = getattr(writer, "out", None)
    if not isinstance(out, str):
        return
    for generator in (getattr(worksheet, "_rows", None), writer):
        with suppress(Exception):  # the rows first: closing them writes to the writer's file
            if generator is not None:
                generator.close()
    with suppress(OSError):
        os.unlink(out)
    with suppress(Exception):
        importlib.import_module("openpyxl.worksheet._writer").ALL_TEMP_FILES.remove(out)


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM, SIGHUP); it unwinds as for Ctrl-C.

    Attributes:
        signum: The signal's number; a command line exits with ``128 + signum``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    def __str__(self) -> str:
        try:
            return f"terminated by {signal.Signals(self.signum).name}"
        except ValueError:
            return f"terminated by signal {self.signum}"


#: The signals that ask a process to stop, besides Ctrl-C's SIGINT.
_STOP_SIGNALS: Final = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def termination_as_interrupt() -> Iterator[None]:
    """While active, SIGTERM and SIGHUP raise ``Terminated`` in the main thread.

    ``Terminated`` is a ``KeyboardInterrupt``, so the clean-up that runs for Ctrl-C
    (``atomic_output`` discarding a half-written report) runs for them too. A signal
    that is ignored on entry stays ignored (``nohup`` ignores SIGHUP on purpose). The
    previous handlers come back on exit; one that was not set from Python comes back as
    the default. Outside the main thread, where Python cannot set handlers, this does
    nothing. Processes forked meanwhile inherit the handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    try:
        for signum in _STOP_SIGNALS:
            if signal.getsignal(signum) != signal.SIG_IGN:
                previous[signum] = signal.signal(signum, _raise_terminated)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
