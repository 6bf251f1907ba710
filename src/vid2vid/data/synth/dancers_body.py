"""Body of a synthetic dancer: proportions, part outlines, procedural motion, and 2D kinematics with foreshortening.

Lengths are in body units (a standing person is about 1 tall). Every part has a local frame: origin at its
proximal joint, +y along the bone towards the distal joint (torso, neck and head point up, limbs point down when
at rest), +x across it. A part at world angle phi (0 = pointing down the image) with foreshortening f maps local
(x, y) to ``origin + R(phi) @ (x, f * y)``: out-of-plane swings (knee lifts, forward arm raises) shorten the part
along its bone, which keeps every part an affine map and the optical flow exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vid2vid.data.skeleton import BODY_PARTS, NUM_JOINTS

PART_ID = {name: i + 1 for i, name in enumerate(BODY_PARTS)}  # object id == part index; 0 is the background
# Back to front. Thighs cover the knees, shoes the ankles, the torso the hips, arms and hands come last.
Z_ORDER: tuple[str, ...] = (
    "r_shin", "l_shin", "r_foot", "l_foot", "r_thigh", "l_thigh", "neck", "torso", "head",
    "r_upper_arm", "l_upper_arm", "r_lower_arm", "l_lower_arm", "r_hand", "l_hand",
)
_MIN_FORESHORTEN = 0.25


@dataclass(frozen=True)
class BodyShape:
    """Proportions of one identity, in body units; ``*_w`` are half-widths."""

    head_rx: float
    head_ry: float
    neck_len: float
    neck_w: float
    torso_len: float  # hip line to the base of the neck
    shoulder_w: float
    chest_w: float
    waist_w: float
    hip_w: float
    upper_arm: float
    lower_arm: float
    hand_len: float
    arm_w: float
    forearm_w: float
    hand_w: float
    thigh: float
    shin: float
    thigh_w: float
    shin_w: float
    foot_len: float  # ankle to sole, seen from the front
    foot_w: float
    frame_fill: float  # standing height as a fraction of the frame height (at full depth)

    @property
    def head_cy(self) -> float:
        """Height of the face centre above the top of the neck."""
        return 0.8 * self.head_ry

    @property
    def shoulder_x(self) -> float:
        return self.shoulder_w - 0.7 * self.arm_w

    @property
    def hip_x(self) -> float:
        return self.hip_w - 0.9 * self.thigh_w

    @property
    def standing_height(self) -> float:
        return self.foot_len + self.shin + self.thigh + self.torso_len + self.neck_len + self.head_cy + self.head_ry


def sample_shape(rng: np.random.Generator) -> BodyShape:
    """Draw the proportions of one identity: slim to broad, short- to long-limbed, small to large head."""
    u = rng.uniform
    build = u(0.0, 1.0)  # 0 slim .. 1 broad, correlates the widths
    width = lambda lo, hi: lo + (hi - lo) * float(np.clip(build + u(-0.25, 0.25), 0.0, 1.0))  # noqa: E731
    head_ry = u(0.056, 0.072)
    arm_w = width(0.020, 0.034)
    thigh_w = width(0.034, 0.056)
    shoulder_w = width(0.095, 0.13)
    return BodyShape(
        head_rx=head_ry * u(0.76, 0.88), head_ry=head_ry,
        neck_len=u(0.025, 0.045), neck_w=width(0.020, 0.032),
        torso_len=u(0.27, 0.31),
        shoulder_w=shoulder_w, chest_w=shoulder_w * u(0.82, 0.95),
        waist_w=width(0.060, 0.095), hip_w=width(0.075, 0.11),
        upper_arm=u(0.16, 0.19), lower_arm=u(0.14, 0.165), hand_len=u(0.065, 0.085),
        arm_w=arm_w, forearm_w=arm_w * u(0.72, 0.85), hand_w=arm_w * u(0.85, 1.0),
        thigh=u(0.22, 0.255), shin=u(0.22, 0.25), thigh_w=thigh_w, shin_w=thigh_w * u(0.62, 0.75),
        foot_len=u(0.04, 0.05), foot_w=thigh_w * u(0.6, 0.75),
        frame_fill=u(0.6, 0.78),
    )


def _capsule(length: float, r0: float, r1: float, n: int = 10) -> np.ndarray:
    """Tapered capsule from (0, 0) with radius r0 to (0, length) with radius r1, as an (N, 2) polygon."""
    a = np.linspace(0.0, np.pi, n)
    top = np.stack([r1 * np.cos(a), length + r1 * np.sin(a)], axis=1)  # round end at the distal joint
    bottom = np.stack([-r0 * np.cos(a), -r0 * np.sin(a)], axis=1)  # round end at the proximal joint
    return np.concatenate([top, bottom])


def ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 32) -> np.ndarray:
    """(N, 2) polygon of an axis-aligned ellipse."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _torso(s: BodyShape) -> np.ndarray:
    """Torso outline in its own frame (hip line at y = 0, neck base at y = torso_len)."""
    L = s.torso_len
    ys = np.array([-0.035, 0.0, 0.12 * L, 0.45 * L, 0.72 * L, 0.9 * L, L - 0.01, L + 0.005])
    ws = np.array([0.92 * s.hip_w, s.hip_w, 0.96 * s.hip_w, s.waist_w, s.chest_w, s.shoulder_w,
                   0.85 * s.shoulder_w, 1.6 * s.neck_w])
    right = np.stack([ws, ys], axis=1)
    left = np.stack([-ws[::-1], ys[::-1]], axis=1)
    return np.concatenate([right, left])


