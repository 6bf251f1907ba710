"""`vid2vid eval benchmark`: the paper's Table 1 and Fig. 7 on our synthetic benchmark, from one command.

For each registered task (pose -> person, sketch -> face, segmentation -> street) it renders its synthetic data,
trains the metric networks (keypoint detector, landmark detector, segmentation net) on the training domains, trains
few-shot vid2vid and the three baselines (Encoder, ConcatStyle, AdaIN) with the same budget and several seeds, then
scores all of them on the held-out domains (the table shows the mean over seeds and half their range). Few-shot
vid2vid is also scored with K = 1, 2, 4, 8 examples and trained on fewer training domains (Fig. 7). Everything lands in
``<out>/benchmark.json``, ``<out>/benchmark.md`` and PNG plots. Finished steps are reused when the command is run
again with the same ``--out`` (checkpoints resume, data and detectors are kept).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Mapping

from vid2vid import checkpoint as ckpt
from vid2vid import tasks
from vid2vid.config import DataConfig, to_dict
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.errors import UserError
from vid2vid.files import write_json_atomic
from vid2vid.evaluation.evaluate import Detectors, detector_floor, evaluate
from vid2vid.evaluation.report import write_report
from vid2vid.evaluation.sheet import method_sheet
from vid2vid.inference.pipeline import Pipeline
from vid2vid.models.discriminator import DiscriminatorConfig
from vid2vid.training.options import ModelSpec, RunConfig, TrainOptions

log = logging.getLogger(__name__)

METHODS = ("fewshot", "encoder", "concat", "adain", "fast")
METHOD_NAMES = {"fewshot": "few-shot vid2vid", "encoder": "Encoder", "concat": "ConcatStyle", "adain": "AdaIN",
                "fast": "few-shot vid2vid, fast preset"}
# Each method's generator: an architecture, and a preset other than the budget's where it is about the preset (the
# fast preset's row shows what its speed costs in quality, trained with the same recipe and budget).
METHOD_ARCH = {"fewshot": "fewshot", "encoder": "encoder", "concat": "concat", "adain": "adain", "fast": "fewshot"}
METHOD_PRESET = {"fast": "fast"}


@dataclass(frozen=True)
class Refine:
    """A second training stage at a larger frame size, for the tasks whose registry entry asks for it
    (``benchmark_refine``). Every model of the methods table continues from its final (averaged) weights, with fresh
    discriminators, on the same domains rendered at ``size``, and is scored there: a methods table, K study and
    picture of its own (the domains study stays at the first size). At 64 px every dancers model's pose error sat
    within 0.4 px of the keypoint net's floor; continued at 128 px with the `cpu` budget's schedule, AdaIN's seed 0
    scored 5.5 px and few-shot vid2vid's 1.8 px (floor 1.6; docs/learning.md, "Dancers at 128 px")."""

    size: int
    max_steps: int  # counted from 0 in the continued run
    flow_pretrain_steps: int
    single_frame_steps: int
    double_every: int
    checkpoint_every: int = 25  # (a step at T = 4 and 128 px takes ~18 s on one core)

    def settings(self) -> dict:
        """What the stage's scores depend on (a change drops them)."""
        return {key: value for key, value in asdict(self).items() if key != "checkpoint_every"}

    def train(self, base: TrainOptions, init_from: Path) -> TrainOptions:
        """The continued run's options: the budget's, with this stage's schedule, starting from ``init_from``."""
        return replace(base, max_steps=self.max_steps, flow_pretrain_steps=self.flow_pretrain_steps,
                       single_frame_steps=self.single_frame_steps, double_every=self.double_every,
                       checkpoint_every=self.checkpoint_every, init_from=str(init_from))


