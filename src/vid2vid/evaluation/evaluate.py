"""Score one generator on the held-out (test) domains of a dataset.

Protocol: for every test clip (up to ``max_clips``), the K examples are frames spread evenly over *another* clip of the
same held-out domain (the same clip when the domain has only one), and the clip's semantic maps drive the generator
frame by frame (the shared ``unroll``, examples encoded once). Generated frames are compared with the real frames:
FID (Inception pool features, all generated vs all real test frames of the evaluated clips), PSNR / SSIM, warping
error with the exact flow, identity drift (first vs last frames), and the task metric: pose error (our keypoint
detector on generated frames vs the driving keypoints, pixels at the dataset resolution) for pose, landmark error (the
same detector trained on 68 facial landmarks) for faces, pixel accuracy and mIoU (our segmentation net on generated
frames vs the driving labels) for cities; the task registry says which. For pose data with body parts, the face
region too (what Everybody Dance Now's face refinement is for): PSNR of a square around the head (found in the
driving map's part channel, as the face refiner does) and the keypoint error of the head joints (nose, eyes, ears).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vid2vid import tasks
from vid2vid.config import DataConfig
from vid2vid.data.dataset import FewShotVideoDataset
from vid2vid.data.face_sketch import N_LANDMARKS
from vid2vid.data.landmark_flow import every_landmark_flow
from vid2vid.data.layout import frame_name, read_png
from vid2vid.data.skeleton import JOINT_NAMES
from vid2vid.errors import UserError
from vid2vid.inference.finetune import adapted_copy
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import (FeatureStats, InceptionFeatures, PoseErrorStats, SegmentationStats, WarpingErrorStats,
                             fid_from_stats, psnr, ssim)
from vid2vid.metrics.image_quality import psnr_from_mse
from vid2vid.metrics.temporal import feature_drift
from vid2vid.models.discriminator import crop_boxes
from vid2vid.models.face_refiner import head_boxes
from vid2vid.models.outputs import FrameOutput
from vid2vid.models.unroll import unroll


HEAD_JOINTS = [JOINT_NAMES.index(n) for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")]
FACE_CROP = 32  # pixels of the head square the face PSNR compares (resampled from the frame)
MIN_FID_FRAMES = 2  # the covariance of fewer features is undefined
WEAK_FID_FRAMES = 100  # below this, FID says little beyond a comparison at the same count
log = logging.getLogger(__name__)
_warned: set[int] = set()


@dataclass
class Detectors:
    """The metric networks: a keypoint net and a segmentation net (either may be None)."""

    keypoints: torch.nn.Module | None = None
    segmentation: torch.nn.Module | None = None


@dataclass(frozen=True)
class Finetune:
    """Test-time finetuning before each held-out clip: Adam ``steps`` on its K examples at learning rate ``lr``."""

    steps: int = 0
    lr: float = 1e-4
    leave_one_out: bool = True  # each example drawn from the others (inference/finetune.py)


def test_split(root: str | Path) -> FewShotVideoDataset:
    """The held-out domains of ``root``, frame by frame."""
    return FewShotVideoDataset(DataConfig(root=str(root), split="test", seq_len=1, num_examples=1))


def scored_clips(root: str | Path, max_clips: int, held_out_motions: int = 0) -> tuple[FewShotVideoDataset, list[int]]:
    """The clips a checkpoint is scored on: the first ``max_clips`` of the test split, or with ``held_out_motions`` N
    (a single-person model trained with data.max_domains 1, data.max_clips N) the first training domain's clips from
    the N+1-th on, the motions that person's training left out."""
    if not held_out_motions:
        ds = test_split(root)
        return ds, list(range(len(ds.clips)))[:max_clips]
    ds = FewShotVideoDataset(DataConfig(root=str(root), split="train", seq_len=1, num_examples=1, max_domains=1))
    clips = list(range(len(ds.clips)))[held_out_motions:][:max_clips]
    if not clips:
        raise UserError(f"the first training domain of {root} has {len(ds.clips)} clips: none is left after the "
                        f"first {held_out_motions}")
    return ds, clips