def body_outlines(s: BodyShape) -> dict[str, list[np.ndarray]]:
    """Local outline polygons of every part (hair and skirts are added by the look)."""
    out: dict[str, list[np.ndarray]] = {
        "torso": [_torso(s)],
        "neck": [np.array([[-s.neck_w, -0.02], [s.neck_w, -0.02], [s.neck_w, s.neck_len + 0.02],
                           [-s.neck_w, s.neck_len + 0.02]])],
        "head": [ellipse(0.0, s.head_cy, s.head_rx, s.head_ry),
                 ellipse(s.head_rx * 0.97, s.head_cy, 0.18 * s.head_rx, 0.3 * s.head_ry, 12),
                 ellipse(-s.head_rx * 0.97, s.head_cy, 0.18 * s.head_rx, 0.3 * s.head_ry, 12)],
    }
    for side in ("r", "l"):
        out[f"{side}_upper_arm"] = [_capsule(s.upper_arm, s.arm_w, 0.9 * s.forearm_w)]
        out[f"{side}_lower_arm"] = [_capsule(s.lower_arm, s.forearm_w, 0.75 * s.forearm_w)]
        out[f"{side}_hand"] = [ellipse(0.0, 0.5 * s.hand_len, s.hand_w, 0.55 * s.hand_len, 16)]
        out[f"{side}_thigh"] = [_capsule(s.thigh, s.thigh_w, 0.85 * s.shin_w)]
        out[f"{side}_shin"] = [_capsule(s.shin, s.shin_w, 0.6 * s.shin_w)]
        fw, fl = s.foot_w, s.foot_len
        out[f"{side}_foot"] = [np.array([[-0.7 * fw, -0.01], [0.7 * fw, -0.01], [fw, 0.55 * fl], [0.9 * fw, fl],
                                         [-0.9 * fw, fl], [-fw, 0.55 * fl]])]
    return out


