"""Evaluate an example_fill model with the filler picked by least body overlap with the chosen example (from the
examples' semantic maps) instead of the runner-up by attention: an inference-time experiment (docs/learning.md).

PYTHONPATH=src python results/learning/fill_choice_probe.py eval checkpoint --checkpoint C --data D ... (the args of
`vid2vid eval ...`)"""
import sys
from dataclasses import replace

import torch
import torch.nn.functional as F

from vid2vid.inference import pipeline as P

orig = P.Pipeline.from_checkpoint.__func__


def bodies(sem):  # (B, K, C, H, W) -> (B, K, H, W): where each example's semantic map draws, dilated
    pres = (sem.abs().sum(2) > 0).float()
    k = sem.shape[-1] // 8 + 1
    return F.max_pool2d(pres, k, 1, k // 2)


def patched(cls, *a, **kw):
    pipe = orig(cls, *a, **kw)
    app = pipe.model.appearance
    cond_orig = app.condition

    def condition(code, semantic):
        cond = cond_orig(code, semantic)
        if cond.attention is None:
            return cond
        b = cond.attention.shape[0]
        body = bodies(code.semantics.float())
        rows = torch.arange(b)
        chosen = cond.example_index
        overlap = (body * body[rows, chosen][:, None]).flatten(2).sum(2)
        overlap[rows, chosen] = float("inf")
        filler = overlap.argmin(1)
        mass = torch.zeros_like(cond.attention)
        mass[rows, chosen] = 2.0
        mass[rows, filler] = 1.0
        return replace(cond, attention=mass)

    app.condition = condition
    return pipe


P.Pipeline.from_checkpoint = classmethod(patched)
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
