"""Per-frame converters: a real RGB frame (or label frame) -> the uint8 maps the synthetic datasets store.

``PoseConverter`` (skeleton RGB + part map + mask + COCO-18 keypoints), ``FaceConverter`` (sketch + mask + iBUG-68
landmarks) and ``LabelConverter`` (label ids) share one interface: ``conv(frame, name=None) -> RealFrame`` at the
output size, framed (``framing``) and, for videos, smoothed over time. With ``name`` (an example photo) a frame with
no person / face is a UserError naming the file; without it (a driving video) the last good detection is reused (or
empty maps before the first one) and counted in ``missed``. Converters are plain objects, reusable by the streaming
generator: create one per video (``video=True``) or one for all example photos (``video=False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import cv2
import numpy as np

from vid2vid.data.face_sketch import draw_face_sketch
from vid2vid.data.real.body_parts import draw_parts
from vid2vid.data.real.framing import Framing, face_framing, fill_framing, person_framing
from vid2vid.data.real.label_maps import LabelMapReader
from vid2vid.data.real.normalize import MotionNormalizer
from vid2vid.data.real.smoothing import KeypointSmoother, SmoothingConfig
from vid2vid.data.skeleton import draw_skeleton
from vid2vid.errors import UserError

VISIBLE = 0.5  # mediapipe visibility above which a joint counts as seen (without smoothing)


@dataclass(frozen=True)
class RealFrame:
    """One converted frame, everything at the output size, as the dataset layout stores it."""

    rgb: np.ndarray | None  # (H, W, 3) uint8, framed (None for label frames)
    semantic: np.ndarray  # (H, W, 3) skeleton RGB, or (H, W, 1) sketch / label ids, uint8
    parts: np.ndarray | None = None  # (H, W, 3) uint8 part index, u*255, v*255 (pose)
    mask: np.ndarray | None = None  # (H, W) uint8, 255 on the person (pose, face)
    keypoints: np.ndarray | None = None  # (J, 3) float32 x, y, visible in {0, 1}, output pixels
    detected: bool = True  # False: no detection in this frame (maps reused or empty)


def _in_frame(kp: np.ndarray, height: int, width: int) -> np.ndarray:
    """Visibility 0 for points outside the frame (as the synthetic data marks them)."""
    out = kp.copy()
    inside = (kp[:, 0] >= 0) & (kp[:, 0] <= width - 1) & (kp[:, 1] >= 0) & (kp[:, 1] <= height - 1)
    out[:, 2] = np.where(inside & (kp[:, 2] > 0), 1.0, 0.0)
    return out


def _mask_u8(mask: np.ndarray | None, height: int, width: int) -> np.ndarray:
    if mask is None:
        return np.zeros((height, width), np.uint8)
    return np.where(mask > 0.5, 255, 0).astype(np.uint8)


class _Converter:
    """Framing, smoothing state and the missed-frame count shared by the pose and face converters."""

    what = "subject"
    advice = ""

    def __init__(self, height: int, width: int, crop: bool, video: bool, fps: float,
                 smoothing: SmoothingConfig | None, framing: Framing | None) -> None:
        self.height, self.width, self.crop, self.video = height, width, crop, video
        self.framing = framing
        self.smoother = KeypointSmoother(fps, smoothing) if (video and smoothing is not None) else None
        self.missed = 0
        self.frames = 0
        self.last: RealFrame | None = None
        self.detector = None
        self._static = None

    def _detector(self, video: bool):  # pragma: no cover - overridden
        raise NotImplementedError

    def _points(self, detection) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def _framing_from(self, points: list[np.ndarray]) -> Framing | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def framing_for(self, rgb: np.ndarray, points: list[np.ndarray]) -> Framing:
        """The crop for a source of ``rgb``'s size from detections' points (fill framing without crop or points)."""
        h, w = rgb.shape[:2]
        found = self._framing_from(points) if (self.crop and points) else None
        return found or fill_framing(h, w, self.height, self.width)

    def fit_framing(self, frames: Iterable[np.ndarray], name: str | None = None) -> Framing:
        """Fix the crop from a few frames (e.g. the first ones of a video), detected independently of the video
        tracking; frames with no detection are skipped. UserError naming ``name`` if a photo shows nobody."""
        if self._static is None:
            self._static = self._detector(video=False)
        first, points = None, []
        for frame in frames:
            first = frame if first is None else first
            det = self._static(frame)
            if det is not None:
                points.append(self._points(det))
        if first is None:
            raise ValueError("fit_framing needs at least one frame")
        if not points and name is not None:
            raise UserError(f"no {self.what} detected in {name}; {self.advice}")
        self.framing = self.framing_for(first, points)
        return self.framing

    def _missing(self, name: str | None, rgb_out: np.ndarray) -> RealFrame:
        if name is not None:
            raise UserError(f"no {self.what} detected in {name}; {self.advice}")
        self.missed += 1
        if self.last is not None:
            return RealFrame(rgb_out, self.last.semantic, self.last.parts, self.last.mask, self.last.keypoints, False)
        return self._empty(rgb_out)

    def _empty(self, rgb_out: np.ndarray) -> RealFrame:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        """Release the mediapipe graphs."""
        for det in (self.detector, self._static):
            if det is not None:
                det.close()
        self._static = None

    def report(self) -> str:
        """One line about frames without a detection (empty string when every frame had one)."""
        if not self.missed:
            return ""
        return (f"no {self.what} detected in {self.missed} of {self.frames} frames (the previous detection was "
                "reused)")


class PoseConverter(_Converter):
    """RGB -> COCO-18 keypoints, skeleton map, part map and mask. ``normalizer`` (optional) maps every driving pose
    onto the example person's height and floor line (motion transfer) after framing and smoothing."""

    what = "person"
    advice = "use a photo showing the whole body"

    def __init__(self, height: int, width: int, crop: bool = True, video: bool = True, fps: float = 25.0,
                 smoothing: SmoothingConfig | None = SmoothingConfig(), framing: Framing | None = None,
                 normalizer: MotionNormalizer | None = None) -> None:
        super().__init__(height, width, crop, video, fps, smoothing, framing)
        self.normalizer = normalizer
        self.detector = self._detector(video)

    def _detector(self, video: bool):
        from vid2vid.data.real.pose import PoseDetector

        return PoseDetector(video=video)

    def _points(self, detection) -> np.ndarray:
        return detection.keypoints

    def _framing_from(self, points: list[np.ndarray]) -> Framing | None:
        return person_framing([_seen(p) for p in points], self.height, self.width)

    def _empty(self, rgb_out: np.ndarray) -> RealFrame:
        h, w = self.height, self.width
        return RealFrame(rgb_out, np.zeros((h, w, 3), np.uint8), np.zeros((h, w, 3), np.uint8),
                         np.zeros((h, w), np.uint8), np.zeros((18, 3), np.float32), False)

    def __call__(self, rgb: np.ndarray, name: str | None = None) -> RealFrame:
        """Convert one frame; ``name`` marks an example photo (framed on its own, no smoothing, errors if empty)."""
        self.frames += 1
        det = self.detector(rgb)
        if name is not None or self.framing is None:
            framing = self.framing_for(rgb, [det.keypoints] if det is not None else [])
            if name is None and (det is not None or not self.crop):
                self.framing = framing  # a video's crop is fixed by its first detection unless fitted before
        else:
            framing = self.framing
        rgb_out = framing.image(rgb)
        if det is None:
            return self._missing(name, rgb_out)
        kp = framing.points(det.keypoints)
        tips = framing.points(det.tips)
        kp = self.smoother(kp) if self.smoother is not None else _seen(kp)
        mask = framing.mask(det.mask) if det.mask is not None else None
        if self.normalizer is not None:
            kp, (s, tx, ty) = self.normalizer(kp)
            tips = np.concatenate([s * tips[:, :2] + (tx, ty), tips[:, 2:]], 1).astype(np.float32)
            if mask is not None:
                m = np.array([[s, 0.0, tx], [0.0, s, ty]], np.float64)
                mask = cv2.warpAffine(mask, m, (self.width, self.height), flags=cv2.INTER_LINEAR)
        parts = draw_parts(kp, mask, self.height, self.width, tips)
        kp_out = _in_frame(kp, self.height, self.width)
        frame = RealFrame(rgb_out, draw_skeleton(kp_out, self.height, self.width), parts,
                          _mask_u8(mask, self.height, self.width), kp_out, True)
        self.last = frame
        return frame


