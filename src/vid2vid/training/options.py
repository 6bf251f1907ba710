"""The run configuration: data, model, loss and training sections of one YAML file.

The ``train`` section's schema *is* the keyword-only signature of ``loop.training_loop`` (EDM style): its defaults and
comments live there only; ``TrainOptions`` is derived from it. The ``model`` section is a preset name plus any
``GeneratorConfig`` field to override.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vid2vid import tasks
from vid2vid.config import DataConfig, from_mapping, load_yaml
from vid2vid.errors import UserError
from vid2vid.models.config import GeneratorConfig
from vid2vid.training.objective import LossWeights


def options_class(fn: Any, name: str) -> type:
    """A frozen dataclass whose fields are the keyword-only parameters of ``fn`` (same types and defaults)."""
    hints = typing.get_type_hints(fn)
    specs = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            specs.append((p.name, hints[p.name], field(default=p.default)))
    return dataclasses.make_dataclass(name, specs, frozen=True)


def _model_spec_class() -> type:
    specs = [("preset", str, field(default="small"))]
    hints = typing.get_type_hints(GeneratorConfig)
    for f in dataclasses.fields(GeneratorConfig):
        if f.name != "semantic_channels":  # comes from the dataset, never typed twice
            specs.append((f.name, typing.Optional[hints[f.name]], field(default=None)))
    return dataclasses.make_dataclass("ModelSpec", specs, frozen=True)


ModelSpec = _model_spec_class()


def resolve_generator(spec: Any, task: str, semantic_channels: int) -> GeneratorConfig:
    """The GeneratorConfig of a model section for a dataset's task and channel count."""
    overrides = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)
                 if f.name != "preset" and getattr(spec, f.name) is not None}
    return tasks.get(task).generator_config(spec.preset, semantic_channels, **overrides)


def _train_options_class() -> type:
    from vid2vid.training.loop import training_loop

    return options_class(training_loop, "TrainOptions")


TrainOptions = _train_options_class()


@dataclass(frozen=True)
class RunConfig:
    """Everything a training run needs; written resolved to <run_dir>/config.yaml and into every checkpoint."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelSpec = field(default_factory=ModelSpec)  # type: ignore[valid-type]
    loss: LossWeights = field(default_factory=LossWeights)
    train: TrainOptions = field(default_factory=TrainOptions)  # type: ignore[valid-type]


def load_run_config(path: str | Path, overrides: dict[str, dict[str, Any]] | None = None) -> RunConfig:
    """Load a run config YAML, then apply command-line overrides {section: {key: value}}."""
    cfg = load_yaml(path, RunConfig)
    if not overrides:
        return cfg
    sections = {}
    for section, values in overrides.items():
        current = dataclasses.asdict(getattr(cfg, section))
        current.update({k: v for k, v in values.items() if v is not None})
        sections[section] = from_mapping(type(getattr(cfg, section)), current, where=f"{path} ({section})")
    return dataclasses.replace(cfg, **sections)


def check_train_options(opts: Any) -> None:
    """Reject values that would only fail (or silently misbehave) after training started."""
    for name in ("lr_g", "lr_d"):
        v = getattr(opts, name)
        if not v > 0:
            raise UserError(f"train.{name} must be a positive number, got {v}")
    for name in ("max_steps", "batch_size", "accum_steps", "checkpoint_every", "log_every"):
        if getattr(opts, name) < 1:
            raise UserError(f"train.{name} must be >= 1, got {getattr(opts, name)}")
    for name in ("flow_pretrain_steps", "single_frame_steps"):
        if getattr(opts, name) < 0:
            raise UserError(f"train.{name} must be >= 0, got {getattr(opts, name)}")
    if not 0 <= opts.ema_beta < 1:
        raise UserError(f"train.ema_beta must be in [0, 1), got {opts.ema_beta}")
    if opts.amp not in ("none", "bf16", "fp16"):
        raise UserError(f"train.amp must be none, bf16 or fp16, got '{opts.amp}'")
