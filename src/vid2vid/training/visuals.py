"""Pictures for logs and docs: flow colour coding and image grids (rows of tensors in [-1, 1] or [0, 1])."""

from __future__ import annotations

import re

import cv2
import numpy as np
import torch

from vid2vid.files import write_image_atomic


def flow_to_rgb(flow: torch.Tensor, max_magnitude: float | None = None) -> torch.Tensor:
    """(N, 2, H, W) flow in pixels -> (N, 3, H, W) in [-1, 1]: hue = direction, saturation = magnitude."""
    f = flow.detach().float().cpu().numpy()
    out = []
    for dx, dy in f:
        mag, ang = cv2.cartToPolar(dx, dy)
        scale = max_magnitude or max(float(mag.max()), 1e-6)
        hsv = np.stack([ang * 90 / np.pi, np.clip(mag / scale, 0, 1) * 255, np.full_like(mag, 255)], axis=-1)
        rgb = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
        out.append(torch.from_numpy(rgb).permute(2, 0, 1).float() / 127.5 - 1)
    return torch.stack(out)


def text_tile(text: str, height: int, width: int) -> torch.Tensor:
    """(3, height, width) in [-1, 1]: ``text`` in black on white, wrapped at spaces, '/' and '-' to fit the width."""
    tile = np.full((height, width, 3), 255, np.uint8)
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.35
    lines, line = [], ""
    for piece in re.split(r"(?<=[/\- ])", text):  # each piece keeps the space, '/' or '-' it ends with
        joined = line + piece
        if line and cv2.getTextSize(joined, font, scale, 1)[0][0] > width - 4:
            lines.append(line)
            joined = piece
        line = joined
    lines.append(line)
    step = cv2.getTextSize("Ag", font, scale, 1)[0][1] + 4
    for i, line in enumerate(lines[:max(1, (height - 2) // step)]):
        cv2.putText(tile, line, (2, 2 + step * (i + 1) - 4), font, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return torch.from_numpy(tile).permute(2, 0, 1).float() / 127.5 - 1


def image_grid(rows: list[list[torch.Tensor]], labels: list[str] | None = None, label_width: int = 96
               ) -> torch.Tensor:
    """Rows of (3, H, W) tensors in [-1, 1] (or (1, H, W) masks in [0, 1]) -> one (3, H', W') image in [0, 1];
    with ``labels`` (one per row) each row starts with its label in a ``label_width``-pixel column."""
    if labels is not None:
        if len(labels) != len(rows):
            raise ValueError(f"{len(labels)} labels for {len(rows)} rows")
        rows = [[text_tile(text, r[0].shape[-2], label_width)] + list(r) for text, r in zip(labels, rows)]

    def prep(t: torch.Tensor) -> torch.Tensor:
        t = t.detach().float().cpu()
        if t.shape[0] == 1:  # masks are in [0, 1]
            t = t.repeat(3, 1, 1) * 2 - 1
        return torch.nn.functional.pad((t.clamp(-1, 1) + 1) / 2, (1, 1, 1, 1), value=1.0)

    width = max(len(r) for r in rows)
    lines = []
    for r in rows:
        tiles = [prep(t) for t in r]
        blank = torch.ones_like(tiles[-1])  # (the first may be a label)
        tiles += [blank] * (width - len(tiles))
        lines.append(torch.cat(tiles, dim=2))
    return torch.cat(lines, dim=1)


def save_png(image: torch.Tensor, path: str) -> None:
    """(3, H, W) in [0, 1] -> PNG file."""
    arr = (image.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    write_image_atomic(path, arr)
