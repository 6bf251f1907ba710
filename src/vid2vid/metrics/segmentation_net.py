"""A small segmentation network for synthetic streets (RGB -> label ids), its training and its weight file.

The paper segments generated street frames with a pretrained Cityscapes network; none installs offline, so we train
this tiny U-Net on the synthetic streets' own RGB frames and label maps. It predicts all ``num_labels`` ids (read from
the dataset); the "unlabeled" id is ignored by the training loss and by the metrics (see ``segmentation``). Its own
accuracy on held-out cities is measured by ``vid2vid eval detectors``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vid2vid.data.labels import UNLABELED
from vid2vid.metrics.net_training import (batched_eval, cosine_lr, finish_net, load_net, load_split, optimise,
                                          photometric_augment, unet_features)


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SegmentationNet(nn.Module):
    """RGB (N, 3, H, W) in [-1, 1] -> logits (N, num_classes, H, W); a 4-level U-Net (strides 2 .. 16, full-resolution
    head). A fourth input channel holds the row position (-1 top .. 1 bottom; sky is up, road down), so the network
    expects whole-height frames (training crops only along the width)."""

    def __init__(self, num_classes: int, width: int = 16) -> None:
        super().__init__()
        self.num_classes, self.width = num_classes, width
        w = width
        self.enc0 = _block(4, w, 2)  # stride 2 (full resolution is left to the last upsampling)
        self.enc1 = _block(w, 2 * w, 2)  # 4
        self.enc2 = _block(2 * w, 4 * w, 2)  # 8
        self.enc3 = _block(4 * w, 4 * w, 2)  # 16
        self.dec2 = _block(8 * w, 4 * w)
        self.dec1 = _block(6 * w, 2 * w)
        self.dec0 = _block(3 * w, w)
        self.head = nn.Conv2d(w + 4, num_classes, 3, padding=1)

    def config(self) -> dict:
        return {"num_classes": self.num_classes, "width": self.width}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        rows = torch.linspace(-1, 1, h, device=x.device, dtype=x.dtype).view(1, 1, h, 1).expand(n, 1, h, w)
        x = torch.cat([x, rows], 1)
        x = F.pad(x, (0, -w % 16, 0, -h % 16), mode="replicate")  # the full-resolution skip of the head, padded
        d = torch.cat([F.interpolate(unet_features(self, x, "bilinear"), scale_factor=2.0, mode="bilinear"), x], 1)
        return self.head(d)[..., :h, :w]

    def predict(self, images: torch.Tensor, batch_size: int = 16) -> torch.Tensor:
        """Label ids (N, H, W) int64."""
        return batched_eval(self, images, batch_size, lambda logits: logits.argmax(1),
                            torch.zeros(0, *images.shape[-2:], dtype=torch.long))


def train_segmentation_net(data_root: str | Path, steps: int, out: str | Path | None = None, *, batch_size: int = 8,
                           lr: float = 2e-3, width: int = 16, crop: int = 64, frame_step: int = 2,
                           max_frames: int | None = None, ignore_index: int = UNLABELED, seed: int = 0,
                           log_every: int = 100, log: Callable[[str], None] | None = print) -> SegmentationNet:
    """Train on the ``train`` split of a labels dataset: random whole-height crops ``crop`` wide, flips, photometric
    augmentation, cross-entropy ignoring ``ignore_index``, Adam with cosine lr. Saves to ``out`` when given (atomic
    safetensors); no channel swapping (sky is blue, vegetation green); returns the model in eval mode on the CPU."""
    data = load_split(data_root, "train", frame_step, max_frames)
    if data.labels is None:
        raise ValueError(f"{data_root} is not a label-map dataset (semantic '{data.meta.semantic}')")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SegmentationNet(data.meta.num_labels, width)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    h, w = data.meta.height, data.meta.width
    ch, cw = h, min(crop, w)
    start, running = time.perf_counter(), 0.0
    model.train()
    for step in range(steps):
        idx = rng.integers(0, len(data), batch_size)
        ys, xs = rng.integers(0, h - ch + 1, batch_size), rng.integers(0, w - cw + 1, batch_size)
        x = torch.stack([data.images(slice(i, i + 1))[0, :, y:y + ch, x0:x0 + cw] for i, y, x0 in zip(idx, ys, xs)])
        target = torch.stack([torch.from_numpy(data.labels[i, y:y + ch, x0:x0 + cw].astype(np.int64))
                              for i, y, x0 in zip(idx, ys, xs)])
        flip = torch.from_numpy(rng.random(batch_size) < 0.5)
        x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
        target = torch.where(flip.view(-1, 1, 1), target.flip(-1), target)
        x = photometric_augment(x, gen, channel_swap=0.0)  # class colours carry meaning in streets
        loss = F.cross_entropy(model(x), target, ignore_index=ignore_index)
        running += optimise(opt, loss, cosine_lr(step, steps, lr))
        if log is not None and log_every and (step + 1) % log_every == 0:
            log(f"segmentation net step {step + 1}/{steps} loss {running / log_every:.4f} "
                f"({time.perf_counter() - start:.0f} s)")
            running = 0.0
    return finish_net(model, out)


def load_segmentation_net(path: str | Path) -> SegmentationNet:
    """A network saved by ``train_segmentation_net``, in eval mode on the CPU."""
    return load_net(SegmentationNet, path)
