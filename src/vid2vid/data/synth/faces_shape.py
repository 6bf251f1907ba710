"""Face geometry for the `faces` renderer: 68 iBUG landmarks plus mesh helper points, expressions and head pose.

Units: "face units", x to the image right, y down, origin between the eyes; the jaw is about 2 units wide. Every
point also has a depth z (towards the camera) used by the pseudo-3D head rotation and the drawing order, and a head
weight (1 moves with the head, 0 with the shoulders, in between for the neck). One fixed triangulation (Delaunay of a
reference face) serves every identity, so triangle ``i`` is the same object in every clip.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.spatial import Delaunay

from vid2vid.data import face_sketch as fs

EYE_MIN_GAP = 0.012  # face units between the lids of a closed eye (keeps triangles invertible)
MOUTH_MIN_GAP = 0.012  # face units between the inner lips of a closed mouth
CANONICAL_OPEN = 0.45  # mouth opening at which the identity texture is drawn


@dataclass(frozen=True)
class FaceShape:
    """Per-identity proportions, in face units."""

    face_w: float = 1.0  # half jaw width at the top of the jaw
    jaw_top: float = -0.28  # y of landmarks 0 and 16
    chin: float = 1.28  # y of landmark 8
    jaw_square: float = 2.6  # super-ellipse exponent of the jaw (2 round, 3.5 square)
    forehead: float = 1.05  # height of the forehead arc above the jaw top
    eye_sep: float = 0.44  # half distance between eye centres
    eye_y: float = -0.32
    eye_w: float = 0.38
    eye_h: float = 0.13
    eye_tilt: float = 0.02  # outer corners higher by this much
    brow_gap: float = 0.26  # brow height above the eye centre
    brow_arch: float = 0.07
    brow_len: float = 0.48
    brow_thick: float = 0.07
    nose_tip: float = 0.22  # y of landmark 30
    nose_w: float = 0.21  # half width of the nostril line
    mouth_y: float = 0.64
    mouth_w: float = 0.42  # half width of the mouth
    lip_upper: float = 0.09
    lip_lower: float = 0.11


def sample_shape(rng: np.random.Generator) -> FaceShape:
    """A random identity's proportions."""
    u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    nose_tip = u(0.14, 0.28)
    mouth_y = nose_tip + u(0.36, 0.46)
    return FaceShape(
        face_w=u(0.88, 1.1), jaw_top=u(-0.34, -0.2), chin=mouth_y + u(0.55, 0.75), jaw_square=u(2.0, 3.6),
        forehead=u(0.95, 1.2), eye_sep=u(0.39, 0.49), eye_y=u(-0.38, -0.28), eye_w=u(0.32, 0.42),
        eye_h=u(0.11, 0.17), eye_tilt=u(-0.03, 0.06), brow_gap=u(0.24, 0.34), brow_arch=u(0.02, 0.12),
        brow_len=u(0.4, 0.52), brow_thick=u(0.04, 0.1), nose_tip=nose_tip, nose_w=u(0.16, 0.27),
        mouth_y=mouth_y, mouth_w=u(0.33, 0.48), lip_upper=u(0.06, 0.12), lip_lower=u(0.08, 0.15),
    )


@dataclass(frozen=True)
class Expression:
    """Per-frame face deformation, each in [0, 1] (brow in [-1, 1])."""

    mouth_open: float = CANONICAL_OPEN
    smile: float = 0.0
    blink_r: float = 0.0
    blink_l: float = 0.0
    brow: float = 0.0


# Mesh helper points after the 68 landmarks.
N_FOREHEAD = 9
N_RING = 15
_CHEEKS = ((-0.6, 0.18), (0.6, 0.18), (-0.35, -0.95), (0.35, -0.95), (0.0, -1.0))
_NECK = ((-0.45, 1.6), (0.45, 1.6), (0.0, 1.75), (-0.52, 1.9), (0.52, 1.9))
_NECK_WEIGHT = (0.6, 0.6, 0.45, 0.25, 0.25)
FOREHEAD = slice(68, 68 + N_FOREHEAD)
RING = slice(FOREHEAD.stop, FOREHEAD.stop + N_RING)
CHEEKS = slice(RING.stop, RING.stop + len(_CHEEKS))
NECK = slice(CHEEKS.stop, CHEEKS.stop + len(_NECK))
BODY_START = NECK.stop  # shoulders and the points off the bottom edge follow
RING_CENTRE_Y = -0.15
RING_RADII = (1.6, 1.78)
TOP_Y = -2.6  # mesh top edge (face units), well above the hair


