"""Caption preprocessing of the reference evaluators: non-ASCII to space, then the PTB tokenizer.

:func:`ptb_tokenize` runs pycocoevalcap's Stanford PTBTokenizer jar once for any number of
captions (one per line, ``-preserveLines -lowerCase``) and drops the same punctuation tokens as
``pycocoevalcap.tokenizer.ptbtokenizer.PTBTokenizer``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Iterable

from evaluation.javatools import PTB_JAR, jar_path, java_executable

log = logging.getLogger(__name__)

#: Characters the PTB tokenizer would read as line breaks; replaced by spaces before tokenising
#: (pycocoevalcap replaces only "\n", and a caption holding one of these shifts every later line).
_LINE_BREAKS = str.maketrans({"\n": " ", "\r": " ", "\x0b": " ", "\x0c": " "})
_SENTINEL = "compmo-end-of-batch"


def remove_nonascii(text: str) -> str:
    """Every character with code point >= 128 becomes a space (as the references do)."""
    return "".join(c if ord(c) < 128 else " " for c in text)


def _punctuations() -> frozenset[str]:
    from pycocoevalcap.tokenizer.ptbtokenizer import PUNCTUATIONS

    return frozenset(PUNCTUATIONS)


def line_document(distinct: list[str]) -> list[str]:
    """The tokenizer's input lines: one per caption (line breaks made spaces), then a sentinel."""
    return [c.translate(_LINE_BREAKS) for c in distinct] + [_SENTINEL]


def ptb_tokenize(captions: Iterable[str], *, progress: bool = False) -> dict[str, str]:
    """Tokenise distinct captions with one Java call: ``{caption: "tokens joined by spaces"}``.

    ``captions`` are used as given (apply :func:`remove_nonascii` first, as the references do).
    The tokenizer's output is read line by line as it comes (a progress bar with ``progress``).
    """
    from tqdm import tqdm

    distinct = list(dict.fromkeys(captions))
    if not distinct:
        return {}
    lines = line_document(distinct)
    punct = _punctuations()
    fd, name = tempfile.mkstemp(prefix="compmo-ptb-", suffix=".txt")
    out: list[str] = []
    try:
        with os.fdopen(fd, "wb") as f:
            f.write("\n".join(lines).encode())
        with tempfile.TemporaryFile() as err:
            cmd = [java_executable(), "-cp", PTB_JAR, "edu.stanford.nlp.process.PTBTokenizer"]
            proc = subprocess.Popen(
                [*cmd, "-preserveLines", "-lowerCase", name],
                cwd=jar_path(PTB_JAR).parent,
                stdout=subprocess.PIPE,
                stderr=err,
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
        raise RuntimeError(f"PTB tokenizer failed (exit {code}): {tail}")
    return {
        cap: " ".join(w for w in line.rstrip().split(" ") if w not in punct)
        for cap, line in zip(distinct, out, strict=False)
    }
