"""METEOR 1.5 (``-l en -norm``) in Python: the numbers of pycocoevalcap's meteor-1.5.jar, no Java.

:class:`NativeMeteor` answers the same requests as :class:`evaluation.meteor.MeteorPool`
(``stats`` per pair, ``evaluate`` per group: per-pair scores and the aggregate), reading the
jar's own resources (see :mod:`evaluation.meteor_native.resources`). Modules: ``normalize``
(``-norm``, tokens, Java string hash), ``resources`` (lexicon, paraphrase index and cache),
``align`` (matching stages and beam search), ``scorer`` (statistics and score formula).
"""

from __future__ import annotations

from evaluation.meteor_native.backend import NativeMeteor

__all__ = ["NativeMeteor"]
