"""Atomic clips: the captioned building blocks a composed sequence is made of."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class AtomicClip:
    """One atomic action: joints in HumanML3D conventions and its paraphrase captions.

    ``group`` ties a clip to its mirror image (and, for HumanML3D, to ``M``-prefixed copies): an
    honest split keeps a whole group on one side.
    """

    id: str
    group: str
    joints: np.ndarray  # (T, 22, 3) float32, canonical (root at origin, facing +z, floor 0)
    captions: tuple[str, ...]
    parts: tuple[str, ...] = ()
    kind: str = ""
    params: tuple[tuple[str, str], ...] = ()
    source: str = ""
    crop: tuple[int, int] | None = None  # frames [start, end) of the source file
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def frames(self) -> int:
        return int(self.joints.shape[0])
