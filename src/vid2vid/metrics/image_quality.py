"""PSNR and SSIM against ground truth, plain PyTorch.

Images are RGB tensors (N, 3, H, W) in [-1, 1] (the repository's convention; ``value_range`` says otherwise). Both
metrics are computed on the images mapped to [0, 1] with data range 1, the usual convention: PSNR does not depend on
it, but SSIM's luminance term does (it assumes non-negative intensities). Both return one value per image; PSNR of
identical images is ``inf`` (average with care, e.g. ``psnr.clamp(max=100)``, or average the MSE and use
``psnr_from_mse``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

VALUE_RANGE = (-1.0, 1.0)  # images in [-1, 1]


def _check_pair(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape != b.shape or a.ndim != 4:
        raise ValueError(f"expected two (N, C, H, W) tensors of equal shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def _to_unit(x: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    lo, hi = value_range
    return (x.double() - lo) / (hi - lo)


def psnr(a: torch.Tensor, b: torch.Tensor, value_range: tuple[float, float] = VALUE_RANGE) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image (N,): ``10 log10(1 / MSE)`` on [0, 1]; ``inf`` where MSE is 0."""
    _check_pair(a, b)
    mse = (_to_unit(a, value_range) - _to_unit(b, value_range)).pow(2).flatten(1).mean(1)
    return (-10.0 * torch.log10(mse)).float()


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Normalised 1-D Gaussian (size,) centred on the middle tap."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def _blur(x: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Separable 'valid' Gaussian filter of every channel of (N, C, H, W)."""
    c = x.shape[1]
    k = len(window)
    x = F.conv2d(x, window.view(1, 1, 1, k).expand(c, 1, 1, k).to(x), groups=c)
    return F.conv2d(x, window.view(1, 1, k, 1).expand(c, 1, k, 1).to(x), groups=c)


def ssim(a: torch.Tensor, b: torch.Tensor, value_range: tuple[float, float] = VALUE_RANGE, window_size: int = 11,
         sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """Structural similarity per image (N,) (Wang et al. 2004): Gaussian window 11 / sigma 1.5, K1 0.01, K2 0.03,
    population statistics on [0, 1] images (data range 1), averaged over channels and over the window positions that
    fit inside the image ('valid'; equal to scikit-image's ``structural_similarity(gaussian_weights=True,
    use_sample_covariance=False, data_range=1)`` on the [0, 1] images).
    Images smaller than the window use a window as large as the smaller side (odd)."""
    _check_pair(a, b)
    size = min(window_size, a.shape[-1], a.shape[-2])
    size -= 1 - size % 2
    window = gaussian_window(size, sigma)
    x, y = _to_unit(a, value_range), _to_unit(b, value_range)
    c1, c2 = k1**2, k2**2
    mu_x, mu_y = _blur(x, window), _blur(y, window)
    var_x = _blur(x * x, window) - mu_x**2
    var_y = _blur(y * y, window) - mu_y**2
    cov = _blur(x * y, window) - mu_x * mu_y
    s = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return s.flatten(1).mean(1).float()


def psnr_from_mse(mse: float) -> float:
    """PSNR in dB of a mean squared error of [0, 1] images (for running averages of MSE over many frames)."""
    return math.inf if mse == 0 else -10.0 * math.log10(mse)
