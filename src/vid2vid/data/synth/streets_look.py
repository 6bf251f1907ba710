"""The look of one city (a `streets` domain) and the anti-aliased procedural textures of its surfaces.

Every texture is a function of a surface's own coordinates (metres) and is box-filtered over the pixel's footprint on
that surface (``fa``, ``fb``: metres per pixel), so distant patterns fade to their mean instead of shimmering and the
same surface point gets nearly the same colour from every viewpoint; that keeps the exact flow exact for warping.
No fog, no view-dependent shading: colours depend on the surface point only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from vid2vid.data import labels as L

if TYPE_CHECKING:
    from vid2vid.data.synth.streets_facades import Facades

RGB = tuple[float, float, float]
KIND_BUILDING, KIND_WALL, KIND_FENCE, KIND_GREEN = range(4)  # facade stretch kinds
STYLE_BODY, STYLE_CABIN, STYLE_WHEEL, STYLE_BUS, STYLE_CONTAINER = range(5)  # vehicle box styles
FILTER = 1.25  # filter width in pixels: a little over one pixel keeps bilinear warping close to the re-render


@dataclass(frozen=True)
class City:
    """One city's look and layout statistics: everything a clip of that city draws from."""

    architecture: str  # "oldtown" | "downtown" | "suburb" | "industrial" | "southern"
    lighting: str  # "sunny" | "overcast" | "golden" | "dusk"
    # street cross-section, metres
    lanes: int  # lanes per direction
    lane_width: float
    parking: float  # width of the parking strip on each side (0 = none)
    curb: float
    lawn: float  # grass strip between curb and sidewalk (0 = none)
    sidewalk: float
    back_depth: float  # distance from the front building line to the second row of buildings
    drive_left: bool
    # ground look
    road_rgb: RGB
    marking_rgb: RGB
    dashed_center: bool
    sidewalk_rgb: RGB
    curb_rgb: RGB
    terrain_rgb: RGB
    tile: float  # sidewalk tile size, metres
    # buildings
    facades: tuple[RGB, ...]
    floor_height: float
    floors: tuple[int, int]  # range of upper floors
    bay: float  # window spacing along a facade
    window_w: float  # window width as a fraction of the bay
    window_h: float  # window height as a fraction of the floor
    window_rgb: RGB
    window_lit: float  # fraction of lit windows
    cornice: float  # darkening of the floor bands, 0..1
    gap_rate: float  # chance of a gap (wall, fence, hedge or nothing) after a building
    back_green: float  # chance a back-row stretch is a tree line
    # street furniture and traffic
    tree_spacing: float  # metres between street trees (inf = none)
    tree_rgb: RGB
    parked: float  # fraction of the curb taken by parked cars
    traffic: float  # moving vehicles per 100 m
    people: float  # pedestrians per 100 m of sidewalk
    pole_spacing: float
    car_palette: tuple[RGB, ...]
    heavy: float  # fraction of vehicles that are trucks or buses
    # light
    sky_horizon: RGB
    sky_zenith: RGB
    clouds: float
    roof_rgb: RGB  # gable roofs
    tint: RGB  # global lighting colour (multiplies everything)
    sun: float  # -1..1: which facade side is lit (left < 0 < right), 0 = overcast
    speed: tuple[float, float]  # camera speed range, m/s

    @property
    def road_half(self) -> float:
        """Half-width of the carriageway (lanes plus parking strip), metres."""
        return self.lanes * self.lane_width + self.parking

    @property
    def building_line(self) -> float:
        """Distance from the road centre to the front facades, metres."""
        return self.road_half + self.curb + self.lawn + self.sidewalk


