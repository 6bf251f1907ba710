"""Speed of the synthetic dataset generators (frames per second), rendering only and rendering + writing to disk.

    python benchmarks/synth_speed.py [--size 256] [--frames 64] [--kinds dancers faces streets]

Writes benchmarks/results/synth_speed.json and .md. One process, one clip per kind (`vid2vid data synth` runs one
process per core on top of this). Target: >= 50 frames/s at 256x256 for each kind on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from vid2vid.data.layout import ClipWriter
from vid2vid.data.layout import KEYPOINT_COUNTS
from vid2vid.data.synth.kind import KIND_NAMES, get_kind

RESULTS = Path(__file__).parent / "results"


def measure(kind_name: str, size: int, frames: int, write: bool) -> tuple[float, float]:
    """(frames per wall-clock second, frames per CPU second of this process)."""
    kind = get_kind(kind_name)
    look = kind.make_domain(np.random.default_rng(1))
    rng = np.random.default_rng(2)
    with tempfile.TemporaryDirectory() as tmp:
        writer = ClipWriter(Path(tmp) / "c", frames, size, size, kind.fps, extras=kind.extras,
                            keypoints=KEYPOINT_COUNTS.get(kind.keypoints or "", 0)) if write else None
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--kinds", nargs="+", default=list(KIND_NAMES))
    args = parser.parse_args()
    rows = []
    for kind in args.kinds:
        measure(kind, args.size, 4, write=False)  # warm-up (imports, caches)
        render, render_cpu = measure(kind, args.size, args.frames, write=False)
        written, _ = measure(kind, args.size, args.frames, write=True)
        cli = measure_cli(kind, args.size, args.frames, os.cpu_count() or 1)
        rows.append({"kind": kind, "size": args.size, "frames": args.frames, "render_fps": round(render, 1),
                     "render_fps_per_cpu_second": round(render_cpu, 1), "render_and_write_fps": round(written, 1),
                     "cli_fps_all_cores": round(cli, 1), "target_fps": 50, "meets_target": cli >= 50})
        print(f"{kind:8s} {args.size}x{args.size}: render {render:6.1f} frames/s ({render_cpu:6.1f} per CPU second), "
              f"render+write {written:6.1f} frames/s, `vid2vid data synth` on all cores {cli:6.1f} frames/s")
    load = os.getloadavg()[0]
    env = {"load_average_1min": round(load, 2), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
           "machine": platform.machine(), "processor": platform.processor()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "synth_speed.json").write_text(json.dumps({"environment": env, "results": rows}, indent=2) + "\n")
    lines = ["# Synthetic data generation speed", "",
             f"One process, {env['cpu_count']} CPU cores on the machine (load average {load:.1f} when measured: "
             "above ~1 other work shared the cores and wall-clock rates are pessimistic; the per-CPU-second rate is "
             f"not), {args.frames} frames per kind. `render` is rendering with exact flow; `render+write` adds "
             "PNG/flow/keypoint writing. `vid2vid data synth` runs one such process per core.", "",
             "| kind | size | render (frames/s) | render (frames per CPU s) | render + write (frames/s) | "
             f"`vid2vid data synth`, {env['cpu_count']} processes (frames/s) | target (CLI, >= 50) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['kind']} | {r['size']}x{r['size']} | {r['render_fps']} | {r['render_fps_per_cpu_second']} | "
                     f"{r['render_and_write_fps']} | {r['cli_fps_all_cores']} | "
                     f"{'met' if r['meets_target'] else 'MISSED'} |")
    (RESULTS / "synth_speed.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
