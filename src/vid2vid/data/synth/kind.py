"""The interface every synthetic dataset renderer implements. Which renderer serves which task (and what the task's
maps are: encoding, keypoints, extra maps) is the task registry's business (``vid2vid.tasks``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from vid2vid.data.synth.frame import SynthFrame


@dataclass(frozen=True)
class SynthKind:
    """A procedural dataset: a domain is one identity (person, face) or one city; clips are rendered per domain."""

    name: str  # the dataset's name: "dancers" | "faces" | "streets"
    fps: int  # nominal frame rate of the rendered motion
    make_domain: Callable[[np.random.Generator], Any]  # draws the look of one domain
    # (domain, rng, frames, H, W) -> the clip's frames
    render_clip: Callable[[Any, np.random.Generator, int, int, int], Iterator[SynthFrame]]