_ARCH = {  # per architecture: facade base colours, floors, floor height, bay, window w/h, gap, greenery
    "oldtown": (((0.85, 0.7, 0.45), (0.9, 0.85, 0.7), (0.75, 0.45, 0.35), (0.8, 0.75, 0.55), (0.6, 0.65, 0.55)),
                (2, 4), 3.2, 2.4, 0.4, 0.5, 0.15, 0.4),
    "downtown": (((0.55, 0.58, 0.62), (0.35, 0.42, 0.5), (0.7, 0.7, 0.68), (0.45, 0.45, 0.48), (0.6, 0.55, 0.5)),
                 (6, 14), 3.6, 1.6, 0.7, 0.65, 0.1, 0.1),
    "suburb": (((0.92, 0.92, 0.88), (0.7, 0.8, 0.88), (0.8, 0.65, 0.5), (0.85, 0.85, 0.7), (0.6, 0.7, 0.6)),
               (0, 1), 3.0, 3.0, 0.35, 0.45, 0.6, 0.7),
    "industrial": (((0.55, 0.28, 0.2), (0.5, 0.35, 0.28), (0.6, 0.6, 0.58), (0.42, 0.3, 0.25), (0.5, 0.5, 0.45)),
                   (1, 4), 4.2, 3.5, 0.55, 0.4, 0.4, 0.2),
    "southern": (((0.95, 0.92, 0.85), (0.9, 0.8, 0.6), (0.85, 0.75, 0.6), (0.95, 0.85, 0.75), (0.75, 0.85, 0.85)),
                 (0, 3), 3.0, 2.8, 0.3, 0.4, 0.3, 0.3),
}
_LIGHT = {  # sky horizon, sky zenith, tint, clouds, sun strength, lit windows
    "sunny": ((0.75, 0.85, 0.95), (0.25, 0.5, 0.9), (1.05, 1.02, 0.97), 0.35, 0.25, 0.0),
    "overcast": ((0.8, 0.8, 0.82), (0.6, 0.62, 0.66), (0.85, 0.87, 0.9), 0.7, 0.0, 0.05),
    "golden": ((1.0, 0.75, 0.45), (0.45, 0.5, 0.75), (1.1, 0.92, 0.75), 0.4, 0.35, 0.1),
    "dusk": ((0.55, 0.4, 0.5), (0.08, 0.1, 0.25), (0.55, 0.55, 0.7), 0.2, 0.0, 0.55),
}


def _jitter(rng: np.random.Generator, rgb, amount: float) -> RGB:
    c = np.asarray(rgb, dtype=np.float64) * (1 + rng.uniform(-amount, amount)) + rng.normal(0, amount / 2, 3)
    c = np.clip(c, 0, 1)
    return (float(c[0]), float(c[1]), float(c[2]))


