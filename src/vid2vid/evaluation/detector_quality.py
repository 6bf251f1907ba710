"""Quality of the metric networks themselves: the keypoint detector (pose error) and the segmentation network
(pixel accuracy / mIoU), each trained here for a few minutes on CPU and scored on held-out *real-rendered* frames
(the test split: people and cities never seen in training). Their errors are the floor of the pose error and the
ceiling of the segmentation scores any generator can reach.

    vid2vid eval detectors [--keypoint-data DIR] [--segmentation-data DIR] [--kp-steps 600] [--seg-steps 600]
                           [--weights runs/metric_nets] [--out results/detectors]

Datasets that are not given are generated into a temporary folder at 128 px, from the first registered task with a
COCO-18 keypoint detector and the first with a segmentation detector. The trained
weights go to ``weights`` (keypoint_net.safetensors, segmentation_net.safetensors) for the evaluation to reuse.
Writes <out>/detector_quality.json and .md. Errors are in pixels at the dataset's resolution.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from vid2vid import tasks
from vid2vid.data.layout import read_meta
from vid2vid.data.skeleton import JOINT_NAMES
from vid2vid.errors import UserError
from vid2vid.files import write_text_atomic
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.metrics.keypoint_net import train_keypoint_net
from vid2vid.metrics.net_training import SplitFrames, gaussian_blur, load_split
from vid2vid.metrics.pose_error import joint_distances
from vid2vid.metrics.segmentation import SegmentationStats
from vid2vid.metrics.segmentation_net import train_segmentation_net

log = logging.getLogger(__name__)


def _task(detector: str, keypoints: str | None = None) -> tasks.Task:
    """The first registered task scored by ``detector`` (and with ``keypoints``)."""
    return next(t for t in tasks.tasks() if t.detector == detector and (keypoints is None or t.keypoints == keypoints))


def _dataset(given: str | None, task: tasks.Task, tmp: Path, height: int, domains: int,
             clips: int) -> tuple[Path, str]:
    """The dataset folder and how it is described in the report; a given one must suit ``task``'s detector."""
    if given:
        meta = read_meta(given)
        fits = meta.keypoints == task.keypoints if task.detector == "keypoints" else meta.semantic == "labels"
        if not fits:
            option, needs = (("--keypoint-data", f"{task.keypoints} keypoints") if task.detector == "keypoints"
                             else ("--segmentation-data", "label maps"))
            raise UserError(f"{given}: {option} needs a dataset with {needs}, as `vid2vid data synth --task "
                            f"{task.name}` makes; this is a {meta.task} dataset ({meta.kind})")
        return Path(given), f"`{given}`"
    out = tmp / task.dataset
    height, width = task.size(height)
    write_synthetic(SynthOptions(task.name, str(out), domains=domains, test_domains=2, clips=clips, frames=16,
                                 height=height, width=width, workers=1), progress=False)
    return out, (f"generated `vid2vid data synth --task {task.name} --domains {domains} --test-domains 2 --clips "
                 f"{clips} --frames 16 --size {height}` at {height}x{width}")


def _blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    return gaussian_blur(images, torch.full((len(images),), sigma)) if sigma else images


def score_keypoints(model, split: SplitFrames, blur: float = 0.0) -> dict:
    """Pose error of the detector against the ground-truth keypoints of real frames."""
    images = _blur(split.images(slice(None)), blur)
    dist, counted, _ = joint_distances(model.detect(images), torch.from_numpy(split.keypoints))
    d = dist[counted].numpy()
    per_joint = {name: round(float(dist[:, j][counted[:, j]].mean()), 3) for j, name in enumerate(JOINT_NAMES)}
    return {"frames": len(split), "joints": int(counted.sum()), "mean_px": round(float(d.mean()), 3),
            "median_px": round(float(np.median(d)), 3), "p90_px": round(float(np.percentile(d, 90)), 3),
            "pck_2px": round(float((d <= 2).mean()), 4), "pck_5px": round(float((d <= 5).mean()), 4),
            "per_joint_mean_px": per_joint}


def score_segmentation(model, split: SplitFrames, blur: float = 0.0) -> dict:
    """Pixel accuracy and mIoU of the network against the ground-truth labels of real frames."""
    stats = SegmentationStats(split.meta.num_labels)
    for i in range(0, len(split), 16):
        images = _blur(split.images(slice(i, i + 16)), blur)
        stats.update(model.predict(images), torch.from_numpy(split.labels[i:i + 16].astype(np.int64)))
    names = split.meta.label_names or [str(i) for i in range(split.meta.num_labels)]
    iou = {name: round(v, 4) for name, v in stats.named_iou(names).items()}
    return {"frames": len(split), "pixel_accuracy": round(stats.pixel_accuracy(), 4),
            "mean_iou": round(stats.mean_iou(), 4), "class_iou": iou}


def _dancer_height(split: SplitFrames) -> float:
    """Median nose-to-ankle height in pixels, for scale."""
    kp = split.keypoints
    ankles = kp[:, [10, 13], 1].max(1)
    return float(np.median(ankles - kp[:, 0, 1]))