def check_compatible(pipe: Pipeline, ds: FewShotVideoDataset) -> None:
    """A UserError unless ``pipe`` was trained on data of the dataset's task, semantic encoding and frame size."""
    have, want = ds.meta, pipe.meta
    if (have.task, have.semantic_channels, have.height, have.width) != (want.task, want.semantic_channels,
                                                                        want.height, want.width):
        raise UserError(f"{pipe.source} was trained on {want.kind} ({want.task}, {want.semantic_channels} semantic "
                        f"channels, {want.width}x{want.height}) but {ds.cfg.root} holds {have.kind} ({have.task}, "
                        f"{have.semantic_channels} channels, {have.width}x{have.height}); score it on data of its "
                        f"task and size")


def keypoint_metric(ds: FewShotVideoDataset) -> str:
    """Result key of the keypoint error (the task registry's: body joints, facial landmarks, ...)."""
    return tasks.get(ds.meta.task).keypoint_metric or "keypoint_error"


def example_frames(ds: FewShotVideoDataset, clip: int, k: int, draw: int = 0) -> list[tuple[int, int]]:
    """(clip, frame) of the K examples for ``clip``: with ``draw`` 0 spread evenly over the first other clip of its
    domain; with ``draw`` N >= 1 another clip of the domain and K frames of it drawn at random, the same for every
    model given N and the clip, a larger K's examples including a smaller K's. The draws measure how much a score
    depends on which examples a user happens to give (a 0.1 px move of the pose error with K is noise if another draw
    of the same K moves it as much)."""
    same = [i for i, c in enumerate(ds.clips) if c.domain == ds.clips[clip].domain and i != clip] or [clip]
    if draw == 0:
        frames = ds.clips[same[0]].frames
        return [(same[0], int(f)) for f in np.linspace(0, frames - 1, k).round()]
    rng = np.random.default_rng([draw, clip])
    source = same[int(rng.integers(len(same)))]
    frames = ds.clips[source].frames
    order = np.resize(rng.permutation(frames), k)  # (repeats frames only when K exceeds the clip's length)
    return [(source, int(f)) for f in np.sort(order)]


