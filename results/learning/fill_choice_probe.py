"""Evaluate an example_fill model with the filler picked by least body overlap with the chosen example (from the
examples' semantic maps) instead of the runner-up by attention: an inference-time experiment (docs/learning.md).

PYTHONPATH=src python results/learning/fill_choice_probe.py eval checkpoint --checkpoint C --data D ... (the args of
`vid2vid eval ...`)"""
from dataclasses import replace

import torch

from probe import drawn, run_with_condition


def fill_by_least_overlap(cond, code, semantic):
    b = cond.attention.shape[0]
    body = drawn(code.semantics.float(), code.semantics.shape[-1] // 8 + 1)  # (B, K, H, W), dilated
    rows = torch.arange(b)
    chosen = cond.example_index
    overlap = (body * body[rows, chosen][:, None]).flatten(2).sum(2)
    overlap[rows, chosen] = float("inf")
    filler = overlap.argmin(1)
    mass = torch.zeros_like(cond.attention)
    mass[rows, chosen] = 2.0
    mass[rows, filler] = 1.0
    return replace(cond, attention=mass)


run_with_condition(fill_by_least_overlap)
