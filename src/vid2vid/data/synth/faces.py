"""`faces`: parametric talking heads with exact landmarks, face sketches and optical flow.

Rendering is a piecewise-affine mesh. An identity's face texture is drawn once at its canonical landmarks; every
frame moves the mesh points (head pose, talking, blinks, brows) and colours each pixel through the inverse affine
of its triangle with one ``cv2.remap``. Each triangle is an object of `affine.affine_flow`, the glasses are one more
rigid object and the static background is object 0, so the flow is exact for the rendered image.
Per frame: RGB, the face sketch drawn from the 68 landmarks by `face_sketch.draw_face_sketch` (as for real video),
exact forward/backward flow, the landmarks as (68, 3) keypoints, and a mask of the whole person (head, hair, neck,
clothing, glasses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

from vid2vid.data.face_sketch import draw_face_sketch
from vid2vid.data.synth import faces_look as look_
from vid2vid.data.synth import faces_shape as shp
from vid2vid.data.synth.affine import affine_flow, apply_per_pixel, invert_affine, pixel_grid
from vid2vid.data.synth.frame import SynthFrame
from vid2vid.data.synth.kind import SynthKind

FPS = 25
UNIT = 0.23  # face units -> pixels: UNIT * min(H, W) pixels per unit at scale 1
# Surface layers (for visibility checks): 0 background, 1 skin/hair/body, 2/3 eyes, 4 mouth interior, 5 glasses.
GLASSES_LAYER = 5


@dataclass(frozen=True)
class FaceDomain:
    """One identity: proportions and look."""

    shape: shp.FaceShape
    look: look_.FaceLook


def make_domain(rng: np.random.Generator) -> FaceDomain:
    """Draw one identity."""
    return FaceDomain(shape=shp.sample_shape(rng), look=look_.sample_look(rng))


@dataclass(frozen=True)
class _Layout:
    """Where the head sits in a frame of a given size."""

    scale: float  # pixels per face unit
    centre: tuple[float, float]  # pixel position of the face origin at rest
    extent_x: float  # face units to the mesh's side edges
    bottom_y: float  # face units to the mesh's bottom edge

    @staticmethod
    def for_size(height: int, width: int) -> "_Layout":
        scale = UNIT * min(height, width)
        cy = 0.40 * min(height, width) + 0.3 * (height - min(height, width))
        extent = max(3.2, 0.5 * width / scale + 0.9)
        bottom = max(4.0, (height - cy) / scale + 0.9)
        return _Layout(scale, (0.5 * width, cy), extent, bottom)


def _smooth(rng: np.random.Generator, t: np.ndarray, lo: float, hi: float, n: int = 3) -> np.ndarray:
    """A smooth random signal in about [-1, 1]: a sum of sinusoids with frequencies in [lo, hi] Hz."""
    f = rng.uniform(lo, hi, n)
    ph = rng.uniform(0, 2 * np.pi, n)
    a = rng.uniform(0.5, 1.0, n)
    return (a[:, None] * np.sin(2 * np.pi * f[:, None] * t[None] + ph[:, None])).sum(0) / a.sum() * 1.6


def _blinks(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Eyelid closure in [0, 1]: blinks at random times (about one every 2.5 s), 0.2 s each."""
    dur = t[-1] + 1.0 / FPS if len(t) else 0.0
    times = np.cumsum(rng.exponential(2.5, 64)) - rng.uniform(0, 2.5)
    times = times[times < dur]
    out = np.zeros_like(t)
    for tb in times:
        d = t - tb
        closing = np.clip(d / 0.07, 0, 1)
        opening = np.clip(1 - (d - 0.1) / 0.12, 0, 1)
        out = np.maximum(out, np.where(d < 0.1, closing, opening) * (d > 0))
    return out


