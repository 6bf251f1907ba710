"""The face sketch: an edge map drawn from 68 iBUG/dlib landmarks.

Shared by the synthetic `faces` renderer and the preparation of real video (detected landmarks mapped to the same 68
points), so both produce the same kind of input. It depends on nothing but numpy and OpenCV. As in few-shot vid2vid's
face task, each landmark group is drawn as a smooth curve through its points, white on black; eyes and lips closed.
"""

from __future__ import annotations

import cv2
import numpy as np

N_LANDMARKS = 68

# iBUG-68 index groups ("right" is the subject's right, i.e. the left side of the image).
JAW = tuple(range(0, 17))
RIGHT_BROW = tuple(range(17, 22))
LEFT_BROW = tuple(range(22, 27))
NOSE_BRIDGE = tuple(range(27, 31))
LOWER_NOSE = tuple(range(31, 36))
RIGHT_EYE = tuple(range(36, 42))
LEFT_EYE = tuple(range(42, 48))
OUTER_LIPS = tuple(range(48, 60))
INNER_LIPS = tuple(range(60, 68))

# (indices, closed) for every curve of the sketch.
SKETCH_GROUPS: tuple[tuple[tuple[int, ...], bool], ...] = (
    (JAW, False),
    (RIGHT_BROW, False),
    (LEFT_BROW, False),
    (NOSE_BRIDGE, False),
    (LOWER_NOSE, False),
    (RIGHT_EYE, True),
    (LEFT_EYE, True),
    (OUTER_LIPS, True),
    (INNER_LIPS, True),
)

_SUBDIV = 6  # curve samples per landmark segment
_SHIFT = 4  # sub-pixel bits for cv2.polylines


def sketch_thickness(height: int, width: int) -> int:
    """Line thickness in pixels: 1 up to ~200 px, 2 at 256, 3 at 512."""
    return max(1, int(round(min(height, width) / 170.0)))


def smooth_curve(points: np.ndarray, closed: bool, samples: int = _SUBDIV) -> np.ndarray:
    """Catmull-Rom curve through ``points`` (N, 2): (M, 2) samples, passing through every point."""
    n = len(points)
    if n < 3:
        return points.astype(np.float64)
    if closed:
        idx = np.arange(n)
        p0, p1, p2, p3 = points[idx - 1], points[idx], points[(idx + 1) % n], points[(idx + 2) % n]
    else:
        padded = np.concatenate([points[:1], points, points[-1:]], axis=0)
        p0, p1, p2, p3 = padded[:-3], padded[1:-2], padded[2:-1], padded[3:]
    t = np.linspace(0.0, 1.0, samples, endpoint=False)[None, :, None]
    p0, p1, p2, p3 = (p[:, None, :].astype(np.float64) for p in (p0, p1, p2, p3))
    curve = 0.5 * (
        2.0 * p1
        + (p2 - p0) * t
        + (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3) * t**2
        + (3.0 * p1 - p0 - 3.0 * p2 + p3) * t**3
    )
    curve = curve.reshape(-1, 2)
    if not closed:
        curve = np.concatenate([curve, points[-1:]], axis=0)
    return curve


def draw_face_sketch(landmarks: np.ndarray, height: int, width: int) -> np.ndarray:
    """Edge map (H, W) uint8 of the 68 landmarks (68, 2) in pixels: 255 on the curves, 0 elsewhere.

    A group with any non-finite landmark (a failed detection) is left out.
    """
    if landmarks.shape[0] != N_LANDMARKS:
        raise ValueError(f"expected {N_LANDMARKS} landmarks, got {landmarks.shape[0]}")
    sketch = np.zeros((height, width), np.uint8)
    thickness = sketch_thickness(height, width)
    curves = []
    closed_flags = []
    for indices, closed in SKETCH_GROUPS:
        pts = np.asarray(landmarks[list(indices), :2], np.float64)
        if not np.all(np.isfinite(pts)):
            continue
        curve = smooth_curve(pts, closed)
        curves.append(np.round(curve * (1 << _SHIFT)).astype(np.int32))
        closed_flags.append(closed)
    for closed in (False, True):
        group = [c for c, flag in zip(curves, closed_flags) if flag == closed]
        if group:
            cv2.polylines(sketch, group, closed, 255, thickness, cv2.LINE_AA, _SHIFT)
    return sketch