def make_city(rng: np.random.Generator) -> City:
    """Draw a city: an architecture and a lighting style, each jittered, so two cities rarely look alike."""
    arch = str(rng.choice(list(_ARCH)))
    light = str(rng.choice(list(_LIGHT)))
    palette, floors, floor_h, bay, win_w, win_h, gap, green = _ARCH[arch]
    horizon, zenith, tint, clouds, sun, lit = _LIGHT[light]
    hue = rng.normal(0, 0.08, 3)  # one colour cast shared by the whole palette
    facades = tuple(_jitter(rng, np.clip(np.asarray(c) + hue, 0, 1), 0.12) for c in palette)
    wide = arch == "downtown"
    glass = (0.15, 0.2, 0.28) if rng.random() < 0.6 else (0.35, 0.45, 0.55)
    grey = rng.uniform(0.22, 0.42)
    green_rgb = _jitter(rng, (0.22, 0.42, 0.15) if arch != "southern" else (0.35, 0.45, 0.2), 0.2)
    cars = tuple(_jitter(rng, c, 0.1) for c in rng.choice(
        [(0.8, 0.1, 0.1), (0.1, 0.2, 0.6), (0.9, 0.9, 0.9), (0.1, 0.1, 0.1), (0.5, 0.5, 0.55), (0.9, 0.75, 0.2),
         (0.2, 0.45, 0.3), (0.75, 0.75, 0.8)], size=5, replace=False))
    return City(
        architecture=arch,
        lighting=light,
        lanes=int(rng.integers(2, 3)) if wide else 1,
        lane_width=float(rng.uniform(3.0, 3.6)),
        parking=float(rng.choice([0.0, 2.2])) if arch != "suburb" else 0.0,
        curb=float(rng.uniform(0.15, 0.3)),
        lawn=float(rng.uniform(1.0, 2.5)) if arch in ("suburb", "southern") or rng.random() < 0.2 else 0.0,
        sidewalk=float(rng.uniform(2.5, 5.0)) if arch != "suburb" else float(rng.uniform(1.2, 2.0)),
        back_depth=float(rng.uniform(10.0, 25.0)),
        drive_left=bool(rng.random() < 0.25),
        road_rgb=_jitter(rng, (grey, grey, grey * rng.uniform(1.0, 1.15)), 0.05),
        marking_rgb=(0.95, 0.95, 0.92) if rng.random() < 0.7 else (0.95, 0.8, 0.2),
        dashed_center=bool(rng.random() < 0.7),
        sidewalk_rgb=_jitter(rng, rng.choice([(0.65, 0.63, 0.6), (0.6, 0.45, 0.4), (0.75, 0.72, 0.62)]), 0.1),
        curb_rgb=_jitter(rng, (0.7, 0.7, 0.68), 0.05),
        terrain_rgb=_jitter(rng, (0.4, 0.55, 0.25) if arch != "southern" else (0.7, 0.6, 0.4), 0.15),
        tile=float(rng.uniform(0.3, 0.9)),
        facades=facades,
        floor_height=float(floor_h * rng.uniform(0.92, 1.08)),
        floors=floors,
        bay=float(bay * rng.uniform(0.85, 1.2)),
        window_w=float(np.clip(win_w * rng.uniform(0.8, 1.25), 0.2, 0.85)),
        window_h=float(np.clip(win_h * rng.uniform(0.85, 1.2), 0.25, 0.8)),
        window_rgb=_jitter(rng, glass, 0.1),
        window_lit=float(lit * rng.uniform(0.7, 1.0)),
        cornice=float(rng.uniform(0.0, 0.3)),
        gap_rate=float(gap * rng.uniform(0.7, 1.3)),
        back_green=float(green * rng.uniform(0.6, 1.2)),
        tree_spacing=float(rng.uniform(7, 14) / green) if rng.random() < 0.85 else float("inf"),
        tree_rgb=green_rgb,
        parked=float(rng.uniform(0.2, 0.7)) if arch != "suburb" else float(rng.uniform(0.0, 0.2)),
        traffic=float(rng.uniform(1.0, 5.0) * (2 if wide else 1)),
        people=float(rng.uniform(2, 8) * (2 if arch in ("oldtown", "downtown") else 0.5)),
        pole_spacing=float(rng.uniform(18, 35)),
        car_palette=cars,
        heavy=float(rng.uniform(0.05, 0.25) * (2 if arch in ("industrial", "downtown") else 1)),
        sky_horizon=_jitter(rng, horizon, 0.06),
        sky_zenith=_jitter(rng, zenith, 0.08),
        clouds=float(clouds * rng.uniform(0.5, 1.3)),
        roof_rgb=_jitter(rng, (0.6, 0.25, 0.15) if rng.random() < 0.6 else (0.3, 0.3, 0.33), 0.1),
        tint=_jitter(rng, tint, 0.04),
        sun=float(sun * rng.choice([-1.0, 1.0]) * rng.uniform(0.7, 1.2)),
        speed=(5.0, 9.0) if not wide else (7.0, 13.0),
    )


# ----- box-filtered primitives: value in [0, 1] = fraction of [x - w/2, x + w/2] covered by the pattern -----


