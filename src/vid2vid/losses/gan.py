"""Adversarial and feature-matching losses over multi-scale discriminator outputs ([scale][layer], logits last)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

Features = list[list[torch.Tensor]]


def d_loss(real: Features, fake: Features, kind: str = "hinge") -> torch.Tensor:
    """Discriminator loss averaged over scales: hinge (few-shot vid2vid) or least squares (vid2vid)."""
    terms = []
    for r, f in zip(real, fake):
        if kind == "hinge":
            terms.append(F.relu(1 - r[-1]).mean() + F.relu(1 + f[-1]).mean())
        elif kind == "lsgan":
            terms.append(((r[-1] - 1) ** 2).mean() + (f[-1] ** 2).mean())
        else:
            raise ValueError(f"unknown GAN loss {kind!r}")
    return torch.stack(terms).mean()


def g_loss(fake: Features, kind: str = "hinge") -> torch.Tensor:
    """Generator adversarial loss averaged over scales."""
    terms = []
    for f in fake:
        if kind == "hinge":
            terms.append(-f[-1].mean())
        elif kind == "lsgan":
            terms.append(((f[-1] - 1) ** 2).mean())
        else:
            raise ValueError(f"unknown GAN loss {kind!r}")
    return torch.stack(terms).mean()


def feature_matching(real: Features, fake: Features) -> torch.Tensor:
    """L1 between the discriminator's intermediate features on real and generated inputs (real detached): summed
    over layers and averaged over scales, as the reference (a mean over layers too was 4x weaker)."""
    per_scale = [sum(F.l1_loss(f, r.detach()) for r, f in zip(rs[:-1], fs[:-1])) for rs, fs in zip(real, fake)]
    return torch.stack(per_scale).mean()
