"""What the benchmark's numbers look like: the methods side by side on held-out clips, as one PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vid2vid.data.preview import input_to_rgb
from vid2vid.evaluation.evaluate import Finetune, check_compatible, generate_clip, scored_clips
from vid2vid.inference.pipeline import Pipeline
from vid2vid.training.visuals import image_grid, save_png


@torch.no_grad()
def method_sheet(pipes: dict[str, Pipeline], root: str | Path, k: int, out: str | Path, clips: int = 2,
                 frames: int = 4, max_frames: int = 32, held_out_motions: int = 0,
                 finetunes: dict[str, Finetune] | None = None) -> Path:
    """For each of the first ``clips`` held-out clips (``evaluate.scored_clips``), rows: the K examples (if any), the
    driving input, each method's output (in ``pipes`` order), the real frames, each row labelled (``pipes``' keys
    name the methods); columns: ``frames`` frames spread over the first ``max_frames``. ``finetunes``: test-time
    finetuning of some methods (by key) on each clip's examples."""
    finetunes = finetunes or {}
    ds, picked_clips = scored_clips(root, clips, held_out_motions)
    for pipe in pipes.values():
        check_compatible(pipe, ds)
    rows: list[list[torch.Tensor]] = []
    labels: list[str] = []
    for clip in picked_clips:
        count = min(ds.clips[clip].frames, max_frames)
        picked = [int(f) for f in np.linspace(0, count - 1, frames).round()]
        block = []
        examples = None
        for name, pipe in pipes.items():
            fake, real, semantics, shown = generate_clip(pipe, ds, clip, k, count, finetunes.get(name, Finetune()))
            block.append([fake[f] for f in picked])
            examples = shown if shown is not None else examples
        if examples is not None:
            rows.append(list(examples))
            labels.append(f"examples of {ds.clips[clip].path.parent.name}")
        rows.append(list(input_to_rgb(semantics[picked], ds.meta.semantic)))
        rows += block
        rows.append([real[f] for f in picked])
        labels += ["input", *pipes, "real"]
    path = Path(out)
    save_png(image_grid(rows, labels), str(path))
    return path
