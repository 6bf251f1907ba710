"""The task registry: one frozen record per task holds everything the library knows about it.

A task is what the generator turns into video: body pose -> person, face sketch -> talking head, street labels ->
city. Its record says how its semantic maps are encoded, which keypoints it has, which renderer makes its synthetic
data and which converter makes real inputs, what the generator changes for it, which region discriminator it trains
with and how it is scored. Every other module asks the registry instead of branching on task names; a new task is
one ``register(Task(...))`` (see tests/test_tasks.py, which adds a toy fourth task).

Names: the canonical name (``pose``) is used everywhere; the name of the task's synthetic dataset (``dancers``) and
older spellings are accepted as aliases by ``get`` (``canonical`` reports the rename).
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from vid2vid.data.labels import STREET_LABELS
from vid2vid.data.skeleton import NUM_BODY_PARTS
from vid2vid.errors import UserError


@dataclass(frozen=True)
class Metric:
    """A task-specific headline metric of the evaluation table."""

    key: str  # result key written by evaluation.evaluate
    label: str  # column title
    digits: int  # decimals shown
    higher_is_better: bool = False


@dataclass(frozen=True)
class Task:
    name: str  # canonical name: the CLI's --task value and DatasetMeta.task
    title: str  # one line for --help: "pose skeleton -> person"
    dataset: str  # name of its built-in synthetic dataset (also accepted as the task's name)
    # the renderer of that dataset: a data.synth.kind.SynthKind, or "module:attribute" imported on first use
    synth: Any
    semantic: str  # encoding of the semantic maps: "skeleton" (RGB + parts) | "sketch" (gray) | "labels" (ids)
    keypoints: str | None = None  # "coco18" | "ibug68" | None: keypoints stored per frame
    extras: tuple[str, ...] = ()  # per-frame maps stored beyond rgb/semantic: "parts", "mask"
    label_names: tuple[str, ...] = ()  # class names when semantic == "labels"
    num_parts: int = 0  # body-part indices in parts/ when "parts" in extras
    aspect: int = 1  # width = aspect x height for its default sizes
    default_height: int = 256  # real-video preparation
    # converter class for real frames (data.real.converters), or "module:attribute"; called with (height, width) and
    # those of crop=, video=, fps=, name= (and extra keywords) its constructor takes
    converter: Any = None
    photo_examples: bool = True  # examples may be plain photos (their semantic maps detected by the converter)
    normalize_motion: bool = False  # rescale the driving subject to the example's height and floor (EDN)
    generator: Mapping[str, Any] = field(default_factory=dict)  # GeneratorConfig settings for this task
    # settings the few-shot model (arch fewshot) adds over `generator`: a composition that needs its attention to rank
    # the examples. One bundle: not applied when the caller chooses compose or example_warp itself
    fewshot_generator: Mapping[str, Any] = field(default_factory=dict)
    region_discriminator: str | None = None  # "face-region": an extra D on the face crop (COCO-18 head keypoints)
    detector: str | None = None  # metric network: "keypoints" (trained on its keypoints) | "segmentation" | None
    metrics: tuple[Metric, ...] = ()  # headline metrics, shown before FID and the generic ones
    aliases: tuple[str, ...] = ()  # further accepted names
    # the benchmark's recipe number of a method (evaluation.budgets.RECIPES) where this task's changed alone
    benchmark_recipes: Mapping[str, int] = field(default_factory=dict)
    # the benchmark continues this task's models at a larger size where its budget has that stage
    # (evaluation.budgets.Refine): its headline metric cannot separate the methods at the budget's own size
    benchmark_refine: bool = False
    # label classes a foreground/background generator (model setting `foreground: true`) hallucinates in their own
    # branch, by name (semantic == "labels")
    foreground_labels: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.dataset, *self.aliases)

    @property
    def semantic_channels(self) -> int:
        """Channels of the model's semantic input (as ``DatasetMeta.semantic_channels`` derives them)."""
        if self.semantic == "labels":
            return len(self.label_names)
        if self.semantic == "sketch":
            return 1
        return 3 + (3 if "parts" in self.extras else 0)

    def size(self, height: int) -> tuple[int, int]:
        """(height, width) of frames ``height`` tall in this task's aspect."""
        return height, height * self.aspect

    def renderer(self) -> Any:
        """The SynthKind that renders this task's synthetic dataset."""
        return _resolve(self.synth)

    def make_converter(self, height: int, width: int, crop: bool = True, video: bool = True, fps: float = 25.0,
                       name: str = "the input", **extra: Any) -> Any:
        """The converter of real frames into this task's semantic maps (see data.real.converters)."""
        if self.converter is None:
            raise UserError(f"the {self.name} task has no converter for real frames")
        cls = _resolve(self.converter)
        accepted = inspect.signature(cls).parameters
        options = {k: v for k, v in dict(crop=crop, video=video, fps=fps, name=name).items() if k in accepted}
        return cls(height, width, **options, **extra)

    def generator_config(self, preset: str, semantic_channels: int | None = None, **overrides: Any) -> Any:
        """The GeneratorConfig of ``preset`` for this task (channels default to ``semantic_channels``)."""
        from vid2vid.models.config import generator_preset

        channels = self.semantic_channels if semantic_channels is None else semantic_channels
        defaults = dict(self.generator)
        if overrides.get("arch", "fewshot") == "fewshot" and not {"compose", "example_warp"} & set(overrides):
            defaults.update(self.fewshot_generator)
        settings = {**defaults, **overrides}
        if settings.get("foreground") and not settings.get("foreground_channels"):
            overrides = dict(overrides, foreground_channels=tuple(self.label_names.index(n)
                                                                  for n in self.foreground_labels))
        return generator_preset(preset, channels, defaults, **overrides)

    @property
    def keypoint_metric(self) -> str | None:
        """Result key of the keypoint error when the detector is a keypoint net."""
        return self.metrics[0].key if self.detector == "keypoints" and self.metrics else None


