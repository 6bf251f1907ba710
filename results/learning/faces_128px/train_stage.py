"""Train one faces model of the `cpu` benchmark at 64 px and continue it at 128 px with the budget's second stage
(`benchmark.Refine`), as `vid2vid eval benchmark` would if the faces task asked for that stage. A probe: the faces
registry entry does not ask for it (yet). Run names are the benchmark's, so a later benchmark run reuses the folders.

    python results/learning/faces_128px/train_stage.py METHOD SEED
"""
import sys
from pathlib import Path

from vid2vid.evaluation.benchmark import _data, _train, recipes
from vid2vid.evaluation.budgets import BUDGETS

method, seed = sys.argv[1], int(sys.argv[2])
out, b = Path("results/cpu"), BUDGETS["cpu"]
name = f"faces-{method}" + (f"-seed{seed}" if seed else "") + f"-r{recipes('faces')[method]}"
root64 = _data(out, "faces", b, True)
root128 = _data(out, "faces", b, True, b.refine.size)
first = _train(out, name, root64, method, b, b.run.train.batch_size, 0, seed, True)
print("64 px:", first, flush=True)
second = _train(out, f"{name}-{b.refine.size}px", root128, method, b, b.run.train.batch_size, 0, seed, True,
                b.refine, first)
print("128 px:", second, flush=True)
