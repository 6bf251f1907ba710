"""The image synthesis network H: a semantic embedding (the SPADE modulation trunk) and a SPADE decoder.

Levels are resolutions: level i is 1/2**i of the frame, with `cfg.channels[i]` channels; level n = num_downsamples
is the bottleneck. The decoder runs from level n to 0 and ends in a 3x3 conv + tanh.
"""

from __future__ import annotations

import torch
from torch import nn

from vid2vid.models.config import GeneratorConfig
from vid2vid.models.layers import ConvBlock, conv1x1_per_sample, conv2d, conv_per_sample, lrelu, up2
from vid2vid.models.spade import GeneratedConv, SpadeResBlock


class SemanticEmbedding(nn.Module):
    """Encoder-decoder over the semantic map giving one feature map per level (p_S in the paper).

    The decoder's finest `num_generated` layers are convs whose weights (theta_S) come from E_P. With
    `embedding_kernel` 1 a pointwise conv commutes with nearest upsampling, so those run at the coarser level and are
    upsampled afterwards; with 3 they upsample first and convolve at their own level, as the learned layers."""

    def __init__(self, cfg: GeneratorConfig, in_channels: int, num_generated: int = 0) -> None:
        super().__init__()
        ch, n = cfg.channels, cfg.num_downsamples
        self.num_generated = num_generated
        self.kernel = cfg.embedding_kernel
        self.first = ConvBlock(in_channels, ch[0], norm="none")
        self.down = nn.ModuleList(ConvBlock(ch[i], ch[i + 1], stride=2, norm="none") for i in range(n))
        self.up = nn.ModuleDict({str(i): ConvBlock(ch[i + 1], ch[i], norm="none", upsample=True)
                                 for i in range(num_generated, n)})

    def forward(self, semantic: torch.Tensor, generated: list[GeneratedConv] | None = None) -> list[torch.Tensor]:
        """semantic (B, C, H, W) -> [level 0 (B, ch0, H, W), ..., level n (B, ch_n, H/2**n, W/2**n)]."""
        x = self.first(semantic)
        for layer in self.down:
            x = layer(x)
        maps = [x]
        for i in range(len(self.down) - 1, -1, -1):
            if i >= self.num_generated:
                x = self.up[str(i)](x)
            else:
                if generated is None:
                    raise ValueError("the semantic embedding needs generated weights for its finest layers")
                weight, bias = generated[i]
                if self.kernel == 1:
                    x = up2(lrelu(conv1x1_per_sample(x, weight, bias)))
                else:
                    weight = weight.unflatten(2, (x.shape[1], self.kernel, self.kernel))
                    x = lrelu(conv_per_sample(up2(x), weight, bias))
            maps.append(x)
        return maps[::-1]


class WarpEmbedding(nn.Module):
    """U-Net over a warped image and its mask, giving feature maps for the finest `levels` decoder layers."""

    def __init__(self, cfg: GeneratorConfig, levels: int) -> None:
        super().__init__()
        ch, n = cfg.channels, cfg.num_downsamples
        self.levels = levels
        self.first = ConvBlock(cfg.image_channels + 1, ch[0], norm="none")
        self.down = nn.ModuleList(ConvBlock(ch[i], ch[i + 1], stride=2, norm="none") for i in range(n))
        self.up = nn.ModuleList(ConvBlock(ch[i + 1] * (1 if i == n - 1 else 2), ch[i], norm="none", upsample=True)
                                for i in range(n))

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        """image (B, 3, H, W), mask (B, 1, H, W) -> [level 0, ..., level levels-1] features."""
        skips = [self.first(torch.cat([image, mask], dim=1))]
        for layer in self.down:
            skips.append(layer(skips[-1]))
        n = len(self.down)
        x = skips[n]
        out = []
        for i in range(n - 1, -1, -1):
            inp = x if i == n - 1 else torch.cat([x, skips[i + 1]], dim=1)
            x = self.up[i](inp)
            if i < self.levels:
                out.append(x)
        return out[::-1]


class SynthesisNetwork(nn.Module):
    """SPADE decoder from the bottleneck to the hallucinated image h_t.

    Every level is modulated by the semantic embedding; the finest `warp_levels` levels also by `num_warp_maps`
    warped-image embeddings (example, previous frame). The finest `num_generated` levels take their first map's
    gamma/beta weights from E_P."""

    def __init__(self, cfg: GeneratorConfig, semantic_in: int, num_generated: int, num_warp_maps: int) -> None:
        super().__init__()
        ch, n = cfg.channels, cfg.num_downsamples
        self.embedding = SemanticEmbedding(cfg, semantic_in, num_generated)
        self.warp_levels = cfg.warp_embedding_layers if num_warp_maps else 0
        self.num_warp_maps = num_warp_maps
        self.blocks = nn.ModuleList(
            SpadeResBlock(ch[min(i + 1, n)], ch[i], [ch[i]] * (1 + (num_warp_maps if i < self.warp_levels else 0)),
                          norm=cfg.norm, spectral=cfg.spectral_norm, generated_first=i < num_generated)
            for i in range(n + 1))
        self.to_image = conv2d(ch[0], cfg.image_channels, 3)

    def forward(self, x: torch.Tensor, semantic_maps: list[torch.Tensor],
                warp_maps: list[list[torch.Tensor] | None] | None = None,
                generated: list[GeneratedConv] | None = None,
                adain: list[torch.Tensor] | None = None) -> torch.Tensor:
        """x: bottleneck input (B, ch_n, h, w); semantic_maps: per level; warp_maps: per warp slot, per level (or
        None for an absent slot); generated: per adaptive level; adain: per level. Returns h_t in [-1, 1]."""
        return torch.tanh(self.to_image(lrelu(self.features(x, semantic_maps, warp_maps, generated, adain))))

    def features(self, x: torch.Tensor, semantic_maps: list[torch.Tensor],
                 warp_maps: list[list[torch.Tensor] | None] | None = None,
                 generated: list[GeneratedConv] | None = None,
                 adain: list[torch.Tensor] | None = None) -> torch.Tensor:
        """The finest decoder features (B, ch_0, H, W) before the image head (what a local enhancer refines)."""
        warp_maps = warp_maps or [None] * self.num_warp_maps
        for i in range(len(self.blocks) - 1, -1, -1):
            maps = [semantic_maps[i]]
            if i < self.warp_levels:
                maps += [w[i] if w is not None else None for w in warp_maps]
            x = self.blocks[i](x, maps, generated[i] if generated is not None and i < len(generated) else None,
                               adain[i] if adain is not None else None)
            if i > 0:
                x = up2(x)
        return x
