"""Run a `vid2vid eval ...` command with every loaded example_fill model composing its frames in the order
EXAMPLE_ORDER (attention, as trained, or layout: the example whose map its own flow warps onto the frame's best
on top; generator option `example_order`). An inference-time experiment (docs/learning.md, "Effect of K at 128 px,
and which example gives the body"):

    PYTHONPATH=src EXAMPLE_ORDER=layout python results/learning/example_order/order_probe.py eval checkpoint ..."""
import os
import sys
from dataclasses import replace

from vid2vid.inference import pipeline

order = os.environ.get("EXAMPLE_ORDER", "layout")
original = pipeline.for_inference


def ordered(cfg, fill_depth=0, example_flow=None):
    cfg = original(cfg, fill_depth, example_flow)
    return replace(cfg, example_order=order) if cfg.example_fill else cfg


pipeline.for_inference = ordered
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
