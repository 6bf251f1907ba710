"""One generation job from paths to mp4 files, as `vid2vid generate` and `vid2vid app` run it: load the model and the
examples, open the driving input, optionally finetune, then stream the frames to the output videos."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from vid2vid.errors import UserError
from vid2vid.inference.render import RenderStats


@dataclass(frozen=True)
class GenerateRequest:
    checkpoint: Path
    driving: Path
    examples: tuple[Path, ...]
    out: Path  # the output video (.mp4)
    side_by_side: bool = False  # out shows driving | examples | output
    side_by_side_out: Path | None = None  # also write that layout to this file
    attention_out: Path | None = None  # also write the attention maps here
    finetune: int = 0  # test-time finetuning steps on the examples
    finetune_all_examples: bool = False  # finetune with the reconstructed example among those given (not left out)
    crop: bool = True
    normalize: bool = True
    device: str = "auto"
    runtime: str = "torch"  # torch | onnx
    lossless: bool = False
    resume: bool = False
    max_frames: int = 0  # refuse longer driving inputs (0: no limit)
    style_seed: int | None = None  # a multimodal model's look (None: the mean look)
    predict: int = 0  # continue the video by this many frames of predicted label maps (models with a predictor)
    fill_depth: int = 0  # example_fill models: examples composing a frame (0: every one; Pipeline.from_checkpoint)
    example_flow: str | None = None  # learned, parts or landmarks instead of the model's own (Pipeline.from_checkpoint)
    progress: bool = True
    job: dict | None = field(default=None, compare=False)  # what identifies the run for --resume

    def outputs(self) -> list[Path]:
        return [p for p in (self.out, self.side_by_side_out, self.attention_out) if p is not None]


@dataclass(frozen=True)
class GenerateResult:
    stats: RenderStats
    notes: str  # said with the result line
    warnings: list[str]
    finetune_losses: list[float]


def generate_video(req: GenerateRequest, on_stage: Callable[[str], None] | None = None,
                   on_frame: Callable[[int, int], None] | None = None) -> GenerateResult:
    """Run ``req``; ``on_stage(text)`` hears the stages, ``on_frame(done, total)`` each frame written."""
    from vid2vid.inference.inputs import load_examples, open_driving
    from vid2vid.inference.pipeline import Pipeline
    from vid2vid.inference.render import render_video

    for path in req.outputs():
        if not path.parent.is_dir():
            raise UserError(f"output folder {path.parent} does not exist; create it or choose another path")
        if path.suffix.lower() != ".mp4":
            raise UserError(f"output {path} must end in .mp4")
    say = on_stage or (lambda _text: None)
    say("loading the model")
    pipe = Pipeline.from_checkpoint(req.checkpoint, device=req.device, fill_depth=req.fill_depth,
                                    example_flow=req.example_flow)
    say("preparing the examples")
    examples, semantics, example_keypoints = load_examples(pipe, list(req.examples), crop=req.crop)
    say("opening the driving video")
    driving = open_driving(pipe, req.driving, crop=req.crop,
                           target_keypoints=example_keypoints if req.normalize else None)
    if req.max_frames and driving.count > req.max_frames:
        raise UserError(f"{req.driving.name} has {driving.count} frames; the limit here is {req.max_frames} "
                        f"(about {req.max_frames / float(driving.fps):.0f} s at its frame rate)")
    pipe.set_examples(examples, semantics, example_keypoints if pipe.uses_landmarks else None)
    pipe.set_style(req.style_seed)
    count = driving.count + req.predict if driving.count else 0
    stream = pipe.continue_predicted(driving, req.predict) if req.predict else driving
    losses: list[float] = []
    if req.finetune:
        say(f"finetuning on the examples ({req.finetune} steps)")
        losses = pipe.finetune(req.finetune, progress=req.progress, leave_one_out=not req.finetune_all_examples)
    if req.runtime == "onnx":
        say("exporting to ONNX")
        pipe.use_onnx()
    say("generating")
    frames = _counted(stream, count, on_frame) if on_frame else stream
    stats, _ = render_video(pipe, frames, examples, req.out, driving.fps, audio_from=driving.audio_from,
                            layout_side_by_side=req.side_by_side, side_by_side_out=req.side_by_side_out,
                            attention_out=req.attention_out, total=count or None, progress=req.progress,
                            lossless=req.lossless, job=req.job, resume=req.resume)
    return GenerateResult(stats, driving.report(), list(driving.warnings), losses)


def _counted(driving, total: int, on_frame: Callable[[int, int], None]):
    """The driving stream, calling ``on_frame(done, total)`` as each frame is taken (= the previous one written)."""
    done = -1
    for item in driving:
        done += 1
        on_frame(done, total)
        yield item
    on_frame(done + 1, total)
