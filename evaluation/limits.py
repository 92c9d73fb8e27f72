"""The documented outcome of very long captions: every scorer sees the same capped text.

METEOR 1.5's aligner grows about cubically with the words of a pair and runs out of memory on a
caption of 100 kB; BLEU, CIDEr-D and the PTB tokenizer only slow down. So a caption longer than
:data:`MAX_CAPTION_CHARS` characters is cut to its first :data:`MAX_CAPTION_CHARS` characters
(trailing blanks dropped) once, right after reading, for ground truth and predictions alike,
before any scorer (BLEU, METEOR, ROUGE-L, CIDEr-D, SODA_c, SODA(B)) sees it; each cut is counted
(``captions_truncated``, ``gt_captions_truncated``) in the run's counts. The limit is above every
caption of the field's released files (longest: DEMO's release 199 characters, ActivityNet Captions
val_1 451 and val_2 409, YouCook2 val 201, TimeChat's YouCook2 predictions 265), so parity on
them is unaffected; a degenerate 1,000-character pair ("a , a , ...") takes METEOR about 1 s in
the jar and 6 s natively.
"""

from __future__ import annotations

import dataclasses

from compmo_gen.core.segments import AnnotationSet

#: Captions are cut to this many characters before scoring (bounds METEOR's time per pair).
MAX_CAPTION_CHARS = 1000


def cap_captions(aset: AnnotationSet, limit: int = MAX_CAPTION_CHARS) -> int:
    """Cut every caption of ``aset`` longer than ``limit`` characters, in place; the number cut."""
    cut = 0
    for vid, ann in aset.annotations.items():
        if all(len(s.caption) <= limit for s in ann.segments):
            continue
        segs = []
        for s in ann.segments:
            if len(s.caption) > limit:
                s = dataclasses.replace(s, caption=s.caption[:limit].rstrip())
                cut += 1
            segs.append(s)
        aset.annotations[vid] = dataclasses.replace(ann, segments=tuple(segs))
    return cut
