# cython: language_level=3, boundscheck=False, wraparound=False
"""Per-sentence work of the METEOR aligner in C: the packed keys ``_calign.counts`` reads, and the
walk of the paraphrase tries (``align.Aligner._paraphrase_spans``, the same code compiled).

Optional like ``_calign`` (built at install time; ``align.py`` has the Python twins, tested equal).
"""

from array import array


def pack(hashes, stems, functions, synsets) -> bytes:
    """One sentence for :func:`counts`: n, then per word its hash, stem hash and function flag,
    then the offsets and the ids of the words' synsets (each word's sorted; all 64-bit)."""
    head = [len(hashes)]
    head += [h & 0xFFFFFFFF for h in hashes]
    head += [s & 0xFFFFFFFF for s in stems]
    head += [1 if f else 0 for f in functions]
    flat = []
    offsets = [0]
    for s in synsets:
        flat += s
        offsets.append(len(flat))
    return array("q", head + offsets + flat).tobytes()


def walk(tuple words, dict src, dict tgt):
    """``align.Aligner._paraphrase_spans`` over the tries ``src`` and ``tgt``."""
    cdef Py_ssize_t n = len(words), i, k
    cdef list heads = []
    cdef dict ngrams = {}
    cdef dict level
    cdef tuple node
    for i in range(n):
        level = src
        for k in range(i, n):
            node = level.get(words[k])
            if node is None:
                break
            level = <dict>node[0]
            if node[2]:
                heads.append((i, k - i + 1, node[1]))
        level = tgt
        for k in range(i, n):
            node = level.get(words[k])
            if node is None:
                break
            level = <dict>node[0]
            got = ngrams.get(node[1])
            if got is None:
                ngrams[node[1]] = [i]
            else:
                (<list>got).append(i)
    return heads, ngrams
