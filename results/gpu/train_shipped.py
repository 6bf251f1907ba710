"""Train the shipped models on a GPU in a few minutes of wall time: the `cpu` benchmark's recipe (the same presets,
losses, example sampling, sequence growth 1 -> 2 -> 4 -> 8 with strides 1-2, EMA with warm-up), at a larger budget:
dancers and faces at 128x128 and batch 8, streets at the `cpu` benchmark's 64x128 (batch 4) next to the AdaIN
baseline trained the same way, all four at once on one GPU.

python results/gpu/train_shipped.py --out DIR --minutes 8.5   (from the repository root; PYTHONPATH=src)
(`--runs` picks runs, `--flow-share` the flow-only stage's share, `--batch-scale 4` batch 32 / 16 (`batch_probe.py`).)

Steps are sized by the clock, not fixed: each run renders its data, checks one tiny run on the device first (so a
broken setup fails within a minute), then fits the flow network alone for a share of its time (`--flow-share`, a
quarter by default), times 30 single-frame GAN steps after 20 of warm-up, and spends the rest as 30 % single frames,
15 % each at T = 2 and 4 and the rest at T = 8, until the clock stops it.
Writes DIR/<run>.safetensors (EMA generator, fp16: `vid2vid export`) and DIR/summary.json (the steps each stage
got). Nothing here needs a GPU: `--device cpu --domains 6 --minutes 4` runs the same path on a CPU (tiny budget)."""
from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import queue
import shutil
import sys
import time
import traceback
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import torch

from vid2vid import tasks
from vid2vid.checkpoint import checkpoint_name, load_checkpoint
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.evaluation.budgets import BUDGETS
from vid2vid.inference.export import export_generator
from vid2vid.training.loop import training_loop
from vid2vid.training.options import ModelSpec, RunConfig

# name: (task, architecture, frame height, batch)
RUNS = {"dancers-fewshot": ("pose", "fewshot", 128, 8), "faces-fewshot": ("face", "fewshot", 128, 8),
        "streets-fewshot": ("street", "fewshot", 64, 4), "streets-adain": ("street", "adain", 64, 4)}
DATA = dict(domains=40, test_domains=4, clips=4, frames=32)  # the cpu benchmark's sets (same seed: same people)
FLOW_SHARE, WARM_STEPS, PROBE_STEPS = 0.25, 20, 30
EXPORT_SECONDS = 25.0  # kept back at the end for the export


@dataclass(frozen=True)
class Plan:
    """What every run of one call shares: the clock, the device and the sizes."""

    deadline: float  # time.time() at which the exports must be done
    device: str = "cuda"
    domains: int = DATA["domains"]
    flow_share: float = FLOW_SHARE
    batch_scale: int = 1  # each run's batch (RUNS) times this
    workers: int = 3  # data-loader processes per run


def _config(root: Path, arch: str, batch: int, device: str, workers: int = 3, **train) -> RunConfig:
    """The `cpu` benchmark's run on ``root`` at ``batch``; ``train`` settings win over this script's own."""
    run = BUDGETS["cpu"].run
    own = dict(batch_size=batch, seed=0, progress=False, image_every=0, device=device, workers=workers,
               checkpoint_every=400, keep_checkpoints=2, resume=True)
    return replace(run, data=replace(run.data, root=str(root), seed=0), model=ModelSpec.of("small", arch=arch),
                   train=replace(run.train, **{**own, **train}))


def _seconds(path: Path | None) -> tuple[int, float]:
    state = load_checkpoint(path, map_location="cpu")
    return int(state["step"]), float(state["train_seconds"])


def _smoke(name: str, task: str, arch: str, height: int, work: Path, device: str) -> None:
    """Six steps through every stage (flow, single frames, T = 2, 4, 8; the last resumed) on tiny data: a bad setup
    fails fast."""
    root = work / "smoke-data" / name
    h, w = tasks.get(task).size(height)
    write_synthetic(SynthOptions(tasks.get(task).dataset, str(root), domains=2, test_domains=1, clips=2, frames=16,
                                 height=h, width=w, workers=1), overwrite=True, progress=False)
    cfg = _config(root, arch, 2, device, max_steps=5, flow_pretrain_steps=2, single_frame_steps=1, double_every=1)
    cfg = replace(cfg, train=replace(cfg.train, workers=0))
    training_loop(work / "smoke-runs" / name, cfg)
    training_loop(work / "smoke-runs" / name, replace(cfg, train=replace(cfg.train, max_steps=6)))  # resumes


