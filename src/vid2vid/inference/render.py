"""Drive a Pipeline with a stream of semantic maps and write the result as mp4, frame by frame (constant memory)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
from tqdm import tqdm

from vid2vid.data.video import VideoWriter
from vid2vid.inference.compose import attention_picture, side_by_side, with_legend
from vid2vid.inference.pipeline import Pipeline


@dataclass(frozen=True)
class RenderStats:
    frames: int
    seconds: float
    fps: float  # frame rate written to the mp4


def render_video(pipeline: Pipeline, driving: Iterable[tuple[torch.Tensor, np.ndarray]], examples: list[np.ndarray],
                 out: str | Path, fps: Fraction | float, audio_from: str | Path | None = None,
                 layout_side_by_side: bool = False, attention_out: str | Path | None = None, total: int | None = None,
                 progress: bool = True, keep_every: int = 0) -> tuple[RenderStats, list[np.ndarray]]:
    """Generate one output frame per driving frame and encode it at ``fps``; returns stats and every
    ``keep_every``-th composed frame (for a PNG strip; 0 keeps none)."""
    h, w = pipeline.size
    pending = iter(driving)
    previews: list[np.ndarray] = []

    def semantics():
        for semantic, preview in pending:
            previews.append(preview)
            yield semantic

    writers: dict[str, VideoWriter] = {}

    def write(key: str, path: str | Path, picture: np.ndarray, audio: str | Path | None = None) -> None:
        if key not in writers:  # sized by the first picture
            writers[key] = VideoWriter(path, fps, picture.shape[1], picture.shape[0], audio_from=audio)
        writers[key].write(picture)

    kept = []
    start = time.perf_counter()
    n = 0
    try:
        for frame in tqdm(pipeline.generate(semantics()), total=total, desc="generate", unit="frame",
                          disable=not progress):
            preview = previews.pop(0)
            write("out", out, side_by_side(preview, examples, frame.image) if layout_side_by_side else frame.image,
                  audio_from)
            if attention_out is not None:
                attn = (attention_picture(frame.attention, h, w) if frame.attention is not None
                        else np.zeros((h, w, 3), np.uint8))
                write("attention", attention_out, with_legend(attn, examples) if examples else attn)
            if keep_every and n % keep_every == 0:
                kept.append(side_by_side(preview, [], frame.image))
            n += 1
    finally:
        for writer in writers.values():
            writer.close()
    return RenderStats(n, time.perf_counter() - start, float(fps)), kept
