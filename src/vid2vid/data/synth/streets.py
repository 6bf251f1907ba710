"""`streets`: a car's view down procedural city streets, with Cityscapes-style labels and exact optical flow.

A 2.5D ray caster vectorised over pixels: the ground plane, four facade planes (front and back rows on both sides),
sky at infinity, axis-aligned boxes (vehicles) and flat upright cards (people, trees, poles, signs, lights) in planes
z = const. The camera only translates and turns about the vertical axis, so a ray's direction splits into a per-row
and a per-column part and planes are cast per row or per column. Each pixel keeps the distance to its hit; flow
projects that world point (moved by its object's velocity; sky: direction only) into the neighbouring frame's camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from vid2vid.data import labels as L
from vid2vid.data.synth.frame import SynthFrame
from vid2vid.data.synth.kind import SynthKind
from vid2vid.data.synth.streets_look import (
    FILTER, KIND_GREEN, City, box_colours, clip01, facade_colours, ground_colours, make_city, sky_colours,
)
from vid2vid.data.synth.streets_scene import CELL, Street, make_street

FPS = 15
SKY_T = 1e5  # distance standing in for infinity (parallax below 0.01 px)
NEAR = 0.05
# surface ids: which surface each pixel shows (the tests use them to find pixels visible in two frames)
SKY_ID, GROUND_ID, FACADE_BASE = -1, 0, 1
BOX_EDGES = np.array([(a, a | bit) for a in range(8) for bit in (1, 2, 4) if not a & bit])  # 12 edges of a box


@dataclass(frozen=True)
class View:
    """One frame's pinhole camera: centre, yaw, intrinsics and the per-column / per-row parts of the ray directions."""

    pos: np.ndarray  # (3,) centre
    cos: float
    sin: float
    f: float  # focal length, pixels
    cx: float
    cy: float
    dx: np.ndarray  # (W,) world x of the ray direction per column (direction = (dx, v, dz), camera z = 1)
    dz: np.ndarray  # (W,)
    v: np.ndarray  # (H,) world y of the ray direction per row

    def project(self, x, y, z) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World points -> pixel x, pixel y, depth along the optical axis."""
        px, py, pz = x - self.pos[0], y - self.pos[1], z - self.pos[2]
        qx, qz = self.cos * px - self.sin * pz, self.sin * px + self.cos * pz
        inv = 1.0 / np.maximum(qz, 1e-3)
        return self.cx + self.f * qx * inv, self.cy - self.f * py * inv, qz


def make_view(street: Street, i: int, height: int, width: int) -> View:
    """The camera of frame ``i``; focal length and horizon scale with the image so every size frames the same."""
    f = 0.42 * (height + width)
    cx, cy = (width - 1) / 2, 0.47 * height - 0.25
    c, s = float(np.cos(street.cam_yaw[i])), float(np.sin(street.cam_yaw[i]))
    u = (np.arange(width, dtype=np.float32) - cx) / f
    v = (cy - np.arange(height, dtype=np.float32)) / f
    return View(pos=street.cam_pos[i].astype(np.float32), cos=c, sin=s, f=f, cx=cx, cy=cy,
                dx=(c * u + s).astype(np.float32), dz=(c - s * u).astype(np.float32), v=v)


def footprints(view: View, t, dx, dy, dz, axis: int | np.ndarray):
    """Metres per pixel along world x, y, z on a plane with normal ``axis`` hit at distance ``t`` (times FILTER)."""
    ex, ey = (view.cos / view.f, 0.0, -view.sin / view.f), (0.0, -1.0 / view.f, 0.0)
    d = (dx, dy, dz)
    dn = np.choose(axis, d) if isinstance(axis, np.ndarray) else d[axis]
    dn = np.where(np.abs(dn) < 1e-6, 1e-6, dn)
    exn = np.choose(axis, ex) if isinstance(axis, np.ndarray) else ex[axis]
    eyn = np.choose(axis, ey) if isinstance(axis, np.ndarray) else ey[axis]
    k = FILTER * np.abs(t)
    return tuple(k * (np.abs(ex[c] - d[c] * exn / dn) + np.abs(ey[c] - d[c] * eyn / dn)) + 1e-5 for c in range(3))


def _bboxes(view: View, lo: np.ndarray, hi: np.ndarray, height: int, width: int, pad: int = 0) -> np.ndarray:
    """Pixel boxes (K, 4) x0, x1, y0, y1 (exclusive ends) covering boxes [lo, hi], clipped at the near plane."""
    bits = np.array([[(k >> a) & 1 for a in range(3)] for k in range(8)], bool)  # (8, 3)
    corners = np.where(bits[None], hi[:, None, :], lo[:, None, :])  # (K, 8, 3)
    px = corners - view.pos
    q = np.stack([view.cos * px[..., 0] - view.sin * px[..., 2], px[..., 1],
                  view.sin * px[..., 0] + view.cos * px[..., 2]], axis=-1)
    a, b = q[:, BOX_EDGES[:, 0]], q[:, BOX_EDGES[:, 1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (NEAR - a[..., 2]) / (b[..., 2] - a[..., 2])
    crossing = (a[..., 2] - NEAR) * (b[..., 2] - NEAR) < 0
    cut = a + np.where(crossing, s, 0)[..., None] * (b - a)
    pts = np.concatenate([q, cut], axis=1)
    ok = np.concatenate([q[..., 2] >= NEAR, crossing], axis=1)
    z = np.where(ok, pts[..., 2], 1.0)
    xs, ys = view.cx + view.f * pts[..., 0] / z, view.cy - view.f * pts[..., 1] / z
    lo_xy = [np.where(ok, c, np.inf).min(axis=1) for c in (xs, ys)]  # nothing in front: lo = inf, empty box
    hi_xy = [np.where(ok, c, -np.inf).max(axis=1) for c in (xs, ys)]
    out = np.zeros((len(lo), 4), np.int64)
    for k, size in ((0, width), (1, height)):
        out[:, 2 * k] = np.clip(np.ceil(lo_xy[k]) - pad, 0, size)
        out[:, 2 * k + 1] = np.clip(np.floor(hi_xy[k]) + 1 + pad, 0, size)
    return out


def _expand(boxes: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """All pixels inside pixel boxes (K, 4): (owner index, flat pixel index), each (P,)."""
    bw, bh = boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]
    n = np.where((bw > 0) & (bh > 0), bw * bh, 0)
    owner = np.repeat(np.arange(len(boxes)), n)
    local = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    w = bw[owner]
    return owner, (boxes[owner, 2] + local // w) * width + boxes[owner, 0] + local % w


@dataclass
class _Hits:
    """Candidate object hits: flat pixel, distance, colour, label, surface id, velocity-table row."""

    pix: np.ndarray
    t: np.ndarray
    rgb: np.ndarray
    label: np.ndarray
    surf: np.ndarray
    obj: np.ndarray


def _moved_boxes(street: Street, time: float) -> tuple[np.ndarray, np.ndarray]:
    shift = street.boxes.vel * time
    return street.boxes.lo + shift, street.boxes.hi + shift


def _box_hits(street: Street, view: View, time: float, tbuf: np.ndarray, base: int) -> _Hits:
    """Ray / box (slab) intersections of every vehicle box, each tested only inside its projected bounding box.
    Colours are left for `_box_colours`, run on the pixels the boxes win."""
    lo, hi = _moved_boxes(street, time)
    owner, pix = _expand(_bboxes(view, lo, hi, *tbuf.shape), tbuf.shape[1])
    row, col = pix // tbuf.shape[1], pix % tbuf.shape[1]
    near, far = [], []
    for k, d in enumerate((view.dx[col], view.v[row], view.dz[col])):  # slabs, one axis at a time
        inv = 1.0 / np.where(np.abs(d) < 1e-9, 1e-9, d)
        t1, t2 = (lo[owner, k] - view.pos[k]) * inv, (hi[owner, k] - view.pos[k]) * inv
        near.append(np.minimum(t1, t2))
        far.append(np.maximum(t1, t2))
    t_in = np.maximum(np.maximum(near[0], near[1]), near[2])
    t_out = np.minimum(np.minimum(far[0], far[1]), far[2])
    axis = np.where(near[0] == t_in, 0, np.where(near[1] == t_in, 1, 2))
    keep = (t_in < t_out) & (t_in > NEAR) & (t_in < tbuf.flat[pix])
    owner, pix, t, axis = owner[keep], pix[keep], t_in[keep], axis[keep]
    return _Hits(pix, t, np.zeros((len(t), 3), np.float32), street.boxes.label[owner], base + 3 * owner + axis,
                 1 + owner)


def _box_colours(street: Street, view: View, time: float, t, dx, dy, dz, face) -> np.ndarray:
    """Colours of box faces ``face`` (= 3 * box + normal axis) hit at distance ``t`` along rays (dx, dy, dz)."""
    bx = street.boxes
    owner, axis = face // 3, face % 3
    lo, hi = _moved_boxes(street, time)
    d = np.stack([dx, dy, dz], axis=1)
    rel, size = view.pos + t[:, None] * d - lo[owner], hi[owner] - lo[owner]
    ia, ib = np.where(axis == 0, 2, 0)[:, None], np.where(axis == 1, 2, 1)[:, None]
    fp = np.stack(footprints(view, t, dx, dy, dz, axis), axis=1)
    a, b, la, lb, fa, fb = (np.take_along_axis(arr, i, 1)[:, 0] for arr in (rel, size, fp) for i in (ia, ib))
    rear = (axis == 2) & ((dz > 0) == (bx.rear[owner] > 0))
    rgb = box_colours(bx.style[owner], axis, a, b, la, lb, fa, fb, bx.rgb[owner], rear)
    side = np.where(axis == 0, 1 + 0.6 * street.city.sun * np.sign(dx), 1.0).astype(np.float32)
    return rgb * side[:, None]


def _card_hits(street: Street, view: View, time: float, tbuf: np.ndarray, base: int, obj_base: int) -> _Hits:
    """Hits on the flat sprites. Each part is tested inside its own pixel box (one pixel wider, for its filtered
    edge); a pixel's parts of one card are then "over"-composited in painting order with box-filtered coverage."""
    cd, width = street.cards, tbuf.shape[1]
    pos = cd.pos + cd.vel * time
    card, p = cd.part_card, cd.parts
    ax, az = pos[card, 0] + p[:, 0], pos[card, 2]
    lo = np.stack([ax - p[:, 2], p[:, 1] - p[:, 3], az], axis=1)
    hi = np.stack([ax + p[:, 2], p[:, 1] + p[:, 3], az], axis=1)
    boxes = _bboxes(view, lo, hi, *tbuf.shape, pad=1)
    part, pix = _expand(boxes, width)
    row, col = pix // width, pix % width
    dx, dy, dz = view.dx[col], view.v[row], view.dz[col]
    t = (az[part] - view.pos[2]) / dz
    keep = (t > NEAR) & (t < tbuf.flat[pix])
    part, pix, row, col, dx, dy, dz, t = (a[keep] for a in (part, pix, row, col, dx, dy, dz, t))
    q = p[part]
    qx = np.abs(view.pos[0] + t * dx - ax[part]) - q[:, 2] + q[:, 4]
    qy = np.abs(view.pos[1] + t * dy - q[:, 1]) - q[:, 3] + q[:, 4]
    sdf = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0) - q[:, 4]
    fx, fy, _ = footprints(view, t, dx, dy, dz, 2)
    cover = clip01(0.5 - sdf / np.maximum(fx, fy))
    # group the rows by (pixel, card), parts in painting order; weight of part k = cover_k * prod_{j>k} (1 - cover_j)
    order = np.argsort(pix.astype(np.int64) * len(p) + part)  # a card's parts are consecutive, in painting order
    key = pix.astype(np.int64) * len(pos) + card[part]
    key, part, pix, t, cover, sdf = key[order], part[order], pix[order], t[order], cover[order], sdf[order]
    if len(key) == 0:
        none = np.zeros(0, np.int32)
        return _Hits(pix, t, np.zeros((0, 3), np.float32), none, none, none)
    start = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    end = np.append(start[1:], len(key))
    logs = np.cumsum(np.log(np.maximum(1.0 - cover, 1e-7)).astype(np.float64))
    weight = cover * np.exp(np.repeat(logs[end - 1], end - start) - logs).astype(np.float32)
    alpha = np.add.reduceat(weight, start)
    rgb = np.add.reduceat(p[part, 6:9] * weight[:, None], start, axis=0)
    top = np.maximum.reduceat(np.where(sdf < 0, np.arange(len(key)), -1), start)
    hit = top >= 0
    s, top = start[hit], top[hit]
    return _Hits(pix[s], t[s], rgb[hit] / np.maximum(alpha[hit], 1e-6)[:, None], p[part[top], 5].astype(np.int32),
                 base + card[part[s]], obj_base + card[part[s]])


