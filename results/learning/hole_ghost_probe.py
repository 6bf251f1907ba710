"""Where does the remaining ghost of an example + fill model come from? On the 8 held-out dancers clips (16 frames,
K = 2 examples from another clip), background pixels are split into: 'both' (both examples' bodies stand there: a
true hole, no example shows that background), 'one' (one example's body: the other can fill in) and 'bg' (neither).
Per region: the share of the output each source gives (w_e chosen example, w_f filler, w_h the hallucinated h_t)
and the L1 to the real frame of the output, h_t and the two warped examples.

python results/learning/hole_ghost_probe.py CHECKPOINT DATA   (from the repository root, PYTHONPATH=src)"""
import sys
import numpy as np
import torch
from vid2vid.evaluation.diagnose import _masks
from vid2vid.evaluation.evaluate import example_frames, test_split, unroll_clip
from vid2vid.inference.pipeline import Pipeline

checkpoint, root = sys.argv[1], sys.argv[2]
pipe = Pipeline.from_checkpoint(checkpoint, device="cpu", weights="generator")
ds = test_split(root)
stats: dict[str, list[float]] = {}
with torch.no_grad():
    for clip in range(8):
        refs = example_frames(ds, clip, 2)
        outs, real, _, _ = unroll_clip(pipe, ds, clip, 2, 16)
        body = _masks(ds, clip, list(range(16)))
        first, second = (_masks(ds, c, [f])[0] for c, f in refs)
        for t, o in enumerate(outs):
            regions = {"both": first & second & ~body[t], "one": (first ^ second) & ~body[t],
                       "bg": ~first & ~second & ~body[t]}
            m_e, m_f = o.example_mask[0, 0], o.fill_mask[0, 0]
            shares = {"w_e": 1 - m_e, "w_f": m_e * (1 - m_f), "w_h": m_e * m_f}
            errors = {f"L1 {name}": (x[0].clamp(-1, 1) - real[t]).abs().mean(0) for name, x in
                      (("out", o.image), ("h", o.hallucinated), ("e", o.example_warped), ("f", o.fill_warped))}
            for name, region in regions.items():
                if region.sum() < 5:
                    continue
                stats.setdefault(f"{name} px", []).append(float(region.sum()))
                for key, value in {**shares, **errors}.items():
                    stats.setdefault(f"{name} {key}", []).append(float(value[region].mean()))
for key, values in stats.items():
    print(f"{key:14s} {np.mean(values):.4f}  (n={len(values)})")
