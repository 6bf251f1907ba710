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
S = {}
def add(k, v): S.setdefault(k, []).append(float(v))
with torch.no_grad():
    for clip in range(8):
        refs = example_frames(ds, clip, 2)
        outs, real, _, _ = unroll_clip(pipe, ds, clip, 2, 16)
        body = _masks(ds, clip, list(range(16)))
        eb = [_masks(ds, c, [f])[0] for c, f in refs]
        for t, o in enumerate(outs):
            both = eb[0] & eb[1] & ~body[t]
            one = (eb[0] ^ eb[1]) & ~body[t]
            bg = ~eb[0] & ~eb[1] & ~body[t]
            me, mf = o.example_mask[0, 0], o.fill_mask[0, 0]
            we, wf, wh = 1 - me, me * (1 - mf), me * mf
            err = lambda x: (x[0].clamp(-1, 1) - real[t]).abs().mean(0)
            for name, region in (("both", both), ("one", one), ("bg", bg)):
                if region.sum() < 5: continue
                add(f"{name} px", region.sum())
                add(f"{name} w_e", we[region].mean()); add(f"{name} w_f", wf[region].mean()); add(f"{name} w_h", wh[region].mean())
                add(f"{name} L1 out", err(o.image)[region].mean()); add(f"{name} L1 h", err(o.hallucinated)[region].mean())
                add(f"{name} L1 e", err(o.example_warped)[region].mean()); add(f"{name} L1 f", err(o.fill_warped)[region].mean())
for k, v in S.items(): print(f"{k:14s} {np.mean(v):.4f}  (n={len(v)})")
