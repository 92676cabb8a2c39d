"""The legal texts ce-rules rests on, and the catalogue of the project's decisions.

Package data, shipped in the wheel:

- ``shandong-2024-notice.md``: the Shandong 2024 notice (山东省人力资源和社会保障厅关于做好
  2024年度专业技术人员继续教育有关工作的通知), the text the ``shandong-2024`` policy quotes;
- ``cn-national-2015-art8.md``: an **excerpt** of 《专业技术人员继续教育规定》
  (人力资源社会保障部令第25号), Article 8 only, the text ``cn-national-2015`` quotes;
- ``decisions.toml``: the numbered decisions of docs/concepts.md, the project's readings
  where a notice is silent. A rule's ``reading`` names one of them.

A policy names its legal text in ``source_text`` (a path relative to the ``ce_rules``
package); the test suite checks that every quote of every bundled policy is found in it.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Annotated, Final

from pydantic import BaseModel, Field

from .._message import Message
from .._model import FROZEN

__all__ = ["DECISIONS_FILE", "Decision", "decision", "decision_numbers", "decisions", "read_source"]

#: The decision catalogue, relative to the ``ce_rules`` package.
DECISIONS_FILE: Final = "sources/decisions.toml"


class Decision(BaseModel):
    """One of the project's numbered decisions: a reading where the notice is silent.

    Attributes:
        number: Its number in docs/concepts.md ("Decisions"), from 1.
        title: A short title, in Chinese and English.
        text: The decision in one line, in Chinese and English.
    """

    model_config = FROZEN

    number: Annotated[int, Field(ge=1, le=999)]
    title: Message
    text: Message


class _Catalogue(BaseModel):
    model_config = FROZEN

    decision: tuple[Decision, ...]


def read_source(path: str) -> str:
    """The text of a file of the package, by its path relative to ``ce_rules`` (UTF-8)."""
    item = resources.files("ce_rules")
    for part in path.split("/"):
        item = item.joinpath(part)
    return item.read_text(encoding="utf-8")


@functools.cache
def decisions() -> tuple[Decision, ...]:
    """Every decision of the catalogue, in order of their numbers (1, 2, 3 …, no gap)."""
    # Package data that never changes while the process runs: read once.
    found = _Catalogue.model_validate(tomllib.loads(read_source(DECISIONS_FILE))).decision
    numbers = [d.number for d in found]
    if numbers != list(range(1, len(found) + 1)):  # pragma: no cover - guarded by the tests
        raise ValueError(f"{DECISIONS_FILE}: the numbers must be 1 … n in order, got {numbers}")
    return found


def decision_numbers() -> frozenset[int]:
    """The numbers of the decisions of the catalogue."""
    return frozenset(d.number for d in decisions())


def decision(number: int) -> Decision:
    """The decision with this number; ``KeyError`` naming the known numbers if there is none."""
    for item in decisions():
        if item.number == number:
            return item
    raise KeyError(f"no decision {number}; the decisions are 1 to {len(decisions())}")