def _seen(kp: np.ndarray) -> np.ndarray:
    """Scores -> visibility {0, 1} at the fixed threshold."""
    out = np.array(kp, np.float32, copy=True)
    out[:, 2] = (out[:, 2] > VISIBLE).astype(np.float32)
    return out


class FaceConverter(_Converter):
    """RGB -> 68 iBUG landmarks, face sketch (H, W, 1) and person mask."""

    what = "face"
    advice = "use a photo showing the face clearly, looking towards the camera"

    def __init__(self, height: int, width: int, crop: bool = True, video: bool = True, fps: float = 25.0,
                 smoothing: SmoothingConfig | None = SmoothingConfig(min_cutoff=1.5, beta=0.1),
                 framing: Framing | None = None) -> None:
        super().__init__(height, width, crop, video, fps, smoothing, framing)
        self.detector = self._detector(video)

    def _detector(self, video: bool):
        from vid2vid.data.real.face import FaceDetector

        return FaceDetector(video=video)

    def _points(self, detection) -> np.ndarray:
        return detection.landmarks

    def _framing_from(self, points: list[np.ndarray]) -> Framing | None:
        return face_framing(points, self.height, self.width)

    def _empty(self, rgb_out: np.ndarray) -> RealFrame:
        h, w = self.height, self.width
        return RealFrame(rgb_out, np.zeros((h, w, 1), np.uint8), None, np.zeros((h, w), np.uint8),
                         np.zeros((68, 3), np.float32), False)

    def __call__(self, rgb: np.ndarray, name: str | None = None) -> RealFrame:
        """Convert one frame; ``name`` marks an example photo (framed on its own, no smoothing, errors if empty)."""
        self.frames += 1
        det = self.detector(rgb)
        if name is not None or self.framing is None:
            framing = self.framing_for(rgb, [det.landmarks] if det is not None else [])
            if name is None and (det is not None or not self.crop):
                self.framing = framing
        else:
            framing = self.framing
        rgb_out = framing.image(rgb)
        if det is None:
            return self._missing(name, rgb_out)
        lm = np.concatenate([framing.points(det.landmarks), np.ones((68, 1), np.float32)], 1)
        if self.smoother is not None:
            lm = self.smoother(lm)
        mask = framing.mask(det.mask) if det.mask is not None else None
        sketch = draw_face_sketch(lm[:, :2], self.height, self.width)[:, :, None]
        frame = RealFrame(rgb_out, sketch, None, _mask_u8(mask, self.height, self.width), lm.astype(np.float32), True)
        self.last = frame
        return frame


class LabelConverter:
    """Label-map frame (ids, Cityscapes ids or colour-coded) -> (H, W, 1) uint8 ids < 20, scaled to cover the
    output size and centre-cropped like the RGB frames (``framing`` may be shared with them)."""

    def __init__(self, height: int, width: int, name: str = "the label map", framing: Framing | None = None) -> None:
        self.height, self.width = height, width
        self.reader = LabelMapReader(name)
        self.framing = framing
        self.frames = self.missed = 0

    def __call__(self, frame: np.ndarray, name: str | None = None) -> RealFrame:
        self.frames += 1
        ids = self.reader(frame)
        if self.framing is None:
            self.framing = fill_framing(ids.shape[0], ids.shape[1], self.height, self.width)
        return RealFrame(None, self.framing.labels(ids)[:, :, None])

    def report(self) -> str:
        return ""
