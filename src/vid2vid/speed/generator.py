"""Generator speed: seconds per frame, and the one-off example encoding, per preset, task and K.

Random weights, batch 1, inference mode, the inference copy of the model (spectral norm and batch norm folded) in
channels_last; one warm-up, then the median of --frames steps, each with a full history of previous frames. Every
measurement runs in its own process, so its peak RSS belongs to that configuration. bf16 autocast (paper preset on
the CPU, everything on CUDA) is measured separately and compared with fp32 on the same inputs.

Target: the paper preset, fp32 with 2 threads, at least 1.5x faster per frame than the published generator at K=1
and 2x at K=2. The published figures (same kind of 2-core CPU, torch 2.13, 2 threads, its own test settings) are
shown next to ours with the speed-up.

Default: tiny, small and paper presets x pose, face and street x K = 1, 2 on the CPU (and CUDA when present),
3 timed frames each: 24 processes, most of the time goes to the paper preset. Wall
times rise sharply when other work shares the cores; --single-thread adds a load-robust CPU-time bound.

Writes <out>/generator_speed.json and <out>/generator_speed.md.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from vid2vid import tasks
from vid2vid.speed.generator_markdown import PUBLISHED, render, report_page
from vid2vid.speed.process import run_python
from vid2vid.speed.report import cpu_name, write_report
from vid2vid.errors import UserError

log = logging.getLogger(__name__)

NAME = "generator_speed"
SIZES = {  # (H, W) per preset; paper = the published generator's test settings
    "tiny": {"pose": (64, 32), "face": (64, 64), "street": (32, 64)},
    "small": {"pose": (128, 64), "face": (128, 128), "street": (64, 128)},
    "fast": {"pose": (256, 256), "face": (256, 256), "street": (256, 256)},  # issue 13's target size, every task
    "paper": {"pose": (512, 256), "face": (256, 256), "street": (256, 512)},
}


def run(args: Any) -> list[Path]:
    """Measure every configuration asked for, each in a fresh process; the report files written."""
    if args.render:
        return [render(Path(args.render))]
    _check(args)
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for job in _jobs(args, devices):
        row = _run_child(dict(job, frames=args.frames), args.omp_wait_policy)
        rows.append(row)
        log.info(f"{row['preset']:5s} {row['task']:6s} K={row['k']} {row['device']} {row['dtype']} {row['variant']:7s} "
              f"{row['threads']} thr  step {row['step_s']:.3f} s (CPU {row['step_cpu_s']:.3f} s)  "
              f"encode {row['encode_s']:.3f} s  peak RSS {row['peak_rss_mb']:.0f} MB  load {row['load_avg_1m']:.1f}")
    loads = [r["load_avg_1m"] for r in rows]
    meta = dict(cpu=cpu_name(), threads=args.threads, torch=torch.__version__,
                frames=args.frames, note=args.note, load_min=min(loads), load_max=max(loads),
                omp_wait_policy=args.omp_wait_policy or os.environ.get("OMP_WAIT_POLICY", "default"))
    published = [dict(task=t, k=k, step_s=s) for (t, k), s in PUBLISHED.items()]
    return write_report(args.out, NAME, dict(meta=meta, published=published, results=rows), report_page(rows, meta))


def _check(args: Any) -> None:
    args.tasks = [tasks.get(t).name for t in args.tasks]
    for name, given, known in (("preset", args.presets, SIZES), ("task", args.tasks, SIZES["paper"])):
        for value in given:
            if value not in known:
                raise UserError(f"unknown {name} {value!r}: choose from {', '.join(known)}")
    for name, value in (("--k", min(args.k)), ("--frames", args.frames), ("--threads", args.threads)):
        if value < 1:
            raise UserError(f"{name} must be >= 1, got {value}")


def _jobs(args: Any, devices: list[str]) -> list[dict]:
    """One dict of `measure` settings (plus threads) per process to run."""
    jobs = []
    onnx = not args.no_onnx and importlib.util.find_spec("onnxruntime") is not None
    for preset in args.presets:
        for task in args.tasks:
            for k in args.k:
                for device in devices:
                    base = dict(preset=preset, task=task, k=k, device=device, variant="fast", threads=args.threads)
                    jobs.append(dict(base, bf16=False))
                    if not args.no_bf16:
                        jobs.append(dict(base, bf16=True))
                    if onnx and device == "cpu":
                        jobs.append(dict(base, bf16=False, runtime="onnx"))
                    if args.single_thread and device == "cpu":
                        jobs.append(dict(base, bf16=False, threads=1))
    if args.ablation and "paper" in args.presets:
        for variant in ("eval", "eval_cl"):
            jobs.append(dict(preset="paper", task="pose", k=1, device="cpu", bf16=False, variant=variant,
                             threads=args.threads))
    return jobs


def _run_child(job: dict, omp_wait_policy: str) -> dict:
    settings = dict(job)
    threads = settings.pop("threads")
    stdout = run_python(["-m", "vid2vid.speed.generator", json.dumps(settings), str(threads)],
                        what=f"generator measurement {job}",
                        env={"OMP_WAIT_POLICY": omp_wait_policy} if omp_wait_policy else None)
    return json.loads(stdout.strip().splitlines()[-1])


def _inputs(task: str, k: int, h: int, w: int, device: str) -> dict:
    """Random semantic maps, two previous frames and K examples (batch 1) for `task` at HxW (pose maps' part index
    channel in blocks of the task's parts, as drawn maps have: the parts' example flow fits one map per part)."""
    import torch

    g = torch.Generator().manual_seed(0)
    t = tasks.get(task)
    encoding, c = t.semantic, t.semantic_channels

    def semantic(n: int) -> torch.Tensor:
        if encoding == "labels":  # one-hot labels
            ids = torch.randint(0, c, (n, 1, h, w), generator=g)
            return torch.zeros(n, c, h, w).scatter_(1, ids, 1.0)
        if encoding == "sketch":
            return (torch.rand(n, c, h, w, generator=g) > 0.8).float()
        maps = torch.rand(n, c, h, w, generator=g)
        if t.num_parts:
            blocks = torch.randint(0, t.num_parts + 1, (n, 1, -(-h // 8), -(-w // 8)), generator=g).float()
            maps[:, 3:4] = blocks.repeat_interleave(8, 2).repeat_interleave(8, 3)[..., :h, :w] / t.num_parts
        return maps

    n_prev = 2
    return {k_: v.to(device) for k_, v in dict(
        semantic=semantic(1), prev_semantics=semantic(n_prev).unsqueeze(0),
        prev_frames=torch.rand(1, n_prev, 3, h, w, generator=g) * 2 - 1,
        examples=torch.rand(1, k, 3, h, w, generator=g) * 2 - 1, example_semantics=semantic(k).unsqueeze(0)).items()}


def _current_rss_mb() -> float:
    """Resident memory now (Linux), e.g. weights and inputs before the first frame."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


