"""Run a `vid2vid eval ...` command with every loaded model's example masks (m_e, and example_fill's m_f) sharpened:
m = sigmoid(S * logit) instead of sigmoid(logit), the previous-frame mask untouched (an inference-time experiment on
a trained model; docs/learning.md):

    PYTHONPATH=src MASK_SHARPEN=S python results/learning/mask_sharpen_probe.py eval checkpoint --checkpoint C ..."""
import os
import sys

import torch
from torch import nn

from vid2vid.inference import pipeline as P


class Sharpened(nn.Module):
    """The mask head with its example channel's logits times ``scale``."""

    def __init__(self, head: nn.Module, scale: float) -> None:
        super().__init__()
        self.head, self.scale = head, scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.head(x)
        return torch.cat([logits[:, :1], logits[:, 1:] * self.scale], 1)


original = P.Pipeline.from_checkpoint.__func__
scale = float(os.environ.get("MASK_SHARPEN", "3"))


def patched(cls, *args, **kwargs):
    pipe = original(cls, *args, **kwargs)
    for model in {id(m): m for m in (pipe.model, pipe.train_model)}.values():
        flow = model.flow
        if flow.example and not isinstance(flow.mask_head, Sharpened):
            flow.mask_head = Sharpened(flow.mask_head, scale)
    return pipe


P.Pipeline.from_checkpoint = classmethod(patched)
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
