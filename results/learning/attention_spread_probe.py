"""How spread out a few-shot model's attention over its K examples is: per query position (frames 0, 8, 16, 24 of the
first clip of each held-out domain, K = 2: frames 0 and 16 of its second clip), the perplexity (exp entropy) of its
softmax over the K x h x w key positions, and the share of its mass on key positions whose label (argmax of the
downsampled map) is the query's.
Usage: python results/learning/attention_spread_probe.py CHECKPOINT DATA [ema|generator]"""
import math
import sys
import torch
import torch.nn.functional as F
from pathlib import Path
from vid2vid.inference.pipeline import Pipeline
from vid2vid.inference.sources import ClipDriving, example_from_dataset
from vid2vid.data.layout import frame_name

ckpt, root = sys.argv[1], Path(sys.argv[2])
pipe = Pipeline.from_checkpoint(ckpt, device="cpu", weights=sys.argv[3] if len(sys.argv) > 3 else "ema")
app = pipe.model.appearance
torch.set_grad_enabled(False)
pp, same, sizes = [], [], None
for domain in sorted((root / "test").iterdir()):
    pairs = [example_from_dataset(pipe.meta, domain / "c001" / "rgb" / frame_name(i)) for i in (0, 16)]
    esem = torch.stack([s for _, s in pairs]).float()  # (K, C, H, W)
    keys = app.attention.keys_of(esem)  # (K, D, h, w)
    drv = ClipDriving(domain / "c000", pipe.meta)
    for t, (sem, _) in enumerate(drv):
        if t % 8:
            continue
        q = app.attention.query_of(sem[None].float())[0]  # (D, h, w)
        d, h, w = q.shape
        s = torch.einsum("dq,dk->qk", q.flatten(1), keys.permute(1, 0, 2, 3).flatten(1)) / math.sqrt(d)
        p = s.softmax(1)
        ent = -(p * p.clamp_min(1e-12).log()).sum(1)
        pp.append(ent.exp())
        lab_q = F.adaptive_avg_pool2d(sem[None].float(), (h, w))[0].argmax(0).flatten()
        lab_k = F.adaptive_avg_pool2d(esem, (h, w)).argmax(1).flatten()
        same.append((p * (lab_q[:, None] == lab_k[None, :]).float()).sum(1))
        sizes = (keys.shape[0] * h * w)
pp, same = torch.cat(pp), torch.cat(same)
print(f"{ckpt}: key positions {sizes}; perplexity median {pp.median():.1f} mean {pp.mean():.1f} "
      f"(10%/90%: {pp.quantile(0.1):.1f}/{pp.quantile(0.9):.1f}); mass on same-label keys {same.mean():.3f}")
