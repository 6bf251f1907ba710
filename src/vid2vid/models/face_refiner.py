"""Everybody Dance Now's face refinement for the pose task: a small residual generator on a crop around the head.

After the full-body frame x_t is made, the head region is cropped (a square around the pixels the driving map's part
channel marks as head, so it needs no keypoints at run time), the refiner reads the crop of x_t and of the semantic
map and predicts a residual r, and r is pasted back into x_t inside the box (x_t + box * r). EDN trains it after the
body generator, which stays frozen (`train.init_from` + `train.train_only: [face_refiner]`), with its own face
discriminator (ours: the pose task's face-region discriminator) and a perceptual loss. Frames whose map shows no head
are left as they are.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vid2vid.data.skeleton import BODY_PARTS
from vid2vid.models.config import GeneratorConfig
from vid2vid.models.discriminator import crop_boxes
from vid2vid.models.layers import ConvBlock, ResBlock, conv2d, lrelu

PART_CHANNEL = 3  # the pose map's part index / num_parts channel (data.semantics.encode_semantic)
HEAD = BODY_PARTS.index("head") + 1
BOX_SCALE = 1.6  # half box size over the head's equivalent radius: the head, hair and some neck
BLOCKS = 3


def head_boxes(semantic: torch.Tensor, num_parts: int = len(BODY_PARTS)) -> tuple[torch.Tensor, torch.Tensor]:
    """Boxes (B, 3) = (cx, cy, half size) in pixels around the head part of pose maps (B, C, H, W), and (B,) whether
    the map shows a head at all."""
    parts = semantic[:, PART_CHANNEL] * num_parts
    head = ((parts - HEAD).abs() < 0.5).to(semantic.dtype)  # (B, H, W)
    area = head.flatten(1).sum(1)
    h, w = semantic.shape[-2:]
    ys = torch.arange(h, device=semantic.device, dtype=semantic.dtype).view(1, h, 1)
    xs = torch.arange(w, device=semantic.device, dtype=semantic.dtype).view(1, 1, w)
    cx = (head * xs).flatten(1).sum(1) / area.clamp(min=1)
    cy = (head * ys).flatten(1).sum(1) / area.clamp(min=1)
    half = (area / torch.pi).sqrt() * BOX_SCALE
    return torch.stack([cx, cy, half.clamp(min=4.0)], dim=1), area > 0


def paste(residual: torch.Tensor, boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """A crop-sized residual (B, 3, s, s) placed back into (B, 3, height, width) over its box (zero outside); the
    inverse of ``crop_boxes`` for the same boxes."""
    b = residual.shape[0]
    ys = torch.arange(height, device=residual.device, dtype=residual.dtype).view(1, height, 1)
    xs = torch.arange(width, device=residual.device, dtype=residual.dtype).view(1, 1, width)
    u = (xs - boxes[:, 0].view(b, 1, 1)) / boxes[:, 2].view(b, 1, 1)
    v = (ys - boxes[:, 1].view(b, 1, 1)) / boxes[:, 2].view(b, 1, 1)
    grid = torch.stack([u.expand(b, height, width), v.expand(b, height, width)], dim=-1)
    inside = ((u.abs() <= 1) & (v.abs() <= 1)).to(residual.dtype).unsqueeze(1)
    return F.grid_sample(residual, grid, mode="bilinear", padding_mode="zeros", align_corners=True) * inside


class FaceRefiner(nn.Module):
    """(frame (B, 3, H, W), semantic (B, C, H, W)) -> the frame with its head region refined."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        c = max(16, cfg.base_channels)
        kw = dict(norm="instance", spectral=False)
        self.size = cfg.face_crop
        self.down = nn.Sequential(ConvBlock(cfg.image_channels + cfg.semantic_channels, c, **kw),
                                  ConvBlock(c, 2 * c, stride=2, **kw), ConvBlock(2 * c, 4 * c, stride=2, **kw))
        self.blocks = nn.Sequential(*[ResBlock(4 * c, **kw) for _ in range(BLOCKS)])
        self.up = nn.Sequential(ConvBlock(4 * c, 2 * c, upsample=True, **kw), ConvBlock(2 * c, c, upsample=True, **kw))
        self.head = conv2d(c, cfg.image_channels, 3)
        with torch.no_grad():  # start as the identity: the frozen body generator's face, unchanged
            self.head.weight.zero_()
            self.head.bias.zero_()

    def forward(self, frame: torch.Tensor, semantic: torch.Tensor) -> torch.Tensor:
        boxes, present = head_boxes(semantic)
        crop = torch.cat([crop_boxes(frame, boxes, self.size), crop_boxes(semantic, boxes, self.size)], dim=1)
        residual = torch.tanh(self.head(lrelu(self.up(self.blocks(self.down(crop))))))
        residual = residual * present.to(frame.dtype).view(-1, 1, 1, 1)
        return (frame + paste(residual, boxes, *frame.shape[-2:])).clamp(-1, 1)
