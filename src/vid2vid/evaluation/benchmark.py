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

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

from vid2vid import checkpoint as ckpt
from vid2vid import tasks
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.errors import UserError
from vid2vid.evaluation.budgets import (BUDGETS, METHOD_ARCH, METHOD_NAMES, METHOD_PRESET, METHODS, Budget, Refine,
                                        recipes)
from vid2vid.evaluation.evaluate import Detectors, detector_floor, evaluate
from vid2vid.evaluation.report import write_report
from vid2vid.evaluation.sheet import method_sheet
from vid2vid.evaluation.task_scores import TaskFile, load_task, shown_methods
from vid2vid.files import write_json_atomic
from vid2vid.inference.pipeline import Pipeline
from vid2vid.training.options import ModelSpec

log = logging.getLogger(__name__)


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


def sheet_stale(scores: dict, shown: list[str], current: dict[str, int], exists: bool) -> bool:
    """Whether a methods picture is drawn again: it is missing, a recipe changed since, or a method has a model now that
    it lacks (``shown``); never to show fewer methods (run folders are not kept everywhere)."""
    return (not exists or scores.get("sheet_recipes") != current
            or not set(shown) <= set(shown_methods(scores)))


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
    scores_file = TaskFile(out / "tasks" / f"{kind}.json", budget)
    task = scores_file.scores

    def save() -> None:  # the task's scores (merged with other processes'), and the report of every task so far
        with scores_file.lock():
            scores_file.merge_and_write()
            results = collect_results(out, budget)
            write_json_atomic(out / "benchmark.json", results)
            write_report(out, results, METHOD_NAMES)

    # Frames twice as wide (the task's aspect) take half the batch: the pixels per step (and the step time) stay alike.
    batch_size = max(1, b.run.train.batch_size // tasks.get(kind).aspect)
    train_domains = b.domains - b.test_domains
    checkpoints: dict[str, Path] = {}

    def stage_at(scores: dict, refine: Refine | None) -> _Stage:
        size = None if refine is None else refine.size
        with scores_file.lock():  # (another process running this task waits for them rather than making them too)
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
        save()  # (which merges the seeds)

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
        save()  # (a file made before each score merged the seeds)
        picture(stage, sheet)
        if "fewshot" in methods:
            for k in b.ks:
                score(stage, "k", str(k), "fewshot", k)
        for seed in range(1, b.seeds):
            for arch in methods:
                score(stage, "runs", f"{arch}/seed{seed}", arch, b.eval_k, seed=seed)
        picture(stage, sheet)  # again if a later seed gave a method its first model here (drawn only if it adds one)

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
    done = {kind: load_task(out / "tasks" / f"{kind}.json", budget) for kind in datasets()
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
    two processes on the same ``--out`` (one per core), and so can processes with other ``methods`` of one task (their
    saves merge: ``task_scores.TaskFile``); the report is rewritten from all of them after each. ``names``:
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
        load_task(out / "tasks" / f"{kind}.json", budget)  # a budget mismatch fails before any work
    from vid2vid.metrics import InceptionFeatures

    inception = InceptionFeatures()
    for kind in kinds:
        _run_task(out, kind, BUDGETS[budget], budget, inception, progress, methods)
    results = collect_results(out, budget)
    write_json_atomic(out / "benchmark.json", results)
    write_report(out, results, METHOD_NAMES)
    return results
