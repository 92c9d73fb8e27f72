# Argument checks of ``_calign.counts`` (included there): every packed sentence and paraphrase
# match is checked before the unchecked loops index 64-word stack buffers with them.

cdef Py_ssize_t _words(bytes packed, str name) except -1:
    """The word count of a packed sentence (``_csentence.info``'s layout), checked: int64 n, n
    hashes, n stems, n function flags (0/1), n + 1 non-decreasing offsets from 0 to the number
    of synset ids that follow. Above 64 words only the count is read (the caller falls back)."""
    cdef Py_ssize_t size = len(packed), words, n, i
    cdef const int64_t* p = <const int64_t*><const char*>packed
    if size % 8 or size < 16:
        raise ValueError(f"{name}: packed sentence of {size} bytes")
    words = size // 8
    n = p[0] if 0 <= p[0] <= words else -1
    if n < 0:
        raise ValueError(f"{name}: bad word count {p[0]}")
    if n > MAXW:
        return n
    if words < 2 + 4 * n:
        raise ValueError(f"{name}: packed sentence shorter than its {n} words")
    for i in range(n):
        if p[1 + 2 * n + i] != 0 and p[1 + 2 * n + i] != 1:
            raise ValueError(f"{name}: function flag of word {i} is not 0 or 1")
    if p[1 + 3 * n] != 0 or p[1 + 4 * n] != words - (2 + 4 * n):
        raise ValueError(f"{name}: synset offsets do not match its length")
    for i in range(n):
        if p[2 + 3 * n + i] < p[1 + 3 * n + i]:
            raise ValueError(f"{name}: synset offsets decrease at word {i}")
    return n


cdef int _check_paraphrase(list paraphrase, Py_ssize_t w1, Py_ssize_t w2) except -1:
    """Each match a 4-tuple of ints ``(j, ln, i, mln)`` whose spans lie inside the sentences."""
    cdef object item
    for item in paraphrase:
        if type(item) is not tuple or len(<tuple>item) != 4:
            raise TypeError(f"paraphrase match {item!r}: expected a tuple (j, ln, i, mln)")
        j0, l0, i0, m0 = <tuple>item
        if not (isinstance(j0, int) and isinstance(l0, int) and isinstance(i0, int)
                and isinstance(m0, int)):
            raise TypeError(f"paraphrase match {item!r}: expected four ints")
        if not (0 <= j0 and 1 <= l0 and j0 + l0 <= w2 and 0 <= i0 and 1 <= m0 and i0 + m0 <= w1):
            raise ValueError(
                f"paraphrase match {item!r} outside the sentences ({w1} test, {w2} reference words)"
            )
    return 0
