"""The Stanford PTB tokenizer as pycocoevalcap runs it, in Python (no Java).

pycocoevalcap writes one caption per line, runs CoreNLP 3.4.1's ``PTBTokenizer -preserveLines
-lowerCase`` over the whole file and drops its punctuation tokens. :func:`tokenize_lines` lexes the
same document with the grammar of :mod:`evaluation.ptb_rules` (longest match, trailing context
counted, earlier rule first), so the rules that look past the end of a line see the next lines as
the jar does: a caption ending in an initial or an abbreviation (``"capital T."``, ``"etc."``)
tokenizes differently when the next line starts with a capital letter or a sentence opener
(``"The ..."``). Lines holding only letters, digits and spaces take a shortcut with the same
result. Only ASCII is supported (the project turns every other character into a space first);
:class:`PTBUnsupported` says so otherwise.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence

from evaluation.ptb_rules import RULES

log = logging.getLogger(__name__)

#: What pycocoevalcap's PTBTokenizer drops from the jar's output.
PUNCTUATIONS = frozenset(
    ["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-",
     "--", "...", ";"]
)  # fmt: skip
_PLAIN = re.compile(r"[A-Za-z0-9 \t]*\Z")
_DIGIT_GAP = re.compile(r"[0-9][ \t]+[0-9]")
_ASSIMILATIONS = {"cannot": 3, "gonna": 2, "gotta": 2, "lemme": 2, "gimme": 2, "wanna": 2}
_AMP = re.compile("(?i:&amp;)")
_SHORTCUT = re.compile(r"(?:[ \t]+|[A-Za-z]+[ \t]+)+")


class PTBUnsupported(ValueError):
    """Text the native tokenizer does not handle (non-ASCII); use the jar for it."""


@functools.cache
def _compiled() -> list:
    """The rules as compiled patterns (POSIX: each finds its longest match), with their actions."""
    import regex

    rules = []
    for token, trail, action in RULES:
        pattern = f"(?P<t>{token})" + (f"(?:{trail})" if trail else "")
        rules.append((regex.compile(pattern, regex.POSIX), action))
    return rules


@functools.cache
def _starts(c: int) -> list[int]:
    """The rules that can match text starting with ASCII character ``c``."""
    return [k for k, (p, _) in enumerate(_compiled()) if p.match(chr(c), partial=True)]


_HEAD = re.compile(r"[A-Za-z0-9]*")
_CANDIDATES: dict[str, tuple[int, ...]] = {}


def _candidates(window: str, pos: int) -> tuple[int, ...]:
    """The rules that can match at ``pos``: those a prefix of the text there (its letters and
    digits and the next two characters) can begin. A rule that matches the whole text matches
    (or, cut short, partially matches) each of its prefixes, so none is left out."""
    head = window[pos : _HEAD.match(window, pos).end() + 2]  # type: ignore[union-attr]
    got = _CANDIDATES.get(head)
    if got is None:
        if len(_CANDIDATES) > 100_000:
            _CANDIDATES.clear()
        rules = _compiled()
        got = _CANDIDATES[head] = tuple(
            k for k in _starts(ord(head[0])) if rules[k][0].match(head, partial=True)
        )
    return got


def _latex_quotes(tok: str, left: bool) -> str:
    """LaTeX quotes; the jar rewrites the entities ``&apos;``/``&quot;`` in lower case only
    (``&APOS;`` stays as it is: found by differential fuzzing, scripts/ptb_rule_fuzz.py)."""
    tok = re.sub("&apos;|'", "`" if left else "'", tok)
    return re.sub('"|&quot;', "``" if left else "''", tok)


def _parens(tok: str) -> str:
    return tok.replace("(", "-LRB-").replace(")", "-RRB-")


def _action(action: str, text: str) -> tuple[str | None, int]:
    """(token or None, characters consumed) for a rule's action on its matched text."""
    n = len(text)
    if action == "text":
        return text, n
    if action == "skip" or action == "delete":
        return None, n
    if action in ("back3", "back2"):
        k = 3 if action == "back3" else 2
        return text[: n - k], n - k
    if action == "acronym_final":
        return (text[:1], 1) if n == 2 else (text, n - 1)
    if action == "abbrev_final":
        return text, n - 1
    if action in ("sgml", "frac"):
        return text.replace(" ", "\u00a0"), n
    if action == "phone":
        return _parens(text.replace(" ", "\u00a0")), n
    if action == "parens":
        return _parens(text), n
    if action == "amp":
        return _AMP.sub("&", text), n
    if action == "mdash":
        return "--", n
    if action == "quote_left":
        return _latex_quotes(text, True), n
    if action == "quote_right":
        return _latex_quotes(text, False), n
    if action == "hyphens":
        return ("--" if 3 <= n <= 4 else text), n
    if action == "lt":
        return "<", n
    if action == "gt":
        return ">", n
    return action, n  # a fixed token: -LRB-, ..., "..."


