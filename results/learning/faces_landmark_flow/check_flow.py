"""How close the landmark flow (data/landmark_flow.py) comes to the renderer's exact correspondence on held-out faces.

For each held-out clip, frames 0, 8, ..., 31 against K = 2 examples of another clip of the domain (the evaluation's
``example_frames``): end-point error against ``object_correspondence`` on pixels valid in both, the share of the
person's pixels (head, hair, neck, body) the landmark flow covers, and the L1 (in [0, 1]) of the warped example to
the target on the landmark flow's valid pixels, with zero flow on the same pixels beside it.

    python results/learning/faces_landmark_flow/check_flow.py [DATA] > out.json
"""

import json
import sys

import numpy as np

from vid2vid.data.correspondence import object_correspondence, sample_along

from vid2vid.data.landmark_flow import landmark_flow
from vid2vid.data.layout import frame_name, read_png
from vid2vid.evaluation.evaluate import example_frames, test_split

root = sys.argv[1] if len(sys.argv) > 1 else "results/cpu/data/faces-128px"
ds = test_split(root)
variants = {"forehead": dict(forehead=True, ring=0.0), "landmarks only": dict(forehead=False, ring=0.0),
            "forehead + ring 0.3": dict(forehead=True, ring=0.3)}
rows = {name: {"epe": [], "coverage": [], "l1": [], "l1_zero": []} for name in variants}


def clip_arrays(clip):
    path = ds.clips[clip].path
    return (np.load(path / "keypoints.npy"), np.load(path / "objects.npy", mmap_mode="r"),
            np.load(path / "object_ids.npy", mmap_mode="r"))


for clip in range(len(ds.clips)):
    kp_t, mats_t, ids_t = clip_arrays(clip)
    for source, frame_e in example_frames(ds, clip, 2):
        kp_e, mats_e, ids_e = clip_arrays(source)
        example = read_png(ds.clips[source].path / "rgb" / frame_name(frame_e), 3).astype(np.float32) / 255
        for t in range(0, ds.clips[clip].frames, 8):
            target = read_png(ds.clips[clip].path / "rgb" / frame_name(t), 3).astype(np.float32) / 255
            exact, exact_valid = object_correspondence(ids_t[t], mats_t[t], ids_e[frame_e], mats_e[frame_e])
            h, w = exact_valid.shape
            for name, options in variants.items():
                flow, valid = landmark_flow(kp_t[t], kp_e[frame_e], h, w, **options)
                both = valid & exact_valid
                row = rows[name]
                row["epe"].append(float(np.linalg.norm(flow - exact, axis=-1)[both].mean()))
                face = exact_valid & (ids_t[t] > 0)
                row["coverage"].append(float((valid & face).sum() / max(face.sum(), 1)))
                row["l1"].append(float(np.abs(sample_along(example, flow) - target)[valid].mean()))
                row["l1_zero"].append(float(np.abs(example - target)[valid].mean()))
print(json.dumps({name: {k: round(float(np.mean(v)), 4) for k, v in row.items()} for name, row in rows.items()},
                 indent=1))
