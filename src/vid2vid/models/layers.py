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


def up_conv_kernels(weight: torch.Tensor) -> torch.Tensor:
    """(O, I, 3, 3) -> (4 O, I, 2, 2): the 3x3 kernel seen by the four output phases of a 2x-upsampled input.

    An output pixel of row parity a and column parity c sees a 2x2 input window; its taps are sums of the 3x3
    kernel's taps (rows: a=0 -> [w0, w1 + w2] over input rows i-1, i; a=1 -> [w0 + w1, w2] over rows i, i+1)."""
    def split(w: torch.Tensor, dim: int) -> list[torch.Tensor]:
        t = w.unbind(dim)
        return [torch.stack([t[0], t[1] + t[2]], dim), torch.stack([t[0] + t[1], t[2]], dim)]

    return torch.cat([k for rows in split(weight, 2) for k in split(rows, 3)], dim=0)  # phases 00, 01, 10, 11


def up_conv3x3(x: torch.Tensor, kernels: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """conv3x3(up2(x)) with zero padding 1, computed at the input resolution (2.25x fewer multiply-adds):
    the four phase kernels (`up_conv_kernels`) run as one 2x2 conv with 4x the outputs over the padded input,
    and phase (a, c) is that conv's output shifted by (a, c)."""
    b, _, h, w = x.shape
    o = kernels.shape[0] // 4
    y = F.conv2d(F.pad(x, (1, 1, 1, 1)), kernels, None if bias is None else bias.repeat(4))  # (B, 4o, h+1, w+1)
    channels_last = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    out = torch.empty(b, o, 2 * h, 2 * w, dtype=y.dtype, device=y.device,
                      memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    for a in range(2):
        for c in range(2):
            j = (2 * a + c) * o
            out[:, :, a::2, c::2] = y[:, j:j + o, a:a + h, c:c + w]
    return out


class ConvBlock(nn.Module):
    """conv -> norm -> leaky ReLU; with `upsample`, the input is first upsampled 2x (nearest), computed as
    `up_conv3x3` for inputs of 256+ pixels (phase kernels cached while the weight is a plain, unchanged tensor,
    e.g. at inference)."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1, norm: str = "batch",
                 spectral: bool = False, upsample: bool = False) -> None:
        super().__init__()
        self.conv = conv2d(cin, cout, kernel, stride, bias=(norm == "none"), spectral=spectral)
        self.norm = norm2d(norm, cout, affine=True)
        if upsample and (kernel != 3 or stride != 1):
            raise ValueError("an upsampling ConvBlock needs a 3x3 stride-1 conv")
        self.upsample = upsample
        self._kernels: tuple[tuple, torch.Tensor] | None = None

    def _up_kernels(self) -> torch.Tensor:
        weight = self.conv.weight
        if not isinstance(weight, nn.Parameter) or (torch.is_grad_enabled() and weight.requires_grad):
            return up_conv_kernels(weight)  # parametrised or training: recompute (differentiable)
        key = (weight.data_ptr(), weight._version, weight.dtype, weight.device)
        if self._kernels is None or self._kernels[0] != key:
            fmt = torch.channels_last if weight.is_contiguous(memory_format=torch.channels_last) and \
                not weight.is_contiguous() else torch.contiguous_format
            self._kernels = (key, up_conv_kernels(weight.detach()).contiguous(memory_format=fmt))
        return self._kernels[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.upsample:
            x = self.conv(x)
        elif x.shape[2] * x.shape[3] >= 256:
            x = up_conv3x3(x, self._up_kernels(), self.conv.bias)
        else:  # tiny maps with many channels: the plain conv is as fast (measured) and needs no phase kernels
            x = self.conv(up2(x))
        return lrelu_(self.norm(x))


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


def conv_per_sample(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """k x k convolution (zero padding k // 2) with a different weight per sample: x (B, I, H, W), weight
    (B, O, I, k, k), bias (B, O); one grouped convolution with the batch folded into the groups."""
    b, c, h, w = x.shape
    out = F.conv2d(x.reshape(1, b * c, h, w), weight.flatten(0, 1), bias.flatten(), padding=weight.shape[-1] // 2,
                   groups=b)
    return out.view(b, -1, h, w)


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
def inference_copy(model: nn.Module, channels_last: bool = False, inplace: bool = False) -> nn.Module:
    """An eval-mode copy for inference: spectral norm removed (weights fixed at their normalised value) and batch
    norms that directly follow a conv folded into it, so neither is recomputed per frame; optionally channels_last
    (fastest on CPU). Same outputs as `model.eval()`; its state_dict has different keys, so save the training
    model, not this copy. `inplace` converts `model` itself (no second copy of the weights in memory)."""
    model = (model if inplace else copy.deepcopy(model)).eval()
    for module in model.modules():
        if parametrize.is_parametrized(module):
            # Not parametrize.remove_parametrizations: it deletes the property from the parametrised class, which
            # the deep copy shares with the original model. Revert this instance's class instead.
            values = {name: getattr(module, name).detach().clone() for name in module.parametrizations.keys()}
            module.__class__ = module.__class__.__bases__[0]
            del module._modules["parametrizations"]
            for name, value in values.items():
                module.register_parameter(name, nn.Parameter(value))
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
    return as_channels_last(model) if channels_last else model


def as_channels_last(model: nn.Module) -> nn.Module:
    """Convert conv weights to channels_last (in place) and mark the model so inputs are converted too."""
    model.to(memory_format=torch.channels_last)
    for module in model.modules():
        if hasattr(module, "memory_format"):
            module.memory_format = torch.channels_last
    return model
