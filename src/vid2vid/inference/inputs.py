"""Turn the user's inputs (paths) into model inputs for a Pipeline: examples with their semantic maps, and a
driving stream. Dataset frames / clips are used as stored; real photos and videos go through the real-data
converters (mediapipe pose / face landmarks, label maps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from vid2vid.data.video import IMAGE_SUFFIXES, read_image
from vid2vid.errors import UserError
from vid2vid.inference.pipeline import Pipeline
from vid2vid.inference.sources import (ClipDriving, clip_of_frame, example_from_dataset, is_clip_folder,
                                      stored_landmarks)


def load_examples(pipe: Pipeline, paths: list[Path], crop: bool = True
                  ) -> tuple[list[np.ndarray], list[torch.Tensor], np.ndarray | None]:
    """(images at the model size, encoded semantic maps, their keypoints or None): pose photos' keypoints (motion
    normalisation), or every example's face landmarks for a model that warps by them (``Pipeline.uses_landmarks``)."""
    if not pipe.uses_examples:
        if paths:
            raise UserError("this is a single-domain vid2vid checkpoint; it takes no --examples")
        return [], [], None
    if not paths:
        raise UserError("give at least one example image with --examples")
    for p in paths:
        if not p.is_file():
            raise UserError(f"example image not found: {p}")
    if all(clip_of_frame(p) is not None for p in paths):
        pairs = [example_from_dataset(pipe.meta, p) for p in paths]
        for p, (rgb, _) in zip(paths, pairs):
            if rgb.shape[:2] != pipe.size:
                raise UserError(f"example {p} is {rgb.shape[1]}x{rgb.shape[0]}; the model needs "
                                f"{pipe.size[1]}x{pipe.size[0]}")
        landmarks = None
        if pipe.uses_landmarks:
            landmarks = np.stack([stored_landmarks(clip_of_frame(p), int(p.stem) + 1)[int(p.stem)] for p in paths])
        return [r for r, _ in pairs], [s for _, s in pairs], landmarks
    from vid2vid.inference.real_inputs import real_examples

    images = [read_image(p) for p in paths]
    sizes = {im.shape[:2] for im in images}
    if not crop and len(sizes) > 1:
        listing = ", ".join(f"{p.name} ({im.shape[1]}x{im.shape[0]})" for p, im in zip(paths, images))
        raise UserError(f"example images differ in size: {listing}; give examples of one size or allow cropping")
    return real_examples(pipe, paths, images, crop)


@dataclass
class Driving:
    """A driving stream: (semantic, preview) pairs, with the source's frame rate, frame count and audio."""

    frames: object  # iterable of (semantic (C, H, W), preview (H, W, 3)[, face landmarks (68, 3)])
    fps: Fraction
    count: int
    audio_from: Path | None = None
    notes: list[str] = field(default_factory=list)  # said with the result line
    warnings: list[str] = field(default_factory=list)  # said on their own (the output may be weak)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, np.ndarray]]:
        return iter(self.frames)

    def report(self) -> str:
        return "".join(f"; {n}" for n in self.notes)


def open_driving(pipe: Pipeline, path: Path, crop: bool = True,
                 target_keypoints: np.ndarray | None = None) -> Driving:
    """A dataset clip folder, or a real video / image folder via the real-data converters."""
    if not path.exists():
        raise UserError(f"driving input not found: {path}")
    if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
        raise UserError(f"--driving {path} is a still image; give a video or a folder of its frames (one image "
                        "would make a 1-frame video)")
    if is_clip_folder(path):
        clip = ClipDriving(path, pipe.meta, landmarks=pipe.uses_landmarks)
        return Driving(clip, Fraction(clip.fps).limit_denominator(1001), clip.count)
    from vid2vid.inference.real_inputs import real_driving

    return real_driving(pipe, path, crop, target_keypoints)
