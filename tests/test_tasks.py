"""The task registry: names and aliases, and a toy fourth task added with one registry entry and a tiny renderer that
trains, generates and evaluates through the unchanged library."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from vid2vid import tasks
from vid2vid.cli.main import main
from vid2vid.data.synth.frame import SynthFrame
from vid2vid.data.synth.kind import SynthKind
from vid2vid.errors import UserError


def test_names_aliases_and_errors():
    assert tasks.names()[:3] == ("pose", "face", "street")
    assert tasks.get("dancers") is tasks.get("pose") and tasks.get("streets").name == "street"
    assert tasks.canonical("pose") == ("pose", None)
    name, note = tasks.canonical("faces")
    assert name == "face" and "called 'face'" in note
    with pytest.raises(UserError, match="unknown task 'hands': choose one of pose, face, street"):
        tasks.get("hands")
    with pytest.raises(ValueError, match="already registered: dancers"):
        tasks.register(tasks.Task(name="dance2", title="", dataset="dancers", synth=None, semantic="sketch"))


def test_registry_matches_the_datasets_it_describes():
    assert [tasks.get(n).semantic_channels for n in ("pose", "face", "street")] == [6, 1, 20]
    assert tasks.get("street").size(64) == (64, 128) and tasks.get("pose").size(64) == (64, 64)
    few_shot = tasks.get("pose").generator_config("tiny")
    assert few_shot.compose == "example" and few_shot.example_fill  # the few-shot model's own composition
    assert tasks.get("pose").generator_config("tiny", arch="adain").compose == "spade"  # the baselines'
    # choosing the composition drops the few-shot bundle whole (no example_fill left to contradict spade)
    chosen = tasks.get("pose").generator_config("tiny", compose="spade")
    assert chosen.compose == "spade" and not chosen.example_fill
    face = tasks.get("face").generator_config("tiny")
    assert face.compose == "example" and face.example_fill  # faces too since recipe 6 (docs/learning.md)
    assert tasks.get("face").generator_config("tiny", arch="concat").compose == "spade"
    assert not tasks.get("street").generator_config("tiny").example_warp


# --- a toy fourth task: a disc of the domain's colour moving over the domain's background ---------------------------


def _blob_domain(rng: np.random.Generator) -> dict:
    return {"fg": rng.integers(0, 256, 3), "bg": rng.integers(0, 256, 3)}


def _blob_clip(domain: dict, rng: np.random.Generator, frames: int, h: int, w: int):
    yy, xx = np.mgrid[0:h, 0:w]
    start, step = rng.uniform(0.3, 0.7, 2) * (w, h), rng.uniform(-1, 1, 2)
    for i in range(frames):
        cx, cy = start + i * step
        inside = (xx - cx) ** 2 + (yy - cy) ** 2 < (h / 5) ** 2
        rgb = np.where(inside[..., None], domain["fg"], domain["bg"]).astype(np.uint8)
        move = np.broadcast_to(np.float32(step), (h, w, 2)).copy() * inside[..., None]
        yield SynthFrame(rgb=rgb, semantic=(inside * 255).astype(np.uint8)[..., None],
                         flow_fwd=move if i < frames - 1 else None, flow_bwd=-move if i > 0 else None,
                         mask=(inside * 255).astype(np.uint8))


@pytest.fixture
def blob_task():
    task = tasks.register(tasks.Task(
        name="blob", title="disc mask -> coloured disc", dataset="blobs",
        synth=SynthKind(name="blobs", fps=10, make_domain=_blob_domain, render_clip=_blob_clip),
        semantic="sketch", extras=("mask",), generator={"example_warp": False, "warp_embedding": False}))
    yield task
    tasks.unregister("blob")


def test_a_fourth_task_trains_generates_and_evaluates(blob_task, tmp_path, capsys):
    data = tmp_path / "blobs"
    assert main(["data", "synth", "--task", "blob", "--out", str(data), "--domains", "3", "--test-domains", "1",
                 "--clips", "2", "--frames", "4", "--size", "32", "--workers", "1", "--quiet"]) == 0
    assert json.loads((data / "dataset.json").read_text())["task"] == "blob"
    assert main(["data", "check", str(data), "--quiet"]) == 0

    config = tmp_path / "blob.yaml"
    config.write_text(yaml.safe_dump({
        "data": {"root": str(data), "seq_len": 2, "num_examples": 1}, "model": {"preset": "tiny"},
        "discriminator": {"ndf": 4, "layers": 2, "scales": 1},
        "train": {"max_steps": 2, "batch_size": 1, "single_frame_steps": 1, "double_every": 1, "workers": 0,
                  "image_every": 1, "checkpoint_every": 2, "progress": False}}))
    run = tmp_path / "run"
    assert main(["train", "--config", str(config), "--run-dir", str(run), "--quiet"]) == 0
    checkpoint = run / "checkpoint-00000002.pt"
    assert checkpoint.exists() and list((run / "images").glob("*.png"))

    clip = data / "test" / "d002" / "c001"
    out = tmp_path / "blob.mp4"
    assert main(["generate", "--checkpoint", str(checkpoint), "--driving", str(clip), "--examples",
                 str(data / "test" / "d002" / "c000" / "rgb" / "000000.png"), "--out", str(out), "--quiet"]) == 0
    assert out.stat().st_size > 0

    capsys.readouterr()
    assert main(["eval", "checkpoint", "--checkpoint", str(checkpoint), "--data", str(data), "-k", "1", "--frames",
                 "4"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["frames"] == 8 and np.isfinite(scores["fid"]) and np.isfinite(scores["psnr"])
