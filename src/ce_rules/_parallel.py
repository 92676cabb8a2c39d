"""``ce-rules check`` on several cores: a large CSV file checked in parts, then merged.

Persons are independent, so a file sorted by person can be cut where the person
changes (``_io.plan_csv_parts``) and each part checked at the same time, exactly as the
whole file would be: the first by this process, each other one by a process of its
own. The parts' rows go to temporary files and are copied out in file order; their
totals are added and their invalid records renumbered, so the report is the same, byte
for byte, as from one process.

The merge is only taken when it is provably the same: within each part every person
came after the one before (ids ascending, as a sorted export has them) and each part's
first person comes after the previous part's last. Otherwise nothing is written, the
temporary files are removed, and the caller checks the file in one process (which
reports unsorted records as such).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from datetime import date
from typing import IO, Any, NamedTuple

from ._batch import BatchResult, BatchTotals, BatchVerdict, InvalidRecord, RowBlock, evaluate_many
from ._io import CsvPart, CsvPlan, NotPlainError, RecordFileError, csv_part_items
from ._policy import Policy

__all__ = ["PROGRESS_EVERY", "PartResult", "Progress", "check_in_parts"]

#: Writes verdicts as rows of the report (module-level, so that it can be pickled).
RowWriter = Callable[[IO[str], Iterable[BatchVerdict]], None]

#: Records read between two reports of progress.
PROGRESS_EVERY = 50_000


class PartResult(NamedTuple):
    """What checking one part gave.

    Attributes:
        output: The temporary file holding its rows of the report.
        totals: Its totals.
        invalid_records: Its invalid records, numbered from the part's start.
        lines: The lines it spans.
        first: Its first person judged, if any.
        last: Its last person judged, if any.
        ordered: Whether its persons came in ascending order, none twice.
    """

    output: str
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

    @property
    def total(self) -> int:
        """The records read so far (by every process sharing the counter)."""
        return self._own if self.counter is None else int(self.counter.value)

    def counted(self, items: Iterable[Any]) -> Iterator[Any]:
        """``items`` as they are, counting the records in them."""
        counter, report = self.counter, self.report
        since = 0
        for item in items:
            size = len(item.rows) if isinstance(item, RowBlock) else 1
            if counter is None:
                self._own += size
            else:
                with counter.get_lock():
                    counter.value += size
            since += size
            if report is not None and since >= PROGRESS_EVERY:
                since = 0
                self.reported = True
                report(self.total)
            yield item


def _check_part(
    plan: CsvPlan,
    part: CsvPart,
    year: int,
    policy: Policy,
    as_of: date | None,
    write_rows: RowWriter,
    progress: Progress | None = None,
) -> PartResult | None:
    """Checks one part into a temporary file.

    None if the part is not plain, or if the file's encoding, guessed from its head, is
    wrong for this part: the file is then read whole, in one process.
    """
    spanned = 0  # the part's lines, known once it is read

    def read() -> Iterator[RowBlock | InvalidRecord]:
        nonlocal spanned
        spanned = yield from csv_part_items(plan, part)

    items = read()
    batch = evaluate_many(
        items if progress is None else progress.counted(items),
        year=year,
        policy=policy,
        as_of=as_of,
        presorted=True,
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

    handle, name = tempfile.mkstemp(prefix="ce-rules-", suffix=".part")
    try:
        with open(handle, "w", encoding="utf-8", newline="") as out:
            write_rows(out, tracked())
    except NotPlainError:
        os.unlink(name)
        return None  # a line break may be inside a quoted cell: one process reads it
    except RecordFileError:
        os.unlink(name)
        if plan.guessed:
            return None  # one process detects the encoding from the whole file
        raise
    except BaseException:
        os.unlink(name)
        raise
    ordered = ordered and not any(r.code == "unsorted" for r in batch.invalid_records)
    return PartResult(name, batch.totals, batch.invalid_records, spanned, first, last, ordered)


def check_in_parts(
    plan: CsvPlan,
    *,
    year: int,
    policy: Policy,
    as_of: date | None,
    write_rows: RowWriter,
    head: str,
    out: IO[str],
    progress: Callable[[int], None] | None = None,
) -> BatchResult | None:
    """Checks ``plan``'s parts at once and writes ``head`` and their rows to ``out``.

    This process checks the first part while one more process per other part checks it.
    Returns the merged ``BatchResult`` (its verdicts already written), or None, with
    nothing written, when the parts cannot be merged into what one process would
    report: the caller then checks the file in one process.
    """
    context = multiprocessing.get_context()
    shared = Progress(progress, context.Value("q", 0)) if progress is not None else None
    counter = None if shared is None else shared.counter
    children = []
    for part in plan.parts[1:]:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_child,
            args=(sender, plan, part, year, policy, as_of, write_rows, counter),
            daemon=True,
        )
        process.start()
        sender.close()
        children.append((process, receiver))
    results: list[PartResult | None] = []
    failure: BaseException | None = None
    try:
        try:
            results.append(
                _check_part(plan, plan.parts[0], year, policy, as_of, write_rows, shared)
            )
        except BaseException as error:  # re-raised below, after the other parts
            failure = error
            if not isinstance(error, Exception):  # interrupted: stop the others too
                for process, _ in children:
                    process.terminate()
        for process, receiver in children:
            try:
                ok, payload = receiver.recv()
            except EOFError:
                process.join()
                ok, payload = False, f"it ended with exit code {process.exitcode}"
            if ok:
                results.append(payload)
            else:
                failure = failure or _failure(payload)
        if failure is not None:
            raise failure
        if shared is not None and progress is not None:
            progress(shared.total)  # every part's records, read
        done = [result for result in results if result is not None]
        if len(done) < len(results) or not _mergeable(done):
            return None
        out.write(head)
        for result in done:
            with open(result.output, encoding="utf-8", newline="") as part_rows:
                while block := part_rows.read(1 << 20):
                    out.write(block)
        return _merged(plan, done, year, policy)
    finally:
        for process, receiver in children:
            receiver.close()
            process.join()
        for leftover in results:
            if leftover is not None:
                os.unlink(leftover.output)


def _child(
    sender: Any,
    plan: CsvPlan,
    part: CsvPart,
    year: int,
    policy: Policy,
    as_of: date | None,
    write_rows: RowWriter,
    counter: Any,
) -> None:
    """A worker process: checks one part and sends back its result, or its error."""
    try:
        progress = None if counter is None else Progress(None, counter)
        result = _check_part(plan, part, year, policy, as_of, write_rows, progress)
    except RecordFileError as error:
        sender.send((False, (error.source, error.message, error.message_zh)))
    except Exception:  # any other fault: its traceback, for the parent to raise
        sender.send((False, traceback.format_exc()))
    else:
        sender.send((True, result))
    finally:
        sender.close()


def _failure(payload: Any) -> BaseException:
    """The exception a worker process reported."""
    if isinstance(payload, tuple):
        return RecordFileError(*payload)
    return RuntimeError(f"a ce-rules worker process failed: {payload}")


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
