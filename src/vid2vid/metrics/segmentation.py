"""Segmentation pixel accuracy and mean IoU (the paper's street metrics), from an accumulated confusion matrix.

Label maps are integer tensors (..., H, W) of ids ``0 .. num_classes - 1``. Pixels whose *ground-truth* id is
``ignore_index`` are left out of both metrics; by default that is the street label set's "unlabeled" id 19
(``vid2vid.data.labels.UNLABELED``, the Cityscapes convention of ignoring void pixels). A *prediction* of the ignored
id on a labeled pixel counts as an error. mIoU averages the IoU of every class except the ignored one whose union is
non-empty over everything accumulated (classes absent from both prediction and ground truth are skipped), computed
from the confusion matrix summed over the whole evaluation set, as Cityscapes does, not averaged per image.
"""

from __future__ import annotations

from typing import Sequence

import torch

from vid2vid.data.labels import NUM_STREET_LABELS, STREET_LABELS, UNLABELED


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, num_classes: int = NUM_STREET_LABELS,
                     ignore_index: int | None = UNLABELED) -> torch.Tensor:
    """(num_classes, num_classes) int64 counts, rows = ground truth, columns = prediction; ignored pixels dropped."""
    if pred.shape != target.shape:
        raise ValueError(f"prediction {tuple(pred.shape)} and ground truth {tuple(target.shape)} differ in shape")
    p, t = pred.reshape(-1).long(), target.reshape(-1).long()
    keep = (t >= 0) & (t < num_classes)
    if ignore_index is not None:
        keep &= t != ignore_index
    p, t = p[keep], t[keep]
    if ((p < 0) | (p >= num_classes)).any():
        raise ValueError(f"predicted ids must lie in 0..{num_classes - 1}")
    return torch.bincount(t * num_classes + p, minlength=num_classes**2).view(num_classes, num_classes).cpu()


class SegmentationStats:
    """Accumulates a confusion matrix over many frames; reads out pixel accuracy, per-class IoU and mIoU."""

    def __init__(self, num_classes: int = NUM_STREET_LABELS, ignore_index: int | None = UNLABELED) -> None:
        self.num_classes, self.ignore_index = num_classes, ignore_index
        self.matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)

    def update(self, pred: torch.Tensor, target: torch.Tensor) -> "SegmentationStats":
        self.matrix += confusion_matrix(pred, target, self.num_classes, self.ignore_index)
        return self

    @property
    def pixels(self) -> int:
        return int(self.matrix.sum())

    def pixel_accuracy(self) -> float:
        """Correct / labeled pixels (nan if nothing was labeled)."""
        total = self.matrix.sum()
        return float(self.matrix.diag().sum() / total) if total else float("nan")

    def class_iou(self) -> torch.Tensor:
        """(num_classes,) IoU per class, nan where the union is empty or the class is ignored."""
        m = self.matrix.double()
        inter = m.diag()
        union = m.sum(0) + m.sum(1) - inter
        iou = torch.where(union > 0, inter / union.clamp(min=1), torch.full_like(inter, float("nan")))
        if self.ignore_index is not None and 0 <= self.ignore_index < self.num_classes:
            iou[self.ignore_index] = float("nan")
        return iou

    def named_iou(self, names: Sequence[str] = STREET_LABELS) -> dict[str, float]:
        """{class name: IoU} of the classes mIoU averages (where a metric moves, per class; JSON has no nan)."""
        return {names[i]: float(v) for i, v in enumerate(self.class_iou()) if not torch.isnan(v)}

    def scores(self) -> dict:
        """The street scores of an evaluation: pixel accuracy, mIoU and the IoU of each class by name."""
        return {"pixel_accuracy": self.pixel_accuracy(), "miou": self.mean_iou(), "class_iou": self.named_iou()}

    def mean_iou(self) -> float:
        """Mean of the defined per-class IoUs (nan if none is defined)."""
        iou = self.class_iou()
        valid = ~torch.isnan(iou)
        return float(iou[valid].mean()) if valid.any() else float("nan")


def pixel_accuracy(pred: torch.Tensor, target: torch.Tensor, ignore_index: int | None = UNLABELED,
                   num_classes: int = NUM_STREET_LABELS) -> float:
    """Fraction of labeled pixels (ground truth != ``ignore_index``) whose predicted id is right."""
    return SegmentationStats(num_classes, ignore_index).update(pred, target).pixel_accuracy()


def mean_iou(pred: torch.Tensor, target: torch.Tensor, num_classes: int = NUM_STREET_LABELS,
             ignore_index: int | None = UNLABELED) -> float:
    """Mean intersection-over-union over the classes present in prediction or ground truth (module docstring)."""
    return SegmentationStats(num_classes, ignore_index).update(pred, target).mean_iou()
