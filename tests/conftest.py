"""Shared test fixtures: where the optional real data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEMO_RELEASE = SHARED / "data" / "demo_release"
HUMANML3D_SAMPLE = SHARED / "data" / "humanml3d_sample"


@pytest.fixture
def demo_release() -> Path:
    """DEMO's released test split and predictions; the test is skipped when absent."""
    if not (DEMO_RELEASE / "test.json").exists():
        pytest.skip(f"DEMO release data not found at {DEMO_RELEASE}")
    return DEMO_RELEASE


@pytest.fixture
def humanml3d_sample() -> Path:
    """Two real HumanML3D clips with the official split lists; skipped when absent."""
    if not (HUMANML3D_SAMPLE / "new_joints").exists():
        pytest.skip(f"HumanML3D sample not found at {HUMANML3D_SAMPLE}")
    return HUMANML3D_SAMPLE
