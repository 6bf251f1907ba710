"""Evaluate a few-shot pose model with the warped example chosen by body overlap with the driving pose (IoU of the
dilated skeleton maps of each example and of the current frame) instead of by attention mass; the filler (example_fill)
stays the attention's best among the others. An inference-time experiment (docs/learning.md): does attention's choice
cost pose error?

PYTHONPATH=src python results/learning/example_choice_probe.py eval checkpoint --checkpoint C --data D ... (the args
of `vid2vid eval ...`)"""
import sys
from dataclasses import replace

import torch
import torch.nn.functional as F

from vid2vid.inference import pipeline as P

original = P.Pipeline.from_checkpoint.__func__


def body(sem):  # (N, C, H, W) -> (N, H, W): where the skeleton map draws, dilated by 1/16 of the height
    k = sem.shape[-2] // 16 * 2 + 1
    return F.max_pool2d((sem.abs().sum(1, keepdim=True) > 0).float(), k, 1, k // 2)[:, 0]


def patched(cls, *a, **kw):
    pipe = original(cls, *a, **kw)
    app = pipe.model.appearance
    condition_original = app.condition

    def condition(code, semantic):
        cond = condition_original(code, semantic)
        if cond.attention is None:
            return cond
        b, k = code.semantics.shape[:2]
        target = body(semantic.float())[:, None]
        examples = body(code.semantics.float().flatten(0, 1)).unflatten(0, (b, k))
        inter = (examples * target).flatten(2).sum(2)
        iou = inter / ((examples + target).clamp(max=1).flatten(2).sum(2)).clamp(min=1)
        chosen = iou.argmax(1)
        mass = cond.attention.clone()
        mass[torch.arange(b), chosen] = 10.0  # first in the ranking; the runner-up stays attention's
        return replace(cond, attention=mass, example_index=chosen)

    app.condition = condition
    return pipe


P.Pipeline.from_checkpoint = classmethod(patched)
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
