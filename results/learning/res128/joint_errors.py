"""Where a pose model's pose error is: per COCO-18 joint, the mean distance between the keypoint net's detections
and the driving keypoints on generated frames and on the real frames (the net's own error), on held-out clips with
K examples from another clip, as `vid2vid eval checkpoint` draws them (docs/learning.md, "Where the 128 px pose
error is"):

    PYTHONPATH=src python results/learning/res128/joint_errors.py CHECKPOINT DATA DETECTOR [K] > out.json"""
import json
import sys

import torch

from vid2vid.data.skeleton import JOINT_NAMES
from vid2vid.evaluation.evaluate import check_compatible, generate_clip, scored_clips
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import load_keypoint_net
from vid2vid.metrics.pose_error import joint_distances


def distances_by_joint(checkpoint: str, data: str, detector: str, k: int = 2, clips: int = 8, frames: int = 32,
                       weights: str = "ema", example_flow: str | None = None
                       ) -> tuple[dict[str, list[list[float]]], int]:
    """{"generated" | "real": one list of detection distances (px) per keypoint of the data}, and the clips scored.
    ``example_flow``: as `eval checkpoint --example-flow` (None: the model's own)."""
    pipe = Pipeline.from_checkpoint(checkpoint, weights=weights, example_flow=example_flow)
    net = load_keypoint_net(detector)
    ds, picked = scored_clips(data, clips)
    check_compatible(pipe, ds)
    found: dict[str, list[list[float]]] = {name: [[] for _ in range(ds.keypoint_count)]
                                           for name in ("generated", "real")}
    with torch.no_grad():
        for clip in picked:
            count = min(ds.clips[clip].frames, frames)
            fake, real, _, _ = generate_clip(pipe, ds, clip, k, count)
            driving = ds.load_keypoints(clip, list(range(count)))
            for name, images in (("generated", fake), ("real", real)):
                dist, counted, _ = joint_distances(net.detect(images), driving)
                for j in range(ds.keypoint_count):
                    found[name][j] += dist[:, j][counted[:, j]].tolist()
    return found, len(picked)


def main(checkpoint: str, data: str, detector: str, k: int = 2, clips: int = 8, frames: int = 32) -> dict:
    found, picked = distances_by_joint(checkpoint, data, detector, k, clips, frames)

    def per_joint(stat) -> dict:
        return {name: {j: round(float(stat(torch.tensor(d[i]))), 2) for i, j in enumerate(JOINT_NAMES)}
                for name, d in found.items()}

    return {"checkpoint": checkpoint, "k": k, "clips": picked, "frames": frames,
            "per_joint_mean_px": per_joint(torch.mean), "per_joint_median_px": per_joint(torch.median),
            "share_over_8px": per_joint(lambda d: (d > 8).float().mean()),
            "mean_px": {name: round(float(torch.tensor(sum(d, [])).mean()), 3) for name, d in found.items()}}


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(*args[:3], *(int(a) for a in args[3:])), indent=1))
