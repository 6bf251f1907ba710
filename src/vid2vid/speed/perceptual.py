"""Seconds of the VGG19 perceptual term per generator update: the real image's features with gradients tracked
(as before: fake and real in one batch through VGG, real features detached afterwards) against computing them once
under no_grad and reusing them for the frame and the raw decoder output.

    vid2vid bench perceptual [--size 64] [--batch 4] [--repeats 20] [--out bench_results]

Writes perceptual_step.json and perceptual_step.md. The objective is the same: only autograd bookkeeping changes.
"""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from vid2vid.errors import UserError
from vid2vid.losses.perceptual import LAYER_WEIGHTS, SCALE, PerceptualLoss
from vid2vid.speed.report import write_report

NAME = "perceptual_step"
log = logging.getLogger(__name__)


def joint_batch(loss: PerceptualLoss, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """The former implementation: one VGG pass over fake and real, real features detached."""
    feats = loss.vgg(torch.cat([fake, real], dim=0))
    n = fake.shape[0]
    return sum(w * F.l1_loss(f[:n], f[n:].detach()) for w, f in zip(LAYER_WEIGHTS, feats)) * SCALE


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(args: Any) -> list[Path]:
    """Time the four variants (options from `vid2vid bench perceptual`); the report files written."""
    if args.size < 16 or args.batch < 1 or args.repeats < 1:
        raise UserError("--size must be >= 16, --batch and --repeats >= 1")
    torch.manual_seed(0)
    loss = PerceptualLoss()
    real = torch.rand(args.batch, 3, args.size, args.size) * 2 - 1
    leaf = torch.zeros(args.batch, 3, args.size, args.size, requires_grad=True)

    def old_one() -> None:  # blend or spade frame, former code: one term
        joint_batch(loss, torch.tanh(leaf + real), real).backward()

    def new_one() -> None:
        loss(torch.tanh(leaf + real), loss.target(real)).backward()

    def old_two() -> None:  # frame + raw decoder output, former code would run the joint batch twice
        (joint_batch(loss, torch.tanh(leaf + real), real) + joint_batch(loss, torch.tanh(leaf - real), real)).backward()

    def new_two() -> None:
        target = loss.target(real)
        (loss(torch.tanh(leaf + real), target) + loss(torch.tanh(leaf - real), target)).backward()

    rows = {name: timed(fn, args.repeats) for name, fn in
            [("one term, joint batch", old_one), ("one term, no_grad target", new_one),
             ("two terms, joint batch", old_two), ("two terms, shared no_grad target", new_two)]}
    result = {"size": args.size, "batch": args.batch, "threads": torch.get_num_threads(), "repeats": args.repeats,
              "seconds": rows}
    lines = [f"# VGG19 perceptual term, forward + backward ({args.batch} x {args.size}x{args.size}, "
             f"{torch.get_num_threads()} threads, median of {args.repeats})", "", "| variant | s |", "|---|---|"]
    lines += [f"| {k} | {v:.4f} |" for k, v in rows.items()]
    log.info("\n".join(lines))
    return write_report(args.out, NAME, result, "\n".join(lines) + "\n")
