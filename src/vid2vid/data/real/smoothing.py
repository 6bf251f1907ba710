"""Temporal smoothing of detected keypoints against jitter: a One-Euro filter per coordinate (Casiez et al. 2012)
with visibility hysteresis per joint.

The One-Euro filter is an exponential smoother whose cut-off frequency rises with the speed of the signal: still
joints are smoothed hard (no jitter), fast ones lightly (little lag). A joint turns visible when its score exceeds
``on`` and invisible only when it drops below ``off``; a joint that reappears restarts its filter (no glide from a
stale position).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SmoothingConfig:
    """One-Euro parameters; positions in pixels, speeds in pixels per second. ``min_cutoff`` in Hz."""

    min_cutoff: float = 1.0  # lower: smoother when still, more lag
    beta: float = 0.05  # higher: less lag when moving fast
    d_cutoff: float = 1.0  # cut-off of the speed estimate
    on: float = 0.5  # score above which a hidden joint becomes visible
    off: float = 0.3  # score below which a visible joint becomes hidden


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray:
    tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff, np.float64))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One-Euro filter over arrays of any fixed shape, sampled at ``fps``."""

    def __init__(self, fps: float, min_cutoff: float = 1.0, beta: float = 0.05, d_cutoff: float = 1.0) -> None:
        self.dt = 1.0 / float(fps)
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.x: np.ndarray | None = None
        self.dx: np.ndarray | None = None

    def reset(self, where: np.ndarray | None = None) -> None:
        """Forget the state everywhere, or only where the boolean mask ``where`` is true."""
        if where is None or self.x is None:
            self.x = self.dx = None
        else:
            self.x[where] = np.nan  # NaN marks "restart from the next sample"

    def __call__(self, value: np.ndarray) -> np.ndarray:
        value = np.asarray(value, np.float64)
        if self.x is None:
            self.x, self.dx = value.copy(), np.zeros_like(value)
            return value.copy()
        fresh = ~np.isfinite(self.x)
        prev = np.where(fresh, value, self.x)
        speed = (value - prev) / self.dt
        dx = self.dx + _alpha(self.d_cutoff, self.dt) * (speed - self.dx)
        dx = np.where(fresh, 0.0, dx)
        cutoff = self.min_cutoff + self.beta * np.abs(dx)
        x = prev + _alpha(cutoff, self.dt) * (value - prev)
        self.x, self.dx = x, dx
        return x.copy()


class KeypointSmoother:
    """Smooths (J, 3) keypoints [x, y, score] frame by frame -> (J, 3) [x, y, visible in {0, 1}]."""

    def __init__(self, fps: float, config: SmoothingConfig = SmoothingConfig()) -> None:
        self.config = config
        self.filter = OneEuroFilter(fps, config.min_cutoff, config.beta, config.d_cutoff)
        self.visible: np.ndarray | None = None

    def __call__(self, keypoints: np.ndarray) -> np.ndarray:
        kp = np.asarray(keypoints, np.float64)
        score = kp[:, 2]
        if self.visible is None:
            self.visible = score > self.config.on
        else:
            appear = ~self.visible & (score > self.config.on)
            self.visible = np.where(self.visible, score >= self.config.off, appear)
            if appear.any() and self.filter.x is not None:
                self.filter.reset(np.broadcast_to(appear[:, None], self.filter.x.shape).copy())
        xy = self.filter(kp[:, :2])
        return np.concatenate([xy, self.visible[:, None].astype(np.float64)], axis=1).astype(np.float32)
