"""The training teacher for face data without the renderer's objects (prepared real video): how close DIS between the
two sketches (the fallback `semantic_correspondence`) and the landmark fit on the face with DIS elsewhere
(`landmark_correspondence`) come to the exact correspondence, both limited by `appearance_agrees` as the loader does.

Held-out synthetic faces, as if their objects.npy were missing: each clip's frames 0, 8, 16, 24 against its two
examples of another clip (the evaluation's `example_frames`). Per teacher: end-point error against the exact flow on
pixels both call valid (on the landmark fit's region, the face, and elsewhere), the share of the exact
correspondence's valid face pixels and of its other valid pixels the teacher keeps, and the share of the teacher's
valid pixels the exact one rejects.

    python results/learning/faces_landmark_flow/teacher.py [DATA] > teacher.json
"""

import json
import sys

import numpy as np

from vid2vid.data.correspondence import (appearance_agrees, landmark_correspondence, object_correspondence,
                                         semantic_correspondence)
from vid2vid.data.landmark_flow import landmark_flow
from vid2vid.data.layout import frame_name, read_png
from vid2vid.evaluation.evaluate import example_frames, test_split

root = sys.argv[1] if len(sys.argv) > 1 else "results/cpu/data/faces-128px"
ds = test_split(root)
rows = {name: {"epe": [], "epe_face": [], "epe_other": [], "face_kept": [], "other_kept": [], "wrong_share": []} for name in ("DIS", "landmarks + DIS")}


def frame(clip, t):
    path = ds.clips[clip].path
    return (read_png(path / "semantic" / frame_name(t), 1), read_png(path / "rgb" / frame_name(t), 3),
            np.load(path / "keypoints.npy")[t], np.load(path / "objects.npy", mmap_mode="r")[t],
            np.load(path / "object_ids.npy", mmap_mode="r")[t])


for clip in range(len(ds.clips)):
    for source, frame_e in example_frames(ds, clip, 2):
        sem_e, rgb_e, kp_e, mats_e, ids_e = frame(source, frame_e)
        for t in range(0, ds.clips[clip].frames, 8):
            sem_t, rgb_t, kp_t, mats_t, ids_t = frame(clip, t)
            exact, exact_valid = object_correspondence(ids_t, mats_t, ids_e, mats_e)
            _, face = landmark_flow(kp_t, kp_e, *ids_t.shape)
            teachers = {"DIS": semantic_correspondence(sem_t, sem_e),
                        "landmarks + DIS": landmark_correspondence(sem_t, sem_e, kp_t, kp_e)}
            for name, (flow, valid) in teachers.items():
                valid = valid & appearance_agrees(rgb_t, rgb_e, flow)
                both = valid & exact_valid
                row = rows[name]
                error = np.linalg.norm(flow - exact, axis=-1)
                for key, where in (("epe", both), ("epe_face", both & face), ("epe_other", both & ~face)):
                    if where.any():
                        row[key].append(float(error[where].mean()))
                row["face_kept"].append(float((valid & exact_valid & face).sum() / max((exact_valid & face).sum(), 1)))
                row["other_kept"].append(float((valid & exact_valid & ~face).sum() /
                                               max((exact_valid & ~face).sum(), 1)))
                row["wrong_share"].append(float((valid & ~exact_valid).sum() / max(valid.sum(), 1)))
print(json.dumps({name: {k: round(float(np.mean(v)), 4) for k, v in row.items()} for name, row in rows.items()},
                 indent=1))
