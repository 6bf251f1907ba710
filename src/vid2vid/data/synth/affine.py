"""Exact optical flow for scenes made of 2D objects that each move by an affine map.

Every object (a body part, a face-mesh triangle, the background) has at each frame a 2x3 matrix mapping its local
coordinates to image pixels. A pixel of object ``o`` at frame t moves to ``A_{t'}[o] @ inv(A_t[o]) @ p`` at frame t'.
Rendering samples textures through the same matrices, so the flow is exact for the rendered image.
"""

from __future__ import annotations

import numpy as np


def invert_affine(mats: np.ndarray) -> np.ndarray:
    """Invert a stack of 2x3 affine matrices: (N, 2, 3) -> (N, 2, 3)."""
    a, b, c, d = mats[:, 0, 0], mats[:, 0, 1], mats[:, 1, 0], mats[:, 1, 1]
    det = a * d - b * c  # closed form: np.linalg.inv on tiny stacks is slow under thread contention
    inv_lin = np.stack([np.stack([d, -b], -1), np.stack([-c, a], -1)], 1) / det[:, None, None]
    inv_t = -np.einsum("nij,nj->ni", inv_lin, mats[:, :, 2])
    return np.concatenate([inv_lin, inv_t[:, :, None]], axis=2)


def compose_affine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for stacks of 2x3 affine matrices (apply b first)."""
    lin = np.einsum("nij,njk->nik", a[:, :, :2], b[:, :, :2])
    t = np.einsum("nij,nj->ni", a[:, :, :2], b[:, :, 2]) + a[:, :, 2]
    return np.concatenate([lin, t[:, :, None]], axis=2)


def pixel_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (x, y), each (H, W) float32."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs, ys


def apply_per_pixel(mats: np.ndarray, ids: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map every pixel through the matrix of its object: ``mats[ids]`` applied to (xs, ys)."""
    coef = mats.reshape(len(mats), 6).astype(np.float32).T  # (6, N): gather each coefficient separately
    u = coef[0][ids] * xs + coef[1][ids] * ys + coef[2][ids]
    v = coef[3][ids] * xs + coef[4][ids] * ys + coef[5][ids]
    return u, v


def affine_flow(ids: np.ndarray, mats_now: np.ndarray, mats_other: np.ndarray) -> np.ndarray:
    """Flow (H, W, 2) from the frame with object map ``ids`` to another frame.

    ``mats_now`` and ``mats_other`` are (N, 2, 3) local->image matrices of all N objects at the two frames.
    """
    move = compose_affine(mats_other, invert_affine(mats_now))
    xs, ys = pixel_grid(*ids.shape)
    u, v = apply_per_pixel(move, ids, xs, ys)
    return np.stack([u - xs, v - ys], axis=-1)
