"""Prepare a real video (mp4 or image folder) as one clip of a training dataset in the standard layout.

The frames are framed (person / face crop fixed from the first frames), converted to semantic maps (pose: skeleton,
part map, mask, COCO-18 keypoints; face: sketch, mask, iBUG-68 landmarks; street: label maps given with ``labels``,
since no street segmentation model ships offline), and the teacher flow is computed once with OpenCV's DIS optical
flow on the framed RGB frames. Frames stream one at a time (constant memory); a first decode pass counts them.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from tqdm import tqdm

from vid2vid import tasks
from vid2vid.data.layout import (KEYPOINT_COUNTS, META_FILE, SPLITS, ClipWriter, DatasetMeta, clear_dataset, read_meta,
                                 write_meta)
from vid2vid.data.real.framing import fill_framing
from vid2vid.data.video import FrameSource
from vid2vid.errors import UserError

CLIP = "c000"
_FRAMING_PROBES = 8  # frames (every 5th from the start) used to fix the crop


@dataclass(frozen=True)
class PrepareReport:
    """What ``prepare_video_dataset`` wrote."""

    meta: DatasetMeta
    domain: str
    frames: int
    missed: int  # frames without a detection (previous maps reused)
    notes: list[str] = field(default_factory=list)


def _flow(dis, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """DIS flow defined on gray frame ``a`` pointing into ``b``: ``b[p + flow[p]] ~ a[p]``."""
    return dis.calc(np.ascontiguousarray(a), np.ascontiguousarray(b), None)


def domain_name(path: Path) -> str:
    """A folder-safe domain name from an input path (its stem)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", (path.stem if path.is_file() else path.name)).strip("._")
    return name or "real"


def _count(path: Path) -> int:
    with FrameSource(path) as src:
        if src.container is None:
            return src.count
        return sum(1 for _ in src)


def _frames(path: Path, stride: int, limit: int) -> Iterator[np.ndarray]:
    with FrameSource(path) as src:
        used = 0
        for i, frame in enumerate(src):
            if used >= limit:
                break
            if i % stride == 0:
                used += 1
                yield frame


