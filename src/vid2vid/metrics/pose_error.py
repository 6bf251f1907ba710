"""Pose error as in the paper: keypoints detected on generated frames vs the driving keypoints, mean L2 in pixels.

Keypoints are (..., J, 3) tensors: x, y in pixels of the frames they belong to, and a visibility / confidence. Only
joints visible in the *driving* keypoints (``> 0``) count. A joint the detector does not find (its confidence
``<= min_confidence``) is not given a distance; it is counted as missed, and ``PoseErrorStats.detection_rate`` reports
the fraction found, so a method cannot look good by producing frames the detector cannot read. Our own detector
(``KeypointNet``) always returns every joint; mediapipe may miss some.

Resolution: errors are in pixels of the frames the keypoints refer to; we report them at the dataset's resolution
(e.g. 128 x 128 for the small dancers benchmark) and say so. ``rescale_keypoints`` converts to another resolution
(the paper's numbers are at its own, larger, resolution and are not directly comparable).
"""

from __future__ import annotations

from typing import Callable

import torch

Detector = Callable[[torch.Tensor], torch.Tensor]  # frames (N, 3, H, W) in [-1, 1] -> keypoints (N, J, 3)


def joint_distances(pred: torch.Tensor, driving: torch.Tensor, min_confidence: float = 0.0
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(distances (...,J), counted (...,J) bool, missed (...,J) bool) for predicted vs driving keypoints."""
    if pred.shape[:-1] != driving.shape[:-1] or pred.shape[-1] < 2 or driving.shape[-1] != 3:
        raise ValueError(f"keypoint shapes differ: predicted {tuple(pred.shape)}, driving {tuple(driving.shape)}")
    pred, driving = pred.float(), driving.float()
    dist = torch.linalg.vector_norm(pred[..., :2] - driving[..., :2], dim=-1)
    visible = driving[..., 2] > 0
    found = pred[..., 2] > min_confidence if pred.shape[-1] > 2 else torch.ones_like(visible)
    return dist, visible & found, visible & ~found


def pose_error(pred: torch.Tensor, driving: torch.Tensor, min_confidence: float = 0.0) -> float:
    """Mean L2 distance in pixels over joints visible in ``driving`` and found in ``pred`` (nan if there are none)."""
    return PoseErrorStats().update(pred, driving, min_confidence).mean


class PoseErrorStats:
    """Running pose error over many frames: total distance, joints counted, joints missed."""

    def __init__(self) -> None:
        self.total, self.count, self.missed = 0.0, 0, 0

    def update(self, pred: torch.Tensor, driving: torch.Tensor, min_confidence: float = 0.0) -> "PoseErrorStats":
        dist, counted, missed = joint_distances(pred, driving, min_confidence)
        self.total += float(dist[counted].double().sum())
        self.count += int(counted.sum())
        self.missed += int(missed.sum())
        return self

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")

    @property
    def detection_rate(self) -> float:
        """Fraction of driving-visible joints the detector found."""
        seen = self.count + self.missed
        return self.count / seen if seen else float("nan")

    def as_dict(self) -> dict[str, float]:
        return {"pose_error_px": self.mean, "detection_rate": self.detection_rate, "joints": self.count}


def detected_pose_error(detector: Detector, frames: torch.Tensor, driving: torch.Tensor,
                        min_confidence: float = 0.0, stats: PoseErrorStats | None = None) -> PoseErrorStats:
    """Run ``detector`` on frames (N, 3, H, W) in [-1, 1] and score its keypoints against ``driving`` (N, J, 3)."""
    stats = stats or PoseErrorStats()
    return stats.update(detector(frames), driving, min_confidence)


def rescale_keypoints(keypoints: torch.Tensor, from_hw: tuple[int, int], to_hw: tuple[int, int]) -> torch.Tensor:
    """Keypoints of an image of size ``from_hw`` expressed at ``to_hw`` (pixel centres at integer coordinates)."""
    out = keypoints.clone().float()
    for axis, (src, dst) in enumerate(zip(from_hw[::-1], to_hw[::-1])):  # x uses widths, y heights
        out[..., axis] = (out[..., axis] + 0.5) * (dst / src) - 0.5
    return out
