"""The native PTB tokenizer against the jar on lines generated from every lexer rule (a fixed
sample of scripts/ptb_rule_fuzz.py's fuzz) and on every discrepancy that fuzz has found."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from evaluation.ptb import tokenize_lines
from evaluation.ptb_fuzz import fuzz_document, jar_lines, native_lines, rule_lines, sample
from evaluation.ptb_rules import RULES

REGRESSIONS = Path(__file__).resolve().parent / "data" / "ptb_rule_regressions.txt"
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="needs Java")


def test_every_rule_is_sampled():
    """Each rule's token pattern (and trailing context) yields strings it matches whole, and
    lines: the fuzz covers the whole rule set."""
    import regex

    for k, (token, trail, _) in enumerate(RULES):
        rng = random.Random(k)
        got = [sample(token, rng) for _ in range(5)]
        assert all(s is not None and regex.fullmatch(token, s) for s in got), (k, token)
        if trail is not None:
            assert sample(trail, rng) is not None, (k, trail)
        assert len(rule_lines(k, rng, 10)) == 10, k
    assert fuzz_document(3, 2) == fuzz_document(3, 2)  # seeded


@pytest.mark.parametrize(
    ("line", "tokens"),
    [
        ("a person waves and smiles ^.^", "a person waves and smiles ^ . ^"),
        ("=.= <.> ~.~", "= . = < . > ~ . ~"),
        ("x.^", "x. ^"),
        ("^.[^x=~<>] and ^.[^X=~<>]]", "^.[^x=~<>] and ^.[^X=~<>] -RSB-"),  # 3.4.1's grammar typo
        ("(^_^) -_- (-.-)", "(^_^) -_- (-.-)"),
        ("it&APOS;s &Quot;x&quot;", "it &APOS;s &Quot; x ''"),  # entities: lower case only
        ("it&apos;s &quot;x&quot;", "it 's `` x ''"),
    ],
)
def test_found_rules_without_java(line, tokens):
    got = " ".join(tokenize_lines([line])[0]).replace("-LRB-", "(").replace("-RRB-", ")")
    assert got == tokens


@needs_java
def test_found_discrepancies_equal_the_jar():
    """Every line on which the tokenizers differed before the fixes (3,032, from the fuzz)."""
    lines = REGRESSIONS.read_text(encoding="ascii").split("\n")[:-1]
    assert len(lines) >= 3000
    assert native_lines(lines) == jar_lines(lines)
    # in another order (other next lines: other trailing contexts)
    random.Random(0).shuffle(lines)
    assert native_lines(lines) == jar_lines(lines)


@needs_java
def test_generated_rule_lines_equal_the_jar():
    doc = fuzz_document(11, 30)
    assert len(doc) > 30 * len(RULES)
    assert native_lines(doc) == jar_lines(doc)


@needs_java
def test_smileys_and_entities_score_as_with_the_jar(tmp_path):
    """Equal tokens, equal metrics: BLEU, METEOR, ROUGE-L, CIDEr-D and SODA_c of captions with
    the found cases, native tokenizer vs the jar's (METEOR on the jar both times)."""
    from evaluation.cli import main

    caps = ["a person waves and smiles ^.^", "he walks =.= then x.^ turns", "it&APOS;s a jump",
            "a man &Quot;runs&quot; ~.~ fast", "^.[^x=~<>] a person sits"]  # fmt: skip
    gt = {f"v{k}": {"duration": 10.0, "timestamps": [[0.0, 5.0], [5.0, 10.0]],
                    "sentences": [c, "a person walks forward"]} for k, c in enumerate(caps)}  # fmt: skip
    pred = {"results": {f"v{k}": [{"sentence": caps[(k + 1) % len(caps)], "timestamp": [0.0, 5.0]},
                                  {"sentence": c, "timestamp": [4.0, 10.0]}]
                        for k, c in enumerate(caps)}}  # fmt: skip
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(pred))
    docs = {}
    for kind in ("native", "java"):
        out = tmp_path / f"{kind}.json"
        argv = [str(tmp_path / "pred.json"), "--gt", str(tmp_path / "gt.json"), "-q",
                "--out", str(out), "--jobs", "1", "--tokenizer", kind, "--meteor", "java"]  # fmt: skip
        assert main(argv) == 0
        docs[kind] = json.loads(out.read_text())
    assert docs["native"]["metrics"] == docs["java"]["metrics"]
    assert docs["native"]["per_tiou"] == docs["java"]["per_tiou"]
