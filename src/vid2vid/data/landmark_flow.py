"""Example flow of a face from its 68 landmarks: piecewise affine over a triangulation of the points.

The face counterpart of the pose maps' part correspondence (`models.part_flow`): a face sketch is drawn from 68
iBUG landmarks (`data.face_sketch`), and both the synthetic faces and prepared real video keep those landmarks. Two
frames of one face then correspond triangle by triangle: a pixel of the driving frame inside a triangle of its
landmarks maps, by the same barycentric weights, into that triangle of the example's landmarks.

The 68 points stop at the brows, so the set is extended by points computed from them alike in both frames: a
forehead row above the brows (``forehead``), and with ``ring`` > 0 an outer ring of the face's hull scaled by
1 + ``ring`` about its centre (hair and cheeks move with the head only roughly; measured in docs/learning.md).
Valid: inside a triangle that keeps its orientation in the example, not in the inner mouth of either frame (teeth
and tongue are not the same surface from frame to frame), and mapped into the frame. Background outside is left
invalid: which pixels of it an example shows needs more than the landmarks.

Convention as `data.correspondence`: ``flow[y, x]`` is where driving pixel (x, y) lies in the example, minus (x, y).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from vid2vid.data.face_sketch import INNER_LIPS, JAW, LEFT_BROW, N_LANDMARKS, RIGHT_BROW
from vid2vid.errors import UserError

BROWS = RIGHT_BROW + LEFT_BROW
FOREHEAD_RISE = 0.45  # forehead row: the brows moved up by this share of chin -> brows
MIN_AREA = 0.5  # px^2: a smaller triangle in either frame determines no map


def require_landmarks(source: str, task: str, keypoints: str | None) -> None:
    """One line naming ``source`` when a model set to example flow "landmarks" has data without face landmarks."""
    if keypoints != "ibug68":
        raise UserError(f"{source}: example flow 'landmarks' reads the 68 face landmarks of face data; this {task} "
                        f"model's data has {keypoints or 'no'} keypoints (use learned)")


def extended_points(landmarks: np.ndarray, forehead: bool = True, ring: float = 0.0) -> np.ndarray:
    """(68, 2) landmarks -> (P, 2): the landmarks, then the forehead row, then the outer ring (when asked)."""
    points = [landmarks]
    up = landmarks[list(BROWS)].mean(0) - landmarks[JAW[len(JAW) // 2]]
    top = landmarks[list(BROWS)] + FOREHEAD_RISE * up
    if forehead:
        points.append(top)
    if ring > 0:
        hull = np.concatenate([landmarks[list(JAW)], top[::-1]])
        centre = hull.mean(0)
        points.append(centre + (1 + ring) * (hull - centre))
    return np.concatenate(points).astype(np.float64)


def landmark_flow(landmarks: np.ndarray, example_landmarks: np.ndarray, height: int, width: int,
                  forehead: bool = True, ring: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Flow (H, W, 2) float32 from the driving frame to the example and validity (H, W) bool, from the (68, 2+)
    landmarks (x, y in pixels; a third column, visibility, is ignored) of both frames."""
    from scipy.spatial import Delaunay  # (imported here: scipy.spatial costs a CLI start ~0.2 s)

    for name, points in (("landmarks", landmarks), ("example_landmarks", example_landmarks)):
        if points.ndim != 2 or points.shape[0] != N_LANDMARKS or points.shape[1] < 2:
            raise ValueError(f"{name} must be ({N_LANDMARKS}, 2 or 3), got {points.shape}")
    src = extended_points(landmarks[:, :2].astype(np.float64), forehead, ring)
    dst = extended_points(example_landmarks[:, :2].astype(np.float64), forehead, ring)
    triangles = Delaunay(src).simplices  # the driving frame's triangulation, used for both frames
    ids = np.zeros((height, width), np.int32)  # 0 = no triangle, else triangle index + 1
    maps = np.zeros((len(triangles) + 1, 2, 3))
    for i, tri in enumerate(triangles):
        a, b = src[tri], dst[tri]
        area_a = np.cross(a[1] - a[0], a[2] - a[0]) / 2
        area_b = np.cross(b[1] - b[0], b[2] - b[0]) / 2
        if abs(area_a) < MIN_AREA or abs(area_b) < MIN_AREA or np.sign(area_a) != np.sign(area_b):
            continue  # degenerate, or folded over in the example
        maps[i + 1] = cv2.getAffineTransform(a.astype(np.float32), b.astype(np.float32))
        cv2.fillConvexPoly(ids, np.round(a * 16).astype(np.int32), i + 1, lineType=cv2.LINE_8, shift=4)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    m = maps[ids]  # (H, W, 2, 3)
    mapped_x = m[..., 0, 0] * xs + m[..., 0, 1] * ys + m[..., 0, 2]
    mapped_y = m[..., 1, 0] * xs + m[..., 1, 1] * ys + m[..., 1, 2]
    covered = ids > 0
    flow = np.where(covered[..., None], np.stack([mapped_x - xs, mapped_y - ys], -1), 0.0)
    inside = (mapped_x >= 0) & (mapped_x <= width - 1) & (mapped_y >= 0) & (mapped_y <= height - 1)
    xi = np.clip(np.rint(mapped_x), 0, width - 1).astype(np.intp)
    yi = np.clip(np.rint(mapped_y), 0, height - 1).astype(np.intp)
    mouth = _inner_mouth(src, height, width) | _inner_mouth(dst, height, width)[yi, xi]  # in either frame
    return flow.astype(np.float32), covered & inside & ~mouth


def _inner_mouth(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W) bool: inside the inner-lip polygon (the mouth's opening, empty when closed)."""
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, [np.round(points[list(INNER_LIPS)] * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return mask > 0


def every_landmark_flow(landmarks: np.ndarray, example_landmarks: np.ndarray, height: int, width: int
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """Each driving frame's (T, 68, 2+) flow to each of K examples' (K, 68, 2+): (T, K, 2, H, W) and validity
    (T, K, 1, H, W) float, what ``SequentialGenerator.step(part_flows=...)`` takes per frame (with a batch axis)."""
    flows = np.zeros((len(landmarks), len(example_landmarks), 2, height, width), np.float32)
    valid = np.zeros((len(landmarks), len(example_landmarks), 1, height, width), np.float32)
    for t, points in enumerate(landmarks):
        for k, example in enumerate(example_landmarks):
            flow, ok = landmark_flow(np.asarray(points), np.asarray(example), height, width)
            flows[t, k], valid[t, k, 0] = flow.transpose(2, 0, 1), ok
    return torch.from_numpy(flows), torch.from_numpy(valid)
