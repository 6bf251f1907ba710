"""Score a run of train_variant.py exactly as `eval benchmark --budget cpu` scores its rows (same held-out clips,
frames, K, weights and the benchmark's kept metric network), for issue 11 experiments.

python results/learning/score_variant.py TASK RUN OUT.json [WEIGHTS]   (from the repository root; RUN: a run folder
under results/cpu/runs, e.g. streets-fewshot-r6; its final checkpoint is scored; WEIGHTS: generator, the benchmark's, or
ema)"""
import json
import sys
from pathlib import Path

from vid2vid import checkpoint as ckpt
from vid2vid.evaluation.benchmark import _detectors
from vid2vid.evaluation.budgets import BUDGETS
from vid2vid.evaluation.evaluate import evaluate
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics.fid import InceptionFeatures

task, run, dest = sys.argv[1], sys.argv[2], Path(sys.argv[3])
b = BUDGETS["cpu"]
weights = sys.argv[4] if len(sys.argv) > 4 else b.weights
out = Path("results/cpu")
root = out / "data" / task
path = out / "runs" / run / ckpt.checkpoint_name(b.run.train.max_steps)
if not path.exists():
    sys.exit(f"{path}: no final checkpoint (train the run to {b.run.train.max_steps} steps first)")
pipe = Pipeline.from_checkpoint(path, weights=weights)
scores = evaluate(pipe, root, b.eval_k, _detectors(out, task, root, b), b.eval_clips, b.eval_frames,
                  InceptionFeatures())
dest.parent.mkdir(parents=True, exist_ok=True)
dest.write_text(json.dumps({"run": run, "checkpoint": str(path), "weights": weights, "k": b.eval_k, **scores},
                           indent=1) + "\n", encoding="utf-8")
print(json.dumps({k: v for k, v in scores.items() if not isinstance(v, (dict, list))}, indent=1))
