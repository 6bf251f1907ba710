"""Frames for users to look at: side-by-side layouts and attention maps (which example fed which region)."""

from __future__ import annotations

import cv2
import numpy as np

# distinct colours for examples 1..K in attention maps
EXAMPLE_COLOURS = np.array([(230, 25, 75), (60, 180, 75), (0, 130, 200), (255, 225, 25), (145, 30, 180),
                            (70, 240, 240), (240, 50, 230), (250, 190, 190)], np.float32)


def example_strip(examples: list[np.ndarray], height: int) -> np.ndarray:
    """The K examples stacked vertically into one column of the given height."""
    k = len(examples)
    tile_h = height // k
    h, w = examples[0].shape[:2]
    tile_w = max(1, round(w * tile_h / h))
    tiles = [cv2.resize(e, (tile_w, tile_h), interpolation=cv2.INTER_AREA) for e in examples]
    column = np.concatenate(tiles, axis=0)
    return np.pad(column, ((0, height - column.shape[0]), (0, 0), (0, 0)))


def side_by_side(driving: np.ndarray, examples: list[np.ndarray], output: np.ndarray) -> np.ndarray:
    """driving | examples | output, all at the output's height."""
    parts = [driving]
    if examples:
        parts.append(example_strip(examples, output.shape[0]))
    parts.append(output)
    return np.concatenate(parts, axis=1)


def attention_picture(attention: np.ndarray, height: int, width: int) -> np.ndarray:
    """(K, h, w) attention shares -> (H, W, 3) uint8: each region coloured by the examples it draws from."""
    k = attention.shape[0]
    colours = EXAMPLE_COLOURS[np.arange(k) % len(EXAMPLE_COLOURS)]
    share = attention / np.maximum(attention.sum(0, keepdims=True), 1e-8)
    rgb = np.einsum("khw,kc->hwc", share, colours)
    return cv2.resize(rgb.clip(0, 255).astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR)


def with_legend(picture: np.ndarray, examples: list[np.ndarray]) -> np.ndarray:
    """Attention picture next to the examples, each framed in its colour."""
    framed = []
    for i, e in enumerate(examples):
        c = tuple(int(v) for v in EXAMPLE_COLOURS[i % len(EXAMPLE_COLOURS)])
        framed.append(cv2.copyMakeBorder(e, 3, 3, 3, 3, cv2.BORDER_CONSTANT, value=c))
    return np.concatenate([example_strip(framed, picture.shape[0]), picture], axis=1)
