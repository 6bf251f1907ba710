"""The facades of one `streets` clip: vertical stretches of buildings, walls, fences and green on four planes along the
street, interrupted by cross streets; drawn once per clip (``make_facades``), read by the renderer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vid2vid.data import labels as L
from vid2vid.data.synth.streets_look import KIND_BUILDING, KIND_FENCE, KIND_GREEN, KIND_WALL, City

CELL = 0.25  # metres per entry of the z lookup tables; every facade and crossing boundary lies on this grid


@dataclass(frozen=True)
class Facades:
    """Vertical stretches on four planes x = offset[p] (left front, left back, right front, right back)."""

    offset: np.ndarray  # (4,) plane x
    plane: np.ndarray  # (S,) plane of each stretch
    table: np.ndarray  # (4, n_cells) int32 stretch index per z cell, -1 = open
    z0: np.ndarray  # (S,) start
    z1: np.ndarray  # (S,) end
    height: np.ndarray  # (S,)
    label: np.ndarray  # (S,) int label id
    kind: np.ndarray  # (S,) KIND_*
    rgb: np.ndarray  # (S, 3) base colour
    prev: np.ndarray  # (S,) adjacent stretch before z0 on the same plane, or itself
    next: np.ndarray  # (S,) adjacent stretch after z1, or itself
    bay: np.ndarray  # (S,) window spacing (0 = no windows)
    window_w: np.ndarray  # (S,) metres
    window_h: np.ndarray  # (S,) fraction of a floor
    floor_h: np.ndarray  # (S,)
    ground_h: np.ndarray  # (S,) ground-floor height
    shop: np.ndarray  # (S,) 1 where the ground floor has shop windows
    gable: np.ndarray  # (S,) height of a gable roof above ``height`` (0 = flat roof)


def _q(z: float) -> float:
    return round(z / CELL) * CELL


def draw_crossings(rng: np.random.Generator, city: City, z0: float, z1: float) -> list[tuple[float, float]]:
    """(start, end) z of the cross streets between ``z0`` and ``z1``, on the CELL grid."""
    out, z = [], z0 + rng.uniform(15, 90)
    while z < z1:
        width = _q(rng.uniform(9, 14) if city.architecture != "suburb" else rng.uniform(7, 10))
        out.append((_q(z), _q(z) + width))
        z += width + rng.uniform(50, 130)
    return out


def make_facades(rng: np.random.Generator, city: City, z_min: float, n_cells: int, crossings) -> Facades:
    """The stretches of the four facade planes over ``n_cells`` z cells from ``z_min``, open at the ``crossings``."""
    b, d = city.building_line, city.back_depth
    table = np.full((4, n_cells), -1, np.int32)
    rows: list[dict] = []
    pal = np.asarray(city.facades)
    blocks, z = [], z_min  # the stretches between crossings
    for c0, c1 in crossings:
        blocks.append((z, c0))
        z = c1
    blocks.append((z, z_min + n_cells * CELL))
    long_ = {"downtown": (15, 40), "suburb": (8, 14), "oldtown": (6, 18)}.get(city.architecture, (8, 28))
    for plane in range(4):
        back = plane % 2 == 1
        for a, e in blocks:
            z = a
            while z < e - 0.5:
                if back and rng.random() < city.back_green:
                    ln, h, kind, lab = rng.uniform(10, 40), rng.uniform(6, 13), KIND_GREEN, L.VEGETATION
                else:
                    ln = rng.uniform(*long_) * (1.5 if back else 1.0)
                    lo, hi = city.floors
                    floors = int(rng.integers(lo, hi + 1)) + (int(rng.integers(0, 4)) if back else 0)
                    h, kind, lab = city.floor_height * (1.25 + floors) + rng.uniform(0, 1.0), KIND_BUILDING, L.BUILDING
                end = min(_q(z + ln), _q(e))
                if end - z >= 2.0:
                    rows.append(dict(plane=plane, z0=_q(z), z1=end, h=h, kind=kind, label=lab))
                z = end
                if not back and rng.random() < city.gap_rate and z < e - 3:
                    gap_end = min(_q(z + rng.uniform(3, 10)), _q(e))
                    kind = int(rng.choice([KIND_WALL, KIND_FENCE, KIND_GREEN, -1]))
                    if kind >= 0:
                        lab = {KIND_WALL: L.WALL, KIND_FENCE: L.FENCE, KIND_GREEN: L.VEGETATION}[kind]
                        rows.append(dict(plane=plane, z0=z, z1=gap_end, h=rng.uniform(1.0, 2.2), kind=kind, label=lab))
                    z = gap_end
    n = len(rows)
    rgb = np.zeros((n, 3), np.float32)
    prev, nxt = np.arange(n), np.arange(n)
    bay, win_w, win_h, floor_h, ground_h, shop, gable = (np.zeros(n, np.float32) for _ in range(7))
    gable_rate = {"suburb": 0.8, "oldtown": 0.35, "southern": 0.1}.get(city.architecture, 0.0)
    green = np.asarray(city.tree_rgb, np.float32)
    for i, r in enumerate(rows):
        c0, c1 = int(round((r["z0"] - z_min) / CELL)), int(round((r["z1"] - z_min) / CELL))
        table[r["plane"], c0:c1] = i
        if i > 0 and rows[i - 1]["plane"] == r["plane"] and rows[i - 1]["z1"] == r["z0"]:
            prev[i], nxt[i - 1] = i - 1, i
        if r["kind"] == KIND_BUILDING:
            rgb[i] = np.clip(pal[rng.integers(len(pal))] * rng.uniform(0.85, 1.1), 0, 1)
            bay[i] = city.bay * rng.uniform(0.9, 1.1)
            win_w[i] = bay[i] * city.window_w * rng.uniform(0.85, 1.1)
            win_h[i] = city.window_h * rng.uniform(0.9, 1.1)
            floor_h[i] = city.floor_height
            ground_h[i] = city.floor_height * 1.25
            shop[i] = float(rng.random() < (0.7 if city.architecture in ("oldtown", "downtown") else 0.2))
            if rng.random() < gable_rate and r["plane"] % 2 == 0:
                gable[i] = min(0.4 * (r["z1"] - r["z0"]), rng.uniform(2.0, 4.0))
        elif r["kind"] == KIND_GREEN:
            rgb[i] = np.clip(green * rng.uniform(0.7, 1.0), 0, 1)
        elif r["kind"] == KIND_WALL:
            rgb[i] = np.clip(pal[rng.integers(len(pal))] * 0.8, 0, 1)
        else:
            rgb[i] = (0.45, 0.33, 0.22) if rng.random() < 0.5 else (0.55, 0.57, 0.58)
    def col(key: str, dtype=np.float32) -> np.ndarray:
        return np.array([r[key] for r in rows], dtype)

    return Facades(
        offset=np.array([-b, -b - d, b, b + d], np.float32), plane=col("plane", np.int32), table=table,
        z0=col("z0"), z1=col("z1"), height=col("h"), label=col("label", np.int32), kind=col("kind", np.int32),
        rgb=rgb, prev=prev, next=nxt, bay=bay, window_w=win_w, window_h=win_h, floor_h=floor_h, ground_h=ground_h,
        shop=shop, gable=gable,
    )
