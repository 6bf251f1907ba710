"""The run configuration: the data, model, discriminator, loss and train sections of one YAML file.

Each section is a frozen dataclass whose field defaults are the only defaults and whose ``__post_init__`` rejects bad
values, so a library caller gets the same checks as the command line. ``training_loop(run_dir, cfg)`` takes the whole
``RunConfig`` and writes it to ``<run_dir>/config.yaml`` exactly as it ran (``ran_config``: the model section with every
generator setting resolved), so that file trains the same model again.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from vid2vid import tasks
from vid2vid.config import DataConfig, coerce, from_mapping, load_yaml, to_dict
from vid2vid.devices import DEVICES
from vid2vid.errors import UserError
from vid2vid.models.config import PRESETS, GeneratorConfig
from vid2vid.models.discriminator import DiscriminatorConfig
from vid2vid.training.objective import LossWeights

_GENERATOR_FIELDS = {f.name: f for f in dataclasses.fields(GeneratorConfig) if f.name != "semantic_channels"}


@dataclass(frozen=True)
class ModelSpec:
    """A generator preset plus any ``GeneratorConfig`` fields to override. In YAML one flat mapping:
    ``model: {preset: small, compose: blend}``; ``semantic_channels`` comes from the dataset, never typed."""

    preset: str = "small"  # tiny | small | paper
    overrides: tuple[tuple[str, Any], ...] = ()  # (GeneratorConfig field, value) pairs

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise UserError(f"model.preset '{self.preset}' is not one of {', '.join(PRESETS)}")
        hints = typing.get_type_hints(GeneratorConfig)
        for name, value in self.overrides:
            if name not in _GENERATOR_FIELDS:
                raise UserError(f"model: unknown key '{name}' (known keys: preset, {', '.join(_GENERATOR_FIELDS)})")
            coerce(value, hints[name], f"model.{name}")
            if name == "example_flow" and value == "landmarks":  # the loader fits no landmark flows
                raise UserError("model.example_flow 'landmarks' is an inference setting (`--example-flow landmarks` "
                                "of generate and eval); train with learned")

    @classmethod
    def of(cls, preset: str = "small", **overrides: Any) -> "ModelSpec":
        return cls(preset, tuple(sorted(overrides.items())))

    def replace(self, **overrides: Any) -> "ModelSpec":
        return ModelSpec.of(self.preset, **{**dict(self.overrides), **overrides})

    @classmethod
    def from_yaml(cls, mapping: Mapping[str, Any], where: str) -> "ModelSpec":
        values = dict(mapping)
        preset = values.pop("preset", "small")
        try:
            return cls.of(coerce(preset, str, f"{where}.preset"), **values)
        except UserError as err:
            raise UserError(f"{where}: {err}") from None

    def to_yaml(self) -> dict[str, Any]:
        return {"preset": self.preset, **dict(self.overrides)}


def resolve_generator(spec: ModelSpec, task: str, semantic_channels: int) -> GeneratorConfig:
    """The GeneratorConfig of a model section for a dataset's task (its registry settings) and channel count."""
    return tasks.get(task).generator_config(spec.preset, semantic_channels, **dict(spec.overrides))


