# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""METEOR 1.5's aligner in C: the same matching stages and beam search as ``align.py``.

Compiled when compmo is installed (an optional extension: without a C compiler the pure-Python
aligner in ``align.py`` is used, with identical results; tests compare the two). Covers sentences
of up to 64 words (a word set is one 64-bit mask); ``align.py`` takes longer ones.

Per sentence the caller packs (``_csentence.pack``) the word hashes, stem hashes, function-word
flags and sorted synset ids; paraphrase matches come from ``align.py`` (dictionary work).
``counts`` returns what ``AlignmentCounts`` holds after its two lengths.

Bounds checks are off in the loops: ``counts`` first checks both packed sentences (layout,
offsets) and every paraphrase match (a 4-tuple of ints whose spans lie inside the sentences, so
that no 64-word stack buffer or 64-bit mask is indexed past a sentence's end) and raises
``TypeError``/``ValueError`` otherwise.
"""

from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, qsort, realloc
from libc.string cimport memcpy

cdef enum:
    MAXW = 64
    BEAM = 40


cdef struct Match:
    int j
    int ln
    int i
    int mln
    int mod


cdef struct Path:
    long long neg
    long long chunks
    long long dist
    int idx
    int last
    uint64_t used1
    uint64_t used2
    int chosen  # node in the arena (-1: none)
    int order  # insertion order (the stable sort's tie-break)


cdef struct Node:
    int match
    int parent


cdef struct Buf:
    Path* paths
    int n
    int cap


cdef struct Arena:
    Node* nodes
    int n
    int cap


cdef inline uint64_t _mask(int start, int length) nogil:
    if length <= 0:
        return 0
    if length >= 64:
        return <uint64_t>0xFFFFFFFFFFFFFFFF << start
    return ((<uint64_t>1 << length) - 1) << start


cdef inline int _gain(Match* m) nogil:
    if m.mod == 0:
        return m.mln + m.ln
    return m.mln // 2 + m.ln // 2  # int(x * 0.5) for x >= 0


cdef int _cmp(const void* a, const void* b) noexcept nogil:
    cdef const Path* p = <const Path*>a
    cdef const Path* q = <const Path*>b
    if p.neg != q.neg:
        return -1 if p.neg < q.neg else 1
    if p.chunks != q.chunks:
        return -1 if p.chunks < q.chunks else 1
    if p.dist != q.dist:
        return -1 if p.dist < q.dist else 1
    return -1 if p.order < q.order else (1 if p.order > q.order else 0)


cdef int _push(Buf* b, Path* p) except -1:
    cdef Path* grown
    if b.n == b.cap:
        b.cap = b.cap * 2 + 64
        grown = <Path*>realloc(b.paths, b.cap * sizeof(Path))
        if grown == NULL:
            raise MemoryError()
        b.paths = grown
    memcpy(&b.paths[b.n], p, sizeof(Path))
    b.n += 1
    return 0


cdef int _node(Arena* a, int match, int parent) except -1:
    cdef Node* grown
    if a.n == a.cap:
        a.cap = a.cap * 2 + 256
        grown = <Node*>realloc(a.nodes, a.cap * sizeof(Node))
        if grown == NULL:
            raise MemoryError()
        a.nodes = grown
    a.nodes[a.n].match = match
    a.nodes[a.n].parent = parent
    a.n += 1
    return a.n - 1


cdef inline void _sort(Buf* b) noexcept nogil:
    cdef int k
    for k in range(b.n):
        b.paths[k].order = k
    qsort(b.paths, b.n, sizeof(Path), _cmp)


cdef inline bint _share(const int64_t* a, int na, const int64_t* b, int nb) noexcept nogil:
    cdef int x = 0, y = 0
    while x < na and y < nb:
        if a[x] == b[y]:
            return True
        if a[x] < b[y]:
            x += 1
        else:
            y += 1
    return False


include "_calign_checks.pxi"


def counts(bytes test not None, bytes ref not None, list paraphrase not None):
    """``(test_function, ref_function, test_content, ref_content, test_function_matches,
    ref_function_matches, chunks)`` of the best alignment (per-stage tuples of 4), or None when
    a sentence has more than 64 words (``align.py`` aligns those). ``paraphrase``: the
    paraphrase matches ``(j, ln, i, mln)`` in the order ``align.py`` appends them: spans of
    the reference (``j``, ``ln`` words) and of the test (``i``, ``mln``), each inside its
    sentence and at least one word long."""
    cdef Py_ssize_t w1 = _words(test, "test"), w2 = _words(ref, "reference")
    if w1 > MAXW or w2 > MAXW:
        return None
    _check_paraphrase(paraphrase, w1, w2)
    cdef const int64_t* t = <const int64_t*><const char*>test
    cdef const int64_t* r = <const int64_t*><const char*>ref
    cdef int n1 = <int>t[0], n2 = <int>r[0]
    cdef const int64_t* h1 = t + 1
    cdef const int64_t* s1 = t + 1 + n1
    cdef const int64_t* f1 = t + 1 + 2 * n1
    cdef const int64_t* o1 = t + 1 + 3 * n1
    cdef const int64_t* y1 = o1 + n1 + 1
    cdef const int64_t* h2 = r + 1
    cdef const int64_t* s2 = r + 1 + n2
    cdef const int64_t* f2 = r + 1 + 2 * n2
    cdef const int64_t* o2 = r + 1 + 3 * n2
    cdef const int64_t* y2 = o2 + n2 + 1
    cdef int npar = len(paraphrase)
    cdef int cap = n1 * n2 * 3 + npar + 1
    cdef Match* raw = <Match*>malloc(cap * sizeof(Match))
    cdef Match* cand = <Match*>malloc(cap * sizeof(Match))
    cdef int* start = <int*>malloc((n2 + 1) * sizeof(int))
    cdef int nraw = 0
    cdef int i, j, k, q
    cdef bint same
    cdef tuple pm
    if raw == NULL or cand == NULL or start == NULL:
        free(raw)
        free(cand)
        free(start)
        raise MemoryError()
    try:
        for j in range(n2):
            for i in range(n1):
                if h1[i] == h2[j]:
                    raw[nraw] = Match(j, 1, i, 1, 0)
                    nraw += 1
        same = n1 == n2
        if same:
            for i in range(n1):
                if h1[i] != h2[i]:
                    same = False
                    break
        if not same:
            for j in range(n2):
                for i in range(n1):
                    if s1[i] == s2[j] and h1[i] != h2[j]:
                        raw[nraw] = Match(j, 1, i, 1, 1)
                        nraw += 1
            for j in range(n2):
                if o2[j + 1] > o2[j]:
                    for i in range(n1):
                        if h1[i] != h2[j] and _share(y1 + o1[i], <int>(o1[i + 1] - o1[i]),
                                                     y2 + o2[j], <int>(o2[j + 1] - o2[j])):
                            raw[nraw] = Match(j, 1, i, 1, 2)
                            nraw += 1
            for pm in paraphrase:
                raw[nraw] = Match(pm[0], pm[1], pm[2], pm[3], 3)
                nraw += 1
        # group by reference position, keeping each position's order (a counting sort)
        for j in range(n2 + 1):
            start[j] = 0
        for k in range(nraw):
            start[raw[k].j + 1] += 1
        for j in range(n2):
            start[j + 1] += start[j]
        for k in range(nraw):  # raw[k] goes after the earlier matches at its position
            cand[start[raw[k].j]] = raw[k]
            start[raw[k].j] += 1
        for j in range(n2, 0, -1):  # back to the first match of each position
            start[j] = start[j - 1]
        start[0] = 0
        return _best(cand, start, n1, n2, f1, f2)
    finally:
        free(raw)
        free(cand)
        free(start)


cdef tuple _best(Match* cand, int* start, int n1, int n2, const int64_t* f1, const int64_t* f2):
    cdef int cov1[MAXW]
    cdef int cov2[MAXW]
    cdef int fixed[MAXW]  # index into cand of the fixed match at a reference position, -1: none
    cdef int best[MAXW]
    cdef int i, j, k, m
    cdef uint64_t used1 = 0, used2 = 0
    cdef bint ok, all_fixed = True
    for i in range(n1):
        cov1[i] = 0
    for j in range(n2):
        cov2[j] = 0
        fixed[j] = -1
    for m in range(start[n2]):
        for k in range(cand[m].ln):
            cov2[cand[m].j + k] += 1
        for k in range(cand[m].mln):
            cov1[cand[m].i + k] += 1
    for j in range(n2):
        if start[j + 1] - start[j] == 1:
            m = start[j]
            ok = True
            for k in range(cand[m].ln):
                if cov2[j + k] != 1:
                    ok = False
            for k in range(cand[m].mln):
                if cov1[cand[m].i + k] != 1:
                    ok = False
            if ok:
                fixed[j] = m
                used2 |= _mask(j, cand[m].ln)
                used1 |= _mask(cand[m].i, cand[m].mln)
        if start[j + 1] > start[j] and fixed[j] == -1:
            all_fixed = False
    for j in range(n2):
        best[j] = fixed[j]
    if not all_fixed:
        _resolve(cand, start, n2, fixed, used1, used2, best)
    cdef int c1[4]
    cdef int c2[4]
    cdef int g1[4]
    cdef int g2[4]
    cdef int func1 = 0, func2 = 0
    cdef Match* mm
    for k in range(4):
        c1[k] = c2[k] = g1[k] = g2[k] = 0
    for i in range(n1):
        func1 += <int>f1[i]
    for j in range(n2):
        func2 += <int>f2[j]
    for j in range(n2):
        if best[j] != -1:
            mm = &cand[best[j]]
            for k in range(mm.mln):
                if f1[mm.i + k]:
                    g1[mm.mod] += 1
                else:
                    c1[mm.mod] += 1
            for k in range(mm.ln):
                if f2[mm.j + k]:
                    g2[mm.mod] += 1
                else:
                    c2[mm.mod] += 1
    # chunks, as the jar counts them over the best path
    cdef int chunks = 0, idx = 0, last = -1
    while idx < n2:
        if best[idx] == -1:
            if last != -1:
                chunks += 1
                last = -1
            idx += 1
        else:
            mm = &cand[best[idx]]
            if last != -1 and mm.i != last:
                chunks += 1
            idx = mm.j + mm.ln
            last = mm.i + mm.mln
    chunks += last != -1
    return (func1, func2, (c1[0], c1[1], c1[2], c1[3]), (c2[0], c2[1], c2[2], c2[3]),
            (g1[0], g1[1], g1[2], g1[3]), (g2[0], g2[1], g2[2], g2[3]), chunks)


cdef int _resolve(Match* cand, int* start, int n, int* fixed, uint64_t used1, uint64_t used2,
                  int* best) except -1:
    """The jar's beam search (see ``align._resolve``); writes the best path's matches."""
    cdef Buf cur
    cdef Buf nxt
    cdef Buf tmp
    cdef Arena arena
    cdef Path init
    cdef Path p
    cdef Path* path
    cdef Match* m
    cdef int current, b, nbeam, k, node
    cdef uint64_t bit, k1, k2, u1, u2
    cdef int last
    cur = Buf(NULL, 0, 0)
    nxt = Buf(NULL, 0, 0)
    arena = Arena(NULL, 0, 0)
    try:
        init = Path(0, 0, 0, 0, -1, used1, used2, -1, 0)
        _push(&cur, &init)
        for current in range(n + 1):
            _sort(&cur)
            nbeam = cur.n if cur.n < BEAM else BEAM
            if current == n:
                for b in range(nbeam):
                    if cur.paths[b].last != -1:
                        cur.paths[b].chunks += 1
                cur.n = nbeam
                break
            nxt.n = 0
            bit = <uint64_t>1 << current
            for b in range(nbeam):
                path = &cur.paths[b]
                if path.used2 & bit:
                    if current < path.idx:
                        _push(&nxt, path)
                    elif fixed[path.idx] != -1:
                        m = &cand[fixed[path.idx]]
                        path.neg -= _gain(m)
                        if path.last != -1 and m.i != path.last:
                            path.chunks += 1
                        path.idx = m.j + m.ln
                        path.last = m.i + m.mln
                        path.dist += abs(m.j - m.i)
                        _push(&nxt, path)
                    continue
                u1 = path.used1
                u2 = path.used2
                last = path.last
                for k in range(start[current], start[current + 1]):
                    m = &cand[k]
                    k2 = _mask(m.j, m.ln)
                    k1 = _mask(m.i, m.mln)
                    if (u2 & k2) or (u1 & k1):
                        continue
                    memcpy(&p, path, sizeof(Path))
                    p.chosen = _node(&arena, k, path.chosen)
                    p.neg -= _gain(m)
                    if last != -1 and m.i != last:
                        p.chunks += 1
                    p.idx = m.j + m.ln
                    p.last = m.i + m.mln
                    p.used1 = u1 | k1
                    p.used2 = u2 | k2
                    path.dist += abs(m.j - m.i)  # sic: the jar adds the distance to the parent
                    _push(&nxt, &p)
                if last != -1:
                    path.chunks += 1
                    path.last = -1
                path.idx += 1
                _push(&nxt, path)
            if nxt.n == 0:
                _push(&nxt, &cur.paths[0])
            tmp = cur
            cur = nxt
            nxt = tmp
        _sort(&cur)
        node = cur.paths[0].chosen
        while node != -1:
            k = arena.nodes[node].match
            best[cand[k].j] = k
            node = arena.nodes[node].parent
    finally:
        free(cur.paths)
        free(nxt.paths)
        free(arena.nodes)
    return 0
