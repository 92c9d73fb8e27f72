"""Which implementation tokenizes captions and scores METEOR: ``native`` (Python) or ``java``.

``native`` (the default for both) gives the jars' numbers without Java: the PTB tokenizer of
:mod:`evaluation.ptb` and METEOR 1.5 of :mod:`evaluation.meteor_native`, each compared with the
jar on every DEMO release caption and pair (``scripts/native_parity.py``, results/native_parity.md).
``java`` runs pycocoevalcap's jars (:mod:`evaluation.text`, :mod:`evaluation.meteor`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

CHOICES = ("native", "java")
DEFAULT_TOKENIZER = "native"
DEFAULT_METEOR = "native"


def tokenize_in_context(
    captions: Iterable[str], kind: str, *, progress: bool = False
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """:func:`evaluation.text.ptb_tokenize_in_context` by ``kind`` (tokens, context variants)."""
    if kind == "native":
        from evaluation.ptb import PTBUnsupported, ptb_tokenize_in_context_native

        try:
            return ptb_tokenize_in_context_native(captions)
        except PTBUnsupported as exc:
            from compmo_gen.core.errors import PrerequisiteError

            raise PrerequisiteError(f"native PTB tokenizer: {exc} (use --tokenizer java)") from None
    from evaluation.text import ptb_tokenize_in_context

    return ptb_tokenize_in_context(captions, progress=progress)


def tokenize(captions: Iterable[str], kind: str, *, progress: bool = False) -> dict[str, str]:
    """``{caption: tokens}`` with pycocoevalcap's PTB tokenization, by ``kind``."""
    return tokenize_in_context(captions, kind, progress=progress)[0]


def open_meteor(kind: str, jobs: int, large: bool = False, guard: bool = True) -> Any:
    """A started METEOR backend (``stats``, ``evaluate``, ``close``, ``description``).

    ``large``: a large evaluation is coming; the native backend then starts its worker processes
    at once (they load while the inputs are read and tokenised). ``guard`` (java): pairs too long
    for the JVM go to the native scorer (:mod:`evaluation.limits`); off: the jar scores all."""
    if kind == "native":
        from evaluation.meteor_native import NativeMeteor

        return NativeMeteor(jobs, prestart=large)
    from evaluation.limits import GuardedMeteor
    from evaluation.meteor_driver import open_meteor as open_java

    jar = open_java(jobs)
    return GuardedMeteor(jar) if guard else jar  # pairs too long for the JVM: native, same numbers


def needs_java(*kinds: str) -> bool:
    return "java" in kinds


def signature(tokenizer: str, meteor: str) -> dict[str, str]:
    """The signature entries naming what ran."""
    from evaluation.javatools import java_version

    out = {
        "tokenizer": "Stanford CoreNLP 3.4.1 PTBTokenizer -preserveLines -lowerCase"
        + (" (native Python port)" if tokenizer == "native" else " (jar)"),
        "meteor": "METEOR 1.5 -l en -norm"
        + (" (native Python port, jar resources)" if meteor == "native" else " (jar)"),
    }
    out["java"] = java_version() if needs_java(tokenizer, meteor) else "not used"
    return out
