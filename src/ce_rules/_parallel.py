"""``ce-rules check`` on several cores: a large CSV file checked in parts, then merged.

Persons are independent, so a file sorted by person can be cut where the person
changes (``_io.plan_csv_parts``) and its parts checked at the same time, exactly as the
whole file would be. The file is cut into many more parts than there are processes
(``part_count``); this process and one more per extra job each take the next part no
one has taken, until none is left. A process on a busy core thus takes fewer parts
instead of holding the others up. Each process writes its parts' rows to a temporary
file of its own; the rows are copied out in file order, the totals added and the
invalid records renumbered, so the report is the same, byte for byte, as from one
process.

The merge is only taken when it is provably the same: within each part every person
came after the one before (ids ascending, as a sorted export has them) and each part's
first person comes after the previous part's last. Otherwise nothing is written and
the caller checks the file in one process (which reports unsorted records as such).
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from datetime import date
from itertools import chain
from operator import attrgetter, itemgetter
from typing import IO, Any, BinaryIO, Final, NamedTuple

from ._batch import (
    BatchResult,
    BatchTotals,
    BatchVerdict,
    InvalidRecord,
    RowBlock,
    Translator,
    evaluate_part,
)
from ._engine import RequirementMemo
from ._io import CsvPlan, NotPlainError, RecordFileError, csv_part_items
from ._policy import Policy

__all__ = ["PROGRESS_EVERY", "PartResult", "Progress", "check_in_parts", "part_count"]

#: Writes verdicts as rows of the report (module-level, so that it can be pickled).
RowWriter = Callable[[IO[str], Iterable[BatchVerdict]], None]

#: Records read between two reports of progress.
PROGRESS_EVERY: Final = 50_000
#: About how many bytes of the file a part holds: a few tenths of a second's work, so
#: that the processes finish within about that of each other.
PART_BYTES: Final = 1 << 21
#: At most this many parts, however large the file.
MAX_PARTS: Final = 1024


def part_count(size: int, jobs: int) -> int:
    """How many parts a file of ``size`` bytes is cut into for ``jobs`` processes."""
    return max(jobs, min(MAX_PARTS, size // PART_BYTES))


class PartResult(NamedTuple):
    """What checking one part gave.

    Attributes:
        number: The part's place in the file, from 0.
        output: The temporary file holding its rows of the report (one per process).
        start: Where its rows start in ``output`` (a byte offset).
        stop: Where they end.
        totals: Its totals.
        invalid_records: Its invalid records, numbered from the part's start.
        lines: The lines it spans.
        first: Its first person judged, if any.
        last: Its last person judged, if any.
        ordered: Whether its persons came in ascending order, none twice.
    """

    number: int
    output: str
    start: int
    stop: int
    totals: BatchTotals
    invalid_records: list[InvalidRecord]
    lines: int
    first: str | None
    last: str | None
    ordered: bool


class Progress:
    """Records read, counted as they pass, and reported every ``PROGRESS_EVERY`` of them.

    ``counter``, a ``multiprocessing.Value``, lets the processes of a run in parts add to
    one count; without it the count is this process's own.

    Attributes:
        reported: Whether the count was reported at least once.
    """

    def __init__(self, report: Callable[[int], None] | None, counter: Any = None) -> None:
        self.report = report
        self.counter = counter
        self.reported = False
        self._own = 0
        self._since = 0  # records since the last report, over every part counted

    @property
    def total(self) -> int:
        """The records read so far (by every process sharing the counter)."""
        return self._own if self.counter is None else int(self.counter.value)

    def counted(self, items: Iterable[Any]) -> Iterator[Any]:
        """``items`` as they are, counting the records in them."""
        counter, report = self.counter, self.report
        for item in items:
            size = len(item.rows) if isinstance(item, RowBlock) else 1
            if counter is None:
                self._own += size
            else:
                with counter.get_lock():
                    counter.value += size
            self._since += size
            if report is not None and self._since >= PROGRESS_EVERY:
                self._since = 0
                self.reported = True
                report(self.total)
            yield item


class _Job(NamedTuple):
    """What each process of a run in parts checks, and how it writes the rows of a report."""

    plan: CsvPlan
    year: int
    policy: Policy
    as_of: date | None
    write_rows: RowWriter


class _PartError(Exception):
    """Checking part ``number`` (-1: no part in particular) raised ``error``."""

    def __init__(self, number: int, error: BaseException) -> None:
        super().__init__(number, error)
        self.number = number
        self.error = error


def _take(taken: Any, parts: int) -> int | None:
    """The next part no process has taken yet, now taken; None when none is left."""
    with taken.get_lock():
        number = int(taken.value)
        if number >= parts:
            return None
        taken.value = number + 1
    return number


def _stop(taken: Any, parts: int) -> None:
    """No process takes another part (those taken are finished)."""
    with taken.get_lock():
        taken.value = parts


def _check_parts(
    job: _Job, taken: Any, output: str, progress: Progress | None
) -> list[PartResult] | None:
    """Checks parts not yet taken, one after another, writing their rows to ``output``.

    None if a part cannot be merged (see ``_check_part``): the other processes then
    take no more parts either.

    Raises:
        _PartError: Checking a part raised an error; the others take no more parts.
    """
    parts = len(job.plan.parts)
    number = -1
    # What these keep serves every part this process checks.
    translator = Translator()
    memo: RequirementMemo = {}
    results = []
    try:
        with open(output, "wb") as file:
            while (claimed := _take(taken, parts)) is not None:
                number = claimed
                result = _check_part(job, number, translator, memo, progress, file)
                if result is None:
                    _stop(taken, parts)
                    return None
                results.append(result)
                number = -1
    except Exception as error:
        _stop(taken, parts)
        raise _PartError(number, error) from error
    return results


def _check_part(
    job: _Job,
    number: int,
    translator: Translator,
    memo: RequirementMemo,
    progress: Progress | None,
    file: BinaryIO,
) -> PartResult | None:
    """Checks part ``number``, appending its rows of the report to ``file`` (by name).

    None if the part is not plain or cannot be read (in the encoding guessed from the
    file's head, say): the file is then read whole, in one process.
    """
    spanned = 0  # the part's lines, known once it is read

    def read() -> Iterator[RowBlock | InvalidRecord]:
        nonlocal spanned
        spanned = yield from csv_part_items(job.plan, job.plan.parts[number])

    items = read()
    batch = evaluate_part(
        items if progress is None else progress.counted(items),
        year=job.year,
        policy=job.policy,
        as_of=job.as_of,
        translator=translator,
        memo=memo,
    )
    first: str | None = None
    last: str | None = None
    ordered = True

    def tracked() -> Iterator[BatchVerdict]:
        nonlocal first, last, ordered
        for verdict in batch:
            person = verdict.person_id
            if first is None:
                first = person
            elif last is not None and not person > last:
                ordered = False
            last = person
            yield verdict

    rows = io.StringIO(newline="")
    try:
        job.write_rows(rows, tracked())
    except (NotPlainError, RecordFileError):
        # One process reads the file instead: a line break may be inside a quoted cell,
        # an encoding guessed from the head may be wrong, and an error is reported
        # with its line in the whole file.
        return None
    ordered = ordered and not any(r.code == "unsorted" for r in batch.invalid_records)
    start = file.tell()
    file.write(rows.getvalue().encode("utf-8"))
    return PartResult(
        number,
        file.name,
        start,
        file.tell(),
        batch.totals,
        batch.invalid_records,
        spanned,
        first,
        last,
        ordered,
    )


def check_in_parts(
    plan: CsvPlan,
    *,
    jobs: int,
    year: int,
    policy: Policy,
    as_of: date | None,
    write_rows: RowWriter,
    head: str,
    out: IO[str],
    progress: Callable[[int], None] | None = None,
) -> BatchResult | None:
    """Checks ``plan``'s parts in ``jobs`` processes and writes ``head`` and their rows to ``out``.

    This process checks parts too, while one more process per extra job does. Returns
    the merged ``BatchResult`` (its verdicts already written), or None, with nothing
    written, when the parts cannot be merged into what one process would report: the
    caller then checks the file in one process.
    """
    context = multiprocessing.get_context()
    job = _Job(plan, year, policy, as_of, write_rows)
    parts = len(plan.parts)
    taken = context.Value("q", 0)  # the parts handed out so far
    shared = Progress(progress, context.Value("q", 0)) if progress is not None else None
    counter = None if shared is None else shared.counter
    outputs: list[str] = []
    children: list[tuple[Any, Any]] = []
    try:
        for _ in range(min(jobs, parts)):
            handle, name = tempfile.mkstemp(prefix="ce-rules-", suffix=".part")
            os.close(handle)
            outputs.append(name)
        for output in outputs[1:]:
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_child,
                args=(sender, job, taken, output, counter),
                daemon=True,
            )
            process.start()
            sender.close()
            children.append((process, receiver))
        found: list[list[PartResult] | None] = []
        failures: list[tuple[int, BaseException]] = []
        try:
            found.append(_check_parts(job, taken, outputs[0], shared))
        except _PartError as failed:
            failures.append((failed.number, failed.error))
        except BaseException:  # interrupted: stop the others too
            for process, _ in children:
                process.terminate()
            raise
        for process, receiver in children:
            try:
                ok, payload = receiver.recv()
            except EOFError:
                process.join()
                ok, payload = False, (-1, f"it ended with exit code {process.exitcode}")
            if ok:
                found.append(payload)
            else:
                number, trace = payload
                error = RuntimeError(f"a ce-rules worker process failed: {trace}")
                failures.append((number, error))
        if failures:
            raise min(failures, key=itemgetter(0))[1]  # the first part's, as in one process
        if shared is not None and progress is not None:
            progress(shared.total)  # every part's records, read
        if any(result is None for result in found):
            return None
        results = sorted(chain.from_iterable(filter(None, found)), key=attrgetter("number"))
        if [result.number for result in results] != list(range(parts)):
            raise RuntimeError("ce-rules: a part of the file was not checked")  # never so far
        if not _mergeable(results):
            return None
        out.write(head)
        _copy_rows(results, outputs, out)
        return _merged(plan, results, year, policy)
    finally:
        _stop(taken, parts)
        for process, receiver in children:
            receiver.close()
            process.join()
        for name in outputs:
            with contextlib.suppress(OSError):
                os.unlink(name)


def _copy_rows(results: list[PartResult], outputs: list[str], out: IO[str]) -> None:
    """Copies each part's rows, in order, from the file its process wrote them to."""
    with contextlib.ExitStack() as stack:
        files = {name: stack.enter_context(open(name, "rb")) for name in outputs}
        for result in results:
            file = files[result.output]
            file.seek(result.start)
            out.write(file.read(result.stop - result.start).decode("utf-8"))


def _child(sender: Any, job: _Job, taken: Any, output: str, counter: Any) -> None:
    """A worker process: checks parts and sends back their results, or the error."""
    try:
        progress = None if counter is None else Progress(None, counter)
        results = _check_parts(job, taken, output, progress)
    except KeyboardInterrupt:
        return  # Ctrl-C reaches every process of the command: the command reports it
    except _PartError as failed:  # a fault: its traceback, for the parent to raise
        sender.send((False, (failed.number, "".join(traceback.format_exception(failed.error)))))
    else:
        sender.send((True, results))
    finally:
        sender.close()


def _mergeable(results: list[PartResult]) -> bool:
    """Whether every person is judged once, as one process would, across the parts."""
    last: str | None = None
    for result in results:
        if not result.ordered:
            return False
        if result.first is not None:
            if last is not None and not result.first > last:
                return False
            last = result.last
    return True


def _merged(plan: CsvPlan, results: list[PartResult], year: int, policy: Policy) -> BatchResult:
    batch = BatchResult(iter(()), year, policy)
    totals = batch.totals
    records = 0
    lines = plan.header_lines
    for result in results:
        for record in result.invalid_records:
            line = None if record.line is None else record.line + lines
            batch.invalid_records.append(
                record.model_copy(update={"index": record.index + records, "line": line})
            )
        part = result.totals
        for field in fields(BatchTotals):
            if field.name == "by_reason":
                totals.by_reason.update(part.by_reason)
            else:
                setattr(totals, field.name, getattr(totals, field.name) + getattr(part, field.name))
        records += part.records
        lines += result.lines
    return batch
