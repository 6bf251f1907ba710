"""The data doctor: walk a dataset folder and report every problem in plain words, with the path and the fix."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from tqdm import tqdm

from vid2vid.data.layout import (CLIP_FILE, KEYPOINT_COUNTS, DatasetMeta, clip_dirs, frame_name, read_clip_frames,
                                 read_meta)
from vid2vid.errors import UserError



@dataclass(frozen=True)
class Problem:
    path: str  # the file or folder concerned
    what: str  # what is wrong
    fix: str  # what to do about it

    def __str__(self) -> str:
        return f"{self.path}: {self.what}. Fix: {self.fix}"


REGENERATE = "regenerate this clip (or the dataset) with `vid2vid data synth` / re-run the preparation"


def _check_image(path: Path, meta: DatasetMeta, channels: int, kind: str) -> Iterator[Problem]:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        yield Problem(str(path), "cannot be read as an image (corrupt or not a PNG)", REGENERATE)
        return
    h, w = image.shape[:2]
    if (h, w) != (meta.height, meta.width):
        yield Problem(str(path), f"is {w}x{h} but dataset.json says {meta.width}x{meta.height}",
                      "resize it to the dataset size or regenerate it")
    c = 1 if image.ndim == 2 else image.shape[2]
    if c != channels:
        yield Problem(str(path), f"has {c} channels, expected {channels} for {kind}", REGENERATE)
        return
    if kind == "semantic" and meta.semantic == "labels" and image.max() >= meta.num_labels:
        bad = sorted(int(v) for v in np.unique(image) if v >= meta.num_labels)
        yield Problem(str(path), f"has label values {bad[:5]} outside 0..{meta.num_labels - 1}",
                      "relabel with the dataset's label set (see dataset.json label_names)")
    if kind == "parts" and image.ndim == 3 and image[:, :, 2].max() > meta.num_parts:  # BGR: index is channel 2
        yield Problem(str(path), f"has part index {int(image[:, :, 2].max())} > num_parts {meta.num_parts}", REGENERATE)


def _check_array(path: Path, shape: tuple[int, ...]) -> Iterator[Problem]:
    if not path.exists():
        yield Problem(str(path), "is missing", REGENERATE)
        return
    try:
        arr = np.load(path, mmap_mode="r")
    except (ValueError, OSError, EOFError) as err:
        yield Problem(str(path), f"cannot be read ({err})", REGENERATE)
        return
    if arr.shape != shape:
        yield Problem(str(path), f"has shape {arr.shape}, expected {shape}", REGENERATE)
    elif not np.isfinite(np.asarray(arr[: min(len(arr), 64)], dtype=np.float32)).all():
        yield Problem(str(path), "contains NaN or infinite values", REGENERATE)


def check_clip(clip: Path, meta: DatasetMeta) -> tuple[int, list[Problem]]:
    """Problems of one clip folder; returns (frame count, problems)."""
    problems: list[Problem] = []
    try:
        frames = int(json.loads((clip / CLIP_FILE).read_text(encoding="utf-8"))["frames"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0, [Problem(str(clip / CLIP_FILE), "is missing or broken (the clip was not finished)", REGENERATE)]
    folders = {"rgb": 3, "semantic": meta.semantic_file_channels}
    folders.update({e: (3 if e == "parts" else 1) for e in meta.extras})
    for name, channels in folders.items():
        folder = clip / name
        if not folder.is_dir():
            problems.append(Problem(str(folder), "folder is missing", REGENERATE))
            continue
        expected = {frame_name(i) for i in range(frames)}
        present = {p.name for p in folder.iterdir()}
        missing = sorted(expected - present)
        if missing:
            problems.append(Problem(str(folder / missing[0]),
                                    f"frame missing ({len(missing)} of {frames} missing in {name}/)",
                                    "restore the missing frames or regenerate the clip"))
        extra = sorted(present - expected)
        if extra:
            problems.append(Problem(str(folder / extra[0]),
                                    f"unexpected file ({len(extra)} extra in {name}/; clip.json says {frames} frames)",
                                    "remove stray files or fix the frame count in clip.json"))
        for n in sorted(expected & present):
            problems.extend(_check_image(folder / n, meta, channels, name))
    if meta.has_flow and frames > 1:
        for name in ("flow_fwd.npy", "flow_bwd.npy"):
            problems.extend(_check_array(clip / name, (frames - 1, meta.height, meta.width, 2)))
    if meta.keypoints:
        problems.extend(_check_array(clip / "keypoints.npy", (frames, KEYPOINT_COUNTS.get(meta.keypoints, 0), 3)))
    objects, ids = clip / "objects.npy", clip / "object_ids.npy"
    if objects.exists() != ids.exists():
        present, absent = (objects, ids) if objects.exists() else (ids, objects)
        problems.append(Problem(str(absent), f"is missing while {present.name} exists (the exact example "
                                "correspondence needs both)", REGENERATE))
    elif objects.exists():
        try:
            count = np.load(objects, mmap_mode="r").shape[1]
        except (OSError, ValueError, EOFError, IndexError) as err:
            problems.append(Problem(str(objects), f"cannot be read ({err})", REGENERATE))
        else:
            problems.extend(_check_array(objects, (frames, count, 2, 3)))
            problems.extend(_check_array(ids, (frames, meta.height, meta.width)))
    return frames, problems


def check_dataset(root: str | Path, num_examples: int = 1, seq_len: int = 1, progress: bool = True) -> list[Problem]:
    """Every problem found in the dataset at ``root`` (empty list when clean)."""
    root = Path(root)
    try:
        meta = read_meta(root)
    except UserError as err:
        return [Problem(str(root), str(err), "fix or regenerate dataset.json")]
    problems: list[Problem] = []
    clips = []
    for split, domains in meta.splits.items():
        if not (root / split).is_dir():
            problems.append(Problem(str(root / split), "split folder listed in dataset.json is missing", REGENERATE))
            continue
        listed = set(domains)
        for d in sorted(p.name for p in (root / split).iterdir() if p.is_dir()):
            if d not in listed:
                problems.append(Problem(str(root / split / d), "domain folder not listed in dataset.json",
                                        "add it to dataset.json splits or remove it"))
        for domain in domains:
            folder = root / split / domain
            if not folder.is_dir():
                problems.append(Problem(str(folder), "domain listed in dataset.json is missing", REGENERATE))
                continue
            domain_clips = sorted(p for p in folder.iterdir() if p.is_dir())
            if not domain_clips:
                problems.append(Problem(str(folder), "domain has no clips", "add clips or remove the domain"))
            clips.extend((domain, c) for c in domain_clips)
    frames_per_domain: dict[str, list[int]] = {}
    for domain, clip in tqdm(clips, desc="checking clips", unit="clip", disable=not progress):
        frames, found = check_clip(clip, meta)
        problems.extend(found)
        frames_per_domain.setdefault(str(clip.parent), []).append(frames)
        if 0 < frames < seq_len:
            problems.append(Problem(str(clip), f"has {frames} frames, fewer than the sequence length {seq_len}",
                                    "use a shorter --seq-len or longer clips"))
    for domain, counts in frames_per_domain.items():
        if max(counts, default=0) < num_examples:
            problems.append(Problem(domain, f"its longest clip has {max(counts)} frames, fewer than the "
                                    f"K={num_examples} examples drawn from one clip",
                                    "use fewer examples (--examples) or longer clips"))
    return problems


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk (24 bytes read), None if the file is not a PNG."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def quick_check(root: str | Path, split: str = "train") -> list[Problem]:
    """What `train` checks before step 1, in seconds: every clip of ``split`` has its clip.json and every frame file
    of its per-frame folders, each a PNG header of the dataset's size. Contents (pixel values, flow, keypoints) are
    the full doctor's business: `vid2vid data check`."""
    meta = read_meta(root)
    problems: list[Problem] = []
    for domain in meta.splits.get(split, []):
        for clip in clip_dirs(root, split, domain):
            try:
                frames = read_clip_frames(clip)
            except UserError:
                problems.append(Problem(str(clip / CLIP_FILE), "is missing or unreadable", REGENERATE))
                continue
            for folder in ("rgb", "semantic", *meta.extras):
                for i in range(frames):
                    path = clip / folder / frame_name(i)
                    size = _png_size(path)
                    if size is None:
                        what = "is missing" if not path.exists() else "is not a readable PNG"
                        problems.append(Problem(str(path), what, REGENERATE))
                    elif size != (meta.width, meta.height):
                        problems.append(Problem(str(path), f"is {size[0]}x{size[1]} but dataset.json says "
                                                f"{meta.width}x{meta.height}", "resize it or regenerate it"))
    return problems
