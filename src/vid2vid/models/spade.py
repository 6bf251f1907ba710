"""SPADE residual block with fused modulation branches.

All normalisations of a block (before conv_0, before conv_1, and on the learned shortcut) read the same
semantic feature maps at the same resolution, so their gamma/beta 1x1 convs are fused into one conv with
2 * (fin + fhidden + fin) outputs over all maps: one matrix product per block instead of six per map, and one
modulation pass per normalisation. For the few-shot generator, the weights reading the first map are generated
per sample by E_P.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vid2vid.models.layers import conv1x1, conv1x1_per_sample, conv2d, lrelu_, norm2d

GeneratedConv = tuple[torch.Tensor, torch.Tensor]  # weight (B, O, I), bias (B, O) of a per-sample 1x1 conv


def norm_sizes(fin: int, fout: int) -> list[int]:
    """Channels of each normalisation in a fin -> fout block: before conv_0, before conv_1, on the shortcut."""
    return [fin, min(fin, fout)] + ([fin] if fin != fout else [])


class SpadeResBlock(nn.Module):
    """Residual block fin -> fout whose normalisations are modulated by one or more semantic maps.

    `map_channels[j]` is the channel count of map j. The maps are modulated jointly: gamma and beta are one 1x1
    conv over the concatenated maps (x * (1 + gamma) + beta, one pass however many maps), so extra maps such as
    warped-image embeddings cost input channels, not extra passes over full-resolution tensors. With
    `generated_first` the columns of that conv that read map 0 are not parameters but generated per sample."""

    def __init__(self, fin: int, fout: int, map_channels: list[int], norm: str = "batch", spectral: bool = True,
                 generated_first: bool = False) -> None:
        super().__init__()
        fhidden = min(fin, fout)
        self.learned_shortcut = fin != fout
        self.conv_0 = conv2d(fin, fhidden, 3, spectral=spectral)
        self.conv_1 = conv2d(fhidden, fout, 3, spectral=spectral)
        self.conv_s = conv2d(fin, fout, 1, bias=False, spectral=spectral) if self.learned_shortcut else None
        self.norm_sizes = norm_sizes(fin, fout)
        self.norms = nn.ModuleList(norm2d(norm, c, affine=False) for c in self.norm_sizes)
        self.modulation_channels = 2 * sum(self.norm_sizes)  # [gamma_0, beta_0, gamma_1, beta_1, gamma_s, beta_s]
        self.map_channels = list(map_channels)
        self.generated_first = generated_first
        fixed = sum(map_channels[1:] if generated_first else map_channels)
        self.modulation = conv2d(fixed, self.modulation_channels, 1) if fixed else None
        offset = torch.cat([torch.cat([torch.ones(c), torch.zeros(c)]) for c in self.norm_sizes])
        self.register_buffer("gamma_offset", offset, persistent=False)  # folds the "1 +" of (1 + gamma) into biases
        starts = [0]
        for c in self.norm_sizes:
            starts.append(starts[-1] + 2 * c)
        self._slices = [(s, c) for s, c in zip(starts, self.norm_sizes)]

    def _modulation(self, maps: list[torch.Tensor | None], generated: GeneratedConv | None
                    ) -> tuple[torch.Tensor, bool]:
        """(B, modulation_channels, H, W): [1 + gamma, beta] per normalisation, from all present maps at once,
        and whether the (eval-mode) batch norms were folded into it."""
        if len(maps) != len(self.map_channels):
            raise ValueError(f"SPADE block expects {len(self.map_channels)} maps, got {len(maps)}")
        inputs, columns, start = [], [], 0
        for j, (m, c) in enumerate(zip(maps, self.map_channels)):
            if j == 0 and self.generated_first:
                if m is None or generated is None:
                    raise ValueError("this SPADE block needs its first map and generated modulation weights")
                inputs.append(m)
                continue
            if m is not None:
                inputs.append(m)
                columns.append((start, c))
            start += c
        x = inputs[0] if len(inputs) == 1 else torch.cat(inputs, dim=1)
        weight = bias = None
        if self.modulation is not None and columns:
            full = self.modulation.weight.flatten(1)
            present = sum(c for _, c in columns) == full.shape[1]
            weight = full if present else torch.cat([full[:, s:s + c] for s, c in columns], dim=1)
            bias = self.modulation.bias + self.gamma_offset.to(full.dtype)
        if self.generated_first:
            g_weight, g_bias = generated
            g_bias = g_bias + self.gamma_offset.to(g_bias.dtype)
            if weight is not None:
                g_weight = torch.cat([g_weight, weight.to(g_weight.dtype).expand(g_weight.shape[0], -1, -1)], dim=2)
                g_bias = g_bias + self.modulation.bias.to(g_bias.dtype)
            weight, bias = g_weight, g_bias
        fold = self._can_fold(x, weight.shape[-1])
        if fold:
            weight, bias = self._fold_norms(weight, bias)
        if self.generated_first:
            return conv1x1_per_sample(x, weight, bias), fold
        return conv1x1(x, weight, bias), fold

    def _can_fold(self, x: torch.Tensor, in_channels: int) -> bool:
        """Eval-mode batch norm is a per-channel affine map and can be folded into the modulation weights; worth
        it when a pass over the normalised tensors costs more than rescaling the weights (large maps)."""
        return (not self.training and isinstance(self.norms[0], nn.BatchNorm2d)
                and self.norms[0].track_running_stats and x.shape[2] * x.shape[3] > 2 * in_channels)

    def _fold_norms(self, weight: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows [1 + gamma, beta] of norm k become [s (1 + gamma), beta + t (1 + gamma)] for norm(x) = s x + t."""
        weights, biases = [], []
        for norm, (start, c) in zip(self.norms, self._slices):
            scale = torch.rsqrt(norm.running_var + norm.eps).to(weight.dtype)
            shift = -norm.running_mean.to(weight.dtype) * scale
            w_g, w_b = weight[..., start:start + c, :], weight[..., start + c:start + 2 * c, :]
            b_g, b_b = bias[..., start:start + c], bias[..., start + c:start + 2 * c]
            weights += [w_g * scale[:, None], w_b + w_g * shift[:, None]]
            biases += [b_g * scale, b_b + b_g * shift]
        return torch.cat(weights, dim=-2), torch.cat(biases, dim=-1)

    def _modulate(self, x: torch.Tensor, k: int, mod: torch.Tensor, folded: bool,
                  adain: torch.Tensor | None) -> torch.Tensor:
        start, c = self._slices[k]
        h = torch.addcmul(mod[:, start + c:start + 2 * c], x if folded else self.norms[k](x), mod[:, start:start + c])
        if adain is not None:  # AdaIN baseline: instance-normalise again, then scale/shift from the style vector
            gamma = adain[:, start:start + c, None, None]
            beta = adain[:, start + c:start + 2 * c, None, None]
            h = torch.addcmul(beta, F.instance_norm(h), 1 + gamma)
        return h

    def forward(self, x: torch.Tensor, maps: list[torch.Tensor | None], generated: GeneratedConv | None = None,
                adain: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, fin, H, W); maps[j] (B, map_channels[j], H, W) or None (left out); generated (W (B, O, I0),
        b (B, O)) for map 0 when `generated_first`; adain (B, modulation_channels) for the AdaIN baseline."""
        mod, folded = self._modulation(maps, generated)
        if self.learned_shortcut:
            x_s = conv1x1(self._modulate(x, 2, mod, folded, adain), self.conv_s.weight.flatten(1), None)
        else:
            x_s = x
        dx = self.conv_0(lrelu_(self._modulate(x, 0, mod, folded, adain)))
        dx = self.conv_1(lrelu_(self._modulate(dx, 1, mod, folded, adain)))
        return x_s + dx
