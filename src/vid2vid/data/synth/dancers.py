"""The ``dancers`` synthetic dataset: 2D articulated people dancing and walking, with exact ground truth.

Each body part is a rigid object with a local->image affine map per frame (``dancers_body``). A frame is rendered by
filling the parts' outlines into an object-id map in z-order, then sampling each pixel from a per-identity texture
atlas (``dancers_look``) through its object's inverse map in one ``cv2.remap``. Textures therefore move exactly with
the parts, and ``affine_flow`` gives the exact optical flow. Per frame: RGB, an OpenPose-style skeleton map, a
DensePose-like part map (part index, u, v), the body mask, the 18 COCO keypoints and forward/backward flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

from vid2vid.data.skeleton import BODY_PARTS, draw_skeleton
from vid2vid.data.synth.affine import affine_flow, compose_affine, invert_affine, pixel_grid
from vid2vid.data.synth.dancers_body import (
    PART_ID, Z_ORDER, BodyShape, body_outlines, kinematics, pixels_per_unit, placement, sample_motion,
    sample_shape,
)
from vid2vid.data.synth.dancers_look import Look, look_outlines, paint_backdrop, paint_part, sample_look
from vid2vid.data.synth.frame import SynthFrame
from vid2vid.data.synth.kind import SynthKind

FPS = 15
_SHIFT = 4  # fixed-point bits for sub-pixel polygon filling
_PAD = 3  # atlas pixels of texture around every part's outline
_BLUR = 1.0  # texture blur in pixels: keeps textures band-limited, so bilinear warping with the flow is accurate


@dataclass(frozen=True)
class Dancer:
    """One domain: an identity's proportions and appearance (clothes, hair, room)."""

    shape: BodyShape
    look: Look


def make_domain(rng: np.random.Generator) -> Dancer:
    """Draw one identity: body proportions, then skin, hair, clothes and room."""
    return Dancer(sample_shape(rng), sample_look(rng))


@dataclass(frozen=True)
class _Atlas:
    image: np.ndarray  # (Ha, Wa, 3) uint8: the background at the top left, then one tile per part
    from_local: np.ndarray  # (N, 2, 3) local -> atlas pixels per object (object 0, the background, is identity)
    to_uv: np.ndarray  # (N, 2, 3) local -> part u, v in 0..1 (zero for the background)
    outlines: tuple[tuple[np.ndarray, ...], ...]  # local outline polygons per object


def _build_atlas(d: Dancer, px_per_unit: float, height: int, width: int) -> _Atlas:
    """Paint the background and every part's texture (at one texel per image pixel at full size) into one image."""
    rng = np.random.default_rng(d.look.seed)
    outlines = body_outlines(d.shape)
    for name, extra in look_outlines(d.shape, d.look).items():
        outlines[name] = outlines[name] + extra
    n = len(BODY_PARTS) + 1
    from_local, to_uv = np.zeros((n, 2, 3)), np.zeros((n, 2, 3))
    from_local[0] = np.eye(2, 3)
    tiles, x, y, row_h, shelf = [], 0, height + 1, 0, max(width, 512)
    for name in BODY_PARTS:
        pts = np.concatenate(outlines[name])
        (x0, y0), (x1, y1) = pts.min(0) - _PAD / px_per_unit, pts.max(0) + _PAD / px_per_unit
        tw, th = int(np.ceil((x1 - x0) * px_per_unit)) + 1, int(np.ceil((y1 - y0) * px_per_unit)) + 1
        if x + tw > shelf:  # shelf packing
            x, y, row_h = 0, y + row_h + 1, 0
        lx, ly = np.meshgrid(x0 + np.arange(tw) / px_per_unit, y0 + np.arange(th) / px_per_unit)
        tiles.append((x, y, paint_part(name, d.shape, d.look, lx, ly, rng)))
        o = PART_ID[name]
        from_local[o] = [[px_per_unit, 0, x - x0 * px_per_unit], [0, px_per_unit, y - y0 * px_per_unit]]
        to_uv[o] = [[1 / (x1 - x0), 0, -x0 / (x1 - x0)], [0, 1 / (y1 - y0), -y0 / (y1 - y0)]]
        x, row_h = x + tw + 1, max(row_h, th)
    image = np.zeros((y + row_h, max(shelf, width), 3), np.float32)
    image[:height, :width] = paint_backdrop(d.look.backdrop, height, width, rng)
    for tx, ty, tile in tiles:
        image[ty:ty + tile.shape[0], tx:tx + tile.shape[1]] = cv2.GaussianBlur(tile, (0, 0), _BLUR)
    image = np.clip(image + 0.5, 0, 255).astype(np.uint8)
    return _Atlas(image, from_local, to_uv, tuple(tuple(outlines[name]) for name in BODY_PARTS))


