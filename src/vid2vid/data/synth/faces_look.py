"""The look of one `faces` identity: colours and styles, the canonical face texture, glasses and the background.

The texture is drawn once per clip at the identity's canonical landmark positions on a canvas (RGBA, alpha 0 where
the mesh shows the background); the renderer then maps it through the per-frame mesh. Glasses are a separate rigid
layer. Everything is in face units scaled by ``scale`` pixels per unit, so it grows with the image size.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import cv2
import numpy as np

from vid2vid.data.synth import faces_shape as fsh

RGB = tuple[float, float, float]
HAIR_STYLES = ("short", "bob", "long", "bald", "curly")
BEARDS = ("none", "none", "stubble", "full", "moustache")
GLASSES = ("none", "none", "round", "rect", "sun")
CLOTHES = ("plain", "stripes", "vneck", "collar")
BACKGROUNDS = ("gradient", "panels", "bokeh", "curtain")
GLASSES_DEPTH = 0.62  # z of the glasses plane, in face units
_SHIFT = 4


@dataclass(frozen=True)
class FaceLook:
    """Colours and styles of one identity (RGB in [0, 1])."""

    skin: RGB
    light: float  # -1..1: light from the image left .. right
    blush: float
    lips: RGB
    iris: RGB
    hair: RGB
    hair_style: str
    fringe: str  # "none" | "side" | "bangs"
    hair_volume: float  # face units the hair stands off the skull
    hairline: float  # 0..1: how far down the forehead the hair comes
    beard: str
    glasses: str
    glasses_color: RGB
    earrings: bool
    earring_color: RGB
    cloth: RGB
    cloth2: RGB
    cloth_style: str
    background: str
    bg_colors: tuple[RGB, RGB, RGB]
    texture_seed: int


def _hsv(h: float, s: float, v: float) -> RGB:
    return tuple(float(c) for c in colorsys.hsv_to_rgb(h % 1.0, float(np.clip(s, 0, 1)), float(np.clip(v, 0, 1))))


def sample_look(rng: np.random.Generator) -> FaceLook:
    """A random identity's colours and styles."""
    tone = rng.uniform()
    skin = _hsv(0.055 + rng.uniform(-0.015, 0.02), 0.25 + 0.35 * tone, 0.97 - 0.6 * tone)
    hair_roll = rng.uniform()
    if hair_roll < 0.15:  # dyed
        hair = _hsv(rng.uniform(), rng.uniform(0.5, 0.9), rng.uniform(0.4, 0.9))
    elif hair_roll < 0.25:  # grey
        hair = _hsv(0.1, 0.05, rng.uniform(0.55, 0.85))
    else:  # black .. blond
        shade = rng.uniform()
        hair = _hsv(0.06 + 0.04 * shade, 0.45 + 0.2 * shade, 0.08 + 0.75 * shade**1.5)
    lips = _hsv(rng.uniform(-0.03, 0.03), rng.uniform(0.35, 0.75), rng.uniform(0.45, 0.8) * (1.0 - 0.4 * tone))
    iris = _hsv(rng.choice([0.07, 0.1, 0.55, 0.6, 0.3]), rng.uniform(0.4, 0.8), rng.uniform(0.25, 0.65))
    c = [_hsv(rng.uniform(), rng.uniform(0.2, 0.8), rng.uniform(0.25, 0.9)) for _ in range(5)]
    return FaceLook(
        skin=skin, light=float(rng.uniform(-1, 1)), blush=float(rng.uniform(0.0, 0.3)), lips=lips, iris=iris,
        hair=hair, hair_style=str(rng.choice(HAIR_STYLES)), fringe=str(rng.choice(["none", "side", "bangs"])),
        hair_volume=float(rng.uniform(0.08, 0.3)), hairline=float(rng.uniform(0.1, 0.45)),
        beard=str(rng.choice(BEARDS)), glasses=str(rng.choice(GLASSES)),
        glasses_color=_hsv(rng.uniform(), rng.uniform(0, 0.8), rng.uniform(0.05, 0.7)),
        earrings=bool(rng.uniform() < 0.3), earring_color=_hsv(rng.uniform(0.1, 0.15), rng.uniform(0, 0.7), 0.9),
        cloth=c[0], cloth2=c[1], cloth_style=str(rng.choice(CLOTHES)), background=str(rng.choice(BACKGROUNDS)),
        bg_colors=(c[2], c[3], c[4]), texture_seed=int(rng.integers(2**31)),
    )


