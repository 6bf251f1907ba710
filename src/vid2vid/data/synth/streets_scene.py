"""The layout of one `streets` clip: facade stretches and crossings (streets_facades.py), vehicles, street furniture,
people, camera path.

World frame: x to the right of the street axis, y up, z along the street (the camera drives towards +z); metres and
seconds. The road centre line is x = 0 and the ground is y = 0. Everything here is drawn once per clip from the clip's
generator; the renderer only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vid2vid.data import labels as L
from vid2vid.data.synth.streets_facades import CELL, Facades, draw_crossings, make_facades
from vid2vid.data.synth.streets_look import STYLE_BODY, STYLE_BUS, STYLE_CABIN, STYLE_CONTAINER, STYLE_WHEEL, City

PART_FIELDS = 9  # cu, cv, hu, hv, radius, label, r, g, b


@dataclass(frozen=True)
class Boxes:
    """Axis-aligned boxes (vehicle bodies, cabins, wheels) at time 0, each moving with its own velocity."""

    lo: np.ndarray  # (N, 3)
    hi: np.ndarray  # (N, 3)
    vel: np.ndarray  # (N, 3) m/s
    label: np.ndarray  # (N,)
    style: np.ndarray  # (N,) STYLE_*
    rgb: np.ndarray  # (N, 3)
    rear: np.ndarray  # (N,) +1 if the vehicle's rear is its -z face, -1 if it is the +z face


@dataclass(frozen=True)
class Cards:
    """Flat upright sprites in planes z = const (people, riders, trees, poles, signs, lights, bins).

    Each card is a stack of parts, rounded boxes in card coordinates (u, v) = (x - anchor x, y), listed card by card
    in painting order (a later part covers an earlier one).
    """

    pos: np.ndarray  # (M, 3) anchor (x, 0, z) at time 0
    vel: np.ndarray  # (M, 3) m/s
    part_card: np.ndarray  # (Q,) card of each part
    parts: np.ndarray  # (Q, PART_FIELDS) cu, cv, hu, hv, radius, label, r, g, b


@dataclass(frozen=True)
class Street:
    """Everything one clip renders."""

    city: City
    fps: float
    z_min: float  # z of table cell 0
    facades: Facades
    crossings: np.ndarray  # (K, 2) z ranges of cross streets (one far dummy when there are none)
    nearest_crossing: np.ndarray  # (n_cells,) index of the closest crossing
    boxes: Boxes
    cards: Cards
    cam_pos: np.ndarray  # (T, 3) camera centre per frame
    cam_yaw: np.ndarray  # (T,) heading, radians, positive turns right


class _Builder:
    """Collects boxes and cards while a clip is laid out."""

    def __init__(self, rng: np.random.Generator, city: City):
        self.rng, self.city = rng, city
        self.boxes: list[tuple] = []
        self.cards: list[tuple] = []

    def box(self, lo, hi, vel, label, style, rgb, rear):
        self.boxes.append((lo, hi, vel, label, style, rgb, rear))

    def vehicle(self, x: float, z: float, vz: float, facing: float, heavy_ok: bool = False) -> None:
        """A car (or, if ``heavy_ok``, sometimes a bus or truck) centred at (x, z), its front towards ``facing``."""
        rng, city = self.rng, self.city
        vel = (0.0, 0.0, vz)
        rgb = np.asarray(city.car_palette[rng.integers(len(city.car_palette))])
        rear = facing
        if heavy_ok and rng.random() < city.heavy:
            bus = rng.random() < 0.5
            w, ln = 2.5, rng.uniform(9, 12) if bus else rng.uniform(7, 9)
            lab = L.BUS if bus else L.TRUCK
            if bus:
                self.box((x - w / 2, 0.35, z - ln / 2), (x + w / 2, 3.1, z + ln / 2), vel, lab, STYLE_BUS, rgb, rear)
            else:
                cab = 2.2
                zc = z + facing * (ln / 2 - cab / 2)
                lo, hi = (x - w / 2, 0.4, zc - cab / 2), (x + w / 2, 2.8, zc + cab / 2)
                self.box(lo, hi, vel, lab, STYLE_BODY, rgb, rear)
                zb = z - facing * cab / 2
                light = np.clip(rng.uniform(0.6, 0.95, 3), 0, 1)
                lo, hi = (x - w / 2, 0.6, zb - (ln - cab) / 2 + 0.1), (x + w / 2, 3.4, zb + (ln - cab) / 2)
                self.box(lo, hi, vel, lab, STYLE_CONTAINER, light, rear)
            axles = (ln / 2 - 1.3, -(ln / 2 - 1.6))
            wheel_r = 0.5
        else:
            lab, w, ln = L.CAR, rng.uniform(1.7, 1.9), rng.uniform(3.9, 4.8)
            top = rng.uniform(0.95, 1.1)
            self.box((x - w / 2, 0.28, z - ln / 2), (x + w / 2, top, z + ln / 2), vel, lab, STYLE_BODY, rgb, rear)
            c0, c1 = z - ln / 2 + ln * (0.28 if facing > 0 else 0.2), z + ln / 2 - ln * (0.2 if facing > 0 else 0.28)
            roof = top + rng.uniform(0.45, 0.6)
            self.box((x - w / 2 + 0.1, top, c0), (x + w / 2 - 0.1, roof, c1), vel, lab, STYLE_CABIN, rgb, rear)
            axles = (ln / 2 - 0.8, -(ln / 2 - 0.85))
            wheel_r = 0.31
        for zc in axles:  # one box per axle: the wheels from the side, the dark underside from behind
            lo, hi = (x - w / 2 + 0.04, 0.0, z + zc - wheel_r), (x + w / 2 - 0.04, 2 * wheel_r, z + zc + wheel_r)
            self.box(lo, hi, vel, lab, STYLE_WHEEL, (0.07, 0.07, 0.08), rear)

    def card(self, x: float, z: float, vel: tuple, parts: list[tuple]) -> None:
        self.cards.append((x, z, vel, parts))

    def person(self, x: float, z: float, vz: float, label: int = L.PERSON, seated: bool = False) -> None:
        rng = self.rng
        s = rng.uniform(0.9, 1.1)
        skin = np.asarray(rng.choice([(0.95, 0.8, 0.65), (0.75, 0.55, 0.4), (0.45, 0.3, 0.2)]))
        shirt, pants = rng.uniform(0.05, 0.9, 3), rng.uniform(0.05, 0.5, 3)
        hip = 0.9 * s if not seated else 1.05
        parts = [
            (-0.1 * s, hip / 2, 0.075 * s, hip / 2, 0.06 * s, label, *pants),
            (0.1 * s, hip / 2, 0.075 * s, hip / 2, 0.06 * s, label, *pants),
            (0.0, hip + 0.3 * s, 0.2 * s, 0.33 * s, 0.08 * s, label, *shirt),
            (-0.26 * s, hip + 0.25 * s, 0.06 * s, 0.3 * s, 0.05 * s, label, *shirt * 0.85),
            (0.26 * s, hip + 0.25 * s, 0.06 * s, 0.3 * s, 0.05 * s, label, *shirt * 0.85),
            (0.0, hip + 0.77 * s, 0.11 * s, 0.13 * s, 0.1 * s, label, *skin),
            (0.0, hip + 0.86 * s, 0.115 * s, 0.06 * s, 0.05 * s, label, *rng.uniform(0.05, 0.4, 3)),
        ]
        if seated:  # legs down to the pedals; a bicycle or motorbike seen from behind
            bike = L.MOTORCYCLE if rng.random() < 0.4 else L.BICYCLE
            wide = 0.12 if bike == L.MOTORCYCLE else 0.04
            leg_c, leg_h = (hip + 0.4) / 2, (hip - 0.4) / 2
            parts[0] = (-0.14, leg_c, 0.07, leg_h, 0.06, label, *pants)
            parts[1] = (0.14, leg_c, 0.07, leg_h, 0.06, label, *pants)
            handlebar = (0.0, 1.0, 0.3, 0.03, 0.02, bike, 0.2, 0.2, 0.2)
            parts = [handlebar] + parts + [(0.0, 0.35, wide, 0.35, wide * 0.9, bike, 0.08, 0.08, 0.08)]
        self.card(x, z, (0.0, 0.0, vz), parts)

    def tree(self, x: float, z: float) -> None:
        rng, city = self.rng, self.city
        h = rng.uniform(4.5, 8.0)
        r = rng.uniform(1.5, 2.6)
        green = np.asarray(city.tree_rgb)
        parts = [(0.0, h / 2, 0.13, h / 2, 0.05, L.VEGETATION, 0.3, 0.22, 0.15)]
        for k in range(6):
            ang = k * 1.1 + rng.uniform(0, 0.5)
            cu, cv = 0.55 * r * np.cos(ang) * (k > 0), h + 0.45 * r * np.sin(ang) * (k > 0)
            rr = r * rng.uniform(0.55, 0.8)
            parts.append((cu, cv, rr, rr * 0.9, rr * 0.9, L.VEGETATION, *np.clip(green * rng.uniform(0.75, 1.2), 0, 1)))
        self.card(x, z, (0.0, 0.0, 0.0), parts)

    def pole(self, x: float, z: float, side: float) -> None:
        """A street light with its arm over the road (``side``: +1 on the right sidewalk)."""
        h, c = self.rng.uniform(6, 9), (0.35, 0.36, 0.38)
        parts = [
            (0.0, h / 2, 0.08, h / 2, 0.02, L.POLE, *c),
            (-side * 0.8, h - 0.05, 0.8, 0.05, 0.02, L.POLE, *c),
            (-side * 1.5, h - 0.15, 0.25, 0.08, 0.05, L.POLE, 0.9, 0.88, 0.7),
        ]
        self.card(x, z, (0.0, 0.0, 0.0), parts)

    def sign(self, x: float, z: float) -> None:
        rng = self.rng
        h = rng.uniform(2.2, 2.8)
        parts = [(0.0, h / 2, 0.04, h / 2, 0.01, L.POLE, 0.5, 0.5, 0.52)]
        kind = rng.integers(3)
        if kind == 0:  # round prohibition sign
            parts += [(0.0, h + 0.3, 0.32, 0.32, 0.32, L.TRAFFIC_SIGN, 0.85, 0.1, 0.1),
                      (0.0, h + 0.3, 0.24, 0.24, 0.24, L.TRAFFIC_SIGN, 0.95, 0.95, 0.95)]
        elif kind == 1:  # blue rectangle
            parts += [(0.0, h + 0.3, 0.3, 0.3, 0.03, L.TRAFFIC_SIGN, 0.1, 0.3, 0.75),
                      (0.0, h + 0.3, 0.12, 0.2, 0.03, L.TRAFFIC_SIGN, 0.95, 0.95, 0.95)]
        else:  # yellow diamond-ish warning sign
            parts += [(0.0, h + 0.3, 0.3, 0.3, 0.12, L.TRAFFIC_SIGN, 0.95, 0.8, 0.1),
                      (0.0, h + 0.3, 0.05, 0.16, 0.03, L.TRAFFIC_SIGN, 0.1, 0.1, 0.1)]
        self.card(x, z, (0.0, 0.0, 0.0), parts)

    def traffic_light(self, x: float, z: float) -> None:
        h = self.rng.uniform(2.6, 3.2)
        on = self.rng.integers(3)
        lamps = [((1.0, 0.15, 0.1), (0.3, 0.05, 0.05)), ((1.0, 0.75, 0.1), (0.3, 0.25, 0.05)),
                 ((0.2, 1.0, 0.4), (0.05, 0.25, 0.1))]
        parts = [(0.0, h / 2, 0.06, h / 2, 0.02, L.POLE, 0.3, 0.3, 0.3),
                 (0.0, h + 0.45, 0.17, 0.5, 0.05, L.TRAFFIC_LIGHT, 0.12, 0.12, 0.12)]
        for k, (bright, dark) in enumerate(lamps):
            parts.append((0.0, h + 0.8 - 0.32 * k, 0.1, 0.1, 0.1, L.TRAFFIC_LIGHT, *(bright if k == on else dark)))
        self.card(x, z, (0.0, 0.0, 0.0), parts)

    def bin(self, x: float, z: float) -> None:
        c = self.rng.uniform(0.1, 0.6, 3)
        self.card(x, z, (0.0, 0.0, 0.0), [(0.0, 0.45, 0.28, 0.45, 0.05, L.UNLABELED, *c),
                                           (0.0, 0.92, 0.31, 0.04, 0.02, L.UNLABELED, *(c * 0.7))])


def _pack_cards(cards: list[tuple]) -> Cards:
    pos = np.array([(x, 0.0, z) for x, z, _, _ in cards], np.float32).reshape(-1, 3)
    vel = np.array([v for _, _, v, _ in cards], np.float32).reshape(-1, 3)
    owner = np.concatenate([np.full(len(ps), i) for i, (_, _, _, ps) in enumerate(cards)] + [np.zeros(0)])
    parts = np.array([p for _, _, _, ps in cards for p in ps], np.float32).reshape(-1, PART_FIELDS)
    return Cards(pos=pos, vel=vel, part_card=owner.astype(np.int32), parts=parts)


def _pack_boxes(boxes: list[tuple]) -> Boxes:
    n = len(boxes)

    def col(i: int, dtype, width: int = 0) -> np.ndarray:
        return np.array([bx[i] for bx in boxes], dtype).reshape((n, width) if width else (n,))

    return Boxes(lo=col(0, np.float32, 3), hi=col(1, np.float32, 3), vel=col(2, np.float32, 3),
                 label=col(3, np.int32), style=col(4, np.int32), rgb=col(5, np.float32, 3), rear=col(6, np.float32))


def make_street(city: City, rng: np.random.Generator, n_frames: int, fps: float) -> Street:
    """Lay out one clip: a straight street with cross streets, traffic and furniture, and the camera's path."""
    speed = rng.uniform(*city.speed)
    duration = (n_frames - 1) / fps
    travel = speed * duration
    z_min, z_far = -40.0, travel + 700.0
    n_cells = int(np.ceil((z_far - z_min) / CELL))
    cross = draw_crossings(rng, city, 0.0, travel + 600.0)
    facades = make_facades(rng, city, z_min, n_cells, cross)
    crossings = np.array(cross if cross else [(1e6, 1e6 + 10)], np.float32)
    centres = (z_min + (np.arange(n_cells) + 0.5) * CELL)[:, None]
    dist = np.maximum(crossings[None, :, 0] - centres, centres - crossings[None, :, 1])
    nearest = np.argmin(dist, axis=1).astype(np.int32)

    def free(z: float, margin: float = 1.0) -> bool:
        return all(not (c0 - margin < z < c1 + margin) for c0, c1 in cross)

    b = _Builder(rng, city)
    drive = -1.0 if city.drive_left else 1.0
    lw, half = city.lane_width, city.road_half
    curb_x = half + city.curb  # start of lawn / sidewalk
    walk0, walk1 = curb_x + city.lawn, city.building_line
    z_obj = travel + 250.0  # objects further than this are sub-pixel
    lane = int(rng.integers(city.lanes))
    cam_x = drive * (lane + 0.5) * lw
    for side in (-1.0, 1.0):
        if city.parking > 0:  # parked cars along the curb
            z = rng.uniform(-30, -20)
            while z < z_obj:
                if free(z, 3.0) and rng.random() < city.parked:
                    b.vehicle(side * (half - 1.1), z, 0.0, drive * side)
                z += rng.uniform(5.5, 7.0)
        z = rng.uniform(-30, -30 + city.pole_spacing)
        while z < z_obj:
            if free(z):
                b.pole(side * (curb_x + 0.35), z, side)
            z += city.pole_spacing * rng.uniform(0.9, 1.1)
        if np.isfinite(city.tree_spacing):
            z = rng.uniform(-30, -30 + city.tree_spacing)
            tree_x = curb_x + (city.lawn / 2 if city.lawn > 0 else 0.9)
            while z < z_obj:
                if free(z, 2.0):
                    b.tree(side * tree_x, z)
                z += city.tree_spacing * rng.uniform(0.8, 1.2)
        for _ in range(rng.poisson(city.people * (z_obj + 30) / 100)):
            z = rng.uniform(-30, z_obj)
            x = side * rng.uniform(walk0 + 0.4, max(walk0 + 0.5, walk1 - 0.4))
            b.person(x, z, rng.choice([0.0, 1.0, -1.0]) * rng.uniform(0.8, 1.6))
        for _ in range(rng.poisson((z_obj + 30) / 60)):
            z = rng.uniform(-30, z_obj)
            if free(z):
                (b.sign if rng.random() < 0.7 else b.bin)(side * (curb_x + rng.uniform(0.3, 0.6)), z)
        for c0, c1 in cross:  # traffic lights at the near corners of every crossing
            b.traffic_light(side * (curb_x + 0.4), c0 - 1.0)
            b.traffic_light(side * (curb_x + 0.4), c1 + 1.0)
    gap = 100.0 / max(city.traffic / (2 * city.lanes), 0.05)  # mean distance between vehicles in one lane
    for k in range(city.lanes):  # moving traffic: each lane flows at one speed, so vehicles never overlap
        v = -speed * rng.uniform(0.7, 1.3)  # oncoming
        z = rng.uniform(-30, -30 + gap)
        while z < z_obj:
            b.vehicle(-drive * (k + 0.5) * lw, z, v, -1.0, heavy_ok=True)
            z += 14.0 + rng.exponential(gap)
        z = rng.uniform(20, 20 + gap)  # same direction: only ahead, and never caught up with in our lane
        v = speed * rng.uniform(0.6, 1.3)
        if k == lane:
            v = max(v, speed - (z - 16.0) / max(duration, 1e-6))
        while z < z_obj:
            b.vehicle(drive * (k + 0.5) * lw, z, v, 1.0, heavy_ok=True)
            z += 16.0 + rng.exponential(gap)
    for _ in range(rng.poisson(0.6)):  # a rider near the kerb, far enough ahead not to be caught
        v = rng.uniform(3.5, 6.0)
        z = 12.0 + max(0.0, speed - v) * duration + rng.uniform(0, 60)
        b.person(drive * (city.lanes * lw - 0.7), z, v * drive, label=L.RIDER, seated=True)

    t = np.arange(n_frames) / fps
    ph = rng.uniform(0, 2 * np.pi, 3)
    sway = rng.uniform(0.05, 0.35)
    pos = np.stack([cam_x + sway * np.sin(2 * np.pi * t / rng.uniform(3, 6) + ph[0]),
                    rng.uniform(1.3, 1.7) + 0.02 * np.sin(2 * np.pi * t * 1.7 + ph[1]), speed * t], axis=1)
    yaw = rng.uniform(-0.02, 0.02) + rng.uniform(0.005, 0.03) * np.sin(2 * np.pi * t / rng.uniform(2, 5) + ph[2])
    return Street(city=city, fps=fps, z_min=z_min, facades=facades, crossings=crossings, nearest_crossing=nearest,
                  boxes=_pack_boxes(b.boxes), cards=_pack_cards(b.cards), cam_pos=pos.astype(np.float64),
                  cam_yaw=yaw.astype(np.float64))
