"""Flow network W and mask network M: one shared trunk, flow heads and mask heads.

One pass predicts the flow/mask for the previous frame and, with example warping, the extra flow/mask for the
chosen example: the input stacks the current semantic map, the previous n semantic maps and frames, and the
example's semantic map and image. (The reference runs its shared flow network twice per frame, once per
target; one trunk with two heads halves that cost.) With no history the previous-frame slots are zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from vid2vid.models.config import GeneratorConfig
from vid2vid.models.layers import ConvBlock, ResBlock, conv2d


@dataclass
class FlowOutput:
    flow: torch.Tensor  # (B, 2, H, W) pixels, warps the last previous frame into the current one
    mask: torch.Tensor  # (B, 1, H, W) in [0, 1], weight of the hallucinated image
    example_flow: torch.Tensor | None  # (B, 2, H, W) warps the chosen example into the current frame
    example_mask: torch.Tensor | None  # (B, 1, H, W) weight of h_t against the warped example


class FlowNetwork(nn.Module):
    """Down (conv-norm-act), residual blocks, up (nearest + conv-norm-act; with ``flow_skips`` plus the down path's
    features of the same resolution), then 3x3 flow and mask heads."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        c, n = cfg.semantic_channels, cfg.num_prev_frames
        self.example = cfg.example_warp
        in_channels = c * (1 + n) + cfg.image_channels * n + ((c + cfg.image_channels) if self.example else 0)
        ch = [min(cfg.max_channels, cfg.flow_channels * 2**i) for i in range(cfg.flow_downsamples + 1)]
        kw = dict(norm=cfg.norm, spectral=cfg.spectral_norm)
        self.down = nn.Sequential(ConvBlock(in_channels, ch[0], **kw),
                                  *[ConvBlock(ch[i], ch[i + 1], stride=2, **kw) for i in range(cfg.flow_downsamples)])
        self.blocks = nn.Sequential(*[ResBlock(ch[-1], **kw) for _ in range(cfg.flow_blocks)])
        self.up = nn.ModuleList(ConvBlock(ch[i + 1], ch[i], upsample=True, **kw)
                                for i in reversed(range(cfg.flow_downsamples)))
        targets = 2 if self.example else 1
        self.flow_head = conv2d(ch[0], 2 * targets, 3)  # W: (dx, dy) per target
        self.mask_head = conv2d(ch[0], targets, 3)  # M: one soft mask per target
        self.scale, self.skips = cfg.flow_scale, cfg.flow_skips
        self._n_prev, self._image_channels = n, cfg.image_channels
        with torch.no_grad():  # start close to zero flow, so early warps are near-identity
            self.flow_head.weight.mul_(0.1)
            self.flow_head.bias.zero_()

    def forward(self, semantic: torch.Tensor, prev_semantics: torch.Tensor | None, prev_frames: torch.Tensor | None,
                example_semantic: torch.Tensor | None = None, example: torch.Tensor | None = None) -> FlowOutput:
        """semantic (B, C, H, W); prev_semantics (B, n, C, H, W) / prev_frames (B, n, 3, H, W) or None (zeros);
        example_semantic (B, C, H, W) and example (B, 3, H, W) when example warping is on."""
        parts = [semantic, *self._history(semantic, prev_semantics, prev_frames)]
        if self.example:
            if example is None or example_semantic is None:
                raise ValueError("this flow network warps an example: pass example and example_semantic")
            parts += [example_semantic, example]
        x = torch.cat(parts, dim=1)
        levels = []  # the down path's features, kept only for the skips
        for layer in self.down:
            x = layer(x)
            if self.skips:
                levels.append(x)
        x = self.blocks(x)
        for i, layer in enumerate(self.up):
            x = layer(x)
            if self.skips:
                x = x + levels[-2 - i]  # the down path's features of this resolution
        flow = self.flow_head(x) * self.scale
        mask = torch.sigmoid(self.mask_head(x))
        if not self.example:
            return FlowOutput(flow, mask, None, None)
        return FlowOutput(flow[:, :2], mask[:, :1], flow[:, 2:], mask[:, 1:])

    def _history(self, semantic: torch.Tensor, prev_semantics: torch.Tensor | None,
                 prev_frames: torch.Tensor | None) -> list[torch.Tensor]:
        b, _, h, w = semantic.shape
        if prev_semantics is None or prev_frames is None:
            ps = semantic.new_zeros(b, self._n_prev * semantic.shape[1], h, w)
            pf = semantic.new_zeros(b, self._n_prev * self._image_channels, h, w)
            return [ps, pf]
        return [prev_semantics.flatten(1, 2), prev_frames.flatten(1, 2)]
