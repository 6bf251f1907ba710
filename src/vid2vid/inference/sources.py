"""Where driving semantics and examples come from: a dataset clip (semantic maps already made) or, via the real-data
converters, a user's video and photos. Each driving source yields (semantic (C, H, W), preview RGB (H, W, 3)), and
for a model warping its examples by the face landmarks the frame's landmarks (68, 3) third."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from vid2vid.data.face_sketch import N_LANDMARKS
from vid2vid.data.layout import CLIP_FILE, DatasetMeta, frame_name, read_clip_frames, read_meta, read_png
from vid2vid.data.preview import semantic_to_rgb
from vid2vid.data.semantics import encode_semantic
from vid2vid.errors import UserError


def is_clip_folder(path: Path) -> bool:
    return path.is_dir() and (path / CLIP_FILE).is_file() and (path / "semantic").is_dir()


def clip_of_frame(path: Path) -> Path | None:
    """The clip folder of a dataset frame path like ``<clip>/rgb/000003.png``, else None."""
    clip = path.parent.parent
    return clip if path.parent.name == "rgb" and is_clip_folder(clip) else None


def load_stored_semantic(meta: DatasetMeta, clip: Path, index: int) -> tuple[torch.Tensor, np.ndarray]:
    """(encoded semantic, preview RGB) of frame ``index`` of a dataset clip."""
    name = frame_name(index)
    semantic = read_png(clip / "semantic" / name, meta.semantic_file_channels)
    parts = read_png(clip / "parts" / name, 3) if "parts" in meta.extras else None
    return encode_semantic(meta, semantic, parts), semantic_to_rgb(meta, semantic)


def stored_landmarks(clip: Path, frames: int) -> np.ndarray:
    """The (N >= ``frames``, 68, 3) face landmarks of a dataset clip's frames (``keypoints.npy``, read once)."""
    path = clip / "keypoints.npy"
    if not path.is_file():
        raise UserError(f"{clip} has no keypoints.npy: example flow 'landmarks' needs the face landmarks of every "
                        "frame (prepare the data with `vid2vid data prepare --task face`, or use example flow learned)")
    points = np.load(path)
    if points.ndim != 3 or points.shape[1] != N_LANDMARKS or frames > len(points):
        raise UserError(f"{path} holds {points.shape}, not ({frames}+, {N_LANDMARKS}, 3) face landmarks; "
                        "prepare the clip again")
    return points.astype(np.float32, copy=False)


def check_clip_task(meta: DatasetMeta, clip: Path, what: str) -> None:
    """A UserError when dataset clip ``clip`` belongs to a dataset of another task than the model's ``meta``."""
    own = clip.parent.parent.parent / "dataset.json"
    if own.is_file():
        theirs = read_meta(own.parent)
        if theirs.task != meta.task or theirs.semantic_channels != meta.semantic_channels:
            raise UserError(f"{clip} is from a {theirs.kind} ({theirs.task}) dataset, but the checkpoint is a "
                            f"{meta.task} model; use {what} of the model's task")


@dataclass
class ClipDriving:
    """Driving semantics read from a dataset clip folder (e.g. a held-out synthetic subject)."""

    clip: Path
    meta: DatasetMeta
    fps: float = 0.0
    landmarks: bool = False  # yield each frame's face landmarks third (example flow "landmarks")

    def __post_init__(self) -> None:
        check_clip_task(self.meta, self.clip, "a driving input")
        self.count = read_clip_frames(self.clip)
        self.fps = self.fps or self.meta.fps
        first = read_png(self.clip / "semantic" / frame_name(0), self.meta.semantic_file_channels)
        if first.shape[:2] != (self.meta.height, self.meta.width):
            raise UserError(f"{self.clip} has {first.shape[1]}x{first.shape[0]} frames; the model needs "
                            f"{self.meta.width}x{self.meta.height}")

    def __iter__(self) -> Iterator[tuple[torch.Tensor, np.ndarray]]:
        points = stored_landmarks(self.clip, self.count) if self.landmarks else None
        for i in range(self.count):
            semantic, preview = load_stored_semantic(self.meta, self.clip, i)
            yield (semantic, preview) if points is None else (semantic, preview, points[i])


def example_from_dataset(meta: DatasetMeta, path: Path) -> tuple[np.ndarray, torch.Tensor]:
    """An example image that is a dataset frame, with its stored semantic map."""
    clip = clip_of_frame(path)
    if clip is None:
        raise ValueError(f"{path} is not a dataset frame")
    check_clip_task(meta, clip, "examples")
    rgb = read_png(path, 3)
    semantic, _ = load_stored_semantic(meta, clip, int(path.stem))
    return rgb, semantic