@dataclass(frozen=True)
class Budget:
    """How big the benchmark is: the same command runs for minutes (smoke) or hours (cpu-hours, gpu)."""

    # The training run of every method: data (sequence length, K, strides), model preset, discriminator, loss and
    # train sections as in a run config. Per run the benchmark sets the data root, seeds, the architecture (method),
    # the number of training domains (domains study) and halves the batch for twice-as-wide tasks.
    run: RunConfig
    size: int  # frame height (width from the task's aspect)
    domains: int  # domains rendered per task (``test_domains`` of them held out)
    test_domains: int
    clips: int
    frames: int
    eval_k: int  # K of the methods table
    seeds: int  # training seeds per method of the methods table
    detector_steps: int  # training steps of the keypoint and landmark nets
    ks: tuple[int, ...]  # test-time K for the K study
    domain_fractions: tuple[float, ...]  # fractions of the training domains for the domains study
    eval_clips: int
    eval_frames: int
    # Training steps of the street segmentation net (None: detector_steps). At 64x128, 600 steps left it at mIoU 0.290
    # on real held-out frames, 4,000 at 0.379 (pixel accuracy 0.866 -> 0.921); the keypoint net gains less (pose
    # error floor 2.24 -> 2.02 px, every model's error 0.2-0.3 px lower, the order unchanged: docs/learning.md).
    segmentation_steps: int | None = None
    # Generator weights scored: the optimiser's ("generator") or the average ("ema"). Runs this short gain little from
    # averaging, and models trained before the EMA warm-up (training.schedule.ema_decay) have a broken average.
    weights: str = "generator"
    refine: Refine | None = None

    def refine_of(self, kind: str) -> Refine | None:
        """The second stage of the task whose dataset is ``kind``, if it has one."""
        return self.refine if tasks.get(kind).benchmark_refine else None

    def summary(self) -> dict:
        """The settings the report states, flat."""
        r = self.run
        return {"size": self.size, "domains": self.domains, "test_domains": self.test_domains, "clips": self.clips,
                "frames": self.frames, "preset": r.model.preset, "steps": r.train.max_steps,
                "flow_pretrain_steps": r.train.flow_pretrain_steps, "single_frame_steps": r.train.single_frame_steps,
                "double_every": r.train.double_every, "seq_len": r.data.seq_len,
                "max_frame_stride": r.data.max_frame_stride, "batch_size": r.train.batch_size,
                "train_k": r.data.num_examples, "eval_k": self.eval_k, "seeds": self.seeds,
                "detector_steps": self.detector_steps,
                "segmentation_steps": self.segmentation_steps or self.detector_steps, "ks": list(self.ks),
                "domain_fractions": list(self.domain_fractions), "eval_clips": self.eval_clips,
                "eval_frames": self.eval_frames, "disc_layers": r.discriminator.layers,
                "disc_scales": r.discriminator.scales, "ndf": r.discriminator.ndf, "weights": self.weights,
                "refine": None if self.refine is None else asdict(self.refine), "run": to_dict(r)}

    def steps_of_detector(self, kind: str) -> int:
        """Training steps of the metric network of the task whose dataset is ``kind``."""
        if tasks.get(kind).detector == "segmentation" and self.segmentation_steps is not None:
            return self.segmentation_steps
        return self.detector_steps


def _run(preset: str, seq_len: int, stride: int, k: int, ndf: int, layers: int, scales: int, **train) -> RunConfig:
    return RunConfig(data=DataConfig(seq_len=seq_len, num_examples=k, max_frame_stride=stride), model=ModelSpec(preset),
                     discriminator=DiscriminatorConfig(ndf=ndf, layers=layers, scales=scales),
                     train=TrainOptions(workers=1, image_every=0, checkpoint_every=150, resume=True, **train))