def _jaw(s: FaceShape) -> np.ndarray:
    phi = np.pi * np.arange(17) / 16.0
    c, sn = np.cos(phi), np.sin(phi)
    e = 2.0 / s.jaw_square
    x = -np.sign(c) * np.abs(c) ** e * s.face_w
    y = s.jaw_top + np.abs(sn) ** e * (s.chin - s.jaw_top)
    return np.stack([x, y], axis=1)


def _brows(s: FaceShape) -> np.ndarray:
    t = np.linspace(0.0, 1.0, 5)
    inner = 0.1
    out = []
    for sgn in (-1.0, 1.0):
        x = sgn * (inner + t * s.brow_len)  # inner -> outer
        y = s.eye_y - s.brow_gap - s.brow_arch * np.sin(np.pi * np.clip(t * 1.15, 0, 1)) + 0.05 * t**2
        pts = np.stack([x, y], axis=1)
        out.append(pts[::-1] if sgn < 0 else pts)  # both brows ordered left to right in the image
    return np.concatenate(out, axis=0)


def _eyes(s: FaceShape, blink_r: float, blink_l: float) -> np.ndarray:
    out = []
    for sgn, blink in ((-1.0, blink_r), (1.0, blink_l)):
        cx = sgn * s.eye_sep
        hw = s.eye_w / 2
        up, low = s.eye_y - 0.55 * s.eye_h, s.eye_y + 0.45 * s.eye_h
        closed = low - 0.25 * (low - s.eye_y)
        lower_y = low + blink * (closed - low)
        upper_y = up + blink * (closed - EYE_MIN_GAP - up)
        xs = np.array([cx - hw, cx - hw / 3, cx + hw / 3, cx + hw, cx + hw / 3, cx - hw / 3])
        ys = np.array([s.eye_y, upper_y, upper_y, s.eye_y, lower_y, lower_y])
        ys[[1, 4] if sgn < 0 else [2, 5]] += 0.01  # lids slightly asymmetric, lower towards the outer corner
        outer = 0 if sgn < 0 else 3  # index of the outer corner
        ys[outer] -= s.eye_tilt
        out.append(np.stack([xs, ys], axis=1))
    return np.concatenate(out, axis=0)


def _nose(s: FaceShape) -> np.ndarray:
    ys = np.linspace(s.eye_y - 0.02, s.nose_tip, 4)
    bridge = np.stack([np.zeros(4), ys], axis=1)
    base_y = s.nose_tip + np.array([0.06, 0.09, 0.1, 0.09, 0.06])
    base_x = s.nose_w * np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    return np.concatenate([bridge, np.stack([base_x, base_y], axis=1)], axis=0)


def _mouth(s: FaceShape, open_: float, smile: float) -> tuple[np.ndarray, float]:
    """Outer (12) and inner (8) lip points, and how far the jaw drops."""
    gap = MOUTH_MIN_GAP + 0.26 * open_
    up_shift, down_shift = 0.2 * gap, 0.8 * gap
    mw, my = s.mouth_w * (1.0 - 0.08 * open_ + 0.1 * smile), s.mouth_y
    corner_y = my - 0.05 * smile
    ou = my - up_shift - np.array([0.0, 0.8, 1.0, 0.85, 1.0, 0.8, 0.0]) * s.lip_upper
    ox = mw * np.array([-1.0, -0.6, -0.22, 0.0, 0.22, 0.6, 1.0])
    lx = mw * np.array([0.6, 0.25, 0.0, -0.25, -0.6])
    ly = my + down_shift + np.array([0.8, 0.97, 1.0, 0.97, 0.8]) * s.lip_lower
    outer = np.concatenate([np.stack([ox, ou], 1), np.stack([lx, ly], 1)], axis=0)
    outer[[0, 6], 1] = corner_y
    ix = mw * np.array([-0.82, -0.35, 0.0, 0.35, 0.82, 0.35, 0.0, -0.35])
    half = np.array([0.0, 0.85, 1.0, 0.85, 0.0, 0.85, 1.0, 0.85])
    iy = my + np.where(np.arange(8) < 5, -up_shift, down_shift) * half
    iy[[0, 4]] = corner_y + 0.3 * (down_shift - up_shift) * 0.5
    inner = np.stack([ix, iy], axis=1)
    return np.concatenate([outer, inner], axis=0), 0.75 * down_shift


def landmarks68(s: FaceShape, e: Expression) -> np.ndarray:
    """The 68 iBUG landmarks (68, 2) in face units for one identity and expression."""
    jaw = _jaw(s)
    mouth, drop = _mouth(s, e.mouth_open, e.smile)
    k = np.arange(17)
    jaw[:, 1] += drop * np.clip(1.0 - np.abs(k - 8) / 6.0, 0.0, 1.0)
    brows = _brows(s)
    brows[:, 1] -= (0.07 if e.brow > 0 else 0.04) * e.brow
    return np.concatenate([jaw, brows, _nose(s), _eyes(s, e.blink_r, e.blink_l), mouth], axis=0)


