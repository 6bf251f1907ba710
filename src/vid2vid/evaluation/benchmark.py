"""`vid2vid eval benchmark`: the paper's Table 1 and Fig. 7 on our synthetic benchmark, from one command.

For each task (dancers: pose -> person; faces: sketch -> face; streets: segmentation -> street) it renders the data,
trains the metric networks (keypoint detector, landmark detector, segmentation net) on the training domains, trains
few-shot vid2vid and the three baselines (Encoder, ConcatStyle, AdaIN) with the same budget and several seeds, then
scores all of them on the held-out domains (the table shows the mean over seeds and half their range). Few-shot
vid2vid is also scored with K = 1, 2, 4, 8 examples and trained on fewer training domains (Fig. 7). Everything lands in
``<out>/benchmark.json``, ``<out>/benchmark.md`` and PNG plots. Finished steps are reused when the command is run
again with the same ``--out`` (checkpoints resume, data and detectors are kept).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from vid2vid import tasks
from vid2vid.config import DataConfig
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.errors import UserError
from vid2vid.evaluation.evaluate import Detectors, detector_floor, evaluate
from vid2vid.evaluation.report import write_report
from vid2vid.evaluation.sheet import method_sheet
from vid2vid.inference.pipeline import Pipeline

METHODS = ("fewshot", "encoder", "concat", "adain")
METHOD_NAMES = {"fewshot": "few-shot vid2vid", "encoder": "Encoder", "concat": "ConcatStyle", "adain": "AdaIN"}


@dataclass(frozen=True)
class Budget:
    """How big the benchmark is: the same command runs for minutes (smoke) or hours (cpu-hours, gpu)."""

    size: int  # frame height and width
    domains: int  # domains rendered per task (``test_domains`` of them held out)
    test_domains: int
    clips: int
    frames: int
    preset: str  # generator preset
    steps: int  # training steps per method (the same for every method), flow pre-training included
    flow_pretrain_steps: int  # first steps: the flow/mask network alone on the exact flows (cheap)
    single_frame_steps: int
    double_every: int
    seq_len: int
    max_frame_stride: int  # each training sequence steps 1..this frames at a time
    batch_size: int  # halved for streets (frames twice as wide)
    train_k: int  # most examples per training sample (each step draws K from 1..this)
    eval_k: int  # K of the methods table
    seeds: int  # training seeds per method of the methods table
    detector_steps: int
    ks: tuple[int, ...]  # test-time K for the K study
    domain_fractions: tuple[float, ...]  # fractions of the training domains for the domains study
    eval_clips: int
    eval_frames: int
    disc_layers: int
    disc_scales: int
    ndf: int
    # Generator weights scored: the optimiser's ("generator") or the average ("ema"). Runs this short gain little from
    # averaging, and models trained before the EMA warm-up (training.schedule.ema_decay) have a broken average.
    weights: str = "generator"


BUDGETS = {
    "smoke": Budget(size=32, domains=5, test_domains=1, clips=2, frames=8, preset="tiny", steps=6,
                    flow_pretrain_steps=2, single_frame_steps=1, double_every=1, seq_len=8, max_frame_stride=1,
                    batch_size=1, train_k=2, eval_k=2, seeds=2, detector_steps=10, ks=(1, 2),
                    domain_fractions=(0.5, 1.0), eval_clips=1, eval_frames=4, disc_layers=2, disc_scales=1, ndf=4),
    # 10,000 flow-only steps (~0.05 s each; example-flow error 5.1 px after 3,000, 3.8 px after 10,000), then GAN
    # steps with sequences growing 2 -> 4 -> 8 (strides 1-2): a step at T = 8 costs 8 frame updates, so GAN steps
    # stay few. About 35 min per model on one core.
    "cpu": Budget(size=64, domains=40, test_domains=4, clips=4, frames=32, preset="small", steps=11050,
                  flow_pretrain_steps=10000, single_frame_steps=600, double_every=150, seq_len=8, max_frame_stride=2,
                  batch_size=4, train_k=4, eval_k=2, seeds=2, detector_steps=600, ks=(1, 2, 4, 8),
                  domain_fractions=(0.25, 1.0), eval_clips=8, eval_frames=32, disc_layers=4, disc_scales=2, ndf=32),
    "cpu-hours": Budget(size=64, domains=40, test_domains=4, clips=4, frames=32, preset="small", steps=13000,
                        flow_pretrain_steps=10000, single_frame_steps=1200, double_every=400, seq_len=8,
                        max_frame_stride=2, batch_size=4, train_k=4, eval_k=2, seeds=2, detector_steps=600,
                        ks=(1, 2, 4, 8), domain_fractions=(0.25, 0.5, 1.0), eval_clips=8, eval_frames=32,
                        disc_layers=4, disc_scales=2, ndf=32),
    "gpu": Budget(size=128, domains=80, test_domains=8, clips=8, frames=32, preset="small", steps=50000,
                  flow_pretrain_steps=10000, single_frame_steps=5000, double_every=5000, seq_len=16,
                  max_frame_stride=2, batch_size=8, train_k=4, eval_k=2, seeds=3, detector_steps=3000,
                  ks=(1, 2, 4, 8), domain_fractions=(0.125, 0.25, 0.5, 1.0), eval_clips=16, eval_frames=32,
                  disc_layers=4, disc_scales=2, ndf=32),
}
# Scores of an older training recipe must not mix with new ones in one table (the --out of a re-run is reused).
RECIPE = 3


def _data(out: Path, kind: str, b: Budget, progress: bool) -> Path:
    root = out / "data" / kind
    if not (root / "dataset.json").exists():
        height, width = tasks.get(kind).size(b.size)
        write_synthetic(SynthOptions(kind, str(root), domains=b.domains, test_domains=b.test_domains, clips=b.clips,
                                     frames=b.frames, height=height, width=width), overwrite=True, progress=progress)
    return root


def _detectors(out: Path, kind: str, root: Path, b: Budget) -> Detectors:
    from vid2vid.metrics import (load_keypoint_net, load_segmentation_net, train_keypoint_net,
                                 train_segmentation_net)

    path = out / "detectors" / f"{kind}.safetensors"
    path.parent.mkdir(parents=True, exist_ok=True)
    if tasks.get(kind).detector == "keypoints":
        net = load_keypoint_net(path) if path.exists() else train_keypoint_net(root, b.detector_steps, path, log=None)
        return Detectors(keypoints=net)
    net = load_segmentation_net(path) if path.exists() else train_segmentation_net(root, b.detector_steps, path,
                                                                                 log=None)
    return Detectors(segmentation=net)


def _train(out: Path, name: str, root: Path, arch: str, b: Budget, batch_size: int, max_domains: int, seed: int,
           progress: bool) -> Path:
    from vid2vid.training.loop import training_loop
    from vid2vid.training.objective import LossWeights
    from vid2vid.training.options import ModelSpec, RunConfig, TrainOptions

    cfg = RunConfig(
        data=DataConfig(root=str(root), seq_len=b.seq_len, num_examples=b.train_k, max_domains=max_domains,
                        max_frame_stride=b.max_frame_stride, seed=seed),
        model=replace(ModelSpec(preset=b.preset), arch=arch),
        loss=LossWeights(ndf=b.ndf, d_layers=b.disc_layers, d_scales=b.disc_scales),
        train=TrainOptions(max_steps=b.steps, batch_size=batch_size, flow_pretrain_steps=b.flow_pretrain_steps,
                           single_frame_steps=b.single_frame_steps,
                           double_every=b.double_every, workers=1, image_every=0, checkpoint_every=150,
                           seed=seed, resume=True, progress=progress))
    path = training_loop(str(out / "runs" / name), cfg, **vars(cfg.train))
    if path is None or int(path.stem.split("-")[-1]) < b.steps:  # stopped by a signal: never score a partial model
        raise KeyboardInterrupt
    return path


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _load_task(path: Path, budget: str) -> dict:
    """A task's scores so far (``<out>/tasks/<task>.json``); scores already there are not recomputed."""
    if not path.exists():
        return {"budget": budget, "recipe": RECIPE, "seconds": 0.0, "floor": None, "runs": {}, "methods": {},
                "k": {}, "domains": {}}
    task = json.loads(path.read_text(encoding="utf-8"))
    if task.get("budget") != budget:
        raise UserError(f"{path} holds results of --budget {task.get('budget')}, not {budget}: pass another --out "
                        f"(or delete that folder to start again)")
    if task.get("recipe") != RECIPE:
        raise UserError(f"{path} holds results of an older training recipe ({task.get('recipe', 1)}, this is "
                        f"{RECIPE}): pass another --out (or delete that folder to start again)")
    return task


