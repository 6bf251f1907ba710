"""Example correspondence: warping an example with it reproduces the target's subject; a wrong one does not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from vid2vid.config import DataConfig
from vid2vid.data.correspondence import (appearance_agrees, object_correspondence, part_correspondence,
                                         semantic_correspondence)
from vid2vid.data.dataset import FewShotVideoDataset
from vid2vid.data.landmark_flow import landmark_flow
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.models.warp import warp


@pytest.fixture(scope="module", params=["dancers", "faces"])
def synth(request, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corr") / request.param
    write_synthetic(SynthOptions(request.param, str(root), domains=2, test_domains=1, clips=2, frames=12, height=64,
                                 width=64, workers=1), progress=False)
    return root


def body_error(ds: FewShotVideoDataset, clip: int, frame: int, example_clip: int, example_frame: int,
               flow: torch.Tensor, valid: torch.Tensor) -> tuple[float, float]:
    """Mean |warp(example) - target| on the target's subject pixels where ``valid``, and the share of them valid."""
    _, target = ds.load_frame(clip, frame)
    _, example = ds.load_frame(example_clip, example_frame)
    body = torch.from_numpy(ds._read(clip, "mask", frame, 1)[:, :, 0] > 127)
    on = body & (valid[0] > 0)
    err = (warp(example[None], flow[None])[0] - target).abs().mean(0)
    return float(err[on].mean()), float(on.sum() / body.sum())


def test_exact_correspondence_reproduces_the_target_across_clips(synth):
    ds = FewShotVideoDataset(DataConfig(root=str(synth), seq_len=1))
    flow, valid = ds.load_correspondence(0, 3, 1, 9)  # another clip of the same domain
    err, covered = body_error(ds, 0, 3, 1, 9, flow, valid)
    unwarped, _ = body_error(ds, 0, 3, 1, 9, torch.zeros_like(flow), valid)
    assert err < 0.05 and covered > 0.6
    assert unwarped > 4 * err
    # a wrong correspondence (the one of another example frame) does not reproduce the target
    wrong, wrong_valid = ds.load_correspondence(0, 3, 1, 2)
    bad, _ = body_error(ds, 0, 3, 1, 9, wrong, valid)
    assert bad > 3 * err


def test_invalid_where_the_example_shows_another_object():
    ids_t = np.zeros((16, 16), np.uint16)
    ids_t[4:8, 4:8] = 1
    ids_e = np.zeros((16, 16), np.uint16)
    ids_e[4:8, 10:14] = 1  # object 1 moved 6 px right in the example
    mats_t = np.stack([np.eye(2, 3), np.eye(2, 3)]).astype(np.float32)
    mats_e = mats_t.copy()
    mats_e[1, 0, 2] = 6.0
    flow, valid = object_correspondence(ids_t, mats_t, ids_e, mats_e)
    assert np.allclose(flow[4:8, 4:8, 0], 6.0) and valid[4:8, 4:8].all()
    assert not valid[4:8, 10:14].any()  # background there is hidden by the object in the example
    assert valid[0, 0] and flow[0, 0].tolist() == [0.0, 0.0]


def test_part_map_fallback_matches_the_exact_correspondence(tmp_path):
    root = tmp_path / "dancers"
    write_synthetic(SynthOptions("dancers", str(root), domains=2, test_domains=1, clips=2, frames=8, height=64,
                                 width=64, workers=1), progress=False)
    ds = FewShotVideoDataset(DataConfig(root=str(root), seq_len=1))
    exact, exact_valid = ds.load_correspondence(0, 2, 1, 6)
    for path in root.rglob("objects.npy"):  # a dataset written before objects were stored
        path.unlink()
    ds = FewShotVideoDataset(DataConfig(root=str(root), seq_len=1))  # (a fresh one: the first caches the objects)
    assert ds._objects(0) is None
    fitted, fitted_valid = ds.load_correspondence(0, 2, 1, 6)
    both = (exact_valid * fitted_valid)[0] > 0
    assert both.sum() > 0.8 * exact_valid.sum()
    assert (fitted - exact).norm(dim=0)[both].mean() < 0.3
    parts = ds._read(0, "parts", 2, 3)
    flow, valid = part_correspondence(parts, parts)
    assert np.abs(flow[valid]).max() < 0.3  # a frame against itself: no motion


