"""Run a `vid2vid eval ...` command with generator option ``layout_gate`` switched on in every loaded model (an
inference-time experiment on a model trained without it; docs/learning.md):

    PYTHONPATH=src python results/learning/layout_gate_probe.py eval checkpoint --checkpoint C --data D ..."""
import sys
from dataclasses import replace

from vid2vid.inference import pipeline as P

original = P.Pipeline.from_checkpoint.__func__


def patched(cls, *args, **kwargs):
    pipe = original(cls, *args, **kwargs)
    for model in (pipe.model, pipe.train_model):
        model.cfg = replace(model.cfg, layout_gate=True)
    pipe.gcfg = pipe.model.cfg
    return pipe


P.Pipeline.from_checkpoint = classmethod(patched)
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