def job(name: str, work: Path, out: Path, plan: Plan) -> dict:
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(message)s", datefmt="%H:%M:%S")
    task, arch, height, batch = RUNS[name]
    batch *= plan.batch_scale
    deadline, device = plan.deadline, plan.device
    torch.backends.cudnn.benchmark = True
    torch.set_num_threads(3)
    h, w = tasks.get(task).size(height)
    root = work / "data" / name
    data = SynthOptions(tasks.get(task).dataset, str(root), **{**DATA, "domains": plan.domains}, height=h, width=w,
                        workers=4)
    render = mp.get_context("spawn").Process(target=write_synthetic, args=(data,),
                                             kwargs={"overwrite": True, "progress": False})
    render.start()
    _smoke(name, task, arch, height, work, device)
    config = partial(_config, root, arch, batch, device, plan.workers)
    render.join()
    if render.exitcode:
        raise RuntimeError(f"rendering {root} failed ({render.exitcode})")
    run_dir = work / "runs" / name
    left = deadline - EXPORT_SECONDS - time.time()
    big = 100_000
    path = training_loop(run_dir, config(max_steps=big, flow_pretrain_steps=big,
                                         max_hours=plan.flow_share * left / 3600))
    flow_steps, flow_seconds = _seconds(path)
    # Single-frame GAN steps timed after WARM_STEPS of warm-up: on the H200 the first steps (cuDNN's search for each
    # new example count K, the loader's first batches) made a 30-step mean 3x the later cost per frame.
    warm = config(flow_pretrain_steps=flow_steps, single_frame_steps=big,
                  max_steps=flow_steps + WARM_STEPS, max_hours=(flow_seconds + 0.05 * left) / 3600)
    warm_steps, warm_seconds = _seconds(training_loop(run_dir, warm))
    probe = replace(warm, train=replace(warm.train, max_steps=warm_steps + PROBE_STEPS,
                                        max_hours=(warm_seconds + 0.1 * left) / 3600))
    probe_steps, probe_seconds = _seconds(training_loop(run_dir, probe))
    per_frame = (probe_seconds - warm_seconds) / max(1, probe_steps - warm_steps)  # one G + D update on one frame
    gan = deadline - EXPORT_SECONDS - time.time() - 10.0  # 10 s for the loader and model start of the last stage
    single = probe_steps - flow_steps + max(0, int(0.30 * gan / per_frame))
    double = max(1, int(0.15 * gan / (per_frame * 3)))  # T = 2 and T = 4 steps, 0.15 of the time each
    # T = 8 until the clock stops it (max_hours): the step bound is far (the last run stopped early on a step bound)
    t8 = max(0, int(0.40 * gan / (per_frame * 8)))
    last = run_dir / checkpoint_name(probe_steps)
    if gan > 0:
        final = config(flow_pretrain_steps=flow_steps, single_frame_steps=single,
                       double_every=double, max_steps=flow_steps + single + 2 * double + 10 * max(t8, 10),
                       max_hours=(probe_seconds + gan) / 3600)
        last = training_loop(run_dir, final)
    steps, seconds = _seconds(last)
    export_generator(last, out / f"{name}.safetensors")
    return {"task": task, "arch": arch, "size": [h, w], "batch": batch, "flow_steps": flow_steps,
            "flow_seconds": round(flow_seconds, 1), "seconds_per_frame_update": round(per_frame, 4),
            "single_frame_steps": single, "double_every": double, "gan_steps": steps - flow_steps,
            "steps": steps, "train_seconds": round(seconds, 1), "checkpoint": last.name,
            "t8_steps": max(0, steps - flow_steps - single - 2 * double)}


def _worker(name: str, work: str, out: str, plan: Plan, results: mp.Queue) -> None:
    try:
        results.put((name, job(name, Path(work), Path(out), plan)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which stops the others
        results.put((name, {"error": traceback.format_exc()}))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="folder for the exported models and summary.json")
    p.add_argument("--work", default="/tmp/v2v-gpu", help="data and run folders (several GB; emptied first)")
    p.add_argument("--minutes", type=float, default=8.5, help="wall time of the whole script")
    p.add_argument("--device", default="cuda", help="cuda | cpu")
    p.add_argument("--domains", type=int, default=DATA["domains"], help="domains rendered (4 held out)")
    p.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    p.add_argument("--flow-share", type=float, default=FLOW_SHARE,
                   help="share of each run's training time spent fitting the flow network alone")
    p.add_argument("--batch-scale", type=int, default=1,
                   help="multiply each run's batch (8 at 128 px, 4 for streets) by this: 4 keeps one H200 busier "
                        "(batch_probe.py)")
    p.add_argument("--workers", type=int, default=3, help="data-loader processes per run")
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(a.work, ignore_errors=True)  # a machine kept warm still holds the last call's runs: start afresh
    start = time.time()
    deadline = start + 60 * a.minutes
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    plan = Plan(deadline, a.device, a.domains, a.flow_share, a.batch_scale, a.workers)
    procs = {n: ctx.Process(target=_worker, args=(n, a.work, str(out), plan, results)) for n in a.runs}
    for proc in procs.values():
        proc.start()
    summary: dict = {"device": torch.cuda.get_device_name() if a.device == "cuda" else a.device,
                     "torch": torch.__version__, "minutes": a.minutes,
                     "plan": {k: v for k, v in asdict(plan).items() if k != "deadline"}, "runs": {}}
    failed = False
    while len(summary["runs"]) < len(procs):
        try:
            name, result = results.get(timeout=max(1.0, deadline + 60 - time.time()))
        except queue.Empty:
            summary["runs"]["timeout"] = {"error": "no answer 60 s after the deadline"}
            failed = True
            break
        summary["runs"][name] = result
        print(f"[{time.time() - start:6.0f} s] {name}: {json.dumps(result)[:3000]}", flush=True)
        if "error" in result:
            failed = True
            for proc in procs.values():
                proc.kill()
            break
    summary["wall_seconds"] = round(time.time() - start, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
