"""The consent judge: is a customer's message a yes, a no, or neither?

One function for every place a customer's text may confirm a consequential action: the agent
loop's pending proposals, task `confirm:` steps, and the helpdesk channels. The runtime judges,
never the model, and the rule is deliberately narrow, because a wrong yes cancels an order and
a wrong "other" only costs the customer one more message:

- **yes**: the whole message, normalised, is one of the short affirmatives in `YES` ("yes",
  "yes please", "go ahead", "do it", "confirm", "ok", "sure", ...). Nothing else is a yes: not
  a longer sentence that starts with one ("yes, and also cancel order 2"), not a question (any
  "?"), not a hedge ("okay I'll think about it"), not a negation anywhere ("yeah no").
- **no**: the whole message is one of the negatives in `NO` ("no", "nope", "don't", "cancel",
  "stop", "keep it", ...), or it starts with a negative word (`NO_WORDS`: "No! Do NOT cancel
  it.", "nope, keep it") and holds no affirmative word and no question.
- **other**: everything else, including a yes in a language the lists do not cover.

Normalisation: Unicode NFKC (full-width "\uff59\uff45\uff53" is "yes"), case folded, curly
apostrophes made straight, then every character that is not a letter, a digit, an apostrophe or
a space is a word break (so "YES!", "Yes." and "yes, please" are "yes", "yes", "yes please"),
apostrophes are dropped ("don't" is "dont") and runs of spaces are one. Invisible format
characters (zero-width spaces and joiners, the byte-order mark, soft hyphens) are removed where
they touch a space or an end of the message; one *inside* a word ("y\u200be\u200bs") means that
what the customer's screen showed is not what was sent, so the message is never a yes (it may
still be a no). Letters from other scripts that look Latin (Cyrillic "\u0443es") are not the
Latin words on the lists, so they are "other".

docs/security.md shows the lists and examples; `UPDATE_GOLDEN=1 uv run pytest
tests/unit/runtime/test_consent_doc.py` rewrites its lists after a change here.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Literal

Verdict = Literal["yes", "no", "other"]

YES: frozenset[str] = frozenset(
    {
        # plain
        "yes", "y", "yeah", "yea", "yep", "yup", "ya", "yah", "ok", "okay", "okey", "sure",
        "confirm", "confirmed", "i confirm", "correct", "absolutely", "definitely",
        "certainly", "of course", "affirmative", "agreed", "i agree", "approved", "i approve",
        "proceed", "alright", "all right", "go ahead", "do it", "go for it", "sounds good",
        "thats right", "thats correct", "that is correct", "that is right", "yes yes",
        "sure thing", "please do", "please do it", "please go ahead", "please proceed",
        "lets do it", "just do it", "\N{THUMBS UP SIGN}",
        # a plain one, doubled up or with please / thanks
        "yes please", "yes pls", "yes please do", "yes please go ahead", "yes do it",
        "yes go ahead", "yes go for it", "yes confirm", "yes confirmed", "yes i confirm",
        "yes correct", "yes thats right", "yes thats correct", "yes i agree", "yes proceed",
        "yes thanks", "yes thank you", "yes please thanks", "yes please thank you",
        "yes of course", "yes sure", "yes ok", "yes okay", "yeah go ahead", "yeah do it",
        "yeah please", "yep please", "yep go ahead", "yep do it", "ok yes", "okay yes",
        "ok go ahead", "okay go ahead", "ok do it", "okay do it", "ok please", "okay please",
        "ok sure", "okay sure", "ok proceed", "okay proceed", "ok confirm", "okay confirm",
        "sure go ahead", "sure do it", "sure please", "sure yes", "go ahead please",
        "do it please", "confirm please", "confirmed thanks", "proceed please",
    }
)  # fmt: skip

NO: frozenset[str] = frozenset(
    {
        "no", "n", "nope", "nah", "no thanks", "no thank you", "no please", "please dont",
        "please do not", "dont", "do not", "dont do it", "do not do it", "dont do that",
        "cancel", "cancel it", "cancel that", "stop", "never", "never mind", "nevermind",
        "forget it", "not now", "not yet", "no way", "absolutely not", "definitely not",
        "of course not", "certainly not", "keep it", "leave it", "wait", "hold on",
        "no dont", "no do not", "no stop", "no wait", "no keep it", "no leave it",
        "dont cancel", "do not cancel", "dont cancel it", "do not cancel it",
        "\N{THUMBS DOWN SIGN}",
    }
)  # fmt: skip

# A message that starts with one of these (and affirms nothing) is a no.
NO_WORDS: frozenset[str] = frozenset({"no", "nope", "nah", "dont", "never", "nevermind"})
NO_STARTS: tuple[tuple[str, ...], ...] = (
    ("do", "not"), ("please", "dont"), ("please", "do", "not"), ("absolutely", "not"),
)  # fmt: skip
# What makes a message affirm something: then it is neither a clean no nor, with a negation
# anywhere, a yes.
_YES_WORDS = frozenset(
    {"yes", "y", "yeah", "yea", "yep", "yup", "ya", "yah", "ok", "okay", "okey", "sure",
     "confirm", "confirmed", "proceed", "correct", "agreed", "approved"}
)  # fmt: skip
_YES_PAIRS = frozenset({("go", "ahead"), ("do", "it"), ("go", "for")})
_NEGATIONS = frozenset(
    {"no", "not", "nope", "nah", "dont", "never", "cant", "wont", "shouldnt", "wouldnt",
     "isnt", "nevermind", "neither", "nor", "without"}
)  # fmt: skip

# Skin tones after an emoji are modifiers, not format characters: "👍🏽" is "👍".
_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def judge(text: str) -> Verdict:
    """ "yes", "no" or "other" for one whole customer message (see the module docstring)."""
    if not isinstance(text, str):
        return "other"
    words, hidden_inside = _normalise(text)
    if words is None:  # a question
        return "other"
    phrase = " ".join(words)
    if not hidden_inside and phrase in YES and not (_NEGATIONS & set(words)):
        return "yes"
    if phrase in NO:
        return "no"
    for start in (*((word,) for word in NO_WORDS), *NO_STARTS):
        if tuple(words[: len(start)]) == start and not _affirms(words[len(start) :]):
            return "no"
    return "other"


def _affirms(words: list[str]) -> bool:
    return bool(_YES_WORDS & set(words)) or any(
        pair in _YES_PAIRS for pair in itertools.pairwise(words)
    )


def _normalise(text: str) -> tuple[list[str] | None, bool]:
    """The message's words, and whether an invisible character sat inside a word; None for
    the words when the message asks a question."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    text = _SKIN_TONES.sub("", text)
    if "?" in text:  # NFKC already made a full-width question mark a "?"
        return None, False
    hidden_inside = False
    kept: list[str] = []
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cf":  # zero-width space/joiners, BOM, soft hyphen
            before = text[index - 1] if index > 0 else " "
            after = text[index + 1] if index + 1 < len(text) else " "
            if before.isalnum() and after.isalnum():
                hidden_inside = True
            continue
        kept.append(char)
    cleaned = []
    for char in "".join(kept):
        if char == "'":
            continue  # "don't" -> "dont"
        if char.isalnum() or char in ("\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"):
            cleaned.append(char)
        else:
            cleaned.append(" ")
    return "".join(cleaned).split(), hidden_inside
