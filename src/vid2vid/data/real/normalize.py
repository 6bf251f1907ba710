"""Motion-transfer pose normalisation between the driving person and the example person (Everybody Dance Now).

Each person is summarised by where their ankles touch the floor and how tall they look there: the farthest (highest
in the image) and closest (lowest) ankle lines seen, and the median body height (nose to ankle, in pixels) near each.
A driving pose whose ankles are at ``a`` is scaled about its ankle line and moved so that:
- its ankle line lands on the example's floor line at the same relative depth (linear between far and close), and
- its height matches the example's height at that depth (the scale ratio interpolated the same way).
When either person shows a single floor position (one photo, or someone who does not move in depth) the map is one
scale (height ratio) and one offset (median ankle lines aligned). Horizontally the driving person's median hip
centre maps to the example's, so sideways motion is kept, scaled. Everything here is a pure function of arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vid2vid.errors import UserError

NOSE, R_HIP, L_HIP, R_ANKLE, L_ANKLE = 0, 8, 11, 10, 13
_DEPTH_RANGE = 0.05  # ankle-line range (fraction of the height) below which a person counts as one floor position
_NEAR = 0.2  # frames within this fraction of the range from the far / close line measure the height there


@dataclass(frozen=True)
class FloorStats:
    """How one person stands in their frames, in pixels."""

    far_ankle: float  # smallest ankle-line y seen
    close_ankle: float  # largest ankle-line y seen
    far_height: float  # median nose-to-ankle height near the far line
    close_height: float  # median height near the close line
    median_ankle: float
    median_height: float
    centre_x: float  # median x of the hip centre (or the neck)

    @property
    def has_depth(self) -> bool:
        return self.close_ankle - self.far_ankle > _DEPTH_RANGE * self.median_height


def ankle_line(kp: np.ndarray) -> float:
    """Mean y of the visible ankles of one (18, 3) pose; NaN without any."""
    vis = [kp[j, 1] for j in (R_ANKLE, L_ANKLE) if kp[j, 2] > 0]
    return float(np.mean(vis)) if vis else float("nan")


def _centre_x(kp: np.ndarray) -> float:
    hips = [kp[j, 0] for j in (R_HIP, L_HIP) if kp[j, 2] > 0]
    if hips:
        return float(np.mean(hips))
    vis = kp[:, 2] > 0
    return float(kp[vis, 0].mean()) if vis.any() else float("nan")


def floor_stats(keypoints: np.ndarray, who: str = "the person") -> FloorStats:
    """Summarise poses (T, 18, 3) or one pose (18, 3) with visibility in column 2; UserError naming ``who`` when no
    pose shows both the nose and an ankle (the height cannot be measured)."""
    kps = np.asarray(keypoints, np.float64).reshape(-1, 18, 3)
    ankles = np.array([ankle_line(k) for k in kps])
    heights = np.where(kps[:, NOSE, 2] > 0, ankles - kps[:, NOSE, 1], np.nan)
    ok = np.isfinite(heights) & (heights > 0)
    if not ok.any():
        raise UserError(f"cannot measure the body height of {who}: no frame shows both the face and an ankle; "
                        "motion normalisation needs the whole body in view (or turn it off)")
    a, h = ankles[ok], heights[ok]
    far, close = float(a.min()), float(a.max())
    band = _NEAR * (close - far)
    centres = np.array([_centre_x(k) for k in kps[ok]])
    return FloorStats(
        far_ankle=far, close_ankle=close,
        far_height=float(np.median(h[a <= far + band])), close_height=float(np.median(h[a >= close - band])),
        median_ankle=float(np.median(a)), median_height=float(np.median(h)),
        centre_x=float(np.nanmedian(centres)) if np.isfinite(centres).any() else 0.0,
    )


def motion_transform(source: FloorStats, target: FloorStats, ankle: float) -> tuple[float, float, float]:
    """(scale, tx, ty) mapping a source pose whose ankle line is at ``ankle`` into the target's frame:
    ``x' = scale * x + tx``, ``y' = scale * y + ty``."""
    if source.has_depth and target.has_depth:
        t = (ankle - source.far_ankle) / (source.close_ankle - source.far_ankle)
        new_ankle = target.far_ankle + t * (target.close_ankle - target.far_ankle)
        far_ratio = target.far_height / source.far_height
        scale = far_ratio + t * (target.close_height / source.close_height - far_ratio)
    else:
        scale = target.median_height / source.median_height
        new_ankle = target.median_ankle + scale * (ankle - source.median_ankle)
    scale = float(max(scale, 1e-3))
    return scale, target.centre_x - scale * source.centre_x, float(new_ankle - scale * ankle)


def apply_transform(keypoints: np.ndarray, transform: tuple[float, float, float]) -> np.ndarray:
    """Apply (scale, tx, ty) to the x, y of keypoints (..., 3); visibility unchanged."""
    scale, tx, ty = transform
    out = np.array(keypoints, np.float32, copy=True)
    out[..., 0] = scale * out[..., 0] + tx
    out[..., 1] = scale * out[..., 1] + ty
    return out


class MotionNormalizer:
    """Per-frame normalisation with fixed statistics; a frame without visible ankles reuses the last ankle line."""

    def __init__(self, source: FloorStats, target: FloorStats) -> None:
        self.source, self.target = source, target
        self.last_ankle = source.median_ankle

    def __call__(self, keypoints: np.ndarray) -> tuple[np.ndarray, tuple[float, float, float]]:
        """(normalised (18, 3) keypoints, the (scale, tx, ty) used: apply it to masks and part maps too)."""
        a = ankle_line(np.asarray(keypoints))
        if np.isfinite(a):
            self.last_ankle = a
        transform = motion_transform(self.source, self.target, self.last_ankle)
        return apply_transform(keypoints, transform), transform


def normalize_motion(driving: np.ndarray, example: np.ndarray) -> np.ndarray:
    """Driving poses (T, 18, 3) mapped onto the example person's body height and floor line; ``example`` is one pose
    (18, 3) or several (K, 18, 3) of the example person, in the output frame's pixels."""
    norm = MotionNormalizer(floor_stats(driving, "the driving person"), floor_stats(example, "the example person"))
    return np.stack([norm(k)[0] for k in np.asarray(driving)])
