"""Frame-by-frame generation: the one `unroll` used by training, inference and evaluation, and its streaming form.

Both encode the examples once and then call `generator.step` per frame, feeding back the last n generated frames
and their semantic maps. `Stream` keeps only those n frames (constant memory for arbitrarily long videos).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import parametrize

from vid2vid.models.outputs import ExampleCode, FrameOutput, pad_history


@dataclass
class StreamState:
    """What carries over between frames: the example code and the last n semantic maps / generated frames."""

    code: ExampleCode
    prev_semantics: torch.Tensor | None = None  # (B, m <= n, C, H, W), oldest first
    prev_frames: torch.Tensor | None = None  # (B, m <= n, 3, H, W)


def start_stream(generator: nn.Module, examples: torch.Tensor | None = None,
                 example_semantics: torch.Tensor | None = None, prev_frames: torch.Tensor | None = None,
                 prev_semantics: torch.Tensor | None = None, style_seed: int | None = None) -> StreamState:
    """Encode the examples (once) and optionally seed the history with given frames (B, m, 3, H, W); ``style_seed``
    picks a multimodal generator's look."""
    if (prev_frames is None) != (prev_semantics is None):
        raise ValueError("pass prev_frames and prev_semantics together")
    code = generator.encode_examples(examples, example_semantics, style_seed=style_seed)
    return StreamState(code, prev_semantics, prev_frames)


def stream_step(generator: nn.Module, state: StreamState, semantic: torch.Tensor, detach_prev: bool = True,
                part_flows: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[FrameOutput, StreamState]:
    """Generate the next frame from semantic (B, C, H, W); returns it and the updated state. ``part_flows``: the
    frame's example flows fitted outside the model (``SequentialGenerator.step``)."""
    out = generator.step(semantic, state.code, state.prev_semantics, state.prev_frames, part_flows=part_flows)
    frame = out.image.detach() if detach_prev else out.image
    n = generator.cfg.num_prev_frames
    sems = semantic.unsqueeze(1) if state.prev_semantics is None else torch.cat(
        [state.prev_semantics, semantic.unsqueeze(1)], dim=1)
    frames = frame.unsqueeze(1) if state.prev_frames is None else torch.cat(
        [state.prev_frames, frame.unsqueeze(1)], dim=1)
    keep = min(n, sems.shape[1])
    return out, StreamState(state.code, pad_history(sems, keep), pad_history(frames, keep))


def unroll(generator: nn.Module, semantics: torch.Tensor, examples: torch.Tensor | None = None,
           example_semantics: torch.Tensor | None = None, prev_frames: torch.Tensor | None = None,
           prev_semantics: torch.Tensor | None = None, detach_prev: bool = True,
           code: ExampleCode | None = None,
           part_flows: tuple[torch.Tensor, torch.Tensor] | None = None) -> list[FrameOutput]:
    """Generate T frames for semantics (B, T, C, H, W) with examples (B, K, 3, H, W) + (B, K, C, H, W).

    prev_frames / prev_semantics (B, m, ...) seed the history (e.g. real frames); otherwise frame 0 has none.
    detach_prev stops gradients flowing through the fed-back frames (as in the paper's training). A ready
    `code` from `generator.encode_examples` may be passed instead of the examples. Spectral-norm weights are
    computed once for the whole sequence. ``part_flows``: every frame's example flows and validity fitted outside the
    model, (B, T, K, 2, H, W) and (B, T, K, 1, H, W) (example_flow "landmarks"). Returns one FrameOutput per frame
    (`outputs.stack_frames` stacks)."""
    if semantics.dim() != 5:
        raise ValueError(f"semantics must be (B, T, C, H, W), got {tuple(semantics.shape)}")
    with parametrize.cached() if _has_parametrizations(generator) else nullcontext():
        if code is None:
            state = start_stream(generator, examples, example_semantics, prev_frames, prev_semantics)
        else:
            state = StreamState(code, prev_semantics, prev_frames)
        outputs = []
        for t in range(semantics.shape[1]):
            given = None if part_flows is None else (part_flows[0][:, t], part_flows[1][:, t])
            out, state = stream_step(generator, state, semantics[:, t], detach_prev, given)
            outputs.append(out)
    return outputs


class Stream:
    """Streaming inference: `for out in Stream(generator, examples, semantics)(semantic_iter): ...`.

    Holds the example code and the last n frames only; frames are produced one at a time."""

    def __init__(self, generator: nn.Module, examples: torch.Tensor | None = None,
                 example_semantics: torch.Tensor | None = None, style_seed: int | None = None) -> None:
        self.generator = generator
        self.state = start_stream(generator, examples, example_semantics, style_seed=style_seed)

    def step(self, semantic: torch.Tensor, part_flows: tuple[torch.Tensor, torch.Tensor] | None = None
             ) -> FrameOutput:
        out, self.state = stream_step(self.generator, self.state, semantic, part_flows=part_flows)
        return out

    def __call__(self, semantics: Iterable[torch.Tensor]) -> Iterator[FrameOutput]:
        for semantic in semantics:
            yield self.step(semantic)


def _has_parametrizations(module: nn.Module) -> bool:
    return any(parametrize.is_parametrized(m) for m in module.modules())
