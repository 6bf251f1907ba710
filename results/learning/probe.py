"""What the inference-time probes of docs/learning.md share: where a semantic map draws, and running a `vid2vid`
command with the few-shot appearance module's per-frame conditioning changed. A probe imports this from its own
folder (`python results/learning/<probe>.py eval checkpoint ...`)."""
import sys
from typing import Callable

import torch
import torch.nn.functional as F

from vid2vid.inference import pipeline as P


def drawn(sem: torch.Tensor, k: int) -> torch.Tensor:
    """(N, C, H, W) -> (N, H, W): where the map draws (any channel non-zero), dilated by a k x k max-pool."""
    return F.max_pool2d((sem.abs().sum(-3) > 0).float(), k, 1, k // 2)


def run_with_condition(change: Callable) -> None:
    """Run the `vid2vid` command in sys.argv with every loaded model's ``condition(code, semantic)`` replaced by
    ``change(cond, code, semantic)`` applied to its result (K >= 2 only: K = 1 has no attention to change)."""
    original = P.Pipeline.from_checkpoint.__func__

    def patched(cls, *a, **kw):
        pipe = original(cls, *a, **kw)
        app = pipe.model.appearance
        condition_original = app.condition

        def condition(code, semantic):
            cond = condition_original(code, semantic)
            return cond if cond.attention is None else change(cond, code, semantic)

        app.condition = condition
        return pipe

    P.Pipeline.from_checkpoint = classmethod(patched)
    from vid2vid.cli.main import main

    sys.exit(main(sys.argv[1:]))
