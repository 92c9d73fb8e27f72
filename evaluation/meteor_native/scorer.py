"""METEOR 1.5 scores from alignments: the jar's sufficient statistics and its score formula.

``-l en`` (task "Ranking"): alpha 0.85, beta 0.2, gamma 0.6, delta 0.75; stage weights exact 1.0,
stem 0.6, synonym 0.8, paraphrase 0.6 (the values meteor-1.5.jar prints). Statistics are the jar's
23 numbers (``SCORE`` answer); :func:`score` and :func:`aggregate` compute what its ``EVAL``
answers print, with the same floating-point operations in the same order (Java doubles; division
by zero gives infinities and NaN as in Java, and a NaN score is 0). One operation differs between
the JVM and C: HotSpot's x86-64 ``Math.pow`` is off by one unit in the last place for 0.12 % of
the (chunks, matched words) pairs; ``java_pow.txt`` lists the JVM's results for them (matched words
up to 4000; beyond, C's ``pow``, at most 1 ulp away).
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Sequence
from pathlib import Path

from evaluation.meteor_native.align import AlignmentCounts

ALPHA, BETA, GAMMA, DELTA = 0.85, 0.2, 0.6, 0.75
STAGE_WEIGHTS = (1.0, 0.6, 0.8, 0.6)
STAGES = len(STAGE_WEIGHTS)

#: The 23 statistics: test/ref length, test/ref function words, per stage (test content, ref
#: content, test function, ref function), chunks, test/ref matched words.
Stats = tuple[float, ...]


def stats_of(a: AlignmentCounts) -> Stats:
    """The ``SCORE`` statistics of one alignment."""
    out = [float(a.test_len), float(a.ref_len), float(a.test_function), float(a.ref_function)]
    for k in range(STAGES):
        out += (
            float(a.test_content_matches[k]), float(a.ref_content_matches[k]),
            float(a.test_function_matches[k]), float(a.ref_function_matches[k]),
        )  # fmt: skip
    t = sum(a.test_content_matches) + sum(a.test_function_matches)
    r = sum(a.ref_content_matches) + sum(a.ref_function_matches)
    out += (float(a.chunks), float(t), float(r))
    return tuple(out)


def format_stats(s: Stats) -> str:
    """The jar's text form of the statistics (``SCORE`` answer: each number as Java prints it)."""
    return " ".join(f"{x:.1f}" if x == int(x) and abs(x) < 1e7 else repr(x) for x in s)


def _div(a: float, b: float) -> float:
    """Java's double division (no exception on zero)."""
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return math.nan
        negative = (a < 0) != (math.copysign(1.0, b) < 0)
        return -math.inf if negative else math.inf
    return a / b


def _score(
    tl: float, rl: float, tf: float, rf: float, stages: Sequence[float],
    chunks: float, tw: float, rw: float, ttot: float, rtot: float,
) -> float:  # fmt: skip
    tw_len = (DELTA * (tl - tf)) + ((1.0 - DELTA) * tf)
    rw_len = (DELTA * (rl - rf)) + ((1.0 - DELTA) * rf)
    tm = rm = 0.0
    for k in range(STAGES):
        tm += stages[4 * k] * STAGE_WEIGHTS[k] * DELTA
    for k in range(STAGES):
        rm += stages[4 * k + 1] * STAGE_WEIGHTS[k] * DELTA
    for k in range(STAGES):
        tm += stages[4 * k + 2] * STAGE_WEIGHTS[k] * (1.0 - DELTA)
    for k in range(STAGES):
        rm += stages[4 * k + 3] * STAGE_WEIGHTS[k] * (1.0 - DELTA)
    p = _div(tm, tw_len)
    r = _div(rm, rw_len)
    fmean = _div(1.0, _div(1.0 - ALPHA, p) + _div(ALPHA, r))
    if ttot == tl and rtot == rl and chunks == 1:
        penalty = GAMMA * _pow(0.0, BETA)
    else:
        frag = _div(chunks, (tw + rw) / 2)
        java = _java_pow().get((chunks, tw + rw))
        penalty = GAMMA * (java if java is not None else _pow(frag, BETA))
    s = fmean * (1.0 - penalty)
    if math.isnan(s):
        return 0.0
    return max(s, 0.0)


@functools.cache
def _java_pow() -> dict[tuple[float, float], float]:
    """(chunks, matched words) -> the JVM's Math.pow of the fragmentation, where it differs
    from C's pow (``java_pow.txt``, from ``scripts/meteor_pow_table.py``)."""
    out = {}
    text = (Path(__file__).resolve().parent / "java_pow.txt").read_text()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            c, n, bits = line.split()
            value = struct.unpack("<d", struct.pack("<Q", int(bits, 16)))[0]
            out[(float(c), float(n))] = value
    return out


def _pow(x: float, y: float) -> float:
    if math.isnan(x):
        return math.nan
    return math.inf if math.isinf(x) else math.pow(x, y)


def _totals(s: Stats) -> tuple[float, float]:
    t = r = 0.0
    for k in range(STAGES):
        t += s[4 + 4 * k]
        r += s[5 + 4 * k]
        t += s[6 + 4 * k]
        r += s[7 + 4 * k]
    return t, r


def score(s: Stats) -> float:
    """The jar's score of one pair's statistics."""
    t, r = _totals(s)
    return _score(s[0], s[1], s[2], s[3], s[4:20], s[20], s[21], s[22], t, r)


def aggregate(group: Sequence[Stats]) -> float:
    """The jar's score of summed statistics (a perfect pair's single chunk is not counted)."""
    acc = [0.0] * 23
    ttot = rtot = 0.0
    for s in group:
        t, r = _totals(s)
        for k in range(4):
            acc[k] += s[k]
        ttot += t
        rtot += r
        for k in range(4, 20):
            acc[k] += s[k]
        if not (t == s[0] and r == s[1] and s[20] == 1.0):
            acc[20] += s[20]
        acc[21] += s[21]
        acc[22] += s[22]
    return _score(acc[0], acc[1], acc[2], acc[3], acc[4:20], acc[20], acc[21], acc[22], ttot, rtot)