BUDGETS = {
    "smoke": Budget(run=_run("tiny", 8, 1, 2, ndf=4, layers=2, scales=1, max_steps=6, flow_pretrain_steps=2,
                             single_frame_steps=1, double_every=1, batch_size=1),
                    size=32, domains=5, test_domains=1, clips=2, frames=8, eval_k=2, seeds=2, detector_steps=10,
                    ks=(1, 2), domain_fractions=(0.5, 1.0), eval_clips=1, eval_frames=4,
                    refine=Refine(48, max_steps=4, flow_pretrain_steps=1, single_frame_steps=1, double_every=1)),
    # 10,000 flow-only steps (~0.05 s each; example-flow error 5.1 px after 3,000, 3.8 px after 10,000), then GAN
    # steps with sequences growing 2 -> 4 -> 8 (strides 1-2): a step at T = 8 costs 8 frame updates, so GAN steps
    # stay few. About 1.6 h per model on one core of a 2-core machine with another run on the other core (dancers
    # few-shot: 24 min of flow steps, 13 min of single frames, 9 / 22 / 29 min at T = 2 / 4 / 8). Dancers then go on
    # at 128 px (the schedule of the shipped dancers model's first 128 px stage): about 1.2 h more per model.
    "cpu": Budget(run=_run("small", 8, 2, 4, ndf=32, layers=4, scales=2, max_steps=11050, flow_pretrain_steps=10000,
                           single_frame_steps=600, double_every=150, batch_size=4),
                  size=64, domains=40, test_domains=4, clips=4, frames=32, eval_k=2, seeds=2, detector_steps=600,
                  segmentation_steps=4000, ks=(1, 2, 4, 8), domain_fractions=(0.25, 1.0), eval_clips=8,
                  eval_frames=32,
                  refine=Refine(128, max_steps=2000, flow_pretrain_steps=1500, single_frame_steps=300,
                                double_every=100)),
    "cpu-hours": Budget(run=_run("small", 8, 2, 4, ndf=32, layers=4, scales=2, max_steps=13000,
                                 flow_pretrain_steps=10000, single_frame_steps=1200, double_every=400, batch_size=4),
                        size=64, domains=40, test_domains=4, clips=4, frames=32, eval_k=2, seeds=2, detector_steps=600,
                        segmentation_steps=4000, ks=(1, 2, 4, 8), domain_fractions=(0.25, 0.5, 1.0), eval_clips=8,
                        eval_frames=32),
    "gpu": Budget(run=_run("small", 16, 2, 4, ndf=32, layers=4, scales=2, max_steps=50000, flow_pretrain_steps=10000,
                           single_frame_steps=5000, double_every=5000, batch_size=8),
                  size=128, domains=80, test_domains=8, clips=8, frames=32, eval_k=2, seeds=3, detector_steps=3000,
                  ks=(1, 2, 4, 8), domain_fractions=(0.125, 0.25, 0.5, 1.0), eval_clips=16, eval_frames=32),
}
# Each method's training recipe: scores of an older recipe must not mix with new ones in one table (the --out of a
# re-run is reused). When a method's recipe changes, its scores are dropped and it trains again (its run folders carry
# the number); the other methods' scores and models are kept. Recipe 4 changed the few-shot generator only; fast's
# recipe 5 is its preset with small's flow network (models/config.py).
RECIPES = {"fewshot": 4, "encoder": 3, "concat": 3, "adain": 3, "fast": 5}
# A task's own numbers where its methods changed alone are its registry entry's benchmark_recipes.
SINGLE_RECIPE = 3  # score files written before per-method recipes hold one number; only this one is still read


def recipes(kind: str) -> dict[str, int]:
    """Each method's recipe number on the task whose dataset is ``kind``."""
    return {**RECIPES, **tasks.get(kind).benchmark_recipes}


def _folder(kind: str, size: int | None) -> str:
    """A task's data and metric-network name: its dataset's, with the size for a second stage's."""
    return kind if size is None else f"{kind}-{size}px"


def _data(out: Path, kind: str, b: Budget, progress: bool, size: int | None = None) -> Path:
    """The task's synthetic data at the budget's size (or ``size``: the same domains and clips, rendered larger)."""
    root = out / "data" / _folder(kind, size)
    if not (root / "dataset.json").exists():
        height, width = tasks.get(kind).size(size or b.size)
        write_synthetic(SynthOptions(kind, str(root), domains=b.domains, test_domains=b.test_domains, clips=b.clips,
                                     frames=b.frames, height=height, width=width), overwrite=True, progress=progress)
    return root


