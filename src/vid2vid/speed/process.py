"""Measuring in a fresh Python process, so that its peak memory and its start-up belong to one measurement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import vid2vid
from vid2vid.errors import UserError


def run_python(args: list[str], what: str, env: dict[str, str] | None = None) -> str:
    """Run `python ARGS` (this interpreter, this copy of vid2vid importable) and return its stdout.

    A child that exits 2 reported a problem with the user's input: its last line becomes a UserError. Any other
    failure is a bug and raises RuntimeError with the end of the child's stderr.
    """
    child_env = dict(os.environ, **(env or {}))
    # The child must import the vid2vid that is being benchmarked, even from a source checkout that is not installed.
    package_root = str(Path(vid2vid.__file__).resolve().parents[1])
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, child_env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False, env=child_env)
    if done.returncode == 2 and done.stderr.strip():
        raise UserError(f"{what} failed: {done.stderr.strip().splitlines()[-1]}")
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed (exit code {done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout
