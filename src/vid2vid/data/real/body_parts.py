"""A DensePose-like part map for real people, from COCO-18 keypoints and a person mask, matching the synthetic
dancers' part map as closely as keypoints allow.

Same vocabulary and storage as the dancers (``skeleton.BODY_PARTS``): per pixel (part index 1..15, u*255, v*255), 0 on
the background. As in ``synth.dancers``, every part has a local frame with +y along the bone from the proximal joint
to the distal one (torso, neck and head point up: hips -> neck -> head) and +x across it, rotated from +y the same way
(for a limb hanging down +x is the image's right); ``v`` runs along the part (0 at the proximal end, 1 at the distal
end, with a margin around the joints as the dancers' padded outlines have) and ``u`` across it (0.5 on the bone).

Each mask pixel goes to the nearest part (distance to the bone segment / the part's nominal radius; the torso is the
shoulder-hip quadrilateral); where several parts are within their radius the one drawn in front on the dancers wins
(arms over torso, head over neck). Without a mask, the parts are drawn as capsules of their nominal radii.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vid2vid.data.real.framing import body_measure
from vid2vid.data.skeleton import BODY_PARTS
from vid2vid.data.synth.dancers_body import Z_ORDER

PART = {name: i + 1 for i, name in enumerate(BODY_PARTS)}
# Nominal half-widths as fractions of the nose-to-ankle height (from the dancers' average proportions).
RADIUS = {"neck": 0.031, "upper_arm": 0.032, "lower_arm": 0.025, "hand": 0.024, "thigh": 0.054, "shin": 0.037,
          "foot": 0.03, "torso": 0.06}
HEAD_RY = 0.076  # head half-height / nose-to-ankle height
_MAX_SCORE = 4.0  # mask pixels farther than this many radii from every part stay background
_Z = {name: z for z, name in enumerate(Z_ORDER)}


@dataclass(frozen=True)
class _Part:
    name: str
    origin: np.ndarray  # (2,) proximal end
    axis: np.ndarray  # (2,) unit vector towards the distal end
    length: float
    radius: float  # across the part
    v0: float  # local y at v = 0 (negative: a margin before the proximal joint)
    v1: float  # local y at v = 1
    half_u: float  # local |x| at u = 0 or 1


def _unit(v: np.ndarray) -> tuple[np.ndarray, float]:
    n = float(np.hypot(*v))
    return (v / n if n > 1e-6 else np.array([0.0, 1.0])), n


def _limb(name: str, p0: np.ndarray, p1: np.ndarray, radius: float) -> _Part:
    axis, length = _unit(p1 - p0)
    return _Part(name, p0, axis, length, radius, -1.3 * radius, length + 1.3 * radius, 1.3 * radius)


def _parts(kp: np.ndarray, tips: np.ndarray | None, body: float) -> list[_Part]:
    """Local frames of the parts whose joints are visible."""
    vis = kp[:, 2] > 0
    xy = kp[:, :2].astype(np.float64)
    parts: list[_Part] = []
    if vis[2] and vis[5] and vis[8] and vis[11]:
        hip_mid, neck = (xy[8] + xy[11]) / 2, (xy[2] + xy[5]) / 2
        axis, length = _unit(neck - hip_mid)
        half = max(np.hypot(*(xy[2] - xy[5])), np.hypot(*(xy[8] - xy[11]))) / 2
        parts.append(_Part("torso", hip_mid, axis, length, RADIUS["torso"] * body, -0.14 * length, 1.05 * length,
                           1.15 * half))
    elif vis[2] and vis[5]:  # hips out of view: the torso hangs below the shoulders
        neck = (xy[2] + xy[5]) / 2
        length = 0.34 * body
        half = np.hypot(*(xy[2] - xy[5])) / 2
        hip_mid = neck + np.array([0.0, length])
        parts.append(_Part("torso", hip_mid, np.array([0.0, -1.0]), length, max(half, RADIUS["torso"] * body),
                           -0.14 * length, 1.05 * length, 1.15 * half))
    head_pts = [xy[j] for j in (14, 15) if vis[j]] or [xy[j] for j in (0, 16, 17) if vis[j]]
    if head_pts:
        centre = np.mean(head_pts, axis=0)
        up, _ = _unit(centre - xy[1]) if vis[1] else (np.array([0.0, -1.0]), 0.0)
        ry = HEAD_RY * body
        if vis[16] and vis[17]:
            ry = max(ry, 0.62 * float(np.hypot(*(xy[16] - xy[17]))))
        if vis[1]:
            top = float(np.dot(centre - xy[1], up)) - 0.8 * ry  # the neck ends where the head begins
            if top > 0:
                parts.append(_Part("neck", xy[1], up, top, RADIUS["neck"] * body, -0.3 * top, 1.3 * top,
                                   1.4 * RADIUS["neck"] * body))
        # The head's local origin is below its centre by 0.8 ry, like the dancers' (top of the neck).
        parts.append(_Part("head", centre - 0.8 * ry * up, up, 0.8 * ry, ry, -0.2 * ry, 1.9 * ry, 0.95 * ry))
    for side, (sh, el, wr, hp, kn, an), (hand_tip, foot_tip) in (
        ("r", (2, 3, 4, 8, 9, 10), (0, 2)), ("l", (5, 6, 7, 11, 12, 13), (1, 3)),
    ):
        chain = (("upper_arm", sh, el), ("lower_arm", el, wr), ("thigh", hp, kn), ("shin", kn, an))
        for name, a, b in chain:
            if vis[a] and vis[b]:
                parts.append(_limb(f"{side}_{name}", xy[a], xy[b], RADIUS[name] * body))
        for name, end, prev, tip, default in (("hand", wr, el, hand_tip, None), ("foot", an, kn, foot_tip, (0, 1))):
            if not vis[end]:
                continue
            if tips is not None and tips[tip, 2] > 0.3:
                target = tips[tip, :2].astype(np.float64)
            elif default is None and vis[prev]:
                target = xy[end] + 0.45 * (xy[end] - xy[prev])
            else:
                target = xy[end] + 0.05 * body * np.array(default or (0, 1), np.float64)
            parts.append(_limb(f"{side}_{name}", xy[end], target, RADIUS[name] * body))
    return parts


def draw_parts(keypoints: np.ndarray, mask: np.ndarray | None, height: int, width: int,
               tips: np.ndarray | None = None) -> np.ndarray:
    """(H, W, 3) uint8 part map (index, u*255, v*255) from COCO-18 keypoints (18, 3) [x, y, visible] in output
    pixels, an optional person mask (H, W) in [0, 1] and optional hand/foot tips (4, 3) [x, y, score]."""
    out = np.zeros((height, width, 3), np.uint8)
    kp = np.asarray(keypoints, np.float64)
    measure = body_measure(kp)
    if measure is None:
        return out
    parts = _parts(kp, tips, measure[1])
    if not parts:
        return out
    inside = mask > 0.5 if mask is not None else np.ones((height, width), bool)
    rows, cols = np.nonzero(inside)
    if rows.size == 0:
        return out
    p = np.stack([cols, rows], axis=1).astype(np.float32)  # (N, 2) pixel centres
    n = len(parts)
    score = np.empty((n, len(p)), np.float32)
    along = np.empty_like(score)
    across = np.empty_like(score)
    for k, part in enumerate(parts):
        d = p - part.origin.astype(np.float32)
        ax = part.axis.astype(np.float32)
        along[k] = d @ ax
        across[k] = d @ np.array([ax[1], -ax[0]], np.float32)
        if part.name == "head":
            ry = part.radius
            e = np.hypot(across[k] / (0.83 * ry), (along[k] - 0.8 * ry) / ry)
            score[k] = np.maximum(e - 1.0, 0.0) * 3.0
        elif part.name == "torso":
            t = np.clip(along[k], 0.0, part.length)
            out_len = np.abs(along[k] - t)
            out_wid = np.maximum(np.abs(across[k]) - part.half_u / 1.15, 0.0)
            score[k] = np.hypot(out_len, out_wid) / part.radius
        else:
            t = np.clip(along[k], 0.0, part.length)
            score[k] = np.hypot(along[k] - t, across[k]) / part.radius
    z = np.array([_Z[part.name] for part in parts], np.float32)
    # Within a part's radius the frontmost part wins; elsewhere the nearest.
    rank = np.where(score <= 1.0, -1000.0 + (-z[:, None]), score)
    best = np.argmin(rank, axis=0)
    best_score = score[best, np.arange(len(p))]
    keep = best_score <= (_MAX_SCORE if mask is not None else 1.0)
    idx = np.arange(len(p))[keep]
    best = best[keep]
    v0 = np.array([pt.v0 for pt in parts], np.float32)[best]
    v1 = np.array([pt.v1 for pt in parts], np.float32)[best]
    hu = np.array([pt.half_u for pt in parts], np.float32)[best]
    u = np.clip(0.5 + across[best, idx] / (2.0 * hu), 0.0, 1.0)
    v = np.clip((along[best, idx] - v0) / (v1 - v0), 0.0, 1.0)
    ids = np.array([PART[pt.name] for pt in parts], np.uint8)[best]
    out[rows[keep], cols[keep]] = np.stack([ids, np.round(u * 255), np.round(v * 255)], axis=1).astype(np.uint8)
    return out
