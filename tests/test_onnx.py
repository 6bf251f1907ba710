"""ONNX export and ONNX Runtime inference: the same frames as PyTorch (examples and history included)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime", reason="the onnx extra is not installed (pip install 'vid2vid[onnx]')")

from vid2vid.inference.onnx_runtime import OnnxGenerator, export_onnx  # noqa: E402
from vid2vid.models.config import build_generator, generator_preset  # noqa: E402
from vid2vid.models.layers import inference_copy  # noqa: E402
from vid2vid.models.unroll import Stream  # noqa: E402


@pytest.mark.parametrize("arch,k,extra", [("fewshot", 2, {}), ("fewshot", 1, {}),
                                          ("fewshot", 1, {"attend_single_example": False}),
                                          ("fewshot", 2, {"compose": "blend"}),
                                          ("fewshot", 3, {"compose": "example", "example_fill": True, "fill_depth": 0}),
                                          ("fewshot", 2, {"compose": "example", "decoder_body": True}),
                                          ("fewshot", 3, {"compose": "example", "example_fill": True,
                                                          "example_flow": "parts"}),
                                          ("fewshot", 2, {"compose": "example", "example_fill": True,
                                                          "example_flow": "landmarks"}),
                                          ("adain", 2, {}),
                                          ("vid2vid", 0, {})])
def test_onnx_runtime_matches_pytorch_frame_by_frame(arch, k, extra, tmp_path, one_thread):
    torch.manual_seed(0)
    model = build_generator(generator_preset("tiny", 6, {"compose": "spade"}, arch=arch, **extra))
    model = inference_copy(model.eval())
    h = w = 32
    examples = torch.rand(1, k, 3, h, w) * 2 - 1 if k else None
    semantics = torch.rand(1, k, 6, h, w) if k else None
    driving = [torch.rand(1, 6, h, w) for _ in range(4)]
    for semantic in driving:  # the maps draw on part of the frame only (decoder_body composes by where they draw)
        semantic[..., : w // 2] = 0
    if extra.get("example_flow") == "parts":  # pose maps: part indices in blocks (0 = background), u and v
        for maps in [semantics[0], *driving]:
            blocks = torch.randint(0, 4, (maps.shape[0], 1, h // 8, w // 8)).float() / 4
            maps[:, 3:4] = blocks.repeat_interleave(8, 2).repeat_interleave(8, 3)
    fitted = [None] * len(driving)
    if extra.get("example_flow") == "landmarks":  # flows fitted outside: random, valid on the middle of the frame
        fitted = [(torch.randn(1, k, 2, h, w) * 3, torch.zeros(1, k, 1, h, w)) for _ in driving]
        for _, valid in fitted:
            valid[..., 8:24, 8:24] = 1
    export_onnx(model, tmp_path, k, h, w, 6)
    runtime = OnnxGenerator(tmp_path, threads=1)
    code = runtime.encode(examples.numpy() if k else None, semantics.numpy() if k else None)
    stream = Stream(model, examples, semantics)
    sems = frames = None
    with torch.no_grad():
        for semantic, given in zip(driving, fitted):
            want = stream.step(semantic, given).image.numpy()
            got, _ = runtime.step(semantic.numpy(), code, sems, frames,
                                  None if given is None else tuple(x.numpy() for x in given))
            assert np.abs(got - want).max() <= 1e-3
            sems = semantic.numpy()[:, None] if sems is None else np.concatenate([sems, semantic.numpy()[:, None]], 1)
            frames = want[:, None] if frames is None else np.concatenate([frames, want[:, None]], 1)
