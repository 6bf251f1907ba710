"""The command line as a user meets it: help works, bad input gives one clear line and a non-zero exit."""

import os
import subprocess
import sys

import pytest


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vid2vid.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_help_lists_subcommands():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in ("data", "train", "generate", "eval", "bench", "demo"):
        assert name in result.stdout


def test_bench_lists_its_benchmarks_and_needs_one():
    result = run_cli("bench", "--help")
    assert result.returncode == 0
    for name in ("generator", "memory", "synth", "perceptual", "bench_results"):
        assert name in result.stdout
    result = run_cli("bench")
    assert result.returncode == 2 and "{generator,memory,synth,perceptual}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args,needle", [
    (["--size", "-5"], "at least 32x32"),
    (["--frames", "1"], "--frames must be >= 2"),
    (["--domains", "3", "--test-domains", "3"], "--test-domains"),
])
def test_bad_synth_options(tmp_path, args, needle):
    result = run_cli("data", "synth", "dancers", "--out", str(tmp_path / "d"), *args)
    assert result.returncode != 0
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_bad_yaml_key_names_key_and_file(tmp_path):
    cfg = tmp_path / "synth.yaml"
    cfg.write_text("kind: dancers\nout: x\nframez: 4\n")
    result = run_cli("data", "synth", "--config", str(cfg))
    assert result.returncode != 0 and "framez" in result.stderr and str(cfg) in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_output_folder(tmp_path):
    if os.geteuid() == 0:  # root writes anywhere except pseudo file systems
        target = "/proc/vid2vid-test/d"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = str(locked / "d")
    result = run_cli("data", "synth", "dancers", "--out", target, "--quiet")
    assert result.returncode != 0 and "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_output_path_is_a_file(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    result = run_cli("data", "synth", "streets", "--out", str(target), "--quiet")
    assert result.returncode != 0 and "not a folder" in result.stderr and "Traceback" not in result.stderr


def test_check_missing_folder(tmp_path):
    result = run_cli("data", "check", str(tmp_path / "none"), "--quiet")
    assert result.returncode == 1 and "not found" in result.stdout and "Traceback" not in result.stderr


def _leaf_commands() -> list[list[str]]:
    import argparse

    from vid2vid.cli.main import build_parser

    def walk(parser, path):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return [path]
        return [leaf for a in subs for name, p in a.choices.items() for leaf in walk(p, path + [name])]

    return walk(build_parser(), [])


def test_every_command_speaks_one_vocabulary():
    """--quiet/--verbose everywhere; --checkpoint, -k/--num-examples and --device mean the same thing wherever they
    appear; task options list the registry's names."""
    from vid2vid.cli.main import build_parser

    commands = _leaf_commands()
    assert ["eval", "checkpoint"] in commands and ["export"] in commands and ["configs"] in commands
    for command in commands:
        parser = build_parser()
        for name in command:
            parser = next(a for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict)
                          ).choices[name]
        flags = {s: a for a in parser._actions for s in a.option_strings}
        assert "--quiet" in flags and "--verbose" in flags, command
        if "--examples" in flags:  # always image paths, never a count
            assert flags["--examples"].nargs == "*", command
        if "--num-examples" in flags:
            assert flags["-k"] is flags["--num-examples"] and flags["-k"].type is int, command
        if "--device" in flags:
            assert set(flags["--device"].choices) == {"auto", "cpu", "cuda", "mps"}, command
        if "--task" in flags:
            assert {"pose", "face", "street"} <= set(flags["--task"].choices), command
        shown = parser.format_help()  # allowed values are listed (aliases may stay unlisted)
        for action in parser._actions:
            if action.choices and not isinstance(action.choices, dict):
                assert all(c in shown for c in action.choices if c in ("pose", "face", "street", "auto", "smoke",
                                                                       "ema")), command


def test_an_old_task_name_works_with_a_note(tmp_path):
    result = run_cli("data", "synth", "dancers", "--out", str(tmp_path / "d"), "--domains", "2", "--test-domains",
                     "1", "--clips", "1", "--frames", "2", "--size", "32", "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "task 'dancers' is called 'pose' now" in result.stderr


def test_a_device_that_is_not_there_is_one_line_and_exit_2():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = run_cli("train", "--config", "pose-tiny", "--device", "cuda", "--data", "/nonexistent")
    assert result.returncode == 2 and "device 'cuda' is not available" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_packaged_configs_load_by_name():
    from vid2vid.training.options import find_config, load_run_config, packaged_configs

    names = packaged_configs()
    assert {f"{t}-{p}" for t in ("pose", "face", "street") for p in ("tiny", "small", "paper")} <= set(names)
    for name in names:
        cfg = load_run_config(name)
        assert cfg.model.preset == name.split("-")[-1]
    assert find_config("dancers-small") == find_config("pose-small")
    result = run_cli("configs")
    assert result.returncode == 0 and "pose-small" in result.stdout
