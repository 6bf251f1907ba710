"""Appearance of a synthetic dancer: skin, hair, clothes with textures, shoes, and the room they dance in.

Every part is painted as a texture over a grid of its local coordinates (body units, see ``dancers_body``), so
stripes, checks and prints are fixed to the cloth and move exactly with the part.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import cv2
import numpy as np

from vid2vid.data.synth.dancers_body import BodyShape, ellipse

RGB = tuple[float, float, float]
PATTERNS = ("plain", "stripes", "checks", "dots", "print")
HAIR_STYLES = ("short", "long", "bun", "afro", "bald", "pigtails", "bob")
_SKIN = np.array([(255, 224, 196), (241, 194, 160), (224, 172, 125), (198, 134, 94), (160, 100, 66),
                  (120, 72, 44), (85, 52, 34)], np.float64)
_HAIR = np.array([(25, 20, 18), (60, 40, 28), (105, 70, 40), (150, 70, 35), (215, 180, 110), (225, 220, 200),
                  (150, 150, 150)], np.float64)


@dataclass(frozen=True)
class Fabric:
    """A coloured pattern; ``period`` is in body units for clothes and in frame heights for walls and floors."""

    color: RGB
    accent: RGB
    third: RGB
    pattern: str  # one of PATTERNS
    period: float
    angle: float  # stripe direction, radians


@dataclass(frozen=True)
class Backdrop:
    kind: str  # "room" | "studio" | "outdoor"
    horizon: float  # where the floor meets the wall, as a fraction of the frame height
    wall: Fabric
    floor: Fabric


@dataclass(frozen=True)
class Look:
    """Everything about an identity's appearance except its proportions."""

    skin: RGB
    hair_style: str  # one of HAIR_STYLES
    hair: RGB
    eyes: RGB
    lips: RGB
    top: Fabric
    sleeves: str  # "none" | "short" | "long"
    bottom: Fabric
    bottom_kind: str  # "trousers" | "shorts" | "skirt"
    legs: RGB  # bare skin or tights under shorts and skirts
    shoes: RGB
    backdrop: Backdrop
    seed: int  # for the random details of prints and noise, so every clip of the identity matches


def _rgb(values: np.ndarray) -> RGB:
    r, g, b = (float(c) for c in np.clip(values, 0.0, 255.0))
    return (r, g, b)


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return (255.0 * r, 255.0 * g, 255.0 * b)


def _color(rng: np.random.Generator, s: tuple[float, float] = (0.3, 0.95),
           v: tuple[float, float] = (0.25, 0.95)) -> RGB:
    return _hsv(rng.uniform(), rng.uniform(*s), rng.uniform(*v))


def _fabric(rng: np.random.Generator, period: tuple[float, float], patterns: tuple[str, ...] = PATTERNS,
            **color_range: tuple[float, float]) -> Fabric:
    color = _color(rng, **color_range)
    h, _, v = colorsys.rgb_to_hsv(*(c / 255.0 for c in color))
    accent = _hsv(h + rng.uniform(0.25, 0.75), rng.uniform(0.0, 0.9), 1.0 - v * rng.uniform(0.3, 0.9))
    return Fabric(color, accent, _color(rng), str(rng.choice(patterns)), float(rng.uniform(*period)),
                  float(rng.choice([0.0, np.pi / 2, np.pi / 4, rng.uniform(0.0, np.pi)])))


def sample_look(rng: np.random.Generator) -> Look:
    """Draw an identity's appearance; skin, hair, clothes and room all vary between identities."""
    k = rng.uniform(0.0, len(_SKIN) - 1.0)
    skin = (1.0 - k % 1.0) * _SKIN[int(k)] + (k % 1.0) * _SKIN[min(int(k) + 1, len(_SKIN) - 1)]
    skin = np.clip(skin * rng.uniform(0.94, 1.06, 3), 0, 255)
    hair = _HAIR[rng.integers(len(_HAIR))] * rng.uniform(0.85, 1.15) if rng.random() < 0.85 else _color(rng)
    bottom_kind = str(rng.choice(["trousers", "trousers", "shorts", "skirt"]))
    bare = rng.random() < 0.6 or bottom_kind == "trousers"
    kind = str(rng.choice(["room", "room", "studio", "outdoor"]))
    backdrop = Backdrop(
        kind=kind, horizon=float(rng.uniform(0.5, 0.68)),
        wall=_fabric(rng, (0.03, 0.12), v=(0.45, 0.95), s=(0.05, 0.6)),
        floor=_fabric(rng, (0.06, 0.2), ("plain", "stripes", "checks"), v=(0.2, 0.8), s=(0.1, 0.6)),
    )
    return Look(
        skin=_rgb(skin), hair_style=str(rng.choice(HAIR_STYLES)), hair=_rgb(np.asarray(hair)),
        eyes=_hsv(rng.uniform(0.05, 0.6), rng.uniform(0.3, 0.8), rng.uniform(0.15, 0.5)),
        lips=_rgb(skin * rng.uniform(0.6, 0.8) * np.array([1.1, 0.8, 0.8])),
        top=_fabric(rng, (0.015, 0.045)), sleeves=str(rng.choice(["none", "short", "short", "long"])),
        bottom=_fabric(rng, (0.015, 0.04), ("plain", "plain", "stripes", "checks", "dots", "print")),
        bottom_kind=bottom_kind, legs=_rgb(skin) if bare else _color(rng, v=(0.1, 0.6)),
        shoes=_color(rng, v=(0.1, 0.9)), backdrop=backdrop, seed=int(rng.integers(2**31)),
    )


