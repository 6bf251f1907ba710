"""Flow, warp and mask losses of the sequential generator.

Flow is in pixels (dx, dy) from frame t into frame t-1. The teacher flow is exact for synthetic data and OpenCV DIS
flow for real video; ``teacher_confidence`` marks where warping the real previous frame with it reproduces the
real current frame.
"""

from __future__ import annotations

import torch

from vid2vid.models.warp import warp


def teacher_confidence(prev_real: torch.Tensor, real: torch.Tensor, teacher_flow: torch.Tensor,
                       threshold: float = 0.1) -> torch.Tensor:
    """(N, 1, H, W) in {0, 1}: 1 where ``warp(prev_real, teacher_flow)`` matches ``real`` (mean abs error per pixel
    below ``threshold`` in [-1, 1] units), i.e. where the teacher flow is trustworthy and the pixel not occluded."""
    err = (warp(prev_real, teacher_flow) - real).abs().mean(1, keepdim=True)
    return (err < threshold).float()


def flow_l1(flow: torch.Tensor, teacher_flow: torch.Tensor, confidence: torch.Tensor) -> torch.Tensor:
    """L1 between predicted and teacher flow on confident pixels (pixels; divided by 20 like the flow scaling)."""
    return ((flow - teacher_flow).abs() * confidence).mean() / 20.0


def warp_l1(prev_real: torch.Tensor, real: torch.Tensor, flow: torch.Tensor, confidence: torch.Tensor) -> torch.Tensor:
    """L1 between the real previous frame warped by the predicted flow and the real current frame."""
    return ((warp(prev_real, flow) - real).abs() * confidence).mean()


def mask_l1(mask: torch.Tensor, confidence: torch.Tensor) -> torch.Tensor:
    """The mask picks the hallucinated image where warping cannot work: push it towards ``1 - confidence``."""
    return (mask - (1.0 - confidence)).abs().mean()
