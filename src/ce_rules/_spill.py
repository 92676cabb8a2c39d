"""Entries between reading and judging, by partition of persons: in memory or on disk.

A large input is judged one partition of persons at a time (``_table.evaluate_tables``):
each batch's entries are cut by a hash of their person's id into ``parts`` partitions as
soon as they are parsed, written to temporary files (Arrow IPC, uncompressed), and read back
a partition at a time, so that only one partition's entries are in memory while they are
judged. All of a person's entries are in one partition, in input order. With one partition
the entries stay in memory: nothing is written.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final

from ._message import Message
from ._output import OutputError, os_reason, terminal_safe

if TYPE_CHECKING:
    import polars as pl

__all__ = ["Held", "temporary_failed", "temporary_folder"]

#: The seed of the hash that gives each person's partition (any fixed number: one run).
_SEED: Final = 2024


class Held:
    """The parsed entries of a batch, by partition of persons (a context manager).

    Args:
        parts: How many partitions; 1 keeps every entry in memory.

    The temporary files go in a folder of their own in ``TMPDIR`` when it is set (which
    must then be a folder this process can write in: Python's ``tempfile`` would quietly
    use another, and a mistyped ``TMPDIR`` would fill the system's), else in
    ``tempfile``'s.

    Raises:
        OutputError: The temporary folder cannot be made, or a file cannot be written or
            read back (a full disk, a file removed meanwhile): what happened, and that
            ``TMPDIR`` chooses another folder.
    """

    def __init__(self, parts: int = 1) -> None:
        if parts < 1:
            raise ValueError(f"parts must be at least 1, not {parts}")
        self.parts = parts
        self._memory: list[pl.DataFrame] = []
        self._files: list[list[Path]] = [[] for _ in range(parts)]
        self._folder: Path | None = None
        if parts > 1:
            chosen = temporary_folder()
            try:
                self._folder = Path(tempfile.mkdtemp(prefix="ce-rules-", dir=chosen))
            except OSError as error:
                raise temporary_failed(chosen or tempfile.gettempdir(), error) from None

    def __enter__(self) -> Held:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Removes the temporary files (and their folder); the entries held are let go."""
        self._memory = []
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def part_of(self, ids: Iterable[str]) -> list[int]:
        """The partition of each person id, as ``add`` cuts the entries."""
        import polars as pl

        series = pl.Series("person_id", list(ids), dtype=pl.String)
        return self._part(series).to_list()

    def _part(self, ids: pl.Series) -> pl.Series:
        import polars as pl

        return (ids.hash(seed=_SEED) % self.parts).cast(pl.Int32)

    def add(self, entries: pl.DataFrame) -> None:
        """Holds a batch's entries (``person_id`` a column), each in its person's partition."""
        if self._folder is None:
            self._memory.append(entries)
            return
        cut = entries.with_columns(self._part(entries.get_column("person_id")).alias("__part"))
        for (part,), piece in cut.partition_by(
            "__part", as_dict=True, include_key=False, maintain_order=True
        ).items():
            files = self._files[int(part)]
            path = self._folder / f"{part}-{len(files)}.arrow"
            try:
                piece.write_ipc(path, compression="uncompressed")
            except OSError as error:
                raise temporary_failed(str(self._folder.parent), error) from None
            files.append(path)

    def take(self, part: int) -> list[pl.DataFrame]:
        """The entries of partition ``part``, in the order they were added; let go here."""
        if self._folder is None:
            frames, self._memory = self._memory, []
            return frames
        import polars as pl

        files, self._files[part] = self._files[part], []
        if not files:
            return []
        # One piece of each batch: read as one frame, in one chunk (grouping and joining a
        # frame of many small chunks costs polars more than copying them once).
        try:
            frame = pl.concat([pl.read_ipc(path) for path in files], rechunk=True)
        except OSError as error:
            raise temporary_failed(str(files[0].parent.parent), error, reading=True) from None
        for path in files:
            path.unlink(missing_ok=True)
        return [frame]


def temporary_folder() -> str | None:
    """Where ce-rules makes its temporary files: ``TMPDIR`` if set, else None (``tempfile``'s).

    Given to ``tempfile`` as the folder, ``TMPDIR`` must be one this process can write in:
    ``tempfile`` would otherwise quietly use another, and a mistyped ``TMPDIR`` would fill
    the system's.
    """
    return os.environ.get("TMPDIR") or None


#: Why the temporary files are there, for the error's message.
HELD: Final = Message(
    zh="大批量记录在读取后、判定前暂存于此",
    en="a large input is held there between reading and judging",
)
DECODED: Final = Message(
    zh="GBK（GB18030）编码的文件先在此转为UTF-8副本再读取",
    en="a GBK (GB18030) file is decoded into a UTF-8 copy there to be read",
)


def temporary_failed(
    folder: str, error: OSError, *, reading: bool = False, why: Message = HELD
) -> OutputError:
    """The error for temporary files that cannot be written or read: where, why, what to do."""
    reason, reason_zh, number = os_reason(error)
    shown = terminal_safe(folder)
    verb_zh, verb_en = ("读回", "read back") if reading else ("写入", "write")
    if number in _FULL:
        todo_zh = "请腾出空间，或用环境变量 TMPDIR 指定其他文件夹"
        todo_en = "free some space, or name another folder with the TMPDIR environment variable"
    elif reading:  # a file removed or damaged meanwhile
        todo_zh = "请重新运行，运行期间不要清理该文件夹"
        todo_en = "run again, and keep the folder from being cleaned while it runs"
    else:  # a folder missing, not a folder, not writable
        todo_zh = "请将环境变量 TMPDIR 设为一个存在且可写入的文件夹"
        todo_en = "set the TMPDIR environment variable to a folder that exists and can be written"
    return OutputError(
        folder,
        Message(
            zh=f"无法在 {shown} {verb_zh}临时文件（{reason_zh}）：{why.zh}；{todo_zh}",
            en=f"cannot {verb_en} temporary files in {shown} ({reason}): {why.en}; {todo_en}",
        ),
        number,
    )


#: The errors of a full disk: room is to be made, or another folder named.
_FULL: Final = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
