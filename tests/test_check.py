import json

import numpy as np

from vid2vid.cli.main import main
from vid2vid.data.check import check_dataset


def test_clean_dataset_has_no_problems(tiny_dataset, capsys):
    assert check_dataset(tiny_dataset, progress=False) == []
    assert main(["data", "check", str(tiny_dataset), "--quiet"]) == 0


def test_deleted_frame_is_reported(tiny_dataset, capsys):
    victim = tiny_dataset / "train/d000/c001/rgb/000003.png"
    victim.unlink()
    assert main(["data", "check", str(tiny_dataset), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert str(victim) in out and "missing" in out and "Fix:" in out


def test_corrupt_and_out_of_range_labels(tiny_dataset, capsys):
    (tiny_dataset / "test/d002/c000/semantic/000000.png").write_bytes(b"not a png")
    import cv2

    bad = np.full((32, 32), 9, np.uint8)
    cv2.imwrite(str(tiny_dataset / "train/d001/c000/semantic/000002.png"), bad)
    problems = [str(p) for p in check_dataset(tiny_dataset, progress=False)]
    assert any("test/d002/c000/semantic/000000.png" in p and "cannot be read" in p for p in problems)
    assert any("000002.png" in p and "label values [9]" in p for p in problems)


def test_size_mismatch_flow_and_k(tiny_dataset):
    import cv2

    cv2.imwrite(str(tiny_dataset / "train/d000/c000/rgb/000001.png"), np.zeros((16, 32, 3), np.uint8))
    np.save(tiny_dataset / "train/d000/c001/flow_bwd.npy", np.zeros((2, 32, 32, 2), np.float16))
    problems = [str(p) for p in check_dataset(tiny_dataset, num_examples=8, seq_len=7, progress=False)]
    assert any("is 32x16" in p for p in problems)
    assert any("flow_bwd.npy" in p and "shape" in p for p in problems)
    assert any("K=8" in p for p in problems)
    assert any("sequence length 7" in p for p in problems)


def test_missing_meta_and_unlisted_domain(tiny_dataset):
    (tiny_dataset / "train/d009").mkdir()
    assert any("not listed" in str(p) for p in check_dataset(tiny_dataset, progress=False))
    (tiny_dataset / "dataset.json").unlink()
    problems = check_dataset(tiny_dataset, progress=False)
    assert len(problems) == 1 and "dataset.json" in str(problems[0])


def test_meta_json_is_documented_format(tiny_dataset):
    meta = json.loads((tiny_dataset / "dataset.json").read_text())
    assert meta["format"] == "vid2vid-dataset" and meta["splits"]["test"] == ["d002"]


def test_object_maps_for_the_example_correspondence_are_checked(tiny_dataset):
    clip = tiny_dataset / "train/d000/c000"
    np.save(clip / "objects.npy", np.zeros((6, 2, 2, 3), np.float32))
    problems = check_dataset(tiny_dataset, progress=False)
    assert len(problems) == 1 and "object_ids.npy" in problems[0].path and "missing while" in problems[0].what
    np.save(clip / "object_ids.npy", np.zeros((6, 16, 32), np.uint16))  # frames are 32x32
    problems = check_dataset(tiny_dataset, progress=False)
    assert len(problems) == 1 and "has shape (6, 16, 32)" in problems[0].what
    np.save(clip / "object_ids.npy", np.zeros((6, 32, 32), np.uint16))
    assert check_dataset(tiny_dataset, progress=False) == []
