"""Drive a Pipeline with a stream of semantic maps and write the result as mp4, frame by frame (constant memory).

Outputs appear whole or not at all (``VideoWriter`` renames them into place when complete). With a ``job`` (what
identifies the run: inputs and options), SIGINT / SIGTERM stop between frames and keep what was done:
``<out>.partial.mp4`` (playable, audio cut to match) and ``<out>.partial.npz`` (the generator's recurrent state and
the job), and ``resume=True`` continues such a run from its next frame, so the result equals an uninterrupted run's
(bit-exact with ``lossless``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch
from tqdm import tqdm

from vid2vid.data.video import FrameSource, VideoWriter
from vid2vid.errors import Stopped, UserError
from vid2vid.files import atomic_path
from vid2vid.inference.compose import attention_picture, side_by_side, with_legend
from vid2vid.inference.pipeline import History, Pipeline
from vid2vid.stopping import StopRequests


@dataclass(frozen=True)
class RenderStats:
    frames: int
    seconds: float
    fps: float  # frame rate written to the mp4
    resumed_from: int = 0  # frames taken over from a stopped run (--resume)


def partial_path(out: str | Path) -> Path:
    """Where a stopped run keeps the frames it finished: ``clip.mp4`` -> ``clip.partial.mp4``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.partial{out.suffix}")


def state_path(out: str | Path) -> Path:
    """Where a stopped run keeps its recurrent state and job: ``clip.mp4`` -> ``clip.partial.npz``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.partial.npz")


def render_video(pipeline: Pipeline, driving: Iterable[tuple[torch.Tensor, np.ndarray]], examples: list[np.ndarray],
                 out: str | Path, fps: Fraction | float, audio_from: str | Path | None = None,
                 layout_side_by_side: bool = False, attention_out: str | Path | None = None, total: int | None = None,
                 progress: bool = True, keep_every: int = 0, lossless: bool = False, job: dict | None = None,
                 resume: bool = False, side_by_side_out: str | Path | None = None
                 ) -> tuple[RenderStats, list[np.ndarray]]:
    """Generate one output frame per driving frame and encode it at ``fps``; returns stats and every
    ``keep_every``-th composed frame (for a PNG strip; 0 keeps none). ``out`` holds the output (or driving |
    examples | output with ``layout_side_by_side``); ``side_by_side_out`` and ``attention_out`` get that layout and
    the attention maps as well. ``job`` (JSON-able) makes a stopped run resumable (raises ``Stopped`` after saving
    it); ``resume`` continues the stopped run of the same job."""
    h, w = pipeline.size
    outputs = {"out": Path(out)}
    if side_by_side_out is not None:
        outputs["side"] = Path(side_by_side_out)
    if attention_out is not None:
        outputs["attention"] = Path(attention_out)
    start, history = _load_partial(outputs, job) if resume else (0, None)
    pending = iter(driving)
    previews: list[np.ndarray] = []

    def semantics() -> Iterator[torch.Tensor | tuple[torch.Tensor, np.ndarray]]:
        for semantic, preview, *landmarks in pending:  # (semantic, preview[, landmarks]): Pipeline.generate
            previews.append(preview)
            yield (semantic, landmarks[0]) if landmarks else semantic

    writers: dict[str, VideoWriter] = {}

    def write(key: str, picture: np.ndarray) -> None:
        if key not in writers:  # sized by the first picture
            writers[key] = VideoWriter(outputs[key], fps, picture.shape[1], picture.shape[0],
                                       audio_from=audio_from if key in ("out", "side") else None,
                                       lossless=lossless)
        writers[key].write(picture)

    kept = []
    began = time.perf_counter()
    n = start
    with StopRequests("generation") as stop:
        try:
            if start:
                _take_over(outputs, start, write, pending)
            for frame in tqdm(pipeline.generate(semantics(), history), initial=start, total=total, desc="generate",
                              unit="frame", disable=not progress):
                preview = previews.pop(0)
                write("out", side_by_side(preview, examples, frame.image) if layout_side_by_side else frame.image)
                if "side" in outputs:
                    write("side", side_by_side(preview, examples, frame.image))
                if attention_out is not None:
                    attn = (attention_picture(frame.attention, h, w) if frame.attention is not None
                            else np.zeros((h, w, 3), np.uint8))
                    write("attention", with_legend(attn, examples) if examples else attn)
                if keep_every and n % keep_every == 0:
                    kept.append(side_by_side(preview, [], frame.image))
                n += 1
                if stop.signal is not None:
                    break
        except BaseException:
            for writer in writers.values():
                writer.abort()
            raise
        if stop.signal is not None and n < (total or n + 1):
            _stop(writers, outputs, n, total, job, pipeline.history(), stop.signal)
    for writer in writers.values():
        writer.close()
    if resume:
        for path in [*map(partial_path, outputs.values()), state_path(outputs["out"])]:
            path.unlink(missing_ok=True)
    return RenderStats(n, time.perf_counter() - began, float(fps), start), kept


def _stop(writers: dict[str, VideoWriter], outputs: dict[str, Path], n: int, total: int | None, job: dict | None,
          history: History | None, signum: int) -> None:
    """Keep a stopped run's frames (and, with a job, its state) and raise ``Stopped`` saying how to go on."""
    of = f" of {total}" if total else ""
    if job is None or not writers or history is None:
        for writer in writers.values():
            writer.abort()
        raise Stopped(f"after {n}{of} frames; nothing was kept ({outputs['out']} untouched)", signum)
    kept = [writer.close(partial_to=partial_path(outputs[key])) for key, writer in writers.items()]
    with atomic_path(state_path(outputs["out"])) as tmp:
        np.savez(tmp, prev_semantics=history[0].float().numpy(), prev_frames=history[1].float().numpy(),
                 frames=np.int64(n), job=np.array(json.dumps(job, sort_keys=True)))
    raise Stopped(f"after {n}{of} frames; wrote them to {', '.join(map(str, kept))} (playable). Run the same "
                  f"command with --resume to continue from frame {n + 1}", signum)


