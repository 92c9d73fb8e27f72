"""Fixtures of the dataset-generator tests (skeleton, library, composer, loader, build)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def small_library():
    """Three parameter draws of every kind of the embedded library (plus mirrors)."""
    from compmo_gen.procedural import build_library

    return tuple(build_library(0, 3))


@pytest.fixture(scope="session")
def prepared_pool(small_library):
    from compmo_gen.composition.compose import prepare

    return tuple(prepare(c) for c in small_library)


def write_humanml3d(
    root: Path, clips: dict[str, tuple[np.ndarray | bytes | None, str | None]], splits=None
) -> Path:
    """A HumanML3D-shaped folder: ``{id: (joints or raw bytes or None, text or None)}``."""
    (root / "new_joints").mkdir(parents=True, exist_ok=True)
    (root / "texts").mkdir(exist_ok=True)
    for vid, (joints, text) in clips.items():
        if isinstance(joints, bytes):
            (root / "new_joints" / f"{vid}.npy").write_bytes(joints)
        elif joints is not None:
            np.save(root / "new_joints" / f"{vid}.npy", joints)
        if text is not None:
            (root / "texts" / f"{vid}.txt").write_text(text, encoding="utf-8")
    for name, ids in (splits or {}).items():
        (root / f"{name}.txt").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    return root


@pytest.fixture
def hml_folder():
    """A writer of HumanML3D-shaped folders."""
    return write_humanml3d


@pytest.fixture
def caption_line():
    return make_caption_line


def make_caption_line(caption: str, verbs: int = 1, start: float = 0.0, end: float = 0.0) -> str:
    """One ``caption#tokens#start#end`` line with ``verbs`` VERB tokens."""
    toks = ["a/DET", "person/NOUN"] + [f"do{i}/VERB" for i in range(verbs)]
    return f"{caption}#{' '.join(toks)}#{start}#{end}\n"
