"""Body pose from mediapipe (its bundled, offline BlazePose model) as OpenPose COCO-18 keypoints, plus a person mask.

mediapipe's 33 landmarks are mapped joint by joint (``MP_TO_COCO18``); COCO's neck, which mediapipe lacks, is the
midpoint of the shoulders (as in the synthetic dancers). "Right" and "left" are the subject's in both conventions.
Besides the 18 joints a detection keeps the hand and foot tips (for the part map) and the segmentation mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vid2vid.data.real.backend import mediapipe, quiet_stderr
from vid2vid.data.skeleton import NUM_JOINTS

# COCO-18 joint -> mediapipe pose landmark (-1: the neck, computed from the shoulders).
MP_TO_COCO18: tuple[int, ...] = (
    0,  # nose
    -1,  # neck = midpoint of 11 and 12
    12, 14, 16,  # r_shoulder, r_elbow, r_wrist
    11, 13, 15,  # l_shoulder, l_elbow, l_wrist
    24, 26, 28,  # r_hip, r_knee, r_ankle
    23, 25, 27,  # l_hip, l_knee, l_ankle
    5, 2,  # r_eye, l_eye (the eye centres, not the corners)
    8, 7,  # r_ear, l_ear
)
# Tips of the extremities for the part map: r_hand, l_hand (index finger base), r_foot, l_foot (toes).
MP_TIPS: tuple[int, ...] = (20, 19, 32, 31)
_L_SHOULDER, _R_SHOULDER = 11, 12


@dataclass(frozen=True)
class PoseDetection:
    """One person in one image, in that image's pixels."""

    keypoints: np.ndarray  # (18, 3) float32: x, y, score in [0, 1] (mediapipe visibility; not yet thresholded)
    tips: np.ndarray  # (4, 3) float32: r_hand, l_hand, r_foot, l_foot tips, x, y, score
    mask: np.ndarray | None  # (H, W) float32 in [0, 1]: the person's segmentation, or None


def landmarks_to_coco18(xyv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(33, 3) mediapipe landmarks in pixels (x, y, visibility) -> COCO-18 keypoints (18, 3) and tips (4, 3)."""
    xyv = np.asarray(xyv, np.float32)
    if xyv.shape != (33, 3):
        raise ValueError(f"expected (33, 3) mediapipe pose landmarks, got {xyv.shape}")
    kp = np.zeros((NUM_JOINTS, 3), np.float32)
    for j, m in enumerate(MP_TO_COCO18):
        if m >= 0:
            kp[j] = xyv[m]
    shoulders = xyv[[_R_SHOULDER, _L_SHOULDER]]
    kp[1, :2] = shoulders[:, :2].mean(0)
    kp[1, 2] = shoulders[:, 2].min()
    return kp, xyv[list(MP_TIPS)].copy()


class PoseDetector:
    """mediapipe Pose, model complexity 1 (the only one bundled). ``video=True`` tracks across frames (faster and
    steadier, frames must come in order); ``video=False`` treats every image on its own (example photos)."""

    def __init__(self, video: bool, segmentation: bool = True, min_confidence: float = 0.5) -> None:
        mp = mediapipe()
        self.segmentation = segmentation
        with quiet_stderr():
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=not video, model_complexity=1, smooth_landmarks=video,
                enable_segmentation=segmentation, smooth_segmentation=video and segmentation,
                min_detection_confidence=min_confidence, min_tracking_confidence=min_confidence)
            self._pose.process(np.zeros((64, 64, 3), np.uint8))  # the graph starts (and logs) on its first image
        self._found = False  # the first person found logs one more warning

    def __call__(self, rgb: np.ndarray) -> PoseDetection | None:
        """Detect the (most prominent) person in an (H, W, 3) uint8 RGB image; None if there is none."""
        height, width = rgb.shape[:2]
        if self._found:
            result = self._pose.process(np.ascontiguousarray(rgb))
        else:
            with quiet_stderr():
                result = self._pose.process(np.ascontiguousarray(rgb))
        if result.pose_landmarks is None:
            return None
        self._found = True
        xyv = np.array([(p.x * width, p.y * height, p.visibility) for p in result.pose_landmarks.landmark],
                       np.float32)
        kp, tips = landmarks_to_coco18(xyv)
        mask = None
        if self.segmentation and result.segmentation_mask is not None:
            mask = np.asarray(result.segmentation_mask, np.float32)
        return PoseDetection(kp, tips, mask)

    def close(self) -> None:
        self._pose.close()
