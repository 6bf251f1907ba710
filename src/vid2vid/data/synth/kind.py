"""The interface every synthetic dataset kind implements, and the registry of kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from vid2vid.data.synth.frame import SynthFrame


@dataclass(frozen=True)
class SynthKind:
    """A procedural dataset: a domain is one identity (person, face) or one city; clips are rendered per domain."""

    name: str  # "dancers" | "faces" | "streets"
    task: str  # "pose" | "face" | "street": which model inputs the semantic maps feed
    semantic: str  # "skeleton" (RGB OpenPose-style map) | "sketch" (gray edge map) | "labels" (label ids)
    fps: int  # nominal frame rate of the rendered motion
    make_domain: Callable[[np.random.Generator], Any]  # draws the look of one domain
    render_clip: Callable[[Any, np.random.Generator, int, int, int], Iterator[SynthFrame]]  # (domain, rng, frames, H, W)
    keypoints: str | None = None  # "coco18" | "ibug68" | None
    label_names: tuple[str, ...] | None = None  # for semantic == "labels"
    extras: tuple[str, ...] = ()  # per-frame extra maps written: "parts", "mask"


def get_kind(name: str) -> SynthKind:
    """Look up a kind by name; imports lazily so one broken renderer cannot break the others."""
    if name == "dancers":
        from vid2vid.data.synth.dancers import DANCERS

        return DANCERS
    if name == "faces":
        from vid2vid.data.synth.faces import FACES

        return FACES
    if name == "streets":
        from vid2vid.data.synth.streets import STREETS

        return STREETS
    from vid2vid.errors import UserError

    raise UserError(f"unknown dataset kind '{name}': choose one of {', '.join(KIND_NAMES)}")


KIND_NAMES = ("dancers", "faces", "streets")
