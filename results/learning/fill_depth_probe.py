"""Run a `vid2vid eval ...` command with every loaded example_fill model composing the frame from FILL_DEPTH examples
(the chosen one and FILL_DEPTH - 1 runner-ups by attention mass, each filling what those before it cannot show)
instead of the two it was trained with: an inference-time experiment on a trained model (docs/learning.md):

    PYTHONPATH=src FILL_DEPTH=4 python results/learning/fill_depth_probe.py eval checkpoint --checkpoint C --k 4 ..."""
import os
import sys
from dataclasses import replace

from vid2vid.inference import pipeline as P

original = P.Pipeline.from_checkpoint.__func__
depth = int(os.environ.get("FILL_DEPTH", "4"))


def patched(cls, *args, **kwargs):
    pipe = original(cls, *args, **kwargs)
    for model in {id(m): m for m in (pipe.model, pipe.train_model)}.values():
        model.cfg = replace(model.cfg, fill_depth=depth)
    return pipe


P.Pipeline.from_checkpoint = classmethod(patched)
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
