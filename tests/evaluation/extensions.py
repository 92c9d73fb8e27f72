"""Shared by the tests of the compiled extensions and their pure-Python twins."""

from __future__ import annotations

import json
import shutil
import sysconfig
from pathlib import Path

from evaluation.ptb import ptb_tokenize_native
from evaluation.text import remove_nonascii

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def can_compile() -> bool:
    """A C compiler and this Python's headers (what building an extension needs)."""
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return headers.is_file() and (shutil.which("cc") or shutil.which("gcc")) is not None


def anet_captions() -> list[str]:
    """The tokenised captions of the committed ActivityNet val_1/val_2 excerpts."""
    caps = []
    for name in ("val_1.json", "val_2.json"):
        for v in json.loads((FIXTURES / "anet_val" / name).read_text()).values():
            caps += v["sentences"]
    return list(ptb_tokenize_native([remove_nonascii(c) for c in caps]).values())
