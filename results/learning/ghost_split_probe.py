"""Where is the ghost error of an `example_fill` model when another example shows the background? On held-out dancers
clips, K = 2 examples from another clip: the ghost pixels (an example's body is there, the target's is not) that some
example shows as background, split by whose body stands there (the warped example's or the filler's), with the masks
m_e, m_f (1: not this warped example) and the L1 of warp(e), warp(f), h_t and the output on each part, and on the
target's own body; a picture per clip (frame 15): warp(e), m_e,
warp(f), m_f, h_t, output, real, |output - real| x 4.

python results/learning/ghost_split_probe.py CHECKPOINT DATA OUT.png [CLIPS]   (repository root, PYTHONPATH=src)"""
import json
import sys

import torch

from vid2vid.evaluation.diagnose import _masks
from vid2vid.evaluation.evaluate import example_frames, test_split, unroll_clip
from vid2vid.inference.pipeline import Pipeline
from vid2vid.training.visuals import image_grid, save_png

checkpoint, root, out = sys.argv[1], sys.argv[2], sys.argv[3]
clips = int(sys.argv[4]) if len(sys.argv) > 4 else 8
frames = 32
pipe = Pipeline.from_checkpoint(checkpoint, device="cpu", weights="generator")
ds = test_split(root)
sums: dict[str, dict[str, float]] = {}
rows, labels = [], []


def add(part: str, name: str, values: torch.Tensor, where: torch.Tensor) -> None:
    if where.any():
        entry = sums.setdefault(part, {"pixels": 0.0})
        entry[name] = entry.get(name, 0.0) + float(values[where].sum())
        if name == "m_e":
            entry["pixels"] += int(where.sum())


with torch.no_grad():
    for clip in range(min(clips, len(ds.clips))):
        refs = example_frames(ds, clip, 2)
        outs, real, _, _ = unroll_clip(pipe, ds, clip, 2, frames)
        body = _masks(ds, clip, list(range(len(outs))))
        bodies = torch.stack([_masks(ds, c, [f])[0] for c, f in refs])
        for t, o in enumerate(outs):
            chosen = int(o.example_index[0])
            e_body, f_body = bodies[chosen], bodies[1 - chosen]
            ghost = (e_body | f_body) & ~body[t]
            near = torch.nn.functional.max_pool2d(body[t][None, None].float(), 7, 1, 3)[0, 0] > 0
            parts = {"chosen's body only": ghost & e_body & ~f_body, "filler's body only": ghost & f_body & ~e_body,
                     "both bodies (hidden)": ghost & e_body & f_body,
                     "other bg within 3 px of target": ~body[t] & ~ghost & near,
                     "other bg farther": ~body[t] & ~ghost & ~near, "the target's body": body[t]}
            values = {"m_e": o.example_mask[0, 0], "m_f": o.fill_mask[0, 0]}
            for name, x in (("L1 warp(e)", o.example_warped), ("L1 warp(f)", o.fill_warped),
                            ("L1 h_t", o.hallucinated), ("L1 output", o.image)):
                values[name] = (x[0].float().clamp(-1, 1) - real[t]).abs().mean(0)
            for part, where in parts.items():
                for name, v in values.items():
                    add(part, name, v.float(), where)
            if t == 15:
                err = (values["L1 output"] * 4).clamp(0, 1)  # a mask tile: 0.25 L1 or more is white
                rows.append([o.example_warped[0], o.example_mask[0], o.fill_warped[0], o.fill_mask[0],
                             o.hallucinated[0].clamp(-1, 1), o.image[0], real[t], err[None]])
                labels.append(f"{ds.domains[ds.clips[clip].domain]} t={t}")
table = {part: {k: (v if k == "pixels" else round(v / entry["pixels"], 4)) for k, v in entry.items()}
         for part, entry in sums.items()}
print(json.dumps(table, indent=1))
save_png(image_grid(rows, labels), out)
