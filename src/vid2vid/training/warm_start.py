"""Starting a run from another run's generator: ``train.init_from`` (its averaged weights; parts it lacks stay
fresh) and ``train.train_only`` (only the named parts train, e.g. Everybody Dance Now's face refiner on a frozen
body generator)."""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from vid2vid import checkpoint as ckpt
from vid2vid.errors import UserError

log = logging.getLogger(__name__)


def init_generator(G: torch.nn.Module, path: str) -> None:
    """G's weights from the averaged generator of checkpoint ``path`` (or the newest in that run folder) or from an
    exported generator (``.safetensors``, e.g. a shipped demo model: a run at another size or on the user's own data
    starts from it); only G's parts that it lacks stay fresh."""
    if Path(path).is_dir():
        newest = ckpt.latest_checkpoint(path)
        if newest is None:
            raise UserError(f"train.init_from: no checkpoint in the run folder {path}; train that run first")
        path = str(newest)
    weights, _, _ = ckpt.load_generator(path, weights="ema")
    try:
        missing, unexpected = G.load_state_dict(weights, strict=False)  # (an fp16 export is cast to G's dtype)
    except RuntimeError as err:  # same names, other shapes: another preset, task or channel count
        shape = next((line.strip() for line in str(err).splitlines() if "size mismatch" in line), str(err))
        raise UserError(f"train.init_from {path} holds a generator of another shape ({shape}); start from a model "
                        "of the same preset and task") from None
    if unexpected:
        raise UserError(f"train.init_from {path} holds another generator ({unexpected[0]} is not in this one); start "
                        "from a checkpoint of the same model without the new parts")
    fresh = sorted({name.split(".")[0] for name in missing})
    log.info(f"generator from {path}" + (f"; fresh: {', '.join(fresh)}" if fresh else ""))


def freeze_all_but(G: torch.nn.Module, names: tuple[str, ...]) -> None:
    """Only the named parts of G train; the others are frozen in evaluation mode (batch-norm statistics fixed)."""
    parts = dict(G.named_children())
    unknown = [n for n in names if parts.get(n) is None]
    if unknown:
        known = ", ".join(n for n, m in parts.items() if m is not None)
        raise UserError(f"train.train_only: this generator has no part '{unknown[0]}' (its parts: {known})")
    for name, module in parts.items():
        if name not in names:
            module.requires_grad_(False).eval()
