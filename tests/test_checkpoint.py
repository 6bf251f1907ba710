"""Checkpoint files: atomic writes, and foreign files refused in one plain line without running anything."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
import torch

from vid2vid import tasks
from vid2vid.checkpoint import (checkpoint_step, latest_checkpoint, list_checkpoints, load_checkpoint, save_checkpoint,
                                save_generator)
from vid2vid.errors import UserError
from vid2vid.files import PendingFile, atomic_path
from vid2vid.models.config import build_generator
from vid2vid.training.options import TrainOptions
from vid2vid.training.warm_start import init_generator


class _MakesAFile:
    """Unpickling this would create a file: the kind of content safe loading must refuse."""

    def __init__(self, target: pathlib.Path) -> None:
        self.target = target

    def __reduce__(self):
        return pathlib.Path.touch, (self.target,)


def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(tmp_path):
    target = tmp_path / "created_by_the_pickle"
    torch.save({"generator": _MakesAFile(target)}, tmp_path / "evil.pt")
    with pytest.raises(UserError) as err:
        load_checkpoint(tmp_path / "evil.pt")
    message = str(err.value)
    assert "holds executable content" in message and "was refused" in message
    assert "weights_only" not in message and "\n" not in message
    assert not target.exists()


def test_not_a_checkpoint_is_one_line(tmp_path):
    (tmp_path / "random.pt").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UserError, match="is not a vid2vid checkpoint"):
        load_checkpoint(tmp_path / "random.pt")
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(UserError, match="holds a list, not a mapping"):
        load_checkpoint(tmp_path / "list.pt")


def test_keep_every_spares_the_multiples_that_keep_checkpoints_would_delete(tmp_path):
    for step in range(10, 101, 10):
        save_checkpoint(tmp_path / "curve", step, {"step": step}, keep=2, keep_every=50)
        save_checkpoint(tmp_path / "plain", step, {"step": step}, keep=2)
    assert [checkpoint_step(p) for p in list_checkpoints(tmp_path / "curve")] == [50, 90, 100]
    assert [checkpoint_step(p) for p in list_checkpoints(tmp_path / "plain")] == [90, 100]
    with pytest.raises(UserError, match="train.keep_every must be >= 0"):
        TrainOptions(keep_every=-1)


def test_an_interrupted_write_leaves_the_old_file_and_no_checkpoint_name(tmp_path):
    path = save_checkpoint(tmp_path, 5, {"step": 5})
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_bytes(b"half a checkpoint")
            raise RuntimeError("killed mid-write")
    assert load_checkpoint(path)["step"] == 5 and latest_checkpoint(tmp_path) == path
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_two_processes_writing_one_path_use_their_own_temporary_files(tmp_path):
    path = tmp_path / "benchmark.md"
    code = f"from vid2vid.files import PendingFile; print(PendingFile({str(path)!r}).tmp)"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    mine = PendingFile(path).tmp
    assert mine.parent == path.parent and mine.suffix == ".md" and pathlib.Path(other) != mine
    with atomic_path(path) as tmp:  # another writer's temporary file does not disturb this one's commit
        pathlib.Path(other).write_text("the other process, mid-write")
        tmp.write_text("mine")
    assert path.read_text() == "mine" and pathlib.Path(other).exists()


def test_a_run_starts_from_an_exported_generator_and_refuses_one_of_another_shape(tmp_path):
    torch.manual_seed(0)
    shipped = build_generator(tasks.get("pose").generator_config("tiny", 6))
    weights = {k: v.half() if v.is_floating_point() else v for k, v in shipped.state_dict().items()}  # as exported
    path = save_generator(tmp_path / "shipped.safetensors", weights, {}, {})
    torch.manual_seed(1)
    G = build_generator(tasks.get("pose").generator_config("tiny", 6))
    assert not all(torch.equal(v, weights[k].to(v.dtype)) for k, v in G.state_dict().items())
    init_generator(G, str(path))
    assert all(v.dtype == torch.float32 or not v.is_floating_point() for v in G.state_dict().values())
    assert all(torch.equal(v, weights[k].to(v.dtype)) for k, v in G.state_dict().items())
    other = build_generator(tasks.get("pose").generator_config("tiny", 3))  # a map of other channels
    with pytest.raises(UserError, match="another shape") as err:
        init_generator(other, str(path))
    assert "\n" not in str(err.value) and "shipped.safetensors" in str(err.value)