def _load_partial(outputs: dict[str, Path], job: dict | None) -> tuple[int, History]:
    """(frames done, recurrent state) of the stopped run of ``job``; UserError if there is none or it differs."""
    out = outputs["out"]
    state = state_path(out)
    missing = [p for p in [state, *map(partial_path, outputs.values())] if not p.is_file()]
    if missing:
        raise UserError(f"--resume: {missing[0]} not found, so there is no stopped run of --out {out} to continue; "
                        "run without --resume to start from the first frame")
    try:
        with np.load(state) as data:
            saved = json.loads(str(data["job"]))
            frames = int(data["frames"])
            history = torch.from_numpy(data["prev_semantics"]), torch.from_numpy(data["prev_frames"])
    except (OSError, ValueError, KeyError) as err:
        raise UserError(f"--resume: {state} is unreadable ({err}); delete it and run without --resume") from None
    current = json.loads(json.dumps(job, sort_keys=True))
    changed = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
    if changed:
        raise UserError(f"--resume: the stopped run of {out} was made with other inputs or options "
                        f"({', '.join(changed)} differ); give the same ones, or run without --resume to start again")
    return frames, history


def _take_over(outputs: dict[str, Path], frames: int, write, driving: Iterator) -> None:
    """Copy a stopped run's frames into the new outputs and skip their driving frames (still computed: converters
    that smooth over time must see them)."""
    for key, path in outputs.items():
        with FrameSource(partial_path(path)) as src:
            copied = 0
            for picture in src:
                if copied == frames:
                    break
                write(key, picture)
                copied += 1
        if copied != frames:
            raise UserError(f"--resume: {partial_path(path)} holds {copied} frames, its state says {frames}; delete "
                            "the .partial files and run without --resume")
    for _ in range(frames):
        if next(driving, None) is None:
            raise UserError("--resume: the driving input is shorter than the frames already generated")
