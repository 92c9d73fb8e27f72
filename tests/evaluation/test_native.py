"""Native PTB tokenizer and METEOR 1.5 against pycocoevalcap's jars (real jars where Java is)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from evaluation.cli import main
from evaluation.ptb import (
    coco_tokens,
    ptb_tokenize_in_context_native,
    ptb_tokenize_native,
    tokenize_lines,
)

from .test_parity import CAPTIONS, make_fixture

CASES = Path(__file__).resolve().parent / "data" / "ptb_cases.txt"
RELEASE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "demo_release"
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="needs Java")


def _jar_lines(lines: list[str]) -> list[str]:
    from evaluation.javatools import PTB_JAR, jar_path

    fd, name = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "wb") as f:
        f.write("\n".join(lines).encode())
    try:
        cmd = ["java", "-cp", str(jar_path(PTB_JAR)), "edu.stanford.nlp.process.PTBTokenizer"]
        out = subprocess.run([*cmd, "-preserveLines", "-lowerCase", name], capture_output=True)
    finally:
        os.unlink(name)
    return out.stdout.decode().split("\n")


def test_context_effect_of_a_final_initial():
    """A final initial or abbreviation splits off its period before a sentence opener only."""
    before_opener = tokenize_lines(["a person draws a capital T.", "The man walks away."])[0]
    before_lower = tokenize_lines(["a person draws a capital T.", "then the man walks."])[0]
    assert before_opener[-2:] == ["T", "."] and before_lower[-1] == "T."
    assert coco_tokens(before_opener) == "a person draws a capital t"
    assert coco_tokens(before_lower) == "a person draws a capital t."
    # compmo-eval: each caption as if followed by itself, plus its two context variants
    toks, variants = ptb_tokenize_in_context_native(["draws a T.", "The end", "A T.", "then"])
    assert toks["draws a T."] == "draws a t." and toks["A T."] == "a t"
    assert variants["draws a T."] == ("draws a t", "draws a t.")
    assert variants["A T."] == ("a t", "a t.")


@needs_java
def test_ptb_cases_equal_the_jar_line_by_line():
    lines = CASES.read_text().split("\n")
    rng = random.Random(0)
    shuffled = lines[:]
    rng.shuffle(shuffled)  # other next lines: other contexts
    for doc in (lines, shuffled):
        jar = _jar_lines(doc)
        native = [" ".join(t.lower() for t in toks) for toks in tokenize_lines(doc)]
        assert native == jar[: len(doc)]


@needs_java
def test_ptb_fuzz_lines_equal_the_jar():
    from .ptb_fuzz import fuzz_lines

    doc = fuzz_lines(7, 600)
    native = [" ".join(t.lower() for t in toks) for toks in tokenize_lines(doc)]
    assert native == _jar_lines(doc)[: len(doc)]


@needs_java
def test_ptb_comma_lines_equal_the_jar():
    """Words, abbreviations, numbers, e-mail and URL pieces glued by commas: a letters-only
    word before a comma is not always its own token (``foo,bar@baz.com`` is one)."""
    rng = random.Random(5)
    words = ["a", "man", "Mr", "U.S", "etc", "cannot", "gonna", "Inc", "x", "T", "abc", "1",
             "000", "@", "http", "www", "&amp;", "'s", "n't", "-", "(", ")", '"', "'"]  # fmt: skip
    glue = [",", ", ", " ", ",,", ".", ""]
    doc = ["foo,bar@baz.com x,,y http://a,b.com abc,123 1,000 Mr,Smith"]
    doc += [
        "".join(rng.choice(words) + rng.choice(glue) for _ in range(rng.randint(1, 8)))
        for _ in range(1500)
    ]
    native = [" ".join(t.lower() for t in toks) for toks in tokenize_lines(doc)]
    assert native == _jar_lines(doc)[: len(doc)]


@needs_java
def test_ptb_tokenize_native_equals_ptb_tokenize():
    from evaluation.ptb import ptb_tokenize_in_context_native
    from evaluation.text import ptb_tokenize, ptb_tokenize_in_context, remove_nonascii

    caps = [remove_nonascii(c) for c in CAPTIONS] + CASES.read_text().split("\n")
    assert ptb_tokenize_native(caps) == ptb_tokenize(caps)
    assert ptb_tokenize_in_context_native(caps) == ptb_tokenize_in_context(caps)


def _pairs() -> list[tuple[str, str]]:
    from evaluation.text import remove_nonascii

    toks = list(ptb_tokenize_native([remove_nonascii(c) for c in CAPTIONS]).values())
    extra = [
        ("", "runs"),
        ("a|||b  c", "a b c"),
        ("Aa walks", "BB walks"),  # equal Java hash codes: the jar counts them as a match
        ("the man is walking", "a man walks"),  # paraphrase, stem
        ("a person sprints quickly", "someone runs fast"),  # synonyms
        ("he jumps 2 times , then 3 times", "the person jumps twice and then three times"),
        ("walks walks walks", "walks"),
        ("u.s. soldiers don't stop", "us soldiers do n't stop ..."),
    ]
    return [(a, b) for a in toks for b in toks] + extra


@pytest.fixture(scope="module")
def jar():
    """One plain meteor-1.5.jar for the module (its start-up is the slow part)."""
    if shutil.which("java") is None:
        pytest.skip("needs Java")
    from evaluation.meteor import MeteorPool

    with MeteorPool(1) as pool:
        yield pool


class _Borrowed:
    """Lends the module's jar to score_videos, which closes the backend it is given."""

    def __init__(self, backend):
        self.backend = backend

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def close(self):
        pass


