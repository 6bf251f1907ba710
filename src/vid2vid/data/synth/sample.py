"""A held-out synthetic sample for demos and the app: one person / face / city rendered with a seed no training set
uses, as a driving clip and K example frames from another clip of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vid2vid.data.layout import frame_name
from vid2vid.data.synth.generate import SynthOptions, write_synthetic

SAMPLE_SEED = 20261123  # never used for training data


def heldout_sample(task: str, height: int, width: int, folder: Path, frames: int = 48, num_examples: int = 2
                   ) -> tuple[Path, list[Path]]:
    """(driving clip folder, example frame paths), rendered into ``folder`` unless already there."""
    domain = folder / "test" / "d001"  # the held-out person, face or city
    if not (domain / "c001" / "clip.json").exists():
        write_synthetic(SynthOptions(task, str(folder), domains=2, test_domains=1, clips=2, frames=frames,
                                     height=height, width=width, seed=SAMPLE_SEED, workers=1), overwrite=True,
                        progress=False)
    examples = [domain / "c000" / "rgb" / frame_name(int(i)) for i in np.linspace(0, frames - 1, num_examples).round()]
    return domain / "c001", examples
