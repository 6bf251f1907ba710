"""Inference: the Pipeline streams frames, the generate CLI writes the right video, bad inputs fail in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from conftest import train_tiny_dancers, write_clip_with_audio

from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.data.video import FrameSource, VideoWriter, probe
from vid2vid.errors import UserError
from vid2vid.inference.pipeline import Pipeline


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    """(tiny few-shot checkpoint trained 2 steps on 32x32 dancers, its dataset)."""
    return train_tiny_dancers(tmp_path_factory.mktemp("inference"), steps=2)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vid2vid.cli.main", *args], capture_output=True, text=True,
                          timeout=300)


def examples_of(root: Path) -> list[str]:
    return [str(root / "test/d002/c000/rgb/000001.png"), str(root / "test/d002/c000/rgb/000004.png")]


def test_pipeline_streams_and_encodes_examples_once(trained):
    ckpt, root = trained
    pipe = Pipeline.from_checkpoint(ckpt)
    assert pipe.task == "pose" and pipe.size == (32, 32)
    from vid2vid.inference.inputs import load_examples, open_driving

    images, semantics, _ = load_examples(pipe, [Path(p) for p in examples_of(root)])
    pipe.set_examples(images, semantics)
    calls = []
    original = pipe.model.encode_examples
    pipe.model.encode_examples = lambda *a, **k: calls.append(1) or original(*a, **k)
    driving = open_driving(pipe, root / "test/d002/c001")
    frames = list(pipe.generate(s for s, _ in driving))
    assert len(frames) == 6 and calls == [1]
    assert frames[0].image.shape == (32, 32, 3) and frames[0].image.dtype == np.uint8
    assert frames[3].attention.shape[0] == 2
    np.testing.assert_allclose(frames[3].attention.sum(0), 1.0, atol=1e-4)
    again = list(pipe.generate(s for s, _ in open_driving(pipe, root / "test/d002/c001")))
    assert all(np.array_equal(a.image, b.image) for a, b in zip(frames, again))  # deterministic


def test_finetune_leaves_checkpoint_untouched(trained):
    ckpt, root = trained
    before = ckpt.read_bytes()
    pipe = Pipeline.from_checkpoint(ckpt)
    from vid2vid.inference.inputs import load_examples

    images, semantics, _ = load_examples(pipe, [Path(p) for p in examples_of(root)])
    pipe.set_examples(images, semantics)
    first = next(iter(pipe.generate([semantics[0]]))).image
    k = len(examples_of(root))
    losses = pipe.finetune(2 * k, lr=1e-3, progress=False)  # steps cycle through the examples: compare like with like
    assert len(losses) == 2 * k and all(losses[k + i] < losses[i] for i in range(k))
    assert not np.array_equal(first, next(iter(pipe.generate([semantics[0]]))).image)
    assert ckpt.read_bytes() == before


def test_scoring_with_finetuning_adapts_a_copy_per_clip(trained):
    from vid2vid.evaluation.evaluate import Detectors, Finetune, evaluate

    ckpt, root = trained
    pipe = Pipeline.from_checkpoint(ckpt)
    before = {k: v.clone() for k, v in pipe.train_model.state_dict().items()}
    plain = evaluate(pipe, root, 2, Detectors(), max_clips=1, max_frames=4)
    adapted = evaluate(pipe, root, 2, Detectors(), max_clips=1, max_frames=4, finetune=Finetune(4, 1e-3))
    assert adapted["finetune_steps"] == 4 and "finetune_steps" not in plain
    assert adapted["psnr"] != plain["psnr"]  # the finetuned copy drew other frames
    assert all(torch.equal(v, pipe.train_model.state_dict()[k]) for k, v in before.items())
    assert evaluate(pipe, root, 2, Detectors(), max_clips=1, max_frames=4) == plain  # the pipeline is as loaded


def test_example_draws_are_other_clips_of_the_domain_fixed_by_the_seed_and_nested_over_k(trained, tiny_dataset):
    from vid2vid.evaluation.evaluate import Detectors, evaluate, example_frames, test_split

    ds = test_split(tiny_dataset)  # one held-out domain, two clips of 6 frames
    assert example_frames(ds, 0, 2) == [(1, 0), (1, 5)]  # the benchmark's: spread over the other clip
    draws = [example_frames(ds, 0, 4, draw) for draw in range(1, 6)]
    assert all(c == 1 for d in draws for c, _ in d) and all(len(set(d)) == 4 for d in draws)
    assert len({tuple(d) for d in draws}) > 1 and draws[0] == example_frames(ds, 0, 4, 1)
    assert set(example_frames(ds, 0, 2, 3)) <= set(example_frames(ds, 0, 4, 3))  # more examples: the same and others
    assert len(example_frames(ds, 0, 8, 1)) == 8  # K beyond the clip's length repeats frames
    ckpt, root = trained
    pipe = Pipeline.from_checkpoint(ckpt)
    plain = evaluate(pipe, root, 2, Detectors(), max_clips=1, max_frames=4)
    drawn = evaluate(pipe, root, 2, Detectors(), max_clips=1, max_frames=4, example_draw=1)
    assert drawn["example_draw"] == 1 and "example_draw" not in plain


def test_the_example_flow_comes_from_the_maps_parts_unless_told(trained, tmp_path):
    from vid2vid.evaluation.evaluate import Detectors, evaluate

    ckpt, root = trained  # a pose few-shot model trains with the parts (the task's default)
    parts = Pipeline.from_checkpoint(ckpt)
    learned = Pipeline.from_checkpoint(ckpt, example_flow="learned")
    assert learned.gcfg.example_flow == "learned" and parts.gcfg.example_flow == "parts"
    scores = [evaluate(p, root, 2, Detectors(), max_clips=1, max_frames=4) for p in (learned, parts)]
    assert scores[0]["psnr"] != scores[1]["psnr"]
    from vid2vid.inference.export import export_generator  # the setting stored in an exported file is its default

    baked = Pipeline.from_checkpoint(export_generator(ckpt, tmp_path / "learned.safetensors", example_flow="learned"))
    assert baked.gcfg.example_flow == "learned"
    again = Pipeline.from_checkpoint(tmp_path / "learned.safetensors", example_flow="parts")
    assert again.gcfg.example_flow == "parts"


def test_leave_one_out_finetuning_never_shows_the_model_its_target(trained, monkeypatch):
    import vid2vid.inference.finetune as finetune

    ckpt, root = trained
    pipe = Pipeline.from_checkpoint(ckpt)
    from vid2vid.inference.inputs import load_examples

    images, semantics, _ = load_examples(pipe, [Path(p) for p in examples_of(root)])
    pipe.set_examples(images, semantics)
    seen = []

    def spy(model, driving, examples, example_semantics, part_flows=None):
        seen.append((driving, examples))
        return real_unroll(model, driving, examples, example_semantics, part_flows=part_flows)

    real_unroll = finetune.unroll
    monkeypatch.setattr(finetune, "unroll", spy)
    for leave_one_out in (False, True):
        seen.clear()
        finetune.finetune_on_examples(pipe.train_model, pipe.examples, pipe.example_semantics, 4, 1e-3, False,
                                      leave_one_out=leave_one_out)
        for step, (driving, given) in enumerate(seen):
            target = pipe.example_semantics[:, step % 2:step % 2 + 1]
            assert torch.equal(driving, target)
            assert given.shape[1] == (1 if leave_one_out else 2)
            shown = any(torch.equal(given[:, j], pipe.examples[:, step % 2]) for j in range(given.shape[1]))
            assert shown != leave_one_out  # the target example is among those given only without leave-one-out


def test_compare_shows_a_model_before_and_after_finetuning(trained, tmp_path):
    import cv2

    from vid2vid.cli.main import main

    ckpt, root = trained
    out = tmp_path / "compare.png"
    common = ["eval", "compare", "--checkpoints", str(ckpt), str(ckpt), "--data", str(root), "--clips", "1",
              "--frames", "2", "--max-frames", "4", "--out", str(out), "--quiet"]
    assert main([*common, "--finetune", "0", "6", "--finetune-lr", "1e-3"]) == 0
    picture = cv2.imread(str(out)).astype(int)
    before, after = picture[2 * 34 + 1:3 * 34 - 1, 98:], picture[3 * 34 + 1:4 * 34 - 1, 98:]  # examples, input, ...
    assert np.abs(before - after).mean() > 0.5
    assert main([*common, "--finetune", "3"]) == 2  # the same row twice
    assert main([*common, "--finetune", "1", "2", "3"]) == 2  # neither one value nor one per checkpoint


def test_generate_cli_keeps_frame_count_and_fps(trained, tmp_path):
    ckpt, root = trained
    out = tmp_path / "out.mp4"
    result = run_cli("generate", "--checkpoint", str(ckpt), "--driving", str(root / "test/d002/c001"),
                     "--examples", *examples_of(root), "--out", str(out), "--side-by-side", "--attention",
                     str(tmp_path / "attn.mp4"), "--quiet")
    assert result.returncode == 0, result.stderr
    count, fps, _ = probe(out)
    assert count == 6 and fps == Fraction(15)
    assert probe(tmp_path / "attn.mp4")[0] == 6


def test_video_writer_copies_audio_and_rate(tmp_path):
    src = write_clip_with_audio(tmp_path / "with_audio.mp4", 12, Fraction(30000, 1001), 64, 48, 8000)
    source = FrameSource(src)
    out = tmp_path / "copy.mp4"
    with VideoWriter(out, source.fps, source.width, source.height, audio_from=src) as writer:
        for frame in source:
            writer.write(frame)
    assert probe(out) == (12, Fraction(30000, 1001), True)


def make_empty_video(path: Path) -> None:
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
    container.start_encoding()
    container.close()


@pytest.mark.parametrize("case", ["missing_driving", "not_a_video", "zero_frames", "missing_example",
                                  "missing_out_folder", "wrong_task_driving", "wrong_task_example", "not_a_checkpoint",
                                  "mismatched_example_sizes", "negative_finetune"])
def test_bad_inputs_one_clear_line(trained, tmp_path, case):
    ckpt, root = trained
    args = {"--checkpoint": str(ckpt), "--driving": str(root / "test/d002/c001"), "--out": str(tmp_path / "o.mp4")}
    examples = examples_of(root)
    needle = ""
    if case == "missing_driving":
        args["--driving"], needle = str(tmp_path / "nope.mp4"), "not found"
    elif case == "not_a_video":
        (tmp_path / "text.mp4").write_text("hello")
        args["--driving"], needle = str(tmp_path / "text.mp4"), "not a readable video"
    elif case == "zero_frames":
        make_empty_video(tmp_path / "empty.mp4")
        args["--driving"], needle = str(tmp_path / "empty.mp4"), "no video frames"
    elif case == "missing_example":
        examples, needle = [str(tmp_path / "gone.png")], "example image not found"
    elif case == "missing_out_folder":
        args["--out"], needle = str(tmp_path / "no" / "o.mp4"), "does not exist"
    elif case in ("wrong_task_driving", "wrong_task_example"):
        streets = tmp_path / "streets"
        write_synthetic(SynthOptions("streets", str(streets), domains=2, test_domains=1, clips=1, frames=2,
                                     height=32, width=32, workers=1), progress=False)
        needle = "is a pose model"
        if case == "wrong_task_driving":
            args["--driving"] = str(streets / "test/d001/c000")
        else:  # a street dataset's frame as an example: named, not a missing-file error about its pose parts
            examples = [str(streets / "test/d001/c000/rgb/000000.png")]
    elif case == "not_a_checkpoint":
        (tmp_path / "bad.pt").write_bytes(b"garbage")
        args["--checkpoint"], needle = str(tmp_path / "bad.pt"), "is not a vid2vid checkpoint"
    elif case == "mismatched_example_sizes":
        import cv2

        cv2.imwrite(str(tmp_path / "a.png"), np.zeros((40, 30, 3), np.uint8))
        cv2.imwrite(str(tmp_path / "b.png"), np.zeros((50, 60, 3), np.uint8))
        examples, needle = [str(tmp_path / "a.png"), str(tmp_path / "b.png")], "differ in size"
        args["--no-crop"] = None
    elif case == "negative_finetune":
        args["--finetune"], needle = "-3", "--finetune takes a number of steps >= 0"
    flat = [x for k, v in args.items() for x in ([k] if v is None else [k, v])]
    result = run_cli("generate", *flat, "--examples", *examples, "--quiet")
    assert result.returncode != 0
    assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_export_gives_a_safetensors_generator_that_generates_the_same_frames(trained, tmp_path):
    from safetensors import safe_open

    ckpt, root = trained
    out = tmp_path / "model.safetensors"
    result = run_cli("export", "--checkpoint", str(ckpt), "--out", str(out), "--fp32")
    assert result.returncode == 0 and "wrote" in result.stderr, result.stderr
    with safe_open(str(out), "pt") as f:
        meta = f.metadata()
    assert meta["format"] == "vid2vid-generator" and json.loads(meta["dataset"])["task"] == "pose"
    assert json.loads(meta["info"])["step"] == 2
    frames = []
    for path in (ckpt, out):
        pipe = Pipeline.from_checkpoint(path)
        from vid2vid.inference.inputs import load_examples, open_driving

        images, semantics, _ = load_examples(pipe, [Path(p) for p in examples_of(root)])
        pipe.set_examples(images, semantics)
        driving = open_driving(pipe, root / "test/d002/c001")
        frames.append([f.image for f in pipe.generate(s for s, _ in driving.frames)])
    assert all(np.array_equal(a, b) for a, b in zip(*frames)) and len(frames[0]) == 6
    bad = run_cli("export", "--checkpoint", str(ckpt), "--out", str(tmp_path / "model.pt"))
    assert bad.returncode == 2 and "must end in .safetensors" in bad.stderr


def test_a_filling_model_composes_from_every_example_unless_told(trained, tmp_path):
    ckpt, root = trained
    assert Pipeline.from_checkpoint(ckpt).model.cfg.example_fill  # the few-shot pose model fills in
    assert Pipeline.from_checkpoint(ckpt).model.cfg.fill_depth == 0  # every example (docs/learning.md)
    assert Pipeline.from_checkpoint(ckpt, fill_depth=None).model.cfg.fill_depth == 2  # as it trained
    assert Pipeline.from_checkpoint(ckpt, fill_depth=3).train_model.cfg.fill_depth == 3
    bad = run_cli("generate", "--checkpoint", str(ckpt), "--driving", str(root / "test/d002/c001"), "--examples",
                  *examples_of(root), "--out", str(tmp_path / "out.mp4"), "--fill-depth", "1")
    assert bad.returncode == 2 and "fill_depth is 1" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr


def test_the_packaged_generators_load():
    from vid2vid.cli.demo import packaged_checkpoint

    for name, task in (("dancers", "pose"), ("faces", "face"), ("streets", "street")):
        pipe = Pipeline.from_checkpoint(packaged_checkpoint(name))
        assert pipe.task == task and pipe.uses_examples


def test_demo_writes_video_and_strip(trained, tmp_path):
    ckpt, _ = trained
    result = run_cli("demo", "--out", str(tmp_path / "demo"), "--checkpoint", str(ckpt), "--frames", "6", "--quiet")
    assert result.returncode == 0, result.stderr
    assert probe(tmp_path / "demo" / "demo.mp4")[0] == 6
    import cv2

    strip = cv2.imread(str(tmp_path / "demo" / "demo.png"))
    assert strip is not None and strip.shape[1] == 32 * 5  # 2 examples | pose | output | ground truth


@pytest.mark.parametrize("task, name", [("faces", "face"), ("street", "street")])  # an alias and a task name
def test_demo_of_every_task_without_a_packaged_model_trains_one(task, name, tmp_path, monkeypatch):
    from vid2vid.cli import demo

    monkeypatch.setattr(demo, "packaged_checkpoint", lambda task="pose": None)
    result = demo.run_demo(tmp_path / "demo", num_examples=2, frames=4, fallback_steps=2, progress=False, task=task)
    assert probe(result.video)[0] == 4 and result.strip.exists()
    with pytest.raises(UserError, match=f"is a {name} model .* not pose: pass --task {name}"):
        demo.run_demo(tmp_path / "again", result.checkpoint, frames=4, progress=False, task="dancers")


def test_scores_refuse_mismatched_data_and_too_few_frames(trained, tmp_path):
    ckpt, root = trained
    other = {"street": tmp_path / "streets", "face": tmp_path / "faces"}
    for task, folder in other.items():
        write_synthetic(SynthOptions(task, str(folder), domains=2, test_domains=1, clips=2, frames=4, height=32,
                                     width=64 if task == "street" else 32, workers=1), progress=False)
    for command, data in (("checkpoint", other["street"]), ("diagnose", other["face"])):
        result = run_cli("eval", command, "--checkpoint", str(ckpt), "--data", str(data))
        assert result.returncode == 2 and "score it on data of its task and size" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    result = run_cli("eval", "detectors", "--keypoint-data", str(other["street"]), "--out", str(tmp_path / "q"))
    assert result.returncode == 2 and "--keypoint-data needs a dataset with coco18 keypoints" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("eval", "checkpoint", "--checkpoint", str(ckpt), "--data", str(root), "--clips", "1",
                     "--frames", "1")
    assert result.returncode == 2 and "1 generated frame(s) cannot give an FID" in result.stderr
    result = run_cli("eval", "checkpoint", "--checkpoint", str(ckpt), "--data", str(root), "--clips", "1",
                     "--frames", "4")
    assert result.returncode == 0 and "warning: FID from 4 frames is strongly biased" in result.stderr
    raw = run_cli("eval", "checkpoint", "--checkpoint", str(ckpt), "--data", str(root), "--clips", "1",
                  "--frames", "4", "--weights", "generator")  # the raw weights: after 2 steps, not the average
    assert raw.returncode == 0 and json.loads(raw.stdout)["psnr"] != json.loads(result.stdout)["psnr"]


def test_run_report_draws_curves_pictures_and_scores(trained, tmp_path):
    ckpt, _ = trained
    result = run_cli("eval", "run", "--run-dir", str(ckpt.parent), "--out", str(tmp_path), "--name", "tiny",
                     "--people", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["step"] == 2
    for name in ("tiny_losses.png", "tiny_heldout.png", "tiny_scores.json"):
        assert (tmp_path / name).stat().st_size > 0


def test_onnx_runtime_generates_the_frames_of_pytorch_and_export_writes_the_graphs(trained, tmp_path):
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    ckpt, root = trained
    videos = {}
    for runtime in ("torch", "onnx"):  # (the parts' fit runs in PyTorch next to the ONNX graphs)
        videos[runtime] = tmp_path / f"{runtime}.mp4"
        result = run_cli("generate", "--checkpoint", str(ckpt), "--driving", str(root / "test/d002/c001"),
                         "--examples", *examples_of(root), "--out", str(videos[runtime]), "--runtime", runtime,
                         "--lossless", "--quiet")
        assert result.returncode == 0, result.stderr
    a, b = (np.stack(list(FrameSource(videos[r]))).astype(int) for r in ("torch", "onnx"))
    assert a.shape == b.shape and np.abs(a - b).max() <= 1  # uint8 rounding of outputs equal to ~1e-5
    result = run_cli("export", "--checkpoint", str(ckpt), "--onnx", str(tmp_path / "graphs"), "-k", "2", "--quiet")
    assert result.returncode == 0, result.stderr
    spec = json.loads((tmp_path / "graphs" / "onnx.json").read_text())
    assert spec["k"] == 2 and spec["dataset"]["task"] == "pose"
    assert {p.name for p in (tmp_path / "graphs").iterdir()} == {"encoder.onnx", "first.onnx", "step.onnx",
                                                                 "onnx.json"}
