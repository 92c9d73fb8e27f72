"""Whole-body and leg kinds: jumps, hops, jumping jacks, squat, lunge, sit, kneel, kick, balance.

Every clip starts and ends standing, so clips compose in any order."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from compmo_gen.procedural.catalogue import Kind, counts, fixed_parts, side_parts, sides, words
from compmo_gen.procedural.motion import cycles, footsteps, jump_plan, keys
from compmo_gen.procedural.rig import ANKLE_H, PELVIS_H, REST_WRIST, STANCE, L, Plan, R, standing

SIDE = {"left": L, "right": R}
SIGN = {"left": 1.0, "right": -1.0}
MOVES = {"in_place": (0.0, 0.0), "forward": (0.0, 1.0), "backward": (0.0, -1.0), "left": (1.0, 0.0), "right": (-1.0, 0.0)}  # fmt: skip
OVERHEAD = (np.array([0.12, 0.5, 0.05]), np.array([-0.12, 0.5, 0.05]))


def _arms_to(
    plan: Plan, track: np.ndarray, offsets: tuple[np.ndarray, np.ndarray], which=(L, R)
) -> Plan:
    """Move the wrists from rest towards ``REST_WRIST + offsets`` by ``track`` (0..1 per frame)."""
    for s in which:
        plan.wrists[s] = plan.wrists[s] + track[:, None] * np.asarray(offsets[s])
    return plan


def make_jump(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    big = p["size"] == "big"
    height = rng.uniform(0.25, 0.35) if big else rng.uniform(0.08, 0.14)
    dist = (rng.uniform(0.45, 0.6) if big else rng.uniform(0.2, 0.3)) * np.array(
        MOVES[p["direction"]]
    )
    flight = max(5, int(round(20 * 2 * np.sqrt(2 * height / 9.81))))
    gap = flight + int(rng.integers(12, 18))
    take = [8 + i * gap for i in range(int(p["count"]))]
    n = take[-1] + flight + 14
    plan = jump_plan(n, take, flight, height, [dist] * len(take), crouch=0.1 + 0.3 * height)
    swing = sum(cycles(n, t - 6, flight + 12, 1) for t in take)
    return _arms_to(plan, swing, (np.array([0.0, 0.25, 0.3]), np.array([0.0, 0.25, 0.3])))


def make_hop(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    stance, up = SIDE[p["side"]], 1 - SIDE[p["side"]]
    height, flight = rng.uniform(0.06, 0.1), 5
    gap = flight + int(rng.integers(7, 11))
    take = [14 + i * gap for i in range(int(p["count"]))]
    n = take[-1] + flight + 20
    plan = jump_plan(
        n, take, flight, height, [np.zeros(2)] * len(take), crouch=0.06, feet=(stance,)
    )
    raise_ = keys(n, [0, 10, n - 12, n - 2], [0.0, 1.0, 1.0, 0.0])
    lifted = plan.ankles[stance] + np.array([STANCE[up][0] - STANCE[stance][0], 0.0, 0.0])
    lifted[:, 1] = ANKLE_H[up] + raise_ * (plan.ankles[stance][:, 1] - ANKLE_H[stance] + 0.25)
    lifted[:, 2] -= 0.15 * raise_
    plan.ankles[up] = lifted
    plan.shift = np.stack([0.08 * SIGN[p["side"]] * raise_, np.zeros(n), np.zeros(n)], -1)
    return plan


def make_jacks(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    flight, gap = 5, int(rng.integers(9, 12))
    k = int(p["count"])
    take = [8 + i * gap for i in range(2 * k)]
    n = take[-1] + flight + 12
    spread = [rng.uniform(0.2, 0.26) if i % 2 == 0 else 0.0 for i in range(2 * k)]
    plan = jump_plan(n, take, flight, 0.1, [np.zeros(2)] * (2 * k), crouch=0.05, spread=spread)
    arms = keys(n, [x for i in range(k) for x in (take[2 * i], take[2 * i] + flight + 2, take[2 * i + 1], take[2 * i + 1] + flight + 2)],
                [x for _ in range(k) for x in (0.0, 1.0, 1.0, 0.0)])  # fmt: skip
    return _arms_to(plan, arms, tuple(OVERHEAD[s] - REST_WRIST[s] for s in (L, R)))


def make_squat(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    drop = rng.uniform(0.4, 0.48) if p["depth"] == "deep" else rng.uniform(0.2, 0.28)
    period, k = 20 * rng.uniform(1.2, 1.8), int(p["count"])
    n = int(4 + k * period + 4)
    plan = standing(n)
    u = cycles(n, 4, period, k)
    plan.height = PELVIS_H - drop * u
    plan.shift = np.stack([np.zeros(n), np.zeros(n), -0.4 * drop * u], -1)
    plan.torso[:, 0] = (0.2 + 0.8 * drop) * u
    return _arms_to(plan, u, (np.array([0.0, 0.35, 0.4]), np.array([0.0, 0.35, 0.4])))


def make_lunge(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    s, t, steps, drops = SIDE[p["side"]], 4.0, [], []
    for _ in range(int(p["count"])):
        length, hold = rng.uniform(0.55, 0.65), rng.uniform(10, 16)
        steps.append((s, t, t + 8, STANCE[s] + np.array([0.0, length]), 0.0, 0.08))
        steps.append((s, t + 12 + hold, t + 20 + hold, np.asarray(STANCE[s]), 0.0, 0.08))
        drops.append((t + 8, t + 12 + hold))
        t += 26 + hold
    n = int(t + 4)
    plan = footsteps(n, steps)
    for a, b in drops:
        plan.height = plan.height - 0.22 * keys(
            n, [a - 4, a + 2, b - 2, b + 4], [0.0, 1.0, 1.0, 0.0]
        )
    return plan


def make_sit(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    """Sit down on an (invisible) chair, stay a moment, stand back up: a clip that starts and ends
    standing, so any order of clips stays physically possible."""
    t1, hold = int(20 * rng.uniform(1.2, 1.6)), int(20 * rng.uniform(0.6, 1.4))
    n = 2 * t1 + hold + 4
    plan = standing(n)
    u = keys(n, [2, t1, t1 + hold, 2 * t1 + hold - 2], [0.0, 1.0, 1.0, 0.0])
    plan.height = PELVIS_H - rng.uniform(0.4, 0.46) * u
    plan.shift = np.stack([np.zeros(n), np.zeros(n), -rng.uniform(0.28, 0.34) * u], -1)
    plan.torso[:, 0] = 0.5 * (cycles(n, 2, t1 - 2, 1) + cycles(n, t1 + hold, t1 - 2, 1)) + 0.15 * u
    return _arms_to(plan, u, (np.array([-0.05, 0.2, 0.3]), np.array([0.05, 0.2, 0.3])))


def make_kneel(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    s, o = SIDE[p["side"]], 1 - SIDE[p["side"]]
    t1, hold = int(20 * rng.uniform(1.0, 1.4)), int(20 * rng.uniform(0.6, 1.2))
    t2 = t1 + hold
    n = t2 + t1 + 8
    steps = [(o, 4, 14, STANCE[o] + np.array([0.0, 0.3]), 0.0, 0.08),
             (s, 6, t1, STANCE[s] + np.array([0.0, -0.38]), 0.0, 0.1),
             (s, t2, t2 + t1 - 6, np.asarray(STANCE[s]), 0.0, 0.1),
             (o, t2 + t1 - 6, t2 + t1 + 4, np.asarray(STANCE[o]), 0.0, 0.08)]  # fmt: skip
    plan = footsteps(n, steps)
    u = keys(n, [6, t1, t2, t2 + t1 - 6], [0.0, 1.0, 1.0, 0.0])
    plan.ankles[s][:, 1] += 0.05 * u
    plan.height = PELVIS_H - 0.4 * u
    plan.torso[:, 0] = 0.25 * (cycles(n, 6, t1 - 6, 1) + cycles(n, t2, t1 - 6, 1))
    return plan


def make_kick(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    s = SIDE[p["side"]]
    high = p["height"] == "high"
    h = rng.uniform(0.6, 0.75) if high else rng.uniform(0.22, 0.35)
    reach = rng.uniform(0.5, 0.6)
    out = (
        np.array([0.0, h, reach])
        if p["direction"] == "front"
        else np.array([SIGN[p["side"]] * reach, h, 0.05])
    )
    t0 = int(rng.integers(8, 12))
    n = t0 + 28
    u = keys(n, [t0, t0 + 7, t0 + 10, t0 + 20], [0.0, 1.0, 1.0, 0.0])
    plan = standing(n)
    plan.ankles[s] = plan.ankles[s] + u[:, None] * out
    w = keys(n, [2, t0, t0 + 20, n - 1], [0.0, 1.0, 1.0, 0.0])
    plan.shift = np.stack([-0.08 * SIGN[p["side"]] * w, np.zeros(n), np.zeros(n)], -1)
    if p["direction"] == "front":
        plan.torso[:, 0] = -(0.25 if high else 0.08) * u
    else:
        plan.torso[:, 1] = -SIGN[p["side"]] * (0.4 if high else 0.15) * u
    return plan


def make_balance(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    up = 1 - SIDE[p["side"]]
    hold = int(20 * rng.uniform(1.5, 3.0))
    n = hold + 30
    u = keys(n, [4, 14, 14 + hold, 24 + hold], [0.0, 1.0, 1.0, 0.0])
    plan = standing(n)
    plan.ankles[up] = plan.ankles[up] + u[:, None] * np.array([0.0, rng.uniform(0.3, 0.4), 0.2])
    plan.shift = np.stack(
        [
            0.08 * SIGN[p["side"]] * keys(n, [0, 8, 20 + hold, 28 + hold], [0, 1, 1, 0]),
            np.zeros(n),
            np.zeros(n),
        ],
        -1,
    )
    return _arms_to(plan, u, (np.array([0.3, 0.45, 0.1]), np.array([-0.3, 0.45, 0.1])))


LR = sides("left", "right")
KINDS = [
    Kind(
        "jump",
        {
            "direction": words(
                "in_place",
                "forward",
                "backward",
                "left",
                "right",
                t={
                    "in_place": "in place",
                    "forward": "forward",
                    "backward": "backward",
                    "left": "to the left",
                    "right": "to the right",
                },
            ),
            "size": words(
                "small",
                "big",
                adv={"small": "a little", "big": "high"},
                adj={"small": "small", "big": "big"},
            ),
            "count": counts(1, 3),
        },
        (
            "a person jumps {size[adv]} {direction[t]} {count[times]}",
            "someone does a {size[adj]} jump {direction[t]} {count[times]}",
            "the person leaps {direction[t]} {count[times]}, jumping {size[adv]}",
        ),
        make_jump,
        fixed_parts("legs"),
        mirror="direction",
    ),
    Kind(
        "hop",
        {"side": LR, "count": counts(2, 5)},
        (
            "a person hops on the {side[k]} foot {count[n]} times",
            "someone hops {count[n]} times on the {side[k]} leg",
            "standing on the {side[k]} foot, the person hops {count[n]} times",
        ),
        make_hop,
        fixed_parts("legs"),
        mirror="side",
    ),
    Kind(
        "jumping_jacks",
        {"count": counts(2, 5)},
        (
            "a person does {count[n]} jumping jacks",
            "someone performs {count[n]} jumping jacks in place",
            "the person does jumping jacks {count[n]} times",
        ),  # fmt: skip
        make_jacks,
        fixed_parts("legs", "left arm", "right arm"),
    ),
    Kind(
        "squat",
        {
            "depth": words(
                "half",
                "deep",
                adv={"half": "halfway", "deep": "deeply"},
                adj={"half": "shallow", "deep": "deep"},
            ),
            "count": counts(1, 4),
        },
        (
            "a person squats {depth[adv]} {count[times]}",
            "someone does a {depth[adj]} squat {count[times]}",
            "the person bends the knees into a {depth[adj]} squat {count[times]}",
        ),  # fmt: skip
        make_squat,
        fixed_parts("legs", "spine"),
    ),
    Kind(
        "lunge",
        {"side": LR, "count": counts(1, 2)},
        (
            "a person lunges forward with the {side[k]} leg {count[times]}",
            "someone steps into a lunge with the {side[k]} foot {count[times]}",
            "the person does a {side[k]} leg lunge {count[times]}",
        ),  # fmt: skip
        make_lunge,
        fixed_parts("legs"),
        mirror="side",
    ),
    Kind(
        "sit",
        {},
        (
            "a person sits down on a chair and stands back up",
            "someone sits down for a moment and then gets up",
            "the person takes a seat and rises again",
        ),
        make_sit,
        fixed_parts("legs", "spine"),
    ),  # fmt: skip
    Kind(
        "kneel",
        {"side": LR},
        (
            "a person kneels down on the {side[k]} knee and gets back up",
            "someone goes down on the {side[k]} knee, then stands up",
            "the person drops to the {side[k]} knee and rises again",
        ),
        make_kneel,
        fixed_parts("legs"),
        mirror="side",
    ),
    Kind(
        "kick",
        {
            "side": LR,
            "height": words("low", "high"),
            "direction": words("front", "side", adv={"front": "forward", "side": "to the side"}),
        },
        (
            "a person does a {height[k]} {direction[k]} kick with the {side[k]} leg",
            "someone kicks {height[k]} {direction[adv]} with the {side[k]} foot",
            "the person lifts the {side[k]} leg in a {height[k]} kick {direction[adv]}",
        ),
        make_kick,
        side_parts("side", limb="leg"),
        mirror="side",
    ),
    Kind(
        "balance",
        {"side": LR},
        (
            "a person balances on the {side[k]} leg",
            "someone stands on the {side[k]} foot with the other leg raised",
            "the person lifts one leg and balances on the {side[k]} foot",
        ),  # fmt: skip
        make_balance,
        fixed_parts("legs", "left arm", "right arm"),
        mirror="side",
    ),
]
