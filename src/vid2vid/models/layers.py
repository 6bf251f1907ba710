"""Small layer library: convs with optional spectral norm, conv-norm-activation blocks, residual blocks,
per-sample 1x1 convolutions with generated weights, and `inference_copy` (spectral norm and batch norm folded)."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

SLOPE = 0.2  # leaky ReLU slope everywhere


def lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, SLOPE)


def lrelu_(x: torch.Tensor) -> torch.Tensor:
    """In-place leaky ReLU, for temporaries."""
    return F.leaky_relu_(x, SLOPE)


def up2(x: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour 2x upsampling."""
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


def conv2d(cin: int, cout: int, kernel: int = 3, stride: int = 1, bias: bool = True,
           spectral: bool = False) -> nn.Conv2d:
    """A 'same'-padded conv, optionally spectrally normalised (a parametrisation: plain state_dict tensors)."""
    conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=bias)
    return _spectral_norm(conv) if spectral else conv


def norm2d(kind: str, channels: int, affine: bool) -> nn.Module:
    """batch | instance | none."""
    if kind == "batch":
        return nn.BatchNorm2d(channels, affine=affine)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=affine)
    return nn.Identity()


class ConvBlock(nn.Module):
    """conv -> norm -> leaky ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1, norm: str = "batch",
                 spectral: bool = False) -> None:
        super().__init__()
        self.conv = conv2d(cin, cout, kernel, stride, bias=(norm == "none"), spectral=spectral)
        self.norm = norm2d(norm, cout, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return lrelu_(self.norm(self.conv(x)))


class ResBlock(nn.Module):
    """Pre-activation residual block: x + conv(act(norm(conv(act(norm(x))))))."""

    def __init__(self, channels: int, norm: str = "batch", spectral: bool = False) -> None:
        super().__init__()
        self.norm_0 = norm2d(norm, channels, affine=True)
        self.conv_0 = conv2d(channels, channels, 3, spectral=spectral)
        self.norm_1 = norm2d(norm, channels, affine=True)
        self.conv_1 = conv2d(channels, channels, 3, spectral=spectral)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dx = self.conv_0(lrelu(self.norm_0(x)))
        return x + self.conv_1(lrelu(self.norm_1(dx)))


def conv1x1_per_sample(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """1x1 convolution with a different weight per sample: x (B, I, H, W), weight (B, O, I), bias (B, O).

    Runs as one batched matrix product over pixels (channels-last view, no copy for channels_last inputs);
    the result is (B, O, H, W) in channels_last memory layout."""
    b, c, h, w = x.shape
    rows = x.permute(0, 2, 3, 1).reshape(b, h * w, c)
    out = torch.baddbmm(bias.unsqueeze(1), rows, weight.transpose(1, 2))
    return out.view(b, h, w, -1).permute(0, 3, 1, 2)


def conv1x1(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """1x1 convolution with weight (O, I): a matrix product over pixels for channels_last inputs."""
    if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        b, c, h, w = x.shape
        rows = x.permute(0, 2, 3, 1).reshape(b * h * w, c)
        out = torch.addmm(bias, rows, weight.t()) if bias is not None else rows @ weight.t()
        return out.view(b, h, w, -1).permute(0, 3, 1, 2)
    return F.conv2d(x, weight[:, :, None, None], bias)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _fold_batch_norm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold an eval-mode batch norm into the conv before it (conv must already be unparametrised)."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps) if bn.affine else 1 / torch.sqrt(bn.running_var + bn.eps)
    shift = (bn.bias if bn.affine else 0) - bn.running_mean * scale
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    conv.weight = nn.Parameter(conv.weight * scale.view(-1, 1, 1, 1))
    conv.bias = nn.Parameter(bias * scale + shift)


@torch.no_grad()
def inference_copy(model: nn.Module) -> nn.Module:
    """An eval-mode copy for inference: spectral norm removed (weights fixed at their normalised value) and batch
    norms that directly follow a conv folded into it, so neither is recomputed per frame. Same outputs as
    `model.eval()`; its state_dict has different keys, so save the training model, not this copy."""
    model = copy.deepcopy(model).eval()
    for module in model.modules():
        if parametrize.is_parametrized(module):
            for name in list(module.parametrizations.keys()):
                parametrize.remove_parametrizations(module, name, leave_parametrized=True)
    for module in model.modules():
        pairs = []
        if isinstance(module, ConvBlock):
            pairs.append((module, "conv", "norm"))
        if isinstance(module, ResBlock):
            pairs.append((module, "conv_0", "norm_1"))
        for owner, conv_name, norm_name in pairs:
            bn = getattr(owner, norm_name)
            if isinstance(bn, nn.BatchNorm2d) and bn.track_running_stats:
                _fold_batch_norm(getattr(owner, conv_name), bn)
                setattr(owner, norm_name, nn.Identity())
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def as_channels_last(model: nn.Module) -> nn.Module:
    """Convert conv weights to channels_last (in place) and mark the model so inputs are converted too."""
    model.to(memory_format=torch.channels_last)
    for module in model.modules():
        if hasattr(module, "memory_format"):
            module.memory_format = torch.channels_last
    return model
