"""The network weight generation module's example side: E_F (example feature extractor) and E_P (weight MLPs).

E_F encodes the example image and its semantic map in two conv branches down to the bottleneck, then reduces
channels there level by level. The appearance representation q^l of level l is a (C_l x C_l) matrix: image
features times the channel-softmax of semantic features, averaged over positions. E_P^l is an MLP applied to each
row of q^l; its outputs, flattened, are the weights and biases of the generated convs of decoder layer l-1:
theta_S (the semantic embedding layer, 1x1 or 3x3: `embedding_kernel`) and the 1x1 theta_gamma / theta_beta of the
layer's SPADE normalisations. With `generated_base` each generated conv is a learned conv plus E_P's output.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from vid2vid.models.config import GeneratorConfig
from vid2vid.models.layers import ConvBlock, lrelu
from vid2vid.models.spade import GeneratedConv, norm_sizes


class ExampleEncoder(nn.Module):
    """E_F: image and semantic branches (conv-norm-act), stride-2 down to the bottleneck, then channel reductions."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        ch, n = cfg.channels, cfg.num_downsamples
        kw = dict(norm=cfg.norm, spectral=cfg.spectral_norm)
        self.image_first = ConvBlock(cfg.image_channels, ch[0], **kw)
        self.semantic_first = ConvBlock(cfg.semantic_channels, ch[0], **kw)
        self.image_down = nn.ModuleList(ConvBlock(ch[i], ch[i + 1], stride=2, **kw) for i in range(n))
        self.semantic_down = nn.ModuleList(ConvBlock(ch[i], ch[i + 1], stride=2, **kw) for i in range(n))
        self.levels = list(range(1, cfg.num_adaptive_layers + 1))  # q^l needed for these levels
        lowest = min(self.levels, default=n)
        self.image_reduce = nn.ModuleDict({str(i): ConvBlock(ch[i + 1], ch[i], **kw) for i in range(lowest, n)})
        self.semantic_reduce = nn.ModuleDict({str(i): ConvBlock(ch[i + 1], ch[i], **kw) for i in range(lowest, n)})

    def down(self, image: torch.Tensor, semantic: torch.Tensor, start: int, stop: int
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run both branches from level `start` (0: the raw example) to level `stop`."""
        if start == 0:
            image, semantic = self.image_first(image), self.semantic_first(semantic)
        for i in range(start, stop):
            image, semantic = self.image_down[i](image), self.semantic_down[i](semantic)
        return image, semantic

    def appearance(self, image: torch.Tensor, semantic: torch.Tensor) -> dict[int, torch.Tensor]:
        """Bottleneck features (B, C_n, h, w) x 2 -> {level l: q^l (B, C_l, C_l)} for the adaptive levels."""
        out = {}
        level = len(self.image_down)
        while True:
            if level in self.levels:
                rows = image.flatten(2)  # (B, C, P)
                cols = torch.softmax(semantic.flatten(2), dim=1)
                out[level] = torch.bmm(rows, cols.transpose(1, 2)) / rows.shape[2]
            if str(level - 1) not in self.image_reduce:
                return out
            level -= 1
            image, semantic = self.image_reduce[str(level)](image), self.semantic_reduce[str(level)](semantic)


class WeightHead(nn.Module):
    """MLP on each row of q; the flattened outputs are cut into an (O, I) weight and an (O,) bias. With `base` a
    learned (O, I) weight and (O,) bias (initialised as a conv's) are added: the MLP's output is then a per-example
    change of a conv that learns as any other does."""

    def __init__(self, rows: int, out_channels: int, in_channels: int, hidden_layers: int, spectral: bool,
                 base: bool = False) -> None:
        super().__init__()
        self.shape = (out_channels, in_channels)
        self.per_row = math.ceil(out_channels * (in_channels + 1) / rows)
        sn = spectral_norm if spectral else (lambda m: m)
        self.hidden = nn.ModuleList(sn(nn.Linear(rows, rows)) for _ in range(hidden_layers))
        self.out = sn(nn.Linear(rows, self.per_row))
        self.base_weight = self.base_bias = None
        if base:
            self.base_weight = nn.Parameter(torch.empty(out_channels, in_channels))
            nn.init.kaiming_uniform_(self.base_weight, a=math.sqrt(5))  # nn.Conv2d's default
            self.base_bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, q: torch.Tensor) -> GeneratedConv:
        x = q
        for layer in self.hidden:
            x = lrelu(layer(x))
        flat = self.out(x).flatten(1)
        o, i = self.shape
        weight, bias = flat[:, :o * i].view(-1, o, i), flat[:, o * i:o * (i + 1)]
        if self.base_weight is None:
            return weight, bias
        return weight + self.base_weight, bias + self.base_bias


class WeightGenerator(nn.Module):
    """E_P: for each adaptive decoder level l-1, heads for theta_S and for each SPADE normalisation's gamma/beta."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        ch, n = cfg.channels, cfg.num_downsamples
        kw = dict(hidden_layers=cfg.num_fc_layers, spectral=cfg.spectral_norm, base=cfg.generated_base)
        self.embed_heads = nn.ModuleList()
        self.norm_heads = nn.ModuleList()
        for i in range(cfg.num_adaptive_layers):
            rows = ch[i + 1]
            self.embed_heads.append(WeightHead(rows, ch[i], ch[i + 1] * cfg.embedding_kernel ** 2, **kw))
            self.norm_heads.append(nn.ModuleList(WeightHead(rows, 2 * c, ch[i], **kw)
                                                 for c in norm_sizes(ch[min(i + 1, n)], ch[i])))

    def forward(self, q: dict[int, torch.Tensor]) -> tuple[list[GeneratedConv], list[GeneratedConv]]:
        """q^l per level -> (theta_S per adaptive level, fused gamma/beta convs per adaptive level)."""
        embed, blocks = [], []
        for i, (embed_head, norm_heads) in enumerate(zip(self.embed_heads, self.norm_heads)):
            embed.append(embed_head(q[i + 1]))
            parts = [head(q[i + 1]) for head in norm_heads]
            blocks.append((torch.cat([w for w, _ in parts], dim=1), torch.cat([b for _, b in parts], dim=1)))
        return embed, blocks
