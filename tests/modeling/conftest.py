"""Session fixtures: a tiny random Llama with an on-the-fly tokenizer, and a tiny dataset; the
model caches (converted GGUF files, merged runs) go to a temporary folder, not the user's."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _model_cache(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMPMO_CACHE", str(tmp_path_factory.mktemp("compmo_cache")))
        yield


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from modeling.tiny import make_tiny_dataset

    return make_tiny_dataset(tmp_path_factory.mktemp("tinyds"))


@pytest.fixture(scope="session")
def tiny_llm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from modeling.tiny import TINY_CAPTIONS, make_tiny_llm

    return make_tiny_llm(tmp_path_factory.mktemp("tinyllm"), list(TINY_CAPTIONS) * 5)


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_llm: Path):
    from modeling.model import load_tokenizer

    return load_tokenizer(str(tiny_llm))
