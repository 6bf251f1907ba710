"""Progressive sequence-length training: single frames first, then the sequence length doubles on a schedule."""

from __future__ import annotations


def sequence_length(step: int, single_frame_steps: int, double_every: int, max_len: int) -> int:
    """Frames per training sequence at ``step``: 1 during the first ``single_frame_steps``, then 2, 4, 8, ... doubling
    every ``double_every`` steps, capped at ``max_len`` (which need not be a power of two, e.g. 30)."""
    if step < single_frame_steps or max_len <= 1:
        return 1
    if double_every <= 0:
        return max_len
    doublings = (step - single_frame_steps) // double_every
    return min(2 ** (doublings + 1), max_len)


def ema_decay(step: int, beta: float) -> float:
    """Decay of the generator's weight average at update ``step`` (0-based): ``beta``, warmed up as
    ``(1 + step) / (10 + step)`` so the random initial weights wash out. Without the warm-up a 1,000-step run's
    average at beta = 0.999 still held 37 % of the initial weights (0.999 ** 1000) and generated grey mush."""
    return min(beta, (1 + step) / (10 + step))
