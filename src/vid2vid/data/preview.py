"""Pictures of semantic maps (stored maps and model inputs, drawn by their encoding) and contact sheets of a dataset."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from vid2vid.data.layout import DatasetMeta, clip_dirs, frame_name, read_clip_frames, read_meta, read_png, write_png
from vid2vid.errors import UserError


def semantic_to_rgb(meta: DatasetMeta, semantic: np.ndarray) -> np.ndarray:
    """A viewable RGB picture of a stored semantic map (H, W, C_file) uint8."""
    if meta.semantic == "labels":
        from vid2vid.data.labels import colorize_labels

        return colorize_labels(semantic[:, :, 0])
    if semantic.shape[2] == 1:
        return np.repeat(semantic, 3, axis=2)
    return semantic


def input_to_rgb(semantic: torch.Tensor, encoding: str) -> torch.Tensor:
    """A viewable picture of the model's semantic input: (N, C, H, W) in [0, 1] (``data.semantics.encode_semantic``)
    -> (N, 3, H, W) in [-1, 1]. ``encoding``: the dataset's ``semantic`` (skeleton | sketch | labels)."""
    if encoding == "labels":
        from vid2vid.data.labels import colorize_labels

        ids = semantic.argmax(1).cpu().numpy().astype(np.uint8)
        rgb = torch.from_numpy(np.stack([colorize_labels(i) for i in ids])).permute(0, 3, 1, 2).float() / 255
    elif encoding == "sketch":
        rgb = semantic[:, :1].repeat(1, 3, 1, 1)
    else:  # skeleton: the RGB skeleton map comes first (then the part channels)
        rgb = semantic[:, :3]
    return rgb.float().cpu() * 2 - 1


def parts_to_rgb(parts: np.ndarray, num_parts: int) -> np.ndarray:
    """Part index as a hue, u and v as saturation/value stripes, for display."""
    hue = (parts[:, :, 0].astype(np.float32) * 179 / max(num_parts, 1)).astype(np.uint8)
    sat = np.where(parts[:, :, 0] > 0, 255, 0).astype(np.uint8)
    val = np.where(parts[:, :, 0] > 0, 120 + parts[:, :, 1] // 2, 0).astype(np.uint8)
    return cv2.cvtColor(np.stack([hue, sat, val], 2), cv2.COLOR_HSV2RGB)


def contact_sheet(root: str | Path, out: str | Path, domains_per_split: int = 3, frames: int = 3) -> Path:
    """Write a PNG grid: one row per domain (train first, then held-out test), ``frames`` frames spread over the first
    clip, each shown as RGB | semantic (| parts). Returns the path written."""
    meta = read_meta(root)
    rows = []
    for split in ("train", "test"):
        for domain in meta.splits.get(split, [])[:domains_per_split]:
            clips = clip_dirs(root, split, domain)
            if not clips:
                continue
            n = read_clip_frames(clips[0])
            tiles = []
            for i in np.linspace(0, n - 1, frames).round().astype(int):
                name = frame_name(int(i))
                rgb = read_png(clips[0] / "rgb" / name, 3)
                tiles.append(rgb)
                tiles.append(semantic_to_rgb(meta, read_png(clips[0] / "semantic" / name, meta.semantic_file_channels)))
                if "parts" in meta.extras:
                    tiles.append(parts_to_rgb(read_png(clips[0] / "parts" / name, 3), meta.num_parts))
            row = np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in tiles], axis=1)
            label = f"{split}/{domain}"
            cv2.putText(row, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 2, cv2.LINE_AA)
            cv2.putText(row, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
            rows.append(row)
    if not rows:
        raise UserError(f"{root} has no clips to show; run `vid2vid data check {root}`")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_png(out, np.concatenate(rows, axis=0))
    return out
