"""The example flow fitted from the 68 face landmarks (data/landmark_flow.py): on synthetic faces it is the renderer's
exact correspondence on the face and warps the example onto the target there; a wrong pairing does not; evaluation
with it refuses data without landmarks in one line."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from vid2vid.config import DataConfig
from vid2vid.data.correspondence import object_correspondence, sample_along
from vid2vid.data.dataset import FewShotVideoDataset
from vid2vid.data.face_sketch import INNER_LIPS
from vid2vid.data.landmark_flow import every_landmark_flow, extended_points, landmark_flow
from vid2vid.data.layout import frame_name, read_png
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.errors import UserError


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> FewShotVideoDataset:
    root = tmp_path_factory.mktemp("landmark_flow") / "faces"
    write_synthetic(SynthOptions("faces", str(root), domains=2, test_domains=1, clips=2, frames=12, height=64,
                                 width=64, workers=1), progress=False)
    return FewShotVideoDataset(DataConfig(root=str(root), seq_len=1))


def _frame(ds: FewShotVideoDataset, clip: int, t: int):
    path = ds.clips[clip].path
    rgb = read_png(path / "rgb" / frame_name(t), 3).astype(np.float32) / 255
    return (rgb, np.load(path / "keypoints.npy")[t], np.load(path / "objects.npy")[t],
            np.load(path / "object_ids.npy")[t])


def test_landmark_flow_is_the_renderers_correspondence_on_the_face_and_a_wrong_pairing_is_not(faces):
    target, points, mats, ids = _frame(faces, 0, 3)
    example, example_points, example_mats, example_ids = _frame(faces, 1, 9)  # another clip of the person
    exact, exact_valid = object_correspondence(ids, mats, example_ids, example_mats)
    flow, valid = landmark_flow(points, example_points, 64, 64)
    person = ids > 0
    assert 0.15 < (valid & person).sum() / person.sum() < 0.8  # the face (forehead included), not hair or body
    both = valid & exact_valid
    assert both.sum() > 0.6 * valid.sum()  # the exact one also rejects pixels whose mesh triangle differs
    assert np.linalg.norm(flow - exact, axis=-1)[both].mean() < 0.6

    def face_error(f: np.ndarray) -> float:
        return float(np.abs(sample_along(example, f) - target)[valid].mean())

    err = face_error(flow)
    assert err < 0.03 and face_error(np.zeros_like(flow)) > 2 * err
    wrong, _ = landmark_flow(points, _frame(faces, 1, 0)[1] + [6.0, 0.0, 0.0], 64, 64)  # another frame, moved
    assert face_error(wrong) > 2 * err
    still, still_valid = landmark_flow(points, points, 64, 64)
    assert np.abs(still[still_valid]).max() < 1e-3


def test_landmark_flow_leaves_the_inner_mouth_and_off_frame_pixels_invalid(faces):
    _, points, _, _ = _frame(faces, 0, 0)
    flow, valid = landmark_flow(points, points, 64, 64)
    big = points * [2.0, 2.0, 1.0]  # the face at 128 px, its mouth opened 6 px (the lower inner lip down)
    big[list(INNER_LIPS[5:]), 1] += 6
    _, valid_big = landmark_flow(big, big, 128, 128)
    lips = big[list(INNER_LIPS), :2].astype(np.float32)
    inside = np.array([[cv2.pointPolygonTest(lips, (x, y), True) > 1 for x in range(128)] for y in range(128)])
    assert inside.sum() > 20 and not valid_big[inside].any()
    _, off = landmark_flow(points, points + [60.0, 0.0, 0.0], 64, 64)  # the example's face beyond the right edge
    assert off.sum() < 0.2 * valid.sum()
    assert extended_points(points[:, :2], forehead=True, ring=0.2).shape == (68 + 10 + 27, 2)


def test_every_landmark_flow_shapes_and_bad_landmarks():
    points = np.random.default_rng(0).uniform(10, 50, (68, 3))
    flows, valid = every_landmark_flow(np.stack([points] * 3), np.stack([points] * 2), 64, 48)
    assert flows.shape == (3, 2, 2, 64, 48) and valid.shape == (3, 2, 1, 64, 48)
    with pytest.raises(ValueError, match="example_landmarks must be .68, 2 or 3."):
        landmark_flow(points, points[:17], 64, 64)


def test_evaluation_with_landmark_flow_refuses_data_without_landmarks(tmp_path):
    from vid2vid.evaluation.evaluate import landmark_flows, test_split

    root = tmp_path / "streets"
    write_synthetic(SynthOptions("streets", str(root), domains=2, test_domains=1, clips=2, frames=4, height=32,
                                 width=64, workers=1), progress=False)
    with pytest.raises(UserError, match=f"{root}: example flow 'landmarks' reads 68 face landmarks .* has 0"):
        landmark_flows(test_split(root), 0, 2, 4)


def test_a_landmark_model_takes_the_landmarks_of_examples_and_frames_finetunes_with_them_and_does_not_train(faces):
    from vid2vid import tasks
    from vid2vid.inference.pipeline import Pipeline
    from vid2vid.models.config import build_generator
    from vid2vid.training.options import ModelSpec

    gcfg = tasks.get("face").generator_config("tiny", 1, compose="example", example_fill=True,
                                              example_flow="landmarks")
    pipe = Pipeline(build_generator(gcfg), gcfg, faces.meta)
    images = [(faces.load_frame(1, t)[1].permute(1, 2, 0).numpy() * 127.5 + 127.5).astype(np.uint8) for t in (0, 9)]
    semantics = [faces.load_frame(1, t)[0] for t in (0, 9)]
    points = [_frame(faces, 1, t)[1] for t in (0, 9)]
    with pytest.raises(UserError, match="example flow 'landmarks' warps each example by its face landmarks"):
        pipe.set_examples(images, semantics)
    pipe.set_examples(images, semantics, points)
    losses = pipe.finetune(2, progress=False)
    assert len(losses) == 2 and all(np.isfinite(losses))
    driving = [(faces.load_frame(0, t)[0], _frame(faces, 0, t)[1]) for t in range(3)]
    frames = [f.image for f in pipe.generate(iter(driving))]
    assert len(frames) == 3 and frames[0].shape == (64, 64, 3)
    with pytest.raises(UserError, match="needs each driving frame's face landmarks"):
        next(pipe.generate(iter([driving[0][0]])))
    with pytest.raises(UserError, match="'landmarks' is an inference setting"):
        ModelSpec.of("tiny", example_flow="landmarks")


def test_an_exported_face_model_is_written_again_with_the_landmark_flow(tmp_path):
    from vid2vid.checkpoint import generator_info, load_generator
    from vid2vid.cli.demo import packaged_checkpoint
    from vid2vid.inference.export import export_generator

    face = packaged_checkpoint("face")
    learned = export_generator(face, tmp_path / "learned.safetensors", example_flow="learned")
    out = export_generator(learned, tmp_path / "face.safetensors", example_flow="landmarks")
    tensors, config, dataset = load_generator(out)
    before, old_config, old_dataset = load_generator(learned)
    assert config["example_flow"] == "landmarks" and old_config["example_flow"] == "learned"
    assert dataset == old_dataset and tensors.keys() == before.keys()
    assert all(torch.equal(tensors[k], before[k]) for k in tensors)
    assert all(torch.equal(tensors[k], v) for k, v in load_generator(face)[0].items())
    assert generator_info(out)["reexported_from"] == learned.name
    assert generator_info(out)["source"] == generator_info(face)["source"]
    with pytest.raises(UserError, match="has coco18 keypoints .use learned"):
        export_generator(packaged_checkpoint("pose"), tmp_path / "pose.safetensors", example_flow="landmarks")
