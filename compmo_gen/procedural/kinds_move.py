"""Locomotion kinds: walk, walk in a curve, sidestep, jog/run, turn in place."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from compmo_gen.procedural.catalogue import Kind, counts, fixed_parts, sides, words
from compmo_gen.procedural.motion import footsteps, walk_steps
from compmo_gen.procedural.rig import PELVIS_H, STANCE, L, Plan, R

SIGN = {"left": 1.0, "right": -1.0}  # +x is the person's left; a positive yaw turns left


def arm_swing(plan: Plan, steps: list, amp: float, bent: float = 0.0) -> Plan:
    """Arms swing opposite to the legs; ``bent`` raises the hands (elbows flexed, as in running)."""
    n = len(plan.yaw)
    t = np.arange(n, dtype=np.float64)
    for s in (L, R):
        z = np.zeros(n)
        for side, t0, t1, *_ in steps:
            u = (t - t0) / max(t1 - t0, 1e-9)
            inside = (u > 0) & (u < 1)
            z[inside] += (amp if side != s else -amp) * np.sin(np.pi * u[inside])
        plan.wrists[s] = plan.wrists[s] + np.stack(
            [np.zeros(n), np.full(n, bent), z + 0.6 * bent], -1
        )
    return plan


SPEEDS = {
    "slow": ((0.6, 0.9), (0.40, 0.48)),
    "normal": ((1.1, 1.4), (0.55, 0.62)),
    "fast": ((1.7, 2.0), (0.66, 0.74)),
}


def make_walk(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    (v_lo, v_hi), (s_lo, s_hi) = SPEEDS[p["speed"]]
    back = p["direction"] == "backward"
    speed, step = rng.uniform(v_lo, v_hi), rng.uniform(s_lo, s_hi)
    if back:
        speed, step = speed * 0.6, step * 0.7
    dur = 20 * step / speed
    steps, end = walk_steps(int(p["count"]), step, dur, 2, backward=back, first=int(rng.integers(2)),
                            lift=rng.uniform(0.08, 0.12))  # fmt: skip
    plan = footsteps(int(end + 4), steps, lean=0.05 if not back else -0.03)
    return arm_swing(plan, steps, 0.06 + 0.06 * speed)


def make_curve(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    angle = {"quarter": np.pi / 2, "half": np.pi, "full": 2 * np.pi}[p["angle"]]
    radius = rng.uniform(0.8, 1.0) if p["angle"] == "full" else rng.uniform(1.0, 1.4)
    n_moves = max(2, int(round(angle * radius / rng.uniform(0.45, 0.55))))
    dur = 20 * rng.uniform(0.42, 0.5)
    steps, end = walk_steps(n_moves + 1, angle * radius / n_moves, dur, 2, turn=SIGN[p["side"]] * angle / n_moves,
                            first=L if p["side"] == "left" else R, lift=0.09)  # fmt: skip
    return arm_swing(footsteps(int(end + 4), steps, lean=0.04), steps, 0.12)


def make_sidestep(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    lead = L if p["side"] == "left" else R
    trail, width, dur = 1 - lead, rng.uniform(0.25, 0.35), 20 * rng.uniform(0.35, 0.45)
    centre, t, steps = np.zeros(2), 2.0, []
    for _ in range(int(p["count"])):
        centre = centre + [SIGN[p["side"]] * width, 0.0]
        steps.append((lead, t, t + 0.8 * dur, centre + STANCE[lead], 0.0, 0.09))
        steps.append((trail, t + dur, t + 1.8 * dur, centre + STANCE[trail], 0.0, 0.08))
        t += 2 * dur
    return footsteps(int(t + 4), steps)


def make_jog(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    (v_lo, v_hi), (s_lo, s_hi) = {"jog": ((2.0, 2.4), (0.6, 0.7)), "run": ((3.0, 3.5), (0.8, 0.9))}[
        p["pace"]
    ]
    speed, step = rng.uniform(v_lo, v_hi), rng.uniform(s_lo, s_hi)
    steps, end = walk_steps(int(p["count"]), step, 20 * step / speed, 2, first=int(rng.integers(2)),
                            lift=0.16, swing=1.1)  # fmt: skip
    plan = footsteps(int(end + 6), steps, lean=0.12)
    plan.height = np.full(len(plan.yaw), PELVIS_H - 0.03)
    return arm_swing(plan, steps, 0.12, bent=0.2)


def make_turn(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    angle = np.deg2rad(float(p["angle"])) * rng.uniform(0.97, 1.03)
    n_moves = int(np.ceil(angle / np.deg2rad(55)))
    steps, end = walk_steps(n_moves + 1, 0.0, 20 * rng.uniform(0.4, 0.55), 2, turn=SIGN[p["side"]] * angle / n_moves,
                            first=L if p["side"] == "left" else R, lift=0.08)  # fmt: skip
    return footsteps(int(end + 4), steps)


LR = sides("left", "right")
KINDS = [
    Kind(
        "walk",
        {
            "direction": words("forward", "backward"),
            "speed": words(
                "slow",
                "normal",
                "fast",
                adv={"slow": "slowly", "normal": "at a normal pace", "fast": "quickly"},
            ),
            "count": counts(3, 8),
        },
        (
            "a person walks {direction[k]} {speed[adv]}, taking {count[n]} steps",
            "someone takes {count[n]} steps {direction[k]} {speed[adv]}",
            "the person walks {speed[adv]} {direction[k]} for {count[n]} steps",
            "a man walks {count[n]} steps {direction[k]} {speed[adv]}",
        ),
        make_walk,
        fixed_parts("legs"),
    ),
    Kind(
        "walk_curve",
        {
            "side": LR,
            "angle": words(
                "quarter",
                "half",
                "full",
                t={"quarter": "a quarter circle", "half": "a half circle", "full": "a full circle"},
            ),
        },
        (
            "a person walks in {angle[t]} to the {side[k]}",
            "someone walks along {angle[t]} curving to the {side[k]}",
            "the person walks {angle[t]}, turning {side[k]}",
        ),
        make_curve,
        fixed_parts("legs"),
        mirror="side",
    ),
    Kind(
        "sidestep",
        {"side": LR, "count": counts(2, 4)},
        (
            "a person sidesteps to the {side[k]} {count[n]} times",
            "someone shuffles sideways to the {side[k]} {count[n]} times",
            "the person steps sideways to the {side[k]} {count[times]}",
        ),
        make_sidestep,
        fixed_parts("legs"),
        mirror="side",
    ),
    Kind(
        "jog",
        {
            "pace": words(
                "jog",
                "run",
                v3={"jog": "jogs", "run": "runs"},
                ing={"jog": "jogging", "run": "running"},
            ),
            "count": counts(4, 8),
        },
        (
            "a person {pace[v3]} forward for {count[n]} steps",
            "someone {pace[v3]} straight ahead, taking {count[n]} steps",
            "the person is {pace[ing]} forward for {count[n]} steps",
        ),
        make_jog,
        fixed_parts("legs", "left arm", "right arm"),
    ),
    Kind(
        "turn",
        {
            "side": LR,
            "angle": words(
                "90",
                "180",
                "360",
                t={"90": "ninety degrees", "180": "halfway around", "360": "a full circle"},
            ),
        },
        (
            "a person turns {angle[t]} to the {side[k]} in place",
            "someone turns in place {angle[t]} to the {side[k]}",
            "standing in one spot, the person turns {angle[t]} to the {side[k]}",
        ),
        make_turn,
        fixed_parts("legs"),
        mirror="side",
    ),
]
