"""How washed out are street outputs? For each checkpoint, drive each held-out city's clip c000 (16 frames) with two
examples of its clip c001 and measure, against the real frames: brightness (mean grey level), contrast (std of grey
levels over a frame), colour saturation (max - min over RGB, mean over pixels), edge energy (mean |horizontal and
vertical differences|), and the colour error of whole regions: |mean colour of the output - of the real frame| over the
pixels of each of the label map's large classes (road, sidewalk, building, vegetation, sky), averaged.

python results/learning/street_look_probe.py [--other-city] DATA CHECKPOINT [CHECKPOINT ...]   (raw weights of .pt files)

With --other-city each city's clip is driven by the examples of the next held-out city (in name order, the last by the
first's): how much of a model's look comes from its examples (a model that ignores them scores as with its own city's).
"""
import sys
from pathlib import Path

import numpy as np

from vid2vid.data.labels import STREET_LABELS
from vid2vid.data.layout import frame_name, read_png
from vid2vid.inference.pipeline import Pipeline
from vid2vid.inference.sources import ClipDriving, example_from_dataset

FRAMES = 16
CLASSES = {name: STREET_LABELS.index(name) for name in ("road", "sidewalk", "building", "vegetation", "sky")}


def looks(frames: np.ndarray) -> list[float]:
    x = frames.astype(np.float32) / 255.0  # (N, H, W, 3)
    grey = x.mean(-1)
    contrast = grey.reshape(len(x), -1).std(1).mean()
    saturation = (x.max(-1) - x.min(-1)).mean()
    edges = (np.abs(np.diff(grey, axis=1)).mean() + np.abs(np.diff(grey, axis=2)).mean()) / 2
    return [float(grey.mean()), float(contrast), float(saturation), float(edges)]


def region_error(out: np.ndarray, real: np.ndarray, labels: np.ndarray) -> tuple[float, dict[str, float]]:
    """The mean colour error of the large regions, and each class's brightness bias (output - real, mean grey)."""
    errors, bias = [], {name: [] for name in CLASSES}
    for frame, truth, lab in zip(out.astype(np.float32) / 255, real.astype(np.float32) / 255, labels):
        for name, c in CLASSES.items():
            m = lab == c
            if m.sum() >= 20:
                errors.append(np.abs(frame[m].mean(0) - truth[m].mean(0)).mean())
                bias[name].append(frame[m].mean() - truth[m].mean())
    return float(np.mean(errors)), {name: float(np.mean(v)) for name, v in bias.items()}


def generate(pipe: Pipeline, city: Path, example_city: Path) -> np.ndarray:
    pairs = [example_from_dataset(pipe.meta, example_city / "c001" / "rgb" / frame_name(i)) for i in (0, 16)]
    pipe.set_examples([r for r, _ in pairs], [s for _, s in pairs])
    drive = ClipDriving(city / "c000", pipe.meta)
    return np.stack([f.image for f, _ in zip(pipe.generate(s for s, _ in drive), range(FRAMES))])


args = sys.argv[1:]
other = args[0] == "--other-city"
root, checkpoints = Path(args[other]), args[other + 1:]
cities = sorted((root / "test").iterdir())
shift = int(other)  # the examples come from the city this many places later in name order
example_cities = cities[shift:] + cities[:shift]
real = np.concatenate([np.stack([read_png(c / "c000" / "rgb" / frame_name(i), 3) for i in range(FRAMES)])
                       for c in cities])
labels = np.concatenate([np.stack([read_png(c / "c000" / "semantic" / frame_name(i), 1)[..., 0]
                                   for i in range(FRAMES)]) for c in cities])
print(f"{'frames':60s} brightness contrast saturation edges region colour error")
print(f"{'real':60s} " + " ".join(f"{v:.4f}" for v in looks(real)))
if other:  # what exact copying of the example city's look would score: its classes' mean colours against this city's
    means = []  # per city, from the frames and labels read above (FRAMES of each city, in order)
    for rgb, lab in zip(np.split(real / 255.0, len(cities)), np.split(labels, len(cities))):
        means.append({n: rgb[lab == c].mean(0) for n, c in CLASSES.items() if (lab == c).sum() >= 20})
    gaps = [np.abs(a[n] - b[n]).mean() for a, b in zip(means, means[shift:] + means[:shift]) for n in a if n in b]
    name = "the example city's real class colours"
    print(f"{name:60s} {'':34s}{float(np.mean(gaps)):.4f}")
for ckpt in checkpoints:
    pipe = Pipeline.from_checkpoint(ckpt, device="cpu", weights="ema" if ckpt.endswith(".safetensors") else "generator")
    out = np.concatenate([generate(pipe, c, e) for c, e in zip(cities, example_cities)])
    error, bias = region_error(out, real, labels)
    print(f"{ckpt:60s} " + " ".join(f"{v:.4f}" for v in looks(out)) + f" {error:.4f}")
    print(f"{'':4s}brightness bias per class: " + ", ".join(f"{k} {v:+.3f}" for k, v in bias.items()))
