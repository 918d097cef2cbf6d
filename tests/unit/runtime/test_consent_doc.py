"""docs/security.md's consent rule cannot drift from the judge: its word lists are `_judge.py`'s
own (rewritten by `UPDATE_GOLDEN=1`), and every example reply in its table gets the verdict the
table says from `specagent_runtime.judge`."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from specagent_runtime import judge
from specagent_runtime._judge import _NEGATIONS, NO, NO_STARTS, NO_WORDS, YES

DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def _phrases(values: object) -> str:
    return ", ".join(f"`{value}`" for value in sorted(values))  # type: ignore[call-overload]


def _blocks() -> dict[str, str]:
    return {
        "YES": f"**YES** ({len(YES)} phrases): {_phrases(YES)}.",
        "NO": f"**NO** ({len(NO)} phrases): {_phrases(NO)}.",
        "NO_STARTS": (
            f"**NO words and starts** (a message that begins with one): {_phrases(NO_WORDS)}; "
            + ", ".join(f"`{' '.join(start)}`" for start in NO_STARTS)
            + "."
        ),
        "NEGATIONS": f"**Negation words** (none may appear in a yes): {_phrases(_NEGATIONS)}.",
    }


def _block(text: str, name: str) -> re.Match[str]:
    match = re.search(rf"<!-- judge:{name} -->\n(.*?)<!-- /judge:{name} -->", text, re.S)
    assert match is not None, f"docs/security.md lost its <!-- judge:{name} --> block"
    return match


def test_the_word_lists_in_the_docs_are_the_judges() -> None:
    text = DOC.read_text(encoding="utf-8")
    if os.environ.get("UPDATE_GOLDEN"):
        for name, body in _blocks().items():
            match = _block(text, name)
            text = text[: match.start(1)] + body + "\n" + text[match.end(1) :]
        DOC.write_text(text, encoding="utf-8")
    for name, body in _blocks().items():
        assert _block(text, name).group(1).strip() == body, (
            f"the {name} list in docs/security.md differs from _judge.py: "
            "UPDATE_GOLDEN=1 uv run pytest tests/unit/runtime/test_consent_doc.py"
        )


def _examples() -> list[tuple[str, str]]:
    rows = _block(DOC.read_text(encoding="utf-8"), "EXAMPLES").group(1).splitlines()[2:]
    examples = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        examples.append((cells[0], cells[1]))
    return examples


EXAMPLES = _examples()


def test_the_table_holds_the_issues_replies_and_each_verdict() -> None:
    replies = {reply for reply, _ in EXAMPLES}
    issue_14 = {
        "Ok wait, no. Don't cancel it.",
        "yeah no",
        "yes?",
        "sure? I'm not sure at all",
        "okay I'll think about it",
        "Y- no, sorry, wrong chat",
        "please check with my wife first",
        "go ahead and keep it",
    }
    assert issue_14 <= replies
    assert {verdict for _, verdict in EXAMPLES} == {"yes", "no", "other"}


@pytest.mark.parametrize(("reply", "verdict"), EXAMPLES, ids=[r for r, _ in EXAMPLES])
def test_each_example_in_the_docs_gets_its_verdict(reply: str, verdict: str) -> None:
    assert judge(reply) == verdict
