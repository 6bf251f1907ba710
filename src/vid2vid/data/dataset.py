"""A map-style dataset of few-shot video samples, deterministic per (seed, epoch, index).

Works with DataLoader workers (no shared random state; memory maps opened lazily per process) and with
``DistributedSampler`` (plain integer indices). Call ``set_epoch`` to draw new examples each epoch.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from vid2vid.config import DataConfig
from vid2vid.data.batch import VideoSample
from vid2vid.data.correspondence import (appearance_agrees, landmark_correspondence, object_correspondence,
                                         part_correspondence, sample_along, semantic_correspondence)
from vid2vid.data.face_sketch import N_LANDMARKS
from vid2vid.data.layout import (KEYPOINT_COUNTS, DatasetMeta, clip_dirs, frame_name, read_clip_frames, read_meta,
                                 read_png)
from vid2vid.data.semantics import encode_image, encode_semantic
from vid2vid.data.synth.affine import affine_flow
from vid2vid.errors import UserError

log = logging.getLogger("vid2vid")
MAX_SKIPS = 20  # consecutive unreadable samples before skip_bad gives up


@dataclass(frozen=True)
class ClipRef:
    path: Path
    domain: int  # index into the split's domain list
    frames: int


def chain_flows(flows: list[np.ndarray]) -> np.ndarray:
    """Compose backward flows (H, W, 2) f->f-1, f-1->f-2, ... into one flow f -> f-n (bilinear, border clamp)."""
    total = flows[0].astype(np.float32)  # a copy: the stored flows are float16 memory maps
    for nxt in flows[1:]:
        total += sample_along(nxt.astype(np.float32), total)
    return total


class FewShotVideoDataset(torch.utils.data.Dataset):
    """Every window of T frames (stride ``frame_stride``) of every clip in the split is one sample."""

    def __init__(self, cfg: DataConfig, correspondence: bool = True, skip_bad: bool = False) -> None:
        """``correspondence``: also return each example's flow to every frame (for models that warp examples);
        ``skip_bad``: replace a sample whose files fail to load by the next one instead of raising."""
        self.cfg = cfg
        self.correspondence = correspondence
        self.skip_bad = skip_bad
        self._object_maps: dict[int, tuple[np.ndarray, np.ndarray] | None] = {}  # per process, see _objects
        self.meta: DatasetMeta = read_meta(cfg.root)
        if cfg.split not in self.meta.splits:
            raise UserError(f"{cfg.root}: no split '{cfg.split}' in dataset.json (has {', '.join(self.meta.splits)})")
        self.domains = list(self.meta.splits[cfg.split])[cfg.skip_domains:]
        if cfg.max_domains:
            self.domains = self.domains[: cfg.max_domains]
        if not self.domains:
            raise UserError(f"{cfg.root}/{cfg.split} has {len(self.meta.splits[cfg.split])} domains: none left after "
                            f"skipping {cfg.skip_domains} (data.unpaired_domains reads the ones after max_domains)")
        self.clips = [
            ClipRef(path, d, read_clip_frames(path))
            for d, name in enumerate(self.domains)
            for path in clip_dirs(cfg.root, cfg.split, name)[: cfg.max_clips or None]
        ]
        if not self.clips:
            raise UserError(f"{cfg.root}/{cfg.split} holds no clips; run `vid2vid data check {cfg.root}`")
        self.strides = list(range(cfg.frame_stride, max(cfg.frame_stride, cfg.max_frame_stride) + 1))
        self.span = (cfg.seq_len - 1) * self.strides[-1] + 1
        longest = max(c.frames for c in self.clips)
        if self.span > longest:
            raise UserError(
                f"data.seq_len {cfg.seq_len} (stride {self.strides[-1]}) needs clips of {self.span} frames, but the "
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
            if self.cfg.examples_from != "clip":
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

    def _example_refs(self, rng: np.random.Generator, clip: int, window: list[int]) -> list[tuple[int, int]]:
        """K (clip, frame) pairs from another clip of the domain, the same clip or any clip (``examples_from``); frames
        within ``min_example_gap`` of the sampled window are avoided while enough others exist."""
        ref, k, gap = self.clips[clip], self.cfg.num_examples, self.cfg.min_example_gap
        domain = [(i, f) for i, c in enumerate(self.clips) if c.domain == ref.domain for f in range(c.frames)]
        far = [p for p in domain if p[0] != clip or min(abs(p[1] - w) for w in window) >= gap]
        mode = self.cfg.examples_from
        if mode == "other":
            pools = [[p for p in domain if p[0] != clip], [p for p in far if p[0] == clip], far, domain]
        elif mode == "clip":
            pools = [[p for p in far if p[0] == clip], [p for p in domain if p[0] == clip and p[1] not in window],
                     [p for p in domain if p[0] == clip]]
        else:
            pools = [far, domain]
        pool = next((p for p in pools if len(p) >= k), pools[-1])
        picks = rng.choice(len(pool), size=k, replace=len(pool) < k)
        return [pool[i] for i in picks]

    def __getstate__(self) -> dict:
        """Memory maps stay behind when the dataset is sent to a worker process (each opens its own)."""
        return {**self.__dict__, "_object_maps": {}}

    def _objects(self, clip: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The clip's per-frame object matrices and object-id maps (memory-mapped), or None when not stored. Opened
        once per clip and process: a sample asks for them T x K times."""
        if clip not in self._object_maps:
            path = self.clips[clip].path
            maps = None
            if (path / "objects.npy").exists() and (path / "object_ids.npy").exists():
                maps = np.load(path / "objects.npy", mmap_mode="r"), np.load(path / "object_ids.npy", mmap_mode="r")
            self._object_maps[clip] = maps
        return self._object_maps[clip]

    def load_correspondence(self, clip: int, frame: int, example_clip: int, example_frame: int
                            ) -> tuple[torch.Tensor, torch.Tensor]:
        """Flow (2, H, W) from a target frame to an example frame of the same domain (``warp(example, flow)`` gives
        the target) and its validity (1, H, W) in {0, 1}: exact from stored objects, else from part maps, else (face
        data) from the landmarks on the face and DIS elsewhere, else DIS between the semantic maps
        (``data.correspondence``)."""
        target, example = self._objects(clip), self._objects(example_clip)
        channels = self.meta.semantic_file_channels
        if target is not None and example is not None:
            flow, valid = object_correspondence(target[1][frame], target[0][frame], example[1][example_frame],
                                                example[0][example_frame])
        elif "parts" in self.meta.extras:
            flow, valid = part_correspondence(self._read(clip, "parts", frame, 3),
                                              self._read(example_clip, "parts", example_frame, 3))
        elif (points := self._face_landmarks((clip, frame), (example_clip, example_frame))) is not None:
            flow, valid = landmark_correspondence(self._read(clip, "semantic", frame, channels),
                                                  self._read(example_clip, "semantic", example_frame, channels),
                                                  *points)
        else:
            flow, valid = semantic_correspondence(self._read(clip, "semantic", frame, channels),
                                                  self._read(example_clip, "semantic", example_frame, channels))
        if target is None or example is None:
            valid &= appearance_agrees(self._read(clip, "rgb", frame, 3),
                                       self._read(example_clip, "rgb", example_frame, 3), flow)
        return (torch.from_numpy(np.ascontiguousarray(flow)).permute(2, 0, 1),
                torch.from_numpy(valid.astype(np.float32))[None])

    def _face_landmarks(self, *frames: tuple[int, int]) -> list[np.ndarray] | None:
        """The (68, 3) face landmarks of each (clip, frame), or None where the data keeps none."""
        if self.keypoint_count != N_LANDMARKS:
            return None
        points = [self.load_keypoints(clip, [frame])[0].numpy() for clip, frame in frames]
        return points if all(len(p) == N_LANDMARKS for p in points) else None

    def _read(self, clip: int, folder: str, frame: int, channels: int) -> np.ndarray:
        return read_png(self.clips[clip].path / folder / frame_name(frame), channels)

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
        """Teacher flow (T, 2, H, W) of each frame into the one before it in ``frames`` (consecutive or not), and
        (T,) whether it is known. Steps over several frames: exact from stored objects, else the stored
        consecutive flows chained (``warp(prev, flow)`` approximates the frame either way)."""
        h, w = self.meta.height, self.meta.width
        flow = torch.zeros(len(frames), 2, h, w)
        valid = torch.zeros(len(frames), dtype=torch.bool)
        path = self.clips[clip].path / "flow_bwd.npy"
        if not self.meta.has_flow or not path.exists():
            return flow, valid
        bwd = np.load(path, mmap_mode="r")  # bwd[g - 1]: frame g -> g - 1
        objects = self._objects(clip)
        for t, f in enumerate(frames):
            prev = frames[t - 1] if t else f - 1  # a window that does not start the clip knows its first flow too
            if prev < 0:
                continue
            if f - prev == 1 or objects is None:
                step = chain_flows([bwd[g - 1] for g in range(f, prev, -1)])
            else:
                mats = objects[0]
                step = affine_flow(objects[1][f].astype(np.intp), mats[f].astype(np.float64),
                                   mats[prev].astype(np.float64))
            flow[t] = torch.from_numpy(step).permute(2, 0, 1)
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
        step-based sampler can vary examples per training step without touching worker state. With ``skip_bad``, a
        sample whose files fail to load is replaced by the next one (a warning names the file; ``skipped`` counts)."""
        index, draw = index if isinstance(index, tuple) else (index, self.epoch)
        if not self.skip_bad:
            return self._sample(index, draw)
        for tries in range(min(len(self), MAX_SKIPS)):
            try:
                return replace(self._sample((index + tries) % len(self), draw), skipped=tries)
            except UserError as err:
                log.warning(f"skipped a training sample: {err}")
        raise UserError(f"{MAX_SKIPS} training samples in a row failed to load; run `vid2vid data check "
                        f"{self.cfg.root}`")

    def _sample(self, index: int, draw: int) -> VideoSample:
        clip, start = self.locate(index)
        rng = np.random.default_rng(np.random.SeedSequence([self.cfg.seed, draw, index]))
        stride = int(rng.choice(self.strides)) if len(self.strides) > 1 else self.strides[0]
        frames = [start + t * stride for t in range(self.cfg.seq_len)]  # the window fits the largest stride
        loaded = [self.load_frame(clip, f) for f in frames]
        refs = self._example_refs(rng, clip, frames)
        examples = [self.load_frame(c, f) for c, f in refs]
        flow, valid = self.load_flow(clip, frames)
        h, w = self.meta.height, self.meta.width
        ex_flow, ex_valid = torch.zeros(len(frames), 0, 2, h, w), torch.zeros(len(frames), 0, 1, h, w)
        if self.correspondence:
            pairs = [[self.load_correspondence(clip, f, c, e) for c, e in refs] for f in frames]
            ex_flow = torch.stack([torch.stack([p[0] for p in row]) for row in pairs])
            ex_valid = torch.stack([torch.stack([p[1] for p in row]) for row in pairs])
        return VideoSample(
            semantics=torch.stack([s for s, _ in loaded]),
            images=torch.stack([x for _, x in loaded]),
            flow=flow,
            flow_valid=valid,
            example_images=torch.stack([x for _, x in examples]),
            example_semantics=torch.stack([s for s, _ in examples]),
            example_flow=ex_flow,
            example_valid=ex_valid,
            keypoints=self.load_keypoints(clip, frames),
            domain=self.clips[clip].domain,
            clip=clip,
            start=start,
        )