def look_outlines(s: BodyShape, look: Look) -> dict[str, list[np.ndarray]]:
    """Extra outline polygons the look adds to parts: hair on the head, a skirt on the torso."""
    rx, ry, cy = s.head_rx, s.head_ry, s.head_cy
    hair = {
        "short": [ellipse(0.0, cy + 0.12 * ry, 1.07 * rx, 0.98 * ry)],
        "long": [np.array([[-1.25 * rx, cy - 1.9 * ry], [1.25 * rx, cy - 1.9 * ry], [1.2 * rx, cy + 0.3 * ry],
                           [-1.2 * rx, cy + 0.3 * ry]]), ellipse(0.0, cy + 0.2 * ry, 1.2 * rx, 0.95 * ry)],
        "bun": [ellipse(0.0, cy + 0.1 * ry, 1.06 * rx, 1.0 * ry), ellipse(0.0, cy + 1.1 * ry, 0.5 * rx, 0.4 * ry)],
        "afro": [ellipse(0.0, cy + 0.3 * ry, 1.5 * rx, 1.15 * ry)],
        "bald": [],
        "pigtails": [ellipse(0.0, cy + 0.1 * ry, 1.06 * rx, 1.0 * ry), ellipse(1.25 * rx, cy - 0.4 * ry, 0.3 * rx,
                     0.75 * ry), ellipse(-1.25 * rx, cy - 0.4 * ry, 0.3 * rx, 0.75 * ry)],
        "bob": [np.array([[-1.15 * rx, cy - 0.75 * ry], [1.15 * rx, cy - 0.75 * ry], [1.15 * rx, cy + 0.3 * ry],
                          [-1.15 * rx, cy + 0.3 * ry]]), ellipse(0.0, cy + 0.15 * ry, 1.15 * rx, 0.97 * ry)],
    }[look.hair_style]
    out = {"head": hair}
    if look.bottom_kind == "skirt":
        top, flare, length = s.waist_w, s.hip_w * 1.5, 0.55 * s.thigh
        out["torso"] = [np.array([[-top, 0.06], [top, 0.06], [flare, -length], [-flare, -length]])]
    return out


