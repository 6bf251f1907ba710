"""A small keypoint detector for synthetic dancers (RGB -> 18 COCO keypoints) or faces (68 iBUG landmarks), its
training and its weight file.

The paper runs OpenPose on generated frames; OpenPose does not install offline, so for the synthetic dancers we train
this detector on the dancers' own RGB frames and keypoints (real video uses ``mediapipe_pose``). Design: a small
U-Net-like CNN predicting one heatmap per joint at stride 2, trained with a spatial-softmax cross-entropy against
Gaussian distributions (sigma 2 px) around the joints; decoding takes the arg-max cell and refines it to sub-pixel
precision with a parabola through the log-heatmap (exact for a Gaussian). Fully convolutional: any input size works,
but it is accurate at the resolution it was trained on (the dataset's). Its own error on held-out real frames is
measured by ``vid2vid eval detectors``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vid2vid.metrics.net_training import (batched_eval, cosine_lr, finish_net, load_net, load_split, optimise,
                                          photometric_augment, unet_features)

STRIDE = 2  # heatmap cells per input pixel: 1 / STRIDE
SIGMA = 2.0  # Gaussian radius of the training targets, input pixels
# COCO-18 joint order after a horizontal flip (right <-> left).
FLIP_PERM = (0, 1, 5, 6, 7, 2, 3, 4, 11, 12, 13, 8, 9, 10, 15, 14, 17, 16)


def _conv(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class KeypointNet(nn.Module):
    """RGB (N, 3, H, W) in [-1, 1] -> joint heatmaps (N, J, ceil(H/2), ceil(W/2))."""

    def __init__(self, num_joints: int = 18, width: int = 16) -> None:
        super().__init__()
        self.num_joints, self.width = num_joints, width
        w = width
        self.enc0 = nn.Sequential(_conv(3, w, 2), _conv(w, w))  # stride 2
        self.enc1 = nn.Sequential(_conv(w, 2 * w, 2), _conv(2 * w, 2 * w))  # 4
        self.enc2 = nn.Sequential(_conv(2 * w, 4 * w, 2), _conv(4 * w, 4 * w))  # 8
        self.enc3 = nn.Sequential(_conv(4 * w, 8 * w, 2), _conv(8 * w, 8 * w, dilation=2), _conv(8 * w, 8 * w))  # 16
        self.dec2 = _conv(8 * w + 4 * w, 4 * w)
        self.dec1 = _conv(4 * w + 2 * w, 2 * w)
        self.dec0 = nn.Sequential(_conv(2 * w + w, w), _conv(w, w))
        self.head = nn.Conv2d(w, num_joints, 1)

    def config(self) -> dict:
        return {"num_joints": self.num_joints, "width": self.width}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        return self.head(unet_features(self, x, "nearest"))[..., : -(-h // STRIDE), : -(-w // STRIDE)]

    def detect(self, images: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
        """Keypoints (N, J, 3): x, y in input pixels and a confidence in [0, 1] (``decode_heatmaps``)."""
        return batched_eval(self, images, batch_size, lambda heat: decode_heatmaps(heat.float()),
                            torch.zeros(0, self.num_joints, 3))


def cell_centres(n: int, device: torch.device | None = None) -> torch.Tensor:
    """Input-pixel coordinate of each of ``n`` heatmap cells along one axis."""
    return torch.arange(n, device=device, dtype=torch.float32) * STRIDE + (STRIDE - 1) / 2


def render_heatmaps(keypoints: torch.Tensor, height: int, width: int, sigma: float = SIGMA) -> torch.Tensor:
    """Training targets (N, J, ceil(H/2), ceil(W/2)): per joint a Gaussian around (x, y) (input pixels), normalised
    to sum 1 over the cells (a distribution over positions)."""
    xs = cell_centres(-(-width // STRIDE), keypoints.device).view(1, 1, 1, -1)
    ys = cell_centres(-(-height // STRIDE), keypoints.device).view(1, 1, -1, 1)
    x, y = keypoints[..., 0, None, None], keypoints[..., 1, None, None]
    g = torch.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))
    return g / g.sum((-2, -1), keepdim=True).clamp(min=1e-12)


def heatmap_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Cross-entropy between the spatial softmax of ``logits`` and the target distributions, joints weighted by
    ``weight`` (N, J) (0 for joints outside the image). Learns much faster than regressing heatmaps with MSE."""
    log_p = torch.log_softmax(logits.flatten(2), -1)
    ce = -(target.flatten(2) * log_p).sum(-1)
    return (ce * weight).sum() / weight.sum().clamp(min=1)


def decode_heatmaps(logits: torch.Tensor) -> torch.Tensor:
    """Log-heatmaps (N, J, h, w) (network logits, or the log of any positive heatmap) -> (N, J, 3): x, y in input
    pixels and a confidence, the softmax mass in the 3 x 3 cells around the peak.

    The arg-max cell is refined to sub-pixel precision by a parabola through the log-values at the arg-max and its
    two neighbours on each axis (exact for a Gaussian; no refinement along an axis at the border cells)."""
    n, j, h, w = logits.shape
    flat = logits.reshape(n, j, h * w).float()
    idx = flat.argmax(-1)
    iy, ix = idx // w, idx % w
    cx = ix + _parabola_offset(flat, iy, ix, 0, 1, h, w)
    cy = iy + _parabola_offset(flat, iy, ix, 1, 0, h, w)
    prob = torch.softmax(flat, -1).reshape(n * j, 1, h, w)
    mass = F.avg_pool2d(prob, 3, 1, 1, count_include_pad=True).reshape(n, j, h * w) * 9
    confidence = torch.gather(mass, 2, idx[..., None])[..., 0].clamp(max=1)
    return torch.stack([cx * STRIDE + (STRIDE - 1) / 2, cy * STRIDE + (STRIDE - 1) / 2, confidence], -1)


