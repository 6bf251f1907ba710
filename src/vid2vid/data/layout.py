"""The one on-disk dataset format, written by the synthetic generators and by real-video preparation.

```
DIR/
  dataset.json                     DatasetMeta: kind, task, size, semantic encoding, splits and their domains
  train/<domain>/<clip>/           one folder per clip; domains in train/ are the training identities / cities
  test/<domain>/<clip>/            held-out domains, never seen in training
    clip.json                      {"frames": N, "fps": ...}
    rgb/000000.png ...             N frames, RGB, H x W
    semantic/000000.png ...        skeleton map (RGB), face sketch (gray) or label ids (gray, values < num_labels)
    parts/000000.png ...           optional: DensePose-like part index, u*255, v*255 (pose task)
    mask/000000.png ...            optional: 255 on the subject
    flow_fwd.npy                   optional: (N-1, H, W, 2) float16, pixels, frame i -> frame i+1
    flow_bwd.npy                   optional: (N-1, H, W, 2) float16, pixels, frame i+1 -> frame i
    keypoints.npy                  optional: (N, J, 3) float32, x, y, visible
    objects.npy                    optional (synthetic): (N, O, 2, 3) float32, each object's local -> image affine map
    object_ids.npy                 optional (synthetic): (N, H, W) uint16, the object seen at each pixel
```
With ``objects.npy`` the correspondence between any two frames of one domain is exact (``data.correspondence``).
Flow ``flow_bwd[i]`` is defined on frame i+1's pixels: sampling frame i at ``p + flow_bwd[i][p]`` reproduces frame i+1
on visible pixels. ``dataset.json`` is written last: a folder without it is incomplete.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vid2vid.errors import UserError
from vid2vid.files import PendingFile, atomic_path, write_image_atomic, write_json_atomic

# errors only: unreadable files are reported by us, with the fix, not as OpenCV warnings (OpenCV 5 moved the call)
(getattr(cv2, "setLogLevel", None) or cv2.utils.logging.setLogLevel)(2)

FORMAT_NAME = "vid2vid-dataset"
FORMAT_VERSION = 1
META_FILE = "dataset.json"
CLIP_FILE = "clip.json"
SPLITS = ("train", "test")
FRAME_DIRS = ("rgb", "semantic", "parts", "mask")
KEYPOINT_COUNTS = {"coco18": 18, "ibug68": 68}  # joints per keypoint format


def frame_name(index: int) -> str:
    """File name of frame ``index`` inside a per-frame folder."""
    return f"{index:06d}.png"


@dataclass(frozen=True)
class DatasetMeta:
    """What ``dataset.json`` holds. Model input shapes are derived from it, never typed twice."""

    kind: str  # "dancers" | "faces" | "streets" | "real-pose" | ...
    task: str  # "pose" | "face" | "street"
    semantic: str  # "skeleton" | "sketch" | "labels"
    height: int
    width: int
    fps: float
    splits: dict[str, list[str]]  # split -> domain folder names
    num_labels: int = 0  # for semantic == "labels"
    label_names: list[str] = field(default_factory=list)
    num_parts: int = 0  # part indices 1..num_parts in parts/ (0 = background), pose task
    keypoints: str | None = None  # "coco18" | "ibug68" | None
    extras: list[str] = field(default_factory=list)  # per-frame folders beyond rgb/semantic: "parts", "mask"
    has_flow: bool = True
    source: dict = field(default_factory=dict)  # how it was made (generator, seed, options)
    format: str = FORMAT_NAME
    version: int = FORMAT_VERSION

    @property
    def semantic_channels(self) -> int:
        """Channels of the model's semantic input (see ``data.semantics.encode_semantic``)."""
        if self.semantic == "labels":
            return self.num_labels
        if self.semantic == "sketch":
            return 1
        return 3 + (3 if "parts" in self.extras else 0)

    @property
    def semantic_file_channels(self) -> int:
        """Channels of the PNGs in ``semantic/``."""
        return 3 if self.semantic == "skeleton" else 1