def _resolve(target: Any) -> Any:
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)
    return target


_REGISTRY: dict[str, Task] = {}


def register(task: Task) -> Task:
    """Add a task; its names must be new."""
    taken = [n for n in task.names if n in _lookup()]
    if taken:
        raise ValueError(f"task name(s) already registered: {', '.join(taken)}")
    _REGISTRY[task.name] = task
    return task


def unregister(name: str) -> None:
    """Remove a task (tests that register toy tasks clean up with this)."""
    _REGISTRY.pop(name, None)


def _lookup() -> dict[str, Task]:
    return {n: t for t in _REGISTRY.values() for n in t.names}


def names() -> tuple[str, ...]:
    """Canonical names of the registered tasks, in registration order."""
    return tuple(_REGISTRY)


def all_names() -> tuple[str, ...]:
    """Every accepted spelling (canonical names first, then aliases): for argparse choices."""
    return names() + tuple(n for t in _REGISTRY.values() for n in t.names[1:])


def get(name: str) -> Task:
    """The task called ``name`` (canonical or alias); a UserError listing the choices otherwise."""
    task = _lookup().get(name)
    if task is None:
        raise UserError(f"unknown task '{name}': choose one of {', '.join(names())}")
    return task


def canonical(name: str) -> tuple[str, str | None]:
    """(canonical name, a note when ``name`` was an alias, else None)."""
    task = get(name)
    if name == task.name:
        return task.name, None
    return task.name, f"task '{name}' is called '{task.name}' now (the old name still works)"


def tasks() -> Iterator[Task]:
    return iter(tuple(_REGISTRY.values()))


