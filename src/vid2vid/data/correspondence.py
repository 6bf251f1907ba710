"""Dense correspondence between a target frame and an example frame of the same domain: the teacher for example warping.

Convention (the same as the consecutive-frame flow): ``flow[y, x]`` is where target pixel (x, y) lies in the example,
minus (x, y), so ``warp(example, flow)`` reproduces the target on the pixels where ``valid`` is true. Invalid pixels
are occluded in the example, not shown in it, or unmatched; the example mask is taught to hallucinate there.

Four sources, best first:
- ``object_correspondence``: synthetic data made by a renderer that stores each object's affine map per frame
  (``objects.npy``): exact, and valid where the example shows the same object at the mapped pixel.
- ``part_correspondence``: a DensePose-like part map (part index, u, v) in both frames: one least-squares affine per
  part (datasets made before ``objects.npy`` existed).
- ``landmark_correspondence``: face data with 68 landmarks per frame (``keypoints.npy``, prepared real video): the
  piecewise-affine fit of ``data.landmark_flow`` on the face, DIS between the sketches elsewhere.
- ``semantic_correspondence``: OpenCV DIS flow between the two semantic maps with a forward-backward check, as the
  reference computes its teacher between the label maps (real video).
The three inexact sources are further limited to pixels where the warped example looks like the target
(``appearance_agrees``, the reference's confidence).
"""

from __future__ import annotations

import cv2
import numpy as np

from vid2vid.data.landmark_flow import landmark_flow
from vid2vid.data.synth.affine import affine_flow, pixel_grid

MIN_PART_PIXELS = 8  # fewer pixels of a part in either frame: no reliable affine fit, the part is left invalid


