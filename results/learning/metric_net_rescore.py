"""Pose error of trained dancers models (K = 2, raw weights, the benchmark's held-out clips) under the benchmark's
keypoint net and another one (docs/learning.md, "How strong the metric networks must be"); per-class IoU of the real
held-out street frames under the benchmark's segmentation net and another one. From the repository root:

    PYTHONPATH=src python results/learning/metric_net_rescore.py pose OTHER_NET RUN [RUN ...]
    PYTHONPATH=src python results/learning/metric_net_rescore.py streets OTHER_NET

RUN: a folder under results/cpu/runs with checkpoint-00011050.pt; OTHER_NET from metric_net_steps.py."""
import json
import sys

import torch

from vid2vid.data.labels import STREET_LABELS
from vid2vid.evaluation.evaluate import _labels, generate_clip, scored_clips, test_split
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import PoseErrorStats, SegmentationStats, load_keypoint_net, load_segmentation_net

mode, other = sys.argv[1], sys.argv[2]
if mode == "pose":
    root = "results/cpu/data/dancers"
    nets = {"benchmark": load_keypoint_net("results/cpu/detectors/dancers.safetensors"),
            other: load_keypoint_net(other)}
    ds, clips = scored_clips(root, 8)
    for run in sys.argv[3:]:
        fake_stats, real_stats = {n: PoseErrorStats() for n in nets}, {n: PoseErrorStats() for n in nets}
        pipe = Pipeline.from_checkpoint(f"results/cpu/runs/{run}/checkpoint-00011050.pt", weights="generator")
        for clip in clips:
            count = min(ds.clips[clip].frames, 32)
            fake, real, _, _ = generate_clip(pipe, ds, clip, 2, count)
            driving = ds.load_keypoints(clip, list(range(count)))
            for n, net in nets.items():
                fake_stats[n].update(net.detect(fake), driving)
                real_stats[n].update(net.detect(real), driving)
        print(run, json.dumps({n: round(s.mean, 3) for n, s in fake_stats.items()}),
              "real", json.dumps({n: round(s.mean, 3) for n, s in real_stats.items()}), flush=True)
else:
    ds = test_split("results/cpu/data/streets")
    for name, path in [("benchmark", "results/cpu/detectors/streets.safetensors"), (other, other)]:
        net, stats = load_segmentation_net(path), SegmentationStats(ds.meta.num_labels or 20)
        for clip in range(len(ds.clips))[:8]:
            count = min(ds.clips[clip].frames, 32)
            real = torch.stack([ds.load_frame(clip, f)[1] for f in range(count)])
            stats.update(net.predict(real), _labels(ds, clip, count))
        iou = stats.class_iou()
        print(name, f"accuracy {stats.pixel_accuracy():.3f} mIoU {stats.mean_iou():.3f}",
              ", ".join(f"{STREET_LABELS[i]} {float(v):.2f}" for i, v in enumerate(iou) if v == v))
