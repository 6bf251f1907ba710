"""Flow, warp and mask losses of the sequential generator, for both of its warps.

Flows are in pixels (dx, dy) from frame t into the source (the previous frame, or an example). Teachers: the exact
flow of synthetic data, OpenCV DIS flow for real video, and the example correspondence of ``data.correspondence``.
``teacher_confidence`` marks where warping the real previous frame with the teacher reproduces the real current
frame; ``generated_confidence`` where the warped *generated* previous frame already matches the real frame (the
previous-frame mask should copy only there, so it learns to hallucinate where the last output was wrong).
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


def generated_confidence(warped_generated: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) in [0, 1]: ``1 - sum_c |warped - real|`` clamped (images in [-1, 1]); gradients stopped. Also
    the example masks' target with ``loss.example_mask: warped`` (the example warped by the predicted flow)."""
    return (1.0 - (warped_generated.detach() - real).abs().sum(1, keepdim=True)).clamp(0.0, 1.0)


def better_source(warped: torch.Tensor, alternative: torch.Tensor, real: torch.Tensor,
                  margin: float = 0.05) -> torch.Tensor:
    """(N, 1, H, W) in {0, 1}: 1 where the warped previous output is at least as close to the real frame as the
    alternative the mask would pick instead (sum over channels, images in [-1, 1], ``margin`` in favour of copying
    for temporal stability); gradients stopped. A copy-where-close-enough target let small errors (a ghost, the blur
    of repeated resampling) be copied forward frame after frame: background L1 grew 0.024 -> 0.066 over 31 frames."""
    err_copy = (warped.detach() - real).abs().sum(1, keepdim=True)
    err_alt = (alternative.detach() - real).abs().sum(1, keepdim=True)
    return (err_copy <= err_alt + margin).float()


def flow_l1(flow: torch.Tensor, teacher_flow: torch.Tensor, confidence: torch.Tensor) -> torch.Tensor:
    """L1 in pixels between predicted and teacher flow on confident pixels (mean over all pixels, as the reference;
    the paper's weight 10 applies to it directly)."""
    return ((flow - teacher_flow).abs() * confidence).mean()


def warp_l1(source: torch.Tensor, real: torch.Tensor, flow: torch.Tensor, confidence: torch.Tensor) -> torch.Tensor:
    """L1 between a real source image (previous frame or example) warped by the predicted flow and the real frame."""
    return ((warp(source, flow) - real).abs() * confidence).mean()


def layout_l1(source_semantic: torch.Tensor, semantic: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """L1 between an example's semantic map warped by the predicted flow and the frame's own map, on every pixel (the
    reference's pose terms on the warped body-part and foreground masks): zero when the flow lands each of the
    example's parts on the frame's, positive where it puts a limb beside the frame's or leaves it where it was: `warp_l1`
    with every pixel counted."""
    return warp_l1(source_semantic, semantic, flow, semantic.new_ones(()))


def mask_l1(mask: torch.Tensor, confidence: torch.Tensor) -> torch.Tensor:
    """The mask picks the hallucinated image where warping cannot work: push it towards ``1 - confidence``."""
    return (mask - (1.0 - confidence)).abs().mean()