class Painter:
    """Draws filled shapes in face units onto a float RGBA canvas (premultiplied colour) with anti-aliased edges."""

    def __init__(self, height: int, width: int, origin: np.ndarray, scale: float):
        self.rgba = np.zeros((height, width, 4), np.float32)
        self.origin, self.scale = origin, scale

    def px(self, pts: np.ndarray) -> np.ndarray:
        """Face units -> canvas pixels."""
        return (np.asarray(pts, np.float64) - self.origin) * self.scale

    def _fixed(self, pts: np.ndarray) -> np.ndarray:
        return np.round(self.px(pts) * (1 << _SHIFT)).astype(np.int32)

    def mask(self, polys: list[np.ndarray]) -> np.ndarray:
        m = np.zeros(self.rgba.shape[:2], np.uint8)
        cv2.fillPoly(m, [self._fixed(p) for p in polys], 255, cv2.LINE_AA, _SHIFT)
        return m.astype(np.float32) / 255.0

    def line_mask(self, pts: np.ndarray, width: float, closed: bool = False) -> np.ndarray:
        m = np.zeros(self.rgba.shape[:2], np.uint8)
        thick = max(1, int(round(width * self.scale)))
        cv2.polylines(m, [self._fixed(pts)], closed, 255, thick, cv2.LINE_AA, _SHIFT)
        return m.astype(np.float32) / 255.0

    def ellipse_mask(self, centre, axes, angle: float = 0.0) -> np.ndarray:
        m = np.zeros(self.rgba.shape[:2], np.uint8)
        c = tuple(int(v) for v in self._fixed(np.array(centre)))
        ax = tuple(max(1, int(round(a * self.scale * (1 << _SHIFT)))) for a in axes)
        cv2.ellipse(m, c, ax, angle, 0, 360, 255, -1, cv2.LINE_AA, _SHIFT)
        return m.astype(np.float32) / 255.0

    def paint(self, m: np.ndarray, color, alpha: float = 1.0, soft: float = 0.0) -> None:
        """Blend ``color`` (RGB or (H, W, 3)) where mask ``m`` is set; ``soft`` blurs the mask (face units)."""
        if soft > 0:
            s = soft * self.scale
            m = cv2.GaussianBlur(m, (0, 0), s) if s > 0.3 else m
        x, y, w, h = cv2.boundingRect((m > 1e-3).astype(np.uint8))
        if w == 0:
            return
        box = (slice(y, y + h), slice(x, x + w))
        color = np.asarray(color, np.float32)
        color = color[box] if color.ndim == 3 else color
        a = (m[box] * alpha)[..., None]
        rgba = self.rgba[box]
        rgba[..., :3] = rgba[..., :3] * (1 - a) + color * a
        rgba[..., 3:] = rgba[..., 3:] + a * (1 - rgba[..., 3:])

    def shade(self, m: np.ndarray, factor: np.ndarray) -> None:
        """Multiply the colour by ``factor`` (H, W) where mask ``m`` is set."""
        f = 1 + (factor - 1) * m
        self.rgba[..., :3] *= f[..., None]


def _noise(rng: np.random.Generator, shape, sx: float, sy: float) -> np.ndarray:
    n = rng.standard_normal(shape).astype(np.float32)
    n = cv2.GaussianBlur(n, (0, 0), sigmaX=max(sx, 0.3), sigmaY=max(sy, 0.3))
    return n / (n.std() + 1e-6)


