"""Typed, frozen configuration and its strict YAML loader.

Every component has one frozen dataclass; its field defaults are the only defaults. A YAML file maps section names to
the fields of those dataclasses; an unknown key, a wrong type or an unreadable file is a ``UserError`` that names the
key and the file.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from vid2vid.errors import UserError

T = TypeVar("T")


@dataclass(frozen=True)
class DataConfig:
    """Which dataset to read and how samples are drawn from it."""

    root: str = ""  # dataset folder written by `vid2vid data synth` (or real-video preparation)
    split: str = "train"  # "train" or "test" (held-out domains)
    seq_len: int = 4  # T: consecutive frames per sample
    num_examples: int = 1  # K: example images (with their semantic maps) per sample
    # "other": examples from another clip of the sample's domain (as at test time; with one clip, frames at least
    # min_example_gap from the window); "clip": the sample's own clip (the reference); "domain": any clip of the domain.
    # Same-clip examples overlap the target body (IoU 0.33 vs 0.08 across clips) and teach copying in place.
    examples_from: str = "other"
    min_example_gap: int = 8  # same-clip examples stay this many frames away from the sampled window when possible
    frame_stride: int = 1  # step between consecutive frames of a sample
    max_frame_stride: int = 0  # > frame_stride: each sample's step is drawn from frame_stride..max_frame_stride
    seed: int = 0  # sampling seed; samples are a pure function of (seed, epoch, index)
    max_domains: int = 0  # use only the first N domains of the split (0: all); for "number of domains" studies
    max_clips: int = 0  # use only the first N clips of each domain (0: all): a single-person model leaves the other
    # clips' motions out, to be scored on them (`vid2vid eval checkpoint --held-out-motions N`)
    skip_domains: int = 0  # leave out the first N domains of the split (the unpaired branch reads the ones after)
    # performance cloning's unpaired branch (arch vid2vid): pose sequences from this many other domains of the split
    # (other people, after the first max_domains) are generated with no target and trained by the GAN terms only
    unpaired_domains: int = 0

    def __post_init__(self) -> None:
        for name in ("max_domains", "max_clips", "skip_domains", "unpaired_domains"):
            if getattr(self, name) < 0:
                raise UserError(f"data.{name} must be >= 0, got {getattr(self, name)}")
        if self.unpaired_domains and not self.max_domains:
            raise UserError("data.unpaired_domains takes the domains after the first max_domains: set "
                            "data.max_domains (1 for one person)")
        for name in ("seq_len", "num_examples", "frame_stride"):
            if getattr(self, name) < 1:
                raise UserError(f"data.{name} must be >= 1, got {getattr(self, name)}")
        if self.examples_from not in ("other", "clip", "domain"):
            raise UserError(f"data.examples_from must be 'other', 'clip' or 'domain', got '{self.examples_from}'")
        if self.min_example_gap < 0 or self.max_frame_stride < 0:
            raise UserError("data.min_example_gap and data.max_frame_stride must be >= 0")
        if self.split not in ("train", "test"):
            raise UserError(f"data.split must be 'train' or 'test', got '{self.split}'")


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def coerce(value: Any, tp: Any, where: str) -> Any:
    """Check (and gently convert) a YAML value against a field type; raise a UserError naming ``where``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return coerce(value, option, where)
            except UserError as err:
                errors.append(str(err))
        raise UserError(errors[0] if errors else f"{where}: invalid value {value!r}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise UserError(f"{where}: expected a list, got {value!r}")
        args = typing.get_args(tp)
        item_tp = args[0] if args else Any
        return tuple(coerce(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise UserError(f"{where}: expected a mapping of {tp.__name__} fields, got {value!r}")
        return from_mapping(tp, value, where)
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise UserError(f"{where}: expected true/false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{where}: expected a number, got {value!r}")
        if not math.isfinite(float(value)):
            raise UserError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise UserError(f"{where}: expected a string, got {value!r}")
        return value
    raise UserError(f"{where}: unsupported config type {_type_name(tp)}")


def from_mapping(cls: type[T], mapping: dict[str, Any], where: str = "config") -> T:
    """Build the frozen dataclass ``cls`` from a mapping; unknown keys and wrong types are errors naming the key.
    A class with its own YAML form (a ``from_yaml(mapping, where)`` class method) builds itself."""
    if hasattr(cls, "from_yaml"):
        if not isinstance(mapping, dict):
            raise UserError(f"{where}: expected a mapping, got {mapping!r}")
        return cls.from_yaml(mapping, where)
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(mapping) - fields)
    if unknown:
        raise UserError(
            f"{where}: unknown key '{unknown[0]}' (known keys: {', '.join(sorted(fields))})"
        )
    kwargs = {key: coerce(value, hints[key], f"{where}.{key}") for key, value in mapping.items()}
    try:
        return cls(**kwargs)
    except UserError as err:
        raise UserError(f"{where}: {err}") from None


def load_yaml(path: str | Path, cls: type[T]) -> T:
    """Load a YAML file into the dataclass ``cls``; errors name the file and the offending key."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"config file not found: {path} (check the path; `vid2vid configs` lists the packaged ones)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise UserError(f"config file {path} is not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise UserError(f"config file {path} must contain a mapping of keys, got {type(data).__name__}")
    return from_mapping(cls, data, where=str(path))


def to_dict(config: Any) -> dict[str, Any]:
    """The resolved config as plain YAML-able data (tuples become lists)."""

    def plain(value: Any) -> Any:
        if hasattr(value, "to_yaml"):
            return plain(value.to_yaml())
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return value

    return plain(config)
