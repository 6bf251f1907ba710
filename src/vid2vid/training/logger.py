"""Rank-0 logging: TensorBoard scalars and image grids (also saved as PNG under <run_dir>/images)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from vid2vid.data.preview import input_to_rgb
from vid2vid.models.outputs import FrameOutput
from vid2vid.training.visuals import flow_to_rgb, image_grid, save_png


class RunLogger:
    def __init__(self, run_dir: Path, enabled: bool, encoding: str) -> None:
        self.enabled, self.encoding = enabled, encoding  # encoding: the dataset's semantic encoding, for pictures
        self.images = run_dir / "images"
        self.writer = None
        if enabled:
            from torch.utils.tensorboard import SummaryWriter

            self.images.mkdir(parents=True, exist_ok=True)
            self.writer = SummaryWriter(str(run_dir / "tensorboard"))

    def scalars(self, step: int, values: dict[str, float]) -> None:
        """TensorBoard scalars plus one JSON line in <run_dir>/log.jsonl (readable without TensorBoard)."""
        if self.writer is not None:
            for name, value in values.items():
                self.writer.add_scalar(name, value, step)
            with open(self.images.parent / "log.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps({"step": step, **{k: round(v, 5) for k, v in values.items()}}) + "\n")

    def frame_grid(self, step: int, examples: torch.Tensor | None, semantic: torch.Tensor, real: torch.Tensor,
                   out: FrameOutput) -> None:
        """Rows: examples | semantic, output, real | warped, mask, hallucinated, flow (first sample of the batch)."""
        if self.writer is None:
            return
        rows = []
        if examples is not None:
            rows.append(list(examples[0]))
        rows.append([input_to_rgb(semantic[:1], self.encoding)[0], out.image[0], real[0]])
        extra = [out.hallucinated[0]]
        if out.warped is not None:
            extra = [out.warped[0], out.mask[0], out.hallucinated[0], flow_to_rgb(out.flow[:1])[0]]
        if out.example_warped is not None:
            extra += [out.example_warped[0], out.example_mask[0]]
        rows.append(extra)
        grid = image_grid(rows)
        self.writer.add_image("samples", grid, step)
        save_png(grid, str(self.images / f"step-{step:08d}.png"))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
