"""Evaluate a few-shot pose model with the warped example chosen by body overlap with the driving pose (IoU of the
dilated skeleton maps of each example and of the current frame) instead of by attention mass; the filler (example_fill)
stays the attention's best among the others. An inference-time experiment (docs/learning.md): does attention's choice
cost pose error?

PYTHONPATH=src python results/learning/example_choice_probe.py eval checkpoint --checkpoint C --data D ... (the args
of `vid2vid eval ...`)"""
from dataclasses import replace

import torch

from probe import drawn, run_with_condition


def body(sem):  # (N, C, H, W) -> (N, H, W): where the skeleton map draws, dilated by 1/16 of the height
    return drawn(sem, sem.shape[-2] // 16 * 2 + 1)


def choose_by_overlap(cond, code, semantic):
    b, k = code.semantics.shape[:2]
    target = body(semantic.float())[:, None]
    examples = body(code.semantics.float().flatten(0, 1)).unflatten(0, (b, k))
    inter = (examples * target).flatten(2).sum(2)
    iou = inter / ((examples + target).clamp(max=1).flatten(2).sum(2)).clamp(min=1)
    chosen = iou.argmax(1)
    mass = cond.attention.clone()
    mass[torch.arange(b), chosen] = 10.0  # first in the ranking; the runner-up stays attention's
    return replace(cond, attention=mass, example_index=chosen)


run_with_condition(choose_by_overlap)