def _detectors(out: Path, kind: str, root: Path, b: Budget, retrain: bool = False, size: int | None = None
               ) -> Detectors:
    """The task's metric network, trained on its training domains once and kept under ``out/detectors``; ``retrain``:
    the kept one was trained with other settings; ``size``: a second stage's (trained on ``root`` at that size)."""
    from vid2vid.metrics import (load_keypoint_net, load_segmentation_net, train_keypoint_net,
                                 train_segmentation_net)

    path = out / "detectors" / f"{_folder(kind, size)}.safetensors"
    path.parent.mkdir(parents=True, exist_ok=True)
    if retrain:
        path.unlink(missing_ok=True)
    steps = b.steps_of_detector(kind)
    if tasks.get(kind).detector == "keypoints":
        net = load_keypoint_net(path) if path.exists() else train_keypoint_net(root, steps, path, log=None)
        return Detectors(keypoints=net)
    net = load_segmentation_net(path) if path.exists() else train_segmentation_net(root, steps, path, log=None)
    return Detectors(segmentation=net)


def _train(out: Path, name: str, root: Path, method: str, b: Budget, batch_size: int, max_domains: int, seed: int,
           progress: bool, refine: Refine | None = None, init_from: Path | None = None) -> Path:
    """Train (or resume) run ``name``; ``refine`` with ``init_from``: a second-stage run continued from that
    checkpoint."""
    from vid2vid.training.loop import training_loop

    run = b.run
    model = ModelSpec.of(METHOD_PRESET.get(method, run.model.preset), **dict(run.model.overrides),
                         arch=METHOD_ARCH[method])
    train = run.train if refine is None else refine.train(run.train, init_from)
    cfg = replace(run, data=replace(run.data, root=str(root), max_domains=max_domains, seed=seed), model=model,
                  train=replace(train, batch_size=batch_size, seed=seed, progress=progress))
    path = training_loop(out / "runs" / name, cfg)
    if path is None or ckpt.checkpoint_step(path) < train.max_steps:  # stopped by a signal: never score a partial
        raise KeyboardInterrupt  # model
    return path


def train_hours(path: Path) -> float | None:
    """The training time a checkpoint's run recorded (steps only, over all its sessions; the machine's other jobs
    slow it), in hours; None for checkpoints from before it was recorded."""
    seconds = ckpt.load_checkpoint(path).get("train_seconds")
    return None if seconds is None else round(float(seconds) / 3600, 3)


def first_trained(names: list[str], runs: Path, done: Mapping[str, Path], steps: int) -> int | None:
    """The index of the first run in ``names`` (one per seed) trained in this process or with its final checkpoint
    (step ``steps``) under ``runs``; None if none is. A run still training (here or in another process) does not
    count: the picture never trains a model."""
    return next((i for i, name in enumerate(names)
                 if name in done or (runs / name / ckpt.checkpoint_name(steps)).exists()), None)


def _fresh_refined(refine: Refine) -> dict:
    return {"settings": refine.settings(), "floor": None, "runs": {}, "methods": {}, "k": {}}


def sheet_stale(scores: dict, shown: list[str], current: dict[str, int], exists: bool) -> bool:
    """Whether a methods picture is drawn again: it is missing, a recipe changed since, or a method has a model now that
    it lacks (``shown``); never to show fewer methods (run folders are not kept everywhere)."""
    return (not exists or scores.get("sheet_recipes") != current
            or not set(shown) <= set(scores.get("sheet_methods", METHODS)))


