"""Typed values passed between the generator's parts and returned to losses and visualisation."""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

from vid2vid.models.spade import GeneratedConv


@dataclass
class Conditioning:
    """What the appearance module (few-shot E, a baseline, or nothing) hands to H for one frame."""

    bottleneck: torch.Tensor | None = None  # (B, ch_n, h, w) decoder input; None: the semantic embedding's bottleneck
    embed_weights: list[GeneratedConv] | None = None  # theta_S per adaptive level (few-shot)
    block_weights: list[GeneratedConv] | None = None  # theta_gamma/theta_beta per adaptive level (few-shot)
    style: torch.Tensor | None = None  # (B, S) style vector (baselines)
    adain: list[torch.Tensor] | None = None  # per decoder level (B, modulation channels) (AdaIN baseline)
    attention: torch.Tensor | None = None  # (B, K, h, w) attention mass per example (K >= 2), sums to 1 over K
    example_index: torch.Tensor | None = None  # (B,) long: the best-matching example (warped into the frame)
    colours: torch.Tensor | None = None  # (B, 3, h, w) attended example colours at the attention level (few-shot)


@dataclass
class ExampleCode:
    """Everything that depends only on the examples, computed once per video by `encode_examples`."""

    images: torch.Tensor | None  # (B, K, 3, H, W) examples in [-1, 1]; None for the single-domain generator
    semantics: torch.Tensor | None  # (B, K, C, H, W)
    conditioning: Conditioning | None = None  # complete per-frame conditioning when it is example-only (K = 1)
    image_features: torch.Tensor | None = None  # (B, K, c, h, w) E_F image features at the attention level (K >= 2)
    semantic_features: torch.Tensor | None = None  # (B, K, c, h, w) E_F semantic features there (K >= 2)
    keys: torch.Tensor | None = None  # (B, K, c, h, w) E_A attention keys (K >= 2)
    pixels: torch.Tensor | None = None  # (B, K, 3, h, w) examples pooled to the attention level (attention_image)
    class_features: torch.Tensor | None = None  # (1 or B, C, F) per-class features (generator multimodal_channels)

    @property
    def num_examples(self) -> int:
        return 0 if self.images is None else self.images.shape[1]


@dataclass
class FrameOutput:
    """One generated frame and its intermediate results. Entries that do not apply are None."""

    image: torch.Tensor  # (B, 3, H, W) x_t = (1 - m_t) * warp(x_{t-1}, w_t) + m_t * h'_t
    hallucinated: torch.Tensor  # (B, 3, H, W) h_t, the raw output of H
    flow: torch.Tensor | None  # (B, 2, H, W) w_t in pixels (None on the first frame)
    mask: torch.Tensor | None  # (B, 1, H, W) m_t (None on the first frame)
    warped: torch.Tensor | None  # (B, 3, H, W) warp(x_{t-1}, w_t)
    example_flow: torch.Tensor | None = None  # (B, 2, H, W) flow warping the chosen example
    example_mask: torch.Tensor | None = None  # (B, 1, H, W) m_e: h'_t = (1 - m_e) * warp(e, w_e) + m_e * h_t
    example_warped: torch.Tensor | None = None  # (B, 3, H, W) warp(e, w_e)
    blended: torch.Tensor | None = None  # (B, 3, H, W) h'_t, what m_t weighs against warp(x_{t-1}) (compose: blend)
    attention: torch.Tensor | None = None  # (B, K, h, w) per-example attention (K >= 2)
    example_index: torch.Tensor | None = None  # (B,) which example was warped
    fill_flow: torch.Tensor | None = None  # (B, 2, H, W) flow warping the second-best example (example_fill, K >= 2)
    fill_mask: torch.Tensor | None = None  # (B, 1, H, W) m_f: where h_t, not the second example, fills in for m_e
    fill_warped: torch.Tensor | None = None  # (B, 3, H, W) the second example warped
    fill_index: torch.Tensor | None = None  # (B,) which example filled in
    foreground: torch.Tensor | None = None  # (B, 3, H, W) h_F of the foreground branch (generator foreground)


def stack_frames(outputs: list[FrameOutput], name: str) -> torch.Tensor | None:
    """Stack one field over time: (B, T, ...); None if the field is None in any frame."""
    values = [getattr(o, name) for o in outputs]
    if any(v is None for v in values):
        return None
    return torch.stack(values, dim=1)


def frame_fields() -> list[str]:
    return [f.name for f in fields(FrameOutput)]


def pad_history(history: torch.Tensor, n: int) -> torch.Tensor:
    """Keep the last n entries of (B, m, ...) along dim 1; with m < n, repeat the oldest entry in front."""
    if history.shape[1] >= n:
        return history[:, history.shape[1] - n:]
    return torch.cat([history[:, :1].expand(-1, n - history.shape[1], *history.shape[2:]), history], dim=1)
