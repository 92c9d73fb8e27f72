"""Caption preprocessing of the reference evaluators: non-ASCII to space, then the PTB tokenizer.

:func:`ptb_tokenize` runs pycocoevalcap's Stanford PTBTokenizer jar once for any number of
captions (one per line, ``-preserveLines -lowerCase``) and drops the same punctuation tokens as
``pycocoevalcap.tokenizer.ptbtokenizer.PTBTokenizer``.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from evaluation.javaproc import JavaScorerError, popen_java
from evaluation.javatools import PTB_JAR, jar_path

log = logging.getLogger(__name__)

#: Characters the PTB tokenizer would read as line breaks; replaced by spaces before tokenising
#: (pycocoevalcap replaces only "\n", and a caption holding one of these shifts every later line).
_LINE_BREAKS = str.maketrans({"\n": " ", "\r": " ", "\x0b": " ", "\x0c": " "})
_SENTINEL = "compmo-end-of-batch"


def remove_nonascii(text: str) -> str:
    """Every character with code point >= 128 becomes a space (as the references do)."""
    if text.isascii():
        return text
    return "".join(c if ord(c) < 128 else " " for c in text)


def _punctuations() -> frozenset[str]:
    from pycocoevalcap.tokenizer.ptbtokenizer import PUNCTUATIONS

    return frozenset(PUNCTUATIONS)


def _context_key(line: str) -> str:
    """What the PTB tokenizer's look-ahead sees of a line: its leading blanks and first character."""
    body = line.lstrip(" \t")
    return line[: len(line) - len(body) + 1]


def context_free_order(lines: list[str]) -> tuple[list[str], list[int]]:
    """Arrange ``lines`` so that each is followed by a line starting exactly as it does.

    The PTB tokenizer splits a final abbreviation-like token ("capital T.") into ``t .`` or keeps
    ``t.`` depending on how the *next* line starts (upper-case letter or not). Grouping lines by
    :func:`_context_key`, and closing each group with a copy of its first line, makes every
    caption's tokens those it gets when followed by itself: independent of the other captions in
    the call. Returns the lines to tokenise and, for each input line, its position there.
    """
    groups: dict[str, list[int]] = {}
    for k, line in enumerate(lines):
        groups.setdefault(_context_key(line), []).append(k)
    order: list[str] = []
    where = [0] * len(lines)
    for members in groups.values():
        for k in members:
            where[k] = len(order)
            order.append(lines[k])
        order.append(lines[members[0]])  # the last member's successor; its tokens are discarded
    return order, where


#: Captions whose tokens can depend on the next line: they end in a single letter, a dotted
#: acronym, a short capitalised word or a lower-case abbreviation the tokenizer knows, then ".".
_CONTEXT_CANDIDATE = re.compile(
    r"(?:^|[^A-Za-z0-9.])([A-Za-z]|[A-Za-z]+(?:\.[A-Za-z]+)+|[A-Z][A-Za-z]{0,4}"
    r"|etc|inc|co|corp|al|jr|sr|ltd)\.[\s'\"`)\]}]*$"
)
_UPPER_START = re.compile(r"[ \t]*[A-Z]")


def starts_upper(line: str) -> bool:
    """Whether the tokenizer's look-ahead sees an upper-case letter at the start of ``line``."""
    return _UPPER_START.match(line) is not None


def ptb_tokenize(captions: Iterable[str], *, progress: bool = False) -> dict[str, str]:
    """Tokenise distinct captions with one Java call: ``{caption: "tokens joined by spaces"}``.

    ``captions`` are used as given (apply :func:`remove_nonascii` first, as the references do).
    The tokenizer's output is read line by line as it comes (a progress bar with ``progress``).
    Each caption is tokenised as if the next line of the tokenizer's input were the caption itself
    (see :func:`context_free_order` and README.md, "Real dense-captioning data").
    """
    return ptb_tokenize_in_context(captions, progress=progress)[0]


def ptb_tokenize_in_context(
    captions: Iterable[str], *, progress: bool = False
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """:func:`ptb_tokenize`, plus each caption whose tokens depend on the next line of the
    tokenizer's input: ``{caption: (tokens before an upper-case line, tokens before any other)}``
    (only the captions where the two differ; e.g. "... a capital T." gives ``t`` or ``t.``)."""
    from tqdm import tqdm

    distinct = list(dict.fromkeys(captions))
    if not distinct:
        return {}, {}
    doc = context_document(distinct)
    lines = doc.lines
    fd, name = tempfile.mkstemp(prefix="compmo-ptb-", suffix=".txt")
    out: list[str] = []
    try:
        with os.fdopen(fd, "wb") as f:
            f.write("\n".join(lines).encode())
        with tempfile.TemporaryFile() as err:
            cmd = ["-cp", PTB_JAR, "edu.stanford.nlp.process.PTBTokenizer"]
            proc = popen_java(
                [*cmd, "-preserveLines", "-lowerCase", name],
                cwd=jar_path(PTB_JAR).parent,
                stderr=err,
                stdin=False,
            )
            assert proc.stdout is not None
            with (
                proc.stdout,
                tqdm(
                    total=len(lines), unit="caption", desc="tokenising", disable=not progress
                ) as bar,
            ):
                for raw in proc.stdout:
                    out.append(raw.decode().rstrip("\n"))
                    bar.update(1)
            code = proc.wait()
            err.seek(0)
            tail = err.read().decode(errors="replace").strip()[-300:]
    finally:
        os.unlink(name)
    if code != 0 or len(out) < len(lines) or out[len(lines) - 1].strip() != _SENTINEL:
        raise JavaScorerError(f"PTB tokenizer failed (exit {code}): {tail}")

    return doc.read(out)


@dataclass(frozen=True)
class ContextDocument:
    """The tokenizer's input for :func:`ptb_tokenize_in_context` and how to read its output.

    Each caption sits in a group of captions starting like it (so its tokens do not depend on
    the other captions), and every caption that may be context-dependent is tokenized once more
    before an upper-case line and once before a lower-case one. The same document serves the
    jar and :mod:`evaluation.ptb`.
    """

    distinct: list[str]
    lines: list[str]
    where: list[int]
    candidates: list[int]
    first_candidate: int

    def read(self, out: list[str]) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
        """(tokens per caption, context variants) from the tokenizer's output lines."""
        punct = _punctuations()

        def tokens(k: int) -> str:
            return " ".join(w for w in out[k].rstrip().split(" ") if w not in punct)

        variants = {}
        first = self.first_candidate
        for n, k in enumerate(self.candidates):
            upper, other = tokens(first + 4 * n), tokens(first + 4 * n + 2)
            if upper != other:
                variants[self.distinct[k]] = (upper, other)
        pairs = zip(self.distinct, self.where, strict=True)
        return {cap: tokens(k) for cap, k in pairs}, variants


def context_document(distinct: list[str]) -> ContextDocument:
    """The lines :func:`ptb_tokenize_in_context` gives the tokenizer for ``distinct`` captions."""
    clean = [c.translate(_LINE_BREAKS) for c in distinct]
    ordered, where = context_free_order(clean)
    candidates = [k for k, c in enumerate(clean) if _CONTEXT_CANDIDATE.search(c)]
    first_candidate = len(ordered)
    for k in candidates:
        ordered += [clean[k], "A", clean[k], "a"]
    return ContextDocument(distinct, ordered + [_SENTINEL], where, candidates, first_candidate)
