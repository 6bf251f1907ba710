"""Where a face model's landmark error is: the landmark net's mean distance per group of the 68 iBUG points (jaw,
brows, nose, eyes, mouth) on generated and on real held-out frames (the net's own error), K examples from another
clip, as `vid2vid eval checkpoint` draws them (the distances from `res128/joint_errors.py`):

    python results/learning/faces_128px/landmark_groups.py CHECKPOINT DATA DETECTOR [ema|generator [FLOW]] > out.json

FLOW: the example flow as `eval checkpoint --example-flow` (learned, landmarks; "own", the default: the model's)."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "res128"))
from joint_errors import distances_by_joint  # noqa: E402

GROUPS = {"jaw": range(0, 17), "brows": range(17, 27), "nose": range(27, 36), "eyes": range(36, 48),
          "mouth": range(48, 68)}


def main(checkpoint: str, data: str, detector: str, weights: str = "ema", flow: str = "own", k: int = 2,
         clips: int = 8, frames: int = 32) -> dict:
    found, picked = distances_by_joint(checkpoint, data, detector, k, clips, frames, weights,
                                       None if flow == "own" else flow)
    mean = {name: {group: round(sum(sum(joints[j]) for j in points) / sum(len(joints[j]) for j in points), 3)
                   for group, points in GROUPS.items()} for name, joints in found.items()}
    return {"checkpoint": checkpoint, "weights": weights, "example_flow": flow, "k": k, "clips": picked, "frames": frames, "mean_px": mean}


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(*args[:5], *(int(a) for a in args[5:])), indent=1))
