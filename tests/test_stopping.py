"""Nothing lost when a run is stopped: generation stopped by SIGTERM keeps a playable partial and resumes to the
uninterrupted result; kill -9 leaves an existing output untouched; every writer goes through the atomic helper."""

from __future__ import annotations

import ast
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import train_tiny_dancers, write_clip_with_audio

import vid2vid
from vid2vid.data.layout import CLIP_FILE, frame_name
from vid2vid.data.video import FrameSource, VideoWriter, probe
from vid2vid.errors import UserError

FRAMES = 600


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> tuple[Path, Path, list[str]]:
    """(tiny few-shot checkpoint, a 600-frame driving clip, two example frames)."""
    base = tmp_path_factory.mktemp("stopping")
    ckpt, root = train_tiny_dancers(base, steps=1)
    # A long driving clip: the 6 frames of a held-out clip, back and forth, in a dataset of its own.
    source = root / "test" / "d002" / "c001"
    long = base / "long"
    clip = long / "test" / "d002" / "c000"
    for folder in ("semantic", "parts"):
        (clip / folder).mkdir(parents=True)
        for i in range(FRAMES):
            j = i % 10 if i % 10 < 6 else 10 - i % 10
            shutil.copy(source / folder / frame_name(j), clip / folder / frame_name(i))
    (clip / CLIP_FILE).write_text(json.dumps({"frames": FRAMES, "fps": 15.0}))
    shutil.copy(root / "dataset.json", long / "dataset.json")
    examples = [str(root / "test/d002/c000/rgb/000001.png"), str(root / "test/d002/c000/rgb/000004.png")]
    return ckpt, clip, examples


def generate(model, out: Path, *extra: str) -> list[str]:
    ckpt, clip, examples = model
    return [sys.executable, "-m", "vid2vid.cli.main", "generate", "--checkpoint", str(ckpt), "--driving", str(clip),
            "--examples", *examples, "--out", str(out), "--quiet", *extra]