def body_points(extent_x: float, bottom_y: float) -> np.ndarray:
    """Shoulder points and points beyond the image edges (head weight 0)."""
    x, y = extent_x, bottom_y
    return np.array([
        (-1.4, 2.1), (1.4, 2.1), (-2.4, 2.4), (2.4, 2.4), (-x, 2.7), (x, 2.7),
        (-x, y), (x, y), (-1.3, y), (1.3, y), (0.0, y), (0.0, 2.5), (-x, 0.6), (x, 0.6),
        (-x, TOP_Y), (x, TOP_Y), (-1.6, TOP_Y), (1.6, TOP_Y), (0.0, TOP_Y),
    ])


def mesh_points(s: FaceShape, e: Expression, extent_x: float = 3.2, bottom_y: float = 4.0) -> np.ndarray:
    """All mesh points (P, 2): landmarks, forehead, hair ring, cheeks, neck, body."""
    lm = landmarks68(s, e)
    phi = np.pi * np.arange(1, N_FOREHEAD + 1) / (N_FOREHEAD + 1)
    fore = np.stack([-np.cos(phi) * s.face_w * 0.97, s.jaw_top - np.sin(phi) * s.forehead], axis=1)
    theta = np.radians(np.linspace(220.0, -40.0, N_RING))
    rx, ry = RING_RADII[0] * s.face_w, RING_RADII[1]
    ring = np.stack([rx * np.cos(theta), RING_CENTRE_Y - ry * np.sin(theta)], axis=1)
    cheeks = np.array(_CHEEKS) * [s.face_w, 1.0]
    brow_top = s.eye_y - s.brow_gap - s.brow_arch - 0.07  # highest a raised brow goes
    cheeks[2:5, 1] = 0.5 * (brow_top + s.jaw_top - s.forehead)
    neck = np.array(_NECK)
    neck[:, 1] += s.chin - 1.28
    return np.concatenate([lm, fore, ring, cheeks, neck, body_points(extent_x, bottom_y)], axis=0)


def point_depth(points: np.ndarray) -> np.ndarray:
    """Depth z (P,) of every mesh point: a rounded face, a nose in front, hair ring and body behind."""
    x = points[:, 0]
    z = 0.5 * np.sqrt(np.clip(1.0 - (x / 1.3) ** 2, 0.0, 1.0))
    z[27:31] += np.array([0.05, 0.12, 0.2, 0.28])
    z[31:36] += np.array([0.08, 0.14, 0.18, 0.14, 0.08])
    z[48:68] += 0.06
    z[36:48] -= 0.04
    z[RING] = 0.0
    z[NECK] = 0.0
    z[BODY_START:] = -0.2
    return z


def head_weight(n_points: int) -> np.ndarray:
    """How much each point follows the head (1) rather than the body (0)."""
    w = np.zeros(n_points)
    w[:NECK.start] = 1.0
    w[NECK] = _NECK_WEIGHT
    return w


@lru_cache(maxsize=1)
def triangulation() -> np.ndarray:
    """Fixed triangles (N, 3) over the mesh points, from a reference face; checked to keep the feature outlines."""
    pts = mesh_points(FaceShape(), Expression(mouth_open=0.8))
    tri = Delaunay(pts).simplices.astype(np.int32)
    missing = [edge for edge in contour_edges() if not _has_edge(tri, *edge)]
    if missing:
        raise RuntimeError(f"face triangulation lost contour edges {missing}")
    return tri


def contour_edges() -> list[tuple[int, int]]:
    """Edges that must be in the mesh so eyes and mouth open without smearing the skin."""
    edges = []
    for group in (fs.RIGHT_EYE, fs.LEFT_EYE, fs.INNER_LIPS, fs.OUTER_LIPS):
        edges += [(group[i], group[(i + 1) % len(group)]) for i in range(len(group))]
    return edges


def _has_edge(tri: np.ndarray, a: int, b: int) -> bool:
    return bool(np.any(np.isin(tri, [a]).any(axis=1) & np.isin(tri, [b]).any(axis=1)))


def interior_groups(tri: np.ndarray) -> np.ndarray:
    """Surface layer of every triangle (N,): 1 skin/hair/body, 2 right eye, 3 left eye, 4 mouth interior."""
    layer = np.ones(len(tri), np.int32)
    for value, group in ((2, fs.RIGHT_EYE), (3, fs.LEFT_EYE), (4, fs.INNER_LIPS)):
        layer[np.isin(tri, group).all(axis=1)] = value
    return layer