def _parabola_offset(flat: torch.Tensor, iy: torch.Tensor, ix: torch.Tensor, oy: int, ox: int, h: int,
                     w: int) -> torch.Tensor:
    """Sub-cell offset along one axis from the log-values at the arg-max and its neighbours (0 where undefined)."""
    inside = (iy - oy >= 0) & (iy + oy < h) & (ix - ox >= 0) & (ix + ox < w)

    def at(k: int) -> torch.Tensor:
        y, x = (iy + k * oy).clamp(0, h - 1), (ix + k * ox).clamp(0, w - 1)
        return torch.gather(flat, 2, (y * w + x)[..., None])[..., 0]

    lm, l0, lp = at(-1), at(0), at(1)
    curvature = lm - 2 * l0 + lp
    defined = inside & (curvature < 0)
    offset = 0.5 * (lm - lp) / torch.where(defined, curvature, -torch.ones_like(curvature))
    return torch.where(defined, offset.clamp(-1, 1), torch.zeros_like(offset))


def flip_keypoints(keypoints: torch.Tensor, width: int) -> torch.Tensor:
    """Keypoints of the horizontally flipped image: x -> W - 1 - x and left/right joints swapped."""
    out = keypoints[..., list(FLIP_PERM), :].clone()
    out[..., 0] = width - 1 - out[..., 0]
    return out


def train_keypoint_net(data_root: str | Path, steps: int, out: str | Path | None = None, *, batch_size: int = 16,
                       lr: float = 2e-3, width: int = 16, crop: float = 0.625, frame_step: int = 2,
                       max_frames: int | None = None, seed: int = 0, log_every: int = 100,
                       log: Callable[[str], None] | None = print) -> KeypointNet:
    """Train on the ``train`` split of a dataset with keypoints (flip + photometric augmentation, Adam, cosine lr).

    Training sees crops of ``crop`` x the frame size (multiple of 16, at least 64 px) placed around the dancer with
    random jitter: ~2.5x cheaper than whole frames; the network is fully convolutional and detects on whole frames
    afterwards.

    Saves the weights to ``out`` (safetensors, atomic) when given; returns the model in eval mode on the CPU."""
    data = load_split(data_root, "train", frame_step, max_frames)
    if data.keypoints is None:
        raise ValueError(f"{data_root} has no keypoints.npy files: the keypoint detector needs keypoints")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = KeypointNet(data.keypoints.shape[1], width)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    h, w = data.meta.height, data.meta.width
    # Never below 64 px: smaller crops cut the dancer off (at 64x64 a 32 px crop tripled the error).
    crop_h, crop_w = (min(size, max(64, 16 * round(size * crop / 16))) for size in (h, w))
    start, running = time.perf_counter(), 0.0
    model.train()
    for step in range(steps):
        idx = rng.integers(0, len(data), batch_size)
        x, kp = _crops(data.images(idx), data.keypoints[idx], crop_h, crop_w, rng)
        if model.num_joints == len(FLIP_PERM):  # mirroring needs left/right pairs: COCO-18; landmarks train unflipped
            flip = torch.from_numpy(rng.random(batch_size) < 0.5)
            x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
            kp = torch.where(flip.view(-1, 1, 1), flip_keypoints(kp, crop_w), kp)
        x = photometric_augment(x, gen)
        target = render_heatmaps(kp, crop_h, crop_w)
        weight = (kp[..., 2] > 0).float()
        running += optimise(opt, heatmap_loss(model(x), target, weight), cosine_lr(step, steps, lr))
        if log is not None and log_every and (step + 1) % log_every == 0:
            log(f"keypoint net step {step + 1}/{steps} loss {running / log_every:.4f} "
                f"({time.perf_counter() - start:.0f} s)")
            running = 0.0
    return finish_net(model, out)


def _crops(images: torch.Tensor, keypoints: np.ndarray, ch: int, cw: int,
           rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(ch, cw) crops centred near each frame's visible keypoints (jitter of a quarter crop); keypoints moved along,
    and marked invisible when they fall outside the crop."""
    n, _, h, w = images.shape
    crops, kps = [], []
    for i in range(n):
        kp = keypoints[i].copy()
        vis = kp[:, 2] > 0
        cx, cy = (kp[vis, :2].min(0) + kp[vis, :2].max(0)) / 2 if vis.any() else (w / 2, h / 2)
        x0 = int(np.clip(round(cx - cw / 2 + rng.uniform(-0.25, 0.25) * cw), 0, w - cw))
        y0 = int(np.clip(round(cy - ch / 2 + rng.uniform(-0.25, 0.25) * ch), 0, h - ch))
        kp[:, 0] -= x0
        kp[:, 1] -= y0
        kp[:, 2] *= (kp[:, 0] >= 0) & (kp[:, 0] <= cw - 1) & (kp[:, 1] >= 0) & (kp[:, 1] <= ch - 1)
        crops.append(images[i, :, y0:y0 + ch, x0:x0 + cw])
        kps.append(kp)
    return torch.stack(crops), torch.from_numpy(np.stack(kps))


def load_keypoint_net(path: str | Path) -> KeypointNet:
    """A detector saved by ``train_keypoint_net``, in eval mode on the CPU."""
    return load_net(KeypointNet, path)
