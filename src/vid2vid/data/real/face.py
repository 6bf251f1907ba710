"""Face landmarks from mediapipe FaceMesh (468 points, bundled and offline) mapped to the 68 iBUG points of our sketch.

The mapping (``IBUG68_FROM_FACEMESH``) gives, for every iBUG point, the FaceMesh points whose mean it is:
- jaw 0-16: the face-oval contour from the subject's right ear-line point 127 down to the chin 152 and up to 356,
  resampled by arc length into 8 + 8 equal steps (so point 8 is exactly the chin, 152);
- brows 17-26: the mean of the brow's upper and lower outline at five places, outer to inner (right brow) and inner to
  outer (left brow), i.e. the brow's centre line;
- nose bridge 27-30: 168 (between the eyes), 197, 5, 4 (tip); lower nose 31-35: 98, 97, 2 (below the tip), 326, 327;
- eyes 36-47: corners 33/133 and 362/263 and lid points at about a third and two thirds of the lids;
- outer lips 48-59: corners 61 and 291, cupid's bow 37/267, centres 0 and 17; inner lips 60-67: corners 78 and 308,
  centres 13 and 14.
"Right" is the subject's right (the image's left for a frontal face), as in iBUG.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vid2vid.data.real.backend import mediapipe, quiet_stderr

JAW_CONTOUR_RIGHT = (127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152)  # top of the jaw -> chin
JAW_CONTOUR_LEFT = (152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454, 356)  # chin -> top of the jaw

IBUG68_FROM_FACEMESH: tuple[tuple[int, ...], ...] = (
    *((),) * 17,  # 0-16 jaw: resampled from JAW_CONTOUR_* (see ``facemesh_to_ibug68``)
    (70, 46), (63, 53), (105, 52), (66, 65), (107, 55),  # 17-21 right brow, outer -> inner
    (336, 285), (296, 295), (334, 282), (293, 283), (300, 276),  # 22-26 left brow, inner -> outer
    (168,), (197,), (5,), (4,),  # 27-30 nose bridge, top -> tip
    (98,), (97,), (2,), (326,), (327,),  # 31-35 lower nose, right -> left
    (33,), (160,), (158,), (133,), (153,), (144,),  # 36-41 right eye: outer corner, upper lid, inner corner, lower lid
    (362,), (385,), (387,), (263,), (373,), (380,),  # 42-47 left eye: inner corner, upper lid, outer corner, lower lid
    (61,), (40,), (37,), (0,), (267,), (270,), (291,), (321,), (314,), (17,), (84,), (91,),  # 48-59 outer lips
    (78,), (81,), (13,), (311,), (308,), (402,), (14,), (178,),  # 60-67 inner lips
)
assert len(IBUG68_FROM_FACEMESH) == 68


def _resample(points: np.ndarray, n: int) -> np.ndarray:
    """``n`` points evenly spaced by arc length along the polyline ``points`` (M, 2), ends included."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= 0:
        return np.repeat(points[:1], n, axis=0)
    t = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(t, s, points[:, k]) for k in range(2)], axis=1)


def facemesh_to_ibug68(mesh: np.ndarray) -> np.ndarray:
    """(468+, 2) FaceMesh points in pixels -> (68, 2) iBUG landmarks in pixels."""
    mesh = np.asarray(mesh, np.float64)
    if mesh.ndim != 2 or mesh.shape[0] < 468:
        raise ValueError(f"expected (468, 2) FaceMesh points, got {mesh.shape}")
    out = np.zeros((68, 2))
    out[0:9] = _resample(mesh[list(JAW_CONTOUR_RIGHT), :2], 9)
    out[8:17] = _resample(mesh[list(JAW_CONTOUR_LEFT), :2], 9)
    for i in range(17, 68):
        out[i] = mesh[list(IBUG68_FROM_FACEMESH[i]), :2].mean(0)
    return out.astype(np.float32)


@dataclass(frozen=True)
class FaceDetection:
    """One face in one image, in that image's pixels."""

    landmarks: np.ndarray  # (68, 2) float32 iBUG landmarks
    mask: np.ndarray | None  # (H, W) float32 in [0, 1]: the person (selfie segmentation), or None


class FaceDetector:
    """mediapipe FaceMesh (one face) plus optional selfie segmentation for the person mask. ``video=True`` tracks
    the face across frames in order; ``video=False`` detects in every image on its own (example photos)."""

    def __init__(self, video: bool, segmentation: bool = True, min_confidence: float = 0.5) -> None:
        mp = mediapipe()
        with quiet_stderr():
            self._mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=not video, max_num_faces=1, refine_landmarks=False,
                min_detection_confidence=min_confidence, min_tracking_confidence=min_confidence)
            seg = mp.solutions.selfie_segmentation.SelfieSegmentation
            self._seg = seg(model_selection=0) if segmentation else None
            blank = np.zeros((64, 64, 3), np.uint8)  # the graphs start (and log) on their first image
            self._mesh.process(blank)
            if self._seg is not None:
                self._seg.process(blank)
        self._found = False  # the first face found logs one more warning

    def __call__(self, rgb: np.ndarray) -> FaceDetection | None:
        """Detect one face in an (H, W, 3) uint8 RGB image; None if there is none."""
        height, width = rgb.shape[:2]
        rgb = np.ascontiguousarray(rgb)
        if self._found:
            result = self._mesh.process(rgb)
        else:
            with quiet_stderr():
                result = self._mesh.process(rgb)
        if not result.multi_face_landmarks:
            return None
        self._found = True
        mask = None
        if self._seg is not None:
            seg = self._seg.process(rgb).segmentation_mask
            mask = None if seg is None else np.asarray(seg, np.float32)
        mesh = np.array([(p.x * width, p.y * height) for p in result.multi_face_landmarks[0].landmark], np.float64)
        return FaceDetection(facemesh_to_ibug68(mesh), mask)

    def close(self) -> None:
        self._mesh.close()
        if self._seg is not None:
            self._seg.close()
