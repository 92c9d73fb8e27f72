"""Bad arguments for every entry point of the compiled extensions (run as a script by
test_extension_safety.py, in a child process: a crash is a failed test, not a dead pytest).

Prints one JSON line per case (``{"case", "raised"}``) and flushes before each call, so the
case that crashed the process is the last one named on stdout.
"""

from __future__ import annotations

import json
import struct
import sys
import types
from collections.abc import Callable

import numpy as np

from evaluation import _cciderd
from evaluation.meteor_native import _calign, _csentence

CASES: list[tuple[str, Callable[[], object]]] = []


def case(name: str) -> Callable:
    def add(fn: Callable[[], object]) -> Callable[[], object]:
        CASES.append((name, fn))
        return fn

    return add


# --- _cciderd ---------------------------------------------------------------------------------
_I = _cciderd.Interner()
H = _I.pack("a man walks to the left and walks back")
R = _I.pack("the man walks back")
ZERO = np.zeros(len(_I) + 1, np.int64)
LOGS = np.log(np.arange(1, 10, dtype=float))
F = np.zeros(len(_I) + 1)


def _blob(*values: int) -> bytes:
    return struct.pack(f"{len(values)}q", *values)


def _group(hyps, refs, logs=LOGS, idf=None, df=None, tf=None):
    idf = np.zeros(len(_I) + 1) if idf is None else idf
    df = np.zeros(len(_I) + 1, np.int64) if df is None else df
    tf = np.zeros(len(_I) + 1) if tf is None else tf
    return _cciderd.group_scores(hyps, refs, logs, idf, df, tf, 2.0, np.e, 72.0)


for name, call in {
    "pack(None)": lambda: _I.pack(None),
    "pack(bytes)": lambda: _I.pack(b"a b"),
    "clipped(short scratch)": lambda: _cciderd.clipped(H, R, np.zeros(1, np.int64)),
    "clipped(empty scratch)": lambda: _cciderd.clipped(H, R, np.zeros(0, np.int64)),
    "clipped(float scratch)": lambda: _cciderd.clipped(H, R, np.zeros(99)),
    "clipped(None scratch)": lambda: _cciderd.clipped(H, R, None),
    "clipped(None hyp)": lambda: _cciderd.clipped(None, R, ZERO),
    "clipped(str hyp)": lambda: _cciderd.clipped("a man", R, ZERO),
    "clipped(empty bytes)": lambda: _cciderd.clipped(b"", R, ZERO),
    "clipped(odd length)": lambda: _cciderd.clipped(H + b"x", R, ZERO),
    "clipped(cut short)": lambda: _cciderd.clipped(H[:-16], R, ZERO),
    "clipped(huge count)": lambda: _cciderd.clipped(_blob(2**40, 0, 0, 0, 0), R, ZERO),
    "clipped(negative count)": lambda: _cciderd.clipped(_blob(-1, 0, 0, 0, 0), R, ZERO),
    "clipped(id past scratch)": lambda: _cciderd.clipped(_blob(1, 0, 0, 0, 0, 10**9, 1), R, ZERO),
    "clipped(negative id)": lambda: _cciderd.clipped(_blob(1, 0, 0, 0, 0, -5, 1), R, ZERO),
    "group_scores(fewer refs)": lambda: _group([H, H], [R]),
    "group_scores(no refs)": lambda: _group([H], []),
    "group_scores(short logs)": lambda: _group([H, H, H], [R, R, R], logs=np.zeros(2)),
    "group_scores(empty logs)": lambda: _group([], [], logs=np.zeros(0)),
    "group_scores(short idf)": lambda: _group([H], [R], idf=np.zeros(1)),
    "group_scores(short df)": lambda: _group([H], [R], df=np.zeros(2, np.int64)),
    "group_scores(short ref_tf)": lambda: _group([H], [R], tf=np.zeros(0)),
    "group_scores(df not zero)": lambda: _group([H], [R], df=np.full(len(_I) + 1, 10**6, np.int64)),
    "group_scores(str ref)": lambda: _group([H], ["the man"]),
    "group_scores(None hyps)": lambda: _group(None, [R]),
    "group_scores(tuple hyps)": lambda: _group((H,), [R]),
    "group_scores(bad packed)": lambda: _group([_blob(3, 0, 0, 0, 0)], [R]),
    "group_scores(int32 df)": lambda: _group([H], [R], df=np.zeros(len(_I) + 1, np.int32)),
}.items():
    case(name)(call)