def clip01(x: np.ndarray) -> np.ndarray:
    """``np.clip(x, 0, 1)`` without its overhead (it matters at this many calls per frame)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


def box1(x: np.ndarray, a, b, w: np.ndarray) -> np.ndarray:
    """Filtered indicator of the interval [a, b]."""
    return clip01((np.minimum(x + w / 2, b) - np.maximum(x - w / 2, a)) / w)


def pulses(x: np.ndarray, period, start, width, w: np.ndarray) -> np.ndarray:
    """Filtered pulse train: intervals [start + k*period, start + width + k*period] for every integer k."""

    def integral(s):
        s = s - start
        k = np.floor(s / period)
        return k * width + np.minimum(np.maximum(s - k * period, 0.0), width)

    return (integral(x + w / 2) - integral(x - w / 2)) / w


def fade(w: np.ndarray, scale) -> np.ndarray:
    """Contrast left for a pattern of size ``scale`` seen through footprint ``w``: 1 when sharp, 0 when sub-pixel."""
    return clip01(1.5 - 2.0 * w / scale)


_NOISE = np.random.default_rng(12345).random(64 * 64).astype(np.float32)


def noise(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Smooth value noise in [-0.5, 0.5] with one feature per unit; fixed table, no global random state."""
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    ix, iy = x0.astype(np.int32) & 63, (y0.astype(np.int32) & 63) * 64
    jx, jy = (ix + 1) & 63, (iy + 64) & 4095
    top = _NOISE.take(iy + ix) * (1 - fx) + _NOISE.take(iy + jx) * fx
    bottom = _NOISE.take(jy + ix) * (1 - fx) + _NOISE.take(jy + jx) * fx
    return top * (1 - fy) + bottom * fy - 0.5