@dataclass(frozen=True)
class Motion:
    """Per-frame pose parameters in radians and body units; per-side arrays are (T, 2) = (right, left).

    In-plane angles open outwards for positive values on both sides; pitches swing a part towards the camera.
    """

    start_x: float  # where the pelvis starts, as a fraction of the room the frame leaves for it
    root_x: np.ndarray  # (T,) sideways travel from the start, in standing heights (folded back at the frame edges)
    depth: np.ndarray  # (T,) size relative to the nearest position (1 = front of the stage)
    lift: np.ndarray  # (T,) sole above the floor (hops)
    lean: np.ndarray  # (T,) torso tilt
    neck: np.ndarray  # (T,)
    head: np.ndarray  # (T,)
    shoulder: np.ndarray  # (T, 2) arm raised sideways (pi/2 = horizontal)
    arm_pitch: np.ndarray  # (T, 2) arm raised forwards
    elbow: np.ndarray  # (T, 2) forearm bent further outwards/upwards
    elbow_flex: np.ndarray  # (T, 2) forearm bent forwards
    wrist: np.ndarray  # (T, 2)
    hip: np.ndarray  # (T, 2) leg spread sideways
    leg_pitch: np.ndarray  # (T, 2) thigh raised forwards
    knee: np.ndarray  # (T, 2) shin bent outwards
    knee_flex: np.ndarray  # (T, 2) shin bent backwards
    foot: np.ndarray  # (T, 2) toes turned out


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _dance_move(rng: np.random.Generator, t: np.ndarray, beat: float) -> dict[str, np.ndarray]:
    """One dance move: every joint angle a sinusoid at a multiple of the beat, sides in or out of phase."""
    u = rng.uniform
    w = 2.0 * np.pi * beat
    sides = np.array([0.0, rng.choice([0.0, np.pi, u(0.0, 2.0 * np.pi)])])  # mirrored, alternating or free

    def osc(base: float | np.ndarray, amp: float, lag: float = 0.0) -> np.ndarray:
        mult = rng.choice([0.5, 1.0, 1.0, 2.0])
        phase = u(0.0, 2.0 * np.pi) + lag
        return base + amp * np.sin(w * mult * t[:, None] + phase + sides)

    shoulder_base = np.full(2, u(0.15, 2.6)) if rng.random() < 0.6 else u(0.15, 2.6, size=2)
    bounce = u(0.0, 0.3) * (0.5 - 0.5 * np.cos(w * t + u(0.0, 2.0 * np.pi)))[:, None]  # knees dip on the beat
    step_phase = w * rng.choice([0.5, 1.0]) * t[:, None] + u(0.0, 2.0 * np.pi) + np.array([0.0, np.pi])
    step = u(0.0, 0.5) * np.maximum(0.0, np.sin(step_phase))  # knees lifted in turn
    hop = u(0.01, 0.05) * np.maximum(0.0, np.sin(w * t + u(0.0, 2.0 * np.pi))) ** 2
    hop = hop if rng.random() < 0.2 else 0.0 * t
    return {
        "shoulder": osc(shoulder_base, u(0.1, 0.7)), "arm_pitch": osc(u(0.0, 0.8), u(0.0, 0.4)),
        "elbow": osc(u(-0.2, 1.5), u(0.0, 0.8), lag=0.8), "elbow_flex": osc(u(0.0, 1.0), u(0.0, 0.4)),
        "wrist": osc(u(-0.3, 0.3), u(0.0, 0.5)), "hip": osc(u(0.03, 0.18), u(0.0, 0.1)),
        "leg_pitch": bounce + step, "knee_flex": 2.0 * (bounce + step), "knee": osc(u(-0.05, 0.12), u(0.0, 0.08)),
        "foot": np.full((len(t), 2), u(0.05, 0.35)), "lean": osc(u(-0.05, 0.05), u(0.0, 0.12))[:, 0],
        "neck": osc(0.0, u(0.0, 0.08))[:, 0], "head": osc(u(-0.08, 0.08), u(0.0, 0.18))[:, 0], "lift": hop,
    }


def _dance(rng: np.random.Generator, t: np.ndarray) -> dict[str, np.ndarray]:
    """A sequence of moves at one tempo, cross-faded over half a second, drifting and swaying across the stage."""
    beat = rng.uniform(84.0, 132.0) / 60.0
    bounds = [float(rng.uniform(-1.5, 0.0))]
    while bounds[-1] < t[-1:].max(initial=0.0):
        bounds.append(bounds[-1] + float(rng.uniform(1.6, 3.2)))
    channels: dict[str, np.ndarray] = {}
    for k in range(len(bounds) - 1):
        rise = _smoothstep((t - bounds[k] + 0.25) / 0.5) if k > 0 else 1.0
        fall = 1.0 - _smoothstep((t - bounds[k + 1] + 0.25) / 0.5) if k < len(bounds) - 2 else 1.0
        weight = np.broadcast_to(rise * fall, t.shape)
        for name, value in _dance_move(rng, t, beat).items():
            channels[name] = channels.get(name, 0.0) + (weight if value.ndim == 1 else weight[:, None]) * value
    sway = rng.uniform(0.0, 0.08) * np.sin(np.pi * beat * t / rng.choice([1, 2]) + rng.uniform(0.0, 2.0 * np.pi))
    channels["root_x"] = rng.uniform(-0.2, 0.2) * t + sway
    return channels


