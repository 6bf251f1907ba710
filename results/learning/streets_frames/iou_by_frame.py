"""Per-class IoU of a street model's held-out frames by position in the clip: does the sequential generator lose thin
classes (pole, fence) as the clip goes on, where each frame leans on the warped previous one?

    python results/learning/streets_frames/iou_by_frame.py CHECKPOINT [--weights generator] > OUT.json

Data: the `cpu` benchmark's streets set (rendered here if missing); metric net: its committed segmentation net;
K = 2 from another clip, 8 clips x 32 frames, as `eval checkpoint` scores them.
"""
import argparse
import json
from pathlib import Path

import torch

from vid2vid.evaluation.benchmark import _data
from vid2vid.evaluation.budgets import BUDGETS
from vid2vid.evaluation.evaluate import _labels, generate_clip, scored_clips
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import load_segmentation_net
from vid2vid.metrics.segmentation import SegmentationStats

BUCKETS = {"frame 0": range(0, 1), "frames 1-3": range(1, 4), "frames 4-15": range(4, 16),
           "frames 16-31": range(16, 32)}
CLASSES = ("road", "sidewalk", "building", "fence", "pole", "vegetation", "terrain", "sky", "person", "car")

parser = argparse.ArgumentParser()
parser.add_argument("checkpoint")
parser.add_argument("--weights", default="ema", choices=("ema", "generator"))
args = parser.parse_args()
root = _data(Path("results/cpu"), "streets", BUDGETS["cpu"], False)
net = load_segmentation_net("results/cpu/detectors/streets.safetensors")
pipe = Pipeline.from_checkpoint(args.checkpoint, weights=args.weights)
ds, clips = scored_clips(root, 8, 0)
fake_stats = {name: SegmentationStats(ds.meta.num_labels or 20) for name in BUCKETS}
real_stats = {name: SegmentationStats(ds.meta.num_labels or 20) for name in BUCKETS}
with torch.no_grad():  # (generate_clip, unlike evaluate, does not turn gradients off)
    for clip in clips:
        fake, real, _, _ = generate_clip(pipe, ds, clip, 2, 32)
        labels = _labels(ds, clip, 32)
        pred_fake, pred_real = net.predict(fake), net.predict(real)
        for name, frames in BUCKETS.items():
            idx = list(frames)
            fake_stats[name].update(pred_fake[idx], labels[idx])
            real_stats[name].update(pred_real[idx], labels[idx])


def row(stats: SegmentationStats) -> dict:
    iou = stats.named_iou()  # (a class absent from a bucket is left out)
    return {"pixel_accuracy": stats.pixel_accuracy(), "miou": stats.mean_iou(),
            **{c: iou[c] for c in CLASSES if c in iou}}


print(json.dumps({"checkpoint": args.checkpoint, "weights": args.weights,
                  "generated": {n: row(s) for n, s in fake_stats.items()},
                  "real": {n: row(s) for n, s in real_stats.items()}}, indent=2))
