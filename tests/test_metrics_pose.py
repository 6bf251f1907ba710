"""Pose error: exact on ground truth, known distances, a detector-based check with an oracle detector, the keypoint
detector's decoding, training and weight file, and the mediapipe -> COCO-18 conversion."""

import math

import numpy as np
import pytest
import torch

from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.metrics.keypoint_net import (KeypointNet, decode_heatmaps, flip_keypoints, load_keypoint_net,
                                          render_heatmaps, train_keypoint_net)
from vid2vid.metrics.mediapipe_pose import blazepose_to_coco18
from vid2vid.metrics.pose_error import PoseErrorStats, detected_pose_error, pose_error, rescale_keypoints


def _keypoints(n: int = 3, j: int = 18, size: int = 32, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    xy = torch.randint(2, size - 2, (n, j, 2), generator=gen).float()
    vis = (torch.rand(n, j, 1, generator=gen) > 0.2).float()
    return torch.cat([xy, vis], -1)


def test_pose_error_is_zero_for_ground_truth_and_known_for_offsets():
    kp = _keypoints()
    assert pose_error(kp, kp) == 0.0
    moved = kp.clone()
    moved[..., 0] += 3.0
    moved[..., 1] += 4.0
    assert pose_error(moved, kp) == pytest.approx(5.0)
    hidden = kp.clone()
    hidden[..., 2] = 0  # no driving joint visible: nothing to score
    assert math.isnan(pose_error(kp, hidden))


def test_missed_joints_are_counted_not_scored():
    kp = _keypoints(n=1, j=4)
    kp[..., 2] = 1
    pred = kp.clone()
    pred[0, 0, :2] += 100.0
    pred[0, 0, 2] = 0.1  # low confidence: missed
    stats = PoseErrorStats().update(pred, kp, min_confidence=0.5)
    assert stats.mean == 0.0 and stats.detection_rate == pytest.approx(3 / 4)


def _dot_frames(kp: torch.Tensor, size: int) -> torch.Tensor:
    """One dot per visible joint, joint j drawn with intensity value j + 1 in channel 0."""
    frames = torch.full((len(kp), 3, size, size), -1.0)
    for i, joints in enumerate(kp):
        for j, (x, y, v) in enumerate(joints.tolist()):
            if v > 0:
                frames[i, 0, int(y), int(x)] = (j + 1) / 32
    return frames


def _oracle(frames: torch.Tensor) -> torch.Tensor:
    """Finds each joint's dot; joints without one are reported missed (confidence 0)."""
    out = torch.zeros(len(frames), 18, 3)
    for i, frame in enumerate(frames):
        for j in range(18):
            ys, xs = torch.nonzero(frame[0] == (j + 1) / 32, as_tuple=True)
            if len(xs):
                out[i, j] = torch.tensor([xs.float().mean(), ys.float().mean(), 1.0])
    return out


def test_detector_based_pose_error_with_an_oracle_detector():
    kp = _keypoints(size=40)
    frames = _dot_frames(kp, 40)
    stats = detected_pose_error(_oracle, frames, kp)
    assert stats.mean == 0.0 and stats.detection_rate == 1.0
    shifted = torch.roll(frames, shifts=2, dims=-1)  # generated frames 2 px off
    assert detected_pose_error(_oracle, shifted, kp).mean == pytest.approx(2.0)


def test_heatmap_decoding_is_sub_pixel_accurate():
    kp = torch.tensor([[[10.3, 20.8, 1.0], [33.0, 5.5, 1.0], [0.0, 47.0, 1.0]]])
    target = render_heatmaps(kp, 48, 40)
    assert torch.allclose(target.sum((-2, -1)), torch.ones(1, 3))
    decoded = decode_heatmaps(torch.log(target))
    assert decoded.shape == (1, 3, 3) and (decoded[..., 2] > 0.5).all()
    assert torch.allclose(decoded[0, :2, :2], kp[0, :2, :2], atol=1e-3)  # exact for Gaussians inside the image
    assert torch.allclose(decoded[0, 2, :2], kp[0, 2, :2], atol=0.51)  # border cell: cell centre only
    assert torch.allclose(flip_keypoints(flip_keypoints(_keypoints(), 32), 32), _keypoints())
    flipped = flip_keypoints(_keypoints(n=1), 32)
    assert flipped[0, 2, 0] == 31 - _keypoints(n=1)[0, 5, 0]  # right shoulder <- mirrored left shoulder


def test_rescale_keypoints():
    kp = torch.tensor([[-0.5, -0.5, 1.0], [63.5, 31.5, 1.0]])  # image corners of a 64 x 32 (W x H) image
    out = rescale_keypoints(kp, (32, 64), (64, 128))
    assert out[:, :2].tolist() == [[-0.5, -0.5], [127.5, 63.5]]


@pytest.fixture(scope="module")
def tiny_dancers(tmp_path_factory):
    root = tmp_path_factory.mktemp("dancers") / "d"
    write_synthetic(SynthOptions("dancers", str(root), domains=2, test_domains=1, clips=1, frames=3, height=64,
                                 width=64, workers=1), progress=False)
    return root


def test_keypoint_net_trains_saves_loads_and_detects_any_size(tiny_dancers, tmp_path):
    assert KeypointNet(18, 4)(torch.zeros(1, 3, 50, 38)).shape == (1, 18, 25, 19)
    path = tmp_path / "kp.safetensors"
    model = train_keypoint_net(tiny_dancers, steps=2, out=path, batch_size=2, width=4, frame_step=1, log=None)
    frames = torch.rand(2, 3, 64, 64) * 2 - 1
    kp = model.detect(frames)
    assert kp.shape == (2, 18, 3)
    assert (kp[..., :2] >= 0).all() and (kp[..., :2] <= 63).all()
    assert torch.equal(load_keypoint_net(path).detect(frames), kp)


def test_blazepose_conversion():
    lm = np.zeros((33, 3), np.float32)
    lm[:, 2] = 0.9
    lm[11] = (0.25, 0.5, 0.8)  # left shoulder
    lm[12] = (0.75, 0.5, 0.6)  # right shoulder
    coco = blazepose_to_coco18(lm, height=100, width=200)
    assert coco.shape == (18, 3)
    assert coco[5, :2].tolist() == [49.5, 49.5] and coco[2, :2].tolist() == [149.5, 49.5]
    assert coco[1].tolist() == pytest.approx([99.5, 49.5, 0.6])  # neck: shoulder midpoint, the lower visibility


def test_mediapipe_finds_the_astronaut():
    pytest.importorskip("mediapipe")
    data = pytest.importorskip("skimage.data")
    from vid2vid.metrics.mediapipe_pose import MediapipePose

    image = torch.from_numpy(data.astronaut()).permute(2, 0, 1)[None].float() / 127.5 - 1
    with MediapipePose() as detector:
        kp = detector(image)
    assert kp.shape == (1, 18, 3) and (kp[0, [0, 1, 2, 5, 14, 15], 2] > 0.5).all()  # nose, neck, shoulders, eyes
    nose, l_shoulder, r_shoulder = kp[0, 0], kp[0, 5], kp[0, 2]
    assert 150 < nose[0] < 300 and 60 < nose[1] < 200
    assert l_shoulder[0] > r_shoulder[0]  # facing the camera: her left is on the image's right
