"""Pixel accuracy and mIoU on known label maps; the small segmentation network trains, saves and loads."""

import math

import pytest
import torch

from vid2vid.data.labels import NUM_STREET_LABELS, UNLABELED
from vid2vid.metrics.segmentation import SegmentationStats, confusion_matrix, mean_iou, pixel_accuracy
from vid2vid.metrics.segmentation_net import SegmentationNet, load_segmentation_net, train_segmentation_net


def test_ground_truth_scores_one():
    labels = torch.randint(0, NUM_STREET_LABELS, (2, 16, 24), generator=torch.Generator().manual_seed(0))
    assert pixel_accuracy(labels, labels) == 1.0
    assert mean_iou(labels, labels) == 1.0


def test_hand_made_example():
    target = torch.tensor([[0, 0, 1], [1, 1, UNLABELED]])
    pred = torch.tensor([[0, 1, 1], [1, 1, 2]])  # one error; the unlabeled pixel is ignored whatever is predicted
    assert pixel_accuracy(pred, target) == pytest.approx(4 / 5)
    # class 0: inter 1, union 2; class 1: inter 3, union 4; class 2 never appears where it counts
    assert mean_iou(pred, target) == pytest.approx((1 / 2 + 3 / 4) / 2)
    m = confusion_matrix(pred, target)
    assert m.sum() == 5 and m[0, 1] == 1 and m[1, 1] == 3
    # predicting "unlabeled" on a labeled pixel is an error
    assert pixel_accuracy(torch.tensor([UNLABELED]), torch.tensor([0])) == 0.0


def test_stats_accumulate_over_frames_and_ignore_index_none():
    stats = SegmentationStats(num_classes=3, ignore_index=None)
    stats.update(torch.tensor([0, 1]), torch.tensor([0, 1]))
    stats.update(torch.tensor([2, 2]), torch.tensor([2, 1]))
    assert stats.pixels == 4 and stats.pixel_accuracy() == pytest.approx(3 / 4)
    assert stats.class_iou().tolist() == pytest.approx([1.0, 1 / 2, 1 / 2])
    assert stats.mean_iou() == pytest.approx(2 / 3)
    assert stats.named_iou(("road", "car", "sky")) == pytest.approx({"road": 1.0, "car": 1 / 2, "sky": 1 / 2})
    one_class = SegmentationStats(3, ignore_index=None).update(torch.tensor([0]), torch.tensor([0]))
    assert one_class.named_iou(("road", "car", "sky")) == {"road": 1.0}  # classes never seen are left out, not nan
    assert SegmentationStats(3, ignore_index=None).update(torch.tensor([0]), torch.tensor([0])).scores() == {
        "pixel_accuracy": 1.0, "miou": 1.0, "class_iou": {"road": 1.0}}  # the street names by default
    assert math.isnan(SegmentationStats(3).pixel_accuracy())
    with pytest.raises(ValueError):
        pixel_accuracy(torch.zeros(2, 2), torch.zeros(2, 3))


def test_segmentation_net_shapes_train_save_load(tiny_dataset, tmp_path):
    net = SegmentationNet(num_classes=5, width=4)
    assert net(torch.zeros(1, 3, 30, 42)).shape == (1, 5, 30, 42)  # any size
    path = tmp_path / "seg.safetensors"
    model = train_segmentation_net(tiny_dataset, steps=3, out=path, batch_size=2, width=4, crop=32, log=None)
    assert model.num_classes == 5 and path.is_file()
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    loaded = load_segmentation_net(path)
    assert torch.equal(loaded.predict(x), model.predict(x))
    assert model.predict(x).shape == (2, 32, 32)
