""" "Did you mean ...?": the closest valid name, for every unknown name the kit reports."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option most like `word` (case-insensitively), if any is close enough."""
    choices = sorted(set(options))
    by_folded = {choice.casefold(): choice for choice in choices}
    found = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[found[0]] if found else None


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """``did you mean `bind`?``, or "" when nothing is close."""
    found = closest(word, options)
    return f"did you mean `{found}`?" if found else ""
