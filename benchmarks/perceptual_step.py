"""Seconds of the VGG19 perceptual term per generator update: the real image's features with gradients tracked
(as before: fake and real in one batch through VGG, real features detached afterwards) against computing them once
under no_grad and reusing them for the frame and the raw decoder output.

    python benchmarks/perceptual_step.py [--size 64] [--batch 4] [--repeats 20] [--out benchmarks/results]

Writes perceptual_step.json and perceptual_step.md. The objective is the same: only autograd bookkeeping changes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from vid2vid.losses.perceptual import LAYER_WEIGHTS, SCALE, PerceptualLoss


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args()
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
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = {"size": args.size, "batch": args.batch, "threads": torch.get_num_threads(), "repeats": args.repeats,
              "seconds": rows}
    (out / "perceptual_step.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [f"# VGG19 perceptual term, forward + backward ({args.batch} x {args.size}x{args.size}, "
             f"{torch.get_num_threads()} threads, median of {args.repeats})", "", "| variant | s |", "|---|---|"]
    lines += [f"| {k} | {v:.4f} |" for k, v in rows.items()]
    (out / "perceptual_step.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
