"""What a customer's message means to a waiting task besides an answer: stop, or an aside.

A run waiting for an input reads each message in this order (docs/tasks.md, "Waiting for the
customer"):

- **stop**: the message asks to stop (`stop_requested`): a stop phrase (`STOP_PHRASES`:
  "cancel", "stop", "never mind", "forget it", "changed my mind", ...) that ends its clause
  ("never mind, cancel", "stop, I changed my mind") or takes only "it/this/that/the task..."
  as its object ("please cancel this"). A stop word with another object is about something
  else: "I want to cancel my order" answers "which order?", it does not stop the task; after
  "to" ("I'd like to cancel") it names what the customer wants, after a negation ("don't
  cancel") the opposite, and a question ("can I cancel?") asks rather than tells, so none of
  these stop. When the message also holds a valid answer to a typed input ("order 12, cancel
  it" to "which order?"), the answer wins, unless the stop request opens the message ("never
  mind, cancel today's pickup" to "which day?").
- **aside**: a question (`is_question`: it has a "?") that holds no valid answer ("what are
  your opening hours?"): the model answers it and the run keeps waiting; it is not counted as
  a bad answer. For a free-text input any text would do, so a question is never taken as its
  answer.
- anything else is an attempt at an answer: a bad one is asked again with the reason, and
  after three the run is handed to a human.

A run waiting for a `confirm:` keeps the consent judge's rule (`specagent_runtime.judge`):
only a whole-message yes confirms. A stop request there is a no, an aside goes to the model
(the run stays unconfirmed), anything else is asked again.
"""

from __future__ import annotations

import re
import unicodedata

STOP_PHRASES: tuple[str, ...] = (
    "cancel",
    "stop",
    "quit",
    "abort",
    "never mind",
    "nevermind",
    "forget it",
    "forget about it",
    "forget that",
    "changed my mind",
    "change of plans",
    "change of plan",
)
# What may follow a stop phrase and still mean "stop this task".
_OBJECTS = (
    "it",
    "this",
    "that",
    "the task",
    "this task",
    "the request",
    "this request",
    "everything",
    "all of it",
    "all",
    "now",
    "please",
    "then",
    "thanks",
    "thank you",
    "for now",
)
_NEGATED = re.compile(r"(?:\b(?:dont|do not|not|wont|cant|cannot|never|no need to)\s+)$")
_AFTER_TO = re.compile(r"\bto\s+$")
# What may come before a stop request that opens the message.
_OPENING = re.compile(r"(?:[\W_]|\b(?:please|ok|okay|oh|no|sorry|actually)\b)*")
_CLAUSE_END = r"(?:\s*(?:[,.!;:\u2026]|-{1,2}|\u2013|\u2014)|\s*$)"
_STOP = re.compile(
    r"(?<![\w])(?P<phrase>"
    + "|".join(re.escape(phrase).replace(r"\ ", r"\s+") for phrase in STOP_PHRASES)
    + r")(?:\s+(?:"
    + "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in _OBJECTS)
    + r"))*"
    + _CLAUSE_END
)
_APOSTROPHES = str.maketrans({"\u2019": "", "\u2018": "", "\u02bc": "", "'": "", "`": ""})


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES).strip()


def is_question(text: str) -> bool:
    """Whether the message asks something (a "?", also a full-width one)."""
    return "?" in unicodedata.normalize("NFKC", text)


def stop_requested(text: str, *, leading: bool = False) -> bool:
    """Whether the message asks to stop the waiting task (see the module docstring); with
    `leading`, only a stop request that opens the message ("never mind, cancel today's
    pickup") counts."""
    cleaned = _clean(text)
    if not cleaned or is_question(cleaned):
        return False
    for match in _STOP.finditer(cleaned):
        before = cleaned[: match.start()]
        if _NEGATED.search(before) or _AFTER_TO.search(before):
            continue
        return not leading or _OPENING.fullmatch(before) is not None
    return False
