"""The demo: a held-out synthetic dancer, never seen in training, animated from K example frames.

Uses the small checkpoint shipped in the package (``vid2vid/assets/demo_dancers.pt``, see docs/demo_checkpoint.md for
where it came from) or, if it is absent, trains a tiny model for a few minutes first. Renders fresh synthetic data
with a seed the checkpoint was never trained on, takes K frames of one clip of the new person as examples, drives
them with the poses of another clip of that person, and writes an mp4 (pose | examples | output) and a PNG strip
(examples | pose | output | ground truth).
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vid2vid.data.layout import frame_name, read_png
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.inference.pipeline import Pipeline
from vid2vid.inference.render import render_video
from vid2vid.inference.sources import ClipDriving, example_from_dataset

DEMO_SEED = 20261123  # never used for training data


def packaged_checkpoint() -> Path | None:
    path = Path(str(importlib.resources.files("vid2vid") / "assets" / "demo_dancers.pt"))
    return path if path.is_file() else None


@dataclass(frozen=True)
class DemoResult:
    video: Path
    strip: Path
    checkpoint: Path
    frames: int
    seconds: float


def fallback_checkpoint(out: Path, steps: int, progress: bool) -> Path:
    """Train the tiny preset on fresh synthetic dancers for ``steps`` steps (minutes on a CPU)."""
    from vid2vid.config import DataConfig
    from vid2vid.training.loop import training_loop
    from vid2vid.training.options import ModelSpec, RunConfig, TrainOptions

    data = out / "train_data"
    if not (data / "dataset.json").exists():
        write_synthetic(SynthOptions("dancers", str(data), domains=8, test_domains=1, clips=2, frames=16, height=64,
                                     width=64), overwrite=True, progress=progress)
    cfg = RunConfig(data=DataConfig(root=str(data), seq_len=2, num_examples=2), model=ModelSpec(preset="tiny"),
                    train=TrainOptions(max_steps=steps, batch_size=2, single_frame_steps=steps // 2,
                                       double_every=steps, workers=0, image_every=0, checkpoint_every=steps,
                                       progress=progress))
    return training_loop(str(out / "fallback_run"), cfg, **{**vars(cfg.train), "resume": True})


def strip_png(path: Path, examples: list[np.ndarray], rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
    """A PNG: one row per frame, examples | pose | output | ground truth."""
    import cv2

    h, w = rows[0][0].shape[:2]
    ex = np.concatenate(examples, axis=1) if examples else np.zeros((h, 0, 3), np.uint8)
    lines = [np.concatenate([ex, pose, output, truth], axis=1) for pose, output, truth in rows]
    grid = np.concatenate([np.pad(line, ((1, 1), (0, 0), (0, 0)), constant_values=255) for line in lines], axis=0)
    cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))


def run_demo(out: Path, checkpoint: Path | None = None, num_examples: int = 2, frames: int = 48,
             fallback_steps: int = 300, progress: bool = True) -> DemoResult:
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = checkpoint or packaged_checkpoint()
    if checkpoint is None:
        print("no packaged demo checkpoint: training a tiny model first (a few minutes)")
        checkpoint = fallback_checkpoint(out, fallback_steps, progress)
    pipe = Pipeline.from_checkpoint(checkpoint)
    h, w = pipe.size
    data = out / "heldout_data"
    write_synthetic(SynthOptions("dancers", str(data), domains=2, test_domains=1, clips=2, frames=frames, height=h,
                                 width=w, seed=DEMO_SEED, workers=1), overwrite=True, progress=False)
    person = data / "test" / "d001"
    example_paths = [person / "c000" / "rgb" / frame_name(int(i))
                     for i in np.linspace(0, frames - 1, num_examples).round()]
    pairs = [example_from_dataset(pipe.meta, p) for p in example_paths]
    examples = [r for r, _ in pairs]
    pipe.set_examples(examples, [s for _, s in pairs])
    driving = ClipDriving(person / "c001", pipe.meta)
    video = out / "demo.mp4"
    stats, kept = render_video(pipe, driving, examples, video, driving.fps, layout_side_by_side=True,
                               total=driving.count, progress=progress, keep_every=max(1, frames // 6))
    rows = []
    for i, picture in enumerate(kept):
        index = i * max(1, frames // 6)
        truth = read_png(person / "c001" / "rgb" / frame_name(index), 3)
        rows.append((picture[:, :w], picture[:, w:], truth))
    strip = out / "demo.png"
    strip_png(strip, examples, rows)
    return DemoResult(video, strip, checkpoint, stats.frames, stats.seconds)
