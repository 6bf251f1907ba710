"""A task's score file, ``<out>/tasks/<task>.json``: what the benchmark has scored so far, kept between sessions.

Several processes may run one task, each with its own ``--methods`` (one per core): every save merges in, under a lock
on the folder, what the others saved since, so no process overwrites another's scores."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

from filelock import FileLock

from vid2vid.errors import UserError
from vid2vid.evaluation.budgets import BUDGETS, METHODS, SINGLE_RECIPE, Refine, recipes
from vid2vid.files import write_json_atomic

TABLES = ("runs", "k", "domains")  # score tables: one entry per scored model, never changed once there


def _fresh_refined(refine: Refine) -> dict:
    return {"settings": refine.settings(), "floor": None, "runs": {}, "methods": {}, "k": {}}


def load_task(path: Path, budget: str) -> dict:
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
            for scores in _parts(task):
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


def merge_seeds(scores: dict, seeds: int) -> None:
    """Each method's row of a stage's table (``scores``): the mean over the seeds scored so far."""
    for arch in METHODS:
        runs = [scores["runs"][f"{arch}/seed{s}"] for s in range(seeds) if f"{arch}/seed{s}" in scores["runs"]]
        if runs:  # (--methods: the others may have no scores yet)
            scores["methods"][arch] = mean_over_seeds(runs)


def _parts(task: dict) -> list[dict]:
    """A task's score tables by stage: the task's own, and its second stage's where it has one."""
    return [task] + ([task["refined"]] if "refined" in task else [])


def _stages(task: dict, saved: dict) -> Iterator[tuple[dict, dict]]:
    yield task, saved
    if "refined" in task and saved.get("refined", {}).get("settings") == task["refined"]["settings"]:
        yield task["refined"], saved["refined"]


def shown_methods(scores: dict) -> list[str]:
    """The methods a task's picture shows (files from before this was recorded: all)."""
    return list(scores.get("sheet_methods", METHODS))


def merge_saved(task: dict, saved: dict) -> None:
    """Add to ``task`` (this process's scores) what ``saved`` (the file, written by another process meanwhile) has and
    it lacks: models scored there, the floor, and the picture's record where it shows more methods."""
    for ours, theirs in _stages(task, saved):
        for table in TABLES:
            if table in ours:
                for key, value in theirs.get(table, {}).items():
                    ours[table].setdefault(key, value)
        if ours["floor"] is None:
            ours["floor"] = theirs["floor"]
        if "sheet_recipes" in theirs and ("sheet_recipes" not in ours
                                          or len(shown_methods(theirs)) > len(shown_methods(ours))):
            ours["sheet_recipes"], ours["sheet_methods"] = theirs["sheet_recipes"], shown_methods(theirs)


class TaskFile:
    """One process's view of a task's score file (``scores``, the task's dict); ``merge_and_write`` writes it back."""

    def __init__(self, path: Path, budget: str):
        self.path, self.budget = path, budget
        self.scores = load_task(path, budget)
        self._since = time.time()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(path.parent / ".lock"))  # (re-entrant in this process)

    def lock(self) -> FileLock:
        """The lock of the folder's score files, held while one is written and the report drawn from them, and while
        data or a metric network that processes share is made."""
        return self._lock

    def merge_and_write(self) -> None:
        """Merge in what other processes saved, recompute each method's mean over seeds, add this process's time since
        its last save to the task's, and write the file. Call it with ``lock()`` held."""
        seconds = self.scores["seconds"]
        if self.path.exists():
            saved = load_task(self.path, self.budget)
            merge_saved(self.scores, saved)
            seconds = saved["seconds"]
        seeds = BUDGETS[self.budget].seeds
        for scores in _parts(self.scores):
            merge_seeds(scores, seeds)
        now = time.time()
        self.scores["seconds"], self._since = round(seconds + now - self._since, 1), now
        write_json_atomic(self.path, self.scores)
