"""The faces landmark net's own error on the real held-out frames at 128 px (the floor of the 128 px probe).

    python results/learning/faces_128px/floor.py > results/learning/faces_128px/floor.json
"""
import json

from vid2vid.evaluation.evaluate import Detectors, detector_floor
from vid2vid.metrics import load_keypoint_net

net = load_keypoint_net("results/cpu/detectors/faces-128px.safetensors")
print(json.dumps(detector_floor("results/cpu/data/faces-128px", Detectors(keypoints=net)), indent=2))
