"""E_A: attention over K examples. Keys come from each example's semantic map, the query from the current one;
each query position takes a softmax over all K x h x w key positions.

`attend` never materialises the (h*w) x (K*h*w) matrix: it runs `scaled_dot_product_attention` (memory-efficient
on CPU and CUDA) with a one-hot "which example" channel appended to the values, so the same call also returns the
attention mass each example receives at every query position (for display and for picking the example to warp).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vid2vid.models.config import GeneratorConfig
from vid2vid.models.layers import ConvBlock


class AttentionNetwork(nn.Module):
    """Separate key and query encoders: conv-norm-act, then `attention_downsamples` stride-2 convs. With
    `attention_coords` both also read each pixel's (y, x) in [-1, 1], so a query can prefer example positions at the
    same place in the frame, not only of the same class. With `attention_classes` both end in the semantic map pooled
    to their grid, which biases the scores towards positions of the query's own class."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        ch, a = cfg.channels, cfg.attention_downsamples
        kw = dict(norm=cfg.norm, spectral=cfg.spectral_norm)
        self.coords, self.classes = cfg.attention_coords, cfg.attention_classes

        def encoder() -> nn.Sequential:
            return nn.Sequential(ConvBlock(cfg.semantic_channels + 2 * self.coords, ch[0], **kw),
                                 *[ConvBlock(ch[i], ch[i + 1], stride=2, **kw) for i in range(a)])

        self.key = encoder()
        self.query = encoder()

    def keys_of(self, semantic: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) semantic maps of the examples -> (N, D, h, w) keys."""
        return self._with_classes(self.key(self._input(semantic)), semantic)

    def query_of(self, semantic: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) semantic map of the current frame -> (B, D, h, w) query."""
        return self._with_classes(self.query(self._input(semantic)), semantic)

    def _with_classes(self, features: torch.Tensor, semantic: torch.Tensor) -> torch.Tensor:
        """With ``attention_classes`` A: the features and the pooled map p scaled so that `attend`'s score
        q.k / sqrt(D) gains A x (p_q . p_k) (D: the width of both together)."""
        if not self.classes:
            return features
        pooled = F.adaptive_avg_pool2d(semantic, features.shape[-2:])
        width = features.shape[1] + pooled.shape[1]
        return torch.cat([features, pooled * math.sqrt(self.classes * math.sqrt(width))], dim=1)

    def _input(self, semantic: torch.Tensor) -> torch.Tensor:
        if not self.coords:
            return semantic
        n, _, h, w = semantic.shape
        y = torch.linspace(-1, 1, h, dtype=semantic.dtype, device=semantic.device).view(1, 1, h, 1).expand(n, 1, h, w)
        x = torch.linspace(-1, 1, w, dtype=semantic.dtype, device=semantic.device).view(1, 1, 1, w).expand(n, 1, h, w)
        return torch.cat([semantic, y, x], dim=1)


def _round8(x: int) -> int:
    return (x + 7) // 8 * 8


def attend(query: torch.Tensor, keys: torch.Tensor, values: list[torch.Tensor]
           ) -> tuple[list[torch.Tensor], torch.Tensor]:
    """query (B, D, h, w); keys (B, K, D, h', w'); values[j] (B, K, c_j, h', w').

    Returns the attended values [(B, c_j, h, w)] and the attention mass per example (B, K, h, w), which sums to 1
    over K at every query position. Scores are dot products scaled by 1/sqrt(D)."""
    b, d, h, w = query.shape
    k = keys.shape[1]
    sizes = [v.shape[2] for v in values]
    q = query.permute(0, 2, 3, 1).reshape(b, 1, h * w, d)
    key = keys.permute(0, 1, 3, 4, 2).reshape(b, 1, -1, d).to(query.dtype)
    m = key.shape[2] // k
    onehot = torch.eye(k, dtype=query.dtype, device=query.device).repeat_interleave(m, dim=0)  # (K*m, K)
    val = torch.cat([v.permute(0, 1, 3, 4, 2).reshape(b, k * m, -1).to(query.dtype) for v in values]
                    + [onehot.expand(b, -1, -1)], dim=2)
    # The fast SDPA kernels want equal query and value widths: zero-pad queries and keys (zeros leave the scores
    # unchanged) and values to a common width. (Measured on 2 CPU cores: one padded head beats splitting the
    # values over two heads and a chunked matmul + softmax.)
    width = _round8(max(d, val.shape[2]))
    val = F.pad(val, (0, width - val.shape[2])).unsqueeze(1)
    q, key = F.pad(q, (0, width - d)), F.pad(key, (0, width - d))
    out = F.scaled_dot_product_attention(q, key, val, scale=1.0 / math.sqrt(d))  # (B, 1, h*w, width)
    out = out.view(b, h, w, width)
    results, start = [], 0
    for c in sizes:
        results.append(out[..., start:start + c].permute(0, 3, 1, 2))
        start += c
    mass = out[..., start:start + k].permute(0, 3, 1, 2)
    return results, mass
