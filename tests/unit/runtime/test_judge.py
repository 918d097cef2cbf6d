"""The consent judge, read against a table of real-world replies to "Shall I cancel order 1?".

A wrong "yes" runs an action the customer did not want; a wrong "no" or "other" costs them one
more message. So every row that is not an unambiguous whole-message yes must not be "yes".
"""

from __future__ import annotations

import pytest
from specagent_runtime import judge
from specagent_runtime._judge import NO, YES

# Issue 14's nine replies that all confirmed a task step when it was read by its first word.
ISSUE_14 = [
    ("Ok wait, no. Don't cancel it.", "other"),
    ("yeah no", "other"),
    ("yes?", "other"),
    ("sure? I'm not sure at all", "other"),
    ("okay I'll think about it", "other"),
    ("Y- no, sorry, wrong chat", "other"),
    ("please check with my wife first", "other"),
    ("go ahead and keep it", "other"),
    ("No! Do NOT cancel it.", "no"),
]

YES_ROWS = [
    "yes",
    "Yes",
    "YES",
    "yes.",
    "Yes!",
    "YES!!!",
    "y",
    "Y",
    "yeah",
    "Yep",
    "yup",
    "ok",
    "OK",
    "Okay.",
    "sure",
    "Sure!",
    "confirm",
    "Confirmed.",
    "I confirm",
    "go ahead",
    "Go ahead.",
    "Go ahead please",
    "please go ahead",
    "do it",
    "Do it!",
    "Just do it",
    "yes please",
    "Yes, please.",
    "yes pls",
    "Yes please do",
    "yes, go ahead",
    "Yes do it",
    "yes confirm",
    "Yes, I confirm.",
    "yes thanks",
    "Yes, thank you!",
    "ok go ahead",
    "Okay, do it.",
    "sure, go ahead",
    "absolutely",
    "Definitely.",
    "of course",
    "that's right",
    "That\u2019s correct.",
    "please do",
    "proceed",
    "Please proceed.",
    "sounds good",
    "alright",
    "All right",
    "go for it",
    "let's do it",
    "\N{THUMBS UP SIGN}",
    "\N{THUMBS UP SIGN}\U0001f3fd",  # with a skin tone
    "  yes  ",
    "yes\n",
    "\u200byes",  # a zero-width space at the edge (keyboards add them)
    "yes\ufeff",
    "\uff59\uff45\uff53",  # full-width: NFKC makes it "yes"
    "YES PLEASE",
]

NO_ROWS = [
    "no",
    "No.",
    "NO!",
    "n",
    "nope",
    "Nope, keep it",
    "nah",
    "no thanks",
    "No, thank you.",
    "don't",
    "Don\u2019t.",
    "do not",
    "Do not do it.",
    "No, don't.",
    "no, don't cancel it",
    "cancel",
    "stop",
    "cancel it",  # to "Shall I cancel order 1?" it may mean yes: a no is the safe reading
    "never mind",
    "nevermind",
    "forget it",
    "not now",
    "no way",
    "absolutely not",
    "keep it",
    "leave it",
    "wait",
    "hold on",
    "No. Please keep the order.",
    "Please don't.",
    "\N{THUMBS DOWN SIGN}",
    "n\u200bo",  # invisible characters never make a yes, but a no stays a no
]

OTHER_ROWS = [
    # questions
    "yes?",
    "Yes??",
    "ok?",
    "What are your opening hours?",
    'What happens if I say "yes"?',
    "is it refundable? yes or no",
    "yes\uff1f",  # a full-width question mark
    "no?",
    # hedges
    "maybe",
    "I think so",
    "probably",
    "yes I think so",
    "I guess",
    "not sure",
    "let me think",
    "please wait, let me think",
    "ok let me ask my wife",
    "yes but later",
    "sure, tomorrow",
    # two intents
    "Yes, and also cancel order 2.",
    "yes and change my address",
    "yes, cancel order 2 too",
    "Ok, and what about order 3",
    "go ahead, then reorder it",
    # negation with an affirmative
    "yes no",
    "no yes",
    "yes don't",
    "ok no",
    "sure not",
    "yes not now",
    "no, go ahead",
    "no problem, go ahead",
    # lookalikes and hidden characters
    "\u0443es",  # Cyrillic u
    "y\u200be\u200bs",  # zero-width spaces inside the word
    "ye\u00ad\u0441",  # soft hyphen and Cyrillic s
    "yes\u200dplease",  # a joiner glueing two words
    "yess",
    "yesss please",
    "yez",
    # unrelated, empty, not text
    "",
    "   ",
    "...",
    "Thanks!",
    "hello",
    "thank you",
    "ok thanks",
    "order 1",
    "the first one",
    "yes again",
    "please",
    "Yes cancel it.",
    "confirm cancel order 1 and 2",
    "I said yes yesterday",
    "oui",
]


@pytest.mark.parametrize(("text", "verdict"), ISSUE_14)
def test_issue_14s_replies(text: str, verdict: str) -> None:
    assert judge(text) == verdict


@pytest.mark.parametrize("text", YES_ROWS)
def test_short_whole_message_affirmatives_are_yes(text: str) -> None:
    assert judge(text) == "yes"


@pytest.mark.parametrize("text", NO_ROWS)
def test_clear_negatives_are_no(text: str) -> None:
    assert judge(text) == "no"


@pytest.mark.parametrize("text", OTHER_ROWS)
def test_anything_else_is_other(text: str) -> None:
    assert judge(text) == "other"


def test_the_table_is_large_and_consistent() -> None:
    rows = [t for t, _ in ISSUE_14] + YES_ROWS + NO_ROWS + OTHER_ROWS
    assert len(rows) >= 80
    assert not set(YES_ROWS) & (set(NO_ROWS) | set(OTHER_ROWS))


def test_the_lists_do_not_overlap_and_no_yes_holds_a_negation() -> None:
    assert not YES & NO
    for phrase in YES:
        assert not {"no", "not", "dont", "never"} & set(phrase.split()), phrase


def test_non_text_is_never_a_yes() -> None:
    assert judge(None) == "other"  # type: ignore[arg-type]
    assert judge(b"yes") == "other"  # type: ignore[arg-type]
