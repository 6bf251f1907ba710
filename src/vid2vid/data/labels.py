"""The Cityscapes-style street label set (the 19 Cityscapes train classes plus one "unlabeled" id).

Ids 0..18 are the Cityscapes trainIds in their usual order; id 19 (``UNLABELED``) holds everything else (bins,
bollards, benches: Cityscapes' ignored "static" things). Street semantic maps are (H, W, 1) uint8 arrays of these ids;
models one-hot them into ``NUM_STREET_LABELS`` channels.
"""

from __future__ import annotations

import numpy as np

STREET_LABELS: tuple[str, ...] = (
    "road",
    "sidewalk",
    "building",
    "wall",
    "fence",
    "pole",
    "traffic light",
    "traffic sign",
    "vegetation",
    "terrain",
    "sky",
    "person",
    "rider",
    "car",
    "truck",
    "bus",
    "train",
    "motorcycle",
    "bicycle",
    "unlabeled",
)
NUM_STREET_LABELS = len(STREET_LABELS)  # 20
UNLABELED = 19

# Named ids, for renderers and metrics that refer to one class.
ROAD, SIDEWALK, BUILDING, WALL, FENCE, POLE, TRAFFIC_LIGHT, TRAFFIC_SIGN = range(8)
VEGETATION, TERRAIN, SKY, PERSON, RIDER, CAR, TRUCK, BUS, TRAIN, MOTORCYCLE, BICYCLE = range(8, 19)

# The usual Cityscapes visualisation colours (RGB), unlabeled black.
STREET_COLORS = np.array(
    [
        (128, 64, 128),
        (244, 35, 232),
        (70, 70, 70),
        (102, 102, 156),
        (190, 153, 153),
        (153, 153, 153),
        (250, 170, 30),
        (220, 220, 0),
        (107, 142, 35),
        (152, 251, 152),
        (70, 130, 180),
        (220, 20, 60),
        (255, 0, 0),
        (0, 0, 142),
        (0, 0, 70),
        (0, 60, 100),
        (0, 80, 100),
        (0, 0, 230),
        (119, 11, 32),
        (0, 0, 0),
    ],
    dtype=np.uint8,
)


def colorize_labels(ids: np.ndarray) -> np.ndarray:
    """Label ids (H, W) or (H, W, 1), any integer dtype -> (H, W, 3) uint8 RGB; out-of-range ids show as unlabeled."""
    ids = np.asarray(ids)
    if ids.ndim == 3 and ids.shape[-1] == 1:
        ids = ids[..., 0]
    ids = np.where((ids >= 0) & (ids < NUM_STREET_LABELS), ids, UNLABELED)
    return STREET_COLORS[ids]
