"""Which device to run on: ``auto`` (CUDA, then Apple MPS, then the CPU) or a named one that must be present."""

from __future__ import annotations

import torch

from vid2vid.errors import UserError

DEVICES = ("auto", "cpu", "cuda", "mps")


def _mps() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available() -> list[str]:
    """The device kinds this machine has."""
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (["mps"] if _mps() else [])


def pick_device(name: str = "auto", index: int = 0) -> torch.device:
    """The torch device for ``name`` (auto | cpu | cuda | mps); a UserError in one line when it is not here."""
    if name not in DEVICES:
        raise UserError(f"unknown device '{name}': choose one of {', '.join(DEVICES)}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if _mps() else "cpu"
    if name not in available():
        raise UserError(f"device '{name}' is not available on this machine (available: {', '.join(available())}); "
                        "use --device auto or --device cpu")
    return torch.device(name, index) if name == "cuda" else torch.device(name)
