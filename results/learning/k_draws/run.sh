#!/usr/bin/env bash
# The 128 px K study under other draws of the examples: the pose model shipped on 2026-12-05 (T = 8 step 300, EMA),
# K = 1 / 2 / 4, example draws 0 (the benchmark's examples) 1 and 2 (eval checkpoint --example-draw); K = 2 draw 0
# is results/learning/face_detail/control_step300_ema.json. The learned example flow (the file now stores parts).
# Usage: bash results/learning/k_draws/run.sh [CHECKPOINT]   (from the repository root; one core, ~4 min per score)
set -euo pipefail
ckpt=${1:-src/vid2vid/assets/demo_pose.safetensors}
out=results/learning/k_draws
for draw in 0 1 2; do
  for k in 1 2 4; do
    f=$out/dancers_shipped_k${k}_draw${draw}.json
    [ -s "$f" ] && continue
    [ $draw = 0 ] && [ $k = 2 ] && continue
    OMP_NUM_THREADS=1 PYTHONPATH=${SRC:-src} python -m vid2vid.cli.main eval checkpoint --checkpoint "$ckpt" \
      --data results/gpu/data/dancers --detector results/gpu/detectors/dancers.safetensors -k $k \
      --example-draw $draw --example-flow learned --quiet > "$f.tmp" && mv "$f.tmp" "$f"
  done
done
