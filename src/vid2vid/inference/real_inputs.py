"""Real photos and videos as model inputs, through the real-data converters (mediapipe pose / face landmarks,
label maps): examples are framed one by one; the driving video is framed once, smoothed over time and (pose)
rescaled to the example person's height and floor line (Everybody Dance Now normalisation). The task registry
says which converter makes a task's maps and whether its motion is normalised."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from vid2vid import tasks
from vid2vid.data.preview import semantic_to_rgb
from vid2vid.data.real.normalize import MotionNormalizer, floor_stats
from vid2vid.data.video import FrameSource
from vid2vid.errors import UserError
from vid2vid.inference.inputs import Driving
from vid2vid.inference.pipeline import Pipeline

NORMALIZE_PROBE_FRAMES = 60  # driving frames scanned up front to measure the driving person's height and floor
DETECTION_PROBE_FRAMES = 30  # nobody detected in this many first driving frames: refuse instead of generating garbage
MISSED_WARNING = 0.25  # warn when more than this share of driving frames had no detection


def real_examples(pipe: Pipeline, paths: list[Path], images: list[np.ndarray], crop: bool
                  ) -> tuple[list[np.ndarray], list[torch.Tensor], np.ndarray | None]:
    """Framed example images, their semantic maps, and their keypoints: pose (K, 18, 3), or face (K, 68, 3) for a
    model that warps by the landmarks; else None."""
    h, w = pipe.size
    task = tasks.get(pipe.task)
    if not task.photo_examples:
        raise UserError(f"{task.name} examples need their semantic maps: give frames of a prepared dataset "
                        f"(<clip>/rgb/000012.png, see `vid2vid data prepare --task {task.name} ...`)")
    conv = task.make_converter(h, w, crop=crop, video=False)
    try:
        frames = [conv(image, name=str(path)) for path, image in zip(paths, images)]
    finally:
        conv.close()
    keypoints = np.stack([f.keypoints for f in frames]) if task.normalize_motion or pipe.uses_landmarks else None
    return ([f.rgb for f in frames], [pipe.encode_semantic(f.semantic, f.parts) for f in frames], keypoints)


def _normalizer(path: Path, pipe: Pipeline, crop: bool, target: np.ndarray, notes: list[str]
                ) -> MotionNormalizer | None:
    """Measure the driving person on the first frames and map them onto the example person."""
    h, w = pipe.size
    probe = tasks.get(pipe.task).make_converter(h, w, crop=crop, video=True, fps=25.0)
    poses = []
    try:
        with FrameSource(path) as src:
            for i, frame in enumerate(src):
                if i >= NORMALIZE_PROBE_FRAMES:
                    break
                f = probe(frame)
                if f.detected:
                    poses.append(f.keypoints)
    finally:
        probe.close()
    try:
        if not poses:
            raise UserError("no person detected in the first driving frames")
        return MotionNormalizer(floor_stats(np.stack(poses), "the driving person"),
                                floor_stats(target, "the example person"))
    except UserError as err:
        notes.append(f"pose normalisation skipped ({err})")
        return None


def real_driving(pipe: Pipeline, path: Path, crop: bool, target_keypoints: np.ndarray | None) -> Driving:
    """A driving stream from a real video / image folder (pose, face) or a label-map video / folder (street)."""
    h, w = pipe.size
    src = FrameSource(path)
    notes: list[str] = []
    warnings: list[str] = []
    task = tasks.get(pipe.task)
    extra = {}
    if task.normalize_motion and target_keypoints is not None:
        extra["normalizer"] = _normalizer(path, pipe, crop, target_keypoints, notes)
    conv = task.make_converter(h, w, crop=crop, video=True, fps=float(src.fps), name=str(path), **extra)

    if src.count == 1:
        src.close()
        raise UserError(f"--driving {path} has a single frame; give a video or a folder of its frames")
    probe = min(DETECTION_PROBE_FRAMES, src.count or DETECTION_PROBE_FRAMES)

    def frames() -> Iterator[tuple[torch.Tensor, np.ndarray]]:
        try:
            for i, frame in enumerate(src):
                f = conv(frame)
                if i + 1 == probe and conv.frames and conv.missed == conv.frames:
                    raise UserError(f"no {conv.what} detected in the first {conv.frames} frames of --driving {path}; "
                                    f"nothing to drive the model with ({conv.advice})")
                preview = f.rgb if f.rgb is not None else semantic_to_rgb(pipe.meta, f.semantic)
                semantic = pipe.encode_semantic(f.semantic, f.parts)
                yield (semantic, preview, f.keypoints) if pipe.uses_landmarks else (semantic, preview)
        finally:
            src.close()
            if hasattr(conv, "close"):
                conv.close()
            if conv.report():
                notes.append(conv.report())
            if conv.frames and conv.missed > MISSED_WARNING * conv.frames:
                warnings.append(f"{conv.missed} of {conv.frames} driving frames ({conv.missed / conv.frames:.0%}) "
                             f"had no {conv.what}; those frames repeat the last detection and will look frozen")

    return Driving(frames(), Fraction(src.fps), src.count, audio_from=path if src.has_audio else None, notes=notes,
                   warnings=warnings)
