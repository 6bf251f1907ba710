"""Frames 0, 8, 16, 24, 31 of held-out street clips from several checkpoints and the real frames, one row each."""
import sys
from pathlib import Path
import numpy as np
from PIL import Image
from vid2vid.data.layout import frame_name, read_png
from vid2vid.inference.pipeline import Pipeline
from vid2vid.inference.sources import ClipDriving, example_from_dataset

root, out, ckpts = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
picks = [0, 8, 16, 24, 31]
cities = sorted((root / "test").iterdir())[:2]
rows = []
for city in cities:
    rows.append(np.concatenate([read_png(city / "c000" / "rgb" / frame_name(i), 3) for i in picks], 1))
    for ck in ckpts:
        pipe = Pipeline.from_checkpoint(ck, device="cpu", weights="generator")
        pairs = [example_from_dataset(pipe.meta, city / "c001" / "rgb" / frame_name(i)) for i in (0, 16)]
        pipe.set_examples([r for r, _ in pairs], [s for _, s in pairs])
        drive = ClipDriving(city / "c000", pipe.meta)
        frames = [f.image for f, _ in zip(pipe.generate(s for s, _ in drive), range(32))]
        rows.append(np.concatenate([frames[i] for i in picks], 1))
img = np.concatenate(rows, 0)
Image.fromarray(img).resize((img.shape[1] * 2, img.shape[0] * 2), Image.NEAREST).save(out)
print(out, img.shape)
