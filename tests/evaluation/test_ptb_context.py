"""The PTB tokenizer's look-ahead: "capital T." splits or not depending on the next line."""

from __future__ import annotations

import shutil

import pytest

from evaluation.plan import in_context
from evaluation.text import context_free_order, ptb_tokenize, ptb_tokenize_in_context

CAP = "He begins topping each one with a capital T."


@pytest.mark.skipif(shutil.which("java") is None, reason="needs Java")
def test_context_dependent_caption_and_context_free_tokens():
    others = ["the man walks.", "Then he jumps.", "a", "123 go", " The end."]
    tokens, variants = ptb_tokenize_in_context([CAP, *others])
    # the reference's result for CAP depends on the next line: both variants are known
    assert variants == {
        CAP: (
            "he begins topping each one with a capital t",
            "he begins topping each one with a capital t.",
        )
    }
    # compmo's own (context-free) tokens: as if followed by itself (an upper-case line)
    assert tokens[CAP] == variants[CAP][0]
    # and they do not depend on which other captions share the call, nor on their order
    for k in range(len(others) + 1):
        assert ptb_tokenize([*others[:k], CAP, *others[k:]])[CAP] == tokens[CAP]
    lower = CAP.lower()
    assert ptb_tokenize([lower, "Then he jumps."])[lower].endswith("capital t.")


def test_context_free_order_follows_each_line_by_one_starting_alike():
    lines = ["A x.", "b y.", " C z.", "Ab", "b"]
    order, where = context_free_order(lines)
    for k, line in enumerate(lines):
        nxt = order[where[k] + 1]
        assert (
            nxt[: len(line) - len(line.lstrip()) + 1] == line[: len(line) - len(line.lstrip()) + 1]
        )


def test_in_context_picks_the_variant_of_the_next_line():
    tokens = ["t", "a b", "c"]
    alt = [("t", "t."), None, None]
    upper = [True, False, True]
    # caption 0 followed by caption 1 (lower-case), by 2 (upper-case), by garbage, then last
    assert in_context([0, 1, 0, 2, 0, -1, 0], tokens, alt, upper) == [
        "t.", "a b", "t", "c", "t.", None, "t",
    ]  # fmt: skip
