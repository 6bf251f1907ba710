"""Run a `vid2vid eval ...` command with every loaded few-shot model's attention over the examples sharpened:
softmax(S * q.k / sqrt(d)) instead of softmax(q.k / sqrt(d)) (an inference-time experiment on a trained model;
docs/learning.md, "How spread out the attention is"):

    PYTHONPATH=src ATTENTION_SHARPEN=S python results/learning/attention_sharpen_probe.py eval checkpoint ..."""
import os
import sys

from vid2vid.models import fewshot

scale = float(os.environ.get("ATTENTION_SHARPEN", "3"))
original = fewshot.attend


def sharpened(query, keys, values):
    return original(query * scale, keys, values)  # the scores are linear in the query


fewshot.attend = sharpened
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
