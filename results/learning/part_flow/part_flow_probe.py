"""Run a `vid2vid eval ...` command with the example flow of every loaded pose model replaced by the correspondence
computed from the semantic maps alone: the DensePose-like part channels (part index, u, v) of the frame's map and the
example's give one affine map per body part (`data.correspondence.part_correspondence`, the part-map teacher), so it
is available at inference for any input the pose task takes. An inference-time experiment (docs/learning.md, "The
body is drawn by the decoder"):

    PART_FLOW=flow PYTHONPATH=src python results/learning/part_flow/part_flow_probe.py eval checkpoint ...

PART_FLOW=flow replaces the flows only (the masks stay the model's); flow+mask also sets each example mask to
1 - validity of that correspondence (the example's pixel where the part is matched, h_t elsewhere)."""
import os
import sys

import numpy as np
import torch

from vid2vid.data.correspondence import part_correspondence
from vid2vid.data.layout import read_meta
from vid2vid.models import flow as flow_module

mode = os.environ.get("PART_FLOW", "flow")
num_parts = read_meta(sys.argv[sys.argv.index("--data") + 1]).num_parts
original = flow_module.FlowNetwork.forward


def parts_of(semantic: torch.Tensor) -> np.ndarray:
    """(C, H, W) encoded pose map -> (H, W, 3) uint8 part map (index, u*255, v*255), as stored in parts/."""
    p = semantic[3:6].float().cpu() * torch.tensor([num_parts, 255.0, 255.0]).view(3, 1, 1)
    return p.round().clamp(0, 255).byte().permute(1, 2, 0).numpy()


def from_parts(self, semantic, prev_semantics, prev_frames, example_semantic=None, example=None):
    out = original(self, semantic, prev_semantics, prev_frames, example_semantic, example)
    if out.example_flow is None or semantic.shape[1] < 6:
        return out
    flows, valids = zip(*(part_correspondence(parts_of(s), parts_of(e)) for s, e in zip(semantic, example_semantic)))
    out.example_flow = torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2).to(out.example_flow)
    if mode == "flow+mask":
        valid = torch.from_numpy(np.stack(valids)).to(out.example_mask).unsqueeze(1)
        out.example_mask = 1 - valid
    return out


flow_module.FlowNetwork.forward = from_parts
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
