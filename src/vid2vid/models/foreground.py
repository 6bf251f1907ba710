"""vid2vid (2018)'s foreground branch for street scenes: a light encoder-decoder that hallucinates the foreground
objects (cars, people: the classes the task registry marks as foreground) from the semantic map alone, with no
previous frames and no flow, since such objects move on their own and their flow is the hardest to predict.

The generator composes it by the label mask: x_t = fg * h_F + (1 - fg) * x_B, where x_B is the usual background
frame (the warped previous frame blended with the hallucinated image) and fg the sum of the foreground classes'
channels. This follows the reference code; the paper's Eq. 5 also lets the warped frame into the foreground. The
"raw" output fg * h_F + (1 - fg) * h_B gets the raw-output losses.
"""

from __future__ import annotations

import torch
from torch import nn

from vid2vid.models.config import GeneratorConfig
from vid2vid.models.layers import ConvBlock, ResBlock, conv2d, lrelu

DOWNSAMPLES = 3  # as the reference's foreground branch
BLOCKS = 2


class ForegroundGenerator(nn.Module):
    """semantic (B, C, H, W) -> h_F (B, 3, H, W) in [-1, 1], at half H's channel widths."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        n = min(DOWNSAMPLES, cfg.num_downsamples)
        ch = [max(4, c // 2) for c in cfg.channels[:n + 1]]
        kw = dict(norm=cfg.norm, spectral=cfg.spectral_norm)
        self.first = ConvBlock(cfg.semantic_channels, ch[0], **kw)
        self.down = nn.ModuleList(ConvBlock(ch[i], ch[i + 1], stride=2, **kw) for i in range(n))
        self.blocks = nn.Sequential(*[ResBlock(ch[n], **kw) for _ in range(BLOCKS)])
        self.up = nn.ModuleList(ConvBlock(ch[i + 1], ch[i], upsample=True, **kw) for i in reversed(range(n)))
        self.to_image = conv2d(ch[0], cfg.image_channels, 3)

    def forward(self, semantic: torch.Tensor) -> torch.Tensor:
        x = self.first(semantic)
        for layer in self.down:
            x = layer(x)
        x = self.blocks(x)
        for layer in self.up:
            x = layer(x)
        return torch.tanh(self.to_image(lrelu(x)))


def foreground_mask(semantic: torch.Tensor, channels: tuple[int, ...]) -> torch.Tensor:
    """(B, 1, H, W) in [0, 1]: the share of the foreground classes at each pixel (exact for one-hot labels)."""
    return semantic[:, list(channels)].sum(1, keepdim=True).clamp(0, 1)