register(Task(
    name="pose", title="pose skeleton -> person", dataset="dancers", synth="vid2vid.data.synth.dancers:DANCERS",
    semantic="skeleton", keypoints="coco18", extras=("parts", "mask"), num_parts=NUM_BODY_PARTS,
    converter="vid2vid.data.real.converters:PoseConverter", normalize_motion=True,
    # The baselines' frame is the decoder's output, modulated by the warped example and previous frame (the
    # reference's "SPADE combine"; on held-out dancers at 1,050 steps blending had the better FID, 180 vs 189, but let
    # the background drift +175 % over 31 frames, spade +0.1 %, and kept ghosts, 1.9 vs 1.4). The few-shot model's
    # frame is the warped example where it is valid, and where it is not (the background its body hid) the runner-up
    # example warped too, then h_t (compose example + example_fill): held-out FID 53.4 vs 178.7, SSIM 0.915 vs 0.643,
    # ghost-pixel L1 0.024 vs 0.090 at the cpu budget (docs/learning.md; benchmark recipe 6 of dancers' few-shot rows).
    # Each example's flow and mask come from the maps' body parts (example_flow parts; recipe 7), in training too: the
    # learned flow missed the body by 8 px at 128 px; cpu budget, two seeds, FID 52.8 -> 26.4, PSNR 28.30 -> 35.33,
    # pose error 2.51 -> 2.39 px.
    generator={"compose": "spade"},
    fewshot_generator={"compose": "example", "example_fill": True, "example_flow": "parts"},
    # At 64 px every model's pose error sits within 0.4 px of the keypoint net's floor; at 128 px they separate.
    benchmark_recipes={"fewshot": 7, "fast": 7}, benchmark_refine=True, region_discriminator="face-region",
    detector="keypoints",
    metrics=(Metric("pose_error", "pose error (px) ↓", 2),), aliases=("person",)))
register(Task(
    name="face", title="face sketch -> talking head", dataset="faces", synth="vid2vid.data.synth.faces:FACES",
    semantic="sketch", keypoints="ibug68", extras=("mask",), converter="vid2vid.data.real.converters:FaceConverter",
    generator={"compose": "spade"}, fewshot_generator={"compose": "example", "example_fill": True},
    benchmark_recipes={"fewshot": 6, "fast": 6}, detector="keypoints",
    metrics=(Metric("landmark_error", "landmark error (px) ↓", 2),)))
register(Task(
    name="street", title="street segmentation -> city", dataset="streets",
    synth="vid2vid.data.synth.streets:STREETS", semantic="labels",
    label_names=STREET_LABELS,
    aspect=2, converter="vid2vid.data.real.converters:LabelConverter", photo_examples=False,
    # No example warping and no warped-image embeddings (the reference trains street without them): the frame is a
    # blend with the warped previous frame. The few-shot model's attention also reads each pixel's place
    # (attention_coords; recipe 5 of streets' few-shot rows): at the cpu budget, seeds 0 / 1, held-out FID 239.3 /
    # 268.1 and mIoU 0.289 / 0.276 against 294.9 / 244.0 and 0.283 / 0.292 without: no gain beyond the seeds' spread,
    # kept as it is not worse and ships the best street model so far (docs/learning.md). Every street model has
    # vid2vid 2018's foreground branch (foreground; recipes few-shot 6, fast 7, baselines 4): at the cpu budget it
    # raised few-shot vid2vid's held-out mIoU 0.282 -> 0.302 and AdaIN's 0.290 -> 0.305 (two seeds), FID by ~25.
    # Its attention is told the classes (attention_classes; recipes few-shot 7, fast 8): two seeds, accuracy 0.851 ->
    # 0.856, mIoU 0.302 -> 0.306, FID 230.4 -> 227.5, SSIM 0.456 -> 0.464, region colour error 0.076 -> 0.064.
    generator={"example_warp": False, "warp_embedding": False, "compose": "blend", "foreground": True},
    fewshot_generator={"attention_coords": True, "attention_classes": 8.0}, detector="segmentation",
    benchmark_recipes={"fewshot": 7, "fast": 8, "encoder": 4, "concat": 4, "adain": 4},
    foreground_labels=("person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"),
    metrics=(Metric("pixel_accuracy", "pixel acc ↑", 3, True), Metric("miou", "mIoU ↑", 3, True))))