# --- _calign ----------------------------------------------------------------------------------
def packed(n: int, flags: int = 0, offsets: list[int] | None = None, synsets=()) -> bytes:
    """A packed sentence of ``n`` words (``_csentence.info``'s layout)."""
    offs = offsets if offsets is not None else [0] * (n + 1)
    return _blob(n, *range(n), *range(n), *[flags] * n, *offs, *synsets)


P3, P64 = packed(3), packed(64)
for name, call in {
    "counts(None)": lambda: _calign.counts(None, P3, []),
    "counts(str)": lambda: _calign.counts("abc", P3, []),
    "counts(empty)": lambda: _calign.counts(b"", P3, []),
    "counts(odd length)": lambda: _calign.counts(P3 + b"x", P3, []),
    "counts(negative n)": lambda: _calign.counts(_blob(-3, 0), P3, []),
    "counts(n past the bytes)": lambda: _calign.counts(_blob(40, 0, 0), P3, []),
    "counts(cut short)": lambda: _calign.counts(P3[:-16], P3, []),
    "counts(flag 7)": lambda: _calign.counts(packed(3, flags=7), P3, []),
    "counts(offsets past the end)": lambda: _calign.counts(packed(2, offsets=[0, 5, 9]), P3, []),
    "counts(offsets decrease)": lambda: _calign.counts(
        packed(2, offsets=[0, 2, 1], synsets=(1,)), P3, []
    ),
    "counts(offset 0 not 0)": lambda: _calign.counts(
        packed(2, offsets=[1, 1, 1], synsets=(1,)), P3, []
    ),
    "counts(None paraphrases)": lambda: _calign.counts(P3, P3, None),
    "counts(tuple paraphrases)": lambda: _calign.counts(P3, P3, ()),
    "counts(None match)": lambda: _calign.counts(P3, P3, [None]),
    "counts(short match)": lambda: _calign.counts(P3, P3, [(0, 1, 0)]),
    "counts(list match)": lambda: _calign.counts(P3, P3, [[0, 1, 0, 1]]),
    "counts(float match)": lambda: _calign.counts(P3, P3, [(0, 1, 0, 1.5)]),
    "counts(str match)": lambda: _calign.counts(P3, P3, [("0", 1, 0, 1)]),
    "counts(span past the reference)": lambda: _calign.counts(P3, P3, [(2, 2, 0, 1)]),
    "counts(span past the test)": lambda: _calign.counts(P3, P3, [(0, 1, 3, 1)]),
    "counts(negative start)": lambda: _calign.counts(P3, P3, [(-1, 1, 0, 1)]),
    "counts(empty span)": lambda: _calign.counts(P3, P3, [(0, 0, 0, 1)]),
    "counts(empty test span)": lambda: _calign.counts(P3, P3, [(0, 1, 0, 0)]),
    "counts(span past word 64)": lambda: _calign.counts(P64, P64, [(60, 10, 0, 1)]),
    "counts(span at word 64)": lambda: _calign.counts(P64, P64, [(0, 1, 64, 1)]),
    "counts(huge span)": lambda: _calign.counts(P64, P64, [(0, 2**62, 0, 1)]),
}.items():
    case(name)(call)


# --- _csentence -------------------------------------------------------------------------------
def _sent(spans, ngrams, reach=frozenset({0})):
    return types.SimpleNamespace(spans=spans, ngrams=ngrams, reach=set(reach))


