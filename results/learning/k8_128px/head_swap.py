"""Which pixels make the keypoint net read the K = 8 heads worse: the head's own, or the rest of the frame?
(docs/learning.md, "Training with K up to 8": the head crop's PSNR rises from K = 4 to 8 while the head joints
worsen.) For each held-out clip the frames are generated with K = 4 and K = 8 (the benchmark's examples), then the
head region (the driving map's head part, grown by GROW pixels: hair and the face's outline) is swapped between a
generated frame and the real one (and the whole body region, the map's drawn pixels grown likewise, put back from the
real frame), and the keypoint net's head joints are scored on each mix: the mean distance (the
benchmark's statistic), the median, and the share of joints placed more than FAR pixels off (a detection elsewhere in
the frame, not a head drawn a little off):

    PYTHONPATH=src python results/learning/k8_128px/head_swap.py CHECKPOINT DATA DETECTOR OUT.json [CLIPS]"""
import json
import sys

import torch
import torch.nn.functional as F

from vid2vid.data.skeleton import BODY_PARTS
from vid2vid.evaluation.evaluate import HEAD_JOINTS, generate_clip, scored_clips
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import load_keypoint_net
from vid2vid.metrics.pose_error import joint_distances
from vid2vid.models.face_refiner import HEAD, PART_CHANNEL

GROW = 3  # pixels the head part is grown by (its hair and outline lie just outside the part map)
FAR = 10.0  # pixels: a head joint further off than this was found somewhere else (the head is about 10 px wide)


def head_region(semantics: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) in {0, 1}: the driving map's head part, grown by GROW pixels."""
    head = ((semantics[:, PART_CHANNEL] * len(BODY_PARTS) - HEAD).abs() < 0.5).float()[:, None]
    return F.max_pool2d(head, 2 * GROW + 1, stride=1, padding=GROW)


def body_region(semantics: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) in {0, 1}: every pixel the driving map draws (skeleton or part), grown by GROW pixels."""
    drawn = (semantics.abs().sum(1, keepdim=True) > 0).float()
    return F.max_pool2d(drawn, 2 * GROW + 1, stride=1, padding=GROW)


def summary(dist: torch.Tensor) -> dict[str, float]:
    near = dist[dist <= FAR]
    return {"mean_px": round(float(dist.mean()), 4), "median_px": round(float(dist.median()), 4),
            "share_far": round(float((dist > FAR).float().mean()), 5),
            "mean_of_near_px": round(float(near.mean()), 4), "joints": int(dist.numel())}


def main(checkpoint: str, data: str, detector: str, out: str, clips: int = 8, frames: int = 32) -> None:
    pipe = Pipeline.from_checkpoint(checkpoint)
    net = load_keypoint_net(detector)
    ds, picked = scored_clips(data, clips)
    names = ["real", "K4", "K8", "real with K4 head", "real with K8 head", "K4 with real head", "K8 with real head",
             "K4 with K8 head", "K8 with K4 head", "K4 with real body", "K8 with real body"]
    dists: dict[str, list[torch.Tensor]] = {n: [] for n in names}
    head_l1 = {"K4": [], "K8": []}
    worst = []  # (K = 8 head-joint error - K = 4's, clip, frame) per frame, for a picture of the worst
    with torch.no_grad():
        for clip in picked:
            fake4, real, semantics, _ = generate_clip(pipe, ds, clip, 4, frames)
            fake8 = generate_clip(pipe, ds, clip, 8, frames)[0]
            m = head_region(semantics)
            mixes = {"real": real, "K4": fake4, "K8": fake8}
            for a, b in (("real", "K4"), ("real", "K8"), ("K4", "real"), ("K8", "real"), ("K4", "K8"), ("K8", "K4")):
                mixes[f"{a} with {b} head"] = mixes[a] * (1 - m) + mixes[b] * m
            body = body_region(semantics)
            for a in ("K4", "K8"):
                mixes[f"{a} with real body"] = mixes[a] * (1 - body) + real * body
            driving = ds.load_keypoints(clip, list(range(frames)))[:, HEAD_JOINTS]
            per_frame = {}
            for name in names:
                dist, counted, _ = joint_distances(net.detect(mixes[name])[:, HEAD_JOINTS], driving)
                dists[name].append(dist[counted])
                per_frame[name] = (dist * counted).sum(1) / counted.sum(1).clamp(min=1)
            worst += [(float(per_frame["K8"][t] - per_frame["K4"][t]), clip, t) for t in range(frames)]
            for name in head_l1:
                head_l1[name].append(float(((mixes[name] - real).abs() * m).sum() / (3 * m.sum()).clamp(min=1)))
    result = {"head_joints": {n: summary(torch.cat(v)) for n, v in dists.items()},
              "head_region_l1": {n: round(sum(v) / len(v), 5) for n, v in head_l1.items()},
              "worst_frames": [{"clip": c, "frame": t, "k8_minus_k4_px": round(d, 3)}
                               for d, c, t in sorted(worst, reverse=True)[:8]],
              "grow_px": GROW, "far_px": FAR, "clips": len(picked), "frames": frames, "checkpoint": checkpoint}
    print(json.dumps(result, indent=1))
    with open(out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:5], *(int(a) for a in sys.argv[5:]))
