"""Crop and scale real frames so the person (or face) sits where the training data puts it.

A ``Framing`` is one scale and offset (source pixels -> output pixels), fixed for a whole video (computed once from its
first frames, so the crop never jitters) or per example photo. Targets, measured on the synthetic data:
- pose (dancers): nose-to-ankle height 0.58 of the reference height ``min(H, 2W)``, ankle line at 0.104 of it above
  the bottom edge, hip centre at the horizontal centre (the dancer's full body fills ~70 % of the height);
- face (talking heads): eye midpoint at the horizontal centre and 0.313 of ``min(H, W)`` from the top (plus 0.3 of
  any extra height), face size (mean of eye distance and eye-to-mouth distance) 0.21 of ``min(H, W)``: head and
  shoulders.
Without framing (``fill_framing``) a frame is scaled to cover the output and centre-cropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

POSE_HEIGHT = 0.58  # nose-to-ankle height / min(H, 2W)
POSE_FLOOR = 0.104  # (H - ankle line) / min(H, 2W)
FACE_EYES_Y = 0.313  # eye midpoint y / min(H, W)
FACE_SIZE = 0.21  # mean(eye distance, eye-to-mouth distance) / min(H, W)
# Anthropometric fractions of the nose-to-ankle height, for people whose legs are out of view.
_FROM_NOSE = {"knee": 0.73, "hip": 0.46, "neck": 0.124}
_SHOULDER_SPAN = 0.24


@dataclass(frozen=True)
class Framing:
    """``out = scale * src + (tx, ty)`` onto an output of ``height`` x ``width``."""

    scale: float
    tx: float
    ty: float
    height: int
    width: int

    def points(self, points: np.ndarray) -> np.ndarray:
        """Map x, y (the first two columns) of points (..., C); other columns are kept."""
        out = np.array(points, np.float32, copy=True)
        out[..., 0] = self.scale * out[..., 0] + self.tx
        out[..., 1] = self.scale * out[..., 1] + self.ty
        return out

    def _warp(self, image: np.ndarray, border: int, interp: int) -> np.ndarray:
        s, src = self.scale, image
        rx = ry = 1.0
        if s < 0.8:  # shrink with area averaging first (warpAffine alone would alias)
            src = cv2.resize(image, (max(1, round(image.shape[1] * s)), max(1, round(image.shape[0] * s))),
                             interpolation=cv2.INTER_AREA)
            rx, ry = src.shape[1] / image.shape[1], src.shape[0] / image.shape[0]
        m = np.array([[s / rx, 0.0, self.tx], [0.0, s / ry, self.ty]], np.float64)
        return cv2.warpAffine(src, m, (self.width, self.height), flags=interp, borderMode=border)

    def image(self, rgb: np.ndarray) -> np.ndarray:
        """(h, w, 3) uint8 source frame -> (H, W, 3); outside the source the edge pixels are repeated."""
        return self._warp(rgb, cv2.BORDER_REPLICATE, cv2.INTER_LINEAR)

    def mask(self, mask: np.ndarray) -> np.ndarray:
        """(h, w) float mask -> (H, W) float32, zero outside the source."""
        return self._warp(np.asarray(mask, np.float32), cv2.BORDER_CONSTANT, cv2.INTER_LINEAR)

    def labels(self, ids: np.ndarray) -> np.ndarray:
        """(h, w) integer label ids -> (H, W) uint8 by nearest neighbour (edge labels repeated outside)."""
        m = np.array([[self.scale, 0.0, self.tx], [0.0, self.scale, self.ty]], np.float64)
        return cv2.warpAffine(np.asarray(ids, np.uint8), m, (self.width, self.height), flags=cv2.INTER_NEAREST,
                              borderMode=cv2.BORDER_REPLICATE)


def fill_framing(src_h: int, src_w: int, height: int, width: int) -> Framing:
    """Scale to cover ``height`` x ``width`` and crop the centre (no person framing)."""
    s = max(height / src_h, width / src_w)
    return Framing(s, (width - s * src_w) / 2.0, (height - s * src_h) / 2.0, height, width)


def _mean_y(kp: np.ndarray, joints: Sequence[int]) -> float:
    ys = [kp[j, 1] for j in joints if kp[j, 2] > 0]
    return float(np.mean(ys)) if ys else float("nan")


def body_measure(kp: np.ndarray) -> tuple[float, float, float] | None:
    """(nose y, nose-to-ankle height, hip centre x) of one COCO-18 pose (18, 3) with visibility in column 2,
    estimating the height from the lowest visible leg joints (or the shoulders) when the ankles are out of view."""
    kp = np.asarray(kp, np.float64)
    vis = kp[:, 2] > 0
    neck = _mean_y(kp, (1,))
    head = _mean_y(kp, (0,))
    if not np.isfinite(head):  # no nose: eyes and ears, else from the neck
        head = _mean_y(kp, (14, 15, 16, 17))
    estimates = []
    ankle, knee, hip = _mean_y(kp, (10, 13)), _mean_y(kp, (9, 12)), _mean_y(kp, (8, 11))
    if np.isfinite(head):
        for y, frac in ((ankle, 1.0), (knee, _FROM_NOSE["knee"]), (hip, _FROM_NOSE["hip"]), (neck, _FROM_NOSE["neck"])):
            if np.isfinite(y) and y > head:
                estimates.append((y - head) / frac)
                break
    if not estimates and vis[2] and vis[5]:
        span = float(np.hypot(*(kp[2, :2] - kp[5, :2])))
        if span > 0:
            estimates.append(span / _SHOULDER_SPAN)
            if not np.isfinite(head):
                head = (neck if np.isfinite(neck) else kp[[2, 5], 1].mean()) - _FROM_NOSE["neck"] * estimates[0]
    if not estimates or not np.isfinite(head):
        return None
    xs = [kp[j, 0] for j in (8, 11) if vis[j]] or [kp[j, 0] for j in (1, 0) if vis[j]] or list(kp[vis, 0])
    return head, estimates[0], float(np.mean(xs))


def person_framing(poses: Sequence[np.ndarray], height: int, width: int) -> Framing | None:
    """Framing from one or more COCO-18 poses of the same person (median over them); None if none is measurable."""
    measures = [m for m in (body_measure(p) for p in poses) if m is not None]
    if not measures:
        return None
    head, body, cx = (float(np.median(v)) for v in zip(*measures))
    ref = min(height, 2 * width)
    s = POSE_HEIGHT * ref / body
    floor = height - POSE_FLOOR * ref
    return Framing(s, width / 2.0 - s * cx, floor - s * (head + body), height, width)


def face_measure(landmarks: np.ndarray) -> tuple[float, float, float]:
    """(eye midpoint x, y, face size) of 68 iBUG landmarks (68, >=2)."""
    lm = np.asarray(landmarks, np.float64)[:, :2]
    r_eye, l_eye, mouth = lm[36:42].mean(0), lm[42:48].mean(0), lm[48:68].mean(0)
    eyes = (r_eye + l_eye) / 2.0
    size = (np.linalg.norm(l_eye - r_eye) + np.linalg.norm(mouth - eyes)) / 2.0
    return float(eyes[0]), float(eyes[1]), float(size)


def face_framing(faces: Sequence[np.ndarray], height: int, width: int) -> Framing | None:
    """Framing from the 68 landmarks of one or more frames of the same face (median); None without any."""
    if not faces:
        return None
    ex, ey, size = (float(np.median(v)) for v in zip(*(face_measure(f) for f in faces)))
    short = min(height, width)
    s = FACE_SIZE * short / max(size, 1e-6)
    target_y = FACE_EYES_Y * short + 0.3 * (height - short)
    return Framing(s, width / 2.0 - s * ex, target_y - s * ey, height, width)
