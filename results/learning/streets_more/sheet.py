"""Held-out streets, few-shot vid2vid and AdaIN after the `cpu` budget's 1,050 GAN steps and after more (raw
weights, K = 2; rows labelled). python results/learning/streets_more/sheet.py OUT.png LABEL=CHECKPOINT ...
(repository root, PYTHONPATH=src)"""
import sys

from vid2vid.evaluation.sheet import method_sheet
from vid2vid.inference.pipeline import Pipeline

pipes = {label: Pipeline.from_checkpoint(path, device="cpu", weights="generator")
         for label, path in (a.split("=", 1) for a in sys.argv[2:])}
print(method_sheet(pipes, "results/cpu/data/streets", 2, sys.argv[1], clips=2, frames=4))
