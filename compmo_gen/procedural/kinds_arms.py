"""Arm, torso and head kinds. Wrist targets are relative to the shoulder in the chest frame
(x = the person's left, y = up, z = forward); ``SIGN`` makes "outward" +x on the left."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from compmo_gen.procedural.catalogue import Kind, counts, fixed_parts, side_parts, sides, words
from compmo_gen.procedural.motion import cycles, keys
from compmo_gen.procedural.rig import PELVIS_H, REST_WRIST, L, Plan, R, standing

SIGN = (1.0, -1.0)  # per side index: outward is +x on the left, -x on the right
WHICH = {"left": (L,), "right": (R,), "both": (L, R)}


def _hold(rng: np.random.Generator, lo: float, hi: float) -> int:
    return int(20 * rng.uniform(lo, hi))


def _reach(plan: Plan, s: int, track: np.ndarray, target: np.ndarray, pole=None) -> None:
    """Blend wrist ``s`` from its current track to ``target`` (T, 3) or (3,) by ``track``."""
    target = np.broadcast_to(np.asarray(target, dtype=np.float64), plan.wrists[s].shape)
    plan.wrists[s] = plan.wrists[s] + track[:, None] * (target - plan.wrists[s])
    if pole is not None:
        pole = np.broadcast_to(np.asarray(pole, dtype=np.float64), plan.poles[s].shape)
        plan.poles[s] = plan.poles[s] + track[:, None] * (pole - plan.poles[s])


def _up_hold_down(n: int, t_up: int, t_hold: int, ramp: int = 8) -> np.ndarray:
    return keys(
        n, [t_up, t_up + ramp, t_up + ramp + t_hold, t_up + 2 * ramp + t_hold], [0.0, 1.0, 1.0, 0.0]
    )


def make_wave(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    period, k = 20 * rng.uniform(0.4, 0.6), int(p["count"])
    n = int(4 + 10 + k * period + 14)
    plan, u = standing(n), _up_hold_down(n, 4, int(k * period) + 2, 10)
    osc = np.sin(2 * np.pi * np.clip((np.arange(n) - 14) / period, 0, k))
    for s in WHICH[p["side"]]:
        target = np.stack([SIGN[s] * (0.18 + 0.1 * osc), np.full(n, 0.42), np.full(n, 0.12)], -1)
        _reach(plan, s, u, target, pole=[SIGN[s], -0.6, -0.2])
    return plan


RAISE = {"up": (0.08, 0.5, 0.05), "forward": (0.0, 0.05, 0.5), "side": (0.5, 0.05, 0.0)}


def make_raise(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    n_hold = _hold(rng, 0.8, 1.5)
    n = 4 + 2 * 12 + n_hold + 4
    plan, u = standing(n), _up_hold_down(n, 4, n_hold, 12)
    for s in WHICH[p["side"]]:
        x, y, z = RAISE[p["direction"]]
        _reach(plan, s, u, [SIGN[s] * x, y, z], pole=[SIGN[s], -0.3, -0.5])
    return plan


def make_clap(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    period, k = 20 * rng.uniform(0.35, 0.5), int(p["count"])
    n = int(4 + 10 + k * period + 14)
    plan, u = standing(n), _up_hold_down(n, 4, int(k * period), 10)
    apart = 1.0 - cycles(n, 14 - period / 2, period, k)  # 0 when the hands meet
    for s in (L, R):
        target = np.stack([-SIGN[s] * (0.17 - 0.12 * apart), np.full(n, 0.0), np.full(n, 0.34)], -1)
        _reach(plan, s, u, target, pole=[SIGN[s], -0.8, -0.2])
    return plan


def make_punch(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    period, k = 20 * rng.uniform(0.45, 0.6), int(p["count"])
    n = int(4 + 10 + k * period + 14)
    plan, u = standing(n), _up_hold_down(n, 4, int(k * period), 10)
    s = L if p["side"] == "left" else R
    hit = cycles(n, 14, period, k)
    for side in (L, R):
        guard = np.array([-SIGN[side] * 0.08, 0.0, 0.25])
        strike = np.array([-SIGN[side] * 0.12, 0.05, 0.5])
        target = guard + (hit[:, None] * (strike - guard) if side == s else 0.0)
        _reach(plan, side, u, target, pole=[SIGN[side], -1.0, -0.3])
    plan.torso[:, 2] = -SIGN[s] * 0.25 * hit
    return plan


def make_throw(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    s = L if p["side"] == "left" else R
    t0 = int(rng.integers(4, 8))
    n = t0 + 40
    plan = standing(n)
    back, fwd, follow = (SIGN[s] * 0.1, 0.3, -0.25), (0.0, 0.2, 0.5), (-SIGN[s] * 0.15, -0.2, 0.4)
    track = keys(n, [t0, t0 + 12, t0 + 16, t0 + 19, t0 + 24, n - 2],
                 [REST_WRIST[s], back, back, fwd, follow, REST_WRIST[s]])  # fmt: skip
    plan.wrists[s] = track
    plan.poles[s] = np.tile([SIGN[s], 0.2, -0.6], (n, 1))
    plan.torso[:, 2] = keys(
        n,
        [t0, t0 + 12, t0 + 16, t0 + 22, n - 2],
        [0.0, SIGN[s] * 0.35, SIGN[s] * 0.35, -SIGN[s] * 0.3, 0.0],
    )
    return plan


def make_point(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    n_hold = _hold(rng, 1.0, 2.0)
    n = 4 + 20 + n_hold + 4
    plan, u = standing(n), _up_hold_down(n, 4, n_hold, 10)
    s = L if p["side"] == "left" else R
    x, y, z = (0.0, 0.12, 0.5) if p["direction"] == "forward" else (0.5, 0.12, 0.05)
    _reach(plan, s, u, [SIGN[s] * x, y, z], pole=[SIGN[s], -0.5, -0.5])
    return plan


def _hand_to_head(
    rng: np.random.Generator, p: Mapping[str, str], target, hold: tuple[float, float], head
) -> Plan:
    n_hold = _hold(rng, *hold)
    n = 4 + 24 + n_hold + 4
    plan, u = standing(n), _up_hold_down(n, 4, n_hold, 12)
    s = L if p["side"] == "left" else R
    _reach(plan, s, u, [-SIGN[s] * target[0], target[1], target[2]], pole=[SIGN[s], -1.0, 0.0])
    plan.head = plan.head + u[:, None] * np.array([head[0], SIGN[s] * head[1]])
    return plan


def make_drink(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    return _hand_to_head(rng, p, (0.17, 0.14, 0.2), (1.0, 1.6), (-0.25, 0.0))


def make_phone(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    return _hand_to_head(rng, p, (0.09, 0.2, 0.06), (1.5, 3.0), (0.1, -0.1))


def make_circles(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    period, k = 20 * rng.uniform(0.7, 1.0), int(p["count"])
    n = int(4 + 8 + k * period + 10)
    plan = standing(n)
    theta = 2 * np.pi * np.clip((np.arange(n) - 12) / period, 0, k)
    sign = 1.0 if p["direction"] == "forward" else -1.0
    u = _up_hold_down(n, 4, int(k * period), 8)
    for s in WHICH[p["side"]]:
        circle = np.stack(
            [np.full(n, SIGN[s] * 0.12), -0.47 * np.cos(theta), sign * 0.47 * np.sin(theta)], -1
        )
        _reach(plan, s, u, circle, pole=[SIGN[s], 0.0, 0.0])
    return plan


def make_stretch(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    n_hold = _hold(rng, 1.0, 2.0)
    n = 4 + 28 + n_hold + 4
    plan, u = standing(n), _up_hold_down(n, 4, n_hold, 14)
    for s in (L, R):
        _reach(plan, s, u, [SIGN[s] * 0.08, 0.5, 0.02], pole=[SIGN[s], 0.0, -0.3])
    if p["direction"] == "up":
        plan.torso[:, 0] = -0.12 * u
    else:
        plan.torso[:, 1] = (0.35 if p["direction"] == "left" else -0.35) * u
    return plan


def _upper(
    rng: np.random.Generator, p: Mapping[str, str], channel: str, index: int, values
) -> Plan:
    plan = standing(len(values))
    getattr(plan, channel)[:, index] = values
    return plan


def make_bow(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    angle = rng.uniform(0.9, 1.1) if p["depth"] == "deep" else rng.uniform(0.3, 0.45)
    n_hold = _hold(rng, 0.4, 1.0)
    n = 4 + 24 + n_hold + 4
    plan = _upper(rng, p, "torso", 0, angle * _up_hold_down(n, 4, n_hold, 12))
    plan.shift = np.stack(
        [np.zeros(n), np.zeros(n), -0.1 * angle * _up_hold_down(n, 4, n_hold, 12)], -1
    )
    return plan


def make_bend_down(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    n_hold = _hold(rng, 0.4, 0.8)
    n = 4 + 32 + n_hold + 4
    u = _up_hold_down(n, 4, n_hold, 16)
    plan = _upper(rng, p, "torso", 0, 1.25 * u)
    plan.height = PELVIS_H - 0.12 * u
    plan.shift = np.stack([np.zeros(n), np.zeros(n), -0.15 * u], -1)
    s = L if p["side"] == "left" else R
    _reach(plan, s, u, [0.0, -0.45, 0.18], pole=[SIGN[s], 0.0, -1.0])
    return plan


LOOK = {"left": (0.0, 0.9), "right": (0.0, -0.9), "up": (-0.5, 0.0), "down": (0.55, 0.0)}


def make_look(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    n_hold = _hold(rng, 0.8, 1.6)
    n = 4 + 20 + n_hold + 4
    plan = standing(n)
    plan.head = (
        _up_hold_down(n, 4, n_hold, 10)[:, None]
        * np.array(LOOK[p["direction"]])
        * rng.uniform(0.9, 1.1)
    )
    return plan


def _repeat(
    rng: np.random.Generator,
    p: Mapping[str, str],
    channel: str,
    index: int,
    amp: float,
    lo: float,
    hi: float,
    alternate: bool,
) -> Plan:
    period, k = 20 * rng.uniform(lo, hi), int(p["count"])
    n = int(6 + k * period + 6)
    t = np.clip((np.arange(n) - 6) / period, 0, k)
    wave = np.sin(2 * np.pi * t) if alternate else 0.5 - 0.5 * np.cos(2 * np.pi * t)
    return _upper(rng, p, channel, index, amp * rng.uniform(0.9, 1.1) * wave)


def make_nod(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    return _repeat(rng, p, "head", 0, 0.3, 0.45, 0.65, False)


def make_shake(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    return _repeat(rng, p, "head", 1, 0.45, 0.5, 0.7, True)


def make_twist(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    return _repeat(rng, p, "torso", 2, 0.55, 1.0, 1.4, True)


def make_idle(rng: np.random.Generator, p: Mapping[str, str]) -> Plan:
    return standing(_hold(rng, 1.5, 3.5))


LR = sides("left", "right")
LRB = sides("left", "right", "both", arm={"left": "the left hand", "right": "the right hand", "both": "both hands"},
            arms={"left": "the left arm", "right": "the right arm", "both": "both arms"})  # fmt: skip
K = Kind
KINDS = [
    K("wave", {"side": LRB, "count": counts(2, 4)},
      ("a person waves {side[arm]} {count[n]} times", "someone raises {side[arm]} and waves {count[n]} times",
       "the person waves {count[n]} times with {side[arm]}"), make_wave, side_parts("side"), mirror="side"),
    K("raise_arm", {"side": LRB, "direction": words("up", "forward", "side", t={"up": "above the head", "forward": "forward", "side": "out to the side"})},
      ("a person raises {side[arms]} {direction[t]}", "someone slowly lifts {side[arms]} {direction[t]}",
       "the person puts {side[arms]} {direction[t]}"), make_raise, side_parts("side"), mirror="side"),
    K("clap", {"count": counts(2, 6)},
      ("a person claps the hands together {count[n]} times", "someone claps the hands {count[n]} times", "the person claps {count[n]} times in front of the chest"),
      make_clap, fixed_parts("left arm", "right arm")),
    K("punch", {"side": LR, "count": counts(1, 4)},
      ("a person punches forward with the {side[k]} hand {count[times]}", "someone throws a {side[k]} punch {count[times]}",
       "the person punches {count[times]} with the {side[k]} fist"), make_punch, fixed_parts("left arm", "right arm", "spine"), mirror="side"),
    K("throw", {"side": LR},
      ("a person throws something with the {side[k]} hand", "someone throws a ball with the {side[k]} arm",
       "the person winds up and throws with the {side[k]} hand"), make_throw, side_parts("side", "spine"), mirror="side"),
    K("point", {"side": LR, "direction": words("forward", "side", t={"forward": "forward", "side": "to the side"})},
      ("a person points {direction[t]} with the {side[k]} hand", "someone extends the {side[k]} arm and points {direction[t]}",
       "the person points {direction[t]} using the {side[k]} arm"), make_point, side_parts("side"), mirror="side"),
    K("drink", {"side": LR},
      ("a person drinks from a cup in the {side[k]} hand", "someone raises the {side[k]} hand to the mouth to drink",
       "the person takes a drink with the {side[k]} hand"), make_drink, side_parts("side", "head"), mirror="side"),
    K("phone", {"side": LR},
      ("a person holds a phone to the {side[k]} ear", "someone answers a phone with the {side[k]} hand",
       "the person talks on the phone held in the {side[k]} hand"), make_phone, side_parts("side", "head"), mirror="side"),
    K("arm_circles", {"side": LRB, "direction": words("forward", "backward"), "count": counts(2, 4)},
      ("a person makes {count[n]} {direction[k]} circles with {side[arms]}", "someone rotates {side[arms]} in {count[n]} {direction[k]} circles",
       "the person circles {side[arms]} {direction[k]} {count[n]} times"), make_circles, side_parts("side"), mirror="side"),
    K("stretch", {"direction": words("up", "left", "right", t={"up": "the arms overhead", "left": "to the left side", "right": "to the right side"})},
      ("a person stretches {direction[t]}", "someone raises both arms and stretches {direction[t]}", "the person does a stretch, reaching {direction[t]}"),
      make_stretch, fixed_parts("left arm", "right arm", "spine"), mirror="direction"),
    K("bow", {"depth": words("slight", "deep", adv={"slight": "slightly", "deep": "deeply"})},
      ("a person bows {depth[adv]} from the waist", "someone bends forward {depth[adv]} in a bow", "the person takes a {depth[k]} bow"),
      make_bow, fixed_parts("spine")),
    K("bend_down", {"side": LR},
      ("a person bends down and picks something up with the {side[k]} hand", "someone reaches down to the floor with the {side[k]} hand",
       "the person bends over to pick up an object with the {side[k]} hand"), make_bend_down, side_parts("side", "spine"), mirror="side"),
    K("look", {"direction": words("left", "right", "up", "down")},
      ("a person turns the head and looks {direction[k]}", "someone turns the head to look {direction[k]}", "the person glances {direction[k]} and back"),
      make_look, fixed_parts("head"), mirror="direction"),
    K("nod", {"count": counts(2, 4)},
      ("a person nods the head {count[n]} times in agreement", "someone nods the head up and down {count[n]} times", "the person nods yes {count[n]} times"), make_nod, fixed_parts("head")),
    K("shake_head", {"count": counts(2, 4)},
      ("a person shakes the head {count[n]} times", "someone shakes their head no {count[n]} times",
       "the person shakes the head from side to side {count[n]} times"), make_shake, fixed_parts("head")),
    K("torso_twist", {"count": counts(2, 4)},
      ("a person twists the torso from side to side {count[n]} times", "someone rotates the upper body left and right {count[n]} times",
       "the person twists at the waist {count[n]} times"), make_twist, fixed_parts("spine")),
    K("idle", {}, ("a person stands still in one place", "someone stands in place without moving", "the person stays standing still and waits"), make_idle, fixed_parts()),
]  # fmt: skip
