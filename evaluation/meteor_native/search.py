"""METEOR 1.5's beam search over candidate matches (the pure-Python twin of ``_calign``).

Matches whose words no other match touches are fixed first (by the caller); the rest are resolved
left to right over the reference with a beam of 40 partial alignments ranked by (more weighted
matched words, fewer chunks, smaller distance), the ranking weights being 1 for exact and 0.5 for
the other stages with the jar's integer truncation.
"""

from __future__ import annotations

import operator

BEAM_SIZE = 40
#: Ranking weights of the search (exact, stem, synonym, paraphrase).
SEARCH_WEIGHTS = (1.0, 0.5, 0.5, 0.5)

# A match: (ref start, ref length, test start, test length, stage)
Match = tuple[int, int, int, int, int]


def mask(start: int, length: int) -> int:
    """The bit set of ``length`` words from ``start``."""
    return ((1 << length) - 1) << start


# A partial alignment of the search, as a list (copied by slicing): its own matches as a linked
# list (match, parent's list), minus the matched words (weighted, truncated: test + reference),
# chunks, distance, next reference position, end of the last match in the test (-1: none), used
# words of test and reference. Ranked by (_NEG, _CHUNKS, _DIST): more matched words, fewer
# chunks, smaller distance; ties keep insertion order (a stable sort).
_CHOSEN, _NEG, _CHUNKS, _DIST, _IDX, _LAST, _USED1, _USED2 = range(8)
_rank = operator.itemgetter(_NEG, _CHUNKS, _DIST)


def resolve(cand: list[list[Match]], fixed: list, used1: int, used2: int) -> list:
    """The jar's beam search; returns the best path's match per reference position.

    ``fixed``: the matches nothing competes with, by reference position (their words are
    ``used1``/``used2``); they are the only matches the search reads back, since a match it
    chooses starts before the position being decided. Partial alignments are ranked by (more
    weighted matched words, fewer chunks, smaller distance), ties in insertion order.
    """
    n = len(cand)
    w = SEARCH_WEIGHTS
    options = [
        [
            (m, mask(j, ln), mask(i, mln), int(mln * w[mod]) + int(ln * w[mod]), j + ln, i + mln,
             abs(j - i), i)
            for m in lst
            for j, ln, i, mln, mod in (m,)
        ]
        for lst in cand
    ]  # fmt: skip
    next_paths = [[None, 0, 0, 0, 0, -1, used1, used2]]
    for current in range(n + 1):
        paths = next_paths
        paths.sort(key=_rank)
        beam = paths[:BEAM_SIZE]
        if current == n:
            for path in beam:
                if path[_LAST] != -1:
                    path[_CHUNKS] += 1
            next_paths = beam
            break
        next_paths = []
        append = next_paths.append
        bit = 1 << current
        here = options[current]
        for path in beam:
            if path[_USED2] & bit:
                if current < path[_IDX]:
                    append(path)
                elif fixed[path[_IDX]] is not None:
                    j, ln, i, mln, mod = fixed[path[_IDX]]
                    path[_NEG] -= int(mln * w[mod]) + int(ln * w[mod])  # = the jar's int(m + x)
                    if path[_LAST] != -1 and i != path[_LAST]:
                        path[_CHUNKS] += 1
                    path[_IDX] = j + ln
                    path[_LAST] = i + mln
                    path[_DIST] += abs(j - i)
                    append(path)
                continue
            u1, u2, last = path[_USED1], path[_USED2], path[_LAST]
            for m, k2, k1, gain, idx, end, dist, i in here:
                if u2 & k2 or u1 & k1:
                    continue
                p = path[:]
                p[_CHOSEN] = (m, path[_CHOSEN])
                p[_NEG] -= gain
                if last != -1 and i != last:
                    p[_CHUNKS] += 1
                p[_IDX] = idx
                p[_LAST] = end
                p[_USED1] = u1 | k1
                p[_USED2] = u2 | k2
                path[_DIST] += dist  # sic: the jar adds the distance to the parent path
                append(p)
            if last != -1:
                path[_CHUNKS] += 1
                path[_LAST] = -1
            path[_IDX] += 1
            append(path)
        if not next_paths:
            next_paths.append(paths[0])
    next_paths.sort(key=_rank)
    best = fixed[:]
    node = next_paths[0][_CHOSEN]
    while node is not None:
        m, node = node
        best[m[0]] = m
    return best


def chunks(matches: list) -> int:
    chunks, idx, last = 0, 0, -1
    while idx < len(matches):
        m = matches[idx]
        if m is None:
            if last != -1:
                chunks += 1
                last = -1
            idx += 1
        else:
            if last != -1 and m[2] != last:
                chunks += 1
            idx = m[0] + m[1]
            last = m[2] + m[3]
    return chunks + (last != -1)
