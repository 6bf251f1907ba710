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
