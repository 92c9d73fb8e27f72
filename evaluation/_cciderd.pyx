# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""BLEU counts and CIDEr-D in C: the operations of ``captions.py``/``ciderd.py``, in their order.

Compiled when compmo is installed (optional: without a C compiler the Python code does all of it;
tests compare the two and pycocoevalcap). :class:`Interner` packs a sentence: per order (1-4) the
number of distinct n-grams, the bigram count, then per order (id, count) of each n-gram in
``precook``'s insertion order (first occurrence), ids shared by every sentence packed.
Squares go through libm's ``pow`` with an exponent passed at run time (as Python's ``x ** 2``;
a compiler folds ``pow(x, 2.0)`` into ``x * x``, which differs in the last bit now and then).

Bounds checks are off in the loops; every entry point first checks its arguments (types, packed
layout, n-gram ids against the scratch arrays, lengths: ``TypeError``/``ValueError``), so the
loops only ever index what those checks have proven in range.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.math cimport pow, sqrt
from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, malloc


cdef inline Py_ssize_t _slot(int64_t key, Py_ssize_t cap) noexcept nogil:
    cdef uint64_t h = <uint64_t>key * <uint64_t>0x9E3779B97F4A7C15  # Fibonacci hashing
    return <Py_ssize_t>((h ^ (h >> 29)) & <uint64_t>(cap - 1))


cdef class Interner:
    """Word and n-gram ids; an n-gram's id is keyed by its prefix's id and its last word's
    (an open-addressing table of those 64-bit keys: no Python object per lookup)."""

    cdef dict words
    cdef int64_t* keys
    cdef int64_t* ids
    cdef Py_ssize_t cap, size

    def __cinit__(self):
        self.words = {}
        self.cap = 0
        self.size = 0
        self.keys = NULL
        self.ids = NULL
        self._grow(1 << 16)

    def __dealloc__(self):
        free(self.keys)
        free(self.ids)

    def __len__(self):
        return self.size

    cdef int _grow(self, Py_ssize_t cap) except -1:
        cdef int64_t* old_keys = self.keys
        cdef int64_t* old_ids = self.ids
        cdef Py_ssize_t old_cap = self.cap, k, slot
        cdef int64_t* keys = <int64_t*>malloc(cap * sizeof(int64_t))
        cdef int64_t* ids = <int64_t*>malloc(cap * sizeof(int64_t))
        if keys == NULL or ids == NULL:
            free(keys)
            free(ids)
            raise MemoryError()
        for k in range(cap):
            keys[k] = -1
        for k in range(old_cap):
            if old_keys[k] != -1:
                slot = _slot(old_keys[k], cap)
                while keys[slot] != -1:
                    slot = (slot + 1) & (cap - 1)
                keys[slot] = old_keys[k]
                ids[slot] = old_ids[k]
        self.keys, self.ids, self.cap = keys, ids, cap
        free(old_keys)
        free(old_ids)
        return 0

    cdef int64_t _id(self, int64_t key) except -1:
        """The id of ``key`` (>= 0), a new one if it is new."""
        cdef Py_ssize_t slot
        if 2 * (self.size + 1) > self.cap:
            self._grow(2 * self.cap)
        slot = _slot(key, self.cap)
        while self.keys[slot] != -1:
            if self.keys[slot] == key:
                return self.ids[slot]
            slot = (slot + 1) & (self.cap - 1)
        self.keys[slot] = key
        self.ids[slot] = self.size
        self.size += 1
        return self.size - 1

    def pack(self, str sentence not None) -> bytes:
        """The packed form of ``sentence`` (split at whitespace, as ``precook``)."""
        cdef list words = sentence.split()
        cdef Py_ssize_t n = len(words), k, i, q, m, at = 5
        cdef int64_t* wid = <int64_t*>malloc((2 * n + 1) * sizeof(int64_t))
        cdef int64_t* out = <int64_t*>malloc((5 + 8 * n) * sizeof(int64_t))
        cdef int64_t* prev = wid + n
        cdef int64_t key, start
        cdef dict vocab = self.words
        if wid == NULL or out == NULL:
            free(wid)
            free(out)
            raise MemoryError()
        try:
            for i in range(n):
                got = vocab.get(words[i])
                if got is None:
                    got = vocab[words[i]] = len(vocab)
                wid[i] = got
                prev[i] = -1
            out[4] = n - 1 if n >= 2 else 0
            for k in range(1, 5):
                start = at
                m = 0
                for i in range(n - k + 1):
                    key = ((prev[i] + 1) << 32) | wid[i + k - 1]
                    prev[i] = self._id(key)
                    for q in range(m):  # (id, count) items of this order so far
                        if out[start + 2 * q] == prev[i]:
                            out[start + 2 * q + 1] += 1
                            break
                    else:
                        out[at] = prev[i]
                        out[at + 1] = 1
                        at += 2
                        m += 1
                out[k - 1] = m
            return PyBytes_FromStringAndSize(<char*>out, at * sizeof(int64_t))
        finally:
            free(wid)
            free(out)


