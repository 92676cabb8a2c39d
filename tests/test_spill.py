"""``_spill.Held``: where the entries of a large input wait between reading and judging."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from ce_rules import OutputError
from ce_rules._spill import Held


def _entries(*ids: str) -> pl.DataFrame:
    return pl.DataFrame({"person_id": list(ids), "item": list(range(len(ids)))})


def test_one_partition_keeps_the_entries_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default nothing is written: the batches come back as they were added."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    held = Held()
    first, second = _entries("A", "B"), _entries("C")
    held.add(first)
    held.add(second)
    assert list(tmp_path.iterdir()) == []
    assert held.take(0) == [first, second]
    assert held.take(0) == []


def test_partitions_go_to_a_ce_rules_folder_in_tmpdir_and_come_back_by_person(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder is named ce-rules-… (the name docs/cli.md gives); each person in one part."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    ids = [f"P{n}" for n in range(40)]
    with Held(3) as held:
        (folder,) = tmp_path.iterdir()
        assert folder.name.startswith("ce-rules-")
        held.add(_entries(*ids))
        held.add(_entries(*reversed(ids)))
        parts = [held.take(part) for part in range(3)]
        assert held.part_of(ids) == [
            next(p for p, frames in enumerate(parts) if i in frames[0]["person_id"].to_list())
            for i in ids
        ]
    taken = pl.concat([frame for frames in parts for frame in frames])
    assert sorted(taken["person_id"].to_list()) == sorted(ids * 2)
    assert list(tmp_path.iterdir()) == []


def test_closing_after_the_folder_was_removed_raises_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cleaner that took the whole folder: closing must not hide the run's own error."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    held = Held(2)
    held.add(_entries("A", "B", "C"))
    (folder,) = tmp_path.iterdir()
    shutil.rmtree(folder)
    held.close()
    held.close()
    assert list(tmp_path.iterdir()) == []


def test_a_partition_of_one_file_gone_is_said_with_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One batch, so one file a partition: its loss is an OutputError naming TMPDIR."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with Held(2) as held:
        held.add(_entries("A", "B", "C", "D"))
        (folder,) = tmp_path.iterdir()
        for path in folder.iterdir():
            path.unlink()
        with pytest.raises(OutputError) as raised:
            held.take(0)
    assert raised.value.path == str(tmp_path)
    assert raised.value.message.en.startswith(f"cannot read back temporary files in {tmp_path} (")
