"""Does the street model's output follow its examples? Drive held-out city A's labels with examples of A, then of
the other held-out cities; compare outputs with each other and with A's real frames."""
import sys
import numpy as np
from pathlib import Path
from vid2vid.inference.pipeline import Pipeline
from vid2vid.inference.sources import ClipDriving, example_from_dataset
from vid2vid.data.layout import frame_name, read_png

ckpt, root = sys.argv[1], Path(sys.argv[2])
pipe = Pipeline.from_checkpoint(ckpt, device="cpu")
cities = sorted((root / "test").iterdir())
frames = 16
def run(driving_clip, example_clip):
    pairs = [example_from_dataset(pipe.meta, example_clip / "rgb" / frame_name(i)) for i in (0, 16)]
    pipe.set_examples([r for r, _ in pairs], [s for _, s in pairs])
    drv = ClipDriving(driving_clip, pipe.meta)
    out = [f.image for f, _ in zip(pipe.generate(s for s, _ in drv), range(frames))]
    return np.stack(out).astype(np.float32)
rows = []
for a in cities:
    clip = a / "c000"
    real = np.stack([read_png(clip / "rgb" / frame_name(i), 3) for i in range(frames)]).astype(np.float32)
    own = run(clip, a / "c001")
    for b in cities:
        if b == a:
            continue
        other = run(clip, b / "c001")
        ex_a = read_png(a / "c001" / "rgb" / frame_name(0), 3).astype(np.float32)
        ex_b = read_png(b / "c001" / "rgb" / frame_name(0), 3).astype(np.float32)
        rows.append((a.name, b.name, np.abs(own - real).mean(), np.abs(other - real).mean(), np.abs(own - other).mean(),
                     np.abs(ex_a.mean((0, 1)) - ex_b.mean((0, 1))).mean(), np.abs(ex_a - ex_b).mean()))
for r in rows:
    print("driving %s  examples own vs %s: L1 to real own %.1f other %.1f | outputs differ %.1f | "
          "examples differ (mean colour %.1f, pixels %.1f)" % r)
r = np.array([x[2:] for x in rows])
print("mean: own %.1f other %.1f outputs differ %.1f examples differ colour %.1f pixels %.1f" % tuple(r.mean(0)))
