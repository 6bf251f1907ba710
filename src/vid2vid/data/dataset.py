"""A map-style dataset of few-shot video samples, deterministic per (seed, epoch, index).

Works with DataLoader workers (no shared random state; memory maps opened lazily per process) and with
``DistributedSampler`` (plain integer indices). Call ``set_epoch`` to draw new examples each epoch.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vid2vid.config import DataConfig
from vid2vid.data.batch import VideoSample
from vid2vid.data.layout import KEYPOINT_COUNTS, DatasetMeta, clip_dirs, frame_name, read_clip_frames, read_meta, read_png
from vid2vid.data.semantics import encode_image, encode_semantic
from vid2vid.errors import UserError



@dataclass(frozen=True)
class ClipRef:
    path: Path
    domain: int  # index into the split's domain list
    frames: int


class FewShotVideoDataset(torch.utils.data.Dataset):
    """Every window of T frames (stride ``frame_stride``) of every clip in the split is one sample."""

    def __init__(self, cfg: DataConfig) -> None:
        self.cfg = cfg
        self.meta: DatasetMeta = read_meta(cfg.root)
        if cfg.split not in self.meta.splits:
            raise UserError(f"{cfg.root}: no split '{cfg.split}' in dataset.json (has {', '.join(self.meta.splits)})")
        self.domains = list(self.meta.splits[cfg.split])
        if cfg.max_domains:
            self.domains = self.domains[: cfg.max_domains]
        self.clips = [
            ClipRef(path, d, read_clip_frames(path))
            for d, name in enumerate(self.domains)
            for path in clip_dirs(cfg.root, cfg.split, name)
        ]
        if not self.clips:
            raise UserError(f"{cfg.root}/{cfg.split} holds no clips; run `vid2vid data check {cfg.root}`")
        self.span = (cfg.seq_len - 1) * cfg.frame_stride + 1
        longest = max(c.frames for c in self.clips)
        if self.span > longest:
            raise UserError(
                f"data.seq_len {cfg.seq_len} (stride {cfg.frame_stride}) needs clips of {self.span} frames, but the "
                f"longest clip in {cfg.root}/{cfg.split} has {longest}; lower seq_len or make longer clips"
            )
        self._check_examples_available()
        counts = [max(c.frames - self.span + 1, 0) for c in self.clips]
        self._starts = np.cumsum([0] + counts).tolist()
        self.epoch = 0
        self.keypoint_count = KEYPOINT_COUNTS.get(self.meta.keypoints or "", 0)

    def _check_examples_available(self) -> None:
        k = self.cfg.num_examples
        for d, name in enumerate(self.domains):
            clips = [c for c in self.clips if c.domain == d]
            available = max((c.frames for c in clips), default=0)
            if self.cfg.examples_from == "domain":
                available = sum(c.frames for c in clips)
            if available < k:
                where = "any clip" if self.cfg.examples_from == "clip" else "all clips"
                raise UserError(
                    f"data.num_examples K={k} but domain '{name}' in {self.cfg.root}/{self.cfg.split} has only "
                    f"{available} frames in {where}; lower num_examples or add frames"
                )

    def set_epoch(self, epoch: int) -> None:
        """Change the examples drawn for each index (the windows stay the same)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self._starts[-1]

    def locate(self, index: int) -> tuple[int, int]:
        """Sample index -> (clip index, first frame)."""
        if not 0 <= index < len(self):
            raise IndexError(index)
        clip = bisect.bisect_right(self._starts, index) - 1
        return clip, index - self._starts[clip]

    def _example_refs(self, rng: np.random.Generator, clip: int, window: set[int]) -> list[tuple[int, int]]:
        """K (clip, frame) pairs from the same clip or domain, outside the sampled window when possible."""
        ref = self.clips[clip]
        if self.cfg.examples_from == "clip":
            pool = [(clip, f) for f in range(ref.frames)]
        else:
            pool = [(i, f) for i, c in enumerate(self.clips) if c.domain == ref.domain for f in range(c.frames)]
        outside = [p for p in pool if not (p[0] == clip and p[1] in window)]
        if len(outside) >= self.cfg.num_examples:
            pool = outside
        picks = rng.choice(len(pool), size=self.cfg.num_examples, replace=len(pool) < self.cfg.num_examples)
        return [pool[i] for i in picks]

    def load_frame(self, clip: int, frame: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(semantic (C, H, W), image (3, H, W)) of one frame."""
        path, name = self.clips[clip].path, frame_name(frame)
        semantic = read_png(path / "semantic" / name, self.meta.semantic_file_channels)
        parts = read_png(path / "parts" / name, 3) if "parts" in self.meta.extras else None
        rgb = read_png(path / "rgb" / name, 3)
        if rgb.shape[:2] != (self.meta.height, self.meta.width):
            raise UserError(f"{path / 'rgb' / name} is {rgb.shape[1]}x{rgb.shape[0]}, dataset.json says "
                            f"{self.meta.width}x{self.meta.height}; run `vid2vid data check {self.cfg.root}`")
        return encode_semantic(self.meta, semantic, parts), encode_image(rgb)

    def load_flow(self, clip: int, frames: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher flow (T, 2, H, W) of each frame into its predecessor, and (T,) whether it is known."""
        h, w = self.meta.height, self.meta.width
        flow = torch.zeros(len(frames), 2, h, w)
        valid = torch.zeros(len(frames), dtype=torch.bool)
        path = self.clips[clip].path / "flow_bwd.npy"
        if not self.meta.has_flow or not path.exists():
            return flow, valid
        bwd = np.load(path, mmap_mode="r")
        for t, f in enumerate(frames):
            if f > 0:
                flow[t] = torch.from_numpy(np.asarray(bwd[f - 1], dtype=np.float32)).permute(2, 0, 1)
                valid[t] = True
        return flow, valid

    def load_keypoints(self, clip: int, frames: list[int]) -> torch.Tensor:
        """Keypoints (T, J, 3) of the frames; J = 0 when the dataset has none."""
        path = self.clips[clip].path / "keypoints.npy"
        if not self.keypoint_count or not path.exists():
            return torch.zeros(len(frames), 0, 3)
        kp = np.load(path, mmap_mode="r")
        return torch.from_numpy(np.asarray(kp[frames], dtype=np.float32))

    def __getitem__(self, index: int | tuple[int, int]) -> VideoSample:
        """``index`` or ``(index, draw)``: the draw number replaces the epoch in the examples' random seed, so a
        step-based sampler can vary examples per training step without touching worker state."""
        index, draw = index if isinstance(index, tuple) else (index, self.epoch)
        clip, start = self.locate(index)
        rng = np.random.default_rng(np.random.SeedSequence([self.cfg.seed, draw, index]))
        frames = [start + t * self.cfg.frame_stride for t in range(self.cfg.seq_len)]
        loaded = [self.load_frame(clip, f) for f in frames]
        examples = [self.load_frame(c, f) for c, f in self._example_refs(rng, clip, set(frames))]
        flow, valid = self.load_flow(clip, frames)
        return VideoSample(
            semantics=torch.stack([s for s, _ in loaded]),
            images=torch.stack([x for _, x in loaded]),
            flow=flow,
            flow_valid=valid,
            example_images=torch.stack([x for _, x in examples]),
            example_semantics=torch.stack([s for s, _ in examples]),
            keypoints=self.load_keypoints(clip, frames),
            domain=self.clips[clip].domain,
            clip=clip,
            start=start,
        )