def _object_ids(outlines: tuple[tuple[np.ndarray, ...], ...], mats: np.ndarray, height: int,
                width: int) -> np.ndarray:
    """Fill every part's outline, mapped to the image, in z-order -> (H, W) uint8 object ids."""
    ids = np.zeros((height, width), np.uint8)
    for name in Z_ORDER:
        o = PART_ID[name]
        for p in outlines[o - 1]:  # one call each: fillPoly would cut the overlap of several contours out
            pts = np.round((p @ mats[o, :, :2].T + mats[o, :, 2]) * (1 << _SHIFT)).astype(np.int32)
            cv2.fillPoly(ids, [pts], o, lineType=cv2.LINE_8, shift=_SHIFT)
    return ids


def _body_box(ids: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns of the bounding box of the body (the only pixels that need sampling and flow)."""
    rows, cols = np.flatnonzero(ids.any(1)), np.flatnonzero(ids.any(0))
    if len(rows) == 0:
        return slice(0, 0), slice(0, 0)
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _shift(mats: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    """Express local->image matrices in the coordinates of a crop starting at ``box``."""
    out = mats.copy()
    out[:, 0, 2] -= box[1].start
    out[:, 1, 2] -= box[0].start
    return out


def _sample(ids: np.ndarray, mats: np.ndarray, atlas: _Atlas) -> tuple[np.ndarray, np.ndarray]:
    """Texture every pixel through its object's inverse map -> RGB (H, W, 3) and parts (H, W, 3) uint8."""
    height, width = ids.shape
    rgb = atlas.image[:height, :width].copy()  # the static background, where object 0 samples itself
    parts = np.zeros((height, width, 3), np.uint8)
    box = _body_box(ids)
    crop = ids[box]
    if crop.size == 0:
        return rgb, parts
    local = invert_affine(_shift(mats, box))
    per_object = np.concatenate([compose_affine(atlas.from_local, local), compose_affine(atlas.to_uv, local)], 1)
    m = per_object.reshape(len(mats), 12).astype(np.float32)[crop]  # (h, w, 12)
    xs, ys = pixel_grid(*crop.shape)
    rows = [m[..., 3 * r] * xs + m[..., 3 * r + 1] * ys + m[..., 3 * r + 2] for r in range(4)]
    body = crop > 0
    sampled = cv2.remap(atlas.image, rows[0], rows[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    rgb[box][body] = sampled[body]
    uv = np.clip(np.stack(rows[2:], -1) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    parts[box] = np.concatenate([crop[..., None], uv * body[..., None]], -1)
    return rgb, parts


def _flow(ids: np.ndarray, mats_now: np.ndarray, mats_other: np.ndarray) -> np.ndarray:
    """Exact flow (H, W, 2) float32 towards another frame; zero on the static background."""
    flow = np.zeros(ids.shape + (2,), np.float32)
    box = _body_box(ids)
    if ids[box].size:
        flow[box] = affine_flow(ids[box], _shift(mats_now, box), _shift(mats_other, box))
    return flow


def render_clip(d: Dancer, rng: np.random.Generator, n_frames: int, height: int,
                width: int) -> Iterator[SynthFrame]:
    """Render one clip of this dancer: a dance or a walk with a tempo, path and depth drawn from ``rng``."""
    motion = sample_motion(rng, n_frames, FPS)
    body_mats, joints, lowest = kinematics(d.shape, motion)
    place = placement(d.shape, motion, lowest, height, width, d.look.backdrop.horizon)
    atlas = _build_atlas(d, pixels_per_unit(d.shape, height, width), height, width)
    mats = np.zeros((n_frames, len(BODY_PARTS) + 1, 2, 3))
    mats[:, 0] = np.eye(2, 3)
    for name in BODY_PARTS:
        mats[:, PART_ID[name]] = compose_affine(place, body_mats[name])
    points = np.einsum("tij,tkj->tki", place[:, :, :2], joints) + place[:, None, :, 2]
    inside = ((points >= 0) & (points <= np.array([width - 1, height - 1]))).all(-1)  # else visibility 0
    keypoints = np.concatenate([points, inside[..., None]], -1).astype(np.float32)
    for t in range(n_frames):
        ids = _object_ids(atlas.outlines, mats[t], height, width)
        rgb, parts = _sample(ids, mats[t], atlas)
        yield SynthFrame(
            rgb=rgb,
            semantic=draw_skeleton(keypoints[t], height, width),
            flow_fwd=_flow(ids, mats[t], mats[t + 1]) if t + 1 < n_frames else None,
            flow_bwd=_flow(ids, mats[t], mats[t - 1]) if t > 0 else None,
            parts=parts,
            mask=np.where(ids > 0, 255, 0).astype(np.uint8),
            keypoints=keypoints[t],
            objects=mats[t].astype(np.float32),
            object_ids=ids.astype(np.uint16),
        )


DANCERS = SynthKind(
    name="dancers",
    fps=FPS,
    make_domain=make_domain,
    render_clip=render_clip,
)