def test_face_data_without_objects_takes_its_teacher_from_the_landmarks_on_the_face(tmp_path):
    """Prepared real face video keeps landmarks but no renderer objects: on the face the teacher is the landmarks'
    piecewise-affine fit (close to the exact correspondence), elsewhere DIS between the sketches."""
    root = tmp_path / "faces"
    write_synthetic(SynthOptions("faces", str(root), domains=2, test_domains=1, clips=2, frames=8, height=64,
                                 width=64, workers=1), progress=False)
    ds = FewShotVideoDataset(DataConfig(root=str(root), seq_len=1))
    exact, exact_valid = ds.load_correspondence(0, 2, 1, 6)
    for path in root.rglob("objects.npy"):  # as prepared real video
        path.unlink()
    ds = FewShotVideoDataset(DataConfig(root=str(root), seq_len=1))  # (a fresh one: the first caches the objects)
    assert ds._objects(0) is None
    points = [ds.load_keypoints(c, [f])[0].numpy() for c, f in ((0, 2), (1, 6))]
    fitted, face = landmark_flow(*points, 64, 64)
    taught, taught_valid = ds.load_correspondence(0, 2, 1, 6)
    on_face = torch.from_numpy(face) & (taught_valid[0] > 0)
    assert on_face.sum() > 0.6 * face.sum()  # the fit survives the appearance check on most of the face
    assert torch.allclose(taught.permute(1, 2, 0)[on_face], torch.from_numpy(fitted)[on_face])
    both = on_face & (exact_valid[0] > 0)
    assert (taught - exact).norm(dim=0)[both].mean() < 0.6
    dis, _ = semantic_correspondence(ds._read(0, "semantic", 2, 1), ds._read(1, "semantic", 6, 1))
    assert np.allclose(taught.permute(1, 2, 0).numpy()[~face], dis[~face])


def test_semantic_teacher_follows_a_shift():
    rng = np.random.default_rng(0)
    sem = (rng.random((48, 48, 1)) * 255).astype(np.uint8)
    sem = np.repeat(np.repeat(sem[::4, ::4], 4, 0), 4, 1)  # blocky texture DIS can track
    moved = np.roll(sem, 3, axis=1)
    flow, valid = semantic_correspondence(sem, moved)
    inner = valid[8:-8, 8:-8]
    assert inner.mean() > 0.7
    assert np.median(flow[8:-8, 8:-8, 0][inner]) == pytest.approx(3.0, abs=0.5)


def test_samples_carry_one_correspondence_per_frame_and_example(synth):
    ds = FewShotVideoDataset(DataConfig(root=str(synth), seq_len=3, num_examples=2, max_frame_stride=2))
    s = ds[1]
    assert s.example_flow.shape == (3, 2, 2, 64, 64) and s.example_valid.shape == (3, 2, 1, 64, 64)
    for t in range(3):
        for k in range(2):
            valid = s.example_valid[t, k]
            warped = warp(s.example_images[k:k + 1], s.example_flow[t, k:k + 1])[0]
            err = ((warped - s.images[t]).abs().mean(0) * valid[0]).sum() / valid.sum()
            assert err < 0.05
    plain = FewShotVideoDataset(DataConfig(root=str(synth), seq_len=3, num_examples=2), correspondence=False)
    assert plain[1].example_flow.shape[1] == 0


def test_random_stride_flow_still_warps_the_previous_sample_frame(synth):
    ds = FewShotVideoDataset(DataConfig(root=str(synth), seq_len=4, max_frame_stride=2, seed=3))
    strides = set()
    for i in range(8):
        s = ds[(i, 0)]
        for t in range(1, 4):
            warped = warp(s.images[t - 1:t], s.flow[t:t + 1])[0]
            assert (warped - s.images[t]).abs().mean() < 0.05
        strides |= {d for d in (1, 2) if torch.equal(s.images[1], ds.load_frame(int(s.clip), int(s.start) + d)[1])}
    assert strides == {1, 2}
    chained = FewShotVideoDataset(DataConfig(root=str(synth), seq_len=1))
    exact, _ = chained.load_flow(0, [2, 4])
    chained._objects = lambda clip: None  # fall back to chaining the stored consecutive flows
    approx, _ = chained.load_flow(0, [2, 4])
    assert (exact[1] - approx[1]).norm(dim=0).mean() < 0.2


def test_examples_come_from_another_clip_far_from_the_window(tmp_path):
    root = tmp_path / "d"
    write_synthetic(SynthOptions("dancers", str(root), domains=2, test_domains=1, clips=2, frames=20, height=32,
                                 width=32, workers=1), progress=False)
    ds = FewShotVideoDataset(DataConfig(root=str(root), seq_len=2, num_examples=2), correspondence=False)
    rng = np.random.default_rng(0)
    for clip in range(len(ds.clips)):
        refs = ds._example_refs(rng, clip, [5, 6])
        assert all(c != clip and ds.clips[c].domain == ds.clips[clip].domain for c, _ in refs)
    same = FewShotVideoDataset(DataConfig(root=str(root), seq_len=2, num_examples=2, examples_from="clip"),
                               correspondence=False)
    for _ in range(20):
        refs = same._example_refs(rng, 0, [5, 6])
        assert all(c == 0 and min(abs(f - 5), abs(f - 6)) >= 8 for c, f in refs)


def test_inexact_correspondence_keeps_only_pixels_that_look_alike():
    rng = np.random.default_rng(1)
    target = (rng.random((16, 16, 3)) * 255).astype(np.uint8)
    example = target.copy()
    example[:, 8:] = 255 - example[:, 8:]  # another background on the right half
    agree = appearance_agrees(target, example, np.zeros((16, 16, 2), np.float32))
    assert agree[:, :8].all() and not agree[:, 9:].any()
