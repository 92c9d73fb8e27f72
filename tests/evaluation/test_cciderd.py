"""The compiled BLEU counts and CIDEr-D (``evaluation/_cciderd.pyx``) against the Python code.

The Python code is tested ``==`` against pycocoevalcap in ``test_cores.py``; here both paths
score the same groups of real ActivityNet captions and of generated ones.
"""

from __future__ import annotations

import random

import pytest

from evaluation import ciderd
from evaluation.captions import CaptionScorer, score_plain

from .extensions import anet_captions, can_compile

needs_kernel = pytest.mark.skipif(ciderd._cciderd is None, reason="C kernel not built")


def test_the_extension_is_built_where_a_compiler_is():
    if not can_compile():
        pytest.skip("no C compiler: the Python code is used")
    assert ciderd._cciderd is not None, "pip install -e . did not build evaluation/_cciderd"


def _groups(sentences: list[str], rng: random.Random, n: int) -> list[tuple]:
    return [
        tuple((rng.choice(sentences), rng.choice(sentences)) for _ in range(rng.randint(1, 12)))
        for _ in range(n)
    ]


@needs_kernel
def test_compiled_equals_python_on_activitynet_captions():
    rng = random.Random(0)
    groups = _groups(anet_captions(), rng, 400)
    compiled, python = CaptionScorer(), CaptionScorer(compiled=False)
    assert compiled.compiled and not python.compiled
    for g in groups:
        assert compiled.score(g) == python.score(g)


@needs_kernel
def test_compiled_equals_python_on_repetitive_and_odd_sentences():
    """Repeated n-grams (counts above 1, clipping), long sentences, empty ones and runs of
    spaces (BLEU/CIDEr split at whitespace, ROUGE-L at single spaces)."""
    rng = random.Random(1)
    words = "a the man walks runs left right a a the".split()
    sentences = [" ".join(rng.choice(words) for _ in range(n)) for n in range(0, 90, 3)]
    sentences += ["a  man walks", " a man", "walks walks walks walks", ""]
    compiled, python = CaptionScorer(), CaptionScorer(compiled=False)
    for g in _groups(sentences, rng, 300):
        assert compiled.score(g) == python.score(g)
    for g in _groups([s for s in sentences if s.strip()], rng, 20):
        assert compiled.score(g) == score_plain(g)


@needs_kernel
def test_packing_keeps_precooks_insertion_order():
    from pycocoevalcap.cider.cider_scorer import precook

    interner = ciderd._cciderd.Interner()
    sentence = "a man walks a man walks to the man"
    import struct

    blob = interner.pack(sentence)
    values = struct.unpack(f"{len(blob) // 8}q", blob)
    sizes, bigrams, items = values[:4], values[4], values[5:]
    want = list(precook(sentence, 4).items())
    assert sum(sizes) == len(want) and bigrams == 8
    assert [c for c in items[1::2]] == [c for _, c in want]  # counts in insertion order
    assert len(set(items[0::2])) == len(want)  # one id per distinct n-gram
