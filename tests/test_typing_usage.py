"""tests/typing/api_usage.py is type-checked in CI; here it also has to run."""

from __future__ import annotations

import runpy
from datetime import date
from pathlib import Path

USAGE = Path(__file__).parent / "typing" / "api_usage.py"


def test_the_typed_usage_runs() -> None:
    """The integrator's code that mypy checks also works: a year, a title window, scenarios."""
    namespace = runpy.run_path(str(USAGE))
    assert namespace["run"]() is True
    assert namespace["title_tool"](date(2019, 7, 1))[0] == "2020: non_compliant"
    record = {
        "身份证号": "370102198001011234",
        "课程编号": "C1",
        "课程名称": "数字技术",
        "科目类别": "公需科目",
        "学时": "30",
        "完成日期": "2024-05-01",
    }
    assert namespace["hr_office"]([record]) == 1 + 1 + 30
    examples = str(Path(__file__).parent.parent / "examples" / "fictional-province")
    assert namespace["policy_author"]([examples]) == [
        "7 scenarios in 2 file(s): 7 passed, 0 failed"
    ]
