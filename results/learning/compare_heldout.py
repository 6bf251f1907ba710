"""Side-by-side Markdown table of held-out scores (`vid2vid eval checkpoint` JSON) and, where given, diagnoses
(`vid2vid eval diagnose --out` JSON) of several runs.

python results/learning/compare_heldout.py LABEL=SCORES.json[,DIAGNOSE.json] ...   (repository root)"""
import json
import sys

SCORES = [("FID", "fid", 1), ("PSNR", "psnr", 2), ("SSIM", "ssim", 3), ("pose error", "pose_error", 2),
          ("landmark error", "landmark_error", 3)]
DIAGNOSIS = [("EPE", "example_flow_epe", 2), ("ghost L1", "ghost_l1", 4), ("other bg L1", "other_background_l1", 4),
             ("ghost ratio", "ghost_ratio", 2), ("drift", "background_drift", 3)]

rows = []
for arg in sys.argv[1:]:
    label, files = arg.split("=", 1)
    values: dict = {}
    for path in files.split(","):
        with open(path) as f:
            values.update(json.load(f))
    rows.append((label, values))
columns = [c for c in SCORES + DIAGNOSIS if any(c[1] in v for _, v in rows)]
print("| run | " + " | ".join(name for name, _, _ in columns) + " |")
print("|---" * (len(columns) + 1) + "|")
for label, values in rows:
    cells = [f"{values[key]:.{digits}f}" if key in values else "" for _, key, digits in columns]
    print(f"| {label} | " + " | ".join(cells) + " |")
