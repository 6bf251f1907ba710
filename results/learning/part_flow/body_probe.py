"""Why the learned example flow is not used on the body: on 4 held-out 128 px dancers clips (frames 3, 9, 15, K = 2 from
another clip, the chosen example), the share of the target body the exact correspondence matches, the example mask
there (1: not the warped example), the learned flow's end-point error and magnitude against the exact flow, and the L1
of the example warped by each (docs/learning.md, "The body is drawn by the decoder").

    PYTHONPATH=src python results/learning/part_flow/body_probe.py CHECKPOINT   (repository root)"""
import torch, numpy as np, sys
from vid2vid.evaluation.evaluate import example_frames, test_split, unroll_clip
from vid2vid.evaluation.diagnose import _masks
from vid2vid.inference.pipeline import Pipeline
pipe = Pipeline.from_checkpoint(sys.argv[1], device="cpu", example_flow="learned")
ds = test_split("results/gpu/data/dancers")
tot = {}
def add(k, v): tot.setdefault(k, []).append(float(v))
with torch.no_grad():
    for clip in range(4):
        refs = example_frames(ds, clip, 2)
        outs, real, _, _ = unroll_clip(pipe, ds, clip, 2, 16)
        body = _masks(ds, clip, list(range(16)))
        for t in (3, 9, 15):
            o = outs[t]; c = int(o.example_index[0]); ref = refs[c]
            flow, valid = ds.load_correspondence(clip, t, *ref)
            b = body[t]
            v = valid[0] > 0.5
            add("valid share on body", (v & b).sum() / b.sum())
            add("m_e on body", o.example_mask[0, 0][b].mean())
            add("m_e on valid body", o.example_mask[0, 0][b & v].mean())
            epe = (o.example_flow[0] - flow).norm(dim=0)
            add("flow EPE valid body", epe[b & v].mean())
            add("teacher |flow| valid body", flow.norm(dim=0)[b & v].mean())
            add("model |flow| valid body", o.example_flow[0].norm(dim=0)[b & v].mean())
            from vid2vid.models.warp import warp
            ex = ds.load_frame(*ref)[1][None]
            add("L1 warp teacher on valid body", (warp(ex, flow[None])[0] - real[t]).abs().mean(0)[b & v].mean())
            add("L1 warp model on valid body", (o.example_warped[0] - real[t]).abs().mean(0)[b & v].mean())
for k, v in tot.items(): print(f"{k}: {np.mean(v):.3f}")
