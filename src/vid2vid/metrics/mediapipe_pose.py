"""Keypoints on real video with mediapipe's BlazePose (offline), converted to OpenPose COCO-18 for the pose error.

mediapipe is optional (``pip install --no-deps mediapipe==0.10.21`` plus the ``pose`` extra); it is imported only
when ``MediapipePose`` is created. BlazePose's left/right are the person's, like OpenPose's; the neck, which BlazePose
lacks, is the midpoint of the shoulders.
"""

from __future__ import annotations

import numpy as np
import torch

from vid2vid.data.semantics import decode_image

# COCO-18 joint -> BlazePose landmark(s) (two: their midpoint).
COCO18_FROM_BLAZEPOSE: tuple[tuple[int, ...], ...] = (
    (0,), (11, 12),  # nose, neck
    (12,), (14,), (16,),  # right shoulder, elbow, wrist
    (11,), (13,), (15,),  # left shoulder, elbow, wrist
    (24,), (26,), (28,),  # right hip, knee, ankle
    (23,), (25,), (27,),  # left hip, knee, ankle
    (5,), (2,), (8,), (7,),  # right eye, left eye, right ear, left ear
)


def blazepose_to_coco18(landmarks: np.ndarray, height: int, width: int) -> np.ndarray:
    """BlazePose landmarks (33, 3): x, y normalised to [0, 1], visibility -> COCO-18 (18, 3): x, y in pixels
    (pixel centres at integers), visibility (the smaller of the two for the neck)."""
    out = np.zeros((len(COCO18_FROM_BLAZEPOSE), 3), np.float32)
    for j, ids in enumerate(COCO18_FROM_BLAZEPOSE):
        pts = landmarks[list(ids)]
        out[j, 0] = pts[:, 0].mean() * width - 0.5
        out[j, 1] = pts[:, 1].mean() * height - 0.5
        out[j, 2] = pts[:, 2].min()
    return out


class MediapipePose:
    """Detector for ``pose_error.detected_pose_error``: frames (N, 3, H, W) in [-1, 1] -> (N, 18, 3) keypoints.

    A frame without a detected person gives all-zero keypoints (every joint missed). ``video=True`` tracks across
    consecutive calls (frames of one clip in order); the default treats every frame independently. Score with
    ``min_confidence=MediapipePose.MIN_CONFIDENCE``: joints BlazePose rates less visible count as missed."""

    MIN_CONFIDENCE = 0.5

    def __init__(self, model_complexity: int = 1, min_detection_confidence: float = 0.5, video: bool = False) -> None:
        try:
            import mediapipe as mp
        except ImportError as err:
            raise RuntimeError("pose error on real video needs mediapipe: pip install --no-deps mediapipe==0.10.21 "
                               "absl-py attrs flatbuffers 'protobuf>=4.25.3,<5'") from err
        self._pose = mp.solutions.pose.Pose(static_image_mode=not video, model_complexity=model_complexity,
                                            min_detection_confidence=min_detection_confidence)

    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        out = np.zeros((len(frames), len(COCO18_FROM_BLAZEPOSE), 3), np.float32)
        for i, frame in enumerate(frames):
            rgb = np.ascontiguousarray(decode_image(frame))
            result = self._pose.process(rgb)
            if result.pose_landmarks is not None:
                lm = np.array([(p.x, p.y, p.visibility) for p in result.pose_landmarks.landmark], np.float32)
                out[i] = blazepose_to_coco18(lm, *rgb.shape[:2])
        return torch.from_numpy(out)

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> "MediapipePose":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