def detector_quality(out: str | Path, keypoint_data: str | None = None, segmentation_data: str | None = None,
                     kp_steps: int = 600,
                     seg_steps: int = 600, weights: str | Path = "runs/metric_nets", seed: int = 0) -> list[Path]:
    """Train and score both metric networks (module docstring); the report files written."""
    weights = Path(weights)
    report: dict = {"environment": {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                                    "torch": torch.__version__, "python": platform.python_version()}}
    with tempfile.TemporaryDirectory() as tmp:
        # COCO-18 joints (JOINT_NAMES) for the keypoint net; the segmentation net's task for the other
        people, people_desc = _dataset(keypoint_data, _task("keypoints", "coco18"), Path(tmp), 128, domains=12,
                                       clips=3)
        cities, cities_desc = _dataset(segmentation_data, _task("segmentation"), Path(tmp), 128, domains=12, clips=3)

        start = time.perf_counter()
        kp_net = train_keypoint_net(people, kp_steps, weights / "keypoint_net.safetensors", seed=seed)
        kp_time = time.perf_counter() - start
        test = load_split(people, "test")
        train = load_split(people, "train", frame_step=4, max_frames=len(test))
        report["keypoint_net"] = {
            "dataset": people_desc, "resolution": f"{test.meta.height}x{test.meta.width} (H x W)",
            "steps": kp_steps, "train_seconds": round(kp_time, 1),
            "dancer_height_px": round(_dancer_height(test), 1),
            "test": score_keypoints(kp_net, test), "test_blur1px": score_keypoints(kp_net, test, blur=1.0),
            "train": score_keypoints(kp_net, train)}
        log.info("keypoint net: %s",
                 {k: v["mean_px"] for k, v in report["keypoint_net"].items() if isinstance(v, dict)})

        start = time.perf_counter()
        seg_net = train_segmentation_net(cities, seg_steps, weights / "segmentation_net.safetensors",
                                         seed=seed)
        seg_time = time.perf_counter() - start
        test = load_split(cities, "test")
        train = load_split(cities, "train", frame_step=4, max_frames=len(test))
        report["segmentation_net"] = {
            "dataset": cities_desc, "resolution": f"{test.meta.height}x{test.meta.width} (H x W)",
            "steps": seg_steps, "train_seconds": round(seg_time, 1),
            "test": score_segmentation(seg_net, test), "test_blur1px": score_segmentation(seg_net, test, blur=1.0),
            "train": score_segmentation(seg_net, train)}
        log.info("segmentation net: %s", {k: (v["pixel_accuracy"], v["mean_iou"])
                                    for k, v in report["segmentation_net"].items() if isinstance(v, dict)})
    paths = [Path(out) / "detector_quality.json", Path(out) / "detector_quality.md"]
    write_text_atomic(paths[0], json.dumps(report, indent=2) + "\n")
    write_text_atomic(paths[1], markdown(report))
    return paths


def markdown(r: dict) -> str:
    kp, seg = r["keypoint_net"], r["segmentation_net"]
    lines = ["# Quality of the metric networks", "",
             "Trained here on CPU on the synthetic training split, scored on held-out real-rendered frames "
             "(`test`: unseen people / cities), on the same frames blurred (Gaussian, sigma 1 px; generated frames "
             "are blurrier), and on training frames. Produced by `vid2vid eval detectors`.", "",
             "## Keypoint detector (pose error floor)", "",
             f"Dataset {kp['dataset']}, {kp['resolution']}, errors in pixels at that resolution; median dancer "
             f"height (nose to ankle) {kp['dancer_height_px']} px. {kp['steps']} steps, {kp['train_seconds']} s.", "",
             "| frames | count | joints | mean px | median px | 90th pct px | PCK@2px | PCK@5px |",
             "|---|---|---|---|---|---|---|---|"]
    for name in ("test", "test_blur1px", "train"):
        s = kp[name]
        lines.append(f"| {name} | {s['frames']} | {s['joints']} | {s['mean_px']} | {s['median_px']} | {s['p90_px']} "
                     f"| {s['pck_2px']} | {s['pck_5px']} |")
    per_joint = kp["test"]["per_joint_mean_px"]
    lines += ["", "Per joint (test, mean px): " + ", ".join(f"{k} {v}" for k, v in per_joint.items()),
              "", "## Segmentation network (accuracy ceiling)", "",
              f"Dataset {seg['dataset']}, {seg['resolution']}; the `unlabeled` id is ignored. {seg['steps']} steps, "
              f"{seg['train_seconds']} s.", "",
              "| frames | count | pixel accuracy | mIoU |", "|---|---|---|---|"]
    for name in ("test", "test_blur1px", "train"):
        s = seg[name]
        lines.append(f"| {name} | {s['frames']} | {s['pixel_accuracy']} | {s['mean_iou']} |")
    lines += ["", "Per class IoU (test): " + ", ".join(f"{k} {v}" for k, v in seg["test"]["class_iou"].items()),
              "", f"Environment: {r['environment']}. Training times include contention from other jobs sharing the "
              "CPU.", ""]
    return "\n".join(lines)
