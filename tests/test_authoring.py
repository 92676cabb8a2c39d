"""docs/authoring.md's worked example runs: from an empty folder to a passing ``ce-rules test``.

The page shows every file of the fictional Penglai 2025 policy and its scenarios, each
marked ``<!-- file: PATH -->``; these tests check that they are the files in
examples/fictional-province/, write them into an empty folder, and run the commands the
page shows, comparing the output with what the page prints.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from test_cli import ROOT, run

PAGE = ROOT / "docs" / "authoring.md"
EXAMPLE = ROOT / "examples" / "fictional-province"
_FILE = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<text>.*?)```", re.DOTALL)
_CONSOLE = re.compile(r"```console\n(?P<text>.*?)```", re.DOTALL)


def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


def _files() -> dict[str, str]:
    return {found["path"]: found["text"] for found in _FILE.finditer(_page())}


def _console(after: str) -> tuple[list[str], list[str]]:
    """The command (its arguments after ``ce-rules``) and the output of a console block."""
    section = _page().split(after, 1)[1]
    found = _CONSOLE.search(section)
    assert found is not None
    command, *output = found["text"].splitlines()
    assert command.startswith("$ ce-rules ")
    return shlex.split(command.removeprefix("$ ce-rules ")), output


def _empty_folder_with_the_pages_files(tmp_path: Path) -> Path:
    folder = tmp_path / "penglai"
    (folder / "scenarios").mkdir(parents=True)
    for path, text in _files().items():
        (folder / path).write_text(text, encoding="utf-8")
    return folder


def test_the_page_shows_every_file_of_the_example_as_it_is() -> None:
    """Each file on the page is the file in examples/fictional-province/, and all are shown."""
    files = _files()
    shown = sorted(files)
    present = sorted(
        str(p.relative_to(EXAMPLE))
        for p in EXAMPLE.rglob("*")
        if p.is_file() and p.name != "README.md"
    )
    assert shown == present
    for path, text in files.items():
        assert (EXAMPLE / path).read_text(encoding="utf-8").replace("\r\n", "\n") == text, path


def test_the_walkthrough_passes_from_an_empty_folder(tmp_path: Path) -> None:
    """Step 5: the page's files in an empty folder pass, with the summary the page prints."""
    folder = _empty_folder_with_the_pages_files(tmp_path)
    args, output = _console("### 5. Run")
    result = run(*args, cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == output
    assert "penglai-2025.toml is a policy file" in result.stderr
    rules = run("--lang", "en", "rules", "--policy", "penglai-2025.toml", cwd=folder)
    assert rules.returncode == 0, rules.stderr
    assert "public_hours (min_hours) [第三条]" in rules.stdout


def test_the_change_the_page_shows_is_caught_as_it_says(tmp_path: Path) -> None:
    """Step 6: 24 made 30 in the policy fails the scenarios with the lines the page shows."""
    folder = _empty_folder_with_the_pages_files(tmp_path)
    policy = folder / "penglai-2025.toml"
    text = policy.read_text(encoding="utf-8")
    assert text.count("\nhours = 24\n") == 1
    policy.write_text(text.replace("\nhours = 24\n", "\nhours = 30\n"), encoding="utf-8")
    args, output = _console("### 6. A change the scenarios catch")
    result = run(*args, cwd=folder)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[: len(output)] == output


def test_the_example_folder_passes_as_it_is() -> None:
    """`ce-rules test examples/fictional-province` passes: the files in the repository run."""
    result = run("--lang", "en", "test", EXAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "7 scenarios in 2 file(s): 7 passed, 0 failed"