cdef int _check_packed(object b, Py_ssize_t limit) except -1:
    """Raise unless ``b`` is a packed sentence (:meth:`Interner.pack`'s layout) whose n-gram ids
    are all below ``limit`` (the size of the arrays they index)."""
    cdef Py_ssize_t size, words, k, at = 5, n
    cdef const int64_t* s
    if type(b) is not bytes:
        raise TypeError(f"packed sentence: expected bytes, got {type(b).__name__}")
    size = len(<bytes>b)
    if size % 8 or size < 40:
        raise ValueError(f"packed sentence: {size} bytes (a multiple of 8, at least 40)")
    words = size // 8
    s = <const int64_t*><const char*><bytes>b
    for n in range(4):  # distinct n-grams per order (each an item of 2 values)
        if s[n] < 0 or s[n] > words:
            raise ValueError(f"packed sentence: bad header value {s[n]}")
    if s[4] < 0:  # the bigram count (words - 1): any size, only subtracted
        raise ValueError(f"packed sentence: bad bigram count {s[4]}")
    if 5 + 2 * (s[0] + s[1] + s[2] + s[3]) != words:
        raise ValueError("packed sentence: its length does not match its n-gram counts")
    for k in range(5, words, 2):
        if s[k] < 0 or s[k] >= limit:
            raise ValueError(f"packed sentence: n-gram id {s[k]} outside [0, {limit})")
    return 0


def clipped(bytes hyp not None, bytes ref not None, int64_t[::1] scratch not None):
    """BLEU's clipped n-gram matches per order (``scratch``: zeros, size >= n-gram ids)."""
    _check_packed(hyp, scratch.shape[0])
    _check_packed(ref, scratch.shape[0])
    cdef const int64_t* h = <const int64_t*><const char*>hyp
    cdef const int64_t* r = <const int64_t*><const char*>ref
    cdef const int64_t* items
    cdef const int64_t* ritems
    cdef int n, k, size, rsize
    cdef int64_t c, x
    cdef int64_t correct[4]
    for n in range(4):
        ritems = _order(r, n, &rsize)
        for k in range(rsize):
            scratch[ritems[2 * k]] = ritems[2 * k + 1]
        items = _order(h, n, &size)
        correct[n] = 0
        for k in range(size):
            x = scratch[items[2 * k]]
            if x:
                c = items[2 * k + 1]
                correct[n] += x if x < c else c
        for k in range(rsize):
            scratch[ritems[2 * k]] = 0
    return [correct[0], correct[1], correct[2], correct[3]]


cdef inline const int64_t* _order(const int64_t* s, int n, int* size) noexcept nogil:
    """Start and size of order ``n``'s (id, count) items of a packed sentence."""
    cdef const int64_t* p = s + 5
    cdef int k
    for k in range(n):
        p += 2 * s[k]
    size[0] = <int>s[n]
    return p


cdef void _norms(const int64_t* s, double* idf_of, double two, double* out) noexcept nogil:
    cdef int n, k, size
    cdef const int64_t* items
    cdef double acc, w
    for n in range(4):
        items = _order(s, n, &size)
        acc = 0.0
        for k in range(size):
            w = idf_of[items[2 * k]]
            acc += pow(<double>items[2 * k + 1] * w, two)
        out[n] = sqrt(acc)


