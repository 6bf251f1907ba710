"""Real-data pose: mediapipe -> COCO-18 on a real photo, part maps, and the no-person error."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mediapipe")
skimage_data = pytest.importorskip("skimage.data")

from vid2vid.data.real.body_parts import draw_parts  # noqa: E402
from vid2vid.data.real.converters import PoseConverter  # noqa: E402
from vid2vid.data.real.pose import MP_TO_COCO18, landmarks_to_coco18  # noqa: E402
from vid2vid.data.skeleton import JOINT_NAMES, NUM_BODY_PARTS  # noqa: E402
from vid2vid.errors import UserError  # noqa: E402

J = {name: i for i, name in enumerate(JOINT_NAMES)}


@pytest.fixture(scope="module")
def photo_converter() -> PoseConverter:
    return PoseConverter(256, 256, video=False)


@pytest.fixture(scope="module")
def astronaut(photo_converter):
    return photo_converter(skimage_data.astronaut(), name="astronaut.png")


def test_mapping_table_covers_coco18_and_neck_is_shoulder_midpoint():
    assert len(MP_TO_COCO18) == 18
    xyv = np.zeros((33, 3), np.float32)
    xyv[:, 0] = np.arange(33)
    xyv[:, 2] = 0.9
    xyv[11, :] = (10.0, 20.0, 0.8)  # left shoulder
    xyv[12, :] = (30.0, 40.0, 0.6)  # right shoulder
    kp, tips = landmarks_to_coco18(xyv)
    assert kp.shape == (18, 3) and tips.shape == (4, 3)
    np.testing.assert_allclose(kp[J["neck"]], (20.0, 30.0, 0.6))
    assert kp[J["r_shoulder"], 0] == 30.0 and kp[J["l_shoulder"], 0] == 10.0
    assert kp[J["r_ankle"], 0] == 28 and kp[J["l_ear"], 0] == 7


def test_astronaut_keypoints_are_plausible(astronaut):
    kp = astronaut.keypoints
    assert kp.shape == (18, 3) and kp.dtype == np.float32
    for name in ("nose", "neck", "r_shoulder", "l_shoulder", "r_eye", "l_eye"):
        assert kp[J[name], 2] == 1, name
    assert kp[J["nose"], 1] < kp[J["neck"], 1]  # nose above the neck
    # The subject's right shoulder is on the image's left, the left one on the right, either side of the neck.
    assert kp[J["r_shoulder"], 0] < kp[J["neck"], 0] < kp[J["l_shoulder"], 0]
    assert kp[J["r_eye"], 0] < kp[J["l_eye"], 0]
    assert kp[J["r_eye"], 1] < kp[J["neck"], 1]
    assert set(np.unique(kp[:, 2])) <= {0.0, 1.0}
    vis = kp[:, 2] > 0
    assert (kp[vis, :2] >= 0).all() and (kp[vis, :2] < 256).all()


def test_astronaut_maps_match_the_stored_format(astronaut):
    assert astronaut.rgb.shape == (256, 256, 3) and astronaut.rgb.dtype == np.uint8
    assert astronaut.semantic.shape == (256, 256, 3) and astronaut.semantic.any()
    parts = astronaut.parts
    assert parts.shape == (256, 256, 3) and parts.dtype == np.uint8
    ids = set(np.unique(parts[:, :, 0]).tolist())
    assert {0, 1, 3} <= ids and max(ids) <= NUM_BODY_PARTS  # background, torso, head
    assert not parts[parts[:, :, 0] == 0].any()  # u, v are zero on the background
    assert astronaut.mask.shape == (256, 256) and set(np.unique(astronaut.mask)) <= {0, 255}
    # Parts lie on the person: mostly inside the segmentation mask.
    assert (astronaut.mask[parts[:, :, 0] > 0] == 255).all()


def test_example_without_a_person_names_the_file(photo_converter):
    grey = np.full((240, 200, 3), 128, np.uint8)
    with pytest.raises(UserError, match=r"no person detected in examples/a\.jpg"):
        photo_converter(grey, name="examples/a.jpg")


def test_driving_frame_without_a_person_reuses_the_last_pose():
    conv = PoseConverter(128, 128, video=True, fps=25)
    empty = conv(np.full((200, 200, 3), 128, np.uint8))  # before any detection: empty maps
    assert not empty.detected and not empty.semantic.any() and conv.missed == 1
    first = conv(skimage_data.astronaut())
    assert first.detected
    again = conv(np.full((512, 512, 3), 128, np.uint8))
    assert not again.detected and conv.missed == 2
    np.testing.assert_array_equal(again.keypoints, first.keypoints)
    assert "2 of 3 frames" in conv.report()


def test_part_map_of_a_standing_skeleton():
    kp = np.zeros((18, 3), np.float32)
    pts = {"nose": (64, 20), "neck": (64, 38), "r_shoulder": (54, 38), "l_shoulder": (74, 38), "r_elbow": (50, 58),
           "r_wrist": (48, 76), "l_elbow": (78, 58), "l_wrist": (80, 76), "r_hip": (58, 76), "l_hip": (70, 76),
           "r_knee": (57, 98), "l_knee": (71, 98), "r_ankle": (56, 118), "l_ankle": (72, 118), "r_eye": (61, 17),
           "l_eye": (67, 17), "r_ear": (58, 19), "l_ear": (70, 19)}
    for name, xy in pts.items():
        kp[J[name]] = (*xy, 1)
    parts = draw_parts(kp, None, 128, 128)
    assert set(np.unique(parts[:, :, 0]).tolist()) == set(range(NUM_BODY_PARTS + 1))
    assert parts[70, 64, 0] == 1  # between the hips, low on the torso: torso
    assert parts[17, 64, 0] == 3  # between the eyes: head
    assert parts[108, 56, 0] == 11  # on the right shin
    # v runs along the bone: higher towards the ankle on the shin, towards the neck on the torso.
    assert parts[112, 56, 2] > parts[106, 56, 2] and parts[106, 56, 0] == 11
    assert parts[45, 64, 2] > parts[70, 64, 2]
    # u is ~0.5 on the bone.
    assert abs(int(parts[108, 56, 1]) - 128) < 40
