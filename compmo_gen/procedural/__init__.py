"""An embedded procedural clip library on the exact HumanML3D skeleton (nothing to download).

``build_library(seed, per_kind)`` draws ``per_kind`` parameter sets for every kind of the
catalogue; a set whose mirror parameter is ``left`` or ``right`` is rendered for both sides with the
same jitter, so left and right are exactly balanced and each clip has a mirror partner (same
``group``). Everything comes from ``SeedSequence([seed, kind, variant])``: deterministic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from compmo_gen.composition.atoms import AtomicClip
from compmo_gen.procedural.catalogue import Kind
from compmo_gen.procedural.motion import add_variation
from compmo_gen.procedural.rig import Plan, assemble, canonicalize

#: Captions kept per clip (distinct templates), like HumanML3D's 3-4 per motion.
CAPTIONS_PER_CLIP = 3


def all_kinds() -> list[Kind]:
    from compmo_gen.procedural import kinds_arms, kinds_body, kinds_move

    return kinds_move.KINDS + kinds_body.KINDS + kinds_arms.KINDS


def _pad(plan: Plan, before: int, after: int) -> Plan:
    def pad(x: np.ndarray | None) -> np.ndarray | None:
        if x is None:
            return None
        # np.pad(mode="edge") along axis 0, without its per-call overhead (same values)
        return np.concatenate([np.repeat(x[:1], before, 0), x, np.repeat(x[-1:], after, 0)])

    kw = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}
    for name, val in kw.items():
        kw[name] = [pad(v) for v in val] if isinstance(val, list) else pad(val)
    return Plan(**kw)


def render(kind: Kind, values: dict[str, str], rng: np.random.Generator) -> np.ndarray:
    """Joints (T, 22, 3) float32 of one parameter set, with idle lead-in/out and natural sway."""
    plan = kind.make(rng, values)
    lead = rng.integers(4, 13, size=2)
    plan = add_variation(_pad(plan, int(lead[0]), int(lead[1])), rng)
    return canonicalize(assemble(plan)).astype(np.float32)


def variants(
    kind: Kind, index: int, seed: int, variant: int
) -> Iterator[tuple[dict, np.random.Generator]]:
    """Parameter sets of one variant: both sides when the mirror parameter is left/right."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, index, variant]))
    values = {}
    for name, choices in kind.params.items():
        w = kind.weights.get(name)
        values[name] = choices[int(rng.choice(len(choices), p=w))]
    side = values.get(kind.mirror) if kind.mirror else None
    sides = ("left", "right") if side is not None and side["k"] in ("left", "right") else (None,)
    for s in sides:
        v = dict(values)
        if s is not None:
            v[kind.mirror] = next(c for c in kind.params[kind.mirror] if c["k"] == s)
        yield v, np.random.default_rng(np.random.SeedSequence([seed, index, variant, 1]))


def build_library(
    seed: int = 0, per_kind: int = 40, kinds: list[Kind] | None = None, first_index: int = 0
) -> list[AtomicClip]:
    """The clip catalogue: ``per_kind`` parameter draws per kind (mirrors added).

    ``kinds`` defaults to the whole catalogue; a subset must say the catalogue index of its first
    kind (``first_index``) so that each kind keeps its own seeds.
    """
    out = []
    for index, kind in enumerate(kinds or all_kinds(), start=first_index):
        for variant in range(per_kind):
            for values, rng in variants(kind, index, seed, variant):
                keys = {k: v["k"] for k, v in values.items()}
                joints = render(kind, keys, rng)
                order = rng.permutation(len(kind.templates))[:CAPTIONS_PER_CLIP]
                caps = tuple(kind.caption(kind.templates[i], values) for i in sorted(order))
                tag = "-".join(keys[k] for k in sorted(keys))
                out.append(
                    AtomicClip(
                        id=f"{kind.name}-{variant:04d}" + (f"-{tag}" if tag else ""),
                        group=f"{kind.name}-{variant:04d}",
                        joints=joints,
                        captions=caps,
                        parts=kind.parts(keys),
                        kind=kind.name,
                        params=tuple(sorted(keys.items())),
                        source="procedural",
                    )
                )
    return out
