"""A step-indexed batch sampler: the samples of training step s are a pure function of (seed, s), so a resumed run
sees exactly the data it would have seen, and each process of a distributed run takes its own shard."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch


class StepBatchSampler(torch.utils.data.Sampler):
    """Yields ``accum`` batches of ``(index, draw)`` pairs per step, for steps ``start .. stop - 1``.

    Every step draws ``batch * accum * world`` indices (with replacement) from the dataset; process ``rank`` takes
    its slice. The draw number (the step) seeds the choice of examples inside the dataset."""

    def __init__(self, length: int, batch: int, accum: int, start: int, stop: int, seed: int, rank: int = 0,
                 world: int = 1) -> None:
        self.length, self.batch, self.accum = length, batch, accum
        self.start, self.stop, self.seed, self.rank, self.world = start, stop, seed, rank, world

    def indices(self, step: int) -> list[list[tuple[int, int]]]:
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 7, step]))
        picks = rng.integers(0, self.length, size=(self.world, self.accum, self.batch))[self.rank]
        return [[(int(i), step) for i in row] for row in picks]

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in range(self.start, self.stop):
            yield from self.indices(step)

    def __len__(self) -> int:
        return (self.stop - self.start) * self.accum
