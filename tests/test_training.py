"""Training: a tiny run works end to end, resumes exactly after kill -9, runs under torchrun, rejects bad configs."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from conftest import tiny_synthetic
from vid2vid.cli.main import main
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.checkpoint import latest_checkpoint, load_checkpoint
from vid2vid.training.schedule import ema_decay, sequence_length


@pytest.fixture(scope="module")
def dancers(tmp_path_factory) -> Path:
    return tiny_synthetic(tmp_path_factory, "dancers", domains=3, test_domains=1, clips=1, frames=6)


def write_config(path: Path, root: Path, **train) -> Path:
    cfg = {"data": {"root": str(root), "seq_len": 3, "num_examples": 2},
           "model": {"preset": "tiny"},
           "discriminator": {"ndf": 4, "layers": 2, "scales": 1, "temporal_frames": 2},
           "loss": {"temporal": 1.0},
           "train": {"max_steps": 6, "batch_size": 1, "single_frame_steps": 2, "double_every": 2, "workers": 0,
                     "log_every": 1, "image_every": 3, "checkpoint_every": 3, "progress": False, **train}}
    path.write_text(yaml.safe_dump(cfg))
    return path


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vid2vid.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_schedule_single_frames_then_doubling():
    lengths = [sequence_length(s, 2, 3, 30) for s in range(0, 20)]
    assert lengths[:2] == [1, 1] and lengths[2:5] == [2, 2, 2] and lengths[5:8] == [4, 4, 4]
    assert sequence_length(10_000, 2, 3, 30) == 30


def test_ema_warm_up_washes_out_the_initial_weights():
    assert ema_decay(0, 0.999) == pytest.approx(0.1) and ema_decay(100_000, 0.999) == 0.999
    share = 1.0  # weight of the initial parameters in the average after 1,000 updates
    for step in range(1000):
        share *= ema_decay(step, 0.999)
    assert share < 1e-6 and 0.999 ** 1000 > 0.3  # plain beta would keep 37 % of them
    assert ema_decay(5, 0.0) == 0.0  # 0 disables averaging


def test_tiny_run_writes_events_images_checkpoints(dancers, tmp_path):
    cfg = write_config(tmp_path / "c.yaml", dancers)
    run = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--run-dir", str(run), "--quiet"]) == 0
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    assert (run / "images" / "step-00000003.png").exists()
    # config.yaml is what ran: it loads as a run config, with every generator setting of the run spelled out
    from vid2vid.training.options import load_run_config, resolve_generator

    ran = load_run_config(run / "config.yaml")
    state = load_checkpoint(latest_checkpoint(run))
    assert state["step"] == 6 and state["generator_config"]["arch"] == "fewshot"
    assert dataclasses.asdict(resolve_generator(ran.model, "pose", 6)) == state["generator_config"]
    assert ran.train.max_steps == 6 and ran.discriminator.ndf == 4
    assert dict(ran.model.overrides)["compose"] == "example" and dict(ran.model.overrides)["example_fill"]  # pose's
    assert {"generator", "discriminators", "ema", "opt_g", "opt_d", "rng", "config"} <= set(state)
    for tensor in state["generator"].values():
        assert torch.isfinite(tensor.float()).all()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    tags = events.Tags()["scalars"]
    for tag in ("G/gan", "G/perceptual", "G/flow", "G/warp", "G/mask", "G/temporal", "G/face", "D/gan",
                "G/flow.example", "G/warp.example", "G/mask.example"):
        assert tag in tags, tag
    # pose's few-shot frame is the warped example where it is valid: the decoder output has its own VGG loss
    assert "G/raw" in tags
    assert all(torch.isfinite(torch.tensor(e.value)) for tag in tags for e in events.Scalars(tag))


def test_example_fill_trains_the_second_flow_and_mask(dancers, tmp_path):
    cfg = write_config(tmp_path / "c.yaml", dancers, random_k=False, image_every=0)
    values = yaml.safe_load(cfg.read_text())
    values["model"].update(compose="example", example_fill=True)
    cfg.write_text(yaml.safe_dump(values))
    run = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--run-dir", str(run), "--quiet"]) == 0
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    for tag in ("G/flow.fill", "G/warp.fill", "G/mask.fill", "G/flow.example"):
        assert tag in events.Tags()["scalars"], tag
        assert all(e.value > 0 for e in events.Scalars(tag))


def test_resume_after_kill_is_exact(dancers, tmp_path):
    cfg = write_config(tmp_path / "c.yaml", dancers, max_steps=8, checkpoint_every=4, image_every=0)
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    assert main(["train", "--config", str(cfg), "--run-dir", str(straight), "--quiet"]) == 0
    finished = (straight / "checkpoint-00000008.pt").stat().st_mtime_ns
    assert main(["train", "--config", str(cfg), "--run-dir", str(straight), "--resume", "--quiet"]) == 0
    assert (straight / "checkpoint-00000008.pt").stat().st_mtime_ns == finished  # a finished run is left as is
    proc = subprocess.Popen([sys.executable, "-m", "vid2vid.cli.main", "train", "--config", str(cfg), "--run-dir",
                             str(killed), "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = killed / "checkpoint-00000004.pt"
    deadline = time.time() + 240
    while not target.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert target.exists()
    for later in killed.glob("checkpoint-*.pt"):  # if the run got further before the kill landed, forget it
        if later.name > target.name:
            later.unlink()
    assert main(["train", "--config", str(cfg), "--run-dir", str(killed), "--resume", "--quiet"]) == 0
    a = load_checkpoint(straight / "checkpoint-00000008.pt")
    b = load_checkpoint(killed / "checkpoint-00000008.pt")
    for key in ("generator", "discriminators", "ema"):
        for name, tensor in a[key].items():
            assert torch.equal(tensor, b[key][name]), f"{key}.{name} differs after resume"


def test_a_run_folder_another_process_trains_is_refused(dancers, tmp_path, capsys):
    from vid2vid.files import folder_lock

    cfg = write_config(tmp_path / "c.yaml", dancers, max_steps=2, image_every=0)
    run = tmp_path / "run"
    with folder_lock(run, "a test"):  # a lock on another open file, as another process would hold it
        assert main(["train", "--config", str(cfg), "--run-dir", str(run), "--quiet"]) == 2
        assert not list(run.glob("checkpoint-*")) and not (run / "config.yaml").exists()
    assert f"cannot use {run} for training: another process (pid {os.getpid()})" in capsys.readouterr().err
    assert not run.exists()  # the holder made the folder and left nothing in it: removed
    assert main(["train", "--config", str(cfg), "--run-dir", str(run), "--quiet"]) == 0  # free again
    assert (run / "checkpoint-00000002.pt").exists()
    (tmp_path / "a_file").write_text("")
    assert main(["train", "--config", str(cfg), "--run-dir", str(tmp_path / "a_file" / "run"), "--quiet"]) == 2
    assert "cannot use" in capsys.readouterr().err  # a folder that cannot be made: one line, no traceback


def test_max_hours_is_a_budget_summed_over_resumed_sessions(dancers, tmp_path):
    second = 1 / 3600
    cfg = write_config(tmp_path / "c.yaml", dancers, max_steps=100000, checkpoint_every=100000, image_every=0,
                       max_hours=0.5 * second)
    run = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--run-dir", str(run), "--quiet"]) == 0
    first = latest_checkpoint(run)
    state = load_checkpoint(first)
    assert 0 < state["step"] < 100000 and state["train_seconds"] >= 0.5
    assert main(["train", "--config", str(cfg), "--run-dir", str(run), "--resume", "--quiet"]) == 0
    assert latest_checkpoint(run) == first  # the budget is spent: a resumed run does nothing
    more = write_config(tmp_path / "more.yaml", dancers, max_steps=100000, checkpoint_every=100000, image_every=0,
                        max_hours=1.5 * second)
    assert main(["train", "--config", str(more), "--run-dir", str(run), "--resume", "--quiet"]) == 0
    later = load_checkpoint(latest_checkpoint(run))
    assert later["step"] > state["step"] and later["train_seconds"] >= 1.5
    bad = write_config(tmp_path / "bad.yaml", dancers, max_hours=-1)
    assert main(["train", "--config", str(bad), "--run-dir", str(tmp_path / "bad"), "--quiet"]) == 2


def test_sigterm_saves_checkpoint(dancers, tmp_path):
    """The whole process group is signalled (as a terminal's Ctrl-C or `pkill -f` would), workers included."""
    cfg = write_config(tmp_path / "c.yaml", dancers, max_steps=100000, checkpoint_every=100000, image_every=0,
                       workers=1)
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "vid2vid.cli.main", "train", "--config", str(cfg), "--run-dir",
                             str(run), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.time() + 120
    while not (run / "config.yaml").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)
    os.killpg(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "continue with --resume" in err and latest_checkpoint(run) is not None


def _torchrun(cfg: Path, run: Path, *extra: str, nodes: int = 1, node_rank: int = 0, port: int = 29517,
              background: bool = False):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2" if nodes == 1 else "1"]
    if nodes > 1:
        cmd += ["--nnodes", str(nodes), "--node_rank", str(node_rank), "--rdzv_backend", "c10d", "--rdzv_endpoint",
                f"127.0.0.1:{port}", "--rdzv_id", "vid2vid-test"]
    else:
        cmd += ["--master_port", str(port)]
    cmd += ["-m", "vid2vid.cli.main", "train", "--config", str(cfg), "--run-dir", str(run), "--device", "cpu", *extra]
    if background:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def _digests(stderr: str) -> dict[str, str]:
    return dict(line.split(": weights sha256 ") for line in stderr.splitlines() if ": weights sha256 " in line)


def test_torchrun_two_processes_ddp_same_weights_and_exact_resume(dancers, tmp_path):
    cfg = write_config(tmp_path / "c.yaml", dancers, max_steps=4, image_every=0, checkpoint_every=2, workers=0)
    run = tmp_path / "run"
    result = _torchrun(cfg, run, "--max-steps", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    first = _digests(result.stderr)
    assert set(first) == {"rank 0", "rank 1"} and len(set(first.values())) == 1, result.stderr[-2000:]
    result = _torchrun(cfg, run, "--resume")  # continue 2 -> 4 from the checkpoint
    assert result.returncode == 0, result.stderr[-2000:]
    resumed = _digests(result.stderr)
    assert len(set(resumed.values())) == 1 and load_checkpoint(latest_checkpoint(run))["step"] == 4
    straight = tmp_path / "straight"
    result = _torchrun(cfg, straight)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _digests(result.stderr) == resumed  # stopping and resuming changes nothing


def test_two_nodes_on_one_machine_with_c10d_rendezvous(dancers, tmp_path):
    cfg = write_config(tmp_path / "c.yaml", dancers, max_steps=2, image_every=0, checkpoint_every=100, workers=0)
    run = tmp_path / "run"
    nodes = [_torchrun(cfg, run, nodes=2, node_rank=r, port=29533, background=True) for r in (0, 1)]
    outs = [p.communicate(timeout=300) for p in nodes]
    assert all(p.returncode == 0 for p in nodes), outs[0][1][-2000:] + outs[1][1][-2000:]
    digests = {**_digests(outs[0][1]), **_digests(outs[1][1])}
    assert set(digests) == {"rank 0", "rank 1"} and len(set(digests.values())) == 1
    assert [p.name for p in sorted(run.glob("checkpoint-*.pt"))] == ["checkpoint-00000002.pt"]  # saved once


@pytest.mark.parametrize("edit,needle", [
    (lambda c: c["train"].update(lr_gg=1), "unknown key 'lr_gg'"),
    (lambda c: c["data"].update(num_examples=50), "num_examples K=50"),
    (lambda c: c["data"].update(seq_len=40), "seq_len 40"),
    (lambda c: c["train"].update(lr_g=float("nan")), "finite"),
    (lambda c: c["train"].update(lr_d=-1.0), "lr_d must be a positive"),
    (lambda c: c["model"].update(arch="gan9000"), "gan9000"),
    (lambda c: c["train"].update(flow_pretrain_steps=-5), "flow_pretrain_steps must be >= 0"),
    (lambda c: c["data"].update(examples_from="elsewhere"), "examples_from"),
    (lambda c: c["model"].update(compose=3), "model.compose: expected a string"),
    (lambda c: c["model"].update(preset="huge"), "model.preset 'huge'"),
    (lambda c: c["discriminator"].update(scales=0), "discriminator.scales must be >= 1"),
    (lambda c: c["loss"].update(ndf=4), "unknown key 'ndf'"),
    (lambda c: c["train"].update(ema_beta=1.5), "ema_beta must be in [0, 1)"),
])
def test_bad_configs_fail_before_training(dancers, tmp_path, edit, needle):
    cfg_path = write_config(tmp_path / "c.yaml", dancers)
    cfg = yaml.safe_load(cfg_path.read_text())
    edit(cfg)
    cfg_path.write_text(yaml.safe_dump(cfg))
    result = run_cli("train", "--config", str(cfg_path), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("compose", ["spade", "blend", "example"])
def test_diagnose_measures_a_trained_checkpoint(dancers, tmp_path, compose):
    cfg = write_config(tmp_path / "c.yaml", dancers, max_steps=3)
    raw = yaml.safe_load(cfg.read_text())
    raw["model"]["compose"] = compose
    cfg.write_text(yaml.safe_dump(raw))
    run = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--run-dir", str(run), "--quiet"]) == 0
    out = tmp_path / "diag.json"
    assert main(["eval", "diagnose", "--checkpoint", str(latest_checkpoint(run)), "--data", str(dancers),
                 "--frames", "6", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["example_flow_epe"] >= 0 and result["zero_flow_epe"] >= 0
    assert result["ghost_ratio"] > 0 and result["compose"] == compose
    if compose == "spade":
        assert result["example_share_in_ghost"] is None  # nothing is pasted: the frame is the decoder output
        from conftest import make_tiny_dataset

        from vid2vid.errors import UserError
        from vid2vid.evaluation.evaluate import Detectors, evaluate
        from vid2vid.inference.pipeline import Pipeline

        make_tiny_dataset(tmp_path / "toy")  # street labels: another task
        with pytest.raises(UserError, match="trained on dancers .* but .*toy holds toy"):
            evaluate(Pipeline.from_checkpoint(latest_checkpoint(run)), tmp_path / "toy", 1, Detectors())
    else:
        assert 0 <= result["example_share_in_ghost"] <= 1
    assert 0 <= result["prev_mask_mean"] <= 1 and result["background_drift"] > -1 and result["frames"] == 6
    hidden = result["ghost_hidden_share"]  # the ghost's two parts pool back to the whole
    assert 0 <= hidden <= 1 and result["ghost_l1"] == pytest.approx(
        (result["ghost_l1_shown"] or 0) * (1 - hidden) + (result["ghost_l1_hidden"] or 0) * hidden)
    assert result["placebo_ratio"] is None and "ghost_excess" not in result  # one held-out person: no stranger


def test_diagnose_compares_the_ghost_with_a_strangers_body(tmp_path):
    root = tmp_path / "dancers"
    write_synthetic(SynthOptions("dancers", str(root), domains=4, test_domains=2, clips=1, frames=6, height=32,
                                 width=32, workers=1), progress=False)
    cfg = write_config(tmp_path / "c.yaml", root, max_steps=2)
    raw = yaml.safe_load(cfg.read_text())
    raw["data"]["examples_from"] = "clip"  # one clip per person
    cfg.write_text(yaml.safe_dump(raw))
    assert main(["train", "--config", str(cfg), "--run-dir", str(tmp_path / "run"), "--quiet"]) == 0
    out = tmp_path / "diag.json"
    assert main(["eval", "diagnose", "--checkpoint", str(latest_checkpoint(tmp_path / "run")), "--data", str(root),
                 "--frames", "6", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["placebo_ratio"] > 0 and result["ghost_excess"] == pytest.approx(
        result["ghost_ratio"] / result["placebo_ratio"])
    assert main(["eval", "diagnose", "--checkpoint", str(latest_checkpoint(tmp_path / "run")), "--data", str(root),
                 "--frames", "6", "-k", "1", "--out", str(out)]) == 0
    one = json.loads(out.read_text())  # one example: nothing else can show the background its body hides
    assert one["ghost_hidden_share"] == 1 and one["ghost_l1_hidden"] == pytest.approx(one["ghost_l1"])
    assert one["ghost_l1_shown"] is None and "ghost_ratio_shown" not in one


def test_diagnose_refuses_data_without_subject_masks(tmp_path):
    from conftest import make_tiny_dataset

    from vid2vid.errors import UserError
    from vid2vid.evaluation.diagnose import diagnose

    make_tiny_dataset(tmp_path / "toy")
    with pytest.raises(UserError, match="subject masks"):
        diagnose(None, tmp_path / "toy")


def test_flow_pretraining_moves_only_the_flow_network(dancers, tmp_path):
    from vid2vid.models.config import build_generator
    from vid2vid.training.options import ModelSpec, resolve_generator

    cfg = write_config(tmp_path / "c.yaml", dancers, max_steps=3, flow_pretrain_steps=3)
    settings = yaml.safe_load(cfg.read_text())
    settings["loss"]["layout"] = 10.0  # the warped example's map vs the frame's, in the flow stage too
    cfg.write_text(yaml.safe_dump(settings))
    run = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--run-dir", str(run), "--quiet"]) == 0
    trained = load_checkpoint(latest_checkpoint(run))["generator"]
    torch.manual_seed(0)  # the loop's seed: the same initial weights
    initial = build_generator(resolve_generator(ModelSpec("tiny"), "pose", 6)).state_dict()
    changed = {k for k, v in initial.items() if not torch.equal(v, trained[k])}
    assert changed and all(k.startswith("flow.") for k in changed)
    assert any(k.startswith("flow.flow_head") for k in changed)
    logged = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert all("G/flow.example" in r and "G/layout.example" in r and r["train/seq_len"] == 0.0 for r in logged)


def _copy_dataset(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_training_refuses_a_broken_dataset_before_step_1(dancers, tmp_path):
    data = _copy_dataset(dancers, tmp_path / "data")
    bad = data / "train" / "d000" / "c000" / "rgb" / "000002.png"
    bad.write_bytes(b"not a png")
    cfg = write_config(tmp_path / "c.yaml", data)
    result = run_cli("train", "--config", str(cfg), "--run-dir", str(tmp_path / "run"), "--quiet")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{bad}: is not a readable PNG" in result.stderr and "vid2vid data check" in result.stderr
    assert not (tmp_path / "run").exists()  # nothing written


def test_a_frame_that_fails_mid_run_saves_and_stops_in_one_line(dancers, tmp_path):
    data = _copy_dataset(dancers, tmp_path / "data")
    for clip in (data / "train").glob("*/c000"):  # valid PNG headers, truncated pixel data: passes the quick check
        for png in (clip / "rgb").glob("*.png"):
            png.write_bytes(png.read_bytes()[:40])
    cfg = write_config(tmp_path / "c.yaml", data, workers=1)
    result = run_cli("train", "--config", str(cfg), "--run-dir", str(tmp_path / "run"), "--quiet")
    assert result.returncode == 2, result.stderr
    assert "cannot read image" in result.stderr and "continue with --resume" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert latest_checkpoint(tmp_path / "run") is not None


def _truncate(pngs: list[Path]) -> dict[Path, bytes]:
    """Keep each PNG's header (so the start check passes) but cut its pixel data; returns the originals."""
    saved = {p: p.read_bytes() for p in pngs}
    for p, data in saved.items():
        p.write_bytes(data[:40])
    return saved


def test_resume_after_repairing_a_bad_frame_continues_exactly(dancers, tmp_path):
    data = _copy_dataset(dancers, tmp_path / "data")
    cfg = write_config(tmp_path / "c.yaml", data, workers=1, image_every=0, checkpoint_every=100)
    run = tmp_path / "run"
    assert run_cli("train", "--config", str(cfg), "--run-dir", str(run), "--max-steps", "2", "--quiet").returncode == 0
    saved = _truncate(sorted((data / "train").glob("*/c000/rgb/*.png")))  # broken after the run's start check
    result = run_cli("train", "--config", str(cfg), "--run-dir", str(run), "--resume", "--quiet")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot read image" in result.stderr
    assert "continue with --resume" in result.stderr
    assert load_checkpoint(latest_checkpoint(run))["step"] == 2
    for p, content in saved.items():
        p.write_bytes(content)
    assert run_cli("train", "--config", str(cfg), "--run-dir", str(run), "--resume", "--quiet").returncode == 0
    straight = tmp_path / "straight"
    assert run_cli("train", "--config", str(cfg), "--run-dir", str(straight), "--quiet").returncode == 0
    a = load_checkpoint(latest_checkpoint(straight))
    b = load_checkpoint(latest_checkpoint(run))
    assert a["step"] == b["step"] == 6
    for key in ("generator", "discriminators", "ema"):
        for name, tensor in a[key].items():
            assert torch.equal(tensor, b[key][name]), f"{key}.{name} differs after the repaired resume"


def test_skip_bad_samples_skips_counts_and_finishes(dancers, tmp_path):
    data = _copy_dataset(dancers, tmp_path / "data")
    _truncate(sorted((data / "train" / "d001" / "c000" / "rgb").glob("*.png"))[3:])
    cfg = write_config(tmp_path / "c.yaml", data, workers=1, image_every=0, skip_bad_samples=True)
    run = tmp_path / "run"
    result = run_cli("train", "--config", str(cfg), "--run-dir", str(run))
    assert result.returncode == 0, result.stderr
    assert "skipped a training sample: cannot read image" in result.stderr
    assert "unreadable training sample(s) (train.skip_bad_samples)" in result.stderr
    logs = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert max(entry.get("train/skipped_samples", 0) for entry in logs) > 0


def test_a_foreground_background_street_model_trains_and_generates(tmp_path):
    from vid2vid.inference.pipeline import Pipeline
    from vid2vid.inference.sources import ClipDriving

    root = tmp_path / "streets"
    write_synthetic(SynthOptions("streets", str(root), domains=2, test_domains=1, clips=1, frames=4, height=32,
                                 width=64, workers=1), progress=False)
    cfg = {"data": {"root": str(root), "seq_len": 2, "num_examples": 1},
           "model": {"preset": "tiny", "arch": "vid2vid", "foreground": True},
           "discriminator": {"ndf": 4, "layers": 2, "scales": 1},
           "train": {"max_steps": 2, "batch_size": 1, "single_frame_steps": 1, "workers": 0, "image_every": 0,
                     "progress": False}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["train", "--config", str(path), "--run-dir", str(tmp_path / "run"), "--quiet"]) == 0
    ran = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert ran["model"]["foreground"] is True and len(ran["model"]["foreground_channels"]) == 8
    pipe = Pipeline.from_checkpoint(latest_checkpoint(tmp_path / "run"))
    clip = next((root / "test").glob("*/*"))
    frames = list(pipe.generate(s for s, _ in ClipDriving(clip, pipe.meta)))
    assert len(frames) == 4 and pipe.model.foreground is not None
