"""Markdown table of per-class IoU (and accuracy, mIoU, FID) from `vid2vid eval checkpoint` JSONs of street models.

python results/learning/streets_more/class_iou_table.py LABEL=SCORES.json ...   (repository root, PYTHONPATH=src)"""
import json
import sys

from vid2vid.evaluation.report import _table

rows, classes = {}, []
for arg in sys.argv[1:]:
    label, path = arg.split("=", 1)
    with open(path) as f:
        scores = json.load(f)
    rows[label] = {**scores, **scores["class_iou"]}
    classes = classes or list(scores["class_iou"])
columns = [("pixel_accuracy", "acc", 3), ("miou", "mIoU", 3), ("fid", "FID", 1)] + [(c, c, 2) for c in classes]
print("\n".join(_table(rows, columns, "run")))
