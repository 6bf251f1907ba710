"""Several looks of one label video from a multimodal vid2vid model (`multimodal_channels`): a picture whose first
row is the driving label maps and each further row the generated frames for one style seed (and the mean look).

    vid2vid eval looks --checkpoint C --data D [--seeds 1 2 3] [--out docs/multimodal_looks.png]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vid2vid.errors import UserError
from vid2vid.files import write_image_atomic
from vid2vid.inference.pipeline import Pipeline
from vid2vid.inference.sources import ClipDriving

GAP = 2  # pixels between tiles


def looks_picture(pipe: Pipeline, root: str | Path, seeds: list[int | None], out: str | Path, frames: int = 4,
                  clip_index: int = 0, mean: bool = True) -> Path:
    """Write the picture to ``out``: label maps, then one row per seed (None = the mean look), ``frames`` frames
    spread over one held-out clip of ``root``."""
    if getattr(pipe.model, "styles", None) is None:
        raise UserError(f"{pipe.source} is not a multimodal model (train it with multimodal_channels, e.g. the "
                        "street-vid2vid-multimodal-small config)")
    clips = sorted(p for p in (Path(root) / "test").glob("*/*") if p.is_dir())
    if not clips:
        raise UserError(f"{root} has no held-out clips (test/<domain>/<clip>)")
    clip = clips[min(clip_index, len(clips) - 1)]
    driving = list(ClipDriving(clip, pipe.meta))
    picks = set(np.linspace(0, len(driving) - 1, frames).round().astype(int).tolist())
    rows = [[driving[i][1] for i in sorted(picks)]]
    for seed in ([None] if mean else []) + list(seeds):
        pipe.set_style(seed)
        generated = [f.image for i, f in enumerate(pipe.generate(s for s, _ in driving)) if i in picks]
        rows.append(generated)
    h, w = rows[0][0].shape[:2]
    canvas = np.full(((h + GAP) * len(rows) - GAP, (w + GAP) * len(picks) - GAP, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            canvas[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w] = tile
    return write_image_atomic(out, canvas)
