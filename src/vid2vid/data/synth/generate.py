"""Render a whole synthetic dataset to the on-disk layout, clip by clip, in parallel processes."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from vid2vid import tasks
from vid2vid.data.layout import KEYPOINT_COUNTS, ClipWriter, DatasetMeta, clear_dataset, write_meta
from vid2vid.errors import UserError



@dataclass(frozen=True)
class SynthOptions:
    """Options of `vid2vid data synth`; ``domains`` counts all domains, ``test_domains`` of them are held out."""

    kind: str  # the task (pose | face | street) or its dataset's name (dancers | faces | streets)
    out: str
    domains: int = 8
    test_domains: int = 2
    clips: int = 4
    frames: int = 32
    height: int = 128
    width: int = 128
    seed: int = 0
    workers: int = 0  # 0: one per CPU core

    def validate(self) -> None:
        if self.domains < 2:
            raise UserError("--domains must be >= 2 (at least one training and one held-out domain), "
                            f"got {self.domains}")
        if not 1 <= self.test_domains < self.domains:
            raise UserError(
                f"--test-domains must be between 1 and --domains - 1 = {self.domains - 1}, got {self.test_domains}"
            )
        if self.clips < 1:
            raise UserError(f"--clips must be >= 1, got {self.clips}")
        if self.frames < 2:
            raise UserError(f"--frames must be >= 2 (flow needs two frames), got {self.frames}")
        if self.height < 32 or self.width < 32:
            raise UserError(f"image size must be at least 32x32, got height {self.height}, width {self.width}")
        if self.height > 4096 or self.width > 4096:
            raise UserError(f"image size must be at most 4096x4096, got height {self.height}, width {self.width}")


def domain_name(index: int) -> str:
    return f"d{index:03d}"


def domain_index(name: str) -> int:
    """The index ``domain_name`` wrote as ``name``."""
    return int(name[1:])


def clip_name(index: int) -> str:
    return f"c{index:03d}"


def _domain_rng(seed: int, domain: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, 0, domain]))


def _clip_rng(seed: int, domain: int, clip: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, 1, domain, clip]))


def render_clip_to_disk(opts: SynthOptions, split: str, domain: int, clip: int) -> int:
    """Render and write one clip; returns the number of frames written. Runs in a worker process."""
    task = tasks.get(opts.kind)
    kind = task.renderer()
    look = kind.make_domain(_domain_rng(opts.seed, domain))
    folder = Path(opts.out) / split / domain_name(domain) / clip_name(clip)
    writer = ClipWriter(folder, opts.frames, opts.height, opts.width, kind.fps, extras=task.extras,
                        keypoints=KEYPOINT_COUNTS.get(task.keypoints or "", 0))
    for frame in kind.render_clip(look, _clip_rng(opts.seed, domain, clip), opts.frames, opts.height, opts.width):
        extras = {"parts": frame.parts, "mask": frame.mask}
        writer.add(frame.rgb, frame.semantic, extras, frame.flow_fwd, frame.flow_bwd, frame.keypoints, frame.objects,
                   frame.object_ids)
    writer.close()
    return opts.frames


def _prepare_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a folder; choose another path")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise UserError(f"--out {out} is not empty; choose an empty folder or pass --overwrite")
        clear_dataset(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write_test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as err:
        raise UserError(f"cannot write to --out {out}: {err.strerror}; choose a writable folder") from None


def _render_clips(opts: SynthOptions, jobs: list[tuple[str, int, int]], desc: str, progress: bool) -> None:
    """Render (split, domain, clip) jobs to ``opts.out``, in ``opts.workers`` processes (0: one per core)."""
    workers = opts.workers or os.cpu_count() or 1
    bar = tqdm(total=len(jobs) * opts.frames, unit="frame", desc=desc, disable=not progress)
    if workers == 1:
        for job in jobs:
            bar.update(render_clip_to_disk(opts, *job))
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            futures = [pool.submit(render_clip_to_disk, opts, *job) for job in jobs]
            for future in futures:
                bar.update(future.result())
    bar.close()


def write_synthetic(opts: SynthOptions, overwrite: bool = False, progress: bool = True) -> DatasetMeta:
    """Render the dataset described by ``opts``; ``dataset.json`` is written last."""
    opts.validate()
    out = Path(opts.out)
    _prepare_out(out, overwrite)
    task = tasks.get(opts.kind)
    kind = task.renderer()
    n_train = opts.domains - opts.test_domains
    splits = {"train": list(range(n_train)), "test": list(range(n_train, opts.domains))}
    jobs = [(split, d, c) for split, ds in splits.items() for d in ds for c in range(opts.clips)]
    _render_clips(opts, jobs, f"synth {kind.name}", progress)
    meta = DatasetMeta(
        kind=kind.name, task=task.name, semantic=task.semantic, height=opts.height, width=opts.width,
        fps=float(kind.fps), splits={s: [domain_name(d) for d in ds] for s, ds in splits.items()},
        num_labels=len(task.label_names), label_names=list(task.label_names), num_parts=task.num_parts,
        keypoints=task.keypoints, extras=list(task.extras), has_flow=True,
        source={"generator": f"vid2vid data synth {kind.name}", "seed": opts.seed, "clips": opts.clips,
                "frames": opts.frames},
    )
    write_meta(out, meta)
    return meta


def write_new_clips(root: str | Path, out: str | Path, clips: int, progress: bool = True,
                    workers: int = 0) -> DatasetMeta:
    """New clips of the *training* domains of the synthetic dataset at ``root``: the same people, faces or cities
    (same seed), with clip indices after the ones rendered there, so motions (camera paths) never seen in training.
    Written to ``out`` as a dataset whose test split holds them (its train split is empty); rendered again only when
    ``out`` holds a different request."""
    from vid2vid.data.layout import read_meta

    meta = read_meta(root)
    source = meta.source
    if not str(source.get("generator", "")).startswith("vid2vid data synth") or "clips" not in source:
        raise UserError(f"{root} was not made by `vid2vid data synth` (its dataset.json has no synthetic source), so "
                        "new clips of its domains cannot be rendered")
    if clips < 1:
        raise UserError(f"new clips per domain must be >= 1, got {clips}")
    out = Path(out)
    request = {**source, "new_clips_of": str(Path(root).resolve()), "new_clips": clips}
    if (out / "dataset.json").is_file():
        existing = read_meta(out)
        if existing.source == request:
            return existing
    _prepare_out(out, overwrite=True)
    opts = SynthOptions(meta.task, str(out), frames=int(source["frames"]), height=meta.height, width=meta.width,
                        seed=int(source["seed"]), workers=workers)
    first = int(source["clips"])
    jobs = [("test", domain_index(name), first + c) for name in meta.splits["train"] for c in range(clips)]
    _render_clips(opts, jobs, "new clips", progress)
    new = DatasetMeta(**{**meta.__dict__, "splits": {"train": [], "test": list(meta.splits["train"])},
                         "source": request})
    write_meta(out, new)
    return new
