"""Data constants of the HumanML3D skeleton that every package shares (Guo et al. 2022, HumanML3D).

Protocol constants live in :mod:`evaluation.protocol`, adapter windows in :mod:`modeling.adapter`,
the duration law of CompMo in :mod:`compmo_gen.composition.compose`.
"""

from __future__ import annotations

#: HumanML3D frame rate (frames per second); durations are frames / FPS.
FPS: float = 20.0
#: Number of joints of the HumanML3D skeleton.
NUM_JOINTS: int = 22
