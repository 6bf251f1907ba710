"""Discriminators: multi-scale conditional PatchGAN, multi-scale temporal, and a face-region wrapper.

Each discriminator returns, per scale, the list of intermediate features (for feature matching) whose last entry is
the patch logits.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from vid2vid.errors import UserError

Features = list[list[torch.Tensor]]  # [scale][layer] tensors; [scale][-1] are the logits


@dataclass(frozen=True)
class DiscriminatorConfig:
    """The discriminators' architecture (the ``discriminator`` section of a run config; their loss weights are in
    ``loss``)."""

    ndf: int = 32  # base channels
    layers: int = 4  # PatchGAN layers per scale
    scales: int = 2  # image scales of the image and temporal discriminators
    temporal_frames: int = 3  # frames the temporal discriminator sees
    temporal_scales: int = 2  # frame rates of the temporal discriminator (every frame, every 2nd, ...)

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 1:
                raise UserError(f"discriminator.{f.name} must be >= 1, got {getattr(self, f.name)}")
        if self.temporal_frames < 2:
            raise UserError(f"discriminator.temporal_frames must be >= 2, got {self.temporal_frames}")

    def smallest_map(self, height: int, width: int) -> int:
        """Side of the coarsest feature map for HxW frames (must stay >= 4)."""
        return min(height, width) // 2 ** (self.scales - 1 + self.layers - 1)


class PatchGAN(nn.Module):
    """A PatchGAN: stride-2 4x4 convs with spectral + instance norm and leaky ReLU, then a 1-channel logit map."""

    def __init__(self, in_channels: int, ndf: int = 32, n_layers: int = 4, max_channels: int = 512) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Sequential(spectral_norm(nn.Conv2d(in_channels, ndf, 4, 2, 1)),
                                                 nn.LeakyReLU(0.2))]
        ch = ndf
        for i in range(1, n_layers):
            nxt = min(ch * 2, max_channels)
            stride = 2 if i < n_layers - 1 else 1
            layers.append(nn.Sequential(spectral_norm(nn.Conv2d(ch, nxt, 4, stride, 1)),
                                        nn.InstanceNorm2d(nxt, affine=False), nn.LeakyReLU(0.2)))
            ch = nxt
        layers.append(nn.Sequential(spectral_norm(nn.Conv2d(ch, 1, 4, 1, 1))))
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for layer in self.layers:
            x = layer(x)
            feats.append(x)
        return feats


class MultiscaleDiscriminator(nn.Module):
    """``num_scales`` PatchGANs on the input downsampled by 1, 2, 4, ..."""

    def __init__(self, in_channels: int, ndf: int = 32, n_layers: int = 4, num_scales: int = 2) -> None:
        super().__init__()
        self.nets = nn.ModuleList(PatchGAN(in_channels, ndf, n_layers) for _ in range(num_scales))

    def forward(self, x: torch.Tensor) -> Features:
        out = []
        for i, net in enumerate(self.nets):
            if i:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            out.append(net(x))
        return out


class ImageDiscriminator(nn.Module):
    """Conditional image discriminator: sees the frame, its semantic map and (few-shot) one example image."""

    def __init__(self, semantic_channels: int, use_example: bool = True, ndf: int = 32, n_layers: int = 4,
                 num_scales: int = 2) -> None:
        super().__init__()
        self.use_example = use_example
        in_ch = 3 + semantic_channels + (3 if use_example else 0)
        self.net = MultiscaleDiscriminator(in_ch, ndf, n_layers, num_scales)

    def forward(self, image: torch.Tensor, semantic: torch.Tensor, example: torch.Tensor | None = None) -> Features:
        """image (N, 3, H, W), semantic (N, C, H, W), example (N, 3, H, W) or None."""
        parts = [image, semantic] + ([example] if self.use_example else [])
        return self.net(torch.cat(parts, dim=1))


class TemporalDiscriminator(nn.Module):
    """vid2vid's temporal discriminator: ``frames`` consecutive frames plus the flow between them, at several frame
    rates (temporal scales: every frame, every 2nd, every 4th, ...), each with its own multi-scale PatchGAN."""

    def __init__(self, frames: int = 3, temporal_scales: int = 2, ndf: int = 32, n_layers: int = 4,
                 num_scales: int = 2) -> None:
        super().__init__()
        self.frames = frames
        in_ch = 3 * frames + 2 * (frames - 1)
        self.nets = nn.ModuleList(MultiscaleDiscriminator(in_ch, ndf, n_layers, num_scales)
                                  for _ in range(temporal_scales))

    def windows(self, length: int) -> list[tuple[int, list[int]]]:
        """(temporal scale, frame indices) of the last window at each scale that fits in ``length`` frames."""
        out = []
        for s in range(len(self.nets)):
            step = 2 ** s
            span = (self.frames - 1) * step + 1
            if span <= length:
                out.append((s, [length - span + i * step for i in range(self.frames)]))
        return out

    def forward(self, frames: torch.Tensor, flows: torch.Tensor, scale: int) -> Features:
        """frames (N, frames, 3, H, W), flows (N, frames-1, 2, H, W) in pixels, scaled by 1/20 inside."""
        n, t, _, h, w = frames.shape
        x = torch.cat([frames.reshape(n, t * 3, h, w), flows.reshape(n, (t - 1) * 2, h, w) / 20.0], dim=1)
        return self.nets[scale](x)


def face_boxes(keypoints: torch.Tensor, height: int, width: int, scale: float = 1.0) -> torch.Tensor:
    """Square face boxes (N, 4) as (cx, cy, half size) in pixels from COCO-18 keypoints (N, 18, 3).

    Uses nose, eyes, ears (0, 14-17) and the neck (1) for size; falls back to the image centre when not visible.
    """
    head = keypoints[:, [0, 14, 15, 16, 17], :]
    vis = head[..., 2:3] > 0
    count = vis.sum(1).clamp(min=1)
    centre = (head[..., :2] * vis).sum(1) / count
    neck = keypoints[:, 1, :2]
    size = (centre - neck).norm(dim=1).clamp(min=4.0) * 1.2 * scale
    missing = vis.sum(1).squeeze(1) == 0
    default = torch.tensor([width / 2, height / 2], device=keypoints.device)
    centre = torch.where(missing[:, None], default, centre)
    size = torch.where(missing, torch.full_like(size, min(height, width) / 8), size)
    return torch.cat([centre, size[:, None]], dim=1)


def crop_boxes(image: torch.Tensor, boxes: torch.Tensor, size: int) -> torch.Tensor:
    """Crop (N, C, H, W) around boxes (N, 3) = (cx, cy, half) in pixels to (N, C, size, size), differentiably."""
    n, _, h, w = image.shape
    lin = torch.linspace(-1, 1, size, device=image.device, dtype=image.dtype)
    gy, gx = torch.meshgrid(lin, lin, indexing="ij")
    cx = boxes[:, 0].view(n, 1, 1) + gx * boxes[:, 2].view(n, 1, 1)
    cy = boxes[:, 1].view(n, 1, 1) + gy * boxes[:, 2].view(n, 1, 1)
    grid = torch.stack([cx / (w - 1) * 2 - 1, cy / (h - 1) * 2 - 1], dim=-1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)


class FaceDiscriminator(nn.Module):
    """The pose task's extra discriminator on the face region (crops placed by the COCO-18 head keypoints)."""

    def __init__(self, semantic_channels: int, crop: int = 32, ndf: int = 32, n_layers: int = 3) -> None:
        super().__init__()
        self.crop = crop
        self.net = MultiscaleDiscriminator(3 + semantic_channels, ndf, n_layers, num_scales=1)

    def forward(self, image: torch.Tensor, semantic: torch.Tensor, boxes: torch.Tensor) -> Features:
        return self.net(crop_boxes(torch.cat([image, semantic], dim=1), boxes, self.crop))
