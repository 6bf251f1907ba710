import cv2
import numpy as np
import pytest
import torch

from vid2vid.config import DataConfig
from vid2vid.data.batch import VideoBatch, collate_samples
from vid2vid.data.dataset import FewShotVideoDataset
from vid2vid.errors import UserError


def test_sample_shapes_and_batch(tiny_dataset):
    ds = FewShotVideoDataset(DataConfig(root=str(tiny_dataset), seq_len=3, num_examples=2))
    assert len(ds) == 2 * 2 * (6 - 3 + 1)  # 2 train domains x 2 clips x 4 windows
    s = ds[0]
    assert s.semantics.shape == (3, 5, 32, 32) and s.images.shape == (3, 3, 32, 32)
    assert s.example_images.shape == (2, 3, 32, 32) and s.example_semantics.shape == (2, 5, 32, 32)
    assert torch.allclose(s.semantics.sum(1), torch.ones(3, 32, 32))  # one-hot
    assert s.images.min() >= -1 and s.images.max() <= 1
    assert s.flow_valid.tolist() == [False, True, True]  # window starts at frame 0
    batch = collate_samples([ds[i] for i in range(4)])
    assert isinstance(batch, VideoBatch) and batch.semantics.shape == (4, 3, 5, 32, 32)
    assert batch.to("cpu").domain.shape == (4,)


def test_flow_warps_previous_frame_onto_current(tiny_dataset):
    ds = FewShotVideoDataset(DataConfig(root=str(tiny_dataset), seq_len=2))
    s = ds[1]
    prev = s.images[0].permute(1, 2, 0).numpy()
    cur = s.images[1].permute(1, 2, 0).numpy()
    flow = s.flow[1].permute(1, 2, 0).numpy()
    ys, xs = np.mgrid[0:32, 0:32].astype(np.float32)
    warped = cv2.remap(prev, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    labels_prev = s.semantics[0].argmax(0).numpy().astype(np.float32)
    labels_cur = s.semantics[1].argmax(0).numpy()
    seen = cv2.remap(labels_prev, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_NEAREST) == labels_cur
    assert seen.mean() > 0.95  # only the disoccluded column behind the square differs
    assert np.abs(warped - cur)[seen].max() < 1e-3


def test_deterministic_and_epoch_changes_examples(tiny_dataset):
    cfg = DataConfig(root=str(tiny_dataset), seq_len=2, num_examples=3, examples_from="domain", seed=5)
    a, b = FewShotVideoDataset(cfg), FewShotVideoDataset(cfg)
    assert torch.equal(a[3].example_images, b[3].example_images)
    picks = set()
    for epoch in range(6):
        a.set_epoch(epoch)
        picks.add(a[3].example_images.numpy().tobytes())
    assert len(picks) > 1


def test_examples_come_from_same_clip_and_domain(tiny_dataset):
    ds = FewShotVideoDataset(DataConfig(root=str(tiny_dataset), seq_len=2, num_examples=2))
    for i in range(len(ds)):
        s = ds[i]
        # background grey level encodes the domain, the square's green the clip
        assert torch.all(s.example_images[:, :, 0, 0] == s.images[0, :, 0, 0])


def test_works_with_workers_and_distributed_sampler(tiny_dataset):
    ds = FewShotVideoDataset(DataConfig(root=str(tiny_dataset), seq_len=2))
    sampler = torch.utils.data.distributed.DistributedSampler(ds, num_replicas=2, rank=1, shuffle=True, seed=0)
    loader = torch.utils.data.DataLoader(ds, batch_size=3, sampler=sampler, num_workers=2, collate_fn=collate_samples)
    batches = list(loader)
    assert sum(b.images.shape[0] for b in batches) == len(ds) // 2


def test_impossible_requests_fail_clearly(tiny_dataset):
    with pytest.raises(UserError, match="seq_len 7"):
        FewShotVideoDataset(DataConfig(root=str(tiny_dataset), seq_len=7))
    with pytest.raises(UserError, match="num_examples K=7"):  # 6 frames per clip
        FewShotVideoDataset(DataConfig(root=str(tiny_dataset), num_examples=7, examples_from="clip"))
    with pytest.raises(UserError, match="num_examples K=13"):  # 2 clips of 6 frames per domain
        FewShotVideoDataset(DataConfig(root=str(tiny_dataset), num_examples=13))
    with pytest.raises(UserError, match="not found"):
        FewShotVideoDataset(DataConfig(root=str(tiny_dataset / "nope")))
