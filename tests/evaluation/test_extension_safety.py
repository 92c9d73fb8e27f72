"""The compiled extensions never crash: bad arguments raise (checked in a child process, so a
segfault fails the test instead of killing pytest), and fuzzed sentences of 0-10,000 words,
paraphrase-heavy, give what the Python twins give."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evaluation import ciderd
from evaluation.captions import CaptionScorer
from evaluation.meteor_native import align as align_module
from evaluation.meteor_native.align import Aligner

ROOT = Path(__file__).resolve().parents[2]
built = pytest.mark.skipif(
    ciderd._cciderd is None or align_module._calign is None, reason="extensions not built"
)
#: What a bad argument may raise (never a crash, never silence).
ALLOWED = {"TypeError", "ValueError", "IndexError", "KeyError", "OverflowError"}


@built
def test_bad_arguments_raise_and_never_crash():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("extension_bad_calls.py"))],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    started = [r["case"] for r in rows if r.get("start")]
    assert proc.returncode == 0, (
        f"exit {proc.returncode} in case {started[-1] if started else None!r}: {proc.stderr[-500:]}"
    )
    done = {r["case"]: r["raised"] for r in rows if not r.get("start")}
    assert len(done) == len(started) >= 70
    silent = [c for c, raised in done.items() if raised not in ALLOWED]
    assert not silent, f"accepted or raised something else: {silent}"
    for prefix in ("clipped(", "group_scores(", "counts(", "walk(", "info(", "paraphrase_matches("):
        assert any(c.startswith(prefix) for c in done), prefix


@pytest.fixture(scope="module")
def meteor():
    if align_module._calign is None:
        pytest.skip("the compiled aligner is not built")
    from evaluation.meteor_native import NativeMeteor

    with NativeMeteor(1) as m:
        yield m


def _phrases(meteor, rng: random.Random, rows: int) -> list[str]:
    """Both sides of ``rows`` random entries of METEOR's paraphrase table (every phrase then has
    a paraphrase among the others)."""
    from evaluation.meteor_native.paraphrase import _phrases as phrases_of

    table = meteor.aligner.paraphrases
    table.load()
    a = table._a
    picked = np.array(sorted(rng.sample(range(len(a["src_off"]) - 1), rows)))
    out = set()
    for side in ("src", "tgt"):
        out.update(" ".join(p) for p in phrases_of(table._words, a[f"{side}_off"],
                                                  a[f"{side}_tok"], picked))  # fmt: skip
    return sorted(p for p in out if p.isascii())


def _sentence(phrases: list[str], rng: random.Random, n: int) -> str:
    words: list[str] = []
    while len(words) < n:
        words += rng.choice(phrases).split()
    return " ".join(words[:n])


SHORT = (0, 1, 2, 5, 12, 30, 63, 64, 65)
LONG = (200, 1000, 10_000)


@built
def test_compiled_aligner_equals_python_on_paraphrase_heavy_fuzz(meteor):
    rng = random.Random(4)
    phrases = _phrases(meteor, rng, 60)
    short = [_sentence(phrases, rng, n) for n in SHORT for _ in range(2)]
    long = [_sentence(phrases, rng, n) for n in LONG]
    pairs = [(a, b) for a in short for b in short]
    pairs += [(x, s) for x in long for s in short[:10]] + [(s, x) for x in long for s in short[:6]]
    pairs += [(long[0], long[0]), (long[1], long[0])]
    meteor.use_vocabulary({s for p in pairs for s in p})
    base = meteor.aligner
    py = Aligner(base.lexicon, base.stem, base.paraphrases, compiled=False)
    c = Aligner(base.lexicon, base.stem, base.paraphrases, compiled=True)
    for s in short + long:  # the compiled per-sentence work: keys, packed form, spans
        words = meteor.words(s)
        got, want = c._info(words), py._info(words)
        for name in ("hashes", "stems", "synsets", "functions", "spans", "ngrams", "reach"):
            assert getattr(got, name) == getattr(want, name), (len(words), name)
    paraphrased = 0
    for h, r in pairs:
        test, ref = meteor.words(h), meteor.words(r)
        want = py.align(test, ref)
        assert c.align(test, ref) == want, (len(test), len(ref))
        paraphrased += sum(want.test_content_matches[3:]) > 0
    assert paraphrased > len(pairs) // 5  # paraphrase-heavy (exact and stem matches go first)


@built
def test_compiled_ngram_scores_equal_python_on_long_fuzz():
    rng = random.Random(5)
    vocab = "a the man walks runs left right jumps up down turns around slowly".split()
    sentences = [" ".join(rng.choice(vocab) for _ in range(n)) for n in (*SHORT, *LONG)]
    sentences += [" ".join(["a"] * n) for n in (2, 64, 1000, 10_000)]  # few n-grams, many words
    compiled, python = CaptionScorer(), CaptionScorer(compiled=False)
    groups = [tuple((rng.choice(sentences), rng.choice(sentences)) for _ in range(4))
              for _ in range(25)]  # fmt: skip
    groups += [((sentences[-1], sentences[-1]), (sentences[-1], sentences[3]))]
    groups += [((sentences[-1], sentences[-5]), (sentences[-2], sentences[-3]))]
    for g in groups:
        assert compiled.score(g) == python.score(g)
