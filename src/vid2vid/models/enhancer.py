"""vid2vid 2018's coarse-to-fine synthesis (the pix2pixHD lineage): the image network H runs at 1/2**E of the frame
and E local enhancers each double the resolution of its features back to the frame's.

Enhancer j (1 = the coarsest) works at 1/2**(E - j) of the frame: a front end reads the semantic map at that scale
and downsamples it once, the result is added to the coarser stage's features, a few residual blocks refine the sum
and an upsampling conv returns features at the enhancer's own scale (as pix2pixHD's local enhancer). Every stage has
its own 3x3 image head, so training can start at the coarse scale with only H (`active = 0`) and add one enhancer at
a time (the 2018 paper's spatial progression); the flow, the masks and the composition always run at the frame's
resolution, so they train from the start.

`downsample` is the one resize used for the coarse inputs: average pooling, which keeps one-hot label maps as
soft label shares and images as their box-filtered means.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vid2vid.models.config import GeneratorConfig
from vid2vid.models.layers import ConvBlock, ResBlock, conv2d, lrelu

BLOCKS = 3  # residual blocks per enhancer (pix2pixHD's n_blocks_local)


def downsample(x: torch.Tensor | None, factor: int) -> torch.Tensor | None:
    """(..., C, H, W) average-pooled by ``factor`` (1: unchanged); None stays None."""
    if x is None or factor == 1:
        return x
    lead = x.shape[:-3]
    return F.avg_pool2d(x.reshape(-1, *x.shape[-3:]), factor).reshape(*lead, x.shape[-3], x.shape[-2] // factor,
                                                                         x.shape[-1] // factor)


def enhancer_channels(cfg: GeneratorConfig) -> list[int]:
    """Channels of H's finest features, then of enhancer 1 .. E (halved per stage, at least 8)."""
    return [cfg.channels[0]] + [max(8, cfg.channels[0] // 2**j) for j in range(1, cfg.enhancers + 1)]


class LocalEnhancer(nn.Module):
    """features (B, c_in, h, w) of the coarser stage + semantic (B, C, 2h, 2w) -> features (B, c, 2h, 2w)."""

    def __init__(self, cfg: GeneratorConfig, c_in: int, c: int) -> None:
        super().__init__()
        kw = dict(norm=cfg.norm, spectral=cfg.spectral_norm)
        self.front = nn.Sequential(ConvBlock(cfg.semantic_channels, c, **kw), ConvBlock(c, c_in, stride=2, **kw))
        self.blocks = nn.Sequential(*[ResBlock(c_in, **kw) for _ in range(BLOCKS)])
        self.up = ConvBlock(c_in, c, upsample=True, **kw)

    def forward(self, features: torch.Tensor, semantic: torch.Tensor) -> torch.Tensor:
        return self.up(self.blocks(self.front(semantic) + features))


class CoarseToFine(nn.Module):
    """The E enhancers and their image heads; `forward` turns H's features into the image at the active scale."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        ch = enhancer_channels(cfg)
        self.stages = nn.ModuleList(LocalEnhancer(cfg, ch[j], ch[j + 1]) for j in range(cfg.enhancers))
        self.heads = nn.ModuleList(conv2d(ch[j + 1], cfg.image_channels, 3) for j in range(cfg.enhancers))

    def forward(self, features: torch.Tensor, semantic: torch.Tensor, active: int) -> torch.Tensor:
        """features: H's finest features at 1/2**active of ``semantic`` (B, C, H, W); returns h_t (B, 3, H, W)
        in [-1, 1] made by the first ``active`` >= 1 enhancers."""
        for j in range(active):
            features = self.stages[j](features, downsample(semantic, 2 ** (active - j - 1)))
        return torch.tanh(self.heads[active - 1](lrelu(features)))
