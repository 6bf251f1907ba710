"""Side-by-side Markdown table of held-out scores (`vid2vid eval checkpoint` JSON) and, where given, diagnoses
(`vid2vid eval diagnose --out` JSON) of several runs.

python results/learning/compare_heldout.py LABEL=SCORES.json[,DIAGNOSE.json] ...   (repository root, PYTHONPATH=src)"""
import json
import sys

from vid2vid.evaluation.report import _table

COLUMNS = [("fid", "FID", 1), ("psnr", "PSNR", 2), ("ssim", "SSIM", 3), ("pose_error", "pose error", 2),
           ("landmark_error", "landmark error", 3), ("example_flow_epe", "EPE", 2), ("ghost_l1", "ghost L1", 4),
           ("other_background_l1", "other bg L1", 4), ("ghost_ratio", "ghost ratio", 2),
           ("background_drift", "drift", 3)]

rows: dict[str, dict] = {}
for arg in sys.argv[1:]:
    label, files = arg.split("=", 1)
    rows[label] = {}
    for path in files.split(","):
        with open(path) as f:
            rows[label].update(json.load(f))
print("\n".join(_table(rows, [c for c in COLUMNS if any(c[0] in r for r in rows.values())], "run")))
