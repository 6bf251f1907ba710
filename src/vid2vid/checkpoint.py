"""Checkpoints of plain tensors: written atomically, the last N kept, loaded with ``weights_only=True``.

Below both training and inference. A training checkpoint holds the state dicts of G, D, the EMA generator and the
optimisers, the step, the RNG states of every generator in play and the config that ran, so ``--resume`` continues
exactly where the run stopped; an exported one (inference/export.py) only the generator, its config and the dataset
description.
"""

from __future__ import annotations

import json
import pickle
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vid2vid.errors import UserError
from vid2vid.files import atomic_path

PATTERN = re.compile(r"^checkpoint-(\d{8})\.pt$")


def checkpoint_name(step: int) -> str:
    return f"checkpoint-{step:08d}.pt"


def rng_state() -> dict[str, Any]:
    """RNG states of python, numpy and torch (CPU and CUDA) as tensors / plain data."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return _to_plain(state)


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore ``rng_state()``'s states; its tensors may come on any device (a checkpoint loaded onto the GPU)."""
    random.setstate(_python_state(state["python"]))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.cpu().numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def _to_plain(state: dict[str, Any]) -> dict[str, Any]:
    version, internal, gauss = state["python"]
    name, keys, pos, has_gauss, cached = state["numpy"]
    state["python"] = [version, torch.tensor(internal, dtype=torch.int64), gauss]
    state["numpy"] = [name, torch.from_numpy(np.asarray(keys, dtype=np.int64)), pos, has_gauss, cached]
    return state


def _python_state(saved: list) -> tuple:
    version, internal, gauss = saved
    return (version, tuple(int(v) for v in internal.tolist()), gauss)


def save_checkpoint(run_dir: str | Path, step: int, state: dict[str, Any], keep: int = 3, keep_every: int = 0) -> Path:
    """Write ``state`` to run_dir/checkpoint-<step>.pt via a temp file and rename; keep the newest ``keep``, and every
    checkpoint whose step is a multiple of ``keep_every`` (0: none), so that a run's curve can be scored later."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / checkpoint_name(step)
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    for old in list_checkpoints(run_dir)[:-keep] if keep > 0 else []:
        if not (keep_every and checkpoint_step(old) % keep_every == 0):
            old.unlink(missing_ok=True)
    return path


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """Finished checkpoints in ``run_dir``, oldest first (temp files of an interrupted write are ignored)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return []
    return sorted((p for p in run_dir.iterdir() if PATTERN.match(p.name)), key=checkpoint_step)


def checkpoint_step(path: Path) -> int:
    """The step in a checkpoint's file name (checkpoint-00000150.pt -> 150)."""
    return int(PATTERN.match(path.name).group(1))


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True`` (nothing in the file can run code); a missing, corrupt or foreign
    file is a one-line UserError."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if "Unsupported global" in str(err):  # safe loading met a Python object to build: code would have run
            raise UserError(f"{path} holds executable content (pickled Python objects) and was refused; vid2vid "
                            "checkpoints hold only tensors and plain data") from None
        raise UserError(f"{path} is not a vid2vid checkpoint (not a readable PyTorch file)") from None
    except Exception:  # torch raises many types for files that are not checkpoints at all
        raise UserError(f"{path} is not a vid2vid checkpoint (not a readable PyTorch file)") from None
    if not isinstance(state, dict):
        raise UserError(f"{path} is not a vid2vid checkpoint (it holds a {type(state).__name__}, not a mapping)")
    return state


GENERATOR_FORMAT = "vid2vid-generator"  # metadata "format" of an exported generator (.safetensors)


def save_generator(path: str | Path, weights: dict[str, torch.Tensor], generator_config: dict, dataset: dict,
                   info: dict | None = None) -> Path:
    """Write an inference-only generator: its weights as safetensors, with the generator config, the dataset
    description and ``info`` (provenance) as JSON in the file's metadata. Atomic."""
    from safetensors.torch import save_file

    metadata = {"format": GENERATOR_FORMAT, "version": "1", "generator_config": json.dumps(generator_config),
                "dataset": json.dumps(dataset), "info": json.dumps(info or {})}
    with atomic_path(path) as tmp:
        save_file({k: v.contiguous() for k, v in weights.items()}, str(tmp), metadata=metadata)
    return Path(path)


def generator_info(path: str | Path) -> dict:
    """The provenance (``info``) an exported ``.safetensors`` generator carries in its metadata ({} if none)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return json.loads((f.metadata() or {}).get("info", "{}"))


def load_generator(path: str | Path, weights: str = "ema") -> tuple[dict[str, torch.Tensor], dict, dict]:
    """(generator weights, generator config, dataset description) from a training checkpoint (``weights``: "ema" or
    "generator") or an exported ``.safetensors`` generator; anything else is a one-line UserError."""
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError, safe_open

        if not path.is_file():
            raise UserError(f"checkpoint not found: {path}")
        try:
            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
                tensors = {k: f.get_tensor(k) for k in f.keys()}
        except (SafetensorError, OSError) as err:
            raise UserError(f"{path} is not a readable safetensors file ({err})") from None
        if meta.get("format") != GENERATOR_FORMAT:
            raise UserError(f"{path} is not a vid2vid generator (no \"format\": \"{GENERATOR_FORMAT}\" metadata); "
                            "make one with `vid2vid export`")
        return tensors, json.loads(meta["generator_config"]), json.loads(meta["dataset"])
    state = load_checkpoint(path)
    if "generator_config" not in state or "dataset" not in state:
        raise UserError(f"{path} is not a vid2vid generator checkpoint (no generator_config/dataset entries)")
    key = weights if weights in state else "generator" if "generator" in state else "ema"
    return state[key], state["generator_config"], state["dataset"]