def _load_task(path: Path, budget: str) -> dict:
    """A task's scores so far (``<out>/tasks/<task>.json``); scores already there are not recomputed. A second stage's
    scores are its ``refined`` part."""
    current = recipes(path.stem)  # the file is named for the task's dataset
    refine = BUDGETS[budget].refine_of(path.stem)
    if not path.exists():
        task = {"budget": budget, "recipes": current, "seconds": 0.0, "floor": None, "runs": {}, "methods": {},
                "k": {}, "domains": {}, "detector_steps": BUDGETS[budget].steps_of_detector(path.stem)}
        return task if refine is None else dict(task, refined=_fresh_refined(refine))
    task = json.loads(path.read_text(encoding="utf-8"))
    if task.get("budget") != budget:
        raise UserError(f"{path} holds results of --budget {task.get('budget')}, not {budget}: pass another --out "
                        f"(or delete that folder to start again)")
    if "recipes" not in task:
        if task.get("recipe") != SINGLE_RECIPE:
            raise UserError(f"{path} holds results of an older training recipe ({task.get('recipe', 1)}): pass "
                            "another --out (or delete that folder to start again)")
        task["recipes"] = dict.fromkeys(METHODS, task.pop("recipe"))
    if refine is None:
        task.pop("refined", None)
    elif task.get("refined", {}).get("settings") != refine.settings():  # (new, or another schedule: its scores go)
        task["refined"] = _fresh_refined(refine)
    # Scores of a metric network trained for other steps go (files from before the steps were kept: the budget's
    # detector_steps, the only setting there was); the models stay and are scored again.
    steps = BUDGETS[budget].steps_of_detector(path.stem)
    if task.setdefault("detector_steps", BUDGETS[budget].detector_steps) != steps:
        task.update(runs={}, methods={}, k={}, domains={}, floor=None, detector_steps=steps, retrain_detector=True)
        if refine is not None:
            task["refined"] = dict(_fresh_refined(refine), retrain_detector=True)
    newer = [a for a in METHODS if task["recipes"].get(a, 0) > current[a]]
    if newer:
        raise UserError(f"{path} holds results of a newer training recipe of {', '.join(newer)} than this version "
                        "knows: pass another --out")
    for arch in METHODS:
        if task["recipes"].get(arch) != current[arch]:  # an older recipe: its scores go, it trains again
            for scores in (task, task.get("refined")) if refine is not None else (task,):
                scores["runs"] = {key: value for key, value in scores["runs"].items()
                                  if not key.startswith(f"{arch}/")}
                scores["methods"].pop(arch, None)
                if arch == "fewshot":
                    scores["k"] = {}
            if arch == "fewshot":
                task["domains"] = {}
            task["recipes"][arch] = current[arch]
    return task


def mean_over_seeds(runs: list[dict]) -> dict:
    """The mean of every number over seeds, with ``<key>_spread`` = half the range (0 for a single seed)."""
    out: dict = {"seeds": len(runs)}
    for key in runs[0]:
        values = [r.get(key) for r in runs]  # (a key some seeds lack, e.g. from before it was measured, is left out)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out[key] = sum(values) / len(values)
            out[f"{key}_spread"] = (max(values) - min(values)) / 2
    return out


@dataclass
class _Stage:
    """One frame size of a task's benchmark: its data, metric network, score tables (the task's file, or its
    ``refined`` part for a second stage) and the ending of its run names."""

    root: Path
    detectors: Detectors
    scores: dict
    refine: Refine | None = None

    @property
    def suffix(self) -> str:
        return "" if self.refine is None else f"-{self.refine.size}px"