def _lex_line(window: str, end: int) -> list[str]:
    """Tokens of ``window[:end]`` (one line), the rest of ``window`` being lookahead only."""
    rules = _compiled()
    out: list[str] = []
    pos = 0
    while pos < end:
        m = _SHORTCUT.match(window, pos)
        if m is not None:  # spaces, and letters-only words before a space: no rule differs
            for word in m.group().split():
                k = _ASSIMILATIONS.get(word.lower())
                out += (word,) if k is None else (word[:-k], word[-k:])
            pos = m.end()
            continue
        c = ord(window[pos])
        if c >= 128:
            raise PTBUnsupported(f"non-ASCII character U+{c:04X}")
        best, best_len, best_tok = -1, -1, 0
        for k in _candidates(window, pos):
            m = rules[k][0].match(window, pos)
            if m is not None and m.end() - pos > best_len:
                best, best_len, best_tok = k, m.end() - pos, m.end("t") - pos
        text = window[pos : pos + best_tok]
        token, used = _action(rules[best][1], text)
        if pos + best_tok > end:
            raise PTBUnsupported("a token runs past the end of its line")
        if rules[best][1] == "delete":
            log.debug("untokenizable character U+%04X deleted (as the jar does)", c)
        if token is not None and rules[best][1] != "newline":
            out.append(token)
        pos += used
    return out


def _plain(line: str) -> list[str] | None:
    """Tokens of a letters/digits/spaces line (no phone numbers), else None."""
    if not _PLAIN.match(line) or _DIGIT_GAP.search(line):
        return None
    out = []
    for w in line.split():
        k = _ASSIMILATIONS.get(w.lower())
        if k is None:
            out.append(w)
        else:
            out += (w[:-k], w[-k:])
    return out


def tokenize_lines(lines: Sequence[str]) -> list[list[str]]:
    """The jar's tokens (original case) of each line of the document ``"\\n".join(lines)``."""
    n = len(lines)
    out = []
    for i, line in enumerate(lines):
        plain = _plain(line)
        if plain is not None:
            out.append(plain)
            continue
        j = i + 1
        while j < n and not lines[j].strip(" \t"):
            j += 1
        window = "\n".join([line, *lines[i + 1 : min(n, j + 2)]])
        out.append(_lex_line(window, len(line)))
    return out


def coco_tokens(tokens: Iterable[str]) -> str:
    """pycocoevalcap's view of one output line: lower case, punctuation tokens dropped."""
    line = " ".join(t.lower() for t in tokens).rstrip()
    return " ".join(w for w in line.split(" ") if w not in PUNCTUATIONS)


def ptb_tokenize_in_context_native(
    captions: Iterable[str],
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """:func:`evaluation.text.ptb_tokenize_in_context` without Java: the same input document
    (:func:`evaluation.text.context_document`), tokenized here, read the same way. (Splitting a
    long document over two processes gained 3 % on ActivityNet and nothing on DEMO's release,
    ``results/eval_tricks_ab.md``: removed.)"""
    from evaluation.text import context_document

    distinct = list(dict.fromkeys(captions))
    if not distinct:
        return {}, {}
    doc = context_document(distinct)
    toks = tokenize_lines(doc.lines)
    return doc.read([" ".join(t.lower() for t in line) for line in toks])


def ptb_tokenize_native(captions: Iterable[str]) -> dict[str, str]:
    """:func:`evaluation.text.ptb_tokenize` without Java (tokens only)."""
    return ptb_tokenize_in_context_native(captions)[0]