def landmark_flows(ds: FewShotVideoDataset, clip: int, k: int, count: int, draw: int = 0
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """The flows (count, K, 2, H, W) and validity (count, K, 1, H, W) of a clip's first ``count`` frames to its K
    examples (``example_frames``), fitted from the dataset's face landmarks (example_flow "landmarks")."""
    return every_landmark_flow(ds.load_keypoints(clip, list(range(count))).numpy(),
                               example_landmarks(ds, clip, k, draw), ds.meta.height, ds.meta.width)


def example_landmarks(ds: FewShotVideoDataset, clip: int, k: int, draw: int = 0) -> np.ndarray:
    """The (K, 68, 3) face landmarks of a clip's examples (``example_frames``)."""
    if ds.keypoint_count != N_LANDMARKS:
        raise UserError(f"{ds.cfg.root}: example flow 'landmarks' reads {N_LANDMARKS} face landmarks per frame "
                        f"(keypoints.npy); this dataset has {ds.keypoint_count} (use --example-flow learned)")
    return np.stack([ds.load_keypoints(c, [f])[0].numpy() for c, f in example_frames(ds, clip, k, draw)])


def unroll_clip(pipe: Pipeline, ds: FewShotVideoDataset, clip: int, k: int, count: int,
                finetune: Finetune = Finetune(), draw: int = 0
                ) -> tuple[list[FrameOutput], torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Drive ``pipe`` with the first ``count`` frames of a test clip and its K examples (``example_frames``): every
    frame's FrameOutput, and the real frames, semantics (count, C, H, W) and examples (K, 3, H, W) (None for a
    model without examples); ``draw`` picks the examples (``example_frames``). With ``finetune`` steps a copy of the
    generator is first finetuned on the clip's examples (test-time finetuning, as ``generate --finetune``); ``pipe``
    is untouched."""
    loaded = [ds.load_frame(clip, f) for f in range(count)]
    semantics = torch.stack([s for s, _ in loaded])
    real = torch.stack([x for _, x in loaded])
    examples = (None, None)
    if pipe.uses_examples:
        pairs = [ds.load_frame(c, f) for c, f in example_frames(ds, clip, k, draw)]
        examples = (torch.stack([x for _, x in pairs]).unsqueeze(0), torch.stack([s for s, _ in pairs]).unsqueeze(0))
    examples = tuple(e.to(pipe.device) if e is not None else None for e in examples)
    model = pipe.model
    if finetune.steps and examples[0] is not None:
        points = example_landmarks(ds, clip, k, draw) if pipe.uses_landmarks else None
        model = adapted_copy(pipe.train_model, *examples, finetune.steps, finetune.lr, finetune.leave_one_out, points)
    given = landmark_flows(ds, clip, k, count, draw) if pipe.uses_landmarks else None
    if given is not None:
        given = tuple(x.unsqueeze(0).to(pipe.device) for x in given)
    outs = unroll(model, semantics.unsqueeze(0).to(pipe.device), *examples, part_flows=given)
    return outs, real, semantics, None if examples[0] is None else examples[0][0].cpu()


def generate_clip(pipe: Pipeline, ds: FewShotVideoDataset, clip: int, k: int, count: int,
                  finetune: Finetune = Finetune(), draw: int = 0
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """``unroll_clip`` with the generated frames stacked: (fake, real, semantics, examples), frames in [-1, 1]."""
    outs, real, semantics, examples = unroll_clip(pipe, ds, clip, k, count, finetune, draw)
    fake = torch.stack([o.image[0].float().cpu().clamp(-1, 1) for o in outs])
    return fake, real, semantics, examples


def _labels(ds: FewShotVideoDataset, clip: int, count: int) -> torch.Tensor:
    path = ds.clips[clip].path / "semantic"
    return torch.stack([torch.from_numpy(read_png(path / frame_name(i), 1)[:, :, 0].astype(np.int64))
                        for i in range(count)])


@torch.no_grad()
def evaluate(pipe: Pipeline, root: str | Path, k: int, detectors: Detectors, max_clips: int = 8,
             max_frames: int = 32, inception: InceptionFeatures | None = None, held_out_motions: int = 0,
             finetune: Finetune = Finetune(), example_draw: int = 0) -> dict[str, float]:
    """Metrics of ``pipe``'s generator with K examples (see module docstring) over the clips ``scored_clips`` picks:
    the test split's, or with ``held_out_motions`` N a single-person model's left-out motions. ``finetune``: adapt a
    copy of the generator to each clip's examples first (test-time finetuning). ``example_draw``: which examples
    (``example_frames``; 0, the default, is the benchmark's)."""
    ds, clips = scored_clips(root, max_clips, held_out_motions)
    check_compatible(pipe, ds)
    inception = inception or InceptionFeatures()
    real_stats, fake_stats = FeatureStats(), FeatureStats()
    pose, seg, warp_err = PoseErrorStats(), SegmentationStats(ds.meta.num_labels or 20), WarpingErrorStats()
    psnrs, ssims, drifts = [], [], []
    face_pose, face_mse = PoseErrorStats(), []
    faces = has_heads(ds)
    for clip in clips:
        count = min(ds.clips[clip].frames, max_frames)
        fake, real, semantics, _ = generate_clip(pipe, ds, clip, k, count, finetune, example_draw)
        real_feats, fake_feats = inception(real), inception(fake)
        real_stats.update(real_feats)
        fake_stats.update(fake_feats)
        drifts.append(clip_drift(fake_feats))
        psnrs.append(float(psnr(fake, real).mean()))
        ssims.append(float(ssim(fake, real).mean()))
        flow, valid = ds.load_flow(clip, list(range(count)))
        warp_err.update(fake, real, flow, valid)
        if detectors.keypoints is not None and ds.keypoint_count:
            driving = ds.load_keypoints(clip, list(range(count)))
            detected = detectors.keypoints.detect(fake)
            pose.update(detected, driving)
            if faces:
                face_pose.update(detected[:, HEAD_JOINTS], driving[:, HEAD_JOINTS])
        if faces:
            face_mse += head_mse(fake, real, semantics)
        if detectors.segmentation is not None and ds.meta.semantic == "labels":
            seg.update(detectors.segmentation.predict(fake), _labels(ds, clip, count))
    if fake_stats.count < MIN_FID_FRAMES:
        raise UserError(f"{fake_stats.count} generated frame(s) cannot give an FID (it needs at least "
                        f"{MIN_FID_FRAMES}); score more --clips / --frames")
    if fake_stats.count < WEAK_FID_FRAMES and fake_stats.count not in _warned:  # once per count and process
        _warned.add(fake_stats.count)
        log.warning(f"warning: FID from {fake_stats.count} frames is strongly biased (the usual is thousands); compare "
                    "it only with scores from the same number of frames")
    result = {"fid": fid_from_stats(real_stats, fake_stats), "psnr": float(np.mean(psnrs)),
              "ssim": float(np.mean(ssims)), "warp_error": warp_err.value, "identity_drift": float(np.mean(drifts)),
              "frames": fake_stats.count, "clips": len(clips), "k": k}
    if finetune.steps and pipe.uses_examples:
        result.update({"finetune_steps": finetune.steps, "finetune_lr": finetune.lr,
                       "finetune_leave_one_out": finetune.leave_one_out})
    if example_draw and pipe.uses_examples:
        result["example_draw"] = example_draw
    if pose.count:
        result.update({keypoint_metric(ds): pose.mean, "pose_detection_rate": pose.detection_rate})
    if seg.pixels:
        result.update(seg.scores())
    if face_mse:
        result["face_psnr"] = psnr_from_mse(float(np.mean(face_mse)))
    if face_pose.count:
        result["face_pose_error"] = face_pose.mean
    return result


def has_heads(ds: FewShotVideoDataset) -> bool:
    """Whether the data's maps show body parts with a head (the part channel ``head_boxes`` reads) and COCO-18
    keypoints (whose head joints ``HEAD_JOINTS`` index)."""
    return ds.meta.semantic == "skeleton" and "parts" in ds.meta.extras and ds.meta.keypoints == "coco18"


def head_mse(fake: torch.Tensor, real: torch.Tensor, semantics: torch.Tensor) -> list[float]:
    """Mean squared error on [0, 1] of a FACE_CROP square around the head, per frame whose map shows a head."""
    boxes, present = head_boxes(semantics)
    if not bool(present.any()):
        return []
    boxes, fake, real = boxes[present], fake[present], real[present]
    crops = [crop_boxes(x, boxes, FACE_CROP) for x in (fake, real)]
    return ((crops[0] - crops[1]) / 2).pow(2).flatten(1).mean(1).tolist()


def clip_drift(features: torch.Tensor) -> float:
    """Identity drift of one clip from its frames' features (T, D): the cosine distance between the mean features of
    its first and of its last quarter."""
    return feature_drift(features, max(1, len(features) // 4))


@torch.no_grad()
def detector_floor(root: str | Path, detectors: Detectors, max_clips: int = 8, max_frames: int = 32,
                   inception: InceptionFeatures | None = None) -> dict[str, float]:
    """The metric networks on the *real* test frames: the best any generator can score (pose error floor,
    segmentation accuracy ceiling). With ``inception``, also the real clips' own identity drift (``clip_drift``): how
    much a faithful video's look changes from its first to its last quarter, the level a generator's drift compares
    with (not a bound: a frozen look scores 0)."""
    ds = test_split(root)
    pose, seg, face_pose = PoseErrorStats(), SegmentationStats(ds.meta.num_labels or 20), PoseErrorStats()
    faces = has_heads(ds)
    drifts = []
    for clip in range(len(ds.clips))[:max_clips]:
        count = min(ds.clips[clip].frames, max_frames)
        real = torch.stack([ds.load_frame(clip, f)[1] for f in range(count)])
        if inception is not None:
            drifts.append(clip_drift(inception(real)))
        if detectors.keypoints is not None and ds.keypoint_count:
            detected, driving = detectors.keypoints.detect(real), ds.load_keypoints(clip, list(range(count)))
            pose.update(detected, driving)
            if faces:
                face_pose.update(detected[:, HEAD_JOINTS], driving[:, HEAD_JOINTS])
        if detectors.segmentation is not None and ds.meta.semantic == "labels":
            seg.update(detectors.segmentation.predict(real), _labels(ds, clip, count))
    out: dict[str, float] = {}
    if pose.count:
        out[keypoint_metric(ds)] = pose.mean
    if face_pose.count:
        out["face_pose_error"] = face_pose.mean
    if seg.pixels:
        out.update(seg.scores())
    if drifts:
        out["identity_drift"] = float(np.mean(drifts))
    return out