def _tex(base: RGB, noise: np.ndarray, amount: float) -> np.ndarray:
    return np.clip(np.asarray(base, np.float32) * (1 + amount * noise[..., None]), 0, 1)


def draw_head(p: Painter, s: fsh.FaceShape, look: FaceLook, pts: np.ndarray) -> None:
    """Draw the identity at canonical mesh points ``pts`` (face units) onto the painter's canvas."""
    rng = np.random.default_rng(look.texture_seed)
    shape2 = p.rgba.shape[:2]
    skin = _tex(look.skin, _noise(rng, shape2, 0.6, 0.6), 0.025)
    hair = _tex(look.hair, _noise(rng, shape2, 0.4, 0.12 * p.scale), 0.22)
    if look.hair_style == "curly":
        curls = _noise(rng, shape2, 0.6, 0.6) + 0.5 * _noise(rng, shape2, 0.04 * p.scale, 0.04 * p.scale)
        hair = _tex(look.hair, curls, 0.15)
    dark = lambda c, f: tuple(v * f for v in c)  # noqa: E731
    lm = pts[:68]
    fw = s.face_w

    # Body and clothing: shoulders sloping from the neck base off the image edges, shaded towards the sides.
    ny = pts[fsh.NECK][3, 1]
    ext, bottom = pts[fsh.BODY_START + 5, 0], pts[fsh.BODY_START + 7, 1]
    half = np.array([(0.5, ny - 0.02), (0.95, ny + 0.12), (1.45, ny + 0.22), (2.1, ny + 0.4), (ext - 0.05, ny + 0.75),
                     (ext - 0.05, bottom - 0.05)])
    shoulders = np.concatenate([half * [-1, 1], half[::-1]])
    xs = np.arange(shape2[1])[None, :] / p.scale + p.origin[0]
    cloth = np.broadcast_to(np.asarray(look.cloth, np.float32), shape2 + (3,)).copy()
    if look.cloth_style == "stripes":
        cloth = np.where((np.sin(xs * 9.0) > 0)[..., None], cloth, np.asarray(look.cloth2, np.float32))
    fold = 0.06 * _noise(rng, shape2, 0.4 * p.scale, 0.15 * p.scale)
    cloth = cloth * (1.0 - 0.25 * np.clip(np.abs(xs) / 3.0, 0, 1) + fold)[..., None]
    p.paint(p.mask([shoulders]), np.clip(cloth, 0, 1))
    if look.cloth_style == "vneck":
        p.paint(p.mask([np.array([(-0.5, ny - 0.05), (0, ny + 0.7), (0.5, ny - 0.05)])]), skin * 0.86)
    else:
        p.paint(p.ellipse_mask((0, ny), (0.52, 0.22)), skin * 0.86)
    if look.cloth_style == "collar":
        for sg in (-1, 1):
            p.paint(p.mask([np.array([(sg * 0.05, ny + 0.3), (sg * 0.55, ny - 0.08), (sg * 0.62, ny + 0.45)])]),
                    look.cloth2)
    p.paint(p.line_mask(half[:4], 0.03) + p.line_mask(half[:4] * [-1, 1], 0.03), np.zeros(3), 0.25, soft=0.03)

    # Hair behind the head.
    vol = look.hair_volume
    if look.hair_style in ("bob", "long", "curly"):
        low = {"bob": s.chin - 0.1, "long": 2.6, "curly": s.chin + 0.1}[look.hair_style]
        th = np.linspace(np.pi * 1.08, -0.08 * np.pi, 24)
        rx, ry = fw + vol + 0.12, s.forehead + vol + 0.1
        arc = np.stack([rx * np.cos(th), s.jaw_top - ry * np.sin(th)], axis=1)
        wide = 1.25 if look.hair_style == "long" else 1.0
        back = np.concatenate([arc, [(rx * wide, low), (0.5, low - 0.2), (-0.5, low - 0.2), (-rx * wide, low)]])
        p.paint(p.mask([back]), hair * 0.8)

    # Neck with the shadow under the jaw.
    neck_w = 0.5 * fw
    mid = 0.5 * (s.jaw_top + s.chin)
    neck = np.array([(-neck_w, mid), (neck_w, mid), (neck_w * 1.1, ny + 0.05), (-neck_w * 1.1, ny + 0.05)])
    p.paint(p.mask([neck]), skin * 0.86)
    p.shade(p.mask([neck]), 1.0 - 0.12 * np.clip(np.abs(xs) / neck_w, 0, 1) ** 2)
    p.paint(p.mask([lm[3:14]]), np.zeros(3), alpha=0.35, soft=0.1)

    # Ears.
    if look.hair_style != "long":
        for sg in (-1, 1):
            c = (sg * (fw + 0.05), s.jaw_top + 0.25)
            p.paint(p.ellipse_mask(c, (0.12, 0.24), sg * 8), skin * 0.93)
            p.paint(p.ellipse_mask((c[0] + sg * 0.01, c[1]), (0.05, 0.14), sg * 8), np.zeros(3), 0.2, soft=0.02)
            if look.earrings:
                p.paint(p.ellipse_mask((c[0] - sg * 0.02, c[1] + 0.27), (0.04, 0.04)), look.earring_color)

    # Face with shading: darker towards the outline, lit from one side.
    outline = np.concatenate([lm[:17], pts[fsh.FOREHEAD][::-1]])
    face = p.mask([outline])
    p.paint(face, skin)
    dist = cv2.distanceTransform((face > 0.5).astype(np.uint8), cv2.DIST_L2, 3) / p.scale
    lit = 1 + 0.12 * look.light * np.clip(xs / fw, -1, 1)
    p.shade(face, (0.82 + 0.18 * np.clip(dist / 0.3, 0, 1)) * lit)
    for sg in (-1, 1):  # cheeks
        p.paint(p.ellipse_mask((sg * 0.55, s.nose_tip + 0.05), (0.22, 0.14)), look.lips, look.blush, soft=0.1)

    # Nose: side shadows, nostrils, tip highlight.
    for sg in (-1, 1):
        side = np.array([lm[27] + [sg * 0.07, 0.05], lm[29] + [sg * 0.09, 0],
                         lm[31 if sg < 0 else 35] + [sg * 0.02, -0.04]])
        p.paint(p.line_mask(side, 0.05), np.zeros(3), 0.18, soft=0.04)
        p.paint(p.ellipse_mask(lm[32 if sg < 0 else 34] + [0, -0.025], (0.04, 0.022)), dark(look.skin, 0.3), 0.8)
    p.paint(p.ellipse_mask(lm[30] + [0, -0.03], (0.05, 0.04)), np.ones(3), 0.12, soft=0.03)
    p.paint(p.line_mask(lm[31:36], 0.03), np.zeros(3), 0.2, soft=0.02)

    # Beard under the features.
    if look.beard in ("stubble", "full"):
        beard = np.concatenate([lm[2:15], [(fw * 0.55, s.nose_tip + 0.12), (0.2, s.nose_tip + 0.12),
                                           (-0.2, s.nose_tip + 0.12), (-fw * 0.55, s.nose_tip + 0.12)]])
        whiskers = _tex(look.hair, _noise(rng, shape2, 0.8, 0.8), 0.15)
        p.paint(p.mask([beard]), whiskers, 0.85 if look.beard == "full" else 0.3, soft=0.04)
    if look.beard in ("moustache", "full"):
        must = np.array([lm[48] + [-0.06, 0.03], lm[33] + [-0.1, 0.02], lm[33] + [0.1, 0.02], lm[54] + [0.06, 0.03],
                         lm[52] + [0, -0.01], lm[50] + [0, -0.01]])
        p.paint(p.mask([must]), hair, 0.95, soft=0.01)

    # Mouth: lips, dark interior, teeth.
    p.paint(p.mask([lm[48:60]]), look.lips)
    p.paint(p.mask([np.concatenate([lm[48:55], lm[64:59:-1]])]), dark(look.lips, 0.85))  # upper lip
    p.paint(p.mask([lm[60:68]]), (0.28, 0.08, 0.08))
    top_y = lm[61:64, 1].min()
    teeth = np.array([lm[60] + [0.04, 0], lm[61], lm[62], lm[63], lm[64] + [-0.04, 0],
                      (lm[64, 0] - 0.05, top_y + 0.045), (lm[60, 0] + 0.05, top_y + 0.045)])
    p.paint(p.mask([teeth]) * p.mask([lm[60:68]]), (0.93, 0.92, 0.86))
    p.paint(p.line_mask(lm[60:65], 0.02), np.zeros(3), 0.35)

    # Eyes: sclera, iris, pupil, highlight, lashes, crease.
    for grp in (lm[36:42], lm[42:48]):
        centre = grp.mean(0)
        eye = p.mask([grp])
        p.paint(eye, (0.94, 0.92, 0.88))
        r = 0.2 * s.eye_w
        p.paint(p.ellipse_mask(centre, (r, r)) * eye, look.iris)
        p.paint(p.ellipse_mask(centre, (0.45 * r, 0.45 * r)) * eye, (0.03, 0.03, 0.03))
        p.paint(p.ellipse_mask(centre + [0.3 * r, -0.3 * r], (0.18 * r, 0.18 * r)) * eye, np.ones(3), 0.9)
        p.paint(p.line_mask(grp[:4] + [0, -0.012], 0.035), (0.05, 0.04, 0.04))
        p.paint(p.line_mask(grp[[3, 4, 5, 0]], 0.03), dark(look.skin, 0.7), 0.9)  # lower lid rim
        p.paint(p.line_mask(grp[:4] + [0, -0.45 * s.eye_h], 0.02), np.zeros(3), 0.15, soft=0.01)

    # Brows: tapered strokes.
    brow_col = hair if look.hair_style != "bald" else dark(look.skin, 0.35)
    for grp, taper in ((lm[17:22], [0.5, 0.8, 1, 1, 0.9]), (lm[22:27], [0.9, 1, 1, 0.8, 0.5])):
        t = s.brow_thick * np.array(taper)[:, None] * [0, 0.5]
        p.paint(p.mask([np.concatenate([grp - t, (grp + t)[::-1]])]), brow_col, 0.95, soft=0.01)

    # Hair on top, with the hairline and fringe.
    if look.hair_style != "bald":
        th = np.linspace(np.pi * 1.02, -0.02 * np.pi, 24)
        rx, ry = fw + 0.6 * vol + 0.03, s.forehead + vol
        arc = np.stack([rx * np.cos(th), s.jaw_top + 0.05 - ry * np.sin(th)], axis=1)
        if look.hair_style == "curly":
            arc += np.stack([np.cos(th), -np.sin(th)], 1) * 0.05 * np.sin(th * 17)[:, None]
        fore = pts[fsh.FOREHEAD]
        line = fore + (np.array([0.0, s.jaw_top]) - fore) * [0.02, look.hairline * 0.8]
        line[:, 1] = np.minimum(line[:, 1], s.eye_y - s.brow_gap - 0.15)
        if look.fringe == "bangs":
            line[1:-1, 1] = np.maximum(line[1:-1, 1], s.eye_y - s.brow_gap - s.brow_arch - s.brow_thick - 0.12)
        elif look.fringe == "side":
            k = np.arange(len(line))
            line[:, 1] += np.clip((k - 2) / 6.0, 0, 1) * 0.35 * (1 - k / len(line))
        sides = np.array([(-fw - 0.03, s.jaw_top + 0.1), (fw + 0.03, s.jaw_top + 0.1)])
        front = np.concatenate([[sides[0]], arc, [sides[1]], line[::-1]])
        p.paint(p.mask([front]), hair)
        p.paint(p.line_mask(line, 0.05), np.zeros(3), 0.15, soft=0.03)

    # Nothing may stick out of the mesh.
    hull = cv2.convexHull(p.px(pts).astype(np.float32))
    inside = np.zeros(shape2, np.uint8)
    cv2.fillConvexPoly(inside, np.round(hull).astype(np.int32), 1)
    p.rgba *= inside[..., None].astype(np.float32)


