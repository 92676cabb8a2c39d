"""The documentation says what the code and the policy data say.

Set ``CE_RULES_UPDATE_DOCS=1`` to rewrite the generated parts of docs/rules.md and
docs/cli.md instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import ce_rules as ce

DOCS = Path(__file__).parent.parent / "docs"
BEGIN = "<!-- BEGIN GENERATED: rule catalogue (tests/test_docs.py) -->"
END = "<!-- END GENERATED -->"


def _generated() -> str:
    return "\n".join(ce.rule_catalogue(policy) for policy in ce.list_policies())


def test_rule_catalogue_matches_the_policy_data() -> None:
    """docs/rules.md holds exactly the catalogue rendered from every bundled policy."""
    path = DOCS / "rules.md"
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    expected = f"{head}{BEGIN}\n\n{_generated()}\n{END}{tail}"
    if os.environ.get("CE_RULES_UPDATE_DOCS") == "1":
        path.write_text(expected, encoding="utf-8")
    assert text == expected, "docs/rules.md is stale: run CE_RULES_UPDATE_DOCS=1 pytest"


COLUMNS_BEGIN = "<!-- BEGIN GENERATED: record columns (tests/test_docs.py) -->"


def test_the_column_table_of_the_cli_page_is_the_input_schema() -> None:
    """docs/cli.md holds exactly the column table rendered from the one input schema."""
    from ce_rules._schema import columns_table

    path = DOCS / "cli.md"
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(COLUMNS_BEGIN)
    _, _, tail = rest.partition(END)
    expected = f"{head}{COLUMNS_BEGIN}\n\n{columns_table()}{END}{tail}"
    if os.environ.get("CE_RULES_UPDATE_DOCS") == "1":
        path.write_text(expected, encoding="utf-8")
    assert text == expected, "docs/cli.md is stale: run CE_RULES_UPDATE_DOCS=1 pytest"


def test_every_rule_code_and_clause_is_in_the_catalogue() -> None:
    """Each bundled rule's code and clause appear in docs/rules.md."""
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    for policy in ce.list_policies():
        for rule in policy.rules:
            assert f"`{rule.code}`" in text
            assert rule.citation.clause in text


def test_every_public_name_is_documented() -> None:
    """Every name the package exports is on docs/api.md."""
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)", text))
    missing = [name for name in ce.__all__ if name != "__version__" and name not in documented]
    assert missing == []


def test_every_reason_code_is_explained() -> None:
    """Each reason code is in docs/concepts.md and has texts in both languages."""
    text = (DOCS / "concepts.md").read_text(encoding="utf-8")
    for reason in ce.Reason:
        assert reason.text.zh
        assert reason.text.en
        assert f"`{reason.value}`" in text


def _python_blocks() -> list[tuple[str, int, str]]:
    blocks = []
    for path in [DOCS.parent / "README.md", *sorted(DOCS.glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"```python\n(.*?)```", text, flags=re.DOTALL):
            line = text.count("\n", 0, match.start()) + 1
            blocks.append((path.name, line, match.group(1)))
    return blocks


def test_python_examples_in_the_docs_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ```python block of the README and docs/ runs without error."""
    monkeypatch.chdir(DOCS.parent)  # paths in the examples are relative to the repository
    blocks = _python_blocks()
    assert blocks
    namespaces: dict[str, dict[str, object]] = {}
    for name, line, code in blocks:
        # The blocks of one page run in order, in one namespace, as a reader would.
        namespace = namespaces.setdefault(name, {"__name__": "docs_example"})
        try:
            exec(compile(code, f"{name}:{line}", "exec"), namespace)
        except Exception as error:  # pragma: no cover - the message is the point
            raise AssertionError(f"{name}:{line}: {error!r}") from error