def test_meteor_native_equals_the_jar(jar):
    from evaluation.meteor_native import NativeMeteor

    pairs = _pairs()
    groups = [[0, 1, 2], [5], list(range(len(pairs))), [7, 7, 3], list(range(len(pairs) - 8, len(pairs)))]  # fmt: skip
    with NativeMeteor(1) as native:
        want, got = jar.stats(pairs), native.stats(pairs)
        assert [tuple(float(x) for x in s.split()) for s in want] == got
        assert native.evaluate([[got[i] for i in g] for g in groups]) == jar.evaluate(
            [[want[i] for i in g] for g in groups]
        )


def test_fragmentation_penalty_uses_the_jvms_pow(jar):
    """Statistics whose Math.pow on the JVM differs from C's pow (java_pow.txt) score alike."""
    from evaluation.meteor_native.scorer import _java_pow, aggregate, score

    keys = sorted(_java_pow())[:: max(1, len(_java_pow()) // 40)]
    stats = []
    for c, n in keys:
        t = float(int(n) // 2)
        r = n - t
        row = [t + 3, r + 5, 0.0, 0.0, t, r, 0.0, 0.0] + [0.0] * 12 + [c, t, r]
        stats.append(tuple(row))
    text = [" ".join(repr(x) for x in row) for row in stats]
    want = jar.evaluate([[x] for x in text] + [text])
    got = [(aggregate([x]), [score(x)]) for x in stats] + [
        (aggregate(stats), [score(x) for x in stats])
    ]
    assert got == want


@pytest.mark.skipif(not (RELEASE / "test.json").is_file(), reason="needs shared/data/demo_release")
def test_meteor_native_on_release_pairs(jar):
    """500 random pairs of DEMO's release (scripts/native_parity.py checks all of them)."""
    from evaluation.meteor_native import NativeMeteor

    gt = json.loads((RELEASE / "test.json").read_text())
    pred = json.loads((RELEASE / "result.json").read_text())
    caps = [c.split(" - ", 1)[-1] for v in gt[:60] for c in v["gt"].split(", ")]
    caps += [c.split(" - ", 1)[-1] for v in pred[:60] for c in v["generated"].split(", ")]
    toks = list(ptb_tokenize_native(caps).values())
    rng = random.Random(1)
    pairs = [(rng.choice(toks), rng.choice(toks)) for _ in range(500)]
    with NativeMeteor(1) as native:
        want, got = jar.stats(pairs), native.stats(pairs)
        assert [tuple(float(x) for x in s.split()) for s in want] == got
        assert native.evaluate([got])[0] == jar.evaluate([want])[0]


def test_native_scoring_needs_no_java(tmp_path, monkeypatch, capsys):
    gt, pred = make_fixture(21, n_videos=3)
    g, p = tmp_path / "gt.json", tmp_path / "pred.json"
    g.write_text(json.dumps(gt))
    p.write_text(json.dumps({"results": pred}))
    out = tmp_path / "res.json"
    monkeypatch.setenv("PATH", str(tmp_path))  # no java here
    assert main([str(p), "--gt", str(g), "--out", str(out), "-q", "--jobs", "1"]) == 0
    sig = json.loads(out.read_text())["signature"]
    assert sig["java"] == "not used"
    assert "native" in sig["tokenizer"] and "native" in sig["meteor"]
    assert sig["meteor_backend"].startswith("native METEOR 1.5")


def test_native_run_equals_the_java_scorers(tmp_path, jar):
    """compmo-eval with both native backends == the same evaluation on the jars."""
    from evaluation.report import summarize
    from evaluation.scorer import EvalConfig, build_inputs, score_videos

    from .test_parity import to_annotations

    gt, pred = make_fixture(22, n_videos=4)
    g, p = tmp_path / "gt.json", tmp_path / "pred.json"
    g.write_text(json.dumps(gt))
    p.write_text(json.dumps({"results": pred}))
    out = tmp_path / "native.json"
    assert main([str(p), "--gt", str(g), "--out", str(out), "-q", "--jobs", "1"]) == 0
    native = json.loads(out.read_text())
    cfg = EvalConfig(tokenizer="java", meteor="java")
    inputs, _ = build_inputs(*to_annotations(gt, pred), (), cfg)
    java = summarize(score_videos(inputs, cfg, _Borrowed(jar)), cfg)
    assert native["metrics"] == java["metrics"]
    assert native["per_tiou"] == java["per_tiou"]


def test_stemmer_is_snowball_2_2_0_whichever_build():
    """PyStemmer 2.2.0.x (C, used when installed) stems every lexicon word as snowballstemmer
    2.2.0's Python English stemmer; a PyStemmer of another release is never used."""
    from importlib.metadata import PackageNotFoundError, version

    from snowballstemmer.english_stemmer import EnglishStemmer

    from evaluation.meteor_native import backend
    from evaluation.meteor_native.resources import index_dir

    words = (index_dir() / "synset_words.txt").read_text(encoding="utf-8").split("\n")
    words += (index_dir() / "vocab.txt").read_text(encoding="utf-8").split("\n")
    words = sorted(set(words))[::7]  # every 7th of ~190k words: a few seconds in Python
    python_stem, used = EnglishStemmer().stemWord, backend._stemmer()
    assert [used(w) for w in words] == [python_stem(w) for w in words]
    try:
        pystemmer = version("PyStemmer")
    except PackageNotFoundError:
        pytest.skip("PyStemmer not installed: the Python stemmer is the one used")
    if pystemmer.startswith("2.2.0."):
        import Stemmer

        assert backend._stemmer().__self__.__class__ is Stemmer.Stemmer  # the C build ran above


def test_preloaded_vocabulary_gives_the_same_statistics():
    """use_vocabulary loads every paraphrase entry up front: statistics unchanged, by pair."""
    from evaluation.meteor_native import NativeMeteor

    pairs = _pairs()
    with NativeMeteor(1) as lazy, NativeMeteor(1) as eager:
        eager.use_vocabulary({s for p in pairs for s in p})
        version = eager.aligner.paraphrases.version
        assert eager.stats(pairs) == lazy.stats(pairs)
        assert eager.aligner.paraphrases.version == version  # nothing was added later


def test_worker_processes_and_affinity_give_the_same_statistics():
    """Pairs routed to two worker processes by affinity (a video's pairs in one process) get
    the statistics this process computes, in request order."""
    from evaluation.meteor_native import NativeMeteor

    pairs = _pairs()
    with NativeMeteor(1) as single:
        want = single.stats(pairs)
    with NativeMeteor(2) as pool:
        pool.POOL_MIN_PAIRS = 1
        pool.CHUNK = 7
        pool.use_vocabulary({s for p in pairs for s in p})
        assert pool.stats(pairs, affinity=[k % 5 for k in range(len(pairs))]) == want
        assert pool.stats(pairs[::-1]) == want[::-1]  # default: blocks of CHUNK pairs in turn
        assert pool.worker_cpu_seconds() > 0


def test_a_worker_uses_its_parents_index_not_its_environments(tmp_path, monkeypatch):
    """Fork-server workers keep the fork server's environment: a worker is told its parent's
    resource index instead of looking for one under its own ``XDG_CACHE_HOME``."""
    import gc

    from evaluation.meteor_native import NativeMeteor, backend

    saved = gc.get_threshold()
    with NativeMeteor(1) as parent:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # an empty cache: not used
        try:
            backend._worker_init(parent.directory)
            assert backend._WORKER is not None
            assert backend._WORKER.directory == parent.directory
            assert not any(tmp_path.iterdir())
        finally:
            if backend._WORKER is not None:
                backend._WORKER.close()
            backend._WORKER = None
            gc.set_threshold(*saved)


def test_prestarted_workers_get_the_entries_learned_later():
    """Workers started before any sentence is known (``prestart``) load the vocabulary they are
    sent, and more of it later: the same statistics as one process; the parent loads nothing."""
    from evaluation.meteor_native import NativeMeteor

    pairs = _pairs()
    half = len(pairs) // 2
    with NativeMeteor(1) as single:
        want = single.stats(pairs)
    with NativeMeteor(2, prestart=True) as pool:
        assert len(pool._pools) == 2
        pool.POOL_MIN_PAIRS = 1
        first = sorted({s for p in pairs[:half] for s in p})
        pool.use_vocabulary(first, affinity=list(range(len(first))))  # a half each
        assert pool.stats(pairs[:half]) == want[:half]
        pool.use_vocabulary({s for p in pairs for s in p})
        assert pool.stats(pairs) == want
        assert pool._aligner is None  # the workers did the loading
