"""Progressive training: single frames first, then the sequence length doubles on a schedule; with a coarse-to-fine
generator the resolution doubles too, alternating with the sequence length (vid2vid 2018's spatio-temporal
progression)."""

from __future__ import annotations


def sequence_length(step: int, single_frame_steps: int, double_every: int, max_len: int) -> int:
    """Frames per training sequence at ``step``: 1 during the first ``single_frame_steps``, then 2, 4, 8, ... doubling
    every ``double_every`` steps, capped at ``max_len`` (which need not be a power of two, e.g. 30)."""
    return progression(step, single_frame_steps, double_every, max_len, 0)[0]


def progression(step: int, single_frame_steps: int, double_every: int, max_len: int, enhancers: int
                ) -> tuple[int, int]:
    """(frames per sequence, local enhancers in use) at ``step``. The growth events (sequence length x 2, one more
    enhancer) alternate, sequence length first, one every ``double_every`` steps after the ``single_frame_steps``
    single-frame steps at the coarsest scale; when one kind is used up the other goes on. Without enhancers this is
    ``(sequence_length(...), 0)``."""
    doublings = 0
    while 2**doublings < max_len:
        doublings += 1
    events = []
    for i in range(max(doublings, enhancers)):
        events += (["T"] if i < doublings else []) + (["E"] if i < enhancers else [])
    if step < single_frame_steps:
        done = 0
    elif double_every <= 0:
        done = len(events)
    else:
        done = min(len(events), (step - single_frame_steps) // double_every + 1)
    applied = events[:done]
    return min(2 ** applied.count("T"), max_len), applied.count("E")


def ema_decay(step: int, beta: float) -> float:
    """Decay of the generator's weight average at update ``step`` (0-based): ``beta``, warmed up as
    ``(1 + step) / (10 + step)`` so the random initial weights wash out. Without the warm-up a 1,000-step run's
    average at beta = 0.999 still held 37 % of the initial weights (0.999 ** 1000) and generated grey mush."""
    return min(beta, (1 + step) / (10 + step))
