"""Turn stored semantic maps into the model's input channels (one place, used by training and inference)."""

from __future__ import annotations

import numpy as np
import torch

from vid2vid.data.layout import DatasetMeta


def encode_semantic(meta: DatasetMeta, semantic: np.ndarray, parts: np.ndarray | None = None) -> torch.Tensor:
    """(H, W, C_file) uint8 semantic map (+ parts) -> (C, H, W) float in [0, 1], C = ``meta.semantic_channels``.

    skeleton: RGB / 255, then part index / num_parts, u, v (6 channels); sketch: gray / 255; labels: one-hot.
    """
    if meta.semantic == "labels":
        ids = torch.from_numpy(np.ascontiguousarray(semantic[:, :, 0])).long().clamp_(0, meta.num_labels - 1)
        return torch.nn.functional.one_hot(ids, meta.num_labels).permute(2, 0, 1).float()
    x = torch.from_numpy(np.ascontiguousarray(semantic)).permute(2, 0, 1).float() / 255.0
    if meta.semantic == "skeleton" and "parts" in meta.extras:
        if parts is None:
            raise ValueError("the pose task needs the parts map next to the skeleton map")
        p = torch.from_numpy(np.ascontiguousarray(parts)).permute(2, 0, 1).float()
        scale = torch.tensor([max(meta.num_parts, 1), 255.0, 255.0]).view(3, 1, 1)
        x = torch.cat([x, p / scale], dim=0)
    return x


def encode_image(rgb: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 RGB -> (3, H, W) float in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(127.5).sub_(1.0)


def decode_image(x: torch.Tensor) -> np.ndarray:
    """(3, H, W) float in [-1, 1] -> (H, W, 3) uint8 RGB."""
    return ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
