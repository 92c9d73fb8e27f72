"""Train/val/test splits: by sequence (as CompMo) or by atomic action (the honest test).

``split_by="atomic"`` gives each split its own atomic clips: no clip, no mirror of a clip and no
caption text occurs in two splits. Clips are first joined into components (same mirror group or a
shared caption) and whole components are dealt to splits; if one component is too large for that
(HumanML3D's generic captions can chain most clips together), clip groups are dealt instead and
captions already used by an earlier split are removed (clips left without any caption are dropped
and counted).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from compmo_gen.composition.atoms import AtomicClip

SPLITS = ("train", "val", "test")


def sequence_splits(num: int, ratios: Sequence[float]) -> list[tuple[str, int, int]]:
    """Contiguous index ranges ``(split, start, stop)`` for ``num`` sequences (80/10/10 default)."""
    total = float(sum(ratios))
    n_val = int(round(num * ratios[1] / total))
    n_test = int(round(num * ratios[2] / total))
    n_train = num - n_val - n_test
    return [
        ("train", 0, n_train),
        ("val", n_train, n_train + n_val),
        ("test", n_train + n_val, num),
    ]


def split_of(index: int, ranges: Sequence[tuple[str, int, int]]) -> str:
    for name, a, b in ranges:
        if a <= index < b:
            return name
    raise IndexError(index)


def _components(clips: Sequence[AtomicClip]) -> list[list[int]]:
    parent = list(range(len(clips)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, c in enumerate(clips):
        for key in [f"g:{c.group}"] + [f"c:{t}" for t in c.captions]:
            j = first.setdefault(key, i)
            parent[find(i)] = find(j)
    comps: dict[int, list[int]] = {}
    for i in range(len(clips)):
        comps.setdefault(find(i), []).append(i)
    return sorted(comps.values(), key=lambda m: clips[m[0]].id)


def _deal(sizes: Sequence[int], ratios: Sequence[float], rng: np.random.Generator) -> list[str]:
    """Assign items (with sizes) to splits, filling test then val to their share; rest train."""
    total = sum(sizes)
    target = {"test": total * ratios[2] / sum(ratios), "val": total * ratios[1] / sum(ratios)}
    filled = Counter()
    out = ["train"] * len(sizes)
    for i in rng.permutation(len(sizes)):
        for name in ("test", "val"):
            if (
                filled[name] + sizes[i] <= target[name] * 1.05 + 1e-9
                and filled[name] < target[name]
            ):
                out[i] = name
                filled[name] += sizes[i]
                break
    return out


def atomic_split(
    clips: Sequence[AtomicClip], ratios: Sequence[float], seed: int
) -> tuple[dict[str, list[AtomicClip]], dict]:
    """Pools of clips per split with nothing shared between splits, and a report."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7919]))
    comps = _components(clips)
    labels = _deal([len(c) for c in comps], ratios, rng)
    share = Counter()
    for comp, lab in zip(comps, labels, strict=True):
        share[lab] += len(comp)
    want_test = len(clips) * ratios[2] / sum(ratios)
    report: dict = {
        "components": len(comps),
        "largest_component": max((len(c) for c in comps), default=0),
    }
    if share["test"] >= 0.5 * want_test and share["val"] > 0:
        report["strategy"] = "components"
        pools = {s: [] for s in SPLITS}
        for comp, lab in zip(comps, labels, strict=True):
            pools[lab].extend(clips[i] for i in comp)
        for s in SPLITS:
            pools[s].sort(key=lambda c: c.id)
    else:
        pools = _deal_groups(clips, ratios, rng, report)
    report["clips"] = {s: len(pools[s]) for s in SPLITS}
    report["captions"] = {s: len({t for c in pools[s] for t in c.captions}) for s in SPLITS}
    return pools, report


def _deal_groups(
    clips: Sequence[AtomicClip], ratios: Sequence[float], rng: np.random.Generator, report: dict
):
    report["strategy"] = "groups+caption-removal"
    groups = sorted({c.group for c in clips})
    sizes = Counter(c.group for c in clips)
    labels = dict(zip(groups, _deal([sizes[g] for g in groups], ratios, rng), strict=True))
    pools: dict[str, list[AtomicClip]] = {s: [] for s in SPLITS}
    used: set[str] = set()
    dropped_clips = dropped_caps = 0
    for split in ("train", "test", "val"):  # earlier splits keep shared captions
        members = sorted((c for c in clips if labels[c.group] == split), key=lambda c: c.id)
        own: set[str] = set()
        for c in members:
            keep = tuple(t for t in c.captions if t not in used)
            dropped_caps += len(c.captions) - len(keep)
            if not keep:
                dropped_clips += 1
                continue
            own.update(keep)
            pools[split].append(c if keep == c.captions else _with_captions(c, keep))
        used |= own
    report["dropped_clips"], report["dropped_captions"] = dropped_clips, dropped_caps
    return pools


def _with_captions(c: AtomicClip, caps: tuple[str, ...]) -> AtomicClip:
    from dataclasses import replace

    return replace(c, captions=caps)


def check_disjoint(pools: dict[str, Sequence[AtomicClip]]) -> list[str]:
    """Problems (empty = fine): a clip id, mirror group or caption present in two splits."""
    problems = []
    for a_i, a in enumerate(SPLITS):
        for b in SPLITS[a_i + 1 :]:
            for what, key in (
                ("group", lambda c: {c.group}),
                ("caption", lambda c: set(c.captions)),
            ):
                sa = set().union(*(key(c) for c in pools[a])) if pools[a] else set()
                sb = set().union(*(key(c) for c in pools[b])) if pools[b] else set()
                if sa & sb:
                    problems.append(f"{len(sa & sb)} {what}(s) shared by {a} and {b}")
    return problems
