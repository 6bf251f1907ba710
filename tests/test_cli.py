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
    for name in ("generator", "memory", "synth", "bench_results"):
        assert name in result.stdout
    result = run_cli("bench")
    assert result.returncode == 2 and "{generator,memory,synth}" in result.stderr and "Traceback" not in result.stderr


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