def group_scores(list hyps not None, list refs not None, double[::1] logs not None,
                 double[::1] idf_of not None, int64_t[::1] df not None,
                 double[::1] ref_tf not None, double two, double e, double sigma2):
    """Per-pair CIDEr-D (x10) of the pairs ``zip(hyps, refs)`` (packed sentences).

    ``logs[k]``: NumPy's log of k (k = 1 .. len(pairs)); ``idf_of``, ``df``, ``ref_tf``:
    scratch arrays indexed by n-gram id, all zero on entry and on return except ``idf_of``.
    """
    if len(hyps) != len(refs):
        raise ValueError(f"group_scores: {len(hyps)} hypotheses but {len(refs)} references")
    if len(hyps) >= 2**31 - 1 or logs.shape[0] <= len(hyps):
        raise ValueError(f"group_scores: logs needs more than {len(hyps)} entries")
    cdef Py_ssize_t limit = min(idf_of.shape[0], df.shape[0], ref_tf.shape[0])
    for b in hyps:
        _check_packed(b, limit)
    for b in refs:
        _check_packed(b, limit)
    cdef Py_ssize_t nlogs = logs.shape[0]
    cdef int npairs = len(hyps)
    cdef int p, n, k, size, rsize
    cdef const int64_t* h
    cdef const int64_t* r
    cdef const int64_t* items
    cdef const int64_t* ritems
    cdef double ref_len = logs[npairs]
    cdef double nh[4]
    cdef double nr[4]
    cdef double val[4]
    cdef double acc, w, x, y, pen, d
    cdef int64_t g
    out = []
    _document_frequencies(refs, df, True)
    for p in range(npairs):  # idf of every n-gram of the group (else: ref_len)
        for b in (hyps[p], refs[p]):
            h = <const int64_t*><const char*>b
            for n in range(4):
                items = _order(h, n, &size)
                for k in range(size):
                    g = items[2 * k]
                    if df[g] >= nlogs:  # df was not zero on entry
                        _document_frequencies(refs, df, False)
                        raise ValueError("group_scores: df must be zero on entry")
                    idf_of[g] = ref_len - logs[df[g]] if df[g] > 0 else ref_len
    for p in range(npairs):
        hb, rb = hyps[p], refs[p]
        h = <const int64_t*><const char*>hb
        r = <const int64_t*><const char*>rb
        _norms(h, &idf_of[0], two, nh)
        _norms(r, &idf_of[0], two, nr)
        d = <double>(h[4] - r[4])
        pen = pow(e, -pow(d, two) / sigma2)
        for n in range(4):
            ritems = _order(r, n, &rsize)
            for k in range(rsize):
                ref_tf[ritems[2 * k]] = <double>ritems[2 * k + 1]
            items = _order(h, n, &size)
            acc = 0.0
            for k in range(size):
                g = items[2 * k]
                if ref_tf[g] != 0.0:
                    w = idf_of[g]
                    x = <double>items[2 * k + 1] * w
                    y = ref_tf[g] * w
                    acc += (y if y < x else x) * y
            for k in range(rsize):
                ref_tf[ritems[2 * k]] = 0.0
            if nh[n] != 0 and nr[n] != 0:
                acc /= nh[n] * nr[n]
            val[n] = acc * pen
        out.append((((val[0] + val[1]) + val[2]) + val[3]) / 4 / 1 * 10.0)
    _document_frequencies(refs, df, False)
    return out


cdef void _document_frequencies(list refs, int64_t[::1] df, bint count):
    """Add the references' n-grams to ``df`` (``count``), or zero their entries again."""
    cdef const int64_t* r
    cdef const int64_t* items
    cdef int n, k, size
    for b in refs:
        r = <const int64_t*><const char*>b
        for n in range(4):
            items = _order(r, n, &size)
            for k in range(size):
                if count:
                    df[items[2 * k]] += 1
                else:
                    df[items[2 * k]] = 0
