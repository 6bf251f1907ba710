"""The paper's baselines (Sec. 4), as appearance modules on the same W/M/H trunk as few-shot vid2vid.

All three encode each example (image + its semantic map) into a style vector (K > 1: the mean over examples);
H then uses fixed SPADE weights, and the style enters differently:
- Encoder: the style vector is concatenated to the bottleneck and decoded by H's synthesis branch.
- ConcatStyle: the style vector is concatenated to the input semantic map of H's modulation branches.
- AdaIN: after each spatial modulation in H, an AdaIN layer with parameters from the style vector (as FUNIT).
"""

from __future__ import annotations

import torch
from torch import nn

from vid2vid.models.config import GeneratorConfig
from vid2vid.models.layers import ConvBlock, conv2d, lrelu
from vid2vid.models.outputs import Conditioning, ExampleCode
from vid2vid.models.spade import norm_sizes


class StyleEncoder(nn.Module):
    """Conv-norm-act down to the bottleneck, global average pool, linear -> style vector."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        ch, n = cfg.channels, cfg.num_downsamples
        kw = dict(norm=cfg.norm, spectral=cfg.spectral_norm)
        self.net = nn.Sequential(ConvBlock(cfg.image_channels + cfg.semantic_channels, ch[0], **kw),
                                 *[ConvBlock(ch[i], ch[i + 1], stride=2, **kw) for i in range(n)])
        self.fc = nn.Linear(ch[n], cfg.style_channels)

    def forward(self, images: torch.Tensor, semantics: torch.Tensor) -> torch.Tensor:
        """images (B, K, 3, H, W), semantics (B, K, C, H, W) -> (B, style_channels)."""
        b, k = images.shape[:2]
        x = self.net(torch.cat([images, semantics], dim=2).flatten(0, 1))
        return self.fc(x.mean(dim=(2, 3))).view(b, k, -1).mean(dim=1)


class _StyleAppearance(nn.Module):
    uses_examples = True
    extra_semantic_channels = 0
    num_generated = 0

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        self.style = StyleEncoder(cfg)

    def encode(self, images: torch.Tensor, semantics: torch.Tensor) -> ExampleCode:
        style = self.style(images, semantics)
        index = torch.zeros(images.shape[0], dtype=torch.long, device=images.device)
        return ExampleCode(images, semantics, conditioning=self._conditioning(style, index))

    def _conditioning(self, style: torch.Tensor, index: torch.Tensor) -> Conditioning:
        return Conditioning(style=style, example_index=index)

    def condition(self, code: ExampleCode, semantic: torch.Tensor) -> Conditioning:
        return code.conditioning

    def decoder_input(self, semantic_bottleneck: torch.Tensor, cond: Conditioning) -> torch.Tensor:
        return semantic_bottleneck


class EncoderAppearance(_StyleAppearance):
    """Encoder baseline: [semantic bottleneck, tiled style] -> 1x1 conv -> decoder input."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__(cfg)
        c = cfg.channels[-1]
        self.fuse = conv2d(c + cfg.style_channels, c, 1, spectral=cfg.spectral_norm)

    def decoder_input(self, semantic_bottleneck: torch.Tensor, cond: Conditioning) -> torch.Tensor:
        b, _, h, w = semantic_bottleneck.shape
        style = cond.style[:, :, None, None].expand(b, -1, h, w)
        return lrelu(self.fuse(torch.cat([semantic_bottleneck, style], dim=1)))


class ConcatStyleAppearance(_StyleAppearance):
    """ConcatStyle baseline: the style vector, tiled, is concatenated to H's semantic input."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__(cfg)
        self.extra_semantic_channels = cfg.style_channels

    def semantic_extra(self, cond: Conditioning, semantic: torch.Tensor) -> torch.Tensor:
        """The style (B, S) tiled to ``semantic``'s size."""
        b, _, h, w = semantic.shape
        return cond.style[:, :, None, None].expand(b, -1, h, w)


class AdaINAppearance(_StyleAppearance):
    """AdaIN baseline: an MLP maps the style to (gamma, beta) for every normalisation of every decoder block."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__(cfg)
        ch, n = cfg.channels, cfg.num_downsamples
        self.sizes = [2 * sum(norm_sizes(ch[min(i + 1, n)], ch[i])) for i in range(n + 1)]
        s = cfg.style_channels
        self.mlp = nn.Sequential(nn.Linear(s, s), nn.LeakyReLU(0.2), nn.Linear(s, sum(self.sizes)))

    def _conditioning(self, style: torch.Tensor, index: torch.Tensor) -> Conditioning:
        params = list(torch.split(self.mlp(style), self.sizes, dim=1))
        return Conditioning(style=style, adain=params, example_index=index)
