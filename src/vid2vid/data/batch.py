"""Typed samples and batches of few-shot video data."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch
import torch.nn.functional as F


@dataclass
class VideoSample:
    """One training sample: T consecutive frames of one clip and K examples of the same domain."""

    semantics: torch.Tensor  # (T, C, H, W) float in [0, 1]
    images: torch.Tensor  # (T, 3, H, W) float in [-1, 1]
    flow: torch.Tensor  # (T, 2, H, W) pixels, frame t -> frame t-1 (zeros where unknown, e.g. t = 0 of a clip)
    flow_valid: torch.Tensor  # (T,) bool: whether flow[t] is known
    example_images: torch.Tensor  # (K, 3, H, W) float in [-1, 1]
    example_semantics: torch.Tensor  # (K, C, H, W) float in [0, 1]
    example_flow: torch.Tensor  # (T, K, 2, H, W) pixels, frame t -> example k (K = 0 when not computed)
    example_valid: torch.Tensor  # (T, K, 1, H, W) 1 where warping example k by example_flow reproduces frame t
    keypoints: torch.Tensor  # (T, J, 3) x, y, visible; J = 0 when the dataset has none
    domain: int  # index of the domain in its split
    clip: int  # index of the clip in the dataset's clip list
    start: int  # first frame index in the clip
    skipped: int = 0  # unreadable samples skipped to get this one (FewShotVideoDataset.skip_bad)


@dataclass
class VideoBatch:
    """A batch of samples: the same fields with a leading batch dimension B."""

    semantics: torch.Tensor  # (B, T, C, H, W)
    images: torch.Tensor  # (B, T, 3, H, W)
    flow: torch.Tensor  # (B, T, 2, H, W)
    flow_valid: torch.Tensor  # (B, T)
    example_images: torch.Tensor  # (B, K, 3, H, W)
    example_semantics: torch.Tensor  # (B, K, C, H, W)
    example_flow: torch.Tensor  # (B, T, K, 2, H, W) (K = 0 when not computed)
    example_valid: torch.Tensor  # (B, T, K, 1, H, W)
    keypoints: torch.Tensor  # (B, T, J, 3)
    domain: torch.Tensor  # (B,)
    clip: torch.Tensor  # (B,)
    start: torch.Tensor  # (B,)
    skipped: torch.Tensor  # (B,)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> "VideoBatch":
        """Move every tensor to ``device``."""
        return replace(self, **{f.name: getattr(self, f.name).to(device, non_blocking=non_blocking)
                                for f in fields(self)})

    def with_examples(self, k: int) -> "VideoBatch":
        """The same batch with only its first ``k`` examples (training with a random K)."""
        return replace(self, example_images=self.example_images[:, :k], example_semantics=self.example_semantics[:, :k],
                       example_flow=self.example_flow[:, :, :k], example_valid=self.example_valid[:, :, :k])

    def downsampled(self, factor: int) -> "VideoBatch":
        """The batch at 1/``factor`` of its size (coarse stages of coarse-to-fine training): maps, images and flows
        average-pooled (flows also divided by ``factor``), a validity kept only where all its pixels were valid,
        keypoints scaled."""
        if factor == 1:
            return self

        def pool(x: torch.Tensor) -> torch.Tensor:
            if x.numel() == 0:
                return x.reshape(*x.shape[:-2], x.shape[-2] // factor, x.shape[-1] // factor)
            flat = x.reshape(-1, *x.shape[-3:]).float()
            return F.avg_pool2d(flat, factor).reshape(*x.shape[:-2], x.shape[-2] // factor, x.shape[-1] // factor)

        keypoints = self.keypoints.clone()
        keypoints[..., :2] /= factor
        return replace(self, semantics=pool(self.semantics), images=pool(self.images), flow=pool(self.flow) / factor,
                       example_images=pool(self.example_images), example_semantics=pool(self.example_semantics),
                       example_flow=pool(self.example_flow) / factor,
                       example_valid=(pool(self.example_valid) > 0.999).to(self.example_valid.dtype),
                       keypoints=keypoints)

    def pin_memory(self) -> "VideoBatch":
        """Called by DataLoader(pin_memory=True)."""
        return replace(self, **{f.name: getattr(self, f.name).pin_memory() for f in fields(self)})


def collate_samples(samples: list[VideoSample]) -> VideoBatch:
    """Stack samples into a batch (use as ``DataLoader(collate_fn=collate_samples)``)."""
    out = {}
    for f in fields(VideoSample):
        values = [getattr(s, f.name) for s in samples]
        out[f.name] = torch.stack(values) if isinstance(values[0], torch.Tensor) else torch.tensor(values)
    return VideoBatch(**out)