def _walk(rng: np.random.Generator, t: np.ndarray) -> dict[str, np.ndarray]:
    """Walking and side-stepping across the frame while facing the camera, arms swinging against the legs."""
    u = rng.uniform
    p = 2.0 * np.pi * u(0.75, 1.1) * t[:, None] + u(0.0, 2.0 * np.pi) + np.array([0.0, np.pi])
    swing = np.sin(p)
    ones = np.ones((len(t), 2))
    return {
        "leg_pitch": u(0.25, 0.45) * swing, "knee_flex": u(0.5, 0.9) * np.maximum(0.0, np.sin(p + 0.6)),
        "hip": u(0.03, 0.08) + u(0.0, 0.12) * np.maximum(0.0, swing), "knee": u(-0.03, 0.06) * ones,
        "foot": u(0.05, 0.3) * ones, "shoulder": u(0.08, 0.25) * ones, "arm_pitch": -u(0.2, 0.5) * swing,
        "elbow": u(0.0, 0.2) * ones, "elbow_flex": u(0.1, 0.5) + u(0.0, 0.3) * np.maximum(0.0, -swing),
        "wrist": u(-0.2, 0.2) * ones, "lean": u(-0.04, 0.04) + 0.02 * swing[:, 0],
        "neck": 0.0 * t, "head": u(-0.06, 0.06) + 0.03 * np.sin(2.0 * p[:, 0]), "lift": 0.0 * t,
        "root_x": rng.choice([-1.0, 1.0]) * u(0.25, 0.6) * t,
    }


def sample_motion(rng: np.random.Generator, n_frames: int, fps: float) -> Motion:
    """A dance (two clips in three) or a walk, with its own tempo, starting place and drift in depth."""
    t = np.arange(n_frames) / fps
    channels = _dance(rng, t) if rng.random() < 0.67 else _walk(rng, t)
    d0, dv = rng.uniform(0.8, 1.0), rng.uniform(-0.04, 0.04)
    depth = 1.0 - np.abs(((d0 - 0.8 + dv * t) % 0.4) - 0.2)  # drifts back and forth between 0.8 and 1
    return Motion(start_x=float(rng.uniform(0.0, 1.0)), depth=depth,
                  **{k: np.asarray(v, np.float64) for k, v in channels.items()})


def _frame(origin: np.ndarray, phi: np.ndarray, f: np.ndarray | float) -> np.ndarray:
    """Local->body 2x3 matrices (T, 2, 3) from origins (T, 2), world angles (T,) and foreshortening."""
    c, s_ = np.cos(phi), np.sin(phi)
    f = np.broadcast_to(np.asarray(f, np.float64), c.shape)
    return np.stack([np.stack([c, -s_ * f, origin[:, 0]], -1), np.stack([s_, c * f, origin[:, 1]], -1)], axis=1)


def _at(m: np.ndarray, x: float, y: float) -> np.ndarray:
    """Apply (T, 2, 3) matrices to one local point -> (T, 2)."""
    return m[:, :, 0] * x + m[:, :, 1] * y + m[:, :, 2]


def _shorten(pitch: np.ndarray) -> np.ndarray:
    return np.maximum(np.cos(pitch), _MIN_FORESHORTEN)