def mean_over_seeds(runs: list[dict]) -> dict:
    """The mean of every number over seeds, with ``<key>_spread`` = half the range (0 for a single seed)."""
    out: dict = {"seeds": len(runs)}
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [r[key] for r in runs]
            out[key] = sum(values) / len(values)
            out[f"{key}_spread"] = (max(values) - min(values)) / 2
    return out


def _run_task(out: Path, kind: str, b: Budget, budget: str, inception, progress: bool) -> None:
    path = out / "tasks" / f"{kind}.json"
    task = _load_task(path, budget)
    started, spent = time.time(), task["seconds"]

    def save() -> None:  # the task's scores, and the report of every task so far (a run may span sessions)
        task["seconds"] = round(spent + time.time() - started, 1)
        _write_json(path, task)
        results = collect_results(out, budget)
        _write_json(out / "benchmark.json", results)
        write_report(out, results, METHOD_NAMES)

    root = _data(out, kind, b, progress)
    detectors = _detectors(out, kind, root, b)
    if task["floor"] is None:
        task["floor"] = detector_floor(root, detectors, b.eval_clips, b.eval_frames)
        save()
    # Streets frames are twice as wide as dancers: half the batch keeps the pixels per step (and the step time) alike.
    batch_size = max(1, b.batch_size // tasks.get(kind).aspect)
    train_domains = b.domains - b.test_domains
    checkpoints: dict[str, Path] = {}

    def checkpoint(arch: str, domains: int, seed: int = 0) -> Path:
        name = f"{kind}-{arch}" if domains == train_domains else f"{kind}-{arch}-{domains}domains"
        name += f"-seed{seed}" if seed else ""
        if name not in checkpoints:
            checkpoints[name] = _train(out, name, root, arch, b, batch_size, 0 if domains == train_domains else domains,
                                       seed, progress)
        return checkpoints[name]

    def score(table: str, key: str, arch: str, k: int, domains: int = train_domains, seed: int = 0) -> None:
        if key not in task[table]:
            pipe = Pipeline.from_checkpoint(checkpoint(arch, domains, seed), weights=b.weights)
            task[table][key] = evaluate(pipe, root, k, detectors, b.eval_clips, b.eval_frames, inception)
            save()

    def merge_seeds() -> None:  # the table shows every seed scored so far
        for arch in METHODS:
            runs = [task["runs"][f"{arch}/seed{s}"] for s in range(b.seeds) if f"{arch}/seed{s}" in task["runs"]]
            task["methods"][arch] = mean_over_seeds(runs)
        save()

    # Order: what a stopped run has already paid for is never needed again (seed-0 models serve the picture and the
    # K study before later seeds train), so a run spread over several sessions keeps only score files between them.
    for arch in METHODS:
        score("runs", f"{arch}/seed0", arch, b.eval_k)
    merge_seeds()
    sheet = out / f"{kind}_methods.png"
    if not sheet.exists():
        pipes = {METHOD_NAMES[arch]: Pipeline.from_checkpoint(checkpoint(arch, train_domains), weights=b.weights)
                 for arch in METHODS}
        method_sheet(pipes, root, b.eval_k, sheet, max_frames=b.eval_frames)
    for k in b.ks:
        score("k", str(k), "fewshot", k)
    for seed in range(1, b.seeds):
        for arch in METHODS:
            score("runs", f"{arch}/seed{seed}", arch, b.eval_k, seed=seed)
        merge_seeds()
    for fraction in b.domain_fractions:
        n = max(1, round(train_domains * fraction))
        score("domains", str(n), "fewshot", b.eval_k, n)
    save()


def collect_results(out: str | Path, budget: str) -> dict:
    """Every finished or partial task of ``budget`` under ``out`` (tasks may run as separate processes)."""
    out = Path(out)
    done = {kind: _load_task(out / "tasks" / f"{kind}.json", budget) for kind in datasets()
            if (out / "tasks" / f"{kind}.json").exists()}
    return {"budget": budget, "settings": asdict(BUDGETS[budget]), "tasks": done,
            "seconds": round(sum(t["seconds"] for t in done.values()), 1)}


def datasets(names: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The benchmark's name (its synthetic dataset's) of each task in ``names`` (task names or aliases; default all
    registered tasks). Results are filed by dataset name: ``<out>/tasks/dancers.json``."""
    return tuple(tasks.get(n).dataset for n in names) if names else tuple(t.dataset for t in tasks.tasks())


def run_benchmark(out: str | Path, budget: str = "smoke", names: tuple[str, ...] | None = None,
                  progress: bool = True) -> dict:
    """Run (or continue) the benchmark for ``tasks`` and write the report of every task under ``out``; returns it.

    Each task keeps its own ``<out>/tasks/<task>.json``, so ``--tasks dancers`` and ``--tasks faces streets`` can run as
    two processes on the same ``--out`` (one per core); the report is rewritten from all of them after each. ``names``:
    tasks (or their datasets' names), default all."""
    if budget not in BUDGETS:
        raise UserError(f"unknown --budget '{budget}': choose one of {', '.join(BUDGETS)}")
    kinds = datasets(names)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        _load_task(out / "tasks" / f"{kind}.json", budget)  # a budget mismatch fails before any work
    from vid2vid.metrics import InceptionFeatures

    inception = InceptionFeatures()
    for kind in kinds:
        _run_task(out, kind, BUDGETS[budget], budget, inception, progress)
    results = collect_results(out, budget)
    _write_json(out / "benchmark.json", results)
    write_report(out, results, METHOD_NAMES)
    return results