def _check_out(out: Path, append: bool, overwrite: bool) -> DatasetMeta | None:
    """Validate ``out``; the existing dataset's meta when appending to one."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a folder; choose another path")
    if out.is_dir() and any(out.iterdir()):
        has_meta = (out / META_FILE).is_file()
        if append and has_meta:
            return read_meta(out)
        if not overwrite:
            raise UserError(f"--out {out} is not empty; choose an empty folder, pass --append to add this video as a "
                            "new domain of the dataset there, or --overwrite to replace it")
        clear_dataset(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create --out {out}: {err.strerror}; choose a writable folder") from None
    return None


def _link_tree(src: Path, dst: Path) -> None:
    """Copy a clip folder by hard links (a plain copy where links are not possible)."""
    for root, _, files in os.walk(src):
        target = dst / Path(root).relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        for f in files:
            try:
                os.link(Path(root) / f, target / f)
            except OSError:
                shutil.copy2(Path(root) / f, target / f)


def prepare_video_dataset(source: str | Path, out: str | Path, task: str, size: tuple[int, int] | None = None, *,
                          crop: bool = True, labels: str | Path | None = None, domain: str | None = None,
                          split: str = "both", max_frames: int = 0, stride: int = 1, smooth: bool = True,
                          append: bool = False, overwrite: bool = False, progress: bool = True) -> PrepareReport:
    """Write ``source`` (mp4 or image folder) as clip ``c000`` of domain ``domain`` in the dataset at ``out``.

    ``split``: "train", "test" or "both" (the clip goes to both splits, hard-linked). ``size``: (H, W), default per
    task. ``labels``: the label-map video / folder (street task, frame-aligned with ``source``). ``append``: add a
    domain to the dataset already at ``out`` (same task and size). The result passes ``vid2vid data check``.
    """
    spec = tasks.get(task)
    task = spec.name
    if split not in ("train", "test", "both"):
        raise UserError(f"--split must be train, test or both, got '{split}'")
    height, width = size or spec.size(spec.default_height)
    if min(height, width) < 32 or max(height, width) > 4096:
        raise UserError(f"--size must be between 32 and 4096 pixels, got {height} {width}")
    if stride < 1 or max_frames < 0:
        raise UserError(f"--stride must be >= 1 and --max-frames >= 0, got {stride} and {max_frames}")
    source, out = Path(source), Path(out)
    if spec.semantic == "labels" and labels is None:
        raise UserError(f"the {task} task needs the segmentation as label maps: pass --labels VIDEO_OR_FOLDER (ids, "
                        "Cityscapes ids or the Cityscapes colour palette); no segmentation model ships offline")
    with FrameSource(source) as src:  # fails early with a clear message on a bad input
        fps = float(src.fps) / stride
    available = (_count(source) + stride - 1) // stride
    frames = min(available, max_frames) if max_frames else available
    if frames < 2:
        raise UserError(f"{source} has {frames} usable frame(s); a training clip needs at least 2 (for the flow)")
    if labels is not None:
        label_count = (_count(Path(labels)) + stride - 1) // stride
        if label_count < frames:
            raise UserError(f"--labels {labels} has {label_count} frames (after --stride) but {source} has {frames}; "
                            "give one label map per video frame")
    existing = _check_out(out, append, overwrite)
    domain = domain or domain_name(source)
    if existing is not None:
        if (existing.task, existing.height, existing.width) != (task, height, width):
            raise UserError(f"{out} holds a {existing.task} dataset at {existing.width}x{existing.height}; append "
                            f"{task} at {width}x{height} to a matching one, or choose another --out")
        if any(domain in d for d in existing.splits.values()):
            raise UserError(f"{out} already has a domain '{domain}'; choose another --domain name")
    splits = ["train", "test"] if split == "both" else [split]
    clip = out / splits[0] / domain / CLIP
    if clip.exists():
        shutil.rmtree(clip)
    for s in SPLITS:
        (out / s).mkdir(exist_ok=True)

    converter = spec.make_converter(height, width, crop=crop, video=True, fps=fps, name=str(labels))
    if spec.semantic != "labels":
        if not smooth:
            converter.smoother = None
        probes = [f for i, f in enumerate(_frames(source, stride, frames)) if i % 5 == 0 and i < 5 * _FRAMING_PROBES]
        converter.fit_framing(probes)
        del probes
    writer = ClipWriter(clip, frames, height, width, fps, extras=spec.extras,
                        keypoints=KEYPOINT_COUNTS.get(spec.keypoints or "", 0))
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    label_frames = _frames(Path(labels), stride, frames) if labels is not None else None
    rgb_framing = None
    pending = None  # (frame, gray, flow_bwd) of the previous frame, written once the next one is known
    bar = tqdm(total=frames, unit="frame", desc=f"prepare {task}", disable=not progress)
    for rgb in _frames(source, stride, frames):
        if label_frames is not None:
            rgb_framing = rgb_framing or fill_framing(rgb.shape[0], rgb.shape[1], height, width)
            converted = replace(converter(next(label_frames)), rgb=rgb_framing.image(rgb))
        else:
            converted = converter(rgb)
        gray = cv2.cvtColor(converted.rgb, cv2.COLOR_RGB2GRAY)
        flow_bwd = None
        if pending is not None:
            prev, prev_gray, prev_bwd = pending
            fwd = _flow(dis, prev_gray, gray)
            flow_bwd = _flow(dis, gray, prev_gray)
            _add(writer, prev, fwd, prev_bwd)
            bar.update(1)
        pending = (converted, gray, flow_bwd)
        del rgb
    prev, _, prev_bwd = pending
    _add(writer, prev, None, prev_bwd)
    bar.update(1)
    bar.close()
    writer.close()
    if hasattr(converter, "close"):
        converter.close()
    for other in splits[1:]:
        _link_tree(clip, out / other / domain / CLIP)

    notes = [line for line in (converter.report(),) if line]
    info = {"input": str(source), "frames": frames, "stride": stride, "crop": crop, "missed": converter.missed}
    if labels is not None:
        info["labels"] = str(labels)
    if existing is None:
        meta = DatasetMeta(
            kind=f"real-{task}", task=task, semantic=spec.semantic, height=height, width=width, fps=fps,
            splits={s: ([domain] if s in splits else []) for s in SPLITS}, num_labels=len(spec.label_names),
            label_names=list(spec.label_names), num_parts=spec.num_parts, keypoints=spec.keypoints,
            extras=list(spec.extras),
            has_flow=True, source={"generator": "vid2vid data prepare", "inputs": {domain: info}})
    else:
        new_splits = {s: list(existing.splits.get(s, [])) + ([domain] if s in splits else []) for s in SPLITS}
        inputs = dict(existing.source.get("inputs", {}), **{domain: info})
        meta = replace(existing, splits=new_splits, source={**existing.source, "inputs": inputs})
    write_meta(out, meta)
    return PrepareReport(meta, domain, frames, converter.missed, notes)


def _add(writer: ClipWriter, frame, flow_fwd, flow_bwd) -> None:
    extras = {"parts": frame.parts, "mask": frame.mask}
    writer.add(frame.rgb, frame.semantic, {k: extras[k] for k in writer.extras}, flow_fwd, flow_bwd, frame.keypoints)
