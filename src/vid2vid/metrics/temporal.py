"""Temporal consistency (warping error with the exact flow) and identity drift over long sequences.

Frames are RGB tensors (T, 3, H, W) in [-1, 1]; flows are the dataset's backward flow, ``flow[t]`` (2, H, W) in
pixels defined on frame t and pointing into frame t - 1 (``VideoSample.flow``; ``flow[0]`` unused), warped with the
shared ``models.warp.warp``.

Warping error: ``mean |x_t - warp(x_{t-1}, flow_t)|`` over the pixels where the same warp reproduces the *real*
frame t (max channel difference below ``threshold``, default 0.1 in [-1, 1] units = 12.75 / 255) and whose source
lies inside frame t - 1. That mask removes disocclusions and everything the flow does not explain (lighting,
blur); it comes from the ground truth only, so every method is scored on the same pixels. Reported in [0, 1]
intensity units (the difference of [-1, 1] images halved).

Identity drift: the cosine distance between the mean appearance features of the first ``window`` and the last
``window`` frames of a long generated sequence (default features: the FID Inception pool features). Pose and camera
motion move features too, so compare with the same number on the real sequence (``drift - real drift``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from vid2vid.models.warp import warp

CONSISTENCY_THRESHOLD = 0.1


def _flow_inside(flow: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) bool: whether ``p + flow(p)`` lies inside the image."""
    _, _, h, w = flow.shape
    xs = torch.arange(w, device=flow.device, dtype=flow.dtype).view(1, w) + flow[:, 0]
    ys = torch.arange(h, device=flow.device, dtype=flow.dtype).view(h, 1) + flow[:, 1]
    return ((xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)).unsqueeze(1)


def consistency_mask(real_prev: torch.Tensor, real: torch.Tensor, flow: torch.Tensor,
                     threshold: float = CONSISTENCY_THRESHOLD) -> torch.Tensor:
    """(N, 1, H, W) bool: pixels of ``real`` (N, 3, H, W) that ``warp(real_prev, flow)`` reproduces within
    ``threshold`` on every channel and whose source lies inside the previous frame."""
    err = (warp(real_prev.float(), flow.float()) - real.float()).abs().amax(1, keepdim=True)
    return (err < threshold) & _flow_inside(flow.float())


@dataclass
class WarpingErrorStats:
    """Running warping error: sum of absolute differences ([0, 1] units) and the number of values summed."""

    total: float = 0.0
    count: int = 0

    def update(self, fake: torch.Tensor, real: torch.Tensor, flow: torch.Tensor, valid: torch.Tensor | None = None,
               threshold: float = CONSISTENCY_THRESHOLD) -> "WarpingErrorStats":
        """Add one sequence: fake, real (T, 3, H, W), flow (T, 2, H, W), valid (T,) bool (default: all t >= 1)."""
        if fake.shape != real.shape or flow.shape[0] != fake.shape[0] or flow.shape[1] != 2:
            raise ValueError(f"shapes do not match: fake {tuple(fake.shape)}, real {tuple(real.shape)}, "
                             f"flow {tuple(flow.shape)}")
        steps = torch.arange(1, fake.shape[0], device=fake.device)
        if valid is not None:
            steps = steps[valid[1:].to(fake.device).bool()]
        if len(steps) == 0:
            return self
        f = flow[steps].float()
        mask = consistency_mask(real[steps - 1], real[steps], f, threshold)
        diff = (warp(fake[steps - 1].float(), f) - fake[steps].float()).abs() / 2
        self.total += float((diff * mask).double().sum())
        self.count += int(mask.sum()) * fake.shape[1]
        return self

    @property
    def value(self) -> float:
        return self.total / self.count if self.count else float("nan")


def warping_error(fake: torch.Tensor, real: torch.Tensor, flow: torch.Tensor, valid: torch.Tensor | None = None,
                  threshold: float = CONSISTENCY_THRESHOLD) -> float:
    """Warping error of one generated sequence (module docstring); the real sequence supplies the occlusion mask."""
    return WarpingErrorStats().update(fake, real, flow, valid, threshold).value


FeatureFn = Callable[[torch.Tensor], torch.Tensor]  # frames (N, 3, H, W) in [-1, 1] -> features (N, D)


def _default_features() -> FeatureFn:
    from vid2vid.metrics.fid import InceptionFeatures

    return InceptionFeatures()


def cosine_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """1 - cos(a, b) of two feature vectors (0 for equal directions, up to 2)."""
    return float(1.0 - F.cosine_similarity(a.double().flatten(), b.double().flatten(), dim=0))


def identity_drift(frames: torch.Tensor, window: int = 8, features: FeatureFn | None = None) -> float:
    """Cosine distance between the mean features of the first and of the last ``window`` frames (T, 3, H, W).

    0 for a sequence whose appearance does not change; needs T >= 2 (windows shrink to T // 2)."""
    t = frames.shape[0]
    if t < 2:
        raise ValueError("identity drift needs at least 2 frames")
    window = max(1, min(window, t // 2))
    features = features or _default_features()
    return feature_drift(features(torch.cat([frames[:window], frames[-window:]])), window)


def feature_drift(feats: torch.Tensor, window: int) -> float:
    """Cosine distance between the mean of the first and of the last ``window`` rows of per-frame features (T, D)."""
    return cosine_distance(feats[:window].double().mean(0), feats[-window:].double().mean(0))


def drift_curve(frames: torch.Tensor, window: int = 8, every: int = 1, features: FeatureFn | None = None
                ) -> list[tuple[int, float]]:
    """(frame index, cosine distance to the mean features of the first ``window`` frames) every ``every`` frames:
    how the appearance drifts along a long sequence."""
    features = features or _default_features()
    window = max(1, min(window, frames.shape[0]))
    reference = features(frames[:window]).double().mean(0)
    picks = list(range(0, frames.shape[0], every))
    feats = features(frames[picks])
    return [(i, cosine_distance(reference, f)) for i, f in zip(picks, feats)]
