"""vid2vid 2018's multimodal synthesis: one label video, several different-looking videos.

A feature encoder maps the real frame to a few feature channels, which are averaged over each class's region (the
2018 paper averages per instance; our street data has no instance maps, so each class is one region) and painted
back onto the label map as extra input channels of H. After training, a mixture of Gaussians per class is fitted to
those per-class features over the training set (`fit_styles`) and stored in the generator; at test time a seed
draws one feature vector per class (`ClassStyles.sample`), fixed for the whole video, so road, facades and cars get
a consistent new look. Without a seed the mixture's mean is used.

The class regions come from one-hot label maps: the option needs a task whose semantic maps are labels (streets).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import torch
from torch import nn

from vid2vid.models.config import GeneratorConfig
from vid2vid.models.layers import ConvBlock, conv2d, lrelu

log = logging.getLogger(__name__)

COMPONENTS = 4  # mixture components per class
EM_ITERATIONS = 50
MIN_STD = 0.02  # floor of each component's standard deviation (features are in [-1, 1])


class FeatureEncoder(nn.Module):
    """image (B, 3, H, W) -> features (B, F, H, W) in [-1, 1] (a small encoder-decoder, 2 downsamplings)."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        c = max(8, cfg.base_channels)
        kw = dict(norm="instance", spectral=False)
        self.net = nn.Sequential(ConvBlock(cfg.image_channels, c, **kw), ConvBlock(c, 2 * c, stride=2, **kw),
                                 ConvBlock(2 * c, 4 * c, stride=2, **kw), ConvBlock(4 * c, 2 * c, upsample=True, **kw),
                                 ConvBlock(2 * c, c, upsample=True, **kw))
        self.head = conv2d(c, cfg.multimodal_channels, 3)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.head(lrelu(self.net(image))))


def pool_by_class(features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """features (B, F, H, W), one-hot labels (B, C, H, W) -> (B, C, F): each class's mean feature (0 if absent)."""
    area = labels.flatten(2).sum(2)  # (B, C)
    total = torch.einsum("bchw,bfhw->bcf", labels, features)
    return total / area.clamp(min=1e-6).unsqueeze(2)


def paint(labels: torch.Tensor, class_features: torch.Tensor) -> torch.Tensor:
    """one-hot labels (B, C, H, W) and per-class features (B, C, F) -> the feature map (B, F, H, W)."""
    return torch.einsum("bchw,bcf->bfhw", labels, class_features.to(labels.dtype))


class ClassStyles(nn.Module):
    """A diagonal Gaussian mixture per class over the per-class features (buffers: saved with the weights)."""

    def __init__(self, classes: int, channels: int) -> None:
        super().__init__()
        self.register_buffer("weights", torch.full((classes, COMPONENTS), 1.0 / COMPONENTS))
        self.register_buffer("means", torch.zeros(classes, COMPONENTS, channels))
        self.register_buffer("stds", torch.full((classes, COMPONENTS, channels), MIN_STD))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))

    def mean(self) -> torch.Tensor:
        """(C, F): each class's mixture mean."""
        return torch.einsum("ck,ckf->cf", self.weights, self.means)

    def sample(self, seed: int) -> torch.Tensor:
        """(C, F): one draw per class from its mixture, a pure function of ``seed``."""
        g = torch.Generator().manual_seed(int(seed))
        component = torch.multinomial(self.weights.cpu(), 1, generator=g)[:, 0]  # (C,)
        rows = torch.arange(self.means.shape[0])
        noise = torch.randn(self.means.shape[0], self.means.shape[2], generator=g)
        draw = self.means.cpu()[rows, component] + self.stds.cpu()[rows, component] * noise
        return draw.clamp(-1, 1).to(self.means.device)

    @torch.no_grad()
    def fit(self, samples: list[torch.Tensor]) -> None:
        """samples[c]: (N_c, F) features of class c; classes never seen keep a zero mean."""
        for c, x in enumerate(samples):
            if len(x) == 0:
                continue
            w, mu, sd = fit_gmm(x.float().cpu(), min(COMPONENTS, len(x)))
            k = len(w)
            self.weights[c].zero_()
            self.weights[c, :k] = w
            self.means[c, :k], self.stds[c, :k] = mu, sd
        self.fitted.fill_(True)


def fit_gmm(x: torch.Tensor, k: int, iterations: int = EM_ITERATIONS) -> tuple[torch.Tensor, ...]:
    """Diagonal Gaussian mixture of ``k`` components on x (N, F) by EM, started from k evenly spaced samples of x
    sorted by their first feature (deterministic). Returns weights (k,), means (k, F), stds (k, F)."""
    order = torch.argsort(x[:, 0])
    mu = x[order[torch.linspace(0, len(x) - 1, k).long()]].clone()
    sd = x.std(0, unbiased=False).clamp(min=MIN_STD).expand(k, -1).clone()
    w = torch.full((k,), 1.0 / k)
    for _ in range(iterations):
        log_p = (-0.5 * (((x[:, None] - mu[None]) / sd[None]) ** 2) - sd[None].log()).sum(2) + w.log()[None]
        r = torch.softmax(log_p, dim=1)  # (N, k) responsibilities
        n = r.sum(0).clamp(min=1e-6)
        w = n / n.sum()
        mu = (r.T @ x) / n[:, None]
        sd = ((r.T @ x**2) / n[:, None] - mu**2).clamp(min=MIN_STD**2).sqrt()
    return w, mu, sd


@torch.no_grad()
def fit_styles(generators: Iterable[nn.Module], batches: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> int:
    """Fit every generator's class mixtures to the first one's encoder features over (images (N, 3, H, W), one-hot
    labels (N, C, H, W)) batches; returns the number of frames used."""
    generators = list(generators)
    encoder = generators[0].style_encoder
    was_training = encoder.training
    encoder.eval()
    samples: list[list[torch.Tensor]] | None = None
    frames = 0
    for images, labels in batches:
        pooled = pool_by_class(encoder(images), labels)  # (N, C, F)
        present = labels.flatten(2).sum(2) > 0  # (N, C)
        if samples is None:
            samples = [[] for _ in range(labels.shape[1])]
        for c in range(labels.shape[1]):
            samples[c].append(pooled[present[:, c], c])
        frames += len(images)
    encoder.train(was_training)
    if samples is None:
        raise ValueError("no training frames to fit the class styles to")
    stacked = [torch.cat(s) for s in samples]
    for g in generators:
        g.styles.fit(stacked)
    log.info(f"fitted class styles ({COMPONENTS} components per class) to {frames} training frames")
    return frames