def _motion(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Per-frame head pose and expression signals for one clip."""
    t = np.arange(n) / FPS
    u = rng.uniform
    rate = u(1.2, 2.4)  # syllable cycles per second (|sin| doubles it)
    phase = 2 * np.pi * rate * t + 0.8 * _smooth(rng, t, 0.2, 0.8)
    speaking = np.clip(0.55 + 0.9 * _smooth(rng, t, 0.1, 0.4), 0, 1) * u(0.5, 1.0)
    blink = _blinks(rng, t)
    return {
        "yaw": np.radians(np.clip(u(-5, 5) + u(3, 8) * _smooth(rng, t, 0.1, 0.5), -14, 14)),
        "pitch": np.radians(np.clip(u(-3, 3) + u(2, 5) * _smooth(rng, t, 0.1, 0.6), -8, 8)),
        "roll": np.radians(np.clip(u(-3, 3) + u(1, 4) * _smooth(rng, t, 0.1, 0.4), -8, 8)),
        "scale": u(0.92, 1.06) * (1 + u(0.01, 0.05) * _smooth(rng, t, 0.05, 0.3)),
        "tx": u(-0.12, 0.12) + u(0.02, 0.1) * _smooth(rng, t, 0.05, 0.4),
        "ty": u(-0.08, 0.08) + u(0.02, 0.06) * _smooth(rng, t, 0.05, 0.4),
        "open": speaking * np.abs(np.sin(phase)),
        "smile": np.clip(u(-0.2, 0.6) + 0.4 * _smooth(rng, t, 0.05, 0.3), 0, 1),
        "brow": np.clip(u(-0.3, 0.3) + 0.6 * _smooth(rng, t, 0.2, 1.0), -1, 1),
        "blink_r": blink,
        "blink_l": blink,
    }


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


_PIVOT = np.array([0.0, 0.4, -0.6])  # head rotation centre (face units)


def _pose_points(pts: np.ndarray, z: np.ndarray, weight: np.ndarray, m: dict, k: int, lay: _Layout):
    """Image positions (P, 2) and rotated depth (P,) of mesh points at frame k."""
    rot = _rotation(m["yaw"][k], m["pitch"][k], m["roll"][k])
    p3 = np.concatenate([pts, z[:, None]], axis=1)
    head = (p3 - _PIVOT) @ rot.T + _PIVOT
    shift = np.array([m["tx"][k], m["ty"][k]])
    w = weight[:, None]
    xy = w * (head[:, :2] + shift) + (1 - w) * (pts + 0.6 * shift)
    img = np.array(lay.centre) + m["scale"][k] * lay.scale * xy
    return img, w[:, 0] * head[:, 2] + (1 - w[:, 0]) * z


def _glasses_matrix(m: dict, k: int, lay: _Layout, origin: np.ndarray) -> np.ndarray:
    """Canvas pixels -> image pixels for the rigid glasses plane at frame k (2, 3)."""
    canvas = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    units = canvas / lay.scale + origin
    rot = _rotation(m["yaw"][k], m["pitch"][k], m["roll"][k])
    p3 = np.concatenate([units, np.full((3, 1), look_.GLASSES_DEPTH)], axis=1)
    xy = ((p3 - _PIVOT) @ rot.T + _PIVOT)[:, :2] + [m["tx"][k], m["ty"][k]]
    img = np.array(lay.centre) + m["scale"][k] * lay.scale * xy
    return np.stack([img[1] - img[0], img[2] - img[0], img[0]], axis=1)


def _safe_invertible(mats: np.ndarray) -> np.ndarray:
    """Nudge (numerically) singular affine maps so they can be inverted; such triangles are not drawn."""
    det = mats[:, 0, 0] * mats[:, 1, 1] - mats[:, 0, 1] * mats[:, 1, 0]
    bad = np.abs(det) < 1e-6
    if bad.any():
        mats = mats.copy()
        mats[bad, :, :2] += np.eye(2) * 1e-3
    return mats


class _Renderer:
    """Per-clip state: textures at one size, the mesh, and per-frame matrices."""

    def __init__(self, domain: FaceDomain, height: int, width: int):
        self.h, self.w = height, width
        self.lay = _Layout.for_size(height, width)
        self.tri = shp.triangulation()
        self.shape = s = domain.shape
        self.rest = shp.mesh_points(s, shp.Expression(), self.lay.extent_x, self.lay.bottom_y)
        self.z = shp.point_depth(self.rest)
        self.weight = shp.head_weight(len(self.rest))
        lo = np.array([-self.lay.extent_x - 0.2, shp.TOP_Y - 0.2])
        hi = np.array([self.lay.extent_x + 0.2, self.lay.bottom_y + 0.2])
        size = np.ceil((hi - lo) * self.lay.scale).astype(int)
        self.origin = lo
        head = look_.Painter(size[1], size[0], lo, self.lay.scale)
        look_.draw_head(head, s, domain.look, self.rest)
        self.head_tex = np.round(np.clip(head.rgba, 0, 1) * 255).astype(np.uint8)
        self.has_glasses = domain.look.glasses != "none"
        if self.has_glasses:
            gl = look_.Painter(size[1], size[0], lo, self.lay.scale)
            look_.draw_glasses(gl, s, domain.look)
            self.glasses_tex = np.round(np.clip(gl.rgba, 0, 1) * 255).astype(np.uint8)
        self.background = look_.draw_background(domain.look, height, width)
        canon = head.px(self.rest)[self.tri]  # (N, 3, 2) canvas pixels
        homog = np.concatenate([canon, np.ones((len(self.tri), 3, 1))], axis=2).transpose(0, 2, 1)  # (N, 3, 3)
        self.canon_inv = np.linalg.inv(homog)  # canvas -> barycentric
        n = len(self.tri)
        self.layer_of = np.concatenate([[0], shp.interior_groups(self.tri), [GLASSES_LAYER]]).astype(np.uint8)
        self.interior = self.layer_of[1 : n + 1] > 1
        self.grid = pixel_grid(height, width)

    def frame_state(self, m: dict, k: int, expr: shp.Expression):
        """Landmarks/mesh in pixels, per-object matrices (N + 2, 2, 3) and depth for frame k."""
        pts = shp.mesh_points(self.shape, expr, self.lay.extent_x, self.lay.bottom_y)
        img, depth = _pose_points(pts, self.z, self.weight, m, k, self.lay)
        corners = img[self.tri].transpose(0, 2, 1)  # (N, 2, 3)
        tri_mats = _safe_invertible(np.einsum("nij,njk->nik", corners, self.canon_inv))
        glasses = _glasses_matrix(m, k, self.lay, self.origin)
        mats = np.concatenate([np.eye(2, 3)[None], tri_mats, glasses[None]], axis=0)
        return img, mats, depth[self.tri].mean(1)

    def draw(self, img: np.ndarray, mats: np.ndarray, tri_depth: np.ndarray):
        """RGB (H, W, 3) uint8 and object ids (H, W) int32 for one frame."""
        h, w = self.h, self.w
        tri_px = np.round(img[self.tri] * 16).astype(np.int32)
        corners = img[self.tri]
        a, b = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
        area = np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])  # 2-D cross product (NumPy 2 drops np.cross in 2-D)
        order = np.argsort(np.where(self.interior, -1e9, tri_depth), kind="stable")
        ids = np.zeros((h, w), np.int32)
        for i in order:
            if area[i] > 1e-3:
                cv2.fillConvexPoly(ids, tri_px[i], int(i) + 1, cv2.LINE_8, 4)
        inv = invert_affine(mats)
        u, v = apply_per_pixel(inv, ids, *self.grid)
        # Textures hold premultiplied colour, so bilinear sampling blends edges without dark fringes.
        fg = cv2.remap(self.head_tex, u, v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        fg *= (ids > 0)[..., None].astype(np.uint8)
        ids[fg[..., 3] < 128] = 0
        a = (fg[..., 3:].astype(np.float32) / 255.0)
        rgb = self.background * (1 - a) + fg[..., :3].astype(np.float32) / 255.0
        if self.has_glasses:
            gl = cv2.warpAffine(self.glasses_tex, mats[-1].astype(np.float64), (w, h), flags=cv2.INTER_LINEAR)
            ids[gl[..., 3] >= 128] = len(mats) - 1
            g = gl.astype(np.float32) / 255.0
            rgb = rgb * (1 - g[..., 3:]) + g[..., :3]
        return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8), ids


def render_clip_with_objects(
    domain: FaceDomain, rng: np.random.Generator, n_frames: int, height: int, width: int
) -> Iterator[tuple[SynthFrame, np.ndarray]]:
    """Like `render_clip`, also yielding each frame's surface-layer map (H, W) uint8 (for visibility tests)."""
    r = _Renderer(domain, height, width)
    m = _motion(rng, n_frames)
    states = []
    for k in range(n_frames):
        expr = shp.Expression(
            mouth_open=float(m["open"][k]), smile=float(m["smile"][k]), blink_r=float(m["blink_r"][k]),
            blink_l=float(m["blink_l"][k]), brow=float(m["brow"][k]),
        )
        states.append(r.frame_state(m, k, expr))
    for k, (img, mats, depth) in enumerate(states):
        rgb, ids = r.draw(img, mats, depth)
        lm = img[:68].astype(np.float32)
        vis = (lm[:, 0] >= 0) & (lm[:, 0] <= width - 1) & (lm[:, 1] >= 0) & (lm[:, 1] <= height - 1)
        frame = SynthFrame(
            rgb=rgb,
            semantic=draw_face_sketch(lm, height, width)[..., None],
            flow_fwd=affine_flow(ids, mats, states[k + 1][1]) if k + 1 < n_frames else None,
            flow_bwd=affine_flow(ids, mats, states[k - 1][1]) if k > 0 else None,
            mask=np.where(ids > 0, 255, 0).astype(np.uint8),
            keypoints=np.concatenate([lm, vis[:, None].astype(np.float32)], axis=1),
        )
        frame.objects = mats.astype(np.float32)
        frame.object_ids = ids.astype(np.uint16)
        yield frame, r.layer_of[ids]


def render_clip(domain: FaceDomain, rng: np.random.Generator, n_frames: int, height: int, width: int
                ) -> Iterator[SynthFrame]:
    """Render one clip of ``domain`` talking, blinking and moving its head."""
    for frame, _ in render_clip_with_objects(domain, rng, n_frames, height, width):
        yield frame


FACES = SynthKind(
    name="faces",
    fps=FPS,
    make_domain=make_domain,
    render_clip=render_clip,
)
