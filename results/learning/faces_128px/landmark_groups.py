"""Where a face model's landmark error is: the landmark net's mean distance per group of the 68 iBUG points (jaw,
brows, nose, eyes, mouth) on generated and on real held-out frames (the net's own error), K examples from another
clip, as `vid2vid eval checkpoint` draws them:

    python results/learning/faces_128px/landmark_groups.py CHECKPOINT DATA DETECTOR [ema|generator] > out.json"""
import json
import sys

import torch

from vid2vid.evaluation.evaluate import check_compatible, generate_clip, scored_clips
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import load_keypoint_net
from vid2vid.metrics.pose_error import joint_distances

GROUPS = {"jaw": range(0, 17), "brows": range(17, 27), "nose": range(27, 36), "eyes": range(36, 48),
          "mouth": range(48, 68)}


def main(checkpoint: str, data: str, detector: str, weights: str = "ema", k: int = 2, clips: int = 8,
         frames: int = 32) -> dict:
    pipe = Pipeline.from_checkpoint(checkpoint, weights=weights)
    net = load_keypoint_net(detector)
    ds, picked = scored_clips(data, clips)
    check_compatible(pipe, ds)
    found: dict[str, dict[str, list[float]]] = {name: {g: [] for g in GROUPS} for name in ("generated", "real")}
    with torch.no_grad():
        for clip in picked:
            count = min(ds.clips[clip].frames, frames)
            fake, real, _, _ = generate_clip(pipe, ds, clip, k, count)
            driving = ds.load_keypoints(clip, list(range(count)))
            for name, images in (("generated", fake), ("real", real)):
                dist, counted, _ = joint_distances(net.detect(images), driving)
                for group, points in GROUPS.items():
                    idx = list(points)
                    found[name][group] += dist[:, idx][counted[:, idx]].tolist()
    return {"checkpoint": checkpoint, "weights": weights, "k": k, "clips": len(picked), "frames": frames,
            "mean_px": {name: {g: round(float(torch.tensor(d).mean()), 3) for g, d in groups.items()}
                        for name, groups in found.items()}}


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(*args[:4], *(int(a) for a in args[4:])), indent=1))
