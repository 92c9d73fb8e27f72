"""Seeded long captions (1,000-20,000 characters) for the long-caption parity tests."""

from __future__ import annotations

import random

from .test_parity import CAPTIONS

_SYLLABLES = ("ka", "lo", "mi", "ren", "tu", "vos", "shi", "ban", "del", "qua", "ro", "nip", "zet")
_PUNCT = (",", ".", ";", " -", "")


def vocabulary(seed: int, size: int = 1500) -> list[str]:
    """Motion words of the parity fixture plus ``size`` made-up words (few repeats: a long pair
    then has few candidate matches, as varied prose has)."""
    rng = random.Random(seed)
    words = sorted(
        {w.strip(",.()'").lower() for c in CAPTIONS for w in c.split() if w.isascii()} - {""}
    )
    made = {"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    return words + sorted(made)


def long_caption(rng: random.Random, nchars: int, vocab: list[str]) -> str:
    """A caption of about ``nchars`` characters: words of ``vocab`` with some punctuation and
    capitals (motion words a fifth of the time)."""
    out: list[str] = []
    size = 0
    motion = vocab[:60]
    while size < nchars:
        w = rng.choice(motion) if rng.random() < 0.2 else rng.choice(vocab)
        if rng.random() < 0.05:
            w = w.capitalize()
        w += rng.choice(_PUNCT) if rng.random() < 0.1 else ""
        out.append(w)
        size += len(w) + 1
    return " ".join(out)[:nchars].rstrip(" ,;-") + "."