def read_meta(root: str | Path) -> DatasetMeta:
    """Read ``dataset.json``; a missing or broken file is a UserError saying what to do."""
    path = Path(root) / META_FILE
    if not Path(root).is_dir():
        raise UserError(f"dataset folder not found: {root} (create one with `vid2vid data synth dancers --out {root}`)")
    if not path.is_file():
        raise UserError(
            f"{path} is missing: {root} is not a finished vid2vid dataset (an interrupted `vid2vid data synth` leaves "
            "no dataset.json; run it again)"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{path} is not valid JSON ({err}); regenerate the dataset") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise UserError(f"{path} is not a vid2vid dataset description (missing \"format\": \"{FORMAT_NAME}\")")
    if raw.get("version") != FORMAT_VERSION:
        raise UserError(f"{path} has format version {raw.get('version')}, this vid2vid reads {FORMAT_VERSION}")
    known = set(DatasetMeta.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise UserError(f"{path}: unknown key '{unknown[0]}'")
    try:
        return DatasetMeta(**raw)
    except TypeError as err:
        raise UserError(f"{path}: {err}") from None


def write_meta(root: str | Path, meta: DatasetMeta) -> None:
    """Write ``dataset.json`` atomically (temp file + rename)."""
    write_json_atomic(Path(root) / META_FILE, asdict(meta))


def clip_dirs(root: str | Path, split: str, domain: str) -> list[Path]:
    """Clip folders of one domain, sorted."""
    base = Path(root) / split / domain
    return sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def read_clip_frames(clip: Path) -> int:
    """Number of frames of a clip, from its ``clip.json``."""
    path = clip / CLIP_FILE
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["frames"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UserError(f"{path} is missing or broken ({err}); run `vid2vid data check` on the dataset") from None


def read_png(path: Path, channels: int) -> np.ndarray:
    """Read a PNG as (H, W, channels) uint8 (RGB order for 3 channels); UserError if unreadable."""
    flag = cv2.IMREAD_COLOR if channels == 3 else cv2.IMREAD_GRAYSCALE
    image = cv2.imread(str(path), flag)
    if image is None:
        raise UserError(f"cannot read image {path} (missing or corrupt); run `vid2vid data check` on the dataset")
    if channels == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image[:, :, None]


def write_png(path: Path, image: np.ndarray) -> None:
    """Write (H, W, 3) RGB or (H, W[, 1]) gray uint8 as PNG (fast compression)."""
    write_image_atomic(path, image, (cv2.IMWRITE_PNG_COMPRESSION, 1))


class ClipWriter:
    """Writes one clip frame by frame in constant memory (flow and keypoints go to pre-sized memory maps)."""

    def __init__(self, clip: Path, frames: int, height: int, width: int, fps: float,
                 extras: tuple[str, ...] = (), flow: bool = True, keypoints: int = 0) -> None:
        self.clip, self.frames = clip, frames
        self.extras = extras
        for name in ("rgb", "semantic", *extras):
            (clip / name).mkdir(parents=True, exist_ok=True)
        self.flow_fwd = self.flow_bwd = self.keypoints = self.objects = self.object_ids = None
        self.size = (height, width)
        self.pending: list[PendingFile] = []  # memory maps, renamed into place by close()
        if flow and frames > 1:
            shape = (frames - 1, height, width, 2)
            self.flow_fwd = self._memmap("flow_fwd.npy", np.float16, shape)
            self.flow_bwd = self._memmap("flow_bwd.npy", np.float16, shape)
        if keypoints:
            self.keypoints = np.zeros((frames, keypoints, 3), np.float32)
        self.fps = fps
        self.written = 0

    def _memmap(self, name: str, dtype: type, shape: tuple[int, ...]) -> np.memmap:
        pending = PendingFile(self.clip / name)
        self.pending.append(pending)
        return np.lib.format.open_memmap(pending.tmp, mode="w+", dtype=dtype, shape=shape)

    def add(self, rgb: np.ndarray, semantic: np.ndarray, extras: dict[str, np.ndarray] | None = None,
            flow_fwd: np.ndarray | None = None, flow_bwd: np.ndarray | None = None,
            keypoints: np.ndarray | None = None, objects: np.ndarray | None = None,
            object_ids: np.ndarray | None = None) -> None:
        """Append frame ``self.written``; ``flow_bwd`` points to the previous frame, ``flow_fwd`` to the next;
        ``objects`` (O, 2, 3) and ``object_ids`` (H, W) go to the clip's object maps (given on every frame or none)."""
        i = self.written
        if objects is not None and object_ids is not None:
            if self.objects is None:
                self.objects = self._memmap("objects.npy", np.float32, (self.frames, *objects.shape))
                self.object_ids = self._memmap("object_ids.npy", np.uint16, (self.frames, *self.size))
            self.objects[i] = objects
            self.object_ids[i] = object_ids
        name = frame_name(i)
        write_png(self.clip / "rgb" / name, rgb)
        write_png(self.clip / "semantic" / name, semantic)
        for key in self.extras:
            write_png(self.clip / key / name, (extras or {})[key])
        if self.flow_fwd is not None:
            if flow_fwd is not None and i < self.frames - 1:
                self.flow_fwd[i] = flow_fwd
            if flow_bwd is not None and i > 0:
                self.flow_bwd[i - 1] = flow_bwd
        if self.keypoints is not None and keypoints is not None:
            self.keypoints[i] = keypoints
        self.written += 1

    def close(self) -> None:
        """Flush memory maps and write ``clip.json`` (last, so a clip without it is incomplete)."""
        if self.written != self.frames:
            raise RuntimeError(f"{self.clip}: wrote {self.written} frames, expected {self.frames}")
        for mm in (self.flow_fwd, self.flow_bwd, self.objects, self.object_ids):
            if mm is not None:
                mm.flush()
        self.flow_fwd = self.flow_bwd = self.objects = self.object_ids = None
        try:
            for pending in self.pending:
                pending.commit()
        finally:
            for pending in self.pending:
                pending.discard()
        if self.keypoints is not None:
            with atomic_path(self.clip / "keypoints.npy") as tmp:
                np.save(tmp, self.keypoints)
        write_json_atomic(self.clip / CLIP_FILE, {"frames": self.frames, "fps": self.fps})


def clear_dataset(out: Path) -> None:
    """Remove a previous vid2vid dataset from ``out`` (splits and dataset.json); refuses folders holding other files."""
    if not (out / META_FILE).exists() and not any((out / s).is_dir() for s in SPLITS):
        raise UserError(f"--out {out} holds files that are not a vid2vid dataset; refusing to overwrite them")
    for name in (*SPLITS, META_FILE):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
