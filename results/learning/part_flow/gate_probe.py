"""The example flow from the parts with `embedding_gate` on at inference (the decoder's warp embedding sees the shown
examples only where their masks accept them, so the background every example's body hid does not reach it): diagnose
and scores, K = 2, held-out (docs/learning.md, "The body is drawn by the decoder").

    PYTHONPATH=src python results/learning/part_flow/gate_probe.py CHECKPOINT DATA DETECTOR OUT.json [ema|generator]"""
import json
import sys
from dataclasses import replace

from vid2vid.evaluation.diagnose import diagnose
from vid2vid.evaluation.evaluate import Detectors, evaluate
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import load_keypoint_net

checkpoint, data, detector, out = sys.argv[1:5]
weights = sys.argv[5] if len(sys.argv) > 5 else "ema"  # a benchmark row scores the raw generator
pipe = Pipeline.from_checkpoint(checkpoint, weights=weights, example_flow="parts")
for model in {pipe.model, pipe.train_model}:
    model.cfg = replace(model.cfg, embedding_gate=True)  # no weights of its own: an inference-time switch
found = diagnose(pipe, data, 2)
scores = evaluate(pipe, data, 2, Detectors(keypoints=load_keypoint_net(detector)))
with open(out, "w") as f:
    json.dump({"diagnose": {k: v for k, v in found.items() if not isinstance(v, list)}, "eval": scores}, f, indent=1)
