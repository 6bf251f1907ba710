"""Slim a training checkpoint down to what inference needs: one generator's weights (the EMA by default, optionally
fp16) as safetensors, with its config, the dataset description and where it came from as JSON metadata
(``vid2vid export``; the shipped demo generators in ``vid2vid/assets`` are made this way)."""

from __future__ import annotations

from pathlib import Path

from vid2vid.checkpoint import load_checkpoint, save_generator
from vid2vid.errors import UserError


def export_generator(src: str | Path, dst: str | Path, fp16: bool = True, weights: str = "ema") -> Path:
    """Write ``src``'s generator to ``dst`` (.safetensors) atomically; returns its path."""
    dst = Path(dst)
    if dst.suffix != ".safetensors":
        raise UserError(f"--out {dst} must end in .safetensors")
    state = load_checkpoint(src)
    if "generator_config" not in state or "dataset" not in state:
        raise UserError(f"{src} is not a vid2vid training checkpoint (no generator_config/dataset entries)")
    chosen = state.get(weights, state.get("generator", state.get("ema")))
    tensors = {k: (v.half() if fp16 and v.is_floating_point() else v) for k, v in chosen.items()}
    info = {"source": Path(src).name, "step": int(state.get("step", -1)), "weights": weights,
            "dtype": "float16" if fp16 else "float32", "config": state.get("config", {})}
    return save_generator(dst, tensors, state["generator_config"], state["dataset"], info)
