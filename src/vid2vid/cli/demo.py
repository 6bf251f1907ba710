"""`vid2vid demo`: a held-out synthetic dancer, face or city, never seen in training, animated from K example frames.

Uses the generator shipped in the package for the task (``vid2vid/assets/demo_<task>.safetensors``; see
docs/demo_checkpoint.md for where it came from) or, if there is none, trains a tiny model for a few minutes first.
Renders fresh synthetic data with a seed the checkpoint was never trained on, takes K frames of one clip of the new
person / face / city as examples, drives them with the semantic maps of another clip of it, and writes an mp4
(input | examples | output) and a PNG strip (examples | input | output | ground truth). It lives in the CLI layer
because it orchestrates everything: data, training (the fallback), inference.
"""

from __future__ import annotations

import argparse
import importlib.resources
import shutil
from dataclasses import dataclass
from pathlib import Path

from vid2vid import tasks
from vid2vid.files import write_image_atomic
from vid2vid.cli.common import (add_checkpoint_argument, add_device_argument, add_num_examples, add_task_argument, log,
                                resolve_task, task_help)

FALLBACK_HEIGHT = 64  # frames of the fallback model (width from the task's aspect)


def packaged_checkpoint(task: str = "pose") -> Path | None:
    """The checkpoint shipped for ``task`` (a task name or alias), if any."""
    path = Path(str(importlib.resources.files("vid2vid") / "assets" / f"demo_{tasks.get(task).name}.safetensors"))
    return path if path.is_file() else None


@dataclass(frozen=True)
class DemoResult:
    video: Path
    strip: Path
    checkpoint: Path
    frames: int
    seconds: float


def fallback_checkpoint(out: Path, steps: int, progress: bool, task: str = "pose") -> Path:
    """Train the tiny preset on fresh synthetic data of ``task`` for ``steps`` steps (minutes on a CPU)."""
    from vid2vid.config import DataConfig
    from vid2vid.data.synth.generate import SynthOptions, write_synthetic
    from vid2vid.training.loop import training_loop
    from vid2vid.training.options import ModelSpec, RunConfig, TrainOptions

    data = out / "train_data"
    if not (data / "dataset.json").exists():
        h, w = tasks.get(task).size(FALLBACK_HEIGHT)
        write_synthetic(SynthOptions(task, str(data), domains=8, test_domains=1, clips=2, frames=16, height=h,
                                     width=w), overwrite=True, progress=progress)
    cfg = RunConfig(data=DataConfig(root=str(data), seq_len=2, num_examples=2), model=ModelSpec("tiny"),
                    train=TrainOptions(max_steps=steps, batch_size=2, single_frame_steps=steps // 2,
                                       double_every=steps, workers=0, image_every=0, checkpoint_every=steps,
                                       resume=True, progress=progress))
    return training_loop(out / "fallback_run", cfg)


def strip_png(path: Path, examples: list, rows: list[tuple]) -> None:
    """A PNG: one row per frame, examples | pose | output | ground truth."""
    import numpy as np

    h, w = rows[0][0].shape[:2]
    ex = np.concatenate(examples, axis=1) if examples else np.zeros((h, 0, 3), np.uint8)
    lines = [np.concatenate([ex, pose, output, truth], axis=1) for pose, output, truth in rows]
    grid = np.concatenate([np.pad(line, ((1, 1), (0, 0), (0, 0)), constant_values=255) for line in lines], axis=0)
    write_image_atomic(path, grid)


def run_demo(out: Path, checkpoint: Path | None = None, num_examples: int = 2, frames: int = 48,
             fallback_steps: int = 300, progress: bool = True, task: str = "pose", device: str = "auto") -> DemoResult:
    from vid2vid.data.layout import frame_name, read_png
    from vid2vid.data.synth.sample import heldout_sample
    from vid2vid.errors import UserError
    from vid2vid.inference.pipeline import Pipeline
    from vid2vid.inference.render import render_video
    from vid2vid.inference.inputs import load_examples
    from vid2vid.inference.sources import ClipDriving

    task = tasks.get(task).name
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = checkpoint or packaged_checkpoint(task)
    if checkpoint is None:
        log.info(f"no packaged {task} checkpoint: training a tiny model first (a few minutes)")
        checkpoint = fallback_checkpoint(out, fallback_steps, progress, task)
    pipe = Pipeline.from_checkpoint(checkpoint, device=device)
    if pipe.meta.task != task:
        raise UserError(f"{checkpoint} is a {pipe.meta.task} model ({pipe.meta.kind} data), not {task}: pass "
                        f"--task {pipe.meta.task}")
    h, w = pipe.size
    data = out / "heldout_data"
    if data.exists():  # rendered for another model size or frame count: render again
        shutil.rmtree(data)
    clip, example_paths = heldout_sample(task, h, w, data, frames, num_examples)
    examples, semantics, landmarks = load_examples(pipe, list(example_paths))  # (the landmarks: a face model's)
    pipe.set_examples(examples, semantics, landmarks)
    driving = ClipDriving(clip, pipe.meta, landmarks=pipe.uses_landmarks)
    video = out / "demo.mp4"
    stats, kept = render_video(pipe, driving, examples, video, driving.fps, layout_side_by_side=True,
                               total=driving.count, progress=progress, keep_every=max(1, frames // 6))
    rows = []
    for i, picture in enumerate(kept):
        index = i * max(1, frames // 6)
        truth = read_png(clip / "rgb" / frame_name(index), 3)
        rows.append((picture[:, :w], picture[:, w:], truth))
    strip = out / "demo.png"
    strip_png(strip, examples, rows)
    return DemoResult(video, strip, checkpoint, stats.frames, stats.seconds)


HELP = """\
Animate a synthetic dancer (or face, or city) never seen in training from K=2 example frames, using the checkpoint
shipped in the package for that task (or, if there is none, a tiny model trained on the spot). Writes
<out>/demo.mp4 (input | examples | output) and <out>/demo.png (examples | input | output | ground truth). Seconds
with a shipped checkpoint, a few minutes on a 2-core CPU without one."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="end-to-end demo on built-in synthetic data", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_task_argument(p, "--task", default="pose", help="what to animate (default pose): " + task_help())
    p.add_argument("--out", default="vid2vid_demo", help="output folder (default vid2vid_demo)")
    add_checkpoint_argument(p, required=False, help="use this checkpoint (.pt or .safetensors) instead of the "
                            "packaged one")
    add_num_examples(p, 2)
    p.add_argument("--frames", type=int, default=48, help="frames to generate (default 48)")
    p.add_argument("--train-steps", type=int, default=300,
                   help="training steps of the fallback model when no checkpoint is packaged (default 300)")
    add_device_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vid2vid.errors import UserError

    if args.num_examples < 1 or args.frames < 2:
        raise UserError("--num-examples must be >= 1 and --frames >= 2")
    result = run_demo(Path(args.out), Path(args.checkpoint) if args.checkpoint else None, args.num_examples,
                      args.frames, args.train_steps, progress=not args.quiet, task=resolve_task(args.task),
                      device=args.device)
    log.info(f"wrote {result.video} ({result.frames} frames in {result.seconds:.1f} s) and {result.strip} "
          f"using {result.checkpoint}")
    return 0
