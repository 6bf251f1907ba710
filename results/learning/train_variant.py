"""Train a model variant on a `cpu` benchmark task exactly as `eval benchmark --budget cpu` trains its methods (same
budget, data, batch, seeds), with generator settings changed, for issue 11 / 13 experiments.

python results/learning/train_variant.py TASK PRESET SEED NAME [key=value ...]   (from the repository root)

e.g. `... dancers small 0 example compose=example` or `... dancers fast 0 fast2 flow_channels=16 flow_blocks=2
warp_embedding_layers=2`; `arch=adain` trains a baseline; `loss.NAME=VALUE` sets a loss setting
(`loss.example_mask=warped`), `train.NAME=VALUE` a training setting (`train.max_steps=10000`: the flow-only stage
alone). Writes
results/cpu/runs/<task>-<NAME>-seed<SEED> (re-running continues from its newest checkpoint); the benchmark's data
of the task must exist (`eval benchmark` renders it)."""
import sys
from dataclasses import replace
from pathlib import Path

import yaml

from vid2vid import tasks
from vid2vid.evaluation.budgets import BUDGETS
from vid2vid.training.loop import training_loop
from vid2vid.training.options import ModelSpec

task, preset, seed, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
settings = {k: yaml.safe_load(v) for k, v in (a.split("=", 1) for a in sys.argv[5:])}
overrides = {k: v for k, v in settings.items() if not k.startswith(("loss.", "train."))}
arch = overrides.pop("arch", "fewshot")  # `arch=adain` trains a baseline with the same settings
train = {k[6:]: v for k, v in settings.items() if k.startswith("train.")}
b = BUDGETS["cpu"]
out = Path("results/cpu")
batch = max(1, b.run.train.batch_size // tasks.get(task).aspect)
cfg = replace(b.run, data=replace(b.run.data, root=str(out / "data" / task), max_domains=0, seed=seed),
              model=ModelSpec.of(preset, arch=arch, **overrides),
              loss=replace(b.run.loss, **{k[5:]: v for k, v in settings.items() if k.startswith("loss.")}),
              train=replace(b.run.train, batch_size=batch, seed=seed, progress=True, **train))
print(training_loop(out / "runs" / f"{task}-{name}-seed{seed}", cfg))