def _in_ellipse(lx: np.ndarray, ly: np.ndarray, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    return ((lx - cx) / rx) ** 2 + ((ly - cy) / ry) ** 2 <= 1.0


def _pattern(f: Fabric, lx: np.ndarray, ly: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Paint a fabric over local coordinates -> (h, w, 3) float32 RGB."""
    c1, c2 = np.array(f.color, np.float32), np.array(f.accent, np.float32)
    p = f.period
    if f.pattern == "stripes":
        t = (lx * np.cos(f.angle) + ly * np.sin(f.angle)) / p
        mix = (t % 1.0 < 0.45).astype(np.float32)
    elif f.pattern == "checks":
        mix = 0.5 * ((np.floor(lx / p) % 2) + (np.floor(ly / p) % 2))
    elif f.pattern == "dots":
        row = np.floor(ly / p)
        mix = (np.hypot((lx / p + 0.5 * row) % 1.0 - 0.5, (ly / p) % 1.0 - 0.5) < 0.22).astype(np.float32)
    elif f.pattern == "print":  # two-colour motifs scattered over a jittered grid, some cells left empty
        ci, cj = np.floor(lx / p), np.floor(ly / p)
        salt = rng.uniform(0.0, 100.0)
        jitter = lambda k: (np.sin(ci * 12.9898 + cj * 78.233 + salt * k) * 43758.5453) % 1.0  # noqa: E731
        d = np.hypot(lx / p - ci - 0.25 - 0.5 * jitter(1.0), ly / p - cj - 0.25 - 0.5 * jitter(2.0))
        d = np.where(jitter(3.0) < 0.7, d, 1.0)
        out = np.where((d < 0.25)[..., None], c2, c1)
        return np.where((d < 0.1)[..., None], np.array(f.third, np.float32), out).astype(np.float32)
    else:
        mix = np.zeros_like(lx)
    mix = mix.astype(np.float32)[..., None]
    return (1.0 - mix) * c1 + mix * c2


def _shade(img: np.ndarray, across: np.ndarray, strength: float = 0.28) -> np.ndarray:
    """Darken towards the sides of a rounded part; ``across`` is -1..1 from one side to the other."""
    return img * (1.0 - strength * np.clip(across, -1.0, 1.0) ** 2)[..., None]


def _paint_head(s: BodyShape, look: Look, lx: np.ndarray, ly: np.ndarray) -> np.ndarray:
    rx, ry, cy = s.head_rx, s.head_ry, s.head_cy
    face = _in_ellipse(lx, ly, 0.0, cy, rx, ry)
    fringe = {"bald": 9.0, "afro": 0.42, "bob": 0.3, "long": 0.5}.get(look.hair_style, 0.55)
    hair = (~face & ~_in_ellipse(np.abs(lx), ly, 0.97 * rx, cy, 0.18 * rx, 0.3 * ry)) | (ly > cy + fringe * ry)
    if look.hair_style in ("long", "afro", "bob"):
        hair |= ~face
    skin = np.array(look.skin, np.float32)
    img = np.broadcast_to(skin, lx.shape + (3,)).copy()
    strands = 0.88 + 0.12 * np.sin(lx / (0.02 * rx) + 3.0 * np.sin(ly / (0.3 * ry)))
    img[hair] = np.array(look.hair, np.float32) * strands[hair, None]
    for sign in (1.0, -1.0):
        ex, ey = sign * 0.38 * rx, cy + 0.12 * ry
        img[_in_ellipse(lx, ly, ex, ey, 0.2 * rx, 0.1 * ry)] = (245, 245, 240)
        img[_in_ellipse(lx, ly, ex, ey, 0.09 * rx, 0.09 * ry)] = look.eyes
        brow = _in_ellipse(lx, ly, ex, ey + 0.24 * ry, 0.24 * rx, 0.045 * ry)
        img[brow & face] = np.array(look.hair, np.float32) * 0.7
    img[_in_ellipse(lx, ly, 0.0, cy - 0.12 * ry, 0.1 * rx, 0.12 * ry)] *= 0.85  # nose
    img[_in_ellipse(lx, ly, 0.0, cy - 0.47 * ry, 0.3 * rx, 0.07 * ry)] = look.lips
    return _shade(img, np.hypot(lx / (1.3 * rx), (ly - cy) / (1.3 * ry)), 0.3)


def paint_part(name: str, s: BodyShape, look: Look, lx: np.ndarray, ly: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """Texture of one part over its local coordinate grid -> (h, w, 3) float32 RGB in 0..255."""
    skin, legs, shoes = (np.array(c, np.float32) for c in (look.skin, look.legs, look.shoes))
    part = name[2:] if name[:2] in ("r_", "l_") else name
    full = lambda c: np.broadcast_to(c, lx.shape + (3,)).copy()  # noqa: E731
    top = _pattern(look.top, lx, ly, rng) if part in ("torso", "upper_arm", "lower_arm") else None
    bottom = _pattern(look.bottom, lx, ly, rng) if part in ("torso", "thigh", "shin") else None
    if part == "head":
        return _paint_head(s, look, lx, ly)
    if part == "neck":
        return _shade(full(skin), lx / s.neck_w, 0.2)
    if part == "torso":
        L = s.torso_len
        img = np.where((ly < 0.12 * L)[..., None], bottom, top)
        neckline = ly > L - 0.05 * (1.0 - (lx / (2.2 * s.neck_w)) ** 2)
        if look.sleeves == "none":
            neckline |= (ly > 0.82 * L) & (np.abs(lx) > 0.62 * s.shoulder_w)
        img[neckline] = skin
        img[np.abs(ly - 0.12 * L) < 0.006] *= 0.6  # waistband seam
        return _shade(img, lx / (1.1 * s.shoulder_w), 0.25)
    if part in ("upper_arm", "lower_arm"):
        cover = {"none": 0.0, "short": 0.55 if part == "upper_arm" else 0.0, "long": 0.92}[look.sleeves]
        length = s.upper_arm if part == "upper_arm" else s.lower_arm
        img = np.where((ly < cover * length)[..., None] & (cover > 0), top, skin)
        return _shade(img, lx / s.arm_w)
    if part == "hand":
        return _shade(full(skin), lx / s.hand_w, 0.2)
    if part in ("thigh", "shin"):
        length = s.thigh if part == "thigh" else s.shin
        cover = {"trousers": 1.2, "shorts": 0.5 if part == "thigh" else 0.0, "skirt": 0.0}[look.bottom_kind]
        img = np.where((ly < cover * length)[..., None] & (cover > 0), bottom, legs)
        return _shade(img, lx / s.thigh_w)
    if part == "foot":
        img = full(shoes)
        img[ly > 0.8 * s.foot_len] *= 0.55  # sole
        img[(np.abs(lx) < 0.3 * s.foot_w) & (ly < 0.5 * s.foot_len) & (ly > 0.1 * s.foot_len)] = 235  # laces
        return _shade(img, lx / s.foot_w, 0.25)
    raise ValueError(f"unknown part '{name}'")


def _noise(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """Smooth value noise in -1..1, (H, W) float32."""
    grid = rng.uniform(-1.0, 1.0, (cells, max(2, cells * width // max(height, 1)))).astype(np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)


def paint_backdrop(b: Backdrop, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """The static background (H, W, 3) float32: wall and floor, a studio backdrop, or sky and ground."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) / height  # frame heights
    hz = b.horizon
    below = ys > hz
    depth = 1.0 / np.maximum(ys - hz, 0.02)  # floor seen in perspective from a camera at hip height
    fx, fz = (xs - 0.5 * width / height) * depth * 0.3, depth * 0.3
    fade = np.clip((ys - hz) / 0.15, 0.0, 1.0)[..., None]  # the pattern blurs to its mean towards the horizon
    floor = cv2.GaussianBlur(_pattern(b.floor, fx, fz, rng), (0, 0), 0.8)  # tames moire far away
    floor = fade * floor + (1.0 - fade) * floor[below].mean(0) if below.any() else floor
    floor = floor * (0.8 + 0.2 * np.clip(ys - hz, 0, 1)[..., None] / (1 - hz))
    if b.kind == "studio":
        wall = np.broadcast_to(np.array(b.wall.color, np.float32), ys.shape + (3,))
        wall = wall * (1.0 - 0.35 * np.hypot(xs / xs.max() - 0.5, ys - 0.35)[..., None])
        floor = wall * 0.85
    elif b.kind == "outdoor":
        sky = np.array(_hsv(rng.uniform(0.53, 0.62), rng.uniform(0.3, 0.7), rng.uniform(0.75, 1.0)), np.float32)
        wall = sky * (0.75 + 0.25 * (ys / hz)[..., None]) + 40.0 * (ys / hz)[..., None]
        phase = rng.uniform(0.0, 2.0 * np.pi, 3)
        ridge = hz - 0.08 - 0.05 * sum(np.sin(xs * f * 6.0 + p) for f, p in zip((1.0, 2.3, 5.1), phase)) / 3
        hills = np.array(_hsv(rng.uniform(0.25, 0.45), rng.uniform(0.2, 0.5), rng.uniform(0.3, 0.6)), np.float32)
        wall = np.where((ys > ridge)[..., None], hills, wall)
    else:
        wall = _pattern(b.wall, xs, ys, rng)
        for _ in range(int(rng.integers(0, 4))):  # pictures, windows and doors on the wall
            w_, h_ = rng.uniform(0.08, 0.3), rng.uniform(0.08, 0.35)
            x0, y0 = rng.uniform(0, width / height - w_), rng.uniform(0.05, max(0.06, hz - h_ - 0.02))
            inside = (xs > x0) & (xs < x0 + w_) & (ys > y0) & (ys < y0 + h_)
            frame = inside & ~((xs > x0 + 0.012) & (xs < x0 + w_ - 0.012) & (ys > y0 + 0.012) & (ys < y0 + h_ - 0.012))
            wall = np.where(inside[..., None], np.array(_color(rng), np.float32), wall)
            wall[frame] = np.array(_color(rng, v=(0.1, 0.5)), np.float32)
        wall[(ys > hz - 0.02) & ~below] *= 0.7  # skirting board
    img = np.where(below[..., None], floor, wall)
    img = img * (1.0 + 0.05 * _noise(rng, height, width, 12)[..., None])
    return np.clip(img, 0, 255).astype(np.float32)
