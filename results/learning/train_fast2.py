"""Issue 13 lead: the `fast` preset with small's flow network (16 channels, 2 blocks) and two warp-embedding layers,
trained on the pose benchmark exactly as `eval benchmark --budget cpu` trains `fast` (same budget, data, batch).
python results/learning/train_fast2.py SEED  (from the repository root; writes results/cpu/runs/dancers-fast2-seedN;
re-running continues from its newest checkpoint)"""
import sys
from dataclasses import replace
from pathlib import Path

from vid2vid import tasks
from vid2vid.evaluation.benchmark import BUDGETS
from vid2vid.training.loop import training_loop
from vid2vid.training.options import ModelSpec

seed = int(sys.argv[1])
b = BUDGETS["cpu"]
out = Path("results/cpu")
batch = max(1, b.run.train.batch_size // tasks.get("dancers").aspect)
model = ModelSpec.of("fast", arch="fewshot", flow_channels=16, flow_blocks=2, warp_embedding_layers=2)
cfg = replace(b.run, data=replace(b.run.data, root=str(out / "data" / "dancers"), max_domains=0, seed=seed), model=model,
              train=replace(b.run.train, batch_size=batch, seed=seed, progress=True))
print(training_loop(out / "runs" / f"dancers-fast2-seed{seed}", cfg))
