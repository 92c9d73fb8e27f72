# cython: language_level=3, boundscheck=True, wraparound=False
"""Per-sentence work of the METEOR aligner in C: the packed keys ``_calign.counts`` reads, and the
walk of the paraphrase tries (``align.Aligner._paraphrase_spans``, the same code compiled).

Optional like ``_calign`` (built at install time; ``align.py`` has the Python twins, tested equal).

Everything here works on Python objects, so indexing is bounds-checked and every cast of a
caller's object is a checked one (``<dict?>``): a malformed trie, key tuple, span or entry raises
``TypeError``/``ValueError``/``IndexError``, never reads out of bounds. The spans and n-grams it
returns are checked again by ``_calign.counts`` before its unchecked loops use them.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport int64_t


cdef inline tuple _trie_node(object node):
    """A trie node ``(children, number, is_phrase)``, checked."""
    if type(node) is not tuple or len(<tuple>node) < 3 or type((<tuple>node)[0]) is not dict:
        raise TypeError(f"paraphrase trie node {node!r}: expected (dict, number, flag)")
    return <tuple>node


def walk(tuple words not None, dict src not None, dict tgt not None):
    """``align.Aligner._paraphrase_spans`` over the tries ``src`` and ``tgt``."""
    cdef Py_ssize_t n = len(words), i, k
    cdef list heads = []
    cdef dict ngrams = {}
    cdef dict level
    cdef tuple node
    for i in range(n):
        level = src
        for k in range(i, n):
            got = level.get(words[k])
            if got is None:
                break
            node = _trie_node(got)
            level = <dict>node[0]
            if node[2]:
                heads.append((i, k - i + 1, node[1]))
        level = tgt
        for k in range(i, n):
            got = level.get(words[k])
            if got is None:
                break
            node = _trie_node(got)
            level = <dict>node[0]
            got = ngrams.get(node[1])
            if got is None:
                ngrams[node[1]] = [i]
            else:
                (<list>got).append(i)
    return heads, ngrams


def info(tuple words not None, dict keys not None, make, dict src not None, dict tgt not None,
         dict entries not None):
    """``align.Aligner._new_info``: for a sentence not seen before, in one call, the word keys
    (``keys[word]``, else ``make(word)``: hash, stem hash, synsets, function word?, sorted
    synsets) as four lists, the packed form ``_calign.counts`` reads, :func:`walk`'s spans and
    n-grams, and the number of every paraphrase of the spans' phrases (the ``reach`` set).

    Packed: int64 n, then per word its hash and its stem hash (low 32 bits), its function flag,
    then n + 1 offsets into the synset ids that follow (each word's sorted)."""
    cdef Py_ssize_t n = len(words), i, j, m, total = 0, at
    cdef list hashes = [], stems = [], synsets = [], functions = [], ordered = []
    cdef tuple k, syn
    cdef int64_t* p
    for i in range(n):
        w = words[i]
        got = keys.get(w)
        k = <tuple?>(make(w) if got is None else got)
        if len(k) < 5 or type(k[4]) is not tuple:
            raise TypeError(f"word key of {w!r}: expected (hash, stem, synsets, function, "
                            "sorted synset ids)")
        hashes.append(k[0])
        stems.append(k[1])
        synsets.append(k[2])
        functions.append(k[3])
        ordered.append(k[4])
        total += len(<tuple>k[4])
    packed = PyBytes_FromStringAndSize(NULL, (2 + 4 * n + total) * 8)
    p = <int64_t*>PyBytes_AS_STRING(packed)
    p[0] = n
    for i in range(n):
        p[1 + i] = <int64_t>(<long long>hashes[i] & 0xFFFFFFFF)
        p[1 + n + i] = <int64_t>(<long long>stems[i] & 0xFFFFFFFF)
        p[1 + 2 * n + i] = 1 if functions[i] else 0
    at = 1 + 4 * n + 1  # the synset ids follow the n + 1 offsets
    p[1 + 3 * n] = 0
    for i in range(n):
        syn = <tuple>ordered[i]
        m = len(syn)
        for j in range(m):
            p[at + j] = <int64_t>syn[j]
        at += m
        p[2 + 3 * n + i] = at - (2 + 4 * n)
    heads, ngrams = walk(words, src, tgt)
    reach = set()
    for head in <list>heads:
        reach.update(<dict?>entries[(<tuple>head)[2]])
    return hashes, stems, synsets, functions, packed, heads, ngrams, reach


cdef int _directed(list out, list spans, dict ngrams, dict entries, list lengths,
                   bint swap) except -1:
    """``align._directed`` into ``out`` (each match reversed when ``swap``)."""
    cdef dict pars
    cdef list found
    cdef tuple span
    cdef Py_ssize_t start, length, k, at
    for item in spans:
        span = <tuple?>item
        pars = <dict?>entries[span[2]]
        found = []
        if len(pars) <= len(ngrams):
            for p, numbers in pars.items():
                if p in ngrams:
                    for e in <list?>numbers:
                        found.append((e, p))
        else:
            for p in ngrams:
                numbers = pars.get(p)
                if numbers is not None:
                    for e in <list?>numbers:
                        found.append((e, p))
        if not found:
            continue
        found.sort()  # entry numbers are distinct: by entry
        start, length = span[0], span[1]
        for _, p in found:
            at = <Py_ssize_t>p
            if at < 0 or at >= len(lengths):
                raise ValueError(f"paraphrase n-gram {p!r} has no length (of {len(lengths)})")
            k = lengths[at]
            for other in <list?>ngrams[p]:
                if swap:
                    out.append((other, k, start, length))
                else:
                    out.append((start, length, other, k))
    return 0


def paraphrase_matches(a, b, dict entries not None, list lengths not None):
    """``align.Aligner._paraphrase_matches`` (``a``, ``b``: the test's and the reference's
    ``_Sentence``; ``entries``, ``lengths``: ``align._Grams``'s)."""
    cdef list out = []
    for x in (a, b):
        if type(x.ngrams) is not dict or type(x.spans) is not list:
            raise TypeError("paraphrase_matches: a sentence needs a dict of n-grams and a list "
                            "of spans")
    if not b.reach.isdisjoint(a.ngrams):
        _directed(out, b.spans, a.ngrams, entries, lengths, False)
    if not a.reach.isdisjoint(b.ngrams):
        _directed(out, a.spans, b.ngrams, entries, lengths, True)
    return out