def cell_hash(i: np.ndarray, j: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """A pseudo-random number in [0, 1) per integer cell (i, j) and seed."""
    h = (i.astype(np.int64) * 73856093) ^ (j.astype(np.int64) * 19349663) ^ (seed.astype(np.int64) * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    return ((h >> 8) & 0xFFFF).astype(np.float32) / 65536.0


def mix(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-pixel blend of colours (N, 3) by weights (N,)."""
    return a + (b - a) * t[:, None]


def sky_colours(city: City, dx: np.ndarray, dy: np.ndarray, dz: np.ndarray) -> np.ndarray:
    """Sky colour (N, 3) for world ray directions: a gradient in elevation plus clouds fixed to directions."""
    norm = np.sqrt(dx * dx + dy * dy + dz * dz)
    el = clip01(dy / norm)
    s = np.sqrt(clip01(el / 0.6))
    rgb = mix(np.asarray(city.sky_horizon, np.float32)[None], np.asarray(city.sky_zenith, np.float32)[None], s)
    up = np.flatnonzero(el > 0.06)  # clouds fade out towards the horizon, where their pattern would alias
    inv = 1.0 / dy[up]
    c = noise(dx[up] * inv * 1.5 + 7.0, dz[up] * inv * 0.6)
    amount = clip01((c + 0.1) * 2.5) * city.clouds * clip01((el[up] - 0.06) / 0.15)
    cloud = np.asarray(city.sky_horizon, np.float32) * 0.5 + 0.5
    rgb[up] = mix(rgb[up], np.broadcast_to(cloud, (len(up), 3)), amount.astype(np.float32))
    return rgb


def _c(rgb) -> np.ndarray:
    return np.asarray(rgb, np.float32)[None]


def _filtered_profile(x: np.ndarray, w: np.ndarray, edges, values) -> np.ndarray:
    """Box filter (width ``w``) of a cross-section symmetric in ``x``: ``values[k]`` for
    ``edges[k-1] <= |x| < edges[k]``.

    Exact: the profile is a sum of steps at +-edges, and a box-filtered step is a linear ramp. Returns (N, channels).
    """
    vals = np.asarray(values, np.float32)
    out = np.broadcast_to(vals[0], (len(x), vals.shape[1])).copy()
    for k, e in enumerate(edges):
        ramp = clip01((x - e) / w + 0.5) + clip01((-x - e) / w + 0.5)
        out += ramp[:, None] * (vals[k + 1] - vals[k])
    return out


def ground_colours(city: City, x, z, fx, fz, c0, c1) -> tuple[np.ndarray, np.ndarray]:
    """Ground colour (N, 3) and label (N,) at points (x, z) seen with footprints (fx, fz); crossing [c0, c1] nearest."""
    a = np.abs(x)
    half, lw = city.road_half, city.lane_width
    curb_x = half + city.curb
    walk0, line = curb_x + city.lawn, city.building_line
    zone = np.searchsorted(np.array([half, curb_x, walk0, line], np.float32), a, side="right")
    lab = np.array([L.ROAD, L.SIDEWALK, L.TERRAIN, L.SIDEWALK, L.TERRAIN], np.uint8).take(zone)
    lab[(z >= c0) & (z < c1)] = L.ROAD
    # cross-section road | curb | lawn | sidewalk | terrain behind the building line; 4th channel: mottling amount
    zones = [(*city.road_rgb, 0.25), (*city.curb_rgb, 0.0), (*city.terrain_rgb, 0.5), (*city.sidewalk_rgb, 0.0),
             (*city.terrain_rgb, 0.5)]
    prof = _filtered_profile(x, fx, (half, curb_x, walk0, line), zones)
    cross = box1(z, c0, c1, fz)
    prof = prof + (np.array([[*city.road_rgb, 0.25]], np.float32) - prof) * cross[:, None]
    mottle = noise(x / 2.5, z / 2.5) * fade(np.maximum(fx, fz), 2.5)
    walk = box1(a, walk0, line, fx) * (1 - cross)
    tiles = np.minimum(pulses(a - walk0, city.tile, 0, 0.03, fx) + pulses(z, city.tile, 0, 0.03, fz), 1.0)
    col = prof[:, :3] * (1 + prof[:, 3] * mottle - 0.3 * walk * tiles)[:, None]
    dash = pulses(z, 9.0, 0.0, 3.0, fz) if city.dashed_center else 1.0
    marks = box1(x, -0.08, 0.08, fx) * dash + box1(a, city.lanes * lw - 0.2, city.lanes * lw - 0.08, fx)
    if city.lanes > 1:
        marks = marks + box1(a, lw - 0.07, lw + 0.07, fx) * pulses(z, 9.0, 4.0, 3.0, fz)
    zebra = pulses(x, 1.0, 0.25, 0.5, fx) * box1(a, 0, half - 0.3, fx)
    zebra = zebra * (box1(z, c0 - 4, c0 - 1, fz) + box1(z, c1 + 1, c1 + 4, fz))
    marks = clip01(marks * (1 - cross) + zebra) * 0.85
    return mix(col, np.broadcast_to(_c(city.marking_rgb), col.shape), marks), lab


def facade_colours(city: City, fac: Facades, seg, z, y, fz, fy) -> np.ndarray:
    """Colour (N, 3) of facade stretches ``seg`` at (z, y): floors, windows, shop fronts, walls, fences, hedges."""
    z0, z1, h = fac.z0[seg], fac.z1[seg], fac.height[seg]
    nb = np.where(z - z0 < z1 - z, fac.prev[seg], fac.next[seg])
    base = mix(fac.rgb[nb], fac.rgb[seg], box1(z, z0, z1, fz))  # filtered seam between neighbours
    kind = fac.kind[seg]
    has = fac.bay[seg] > 0
    bay, fh = np.where(has, fac.bay[seg], 1.0), np.where(has, fac.floor_h[seg], 1.0)
    ww, wh, gh = fac.window_w[seg], fac.window_h[seg] * fh, fac.ground_h[seg]
    off = z0 + np.mod(z1 - z0, bay) / 2
    inner = box1(z, z0 + 0.6, z1 - 0.6, fz) * has
    win = pulses(z - off, bay, (bay - ww) / 2, ww, fz) * pulses(y - gh, fh, (fh - wh) * 0.55, wh, fy)
    win = win * box1(y, gh, h - 0.5, fy) * inner
    hsh = cell_hash(np.floor((z - off) / bay), np.floor((y - gh) / fh), seg)
    lit_rgb, glass = np.array([1.0, 0.85, 0.55], np.float32), _c(city.window_rgb)
    lit = (hsh > 1 - city.window_lit).astype(np.float32)
    own = mix(glass * (0.7 + 0.6 * hsh)[:, None], np.broadcast_to(lit_rgb, glass.shape), lit)
    mean = glass * (1 - city.window_lit) + lit_rgb * city.window_lit
    wcol = mean + (own - mean) * fade(np.maximum(fz, fy), np.minimum(bay, fh) * 0.5)[:, None]
    shop = pulses(z - off, 2 * bay, 0.35, 2 * bay - 0.7, fz) * box1(y, 0.5, gh - 0.6, fy) * inner * fac.shop[seg]
    band = (pulses(y - gh, fh, -0.12, 0.24, fy) * box1(y, gh - 0.2, h, fy) + box1(y, h - 0.35, h, fy)) * has
    col = base * (1 - city.cornice * band)[:, None]
    col = mix(col, _c(city.roof_rgb), box1(y, h, 1e4, fy) * (fac.gable[seg] > 0))
    col = mix(mix(col, wcol, win), mean * 0.8, shop)
    grain = noise(z / 1.5, y / 1.5) * fade(np.maximum(fz, fy), 1.5) * np.where(kind == KIND_GREEN, 0.7, 0.15)
    courses = (kind == KIND_WALL) * pulses(y, 0.3, 0, 0.03, fy)  # masonry joints
    planks = (kind == KIND_FENCE) * pulses(z, 0.16, 0, 0.03, fz)
    rough = grain - 0.2 * courses - 0.35 * planks
    return col * (1 + rough)[:, None]


def box_colours(style, axis, a, b, la, lb, fa, fb, rgb, rear_face) -> np.ndarray:
    """Colour (N, 3) of vehicle box faces; (a, b) face coordinates from the low corner, (la, lb) face size.

    ``axis``: 0 side face (a along z), 1 top, 2 front/back face (a along x); ``rear_face``: the face is the rear.
    """
    side, end = (axis == 0).astype(np.float32), (axis == 2).astype(np.float32)
    glass = np.array([0.08, 0.1, 0.13], np.float32)
    light = np.where(rear_face[:, None], _c((0.8, 0.05, 0.05)), _c((1.0, 0.95, 0.8)))
    small = fade(np.maximum(fa, fb), 0.18) * end  # lamps and plate fade out before they shrink below a pixel
    lamps = (box1(a, 0.12, 0.4, fa) + box1(a, la - 0.4, la - 0.12, fa)) * box1(b, lb - 0.32, lb - 0.14, fb) * small
    plate = box1(a, la / 2 - 0.26, la / 2 + 0.26, fa) * box1(b, 0.1, 0.28, fb) * small
    trim = 0.3 * box1(b, 0.0, 0.12, fb) * side + 0.4 * box1(a, la / 2 - 0.02, la / 2 + 0.02, fa) * side
    body = (style == STYLE_BODY) | (style == STYLE_CONTAINER)
    col = rgb * (1 - trim * body - 0.2 * (style == STYLE_CONTAINER) * side * pulses(a, 0.6, 0, 0.08, fa))[:, None]
    col = mix(col, light, lamps * (style == STYLE_BODY))
    col = mix(col, np.broadcast_to(np.float32(0.9), col.shape), plate * (style == STYLE_BODY))
    window = box1(a, 0.08, la - 0.08, fa) * box1(b, 0.06, lb - 0.06, fb) * (axis != 1) * (style == STYLE_CABIN)
    window = window + (style == STYLE_BUS) * (
        side * box1(b, lb * 0.45, lb * 0.85, fb) * pulses(a, 1.4, 0.15, 1.1, fa) * box1(a, 0.3, la - 0.3, fa)
        + end * box1(b, lb * 0.4, lb * 0.9, fb) * box1(a, 0.15, la - 0.15, fa))
    col = mix(col, np.broadcast_to(glass, col.shape), clip01(window))
    col = np.where((style == STYLE_WHEEL)[:, None], rgb, col)
    shade = np.where(axis == 1, 1.1, np.where(axis == 2, 0.9, 1.0)).astype(np.float32)
    return col * shade[:, None]
