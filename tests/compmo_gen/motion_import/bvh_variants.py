"""Skeleton variants of a BVH file for tests: joints renamed out of every preset (the mapping no
longer finds them) or leaf joints removed with their motion channels."""

from __future__ import annotations

import re


def rename(text: str, names: list[str]) -> str:
    """``JOINT <name>`` -> ``JOINT Extra<k>``: the joint stays in the hierarchy, unrecognised."""
    for k, n in enumerate(names):
        text, count = re.subn(rf"(JOINT\s+){n}(\s)", rf"\g<1>Extra{k}\g<2>", text)
        assert count == 1, n
    return text


def drop_leaf(text: str, name: str) -> str:
    """Remove joint ``name`` (and its End Site) and its channel columns; its parent ends in an
    End Site at the removed joint's offset."""
    lines = text.splitlines()
    mi = lines.index("MOTION")
    start = next(i for i, ln in enumerate(lines[:mi]) if re.fullmatch(rf"\s*JOINT\s+{name}\s*", ln))
    depth, end = 0, mi
    for i in range(start + 1, mi):
        depth += lines[i].count("{") - lines[i].count("}")
        if depth == 0:
            end = i
            break
    channels = [ln for ln in lines[:start] if ln.strip().startswith("CHANNELS")]
    col = sum(int(ln.split()[1]) for ln in channels)
    width = sum(int(ln.split()[1]) for ln in lines[start : end + 1] if ln.strip().startswith("CHANNELS"))  # fmt: skip
    offset = next(ln for ln in lines[start:end] if ln.strip().startswith("OFFSET")).strip()
    ind = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    block = [f"{ind}End Site", f"{ind}{{", f"{ind}\t{offset}", f"{ind}}}"]
    motion = [
        " ".join(v for j, v in enumerate(ln.split()) if not col <= j < col + width)
        for ln in lines[mi + 3 :]
        if ln.strip()
    ]
    return "\n".join(lines[:start] + block + lines[end + 1 : mi + 3] + motion) + "\n"