def draw_glasses(p: Painter, s: fsh.FaceShape, look: FaceLook) -> None:
    """Glasses (a rigid layer in front of the eyes); nothing if the identity wears none."""
    if look.glasses == "none":
        return
    col = look.glasses_color
    rims = []
    for sg in (-1, 1):
        c = np.array([sg * s.eye_sep, s.eye_y + 0.03])
        if look.glasses == "round":
            th = np.linspace(0, 2 * np.pi, 32, endpoint=False)
            rim = c + 0.24 * np.stack([np.cos(th), np.sin(th) * 0.85], 1)
        else:
            hw, hh = 0.27, 0.17 if look.glasses == "rect" else 0.2
            rim = c + np.array([(-hw, -hh), (hw, -hh), (hw * 0.9, hh), (-hw * 0.9, hh)])
        rims.append(rim)
        lens_alpha = 0.85 if look.glasses == "sun" else 0.12
        p.paint(p.mask([rim]), (0.05, 0.05, 0.08) if look.glasses == "sun" else (0.8, 0.9, 1.0), lens_alpha)
    for rim in rims:
        p.paint(p.line_mask(rim, 0.035, closed=True), col)
    left_in, right_in = rims[0][np.argmax(rims[0][:, 0])], rims[1][np.argmin(rims[1][:, 0])]
    p.paint(p.line_mask(np.array([left_in, (0, s.eye_y - 0.04), right_in]), 0.03), col)
    for rim, sg in ((rims[0], -1), (rims[1], 1)):
        out = rim[np.argmax(sg * rim[:, 0])]
        p.paint(p.line_mask(np.array([out, (sg * (s.face_w + 0.02), s.eye_y)]), 0.03), col)