def stop_when_writing(cmd: list[str], out: Path, signum: int) -> subprocess.CompletedProcess:
    """Start ``cmd`` and send ``signum`` once its first frames are being written to ``out``'s temporary file."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tmp = out.with_name(f".{out.stem}.{proc.pid}.tmp{out.suffix}")
    deadline = time.time() + 120
    while not tmp.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    time.sleep(0.05)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def frames_of(path: Path) -> list[np.ndarray]:
    return list(FrameSource(path))


def test_sigterm_keeps_a_playable_partial_and_resume_equals_an_uninterrupted_run(model, tmp_path):
    full = tmp_path / "full.mp4"
    assert subprocess.run(generate(model, full, "--lossless"), capture_output=True).returncode == 0
    out = tmp_path / "out.mp4"
    out.write_bytes(b"an older result")
    stopped = stop_when_writing(generate(model, out, "--lossless"), out, signal.SIGTERM)
    assert stopped.returncode == 143, stopped.stderr
    assert "Traceback" not in stopped.stderr and "--resume" in stopped.stderr
    partial = tmp_path / "out.partial.mp4"
    count = probe(partial)[0]  # playable
    assert 0 < count < FRAMES and f"after {count} of {FRAMES} frames" in stopped.stderr
    assert out.read_bytes() == b"an older result"  # untouched until a complete result replaces it

    resumed = subprocess.run(generate(model, out, "--lossless", "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    got, want = frames_of(out), frames_of(full)
    assert len(got) == len(want) == FRAMES
    assert all(np.array_equal(a, b) for a, b in zip(got, want))  # bit-exact, frames before and after the stop
    assert not partial.exists() and not (tmp_path / "out.partial.npz").exists()


def test_resume_refuses_other_options_and_a_missing_partial(model, tmp_path):
    out = tmp_path / "out.mp4"
    result = subprocess.run(generate(model, out, "--resume"), capture_output=True, text=True)
    assert result.returncode == 2 and "out.partial.npz not found" in result.stderr
    stopped = stop_when_writing(generate(model, out), out, signal.SIGINT)
    assert stopped.returncode == 130, stopped.stderr
    result = subprocess.run(generate(model, out, "--resume", "--side-by-side"), capture_output=True, text=True)
    assert result.returncode == 2 and "side_by_side differ" in result.stderr, result.stderr


def test_kill_9_leaves_an_existing_output_byte_identical(model, tmp_path):
    out = tmp_path / "out.mp4"
    with VideoWriter(out, 15, 32, 32) as writer:
        writer.write(np.zeros((32, 32, 3), np.uint8))
    before = out.read_bytes()
    result = stop_when_writing(generate(model, out), out, signal.SIGKILL)
    assert result.returncode == -signal.SIGKILL
    assert out.read_bytes() == before


def test_a_failed_rename_leaves_nothing_at_the_target(tmp_path, monkeypatch):
    import torch

    from vid2vid import files
    from vid2vid.checkpoint import save_checkpoint
    from vid2vid.data.layout import ClipWriter
    from vid2vid.speed.report import write_report

    def fail(*_args):
        raise OSError("rename failed")

    monkeypatch.setattr(files.os, "replace", fail)
    attempts = {
        "json": lambda: files.write_json_atomic(tmp_path / "a.json", {"x": 1}),
        "png": lambda: files.write_image_atomic(tmp_path / "a.png", np.zeros((4, 4, 3), np.uint8)),
        "checkpoint": lambda: save_checkpoint(tmp_path / "run", 1, {"w": torch.zeros(2)}),
        "report": lambda: write_report(tmp_path / "speed", "bench", {"x": 1}, "# x\n"),
    }

    def video() -> None:
        with VideoWriter(tmp_path / "a.mp4", 10, 8, 8) as writer:
            writer.write(np.zeros((8, 8, 3), np.uint8))

    def clip() -> None:
        writer = ClipWriter(tmp_path / "clip", 2, 8, 8, 10.0, keypoints=2)
        for _ in range(2):
            writer.add(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 1), np.uint8), flow_fwd=np.zeros((8, 8, 2)),
                       flow_bwd=np.zeros((8, 8, 2)))
        writer.close()

    attempts.update(video=video, clip=clip)
    for name, attempt in attempts.items():
        with pytest.raises((OSError, UserError)):
            attempt()
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    # No target; temporary files only of a clip whose frames failed mid-way (replaced when the clip is rewritten).
    assert [p for p in left if not p.startswith("clip/.")] == [], left


# Calls that write a file directly. Each must write to a temporary path of the atomic helper (an argument named
# like tmp) or be one of the listed exceptions.
WRITERS = {"write_text", "write_bytes", "imwrite", "savefig", "save", "save_file", "savez", "open_memmap"}
ALLOWED = {
    ("data/synth/generate.py", "write_text"),  # a probe that the output folder is writable, removed at once
    ("speed/memory.py", "imwrite"),  # an input photo inside a temporary directory
    ("files.py", "write_bytes"),  # the helper itself
}


def test_every_writer_goes_through_the_atomic_helper():
    src = Path(vid2vid.__file__).parent
    offenders = []
    for path in sorted(src.rglob("*.py")):
        rel = str(path.relative_to(src))
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name = node.func.attr
            if name not in WRITERS or (rel, name) in ALLOWED:
                continue
            # the path: the receiver of Path.write_text, else one of the positional arguments (torch.save's second)
            targets = [node.func.value] if name in ("write_text", "write_bytes") else node.args
            if not any("tmp" in ast.unparse(t) for t in targets):
                offenders.append(f"{rel}:{node.lineno} {ast.unparse(node)[:80]}")
    assert offenders == [], offenders


def test_video_writer_abort_keeps_the_old_file(tmp_path):
    out = tmp_path / "v.mp4"
    out.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with VideoWriter(out, 10, 8, 8) as writer:
            writer.write(np.zeros((8, 8, 3), np.uint8))
            raise RuntimeError("boom")
    assert out.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


def test_a_partial_video_keeps_the_audio_up_to_its_last_frame(tmp_path):
    import av

    src = write_clip_with_audio(tmp_path / "with_audio.mp4", 25, 25, 32, 32, 16000)

    writer = VideoWriter(tmp_path / "out.mp4", 25, 32, 32, audio_from=src)
    for _ in range(10):
        writer.write(np.zeros((32, 32, 3), np.uint8))
    kept = writer.close(partial_to=tmp_path / "out.partial.mp4")
    assert kept == tmp_path / "out.partial.mp4" and not (tmp_path / "out.mp4").exists()
    with av.open(str(kept)) as result:
        assert result.streams.video[0].frames == 10
        ends = [float((p.pts + p.duration) * p.time_base) for p in result.demux(audio=0) if p.pts is not None]
    assert ends and 0.3 < max(ends) <= 0.4 + 0.07  # 10 frames at 25 fps = 0.4 s; one AAC packet is 64 ms
