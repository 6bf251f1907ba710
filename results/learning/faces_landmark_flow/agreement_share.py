"""How much of the landmark fit the agreement check keeps: the share of the fit's valid pixels where it lies within
``landmark_agreement`` (3 px per 128 px of height) of the flow network's own example flow, for the chosen example of
every frame. The network's flow is read from the model run with its learned flow (the check compares against exactly
that flow, which does not depend on the fit).

    python results/learning/faces_landmark_flow/agreement_share.py CHECKPOINT DATA           # held-out dataset clips
    python results/learning/faces_landmark_flow/agreement_share.py CHECKPOINT VIDEO PHOTO    # a real video and photo
"""

import json
import sys
from pathlib import Path

import numpy as np
import torch

from vid2vid.data.landmark_flow import every_landmark_flow
from vid2vid.evaluation.evaluate import example_landmarks, test_split, unroll_clip
from vid2vid.inference.inputs import load_examples, open_driving
from vid2vid.inference.pipeline import Pipeline
from vid2vid.models.unroll import unroll

TOLERANCE = 3.0


def kept(outs, landmarks: np.ndarray, points: np.ndarray, height: int, width: int) -> tuple[float, float]:
    """(fit-valid pixels, of them within the tolerance) summed over the frames."""
    valid_sum = near_sum = 0.0
    for out, frame_points in zip(outs, landmarks):
        flows, valid = every_landmark_flow(frame_points[None], points, height, width)
        index = int(out.example_index[0]) if out.example_index is not None else 0
        fit, ok = flows[0, index], valid[0, index, 0] > 0
        near = (fit - out.example_flow[0].float().cpu()).norm(dim=0) < TOLERANCE * height / 128
        valid_sum += float(ok.sum())
        near_sum += float((ok & near).sum())
    return valid_sum, near_sum


@torch.no_grad()
def main(checkpoint: str, source: str, photo: str | None = None) -> dict:
    pipe = Pipeline.from_checkpoint(checkpoint, example_flow="learned")
    h, w = pipe.size
    totals = [0.0, 0.0]
    if photo is None:
        ds = test_split(source)
        for clip in range(min(8, len(ds.clips))):
            count = min(32, ds.clips[clip].frames)
            outs, _, _, _ = unroll_clip(pipe, ds, clip, 2, count)
            frames = ds.load_keypoints(clip, list(range(count))).numpy()
            v, n = kept(outs, frames, example_landmarks(ds, clip, 2), h, w)
            totals[0] += v
            totals[1] += n
    else:
        learning = Pipeline.from_checkpoint(checkpoint, example_flow="landmarks")  # (its loaders give landmarks)
        images, semantics, points = load_examples(learning, [Path(photo)])
        items = list(open_driving(learning, Path(source)))
        examples = (torch.stack([torch.from_numpy(i).permute(2, 0, 1).float() / 127.5 - 1 for i in images])[None],
                    torch.stack(semantics)[None])
        outs = unroll(pipe.model, torch.stack([s for s, _, _ in items])[None], *examples)
        totals = list(kept(outs, np.stack([p for _, _, p in items]), points, h, w))
    return {"checkpoint": checkpoint, "source": source, "photo": photo, "tolerance_px_per_128": TOLERANCE,
            "fit_valid_pixels": totals[0], "share_kept": round(totals[1] / max(totals[0], 1), 4)}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:]), indent=1))
