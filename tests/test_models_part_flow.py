"""The example flow computed from the pose maps' part channels: the data's part-map teacher, in torch, on the
generator's inputs; it warps the example onto the frame's body, and a wrong pairing does not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from vid2vid.config import DataConfig
from vid2vid.data.correspondence import part_correspondence
from vid2vid.data.dataset import FewShotVideoDataset
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.errors import UserError
from vid2vid.models.part_flow import part_flow, require_part_channels
from vid2vid.models.warp import warp


@pytest.fixture(scope="module")
def dancers(tmp_path_factory) -> FewShotVideoDataset:
    root = tmp_path_factory.mktemp("part_flow") / "dancers"
    write_synthetic(SynthOptions("dancers", str(root), domains=2, test_domains=1, clips=2, frames=10, height=64,
                                 width=64, workers=1), progress=False)
    return FewShotVideoDataset(DataConfig(root=str(root), seq_len=1))


def test_part_flow_is_the_datas_part_teacher(dancers):
    flow, valid = part_flow(dancers.load_frame(0, 2)[0][None], dancers.load_frame(1, 7)[0][None])
    teacher, teacher_valid = part_correspondence(dancers._read(0, "parts", 2, 3), dancers._read(1, "parts", 7, 3))
    same = valid[0, 0].numpy() > 0
    assert (same == teacher_valid).mean() > 0.995
    assert np.abs(flow[0].permute(1, 2, 0).numpy() - teacher)[same & teacher_valid].max() < 0.05


def test_part_flow_warps_the_example_onto_the_frames_body_and_a_wrong_pairing_does_not(dancers):
    semantic, target = dancers.load_frame(0, 2)
    example_semantic, example = dancers.load_frame(1, 7)
    body = torch.from_numpy(dancers._read(0, "mask", 2, 1)[:, :, 0] > 127)

    def body_error(flow: torch.Tensor, valid: torch.Tensor) -> float:
        on = body & (valid[0, 0] > 0)
        return float((warp(example[None], flow)[0] - target).abs().mean(0)[on].mean())

    flow, valid = part_flow(semantic[None], example_semantic[None])
    assert float(valid[0, 0][body].mean()) > 0.7  # most of the body is matched
    err = body_error(flow, valid)
    assert err < 0.08 and body_error(torch.zeros_like(flow), valid) > 4 * err
    wrong, _ = part_flow(semantic[None], dancers.load_frame(1, 1)[0][None])  # the map of another example frame
    assert body_error(wrong, valid) > 3 * err
    still, still_valid = part_flow(semantic[None], semantic[None])  # a frame against itself: no motion
    assert float(still[still_valid.expand_as(still) > 0].abs().max()) < 0.3


def test_part_flow_needs_part_channels():
    with pytest.raises(ValueError, match="part channels"):
        part_flow(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 8))
    with pytest.raises(UserError, match="face.safetensors: .* face model's maps have 1 channels .use learned"):
        require_part_channels("face.safetensors", "face", 1)
    require_part_channels("pose.safetensors", "pose", 6)  # pose maps: nothing to say
