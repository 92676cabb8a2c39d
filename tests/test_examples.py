"""The examples in examples/ run and say what their comments say."""

from __future__ import annotations

import runpy
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import ce_rules as ce

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_quickstart_runs_and_explains(capsys: pytest.CaptureFixture[str]) -> None:
    """The quickstart evaluates its person: public met (2x instructor), professional short."""
    namespace = runpy.run_path(str(EXAMPLES / "quickstart.py"))
    verdict = namespace["main"]()
    assert isinstance(verdict, ce.Verdict)
    assert verdict.status is ce.Status.IN_PROGRESS
    assert verdict.requirement("public_hours").earned == Decimal(32)
    assert verdict.requirement("professional_hours").shortfall == Decimal("7.5")
    assert verdict.requirement("professional_hours").pending == Decimal(8)
    assert [d.reason for d in verdict.entries] == [
        ce.Reason.COUNTED,
        ce.Reason.COUNTED,
        ce.Reason.PLATFORM_NOT_RECOGNISED,
        ce.Reason.COUNTED,
        ce.Reason.PENDING,
    ]
    out = capsys.readouterr().out
    assert "进行中" in out
    assert "in progress" in out


def test_quickstart_runs_as_a_script() -> None:
    """`python examples/quickstart.py` exits 0 and prints both languages."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    assert "公需科目" in done.stdout
    assert "Public subjects" in done.stdout
