"""OpenPose-style COCO-18 skeletons: joint names, limbs, colours, and the skeleton map drawn from keypoints.

Shared by the synthetic dancers and by real-video preparation (detections converted to COCO-18), so it knows nothing
of how the keypoints were obtained. Also names the body parts of the DensePose-like part map.
"""

from __future__ import annotations

import numpy as np
import cv2

JOINT_NAMES: tuple[str, ...] = (
    "nose", "neck",
    "r_shoulder", "r_elbow", "r_wrist",
    "l_shoulder", "l_elbow", "l_wrist",
    "r_hip", "r_knee", "r_ankle",
    "l_hip", "l_knee", "l_ankle",
    "r_eye", "l_eye", "r_ear", "l_ear",
)  # OpenPose COCO-18 order
NUM_JOINTS = len(JOINT_NAMES)

# The 17 limbs OpenPose draws, as (joint, joint) index pairs, in its drawing order.
LIMBS: tuple[tuple[int, int], ...] = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7),
    (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
    (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)

# OpenPose's colour wheel, RGB; joint i is drawn in colour i and limb i in colour i.
COLORS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)

# Body parts of the DensePose-like part map; part index i + 1 is BODY_PARTS[i], 0 is background.
BODY_PARTS: tuple[str, ...] = (
    "torso", "neck", "head",
    "r_upper_arm", "r_lower_arm", "r_hand",
    "l_upper_arm", "l_lower_arm", "l_hand",
    "r_thigh", "r_shin", "r_foot",
    "l_thigh", "l_shin", "l_foot",
)
NUM_BODY_PARTS = len(BODY_PARTS)  # part indices run 0 (background) .. NUM_BODY_PARTS

_SHIFT = 4  # fixed-point bits for sub-pixel drawing
_ONE = 1 << _SHIFT


def stroke_width(height: int, width: int) -> float:
    """Half-width of a limb in pixels: 3 px at 256x256, scaling with the image diagonal, at least 1."""
    return max(1.0, 3.0 * float(np.sqrt(height * width)) / 256.0)


def _ellipse_polygon(p: np.ndarray, q: np.ndarray, half_width: float, n: int = 24) -> np.ndarray:
    """Fixed-point polygon of the ellipse whose long axis joins p and q."""
    centre = (p + q) / 2.0
    d = q - p
    half_len = max(float(np.hypot(*d)) / 2.0, half_width)
    a = float(np.arctan2(d[1], d[0]))
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    ex, ey = half_len * np.cos(t), half_width * np.sin(t)
    xs = centre[0] + ex * np.cos(a) - ey * np.sin(a)
    ys = centre[1] + ex * np.sin(a) + ey * np.cos(a)
    return np.round(np.stack([xs, ys], axis=1) * _ONE).astype(np.int32)


def draw_skeleton(keypoints: np.ndarray, height: int, width: int) -> np.ndarray:
    """Draw an OpenPose-style skeleton map: (18, 3) [x, y, visible] -> (H, W, 3) uint8 RGB on black.

    Limbs are filled ellipses in the limb colours, joints are dots on top; joints with visible == 0 and their limbs
    are skipped. Line thickness scales with the image size (see ``stroke_width``).
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.shape != (NUM_JOINTS, 3):
        raise ValueError(f"expected keypoints of shape ({NUM_JOINTS}, 3), got {kp.shape}")
    canvas = np.zeros((height, width, 3), np.uint8)
    visible = (kp[:, 2] > 0) & np.isfinite(kp[:, :2]).all(axis=1)
    half = stroke_width(height, width)
    for (a, b), color in zip(LIMBS, COLORS):
        if visible[a] and visible[b]:
            poly = _ellipse_polygon(kp[a, :2], kp[b, :2], half)
            cv2.fillConvexPoly(canvas, poly, color, lineType=cv2.LINE_AA, shift=_SHIFT)
    radius = int(round(half * _ONE))
    for j in np.flatnonzero(visible):
        centre = tuple(int(c) for c in np.round(kp[j, :2] * _ONE))
        cv2.circle(canvas, centre, radius, COLORS[j], -1, lineType=cv2.LINE_AA, shift=_SHIFT)
    return canvas