def _timed(fn, device: str) -> tuple[float, float, object]:
    """(wall seconds, process CPU seconds, result)."""
    import torch

    if device == "cuda":
        torch.cuda.synchronize()
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, time.process_time() - cpu, out


def measure(preset: str, task: str, k: int, device: str, bf16: bool, frames: int, variant: str,
            runtime: str = "torch") -> dict:
    """One configuration, in this process. variant: fast (inference copy + channels_last) | eval | eval_cl;
    runtime: torch | onnx (the inference copy exported to ONNX and run by ONNX Runtime, CPU)."""
    import torch

    if runtime == "onnx":
        return _measure_onnx(preset, task, k, frames)

    from vid2vid.models import build_generator
    from vid2vid.models.config import for_inference
    from vid2vid.models.layers import as_channels_last, count_parameters, inference_copy

    torch.manual_seed(0)
    h, w = SIZES[preset][task]
    model = build_generator(for_inference(tasks.get(task).generator_config(preset))).to(device).eval()
    params = count_parameters(model)
    if variant == "fast":
        model = inference_copy(model, inplace=True)
    if variant in ("fast", "eval_cl"):
        as_channels_last(model)
    x = _inputs(task, k, h, w, device)
    setup_rss = _current_rss_mb()
    autocast = torch.autocast(device, dtype=torch.bfloat16, enabled=bf16)

    def encode():
        return model.encode_examples(x["examples"], x["example_semantics"])

    with torch.inference_mode(), autocast:
        encode()  # warm-up
        enc_times, code = [], None
        for _ in range(frames):
            t, _, code = _timed(encode, device)
            enc_times.append(t)

        def step():
            return model.step(x["semantic"], code, x["prev_semantics"], x["prev_frames"])

        step()  # warm-up
        times, cpu_times, out = [], [], None
        for _ in range(frames):
            t, cpu, out = _timed(step, device)
            times.append(t)
            cpu_times.append(cpu)
    result = dict(preset=preset, task=task, k=k, device=device, dtype="bf16" if bf16 else "fp32", variant=variant,
                  height=h, width=w, parameters=params, threads=torch.get_num_threads(),
                  example_warp=model.cfg.example_warp, example_flow=model.cfg.example_flow,
                  step_s=statistics.median(times), step_all_s=times, step_cpu_s=statistics.median(cpu_times),
                  encode_s=statistics.median(enc_times),
                  peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, setup_rss_mb=setup_rss,
                  load_avg_1m=os.getloadavg()[0])
    if device == "cuda":
        result["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20
    if not bf16 and variant == "fast":
        result["gflops"] = _gflops(model, x, code)
    if bf16:  # output difference from fp32 on the same inputs (after the RSS reading)
        with torch.inference_mode():
            ref = model.step(x["semantic"], model.encode_examples(x["examples"], x["example_semantics"]),
                             x["prev_semantics"], x["prev_frames"])
        result["bf16_image_mean_abs_diff"] = float((out.image.float() - ref.image).abs().mean())
        result["bf16_image_max_abs_diff"] = float((out.image.float() - ref.image).abs().max())
        result["bf16_hallucinated_mean_abs_diff"] = float((out.hallucinated.float() - ref.hallucinated).abs().mean())
        result["bf16_same_example"] = bool(torch.equal(out.example_index, ref.example_index))
    return result


def _gflops(model, x: dict, code) -> float:
    """Floating-point operations of one frame step (a multiply-add counts 2), in billions."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model.step(x["semantic"], code, x["prev_semantics"], x["prev_frames"])
    return counter.get_total_flops() / 1e9


def _measure_onnx(preset: str, task: str, k: int, frames: int) -> dict:
    """The `fast` model exported to ONNX (vid2vid.inference.onnx_runtime) and run by ONNX Runtime on the CPU."""
    import tempfile

    import torch

    from vid2vid.inference.onnx_runtime import OnnxGenerator, export_onnx
    from vid2vid.models import build_generator
    from vid2vid.models.config import for_inference
    from vid2vid.models.layers import count_parameters, inference_copy

    torch.manual_seed(0)
    h, w = SIZES[preset][task]
    gcfg = tasks.get(task).generator_config(preset)
    model = build_generator(for_inference(gcfg)).eval()
    params = count_parameters(model)
    model = inference_copy(model, inplace=True)
    x = {name: value.numpy() for name, value in _inputs(task, k, h, w, "cpu").items()}
    with tempfile.TemporaryDirectory() as folder:
        export_onnx(model, folder, k, h, w, x["semantic"].shape[1])
        del model
        runtime = OnnxGenerator(folder, threads=torch.get_num_threads())
        setup_rss = _current_rss_mb()
        runtime.encode(x["examples"], x["example_semantics"])  # warm-up
        enc_times, code = [], None
        for _ in range(frames):
            t, _, code = _timed(lambda: runtime.encode(x["examples"], x["example_semantics"]), "cpu")
            enc_times.append(t)

        def step():
            return runtime.step(x["semantic"], code, x["prev_semantics"], x["prev_frames"])

        step()  # warm-up
        times, cpu_times = [], []
        for _ in range(frames):
            t, cpu, _ = _timed(step, "cpu")
            times.append(t)
            cpu_times.append(cpu)
    return dict(preset=preset, task=task, k=k, device="cpu", dtype="fp32", variant="onnx", runtime="onnx",
                height=h, width=w, parameters=params, threads=torch.get_num_threads(),
                example_warp=gcfg.example_warp, example_flow=gcfg.example_flow,
                step_s=statistics.median(times), step_all_s=times, step_cpu_s=statistics.median(cpu_times),
                encode_s=statistics.median(enc_times),
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, setup_rss_mb=setup_rss,
                load_avg_1m=os.getloadavg()[0])


def _child_main(argv: list[str]) -> None:
    """`python -m vid2vid.speed.generator SETTINGS_JSON THREADS`: one measurement, printed as JSON (run by
    `vid2vid bench generator`, one process per measurement)."""
    import torch

    settings, threads = argv
    torch.set_num_threads(int(threads))
    print(json.dumps(measure(**json.loads(settings))))


if __name__ == "__main__":
    _child_main(sys.argv[1:])
