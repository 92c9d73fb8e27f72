"""Seeded adversarial caption lines for the PTB tokenizer (initials, abbreviations, URLs, ...)."""

from __future__ import annotations

import random

FRAGMENTS = (
    "a A The the man T. t. U.S. etc. Mr. mr. dr jan. Jan. fig. no. 3 12 1,000 3.14 1/2 "
    "555-1234 ( ) [ ] { } \" ' ` `` '' - -- --- ... . , ; : ? ! !? & &amp; AT&T x x.x o'clock "
    "don't can't it's he'll we've I'm y'all '90s 'cause cannot gonna wanna c++ c# "
    "www.example.com foo@bar.com http://x.org/a #tag @user $5 US$ 50% a-b well-known x-ray "
    "co-op pro- anti-war 1-2-3 12/05/2020 +5 -3 :) ;-) ^_^ <b> < > * ** _ __ = / \\ | ~ ^ He "
    "She They It walks forward. left. right ph.d. e.g. i.e. a.k.a. vs. St. co. ltd pty. Inc. "
    "est. sq. ca. I. B. zig-zag turns around 360 degrees 2nd 3rd 10x v2 A. The. ok! what?"
).split(" ") + ["1 1/2", ". .", "  ", "\t"]


def fuzz_lines(seed: int, n: int) -> list[str]:
    """``n`` lines of 0-9 random fragments with random spacing (same seed, same lines)."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        k = rng.randint(0, 9)
        parts = [rng.choice(FRAGMENTS) for _ in range(k)]
        seps = [rng.choice((" ", " ", " ", "", "  ")) for _ in range(k)]
        lines.append("".join(p + s for p, s in zip(parts, seps, strict=True)))
    return lines
