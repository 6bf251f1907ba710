"""Shared fixtures: a tiny hand-made dataset written through the real ClipWriter (no renderer needed)."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # no spinning OpenMP threads when the cores are shared
# Tiny models run fastest on one thread (on 2 cores test_training.py and test_inference.py took 216 s on one, 236 s
# on two); set before torch is imported, so the command-line tests' child processes inherit it. An explicit
# OMP_NUM_THREADS wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import numpy as np
import pytest
import torch

from vid2vid.data.layout import ClipWriter, DatasetMeta, write_meta

LABELS = 5


def make_tiny_dataset(root: Path, frames: int = 6, clips: int = 2, size: int = 32) -> DatasetMeta:
    """A 'labels' dataset: a square of label 1 sliding right by one pixel per frame on label 0, with exact flow."""
    splits = {"train": ["d000", "d001"], "test": ["d002"]}
    for split, domains in splits.items():
        for d, domain in enumerate(domains):
            for c in range(clips):
                writer = ClipWriter(root / split / domain / f"c{c:03d}", frames, size, size, 10.0)
                for t in range(frames):
                    ids = np.zeros((size, size, 1), np.uint8)
                    ids[8:20, 4 + t: 16 + t] = 1
                    rgb = np.full((size, size, 3), 40 * d, np.uint8)
                    rgb[ids[:, :, 0] == 1] = (200, 50 + 10 * c, 30)
                    fwd = np.zeros((size, size, 2), np.float32)
                    fwd[ids[:, :, 0] == 1, 0] = 1.0
                    bwd = np.zeros((size, size, 2), np.float32)
                    bwd[ids[:, :, 0] == 1, 0] = -1.0
                    writer.add(rgb, ids, flow_fwd=fwd, flow_bwd=bwd)
                writer.close()
    meta = DatasetMeta(kind="toy", task="street", semantic="labels", height=size, width=size, fps=10.0,
                       splits=splits, num_labels=LABELS, label_names=[f"l{i}" for i in range(LABELS)])
    write_meta(root, meta)
    return meta


def tiny_synthetic(tmp_path_factory, kind: str, **options) -> Path:
    """A small synthetic dataset of ``kind`` (dancers, faces, streets) in a fresh temporary folder: 32 px high, one
    process, no progress bar; ``options`` are SynthOptions fields (domains, test_domains, clips, frames, width...)."""
    from vid2vid.data.synth.generate import SynthOptions, write_synthetic

    root = tmp_path_factory.mktemp("data") / kind
    write_synthetic(SynthOptions(kind, str(root), **{"height": 32, "width": 32, "workers": 1, **options}),
                    progress=False)
    return root


def write_clip_with_audio(path: Path, frames: int, fps, width: int, height: int, audio_samples: int) -> Path:
    """An H.264 mp4 of ``frames`` grey levels at ``fps`` with a mono 16 kHz AAC track of ``audio_samples`` samples."""
    import av

    container = av.open(str(path), "w")
    video = container.add_stream("libx264", rate=fps)
    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
    audio = container.add_stream("aac", rate=16000)
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), i * 8 % 256, np.uint8), format="rgb24")
        frame.pts = i
        for packet in video.encode(frame):
            container.mux(packet)
    samples = av.AudioFrame.from_ndarray((np.sin(np.arange(audio_samples) / 9) * 0.3).astype(np.float32)[None],
                                         format="fltp", layout="mono")
    samples.sample_rate, samples.pts = 16000, 0
    for stream, frame in ((audio, samples), (audio, None), (video, None)):
        for packet in stream.encode(frame):
            container.mux(packet)
    container.close()
    return path


def train_tiny_dancers(base: Path, steps: int = 2) -> tuple[Path, Path]:
    """(a tiny few-shot checkpoint trained ``steps`` steps on 32x32 synthetic dancers, its dataset) under ``base``."""
    from vid2vid.config import DataConfig
    from vid2vid.data.synth.generate import SynthOptions, write_synthetic
    from vid2vid.models.discriminator import DiscriminatorConfig
    from vid2vid.training.loop import training_loop
    from vid2vid.training.options import ModelSpec, RunConfig, TrainOptions

    root = base / "dancers"
    write_synthetic(SynthOptions("dancers", str(root), domains=3, test_domains=1, clips=2, frames=6, height=32,
                                 width=32, workers=1), progress=False)
    cfg = RunConfig(data=DataConfig(root=str(root), seq_len=2, num_examples=2), model=ModelSpec("tiny"),
                    discriminator=DiscriminatorConfig(ndf=4, layers=2, scales=1),
                    train=TrainOptions(max_steps=steps, batch_size=1, single_frame_steps=1, workers=0, image_every=0,
                                       progress=False))
    return training_loop(base / "run", cfg), root


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    make_tiny_dataset(tmp_path / "toy")
    return tmp_path / "toy"


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one thread, and do not stall when the cores are shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
