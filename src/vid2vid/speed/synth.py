"""Synthetic data speed: frames per second of the dataset generators, rendering only and rendering + writing.

For each kind, in this process: one clip rendered with exact flow (frames per wall-clock second and per CPU second),
the same clip rendered and written to disk (PNG, flow, keypoints), then `vid2vid data synth` itself with one worker
process per core (two domains per worker, one clip each).

Target: `vid2vid data synth` >= 50 frames/s at 256x256 for each kind on 2 cores.

Default: dancers, faces and streets at 256x256, 64 frames per clip.

Writes <out>/synth_speed.json and <out>/synth_speed.md.
"""

from __future__ import annotations

import logging
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from vid2vid import tasks
from vid2vid.speed.report import cpu_name, write_report
from vid2vid.errors import UserError

log = logging.getLogger(__name__)

NAME = "synth_speed"
TARGET_FPS = 50  # `vid2vid data synth` on all cores, per kind


def run(args: Any) -> list[Path]:
    """Time each kind's renderer, writer and `vid2vid data synth`; the report files written."""
    _check(args)
    import torch

    rows = []
    for kind in args.tasks:
        measure(kind, args.size, 4, write=False)  # warm-up (imports, caches)
        render, render_cpu = measure(kind, args.size, args.frames, write=False)
        written, _ = measure(kind, args.size, args.frames, write=True)
        cli = measure_cli(kind, args.size, args.frames, os.cpu_count() or 1)
        rows.append({"task": kind, "size": args.size, "frames": args.frames, "render_fps": round(render, 1),
                     "render_fps_per_cpu_second": round(render_cpu, 1), "render_and_write_fps": round(written, 1),
                     "cli_fps_all_cores": round(cli, 1), "target_fps": TARGET_FPS, "meets_target": cli >= TARGET_FPS})
        log.info(f"{kind:8s} {args.size}x{args.size}: render {render:6.1f} frames/s "
                 f"({render_cpu:6.1f} per CPU second), render+write {written:6.1f} frames/s, "
                 f"`vid2vid data synth` on all cores {cli:6.1f} frames/s")
    env = {"load_average_1min": round(os.getloadavg()[0], 2), "cpu_count": os.cpu_count(),
           "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
           "machine": platform.machine(), "processor": platform.processor(), "cpu": cpu_name()}
    return write_report(args.out, NAME, {"environment": env, "results": rows}, _markdown(rows, env, args.frames))


def _check(args: Any) -> None:
    args.tasks = [tasks.get(name).name for name in args.tasks]
    if not 32 <= args.size <= 4096:
        raise UserError(f"--size must be from 32 to 4096, got {args.size}")
    if args.frames < 2:
        raise UserError(f"--frames must be >= 2 (flow needs two frames), got {args.frames}")


def measure(kind_name: str, size: int, frames: int, write: bool) -> tuple[float, float]:
    """(frames per wall-clock second, frames per CPU second of this process) for one clip of `kind_name`."""
    import numpy as np

    from vid2vid.data.layout import KEYPOINT_COUNTS, ClipWriter
    task = tasks.get(kind_name)
    kind = task.renderer()
    look = kind.make_domain(np.random.default_rng(1))
    rng = np.random.default_rng(2)
    with tempfile.TemporaryDirectory() as tmp:
        writer = ClipWriter(Path(tmp) / "c", frames, size, size, kind.fps, extras=task.extras,
                            keypoints=KEYPOINT_COUNTS.get(task.keypoints or "", 0)) if write else None
        start, cpu = time.perf_counter(), time.process_time()
        for f in kind.render_clip(look, rng, frames, size, size):
            if writer is not None:
                writer.add(f.rgb, f.semantic, {"parts": f.parts, "mask": f.mask}, f.flow_fwd, f.flow_bwd, f.keypoints)
        if writer is not None:
            writer.close()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return frames / elapsed, frames / cpu


def measure_cli(kind_name: str, size: int, frames: int, workers: int) -> float:
    """Frames per second of `vid2vid data synth` (rendering + writing) with ``workers`` processes."""
    from vid2vid.data.synth.generate import SynthOptions, write_synthetic

    with tempfile.TemporaryDirectory() as tmp:
        opts = SynthOptions(kind_name, str(Path(tmp) / "d"), domains=workers * 2, test_domains=1, clips=1,
                            frames=frames, height=size, width=size, workers=workers)
        start = time.perf_counter()
        write_synthetic(opts, progress=False)
        return opts.domains * frames / (time.perf_counter() - start)


def _markdown(rows: list[dict], env: dict, frames: int) -> str:
    lines = ["# Synthetic data generation speed", "",
             f"One process, {env['cpu_count']} CPU cores on the machine (load average {env['load_average_1min']:.1f} "
             "when measured: above ~1 other work shared the cores and wall-clock rates are pessimistic; the "
             f"per-CPU-second rate is not), {frames} frames per kind. `render` is rendering with exact flow; "
             "`render+write` adds PNG/flow/keypoint writing. `vid2vid data synth` runs one such process per core.", "",
             "| task | size | render (frames/s) | render (frames per CPU s) | render + write (frames/s) | "
             f"`vid2vid data synth`, {env['cpu_count']} processes (frames/s) | target (CLI, >= {TARGET_FPS}) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['task']} | {r['size']}x{r['size']} | {r['render_fps']} | {r['render_fps_per_cpu_second']} "
                     f"| {r['render_and_write_fps']} | {r['cli_fps_all_cores']} | "
                     f"{'met' if r['meets_target'] else 'MISSED'} |")
    return "\n".join(lines) + "\n"