def _composite(hits: list[_Hits]) -> _Hits:
    """Keep the nearest candidate per pixel."""
    cat = _Hits(*(np.concatenate([getattr(h, k) for h in hits]) for k in ("pix", "t", "rgb", "label", "surf", "obj")))
    order = np.argsort(cat.pix + cat.t.astype(np.float64) / (4 * SKY_T))  # by pixel, then distance
    first = np.ones(len(order), bool)
    first[1:] = cat.pix[order[1:]] != cat.pix[order[:-1]]
    o = order[first]
    return _Hits(cat.pix[o], cat.t[o], cat.rgb[o], cat.label[o], cat.surf[o], cat.obj[o])


@dataclass
class RenderedFrame:
    """One frame and what its flow needs: per-pixel hit distance, surface id and moving-object row."""

    rgb: np.ndarray  # (H, W, 3) uint8
    label: np.ndarray  # (H, W) uint8
    t: np.ndarray  # (H, W) float32 distance along the ray (camera z = 1 units), SKY_T on the sky
    surf: np.ndarray  # (H, W) int32 surface id (SKY_ID, GROUND_ID, facade stretches, box faces, cards)
    obj: np.ndarray  # (H, W) int32 row of the velocity table, 0 = static
    view: View


def _facade_planes(street: Street, view: View, t: np.ndarray, surf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cast the front and back facade rows per column: a column's rays all meet a plane x = const at one z."""
    fac, cam = street.facades, view.pos
    n_cells = fac.table.shape[1]
    right = view.dx > 0
    dx = np.where(np.abs(view.dx) < 1e-6, 1e-6, view.dx)
    for layer in (1, 0):
        plane = np.where(right, 2 + layer, layer)
        tc = ((fac.offset[plane] - cam[0]) / dx).astype(np.float32)
        zc = cam[2] + tc * view.dz
        cell = np.floor((zc - street.z_min) / CELL).astype(np.int64)
        ok = (cell >= 0) & (cell < n_cells) & (tc > 0)
        seg = np.where(ok, fac.table[plane, np.clip(cell, 0, n_cells - 1)], -1)
        h = np.where(seg >= 0, fac.height[seg], -1.0)
        mid, half = (fac.z0[seg] + fac.z1[seg]) / 2, (fac.z1[seg] - fac.z0[seg]) / 2
        h = h + fac.gable[seg] * np.maximum(1 - np.abs(zc - mid) / half, 0) * (seg >= 0)  # gable end on the street
        wave = np.sin(zc * 1.3 + seg) * 0.6 + 0.4 * np.sin(zc * 0.41 + 2 * seg)  # ragged top of hedges, tree lines
        h = h + (fac.kind[seg] == KIND_GREEN) * (seg >= 0) * np.minimum(1.0, 0.15 * h) * wave
        hit = (cam[1] + tc[None, :] * view.v[:, None] < h[None, :]) & (tc[None, :] < t)
        t = np.where(hit, tc[None, :], t)
        surf = np.where(hit, (FACADE_BASE + seg)[None, :], surf)
    return t, surf


def render_frame(street: Street, i: int, height: int, width: int) -> RenderedFrame:
    """Ray-cast frame ``i``: geometry first (nearest hit per pixel), then textures per surface kind."""
    view = make_view(street, i, height, width)
    city, fac, cam, time = street.city, street.facades, view.pos, i / street.fps
    t = np.full((height, width), SKY_T, np.float32)
    surf = np.full((height, width), SKY_ID, np.int32)
    below = view.v < 0
    t[below] = (cam[1] / -view.v[below])[:, None]
    surf[below] = GROUND_ID
    t, surf = _facade_planes(street, view, t, surf)
    box_base = FACADE_BASE + len(fac.z0)
    card_base = box_base + 3 * len(street.boxes.lo)
    hits = _composite([_box_hits(street, view, time, t, box_base),
                       _card_hits(street, view, time, t, card_base, 1 + len(street.boxes.lo))])
    tf, sf = t.reshape(-1), surf.reshape(-1)
    rgb = np.zeros((height * width, 3), np.float32)
    label = np.full(height * width, L.SKY, np.uint8)
    obj = np.zeros(height * width, np.int32)
    tf[hits.pix], sf[hits.pix], rgb[hits.pix], label[hits.pix], obj[hits.pix] = (
        hits.t, hits.surf, hits.rgb, hits.label, hits.obj)

    def rays(pix):
        r, c = pix // width, pix % width
        return tf[pix], view.dx[c], view.v[r], view.dz[c]

    g = np.flatnonzero(sf == GROUND_ID)
    tg, dx, dy, dz = rays(g)
    gx, gz = cam[0] + tg * dx, cam[2] + tg * dz
    fx, _, fz = footprints(view, tg, dx, dy, dz, 1)
    cell = np.clip(((gz - street.z_min) / CELL).astype(np.int64), 0, len(street.nearest_crossing) - 1)
    near = street.nearest_crossing[cell]
    rgb[g], label[g] = ground_colours(city, gx, gz, fx, fz, street.crossings[near, 0], street.crossings[near, 1])
    fp = np.flatnonzero((sf >= FACADE_BASE) & (sf < box_base))
    seg = sf[fp] - FACADE_BASE
    tp, dx, dy, dz = rays(fp)
    _, fy, fz = footprints(view, tp, dx, dy, dz, 0)
    shade = 1 + 0.6 * city.sun * np.sign(fac.offset[fac.plane[seg]])
    rgb[fp] = facade_colours(city, fac, seg, cam[2] + tp * dz, cam[1] + tp * dy, fz, fy) * shade[:, None]
    label[fp] = fac.label[seg]
    bp = np.flatnonzero((sf >= box_base) & (sf < card_base))
    rgb[bp] = _box_colours(street, view, time, *rays(bp), sf[bp] - box_base)
    sky = np.flatnonzero(sf == SKY_ID)
    _, dx, dy, dz = rays(sky)
    rgb[sky] = sky_colours(city, dx, dy, dz)
    rgb *= np.asarray(city.tint, np.float32) * 255  # colours are >= 0 by construction
    rgb += 0.5
    rgb = np.minimum(rgb, 255, out=rgb).astype(np.uint8)
    return RenderedFrame(rgb.reshape(height, width, 3), label.reshape(height, width), t, surf,
                         obj.reshape(height, width), view)


def frame_flow(street: Street, frame: RenderedFrame, other: View, dt: float) -> np.ndarray:
    """Exact flow (H, W, 2) from ``frame`` to the frame whose camera is ``other``, ``dt`` seconds later.

    A pixel's hit point is pos + t * (dx, v, dz); in the other camera that is an affine function of t per column, so
    static pixels cost a few image-sized operations. Moving objects' pixels are redone with their displacement.
    """
    view, t = frame.view, frame.t
    height, width = t.shape
    d = (view.pos - other.pos).astype(np.float32)
    ax, az = other.cos * d[0] - other.sin * d[2], other.sin * d[0] + other.cos * d[2]
    bx, bz = other.cos * view.dx - other.sin * view.dz, other.sin * view.dx + other.cos * view.dz
    inv = other.f / np.maximum(az + t * bz[None, :], 1e-3)
    flow = np.empty((height, width, 2), np.float32)
    flow[..., 0] = (ax + t * bx[None, :]) * inv + (other.cx - np.arange(width, dtype=np.float32))[None, :]
    flow[..., 1] = (other.cy - np.arange(height, dtype=np.float32))[:, None] - (d[1] + t * view.v[:, None]) * inv
    moving = np.flatnonzero(frame.obj > 0)
    if len(moving):
        vel = np.concatenate([np.zeros((1, 3), np.float32), street.boxes.vel, street.cards.vel])
        step = vel[frame.obj.reshape(-1)[moving]] * dt
        row, col = moving // width, moving % width
        tm = t.reshape(-1)[moving]
        px, py, _ = other.project(view.pos[0] + tm * view.dx[col] + step[:, 0],
                                  view.pos[1] + tm * view.v[row] + step[:, 1],
                                  view.pos[2] + tm * view.dz[col] + step[:, 2])
        flow.reshape(-1, 2)[moving] = np.stack([px - col, py - row], axis=1)
    return flow


def render_street(street: Street, height: int, width: int) -> Iterator[tuple[SynthFrame, RenderedFrame]]:
    """Every frame of a laid-out clip with its exact flows, plus the internals (surface ids) for checks."""
    n = len(street.cam_pos)
    for i in range(n):
        fr = render_frame(street, i, height, width)
        fwd = frame_flow(street, fr, make_view(street, i + 1, height, width), 1 / street.fps) if i + 1 < n else None
        bwd = frame_flow(street, fr, make_view(street, i - 1, height, width), -1 / street.fps) if i > 0 else None
        yield SynthFrame(rgb=fr.rgb, semantic=fr.label[..., None], flow_fwd=fwd, flow_bwd=bwd), fr


def render_clip(city: City, rng: np.random.Generator, n_frames: int, height: int, width: int) -> Iterator[SynthFrame]:
    """A clip of one city: a new street, traffic and camera path drawn from ``rng``."""
    street = make_street(city, rng, n_frames, FPS)
    for frame, _ in render_street(street, height, width):
        yield frame


STREETS = SynthKind(
    name="streets",
    fps=FPS,
    make_domain=make_city,
    render_clip=render_clip,
)