GOOD = _sent([(0, 1, 0)], {0: [0]})
KEY = (1, 2, (), False, ())
for name, call in {
    "walk(None)": lambda: _csentence.walk(None, {}, {}),
    "walk(list words)": lambda: _csentence.walk(["a"], {}, {}),
    "walk(None trie)": lambda: _csentence.walk(("a",), None, {}),
    "walk(node not a tuple)": lambda: _csentence.walk(("a",), {"a": 5}, {}),
    "walk(short node)": lambda: _csentence.walk(("a",), {"a": ({},)}, {}),
    "walk(children not a dict)": lambda: _csentence.walk(("a",), {"a": ([], 0, True)}, {}),
    "walk(bad target node)": lambda: _csentence.walk(("a", "b"), {}, {"a": ((), 0, 0)}),
    "info(short key)": lambda: _csentence.info(("a",), {"a": (1, 2)}, None, {}, {}, {}),
    "info(key not a tuple)": lambda: _csentence.info(("a",), {}, lambda w: 5, {}, {}, {}),
    "info(synsets not a tuple)": lambda: _csentence.info(
        ("a",), {"a": (1, 2, (), False, [3])}, None, {}, {}, {}
    ),
    "info(synset id not an int)": lambda: _csentence.info(
        ("a",), {"a": (1, 2, (), False, ("x",))}, None, {}, {}, {}
    ),
    "info(hash not an int)": lambda: _csentence.info(
        ("a",), {"a": ("h", 2, (), False, ())}, None, {}, {}, {}
    ),
    "info(entry not a dict)": lambda: _csentence.info(
        ("a",), {"a": KEY}, None, {"a": ({}, 7, True)}, {}, {7: [1]}
    ),
    "info(missing entry)": lambda: _csentence.info(
        ("a",), {"a": KEY}, None, {"a": ({}, 7, True)}, {}, {}
    ),
    "info(None keys)": lambda: _csentence.info(("a",), None, None, {}, {}, {}),
    "paraphrase_matches(None ngrams)": lambda: _csentence.paraphrase_matches(
        _sent([(0, 1, 0)], None), GOOD, {0: {0: [0]}}, [1]
    ),
    "paraphrase_matches(None spans)": lambda: _csentence.paraphrase_matches(
        GOOD, _sent(None, {0: [0]}), {0: {0: [0]}}, [1]
    ),
    "paraphrase_matches(short span)": lambda: _csentence.paraphrase_matches(
        GOOD, _sent([(0,)], {0: [0]}), {0: {0: [0]}}, [1]
    ),
    "paraphrase_matches(span not a tuple)": lambda: _csentence.paraphrase_matches(
        GOOD, _sent([7], {0: [0]}), {0: {0: [0]}}, [1]
    ),
    "paraphrase_matches(short lengths)": lambda: _csentence.paraphrase_matches(
        _sent([(0, 1, 0)], {5: [0]}), _sent([(0, 1, 0)], {5: [0]}, {5}), {0: {5: [0]}}, [1]
    ),
    "paraphrase_matches(negative n-gram)": lambda: _csentence.paraphrase_matches(
        _sent([(0, 1, 0)], {-1: [0]}), _sent([(0, 1, 0)], {-1: [0]}, {-1}), {0: {-1: [0]}}, [1]
    ),
    "paraphrase_matches(entry not a dict)": lambda: _csentence.paraphrase_matches(
        GOOD, GOOD, {0: [0]}, [1]
    ),
    "paraphrase_matches(numbers not a list)": lambda: _csentence.paraphrase_matches(
        GOOD, GOOD, {0: {0: 5}}, [1]
    ),
    "paraphrase_matches(None lengths)": lambda: _csentence.paraphrase_matches(
        GOOD, GOOD, {0: {0: [0]}}, None
    ),
}.items():
    case(name)(call)


def main() -> int:
    for name, fn in CASES:
        print(json.dumps({"case": name, "start": True}), flush=True)
        try:
            fn()
        except Exception as exc:  # the point: an exception, not a crash
            print(json.dumps({"case": name, "raised": type(exc).__name__, "msg": str(exc)}))
        else:
            print(json.dumps({"case": name, "raised": None}))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