def sample_along(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` (H, W[, C]) sampled at p + flow[p] for every pixel p (bilinear, border clamped): the numpy twin of
    ``models.warp.warp`` for the data side (warping an example, composing flows, a forward-backward check)."""
    xs, ys = pixel_grid(*flow.shape[:2])
    return cv2.remap(image, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _same_object_at(flow: np.ndarray, ids_t: np.ndarray, ids_e: np.ndarray) -> np.ndarray:
    """(H, W) bool: the mapped pixel lies inside the example and shows the target pixel's object there."""
    h, w = ids_t.shape
    xs, ys = pixel_grid(h, w)
    xe, ye = np.rint(xs + flow[..., 0]), np.rint(ys + flow[..., 1])
    inside = (xe >= 0) & (xe <= w - 1) & (ye >= 0) & (ye <= h - 1)
    xi, yi = np.clip(xe, 0, w - 1).astype(np.intp), np.clip(ye, 0, h - 1).astype(np.intp)
    return inside & (ids_e[yi, xi] == ids_t)


def object_correspondence(ids_t: np.ndarray, mats_t: np.ndarray, ids_e: np.ndarray,
                          mats_e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact flow (H, W, 2) float32 from target to example and validity (H, W) bool, from object maps (H, W) and
    local -> image matrices (O, 2, 3) of both frames (objects are numbered alike in every clip of a domain)."""
    ids_t = ids_t.astype(np.intp)
    flow = affine_flow(ids_t, mats_t.astype(np.float64), mats_e.astype(np.float64)).astype(np.float32)
    return flow, _same_object_at(flow, ids_t, ids_e.astype(np.intp))


def _fit_affine(xs: np.ndarray, ys: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray | None:
    """Least-squares 2x3 affine map (x, y) -> (u, v); None when the points do not determine it."""
    a = np.stack([xs, ys, np.ones_like(xs)], 1).astype(np.float64)
    coef, _, rank, _ = np.linalg.lstsq(a, np.stack([u, v], 1).astype(np.float64), rcond=None)
    return coef.T if rank == 3 else None


def part_correspondence(parts_t: np.ndarray, parts_e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flow and validity from part maps (H, W, 3) uint8 (part index, u*255, v*255) of target and example.

    Each part is rigid, so image -> (u, v) is affine in each frame; target pixel -> (u, v) -> example pixel. The
    background (index 0) is static within a domain: zero flow, valid where the example shows background too."""
    h, w = parts_t.shape[:2]
    ids_t, ids_e = parts_t[..., 0].astype(np.intp), parts_e[..., 0].astype(np.intp)
    xs, ys = pixel_grid(h, w)
    flow = np.zeros((h, w, 2), np.float32)
    known = ids_t == 0
    for p in np.unique(ids_t[ids_t > 0]):
        in_t, in_e = ids_t == p, ids_e == p
        if in_t.sum() < MIN_PART_PIXELS or in_e.sum() < MIN_PART_PIXELS:
            continue
        to_uv = _fit_affine(xs[in_t], ys[in_t], parts_t[..., 1][in_t], parts_t[..., 2][in_t])
        from_e = _fit_affine(xs[in_e], ys[in_e], parts_e[..., 1][in_e], parts_e[..., 2][in_e])
        if to_uv is None or from_e is None or abs(np.linalg.det(from_e[:, :2])) < 1e-6:
            continue
        uv = to_uv[:, :2] @ np.stack([xs[in_t], ys[in_t]]) + to_uv[:, 2:]
        xy = np.linalg.solve(from_e[:, :2], uv - from_e[:, 2:])
        flow[in_t] = (xy - np.stack([xs[in_t], ys[in_t]])).T
        known |= in_t
    return flow, known & _same_object_at(flow, ids_t, ids_e)


def landmark_correspondence(sem_t: np.ndarray, sem_e: np.ndarray, points_t: np.ndarray, points_e: np.ndarray
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Teacher flow between two face frames: the landmarks' piecewise-affine fit where it is valid (the face,
    ``data.landmark_flow``), ``semantic_correspondence`` of the sketches (H, W, C) uint8 elsewhere. ``points_*``: the
    (68, 2+) landmarks in pixels."""
    flow, valid = semantic_correspondence(sem_t, sem_e)
    fitted, face = landmark_flow(points_t, points_e, *sem_t.shape[:2])
    return np.where(face[..., None], fitted, flow).astype(np.float32), valid | face


def appearance_agrees(target: np.ndarray, example: np.ndarray, flow: np.ndarray, threshold: float = 0.1
                      ) -> np.ndarray:
    """(H, W) bool: the example (H, W, 3) uint8 warped by ``flow`` matches the target within ``threshold`` (mean
    absolute difference per channel, in [-1, 1] units, the teacher confidence's). The inexact sources need it: real
    clips of one person may differ in background and lighting, where a geometric match is no reason to copy."""
    warped = sample_along(example, flow)
    return np.abs(warped.astype(np.float32) - target.astype(np.float32)).mean(-1) < threshold * 127.5


def _gray(semantic: np.ndarray) -> np.ndarray:
    """(H, W, C) uint8 semantic map -> (H, W) uint8 for DIS (multi-channel maps: their mean)."""
    return semantic[..., 0] if semantic.shape[-1] == 1 else semantic.mean(-1).round().astype(np.uint8)


def semantic_correspondence(sem_t: np.ndarray, sem_e: np.ndarray, tolerance: float = 1.0
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Teacher flow between two semantic maps (H, W, C) uint8 by OpenCV DIS, valid where the forward and backward
    flows agree within ``tolerance`` pixels (+5 % of the motion)."""
    a, b = np.ascontiguousarray(_gray(sem_t)), np.ascontiguousarray(_gray(sem_e))
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    fwd = dis.calc(a, b, None)
    bwd = dis.calc(b, a, None)
    err = np.linalg.norm(fwd + sample_along(bwd, fwd), axis=-1)
    valid = err < tolerance + 0.05 * np.linalg.norm(fwd, axis=-1)
    return fwd.astype(np.float32), valid
