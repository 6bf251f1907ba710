"""`vid2vid bench` at tiny settings: each benchmark writes its JSON + Markdown report; bad input is one clear line."""

import importlib.util
import json

import pytest

from vid2vid.speed.report import write_report
from vid2vid.cli.main import main
from vid2vid.errors import UserError

TINY_GENERATOR = ["--presets", "tiny", "--tasks", "pose", "--k", "1", "--frames", "1", "--no-bf16", "--threads", "1"]


def test_generator_speed_measures_in_a_child_process_and_writes_its_report(tmp_path, capsys):
    assert main(["bench", "generator", *TINY_GENERATOR, "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "generator_speed.json").read_text())
    row = report["results"][0]
    assert (row["preset"], row["task"], row["k"], row["dtype"], row["threads"]) == ("tiny", "pose", 1, "fp32", 1)
    assert row["step_s"] > 0 and row["encode_s"] > 0 and row["parameters"] > 0 and row["peak_rss_mb"] > 0
    assert 0.01 < row["gflops"] < 1  # the tiny preset at 64x32
    onnx = importlib.util.find_spec("onnxruntime") is not None
    assert [r.get("runtime", "torch") for r in report["results"]] == ["torch"] + (["onnx"] if onnx else [])
    assert report["meta"]["frames"] == 1 and len(report["published"]) == 6
    md = tmp_path / "generator_speed.md"
    assert "| tiny | pose | 64x32 | 1 | cpu | fp32 | fast | 1 |" in md.read_text()
    assert f"wrote {tmp_path / 'generator_speed.json'} and {md}" in capsys.readouterr().err
    assert "| PyTorch fp32 | PyTorch bf16 | ONNX Runtime |" in md.read_text()

    md.unlink()  # --render rebuilds the Markdown from the JSON without measuring
    assert main(["bench", "generator", "--render", str(tmp_path / "generator_speed.json")]) == 0
    assert "| tiny | pose | 64x32 |" in md.read_text()


def test_synth_speed_writes_its_report(tmp_path):
    assert main(["bench", "synth", "--size", "32", "--frames", "4", "--tasks", "pose", "--out", str(tmp_path)]) == 0
    (row,) = json.loads((tmp_path / "synth_speed.json").read_text())["results"]
    assert row["task"] == "pose" and row["size"] == 32 and row["frames"] == 4
    assert min(row["render_fps"], row["render_and_write_fps"], row["cli_fps_all_cores"]) > 0
    assert "| pose | 32x32 |" in (tmp_path / "synth_speed.md").read_text()


def test_streaming_memory_writes_its_report(tmp_path):
    pytest.importorskip("skvideo")
    pytest.importorskip("mediapipe")
    assert main(["bench", "memory", "--frames", "8", "16", "--size", "32", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "streaming_memory.json").read_text())
    assert [r["frames"] for r in report["rows"]] == [8, 16] and min(r["peak_rss_mb"] for r in report["rows"]) > 0
    assert report["size"] == 32 and "growth" in report and "meets_target" in report
    assert "| 16 |" in (tmp_path / "streaming_memory.md").read_text()


def test_streaming_memory_of_a_coarse_to_fine_street_model(tmp_path):
    assert main(["bench", "memory", "--task", "street", "--enhancers", "1", "--frames", "3", "6", "--size", "32",
                 "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "streaming_memory_street_32x64.json").read_text())
    assert [r["frames"] for r in report["rows"]] == [3, 6] and report["enhancers"] == 1 and report["width"] == 64
    assert "1 local enhancers (coarse-to-fine)" in (tmp_path / "streaming_memory_street_32x64.md").read_text()
    assert all(r["writer_peak_rss_mb"] > 0 for r in report["rows"])  # the H.264 writer alone, same frames and size
    assert "the H.264 writer alone grows" in (tmp_path / "streaming_memory_street_32x64.md").read_text()


@pytest.mark.parametrize("args,needle", [
    (["generator", *TINY_GENERATOR, "--presets", "huge"],
     "unknown preset 'huge': choose from tiny, small, fast, paper"),
    (["generator", *TINY_GENERATOR, "--tasks", "hands"], "unknown task 'hands'"),
    (["generator", *TINY_GENERATOR, "--frames", "0"], "--frames must be >= 1, got 0"),
    (["generator", *TINY_GENERATOR, "--k", "0"], "--k must be >= 1, got 0"),
    (["generator", "--render", "missing.json"], "cannot read --render missing.json"),
    (["synth", "--size", "32", "--frames", "4", "--tasks", "cats"], "unknown task 'cats'"),
    (["synth", "--size", "16", "--frames", "4", "--tasks", "pose"], "--size must be from 32 to 4096, got 16"),
    (["synth", "--size", "32", "--frames", "1", "--tasks", "pose"], "--frames must be >= 2"),
    (["memory", "--frames", "8", "--size", "32"], "--frames needs at least two video lengths"),
    (["memory", "--frames", "0", "16", "--size", "32"], "--frames must all be >= 1, got 0"),
    (["memory", "--frames", "8", "16", "--size", "36"], "--size must be at least 32 and a multiple of 8, got 36"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, needle):
    assert main(["bench", *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vid2vid bench: error: ") and needle in err and err.count("\n") == 1
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_memory_without_scikit_video_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "skvideo" else find_spec(name, *a))
    assert main(["bench", "memory", "--frames", "8", "16", "--size", "32", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "needs scikit-video" in err and "pip install scikit-video==1.1.11" in err and err.count("\n") == 1


def test_an_unwritable_out_folder_is_a_user_error(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(UserError, match="cannot write the report to --out"):
        write_report(tmp_path / "file.txt", "synth_speed", {}, "")


def test_perceptual_step_writes_its_report(tmp_path):
    assert main(["bench", "perceptual", "--size", "16", "--batch", "1", "--repeats", "1", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "perceptual_step.json").read_text())
    assert set(report["seconds"]) == {"one term, joint batch", "one term, no_grad target", "two terms, joint batch",
                                      "two terms, shared no_grad target"}
    assert all(v > 0 for v in report["seconds"].values())
