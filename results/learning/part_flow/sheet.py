"""Held-out 128 px dancers, the shipped pose model with its learned example flow and with the flow from the maps'
parts (docs/learning.md, "The body is drawn by the decoder"); rows: examples, driving input, learned, parts, real.

    PYTHONPATH=src python results/learning/part_flow/sheet.py OUT.png [CLIPS]   (repository root)"""
import sys

from vid2vid.evaluation.sheet import method_sheet
from vid2vid.inference.pipeline import Pipeline

model = "src/vid2vid/assets/demo_pose.safetensors"
pipes = {"learned example flow": Pipeline.from_checkpoint(model, example_flow="learned"),
         "example flow from the parts": Pipeline.from_checkpoint(model, example_flow="parts")}
method_sheet(pipes, "results/gpu/data/dancers", 2, sys.argv[1], clips=int(sys.argv[2]) if len(sys.argv) > 2 else 3)
