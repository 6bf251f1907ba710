"""Train a benchmark metric network for N steps on the `cpu` benchmark's data and score it on the real held-out
frames (docs/learning.md, "How strong the metric networks must be"). From the repository root, one thread:

    PYTHONPATH=src python results/learning/metric_net_steps.py dancers|faces|streets STEPS [OUT_DIR]

Writes OUT_DIR/<task>-<STEPS>.safetensors (default /tmp/metric_nets) and prints the steps, seconds and the floor."""
import json
import sys
import time
from pathlib import Path

from vid2vid.evaluation.evaluate import Detectors, detector_floor
from vid2vid.metrics import train_keypoint_net, train_segmentation_net

task, steps = sys.argv[1], int(sys.argv[2])
out = Path(sys.argv[3] if len(sys.argv) > 3 else "/tmp/metric_nets") / f"{task}-{steps}.safetensors"
out.parent.mkdir(parents=True, exist_ok=True)
root = Path("results/cpu/data") / task
start = time.time()
if task == "streets":
    detectors = Detectors(segmentation=train_segmentation_net(root, steps, out, log=None))
else:
    detectors = Detectors(keypoints=train_keypoint_net(root, steps, out, log=None))
print(task, steps, round(time.time() - start), json.dumps(detector_floor(root, detectors)), flush=True)
