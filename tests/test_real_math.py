"""Pure real-data helpers: motion normalisation, smoothing, framing, label maps, and the DIS flow direction."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vid2vid.data.labels import STREET_COLORS, UNLABELED, colorize_labels
from vid2vid.data.real.framing import POSE_HEIGHT, body_measure, face_framing, fill_framing, person_framing
from vid2vid.data.real.label_maps import LabelMapReader, detect_encoding
from vid2vid.data.real.normalize import floor_stats, motion_transform, normalize_motion
from vid2vid.data.real.smoothing import KeypointSmoother, OneEuroFilter
from vid2vid.errors import UserError

NOSE, NECK, R_ANKLE, L_ANKLE = 0, 1, 10, 13


def standing(height: float, ankle_y: float, centre_x: float) -> np.ndarray:
    """A frontal COCO-18 pose with nose-to-ankle height ``height`` and ankles at ``ankle_y``."""
    f = np.array([  # x offset, fraction of the height above the ankles
        (0, 1.0), (0, 0.86), (-0.1, 0.86), (-0.13, 0.66), (-0.14, 0.48), (0.1, 0.86), (0.13, 0.66), (0.14, 0.48),
        (-0.05, 0.53), (-0.05, 0.27), (-0.05, 0.0), (0.05, 0.53), (0.05, 0.27), (0.05, 0.0),
        (-0.02, 1.02), (0.02, 1.02), (-0.04, 1.0), (0.04, 1.0)])
    kp = np.ones((18, 3), np.float32)
    kp[:, 0] = centre_x + f[:, 0] * height
    kp[:, 1] = ankle_y - f[:, 1] * height
    return kp


def test_normalisation_matches_height_and_floor_line():
    driving = np.stack([standing(100.0, 300.0, 50.0 + 5 * t) for t in range(5)])
    example = standing(180.0, 240.0, 128.0)
    out = normalize_motion(driving, example)
    heights = out[:, [R_ANKLE, L_ANKLE], 1].mean(1) - out[:, NOSE, 1]
    np.testing.assert_allclose(heights, 180.0, rtol=1e-4)
    np.testing.assert_allclose(out[:, R_ANKLE, 1], 240.0, atol=1e-3)
    np.testing.assert_allclose(out[:, :, 2], driving[:, :, 2])
    # Sideways motion is kept (scaled), centred on the example's position.
    np.testing.assert_allclose(np.diff(out[:, NOSE, 0]), 5 * 1.8, rtol=1e-4)
    assert abs(np.median(out[:, 8, 0] + out[:, 11, 0]) / 2 - 128.0) < 1e-3


def test_normalisation_interpolates_between_far_and_close():
    # The driving person walks from far (ankles at 200, 80 px tall) to close (300, 120 px); the example from far
    # (250, 150 px) to close (350, 210 px): the midway frame lands midway, with the midway scale.
    driving = np.stack([standing(80 + 40 * t, 200 + 100 * t, 100) for t in np.linspace(0, 1, 11)])
    example = np.stack([standing(150 + 60 * t, 250 + 100 * t, 100) for t in np.linspace(0, 1, 11)])
    src, dst = floor_stats(driving), floor_stats(example)
    assert src.has_depth and dst.has_depth
    s, tx, ty = motion_transform(src, dst, 250.0)
    assert abs(s * 250 + ty - 300.0) < 1e-6  # the ankle line midway between 250 and 350
    assert abs(s - (dst.far_height / src.far_height + dst.close_height / src.close_height) / 2) < 1e-6
    assert abs(src.far_height - 80) < 8 and abs(dst.close_height - 210) < 10  # medians near each end
    out = normalize_motion(driving, example)
    np.testing.assert_allclose(out[[0, -1], R_ANKLE, 1], [250.0, 350.0], atol=1e-3)
    np.testing.assert_allclose(out[[0, -1], R_ANKLE, 1] - out[[0, -1], NOSE, 1], [150.0, 210.0], rtol=0.02)


def test_normalisation_needs_ankles():
    example = standing(150.0, 250.0, 100.0)
    example[[R_ANKLE, L_ANKLE], 2] = 0
    with pytest.raises(UserError, match="example person"):
        normalize_motion(standing(100.0, 300.0, 50.0)[None], example)


def test_smoothing_reduces_jitter_on_a_constant_signal():
    rng = np.random.default_rng(0)
    truth = standing(120.0, 200.0, 64.0)
    noisy = truth[None].repeat(120, 0)
    noisy[:, :, :2] += rng.normal(0, 2.0, (120, 18, 2))
    noisy[:, :, 2] = 0.9
    smoother = KeypointSmoother(fps=25)
    out = np.stack([smoother(k) for k in noisy])
    raw_jitter = np.abs(np.diff(noisy[20:, :, :2], axis=0)).mean()
    smooth_jitter = np.abs(np.diff(out[20:, :, :2], axis=0)).mean()
    assert smooth_jitter < 0.25 * raw_jitter
    assert np.abs(out[20:, :, :2] - truth[:, :2]).mean() < np.abs(noisy[20:, :, :2] - truth[:, :2]).mean()
    assert (out[:, :, 2] == 1).all()


def test_smoothing_follows_a_step_and_has_visibility_hysteresis():
    f = OneEuroFilter(fps=25, min_cutoff=1.0, beta=0.5)
    for _ in range(10):
        f(np.zeros(2))
    for _ in range(25):
        y = f(np.full(2, 100.0))
    assert (y > 95).all()  # catches up within a second
    smoother = KeypointSmoother(fps=25)
    kp = np.zeros((1, 3), np.float32)
    vis = []
    for score in (0.6, 0.4, 0.35, 0.2, 0.4, 0.45, 0.55):
        kp[0, 2] = score
        vis.append(smoother(kp)[0, 2])
    assert vis == [1, 1, 1, 0, 0, 0, 1]


def test_person_framing_puts_the_body_where_the_dancers_are():
    pose = standing(300.0, 700.0, 900.0)  # a big person, off-centre, in a 1280 x 720 frame
    framing = person_framing([pose], 256, 256)
    out = framing.points(pose)
    assert abs(out[R_ANKLE, 1] - (256 - 0.104 * 256)) < 1e-3
    assert abs((out[R_ANKLE, 1] - out[NOSE, 1]) - POSE_HEIGHT * 256) < 1e-3
    assert abs((out[8, 0] + out[11, 0]) / 2 - 128) < 1e-3
    # Legs out of view: the height is estimated from the hips, about the same framing.
    upper = pose.copy()
    upper[[9, 10, 12, 13], 2] = 0
    assert abs(body_measure(upper)[1] - 300.0) < 0.1 * 300
    assert person_framing([np.zeros((18, 3), np.float32)], 256, 256) is None
    image = framing.image(np.zeros((720, 1280, 3), np.uint8))
    assert image.shape == (256, 256, 3)


def test_face_framing_and_fill_framing():
    lm = np.zeros((68, 2), np.float32)
    lm[36:42] = (100, 100)
    lm[42:48] = (140, 100)
    lm[48:68] = (120, 140)
    framing = face_framing([lm], 128, 128)
    out = framing.points(lm)
    assert abs(out[36:48, 0].mean() - 64) < 1e-3 and abs(out[36:48, 1].mean() - 0.313 * 128) < 1e-3
    fill = fill_framing(100, 200, 64, 64)  # cover: scale 0.64, crop the centre horizontally
    assert fill.scale == pytest.approx(0.64) and fill.tx == pytest.approx(-32.0) and fill.ty == pytest.approx(0.0)


def test_label_maps_in_every_encoding():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, (16, 24)).astype(np.uint8)
    assert detect_encoding(ids) == "ids"
    np.testing.assert_array_equal(LabelMapReader()(np.repeat(ids[:, :, None], 3, 2)), ids)
    colour = colorize_labels(ids).astype(np.int16) + rng.integers(-6, 7, (16, 24, 3))  # compression noise
    colour = np.clip(colour, 0, 255).astype(np.uint8)
    assert detect_encoding(colour) == "color"
    np.testing.assert_array_equal(LabelMapReader()(colour), ids)
    train = np.where(ids == UNLABELED, 255, ids).astype(np.uint8)
    assert detect_encoding(train) == "train_ids"
    np.testing.assert_array_equal(LabelMapReader()(train), ids)
    label_ids = np.array([[7, 26, 0, 33]], np.uint8)
    np.testing.assert_array_equal(LabelMapReader()(label_ids), [[0, 13, UNLABELED, 18]])
    with pytest.raises(UserError, match="not label ids"):
        detect_encoding(np.array([[40, 200]], np.uint8), "labels/000.png")
    assert len(STREET_COLORS) == 20


def test_dis_flow_direction_matches_the_layout():
    """flow_fwd[i] lives on frame i and points into frame i+1 (content moving right: +dx)."""
    rng = np.random.default_rng(0)
    tex = cv2.GaussianBlur(rng.uniform(0, 255, (96, 128)).astype(np.float32), (0, 0), 2.0)
    tex = cv2.normalize(tex, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    a, b = tex[:, 8:104], tex[:, 5:101]  # b shows the content of a shifted 3 px to the right
    from vid2vid.data.real.prepare import _flow

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    fwd, bwd = _flow(dis, a, b), _flow(dis, b, a)
    assert abs(np.median(fwd[20:-20, 20:-20, 0]) - 3.0) < 0.3 and abs(np.median(fwd[..., 1])) < 0.3
    assert abs(np.median(bwd[20:-20, 20:-20, 0]) + 3.0) < 0.3
