"""The title-evaluation example runs as a script and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parent.parent / "examples" / "title_evaluation.py"


def test_title_example_runs_and_prints_the_period():
    """examples/title_evaluation.py exits 0 and prints the 2020-2024 period and its clauses."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "2020-2024" in out
    assert "2022: non-compliant" in out
    assert "二(三)" in out
    assert "四(二)" in out
    assert "五(二)" in out
