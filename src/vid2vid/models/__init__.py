"""Generators (few-shot vid2vid, single-domain vid2vid, the paper's baselines), their parts, and `unroll`."""

from vid2vid.models.config import GeneratorConfig, build_generator, generator_preset
from vid2vid.models.outputs import Conditioning, ExampleCode, FrameOutput, stack_frames
from vid2vid.models.unroll import Stream, StreamState, start_stream, stream_step, unroll
from vid2vid.models.warp import warp

__all__ = ["GeneratorConfig", "build_generator", "generator_preset", "Conditioning", "ExampleCode", "FrameOutput",
           "stack_frames", "Stream", "StreamState", "start_stream", "stream_step", "unroll", "warp"]
