"""Backward warping with a dense flow in pixels, via `grid_sample` (shared by the generator, losses and metrics)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample `image` (B, C, H, W) at (x + dx, y + dy) for flow (B, 2, H, W) = (dx, dy) in pixels.

    Bilinear, border padding, align_corners=True (pixel centres at integer coordinates), so a zero flow returns
    the image unchanged. With the data loader's teacher flow (pointing from frame t into frame t-1),
    `warp(x_{t-1}, flow_t)` approximates x_t. Half precision inputs are warped in float32."""
    b, _, h, w = image.shape
    if flow.shape != (b, 2, h, w):
        raise ValueError(f"flow shape {tuple(flow.shape)} does not match image {tuple(image.shape)}")
    dtype = image.dtype
    compute = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    xs = torch.arange(w, device=image.device, dtype=compute).view(1, 1, w)
    ys = torch.arange(h, device=image.device, dtype=compute).view(1, h, 1)
    flow = flow.to(compute)
    gx = (xs + flow[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys + flow[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack((gx, gy), dim=-1)
    out = F.grid_sample(image.to(compute), grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out.to(dtype)