def draw_background(look: FaceLook, height: int, width: int) -> np.ndarray:
    """A static backdrop (H, W, 3) float32 in [0, 1]."""
    rng = np.random.default_rng(look.texture_seed + 1)
    c0, c1, c2 = (np.asarray(c, np.float32) for c in look.bg_colors)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    size = float(min(height, width))
    t = (ys / height)[..., None]
    img = c0 * (1 - t) + c1 * t
    if look.background == "panels":
        for _ in range(4):
            x0, y0 = rng.uniform(-0.2, 1.0) * width, rng.uniform(-0.2, 0.8) * height
            w, h = rng.uniform(0.15, 0.5) * width, rng.uniform(0.2, 0.6) * height
            box = (xs >= x0) & (xs < x0 + w) & (ys >= y0) & (ys < y0 + h)
            img = np.where(box[..., None], c2 * rng.uniform(0.7, 1.1), img)
    elif look.background == "bokeh":
        for _ in range(18):
            cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.03, 0.12) * size
            disc = ((xs - cx) ** 2 + (ys - cy) ** 2 < r * r)[..., None]
            img = np.where(disc, img * 0.5 + c2 * rng.uniform(0.6, 1.2) * 0.5, img)
    elif look.background == "curtain":
        period = rng.uniform(0.06, 0.15) * size
        wave = 0.8 + 0.2 * np.sin(2 * np.pi * xs / period)[..., None]
        img = (c2 * 0.6 + img * 0.4) * wave
    img = cv2.GaussianBlur(img, (0, 0), 0.008 * size + 0.3)
    img = img * (1 + 0.03 * _noise(rng, (height, width), 0.5, 0.5)[..., None])
    return np.clip(img, 0, 1).astype(np.float32)
