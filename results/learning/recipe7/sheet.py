"""Held-out 64 px dancers (the cpu benchmark's data), K = 2: the recipe 6 model shipped before (EMA; learned example
flow, and the same weights with the flow from the maps' parts) against recipe 7 (trained with the parts; the cpu
benchmark's seed 0, raw weights as the table scores). Rows: examples, driving input, each model, real frames
(docs/learning.md, "Recipe 7").

    PYTHONPATH=src python results/learning/recipe7/sheet.py RECIPE6.safetensors RECIPE7.pt OUT.png   (repo root)"""
import sys

from vid2vid.evaluation.sheet import method_sheet
from vid2vid.inference.pipeline import Pipeline

recipe6, recipe7, out = sys.argv[1:4]
pipes = {"recipe 6, learned flow": Pipeline.from_checkpoint(recipe6, example_flow="learned"),
         "recipe 6, parts at test": Pipeline.from_checkpoint(recipe6, example_flow="parts"),
         "recipe 7 (trained with parts)": Pipeline.from_checkpoint(recipe7, weights="generator")}
method_sheet(pipes, "results/cpu/data/dancers", 2, out, clips=2)