def kinematics(s: BodyShape, m: Motion) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Forward kinematics with the pelvis at the origin, in body units.

    Returns the local->body matrices of every part (each (T, 2, 3)), the 18 COCO joints (T, 18, 2) and the lowest
    sole point's y per frame (T,).
    """
    T = len(m.lean)
    zero = np.zeros((T, 2))
    torso_phi = np.pi + m.lean
    mats = {"torso": _frame(zero, torso_phi, 1.0)}
    neck_phi = torso_phi + m.neck
    mats["neck"] = _frame(_at(mats["torso"], 0.0, s.torso_len), neck_phi, 1.0)
    mats["head"] = _frame(_at(mats["neck"], 0.0, s.neck_len), neck_phi + m.head, 1.0)
    joints = np.zeros((T, NUM_JOINTS, 2))
    head = mats["head"]
    joints[:, 0] = _at(head, 0.0, s.head_cy - 0.15 * s.head_ry)  # nose tip
    for k, (side, sign) in enumerate((("r", 1.0), ("l", -1.0))):  # local +x of the torso is the person's right
        down = torso_phi - np.pi
        ua_pitch, fa_pitch = m.arm_pitch[:, k], m.arm_pitch[:, k] + m.elbow_flex[:, k]
        ua = _frame(_at(mats["torso"], sign * s.shoulder_x, s.torso_len - 0.015), down + sign * m.shoulder[:, k],
                    _shorten(ua_pitch))
        fa_phi = down + sign * (m.shoulder[:, k] + m.elbow[:, k])
        fa = _frame(_at(ua, 0.0, s.upper_arm), fa_phi, _shorten(fa_pitch))
        hand = _frame(_at(fa, 0.0, s.lower_arm), fa_phi + sign * m.wrist[:, k], _shorten(fa_pitch))
        th = _frame(_at(mats["torso"], sign * s.hip_x, 0.0), down + sign * m.hip[:, k], _shorten(m.leg_pitch[:, k]))
        sh_phi = down + sign * (m.hip[:, k] + m.knee[:, k])
        sh = _frame(_at(th, 0.0, s.thigh), sh_phi, _shorten(m.leg_pitch[:, k] - m.knee_flex[:, k]))
        foot = _frame(_at(sh, 0.0, s.shin), 0.5 * sh_phi + sign * m.foot[:, k], 1.0)
        mats.update({f"{side}_upper_arm": ua, f"{side}_lower_arm": fa, f"{side}_hand": hand,
                     f"{side}_thigh": th, f"{side}_shin": sh, f"{side}_foot": foot})
        base = 2 if side == "r" else 5
        joints[:, base] = _at(ua, 0.0, 0.0)
        joints[:, base + 1] = _at(fa, 0.0, 0.0)
        joints[:, base + 2] = _at(hand, 0.0, 0.0)
        joints[:, base + 6] = _at(th, 0.0, 0.0)
        joints[:, base + 7] = _at(sh, 0.0, 0.0)
        joints[:, base + 8] = _at(foot, 0.0, 0.0)
        joints[:, 14 + k] = _at(head, sign * 0.38 * s.head_rx, s.head_cy + 0.12 * s.head_ry)  # eyes
        joints[:, 16 + k] = _at(head, sign * 0.98 * s.head_rx, s.head_cy + 0.05 * s.head_ry)  # ears
    joints[:, 1] = (joints[:, 2] + joints[:, 5]) / 2.0  # OpenPose's neck: between the shoulders
    soles = np.stack([_at(mats[f"{side}_foot"], 0.0, s.foot_len)[:, 1] for side in ("r", "l")], axis=1)
    return mats, joints, soles.max(axis=1)


def pixels_per_unit(s: BodyShape, height: int, width: int) -> float:
    """Image pixels per body unit at full depth: the standing person fills ``frame_fill`` of the height
    (of twice the width in very wide frames, so a landscape frame is not filled by one tall person)."""
    return s.frame_fill * min(height, 2 * width) / s.standing_height


def placement(s: BodyShape, m: Motion, lowest_sole: np.ndarray, height: int, width: int,
              horizon: float) -> np.ndarray:
    """Body->image 2x3 matrices (T, 2, 3): scale by depth, stand on the floor, move across the frame.

    The floor line at full depth is at 95 % of the frame height and recedes towards ``horizon`` (a fraction of the
    height) as the dancer moves back, with the size shrinking in proportion (a pinhole camera at hip height).
    """
    px_per_unit = pixels_per_unit(s, height, width)
    scale = px_per_unit * m.depth
    ground = height * (horizon + (0.95 - horizon) * m.depth)
    margin = min(0.2 * s.standing_height * px_per_unit, 0.45 * width)
    room = width - 2.0 * margin
    x = (m.start_x * room + m.root_x * s.standing_height * px_per_unit) % (2.0 * room)
    tx = margin + room - np.abs(room - x)  # walk back after reaching an edge
    ty = ground - scale * (lowest_sole + m.lift)
    z = np.zeros_like(scale)
    return np.stack([np.stack([scale, z, tx], -1), np.stack([z, scale, ty], -1)], axis=1)
