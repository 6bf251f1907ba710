"""Markdown table of per-class IoU (and accuracy, mIoU, FID) from `vid2vid eval checkpoint` JSONs of street models.

python results/learning/streets_more/class_iou_table.py LABEL=SCORES.json ...   (repository root)"""
import json
import sys

rows = {}
for arg in sys.argv[1:]:
    label, path = arg.split("=", 1)
    with open(path) as f:
        rows[label] = json.load(f)
classes = [c for c in next(iter(rows.values()))["class_iou"]]
head = ["run", "acc", "mIoU", "FID"] + classes
print("| " + " | ".join(head) + " |")
print("|---" * len(head) + "|")
for label, r in rows.items():
    cells = [label, f"{r['pixel_accuracy']:.3f}", f"{r['miou']:.3f}", f"{r['fid']:.1f}"]
    cells += [f"{r['class_iou'][c]:.2f}" if c in r["class_iou"] else "-" for c in classes]
    print("| " + " | ".join(cells) + " |")