@dataclass(frozen=True)
class TrainOptions:
    """The ``train`` section: steps, optimisers, schedule, averaging, devices and bookkeeping of a training run."""

    max_steps: int = 10000  # training steps; a step is one sequence per sample with per-frame D and G updates
    # also stop (finished, with a checkpoint) once the run's training time, summed over resumed sessions, reaches this
    # many hours; 0 = no time limit. Gives runs of different cost the same budget (e.g. coarse-to-fine vs one scale)
    max_hours: float = 0.0
    batch_size: int = 4  # sequences per process per micro-batch; effective batch = batch_size * accum_steps * processes
    accum_steps: int = 1  # micro-batches whose gradients are accumulated before each optimiser step
    lr_g: float = 2e-4  # generator Adam learning rate
    lr_d: float = 8e-4  # discriminator Adam learning rate (TTUR: 4x the generator's, as in the reference)
    beta1: float = 0.0  # Adam beta1 (the reference code's 0; the paper's text says 0.5)
    beta2: float = 0.999  # Adam beta2
    flow_pretrain_steps: int = 0  # first steps fit only the flow/mask network to the exact flows (flow_pretrain.py)
    single_frame_steps: int = 1000  # GAN steps of single-frame training before sequences start
    double_every: int = 1000  # steps between doublings of the sequence length (2, 4, 8, ... up to data.seq_len)
    random_k: bool = True  # draw K from 1..data.num_examples each step, so one model serves any K at test time
    ema_beta: float = 0.999  # EMA decay of the generator weights, warmed up (schedule.ema_decay); 0 = no averaging
    amp: str = "none"  # none | bf16 | fp16: mixed precision (CUDA only; ignored on CPU)
    device: str = "auto"  # auto | cpu | cuda | mps (auto: CUDA, then MPS, then the CPU)
    workers: int = 2  # DataLoader worker processes per training process
    log_every: int = 10  # steps between TensorBoard scalar logs
    image_every: int = 100  # steps between image grids (TensorBoard + PNG); 0 disables
    checkpoint_every: int = 500  # steps between checkpoints (one is always written at the end)
    keep_checkpoints: int = 3  # newest checkpoints kept
    keep_every: int = 0  # checkpoints at multiples of this step are never deleted (a run's curve); 0: none
    seed: int = 0  # seed of the weights and of the data order
    resume: bool = False  # continue from the newest checkpoint in the run folder
    progress: bool = True  # tqdm progress bar
    # a sample whose files fail to load mid-run is replaced by the next one, with a warning naming the file, and
    # counted (train/skipped_samples); default: save a checkpoint and stop with one line naming the file
    skip_bad_samples: bool = False
    # start the generator from this checkpoint's (or run folder's newest) averaged weights, or from an exported
    # generator (.safetensors, e.g. a shipped demo model, to train on at another size or on one's own data); modules
    # it lacks (e.g. a new face refiner) keep their fresh start; the discriminators start fresh
    init_from: str = ""
    # train only these generator parts (e.g. [face_refiner]: Everybody Dance Now's second stage); the rest is frozen
    train_only: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("lr_g", "lr_d"):
            if not getattr(self, name) > 0:
                raise UserError(f"train.{name} must be a positive number, got {getattr(self, name)}")
        for name in ("max_steps", "batch_size", "accum_steps", "checkpoint_every", "log_every", "keep_checkpoints",
                     "double_every"):
            if getattr(self, name) < 1:
                raise UserError(f"train.{name} must be >= 1, got {getattr(self, name)}")
        for name in ("flow_pretrain_steps", "single_frame_steps", "workers", "image_every", "seed", "keep_every"):
            if getattr(self, name) < 0:
                raise UserError(f"train.{name} must be >= 0, got {getattr(self, name)}")
        if not self.max_hours >= 0:
            raise UserError(f"train.max_hours must be >= 0 (0 = no time limit), got {self.max_hours}")
        for name in ("beta1", "beta2", "ema_beta"):
            if not 0 <= getattr(self, name) < 1:
                raise UserError(f"train.{name} must be in [0, 1), got {getattr(self, name)}")
        if self.amp not in ("none", "bf16", "fp16"):
            raise UserError(f"train.amp must be none, bf16 or fp16, got '{self.amp}'")
        if self.device not in DEVICES:
            raise UserError(f"train.device must be one of {', '.join(DEVICES)}, got '{self.device}'")


@dataclass(frozen=True)
class RunConfig:
    """Everything a training run needs; written to <run_dir>/config.yaml and into every checkpoint as it ran."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelSpec = field(default_factory=ModelSpec)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    loss: LossWeights = field(default_factory=LossWeights)
    train: TrainOptions = field(default_factory=TrainOptions)


def ran_config(cfg: RunConfig, generator: GeneratorConfig) -> dict[str, Any]:
    """``cfg`` as YAML-able data with the model section resolved to every generator setting that ran."""
    resolved = {k: v for k, v in dataclasses.asdict(generator).items() if k != "semantic_channels"}
    return to_dict(dataclasses.replace(cfg, model=ModelSpec.of(cfg.model.preset, **resolved)))


def packaged_configs() -> dict[str, str]:
    """The run configs shipped in the package (``<task>-<preset>``), each with its first comment line."""
    folder = importlib.resources.files("vid2vid") / "configs"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            first = entry.read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
            found[entry.name[:-5]] = first.split(": ", 1)[-1]
    return found


def find_config(name: str | Path) -> Path:
    """A YAML path as given, or a packaged config by name (``pose-small``; a task's aliases work too)."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    task, _, preset = str(name).rpartition("-")
    if task and task in tasks.all_names():
        name = f"{tasks.get(task).name}-{preset}"
    if name not in packaged_configs():
        raise UserError(f"no config file or packaged config called '{name}'; packaged: "
                        f"{', '.join(packaged_configs())} (list them with `vid2vid configs`)")
    return Path(str(importlib.resources.files("vid2vid") / "configs" / f"{name}.yaml"))


def load_run_config(path: str | Path, overrides: dict[str, dict[str, Any]] | None = None) -> RunConfig:
    """Load a run config (a YAML path or a packaged config's name), then apply command-line overrides
    {section: {key: value}} (None values skipped)."""
    path = find_config(path)
    cfg = load_yaml(path, RunConfig)
    if not overrides:
        return cfg
    sections = {}
    for section, values in overrides.items():
        current = to_dict(getattr(cfg, section))
        current.update({k: v for k, v in values.items() if v is not None})
        sections[section] = from_mapping(type(getattr(cfg, section)), current, where=f"{path} ({section})")
    return dataclasses.replace(cfg, **sections)