def _run_task(out: Path, kind: str, b: Budget, budget: str, inception, progress: bool,
              methods: tuple[str, ...] = METHODS) -> None:
    path = out / "tasks" / f"{kind}.json"
    task = _load_task(path, budget)
    started, spent = time.time(), task["seconds"]

    def save() -> None:  # the task's scores, and the report of every task so far (a run may span sessions)
        task["seconds"] = round(spent + time.time() - started, 1)
        write_json_atomic(path, task)
        results = collect_results(out, budget)
        write_json_atomic(out / "benchmark.json", results)
        write_report(out, results, METHOD_NAMES)

    # Frames twice as wide (the task's aspect) take half the batch: the pixels per step (and the step time) stay alike.
    batch_size = max(1, b.run.train.batch_size // tasks.get(kind).aspect)
    train_domains = b.domains - b.test_domains
    checkpoints: dict[str, Path] = {}

    def stage_at(scores: dict, refine: Refine | None) -> _Stage:
        size = None if refine is None else refine.size
        root = _data(out, kind, b, progress, size)
        detectors = _detectors(out, kind, root, b, scores.pop("retrain_detector", False), size)
        stage = _Stage(root, detectors, scores, refine)
        if scores["floor"] is None or "identity_drift" not in scores["floor"]:  # (files from before the real drift)
            scores["floor"] = detector_floor(root, detectors, b.eval_clips, b.eval_frames, inception)
            save()
        return stage

    def run_name(arch: str, domains: int, seed: int = 0, stage: _Stage | None = None) -> str:
        name = f"{kind}-{arch}" if domains == train_domains else f"{kind}-{arch}-{domains}domains"
        return name + (f"-seed{seed}" if seed else "") + f"-r{recipes(kind)[arch]}" + (stage.suffix if stage else "")

    def checkpoint(stage: _Stage, arch: str, domains: int, seed: int = 0) -> Path:
        name = run_name(arch, domains, seed, stage)
        if name not in checkpoints:  # (a second stage's run continues the first stage's)
            first = None if stage.refine is None else checkpoint(main, arch, domains, seed)
            checkpoints[name] = _train(out, name, stage.root, arch, b, batch_size,
                                       0 if domains == train_domains else domains, seed, progress, stage.refine, first)
        return checkpoints[name]

    def merge_seeds(stage: _Stage) -> None:  # the table shows every seed scored so far (a stopped run: those before it)
        for arch in METHODS:
            runs = [stage.scores["runs"][f"{arch}/seed{s}"] for s in range(b.seeds)
                    if f"{arch}/seed{s}" in stage.scores["runs"]]
            if runs:  # (--methods: the others may have no scores yet)
                stage.scores["methods"][arch] = mean_over_seeds(runs)
        save()

    def score(stage: _Stage, table: str, key: str, arch: str, k: int, domains: int = train_domains,
              seed: int = 0) -> None:
        scores = stage.scores
        if key in scores[table]:
            return
        same = f"{arch}/seed{seed}"  # the K and domains studies' point of the main run: its model, scored alike
        if table != "runs" and k == b.eval_k and domains == train_domains and same in scores["runs"]:
            scores[table][key] = scores["runs"][same]  # (not retrained where its run folder is gone)
        else:
            path = checkpoint(stage, arch, domains, seed)
            pipe = Pipeline.from_checkpoint(path, weights=b.weights)
            scores[table][key] = evaluate(pipe, stage.root, k, stage.detectors, b.eval_clips, b.eval_frames, inception)
            hours = train_hours(path) if table == "runs" else None  # the run's own clock, wherever it trained
            if hours is not None:
                scores[table][key]["train_hours"] = hours
        if table == "runs":
            merge_seeds(stage)  # (which saves)
        else:
            save()

    def picture(stage: _Stage, sheet: Path) -> None:
        # Each method's first seed that has a model of its current recipe here; a method with none (run folders are
        # not kept everywhere) is not retrained for a picture but left out and named in the report.
        steps = b.run.train.max_steps if stage.refine is None else stage.refine.max_steps
        shown = {arch: first_trained([run_name(arch, train_domains, s, stage) for s in range(b.seeds)], out / "runs",
                                     checkpoints, steps) for arch in METHODS}
        shown = {arch: seed for arch, seed in shown.items() if seed is not None}
        scores = stage.scores
        if sheet_stale(scores, list(shown), recipes(kind), sheet.exists()) and "fewshot" in shown:
            missing = [METHOD_NAMES[arch] for arch in METHODS if arch not in shown]
            if missing:
                log.warning(f"{sheet}: without {', '.join(missing)} (no trained model under {out / 'runs'})")
            pipes = {METHOD_NAMES[arch] + (f", seed {seed}" if seed else ""):
                     Pipeline.from_checkpoint(checkpoint(stage, arch, train_domains, seed), weights=b.weights)
                     for arch, seed in shown.items()}
            method_sheet(pipes, stage.root, b.eval_k, sheet, max_frames=b.eval_frames)
            scores["sheet_recipes"], scores["sheet_methods"] = recipes(kind), list(shown)
            save()

    def methods_and_k(stage: _Stage, sheet: Path) -> None:
        # Order: what a stopped run has already paid for is never needed again (seed-0 models serve the picture and
        # the K study before later seeds train), so a run spread over several sessions keeps only score files between
        # them.
        for arch in methods:
            score(stage, "runs", f"{arch}/seed0", arch, b.eval_k)
        merge_seeds(stage)  # (a file made before each score merged them)
        picture(stage, sheet)
        if "fewshot" in methods:
            for k in b.ks:
                score(stage, "k", str(k), "fewshot", k)
        for seed in range(1, b.seeds):
            for arch in methods:
                score(stage, "runs", f"{arch}/seed{seed}", arch, b.eval_k, seed=seed)

    main = stage_at(task, None)
    methods_and_k(main, out / f"{kind}_methods.png")
    for fraction in b.domain_fractions if "fewshot" in methods else ():
        n = max(1, round(train_domains * fraction))
        score(main, "domains", str(n), "fewshot", b.eval_k, n)
    refine = b.refine_of(kind)
    if refine is not None:  # the same models continued at a larger size, scored there
        methods_and_k(stage_at(task["refined"], refine), out / f"{kind}_methods_{refine.size}px.png")
    save()


def collect_results(out: str | Path, budget: str) -> dict:
    """Every finished or partial task of ``budget`` under ``out`` (tasks may run as separate processes)."""
    out = Path(out)
    done = {kind: _load_task(out / "tasks" / f"{kind}.json", budget) for kind in datasets()
            if (out / "tasks" / f"{kind}.json").exists()}
    return {"budget": budget, "settings": BUDGETS[budget].summary(), "tasks": done,
            "seconds": round(sum(t["seconds"] for t in done.values()), 1)}


def datasets(names: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The benchmark's name (its synthetic dataset's) of each task in ``names`` (task names or aliases; default all
    registered tasks). Results are filed by dataset name: ``<out>/tasks/<dataset>.json``."""
    return tuple(tasks.get(n).dataset for n in names) if names else tuple(t.dataset for t in tasks.tasks())


def run_benchmark(out: str | Path, budget: str = "smoke", names: tuple[str, ...] | None = None,
                  progress: bool = True, methods: tuple[str, ...] | None = None) -> dict:
    """Run (or continue) the benchmark for ``tasks`` and write the report of every task under ``out``; returns it.

    Each task keeps its own ``<out>/tasks/<task>.json``, so ``--tasks pose`` and ``--tasks face street`` can run as
    two processes on the same ``--out`` (one per core); the report is rewritten from all of them after each. ``names``:
    tasks (or their datasets' names), default all. ``methods``: train and score only these (default all; e.g. the
    fast row again after the preset changed; the K and domain studies come with fewshot)."""
    if budget not in BUDGETS:
        raise UserError(f"unknown --budget '{budget}': choose one of {', '.join(BUDGETS)}")
    unknown = sorted(set(methods or ()) - set(METHODS))
    if unknown:
        raise UserError(f"unknown method {', '.join(unknown)}: choose from {', '.join(METHODS)}")
    methods = tuple(a for a in METHODS if a in (methods or METHODS))
    kinds = datasets(names)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        _load_task(out / "tasks" / f"{kind}.json", budget)  # a budget mismatch fails before any work
    from vid2vid.metrics import InceptionFeatures

    inception = InceptionFeatures()
    for kind in kinds:
        _run_task(out, kind, BUDGETS[budget], budget, inception, progress, methods)
    results = collect_results(out, budget)
    write_json_atomic(out / "benchmark.json", results)
    write_report(out, results, METHOD_NAMES)
    return results
