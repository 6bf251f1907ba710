"""Evaluate an example-composed pose model with the target's body drawn by h_t (the decoder) instead of the warped
examples, the background still composed as trained: does the warped body cost pose error (docs/learning.md)?
An inference-time experiment on a trained model; the previous frames fed back are the probed frames.

PYTHONPATH=src python results/learning/body_source_probe.py eval checkpoint --checkpoint C --data D ... (the args
of `vid2vid eval ...`)"""
import sys
from dataclasses import replace

from probe import drawn
from vid2vid.models.generator import SequentialGenerator

original = SequentialGenerator.step


def body(semantic):  # (B, C, H, W) -> (B, 1, H, W): where the driving skeleton draws, dilated by 1/16 of the height
    return drawn(semantic, semantic.shape[-2] // 16 * 2 + 1)[:, None]


def step(self, semantic, *args, **kwargs):
    out = original(self, semantic, *args, **kwargs)
    m = body(semantic).to(out.image.dtype)
    return replace(out, image=out.image + m * (out.hallucinated - out.image))


SequentialGenerator.step = step
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
