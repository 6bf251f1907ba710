"""Warping error with the exact flow and an occlusion mask from the real frames; identity drift."""

import pytest
import torch

from vid2vid.config import DataConfig
from vid2vid.data.dataset import FewShotVideoDataset
from vid2vid.metrics.temporal import consistency_mask, drift_curve, identity_drift, warping_error


@pytest.fixture
def clip(tiny_dataset):
    """Six real frames of a square sliding right by one pixel per frame, with its exact backward flow."""
    s = FewShotVideoDataset(DataConfig(root=str(tiny_dataset), seq_len=6))[0]
    return s.images, s.flow, s.flow_valid


def test_real_frames_have_zero_warping_error_and_the_mask_drops_disocclusions(clip):
    images, flow, valid = clip
    assert warping_error(images, images, flow, valid) == pytest.approx(0.0, abs=1e-6)
    mask = consistency_mask(images[:-1], images[1:], flow[1:])
    assert 0.95 < mask.float().mean() < 1.0  # the column uncovered behind the square is left out


def test_flicker_and_frozen_frames_raise_the_warping_error(clip):
    images, flow, valid = clip
    offsets = torch.tensor([-0.2, 0.2, -0.2, 0.2, -0.2, 0.2]).view(6, 1, 1, 1)
    flicker = images * 0.5 + offsets  # brightness jumps of 0.4 between frames = 0.2 on [0, 1]
    assert warping_error(flicker, images, flow, valid) == pytest.approx(0.2, abs=1e-5)
    frozen = images[:1].expand_as(images)  # the square does not move: wrong where it should have
    assert warping_error(frozen, images, flow, valid) > 0.0
    assert warping_error(images, images, flow, torch.zeros(6, dtype=torch.bool)) != warping_error(
        images, images, flow, valid)  # nan: no valid step


def _features(frames: torch.Tensor) -> torch.Tensor:
    """A cheap appearance feature for tests: mean colour and its spatial spread."""
    return torch.cat([frames.mean((-2, -1)), frames.std((-2, -1))], 1) + 2.0


def test_identity_drift_zero_when_static_and_grows_with_change():
    base = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    static = base.expand(10, -1, -1, -1)
    assert identity_drift(static, window=3, features=_features) == pytest.approx(0.0, abs=1e-9)
    ramp = torch.linspace(0, 1, 10).view(10, 1, 1, 1) * torch.tensor([1.0, -1.0, 0.0]).view(1, 3, 1, 1)
    small = identity_drift((static + 0.2 * ramp).clamp(-1, 1), window=3, features=_features)
    large = identity_drift((static + 0.8 * ramp).clamp(-1, 1), window=3, features=_features)
    assert 0 < small < large
    curve = drift_curve((static + 0.8 * ramp).clamp(-1, 1), window=1, every=3, features=_features)
    assert [i for i, _ in curve] == [0, 3, 6, 9] and curve[0][1] == pytest.approx(0.0, abs=1e-9)
    assert all(a < b for (_, a), (_, b) in zip(curve, curve[1:]))


def test_identity_drift_with_inception_features():
    base = torch.nn.functional.interpolate(torch.rand(1, 3, 4, 4, generator=torch.Generator().manual_seed(1)) * 2 - 1,
                                           size=(32, 32), mode="bilinear", align_corners=False)
    shifted = torch.cat([base, base, (base + torch.tensor([0.6, -0.6, 0.0]).view(1, 3, 1, 1)).clamp(-1, 1)])
    assert identity_drift(base.expand(2, -1, -1, -1), window=1) == pytest.approx(0.0, abs=1e-6)
    assert identity_drift(shifted, window=1) > 1e-3


def test_the_real_frames_drift_is_each_clips_own_change_averaged_over_the_clips(tiny_dataset):
    from vid2vid.evaluation.evaluate import Detectors, clip_drift, detector_floor, test_split

    def pixels(frames: torch.Tensor) -> torch.Tensor:  # features that see the sliding square move
        return frames.flatten(1) + 2.0

    ds = test_split(tiny_dataset)  # one held-out domain, two clips of 6 frames, a square sliding right
    by_hand = [clip_drift(pixels(torch.stack([ds.load_frame(c, f)[1] for f in range(6)]))) for c in range(2)]
    assert all(d > 1e-4 for d in by_hand)
    floor = detector_floor(tiny_dataset, Detectors(), inception=pixels)
    assert floor["identity_drift"] == pytest.approx(sum(by_hand) / 2)
    assert "identity_drift" not in detector_floor(tiny_dataset, Detectors())  # no features given: not measured
    still = torch.ones(8, 4)
    assert clip_drift(still) == pytest.approx(0.0, abs=1e-12)
