"""Where does the ghost of a `compose: example` model come from? On 4 held-out dancers clips with K = 1 example from
another clip: the example mask m_e on ghost pixels (the example's body is there, the target's is not) and elsewhere,
and a picture per clip (frames 0 and 15) of: the warped example, m_e, h_t, the output, the real frame.

python results/learning/ghost_probe.py CHECKPOINT DATA OUT.png   (from the repository root, PYTHONPATH=src)"""
import sys

import numpy as np
import torch

from vid2vid.evaluation.diagnose import _masks
from vid2vid.evaluation.evaluate import example_frames, test_split, unroll_clip
from vid2vid.inference.pipeline import Pipeline
from vid2vid.training.visuals import image_grid, save_png

checkpoint, root, out = sys.argv[1], sys.argv[2], sys.argv[3]
pipe = Pipeline.from_checkpoint(checkpoint, device="cpu", weights="generator")
ds = test_split(root)
rows, labels, stats = [], [], {"m_e ghost": [], "m_e target body, invalid": [], "m_e valid": [],
                               "L1 ghost h_t": [], "L1 ghost warped example": [], "L1 ghost output": []}
with torch.no_grad():
    for clip in range(4):
        refs = example_frames(ds, clip, 1)
        outs, real, _, _ = unroll_clip(pipe, ds, clip, 1, 16)
        body = _masks(ds, clip, list(range(16)))
        example_body = _masks(ds, refs[0][0], [refs[0][1]])[0]
        for t, o in enumerate(outs):
            valid = ds.load_correspondence(clip, t, *refs[0])[1][0] > 0
            m = o.example_mask[0, 0].float()
            ghost = example_body & ~body[t]
            stats["m_e valid"].append(float(m[valid].mean()))
            stats["m_e target body, invalid"].append(float(m[~valid & body[t]].mean()))
            if ghost.any():
                stats["m_e ghost"].append(float(m[ghost].mean()))
                for name, x in (("h_t", o.hallucinated), ("warped example", o.example_warped), ("output", o.image)):
                    stats[f"L1 ghost {name}"].append(float((x[0].clamp(-1, 1) - real[t]).abs().mean(0)[ghost].mean()))
            if t in (0, 15):
                rows.append([o.example_warped[0], m[None], o.hallucinated[0], o.image[0], real[t]])
                labels.append(f"{ds.domains[ds.clips[clip].domain]} t={t}")
print({k: round(float(np.mean(v)), 3) for k, v in stats.items()})
save_png(image_grid(rows, labels), out)
