"""Constants of the dense-captioning evaluation protocol, named in one place (ActivityNet densevid_eval, SODA and Chapter-Llama, as DEMO's scripts run them)."""

from __future__ import annotations

#: tIoU thresholds of the ActivityNet dense-captioning protocol.
TIOUS: tuple[float, ...] = (0.3, 0.5, 0.7, 0.9)
#: Thresholds of Chapter-Llama's localisation P/R/F1: the exact values of the reference's
#: ``np.arange(0.5, 0.95 + 0.05, 0.05)``, float artefacts included, for bit parity.
OVERLAP_THRESHOLDS: tuple[float, ...] = (
    0.5,
    0.55,
    0.6000000000000001,
    0.6500000000000001,
    0.7000000000000002,
    0.7500000000000002,
    0.8000000000000003,
    0.8500000000000003,
    0.9000000000000004,
    0.9500000000000004,
)
#: The reference ActivityNet evaluator keeps only the first predictions of each video.
MAX_PROPOSALS: int = 1000


def clean_float(x: float) -> float:
    """``x`` to 12 significant digits, as signatures show thresholds: ``0.6000000000000001 -> 0.6``."""
    return float(f"{x:.12g}")
