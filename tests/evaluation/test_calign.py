"""The compiled METEOR aligner (``meteor_native/_calign.pyx``, ``_csentence.pyx``) against the
pure-Python one.

Both must give the same alignment counts for every pair; the Java parity of the pure-Python
aligner is tested in ``test_native.py`` (and checked on whole releases by scripts/native_parity.py).
"""

from __future__ import annotations

import random

import pytest

from evaluation.meteor_native import align as align_module
from evaluation.meteor_native.align import Aligner

from .extensions import anet_captions, can_compile


def test_the_extension_is_built_where_a_compiler_is():
    if not can_compile():
        pytest.skip("no C compiler: the pure-Python aligner is used")
    assert align_module._calign is not None, "pip install -e . did not build _calign"
    assert align_module._csentence is not None, "pip install -e . did not build _csentence"


@pytest.fixture(scope="module")
def meteor():
    if align_module._calign is None:
        pytest.skip("the compiled aligner is not built")
    from evaluation.meteor_native import NativeMeteor

    with NativeMeteor(1) as m:
        yield m


def _soups(words: list[str], rng: random.Random) -> list[str]:
    """Word soups from a small vocabulary (repeated words: many competing matches, the beam
    search's hard case), of every length up to 70 (over the compiled aligner's 64 words)."""
    small = words[:40]
    return [" ".join(rng.choice(small) for _ in range(n)) for n in range(1, 71)]


def _compare(meteor, pairs: list[tuple[str, str]]) -> int:
    meteor.use_vocabulary({s for p in pairs for s in p})
    base = meteor.aligner
    py = Aligner(base.lexicon, base.stem, base.paraphrases, compiled=False)
    c = Aligner(base.lexicon, base.stem, base.paraphrases, compiled=True)
    searched = 0
    for s in {s for p in pairs for s in p}:  # the compiled trie walk and per-sentence keys
        words = meteor.words(s)
        assert c._paraphrase_spans(words) == py._paraphrase_spans(words)
        got, want = c._info(words), py._info(words)
        for name in ("hashes", "stems", "synsets", "functions", "spans", "ngrams", "reach"):
            assert getattr(got, name) == getattr(want, name), (s, name)
    for h, r in pairs:
        test, ref = meteor.words(h), meteor.words(r)
        want = py.align(test, ref)
        assert c.align(test, ref) == want, (h, r)
        searched += sum(want.test_content_matches) > 0
    return searched


def test_compiled_equals_python_on_activitynet_captions(meteor):
    caps = anet_captions()
    rng = random.Random(0)
    pairs = [(a, b) for a in caps[:40] for b in caps[:40]]
    pairs += [(rng.choice(caps), rng.choice(caps)) for _ in range(1500)]
    assert _compare(meteor, pairs) > 1000  # most pairs share content words


def test_compiled_equals_python_on_word_soups(meteor):
    rng = random.Random(1)
    words = sorted({w for c in anet_captions() for w in c.split()})
    rng.shuffle(words)
    soups = _soups(words, rng)
    pairs = [(a, b) for a in soups[::3] for b in soups[::3]]
    pairs += [(a, rng.choice(soups)) for a in soups for _ in range(3)]
    assert _compare(meteor, pairs) > 500


def test_compiled_equals_python_on_paraphrases_and_synonyms(meteor):
    pairs = [
        ("the man is walking", "a man walks"),
        ("a person sprints quickly", "someone runs fast"),
        ("he jumps 2 times , then 3 times", "the person jumps twice and then three times"),
        ("Aa walks", "BB walks"),  # equal Java hash codes
        ("walks walks walks", "walks"),
        ("a man is playing the guitar on stage", "a guy plays a guitar on the stage"),
        ("a woman is talking to the camera", "the lady speaks into the camera"),
    ]
    pairs += [(b, a) for a, b in pairs]
    _compare(meteor, pairs)


def test_over_64_words_is_left_to_python(meteor):
    from evaluation.meteor_native import _calign

    words = ("a man walks forward and then turns around " * 9).split()
    base = meteor.aligner
    info = base._info(tuple(words))
    assert len(words) > 64 and _calign.counts(info.packed, info.packed, []) is None
    c = Aligner(base.lexicon, base.stem, base.paraphrases, compiled=True)
    py = Aligner(base.lexicon, base.stem, base.paraphrases, compiled=False)
    ref = tuple(words[:30])
    assert c.align(tuple(words), ref) == py.align(tuple(words), ref)
