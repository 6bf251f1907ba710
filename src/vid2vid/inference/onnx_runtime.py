"""The generator as ONNX graphs run by ONNX Runtime: the example encoder (once per video) and the per-frame step.

``export_onnx(model, folder, ...)`` writes three graphs for one number of examples K and one frame size:
``encoder.onnx`` (examples, their semantic maps -> the example code as a flat list of tensors), ``first.onnx`` (the
first frame: semantic map + code -> image) and ``step.onnx`` (later frames: semantic map, the last n semantic maps and
generated frames, code -> image), and ``onnx.json`` with the code's structure and the sizes. ``OnnxGenerator`` runs
them; `Pipeline.use_onnx` switches a pipeline to it (same frames as PyTorch within ~1e-5). With example flow "parts"
the per-part fit (data-dependent loops) stays in PyTorch: ``OnnxGenerator.step`` fits every example's flow and feeds
it to the graphs. The torch exporter used is the TorchScript one (``dynamo=False``), which needs only the ``onnx``
package.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from vid2vid.errors import UserError
from vid2vid.files import atomic_path, write_json_atomic
from vid2vid.models import outputs
from vid2vid.models.outputs import pad_history
from vid2vid.models.part_flow import every_part_flow

OPSET = 17
SPEC_FILE = "onnx.json"
FITTED_FLOWS = ("parts", "landmarks")  # example flows fitted outside the graphs, given as inputs


def flatten(value: Any, tensors: list[torch.Tensor]) -> Any:
    """Nested dataclasses / lists / tuples of tensors -> a JSON structure; the tensors are appended to ``tensors``."""
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        tensors.append(value)
        return len(tensors) - 1
    if dataclasses.is_dataclass(value):
        return {"type": type(value).__name__,
                "fields": {f.name: flatten(getattr(value, f.name), tensors) for f in dataclasses.fields(value)}}
    if isinstance(value, (list, tuple)):
        return {"type": type(value).__name__, "items": [flatten(v, tensors) for v in value]}
    raise TypeError(f"cannot flatten {type(value).__name__}")


def unflatten(spec: Any, tensors: list) -> Any:
    """The inverse of ``flatten``: the structure ``spec`` with ``tensors`` in place."""
    if spec is None:
        return None
    if isinstance(spec, int):
        return tensors[spec]
    if spec["type"] in ("list", "tuple"):
        items = [unflatten(s, tensors) for s in spec["items"]]
        return items if spec["type"] == "list" else tuple(items)
    cls = getattr(outputs, spec["type"])
    return cls(**{name: unflatten(s, tensors) for name, s in spec["fields"].items()})


class _Encoder(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, examples: torch.Tensor, example_semantics: torch.Tensor) -> list[torch.Tensor]:
        tensors: list[torch.Tensor] = []
        flatten(self.model.encode_examples(examples, example_semantics), tensors)
        return tensors


class _Step(nn.Module):
    """One frame: semantic map, [previous maps and frames], the code, [with example flow "parts" or "landmarks":
    every example's flow and validity, fitted outside the graph by ``every_part_flow`` or ``every_landmark_flow``]."""

    def __init__(self, model: nn.Module, spec: Any, history: bool) -> None:
        super().__init__()
        self.model, self.spec, self.history = model, spec, history
        self.parts = model.cfg.example_flow in FITTED_FLOWS

    def forward(self, semantic: torch.Tensor, *rest: torch.Tensor) -> tuple[torch.Tensor, ...]:
        part_flows = None
        if self.parts:
            *rest, flows, valid = rest
            part_flows = (flows, valid)
        prev = rest[:2] if self.history else (None, None)
        code = unflatten(self.spec, list(rest[2:] if self.history else rest))
        out = self.model.step(semantic, code, *prev, part_flows=part_flows)
        return (out.image,) if out.attention is None else (out.image, out.attention)


def export_onnx(model: nn.Module, folder: str | Path, k: int, height: int, width: int, semantic_channels: int
                ) -> Path:
    """Write the encoder / first / step graphs of ``model`` (an inference copy, eval mode) for ``k`` examples and
    ``height`` x ``width`` frames to ``folder``; returns it."""
    if model.cfg.multimodal_channels:
        raise UserError("multimodal models run with PyTorch only: their per-class features are not in the ONNX graphs")
    parts = model.cfg.example_flow in FITTED_FLOWS
    if parts and model.cfg.example_order == "layout":
        raise UserError(f"example flow {model.cfg.example_flow!r} with example_order 'layout' runs with PyTorch only: "
                        "use --runtime torch (the graphs take the fitted flows in the attention's order)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n = model.cfg.num_prev_frames
    g = torch.Generator().manual_seed(0)
    examples = torch.rand(1, k, 3, height, width, generator=g) * 2 - 1
    example_semantics = torch.rand(1, k, semantic_channels, height, width, generator=g)
    semantic = torch.rand(1, semantic_channels, height, width, generator=g)
    prev = (torch.rand(1, n, semantic_channels, height, width, generator=g),
            torch.rand(1, n, 3, height, width, generator=g) * 2 - 1)
    # (the fitted flows are inputs: OnnxGenerator.step fits the parts' in PyTorch, or is given the landmarks', for
    # every example each frame)
    part_inputs = (torch.rand(1, k, 2, height, width, generator=g), torch.ones(1, k, 1, height, width)) if parts else ()
    part_names = ["part_flows", "part_valid"] if parts else []
    with torch.no_grad():
        code: list[torch.Tensor] = []
        spec = flatten(model.encode_examples(examples, example_semantics) if model.uses_examples
                       else model.encode_examples(), code)
        code_names = [f"code{i}" for i in range(len(code))]
        first = model.step(semantic, unflatten(spec, code), part_flows=part_inputs or None)
        has_attention = first.attention is not None
        out_names = ["image"] + (["attention"] if has_attention else [])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's tracer warnings (shapes are fixed by design)
            if model.uses_examples:
                _export(_Encoder(model), (examples, example_semantics), folder / "encoder.onnx",
                        ["examples", "example_semantics"], code_names)
            _export(_Step(model, spec, False), (semantic, *code, *part_inputs), folder / "first.onnx",
                    ["semantic", *code_names, *part_names], out_names)
            _export(_Step(model, spec, True), (semantic, *prev, *code, *part_inputs), folder / "step.onnx",
                    ["semantic", "prev_semantics", "prev_frames", *code_names, *part_names], out_names)
    write_json_atomic(folder / SPEC_FILE, {"k": k, "height": height, "width": width, "history": n,
                                           "example_flow": model.cfg.example_flow if model.uses_examples else None,
                                           "semantic_channels": semantic_channels, "code": spec,
                                           "code_names": code_names, "outputs": out_names,
                                           "constant_code": [] if model.uses_examples
                                           else [t.numpy().tolist() for t in code]})
    return folder


def _export(module: nn.Module, args: tuple, path: Path, inputs: list[str], outs: list[str]) -> None:
    module.eval()  # the exporter restores the wrapper's mode afterwards, recursively: a new module is in train mode
    with atomic_path(path) as tmp:
        torch.onnx.export(module, args, str(tmp), dynamo=False, opset_version=OPSET, input_names=inputs,
                          output_names=outs, do_constant_folding=True)


class OnnxGenerator:
    """ONNX Runtime sessions of a folder written by ``export_onnx``, with the generator's interface for streaming:
    ``encode`` once, then ``step`` per frame (numpy in, numpy out)."""

    def __init__(self, folder: str | Path, threads: int = 0) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise UserError("--runtime onnx needs onnxruntime: pip install 'vid2vid[onnx]'") from None
        folder = Path(folder)
        try:
            self.spec = json.loads((folder / SPEC_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise UserError(f"{folder} is not an ONNX export of vid2vid ({err}); write one with "
                            "`vid2vid export --onnx`") from None
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        names = ["first", "step"] + (["encoder"] if (folder / "encoder.onnx").exists() else [])
        self.sessions = {name: ort.InferenceSession(str(folder / f"{name}.onnx"), options,
                                                    providers=["CPUExecutionProvider"]) for name in names}
        self._example_semantics: torch.Tensor | None = None  # (1, K, C, H, W) of the last encode

    @property
    def k(self) -> int:
        return self.spec["k"]

    @property
    def history(self) -> int:
        return self.spec["history"]

    def encode(self, examples: np.ndarray | None, example_semantics: np.ndarray | None) -> list[np.ndarray]:
        """The example code (once per video); with example flow "parts" the examples' maps are kept for ``step``."""
        if "encoder" not in self.sessions:
            return [np.asarray(c, np.float32) for c in self.spec["constant_code"]]
        if examples.shape[1] != self.k:
            raise UserError(f"this ONNX export takes K={self.k} examples, got {examples.shape[1]}; export again "
                            f"with -k {examples.shape[1]}")
        self._example_semantics = torch.from_numpy(np.ascontiguousarray(example_semantics, np.float32))
        return self.sessions["encoder"].run(None, {"examples": examples.astype(np.float32),
                                                   "example_semantics": self._example_semantics.numpy()})

    def step(self, semantic: np.ndarray, code: list[np.ndarray], prev_semantics: np.ndarray | None,
             prev_frames: np.ndarray | None, fitted: tuple[np.ndarray, np.ndarray] | None = None
             ) -> tuple[np.ndarray, np.ndarray | None]:
        """(image (1, 3, H, W), attention or None); the history (1, m, ...) is padded to n like the generator's.
        ``fitted``: with example flow "landmarks", the frame's flows (1, K, 2, H, W) and validity to the examples."""
        feeds = {"semantic": semantic.astype(np.float32), **dict(zip(self.spec["code_names"], code))}
        if self.spec.get("example_flow") == "landmarks":
            if fitted is None:
                raise ValueError("example flow 'landmarks': pass each frame's fitted flows to step()")
            feeds.update(part_flows=fitted[0].astype(np.float32), part_valid=fitted[1].astype(np.float32))
        if self.spec.get("example_flow") == "parts":  # the fit per body part, in PyTorch, for every example
            if self._example_semantics is None:
                raise ValueError("call encode() with the examples before step()")
            flows, valid = every_part_flow(torch.from_numpy(feeds["semantic"]), self._example_semantics)
            feeds.update(part_flows=flows.numpy(), part_valid=valid.numpy())
        name = "first"
        if prev_frames is not None:
            name = "step"
            feeds["prev_semantics"] = _pad(prev_semantics, self.history)
            feeds["prev_frames"] = _pad(prev_frames, self.history)
        session = self.sessions[name]
        result = session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})  # unused inputs are pruned
        return result[0], (result[1] if len(result) > 1 else None)


def _pad(history: np.ndarray, n: int) -> np.ndarray:
    """The generator's own history padding (last n entries, the oldest repeated in front), on numpy arrays."""
    return pad_history(torch.from_numpy(np.ascontiguousarray(history, np.float32)), n).contiguous().numpy()
