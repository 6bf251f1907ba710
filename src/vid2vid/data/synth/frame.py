"""What a synthetic renderer yields for each frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SynthFrame:
    """One rendered frame with its ground truth. Flow is in pixels, (dx, dy), defined on this frame's pixels.

    ``flow_fwd[y, x]`` is where pixel (x, y) of this frame is in the next frame, minus (x, y): sampling the next frame
    at ``(x, y) + flow_fwd`` reproduces this frame on pixels visible in both. ``flow_bwd`` is the same towards the
    previous frame (what the generator uses to warp ``x_{t-1}`` into frame t).
    """

    rgb: np.ndarray  # (H, W, 3) uint8 RGB
    semantic: np.ndarray  # (H, W, C) uint8: skeleton RGB (C=3), face sketch (C=1) or label ids (C=1)
    flow_fwd: np.ndarray | None  # (H, W, 2) float32; None on the last frame
    flow_bwd: np.ndarray | None  # (H, W, 2) float32; None on the first frame
    parts: np.ndarray | None = None  # (H, W, 3) uint8: part index, u*255, v*255 (DensePose-like, dancers only)
    mask: np.ndarray | None = None  # (H, W) uint8: 255 on the subject (person / head), 0 elsewhere
    keypoints: np.ndarray | None = None  # (J, 3) float32: x, y in pixels, visibility in {0, 1}
    # Exact correspondence between any two frames of one domain: every object (body part, mesh triangle; 0 is the
    # static background) maps its domain-wide local coordinates to this frame's pixels by one affine matrix.
    objects: np.ndarray | None = None  # (N, 2, 3) float32 local -> image matrices
    object_ids: np.ndarray | None = None  # (H, W) uint16: the object seen at each pixel
