"""vid2vid 2018's and the motion-transfer papers' modes: coarse-to-fine generation (local enhancers with spatial
progression), ... each trains a few steps on a tiny config and generates."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import yaml

from vid2vid import tasks
from vid2vid.checkpoint import latest_checkpoint
from conftest import tiny_synthetic
from vid2vid.cli.main import main
from vid2vid.data.synth.generate import SynthOptions, write_new_clips, write_synthetic
from vid2vid.errors import UserError
from vid2vid.models.config import build_generator
from vid2vid.training.schedule import progression


@pytest.fixture(scope="module")
def streets(tmp_path_factory) -> Path:
    return tiny_synthetic(tmp_path_factory, "streets", domains=2, test_domains=1, clips=1, frames=4, width=64)


def train_tiny(root: Path, run_dir: Path, model: dict, **train) -> Path:
    cfg = {"data": {"root": str(root), "seq_len": 2, "num_examples": 1},
           "model": {"preset": "tiny", "arch": "vid2vid", **model},
           "discriminator": {"ndf": 4, "layers": 2, "scales": 1},
           "train": {"max_steps": 4, "batch_size": 1, "single_frame_steps": 1, "double_every": 1, "workers": 0,
                     "image_every": 0, "log_every": 1, "progress": False, **train}}
    path = run_dir.parent / f"{run_dir.name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["train", "--config", str(path), "--run-dir", str(run_dir), "--quiet"]) == 0
    return latest_checkpoint(run_dir)


def test_spatio_temporal_progression_alternates_and_reduces_to_the_plain_schedule():
    steps = [progression(s, 2, 3, 8, 2) for s in range(0, 20, 1)]
    assert steps[0] == steps[1] == (1, 0)  # single frames at the coarsest scale
    assert steps[2] == (2, 0) and steps[5] == (2, 1) and steps[8] == (4, 1) and steps[11] == (4, 2)
    assert steps[14] == (8, 2) and progression(10_000, 2, 3, 8, 2) == (8, 2)
    assert progression(10_000, 2, 3, 1, 3) == (1, 3)  # enhancers keep growing after T is used up


@pytest.mark.parametrize("active", [0, 1, 2])
def test_the_coarse_to_fine_generator_outputs_the_input_size_at_every_stage(active):
    # Five random channels, not the street labels: without the foreground branch, which reads the labels' channels.
    cfg = tasks.get("street").generator_config("tiny", 5, arch="vid2vid", enhancers=2, foreground=False)
    G = build_generator(cfg).eval()
    G.active_enhancers = active
    h, w = 32 * 2**active, 64 * 2**active  # stage `active` trains on frames downsampled 2**(2 - active) times
    semantic = torch.rand(1, 5, h, w)
    first = G.step(semantic, G.encode_examples())
    second = G.step(semantic, G.encode_examples(), semantic[:, None], first.image[:, None])
    assert second.image.shape == second.hallucinated.shape == (1, 3, h, w) and second.flow.shape[-2:] == (h, w)
    with pytest.raises(ValueError, match="multiple of"):
        G.step(torch.rand(1, 5, h + 4, w), G.encode_examples())


def test_a_coarse_to_fine_street_model_grows_while_training_and_generates_full_size(streets, tmp_path):
    from vid2vid.inference.pipeline import Pipeline
    from vid2vid.inference.sources import ClipDriving

    checkpoint = train_tiny(streets, tmp_path / "run", {"enhancers": 1})
    logs = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [entry["train/enhancers"] for entry in logs] == [0.0, 0.0, 1.0, 1.0]  # single frame, T=2, + enhancer
    pipe = Pipeline.from_checkpoint(checkpoint)
    assert pipe.model.active_enhancers == 1
    clip = next((streets / "test").glob("*/*"))
    frames = list(pipe.generate(s for s, _ in ClipDriving(clip, pipe.meta)))
    assert len(frames) == 4 and frames[0].image.shape == (32, 64, 3)
    single = train_tiny(streets, tmp_path / "single", {})  # `eval compare`: both side by side on held-out clips
    out = tmp_path / "compare.png"
    assert main(["eval", "compare", "--checkpoints", str(checkpoint), str(single), "--data", str(streets),
                 "--frames", "3", "--max-frames", "4", "--out", str(out), "--quiet"]) == 0
    picture = cv2.imread(str(out))
    # rows: input, the two models, the real frames (1 px borders), each after a 96-pixel label
    assert picture.shape == (4 * 34, 98 + 3 * 66, 3)
    first_model, second_model = picture[35:67, 98:], picture[69:101, 98:]
    labels = picture[:, :98] < 128
    assert all(labels[r * 34:(r + 1) * 34].any() for r in range(4))  # every row says what it is
    assert np.abs(first_model.astype(int) - second_model.astype(int)).mean() > 1  # two models, two outputs
    assert main(["eval", "compare", "--checkpoints", str(single), "--data", str(streets), "--frames", "5",
                 "--max-frames", "4", "--out", str(out), "--quiet"]) == 2


def test_a_multimodal_street_model_fits_class_styles_and_each_seed_gives_another_look(streets, tmp_path):
    from vid2vid.inference.pipeline import Pipeline
    from vid2vid.inference.sources import ClipDriving

    checkpoint = train_tiny(streets, tmp_path / "run", {"multimodal_channels": 3})
    pipe = Pipeline.from_checkpoint(checkpoint)
    assert bool(pipe.model.styles.fitted)  # fitted at the end of training, saved with the weights
    clip = next((streets / "test").glob("*/*"))
    videos = {}
    for seed in (None, 1, 2, 1):
        pipe.set_style(seed)
        videos.setdefault(seed, []).append(np.stack([f.image for f in pipe.generate(
            s for s, _ in ClipDriving(clip, pipe.meta))]))
    assert np.array_equal(videos[1][0], videos[1][1])  # a seed is a look
    assert not np.array_equal(videos[1][0], videos[2][0]) and not np.array_equal(videos[None][0], videos[1][0])
    picture = tmp_path / "looks.png"
    assert main(["eval", "looks", "--checkpoint", str(checkpoint), "--data", str(streets), "--seeds", "1", "2",
                 "--frames", "3", "--out", str(picture), "--quiet"]) == 0
    import cv2

    assert cv2.imread(str(picture)).shape == (4 * 32 + 3 * 2, 3 * 64 + 2 * 2, 3)  # labels, mean, 2 seeds


def test_style_seeds_are_refused_by_models_without_styles_and_multimodal_needs_labels(streets, tmp_path):
    from vid2vid.errors import UserError
    from vid2vid.inference.pipeline import Pipeline

    pipe = Pipeline.from_checkpoint(train_tiny(streets, tmp_path / "plain", {}))
    with pytest.raises(UserError, match="needs a multimodal model"):
        pipe.set_style(3)
    with pytest.raises(UserError, match="set arch to vid2vid"):
        tasks.get("pose").generator_config("tiny", 6, multimodal_channels=3)


def test_the_class_mixture_finds_two_well_separated_looks():
    from vid2vid.models.multimodal import ClassStyles, fit_gmm

    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(300, 3, generator=g) * 0.05 - 0.5, torch.randn(100, 3, generator=g) * 0.05 + 0.5])
    w, mu, sd = fit_gmm(x, 2)
    order = torch.argsort(mu[:, 0])
    assert torch.allclose(w[order], torch.tensor([0.75, 0.25]), atol=0.02)
    assert torch.allclose(mu[order], torch.tensor([[-0.5] * 3, [0.5] * 3]), atol=0.03)
    assert torch.allclose(sd, torch.full_like(sd, 0.05), atol=0.015)
    styles = ClassStyles(2, 3)
    styles.fit([x, x[:0]])
    draws = torch.stack([styles.sample(seed)[0] for seed in range(200)])
    assert 0.6 < float((draws[:, 0] < 0).float().mean()) < 0.9  # both looks are drawn, in about their shares
    assert torch.equal(styles.sample(7), styles.sample(7)) and torch.equal(styles.mean()[1], torch.zeros(3))


def test_a_street_model_with_a_predictor_continues_a_video_by_m_predicted_frames(streets, tmp_path):
    import av

    checkpoint = train_tiny(streets, tmp_path / "run", {"predictor": True}, max_steps=3)
    logs = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert "G/predict" not in logs[0] and logs[-1]["G/predict"] > 0  # from T = 2 on: frame 1 from frame 0
    clip = next((streets / "test").glob("*/*"))
    out = tmp_path / "future.mp4"
    assert main(["generate", "--checkpoint", str(checkpoint), "--driving", str(clip), "--out", str(out),
                 "--predict", "5", "--quiet"]) == 0
    with av.open(str(out)) as video:
        assert sum(1 for _ in video.decode(video=0)) == 4 + 5


def test_predict_is_refused_by_a_model_without_a_predictor(streets, tmp_path, capsys):
    checkpoint = train_tiny(streets, tmp_path / "run", {}, max_steps=1)
    clip = next((streets / "test").glob("*/*"))
    assert main(["generate", "--checkpoint", str(checkpoint), "--driving", str(clip), "--out",
                 str(tmp_path / "o.mp4"), "--predict", "3", "--quiet"]) != 0
    assert "--predict needs a model trained with a predictor" in capsys.readouterr().err
    assert not (tmp_path / "o.mp4").exists()


def test_the_label_predictor_learns_to_carry_a_moving_map_forward():
    from vid2vid.models.prediction import FramePredictor, label_loss, rollout

    torch.manual_seed(0)

    def frames(shift0: int, n: int) -> torch.Tensor:  # a bar moving 2 px right per frame, 2 classes
        out = torch.zeros(n, 2, 16, 16)
        out[:, 0] = 1
        for i in range(n):
            out[i, 0, :, shift0 + 2 * i:shift0 + 2 * i + 4] = 0
            out[i, 1, :, shift0 + 2 * i:shift0 + 2 * i + 4] = 1
        return out

    predictor = FramePredictor(2, base=8, downsamples=2, blocks=1)
    opt = torch.optim.Adam(predictor.parameters(), lr=3e-3)
    for step in range(150):
        seq = frames(step % 6, 3)[None]
        loss = label_loss(predictor(seq[:, :2])[0], seq[:, 2])
        opt.zero_grad()
        loss.backward()
        opt.step()
    seq = frames(1, 5)[None]
    future = rollout(predictor, seq[:, :2], 3)
    copy_last = seq[:, 1:2].expand(-1, 3, -1, -1, -1)
    accuracy = (future.argmax(2) == seq[:, 2:].argmax(2)).float().mean()
    assert accuracy > (copy_last.argmax(2) == seq[:, 2:].argmax(2)).float().mean() + 0.05


def test_eval_predict_scores_every_method_per_future_step(streets, tmp_path):
    checkpoint = train_tiny(streets, tmp_path / "run", {"predictor": True}, max_steps=3)
    assert main(["eval", "predict", "--checkpoint", str(checkpoint), "--data", str(streets), "--observe", "2",
                 "--predict", "2", "--pixel-steps", "2", "--out", str(tmp_path / "report"), "--quiet"]) == 0
    result = json.loads((tmp_path / "report" / "prediction.json").read_text())
    assert set(result["methods"]) == {"labels", "pixels", "copy", "oracle"} and len(result["label_accuracy"]) == 2
    assert all(len(m["psnr"]) == len(m["ssim"]) == 2 for m in result["methods"].values())
    assert "| copy last frame |" in (tmp_path / "report" / "prediction.md").read_text()
    assert main(["eval", "predict", "--checkpoint", str(checkpoint), "--data", str(streets), "--observe", "2",
                 "--predict", "2", "--pixel-steps", "2", "--same-domains", "1", "--out", str(tmp_path / "same"),
                 "--quiet"]) == 0
    result = json.loads((tmp_path / "same" / "prediction.json").read_text())
    assert result["test"] == "new clips of the training domains" and result["clips"] == 1


def test_new_clips_of_training_domains_are_the_clips_a_larger_dataset_would_have_rendered(streets, tmp_path):
    larger = tmp_path / "larger"
    write_synthetic(SynthOptions("streets", str(larger), domains=2, test_domains=1, clips=2, frames=4, height=32,
                                 width=64, workers=1), progress=False)
    meta = write_new_clips(streets, tmp_path / "new", clips=1, progress=False, workers=1)
    assert meta.splits == {"train": [], "test": ["d000"]}
    new = sorted((tmp_path / "new" / "test" / "d000" / "c001" / "rgb").iterdir())
    same = sorted((larger / "train" / "d000" / "c001" / "rgb").iterdir())
    assert len(new) == 4 and [p.read_bytes() for p in new] == [p.read_bytes() for p in same]
    seen = sorted((streets / "train" / "d000" / "c000" / "rgb").iterdir())
    assert new[0].read_bytes() != seen[0].read_bytes()  # a motion the model never saw


def test_new_clips_need_a_synthetic_dataset(streets, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(streets, copy)
    meta = json.loads((copy / "dataset.json").read_text())
    meta["source"] = {"generator": "vid2vid data prepare"}
    (copy / "dataset.json").write_text(json.dumps(meta))
    with pytest.raises(UserError, match="not made by `vid2vid data synth`"):
        write_new_clips(copy, tmp_path / "new", clips=1, progress=False)


@pytest.fixture(scope="module")
def dancers(tmp_path_factory) -> Path:
    return tiny_synthetic(tmp_path_factory, "dancers", domains=4, test_domains=1, clips=3, frames=4)


def test_the_unpaired_branch_trains_one_person_on_other_peoples_poses_and_scores_held_out_motions(dancers, tmp_path):
    cfg = {"data": {"root": str(dancers), "seq_len": 2, "num_examples": 1, "max_domains": 1, "max_clips": 2,
                    "unpaired_domains": 2},
           "model": {"preset": "tiny", "arch": "vid2vid"},
           "discriminator": {"ndf": 4, "layers": 2, "scales": 1, "temporal_frames": 2},
           "loss": {"temporal": 1.0},
           "train": {"max_steps": 3, "batch_size": 1, "single_frame_steps": 1, "double_every": 1, "workers": 0,
                     "image_every": 0, "log_every": 1, "progress": False}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["train", "--config", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run"), "--quiet"]) == 0
    logs = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert all(entry["G/unpaired"] > 0 and entry["D/unpaired"] > 0 for entry in logs)
    assert "G/unpaired.temporal" in logs[-1]  # sequences of 2: the video discriminator sees them too
    from vid2vid.evaluation.evaluate import Detectors, evaluate
    from vid2vid.inference.pipeline import Pipeline

    pipe = Pipeline.from_checkpoint(latest_checkpoint(tmp_path / "run"))
    scores = evaluate(pipe, dancers, 1, Detectors(), max_frames=4, held_out_motions=2)
    assert scores["clips"] == 1 and scores["frames"] == 4  # the person's third clip, left out of training
    assert scores["face_psnr"] > 0  # pose data with body parts: the head region is scored too


def test_the_face_region_score_sees_the_head_and_nothing_else(dancers):
    from vid2vid.evaluation.evaluate import head_mse, test_split
    from vid2vid.models.face_refiner import head_boxes

    semantic, real = test_split(dancers).load_frame(0, 0)
    (cx, cy, half), present = head_boxes(semantic[None])[0][0].tolist(), head_boxes(semantic[None])[1]
    assert bool(present[0]) and head_mse(real[None], real[None], semantic[None]) == [0.0]
    inside, outside = real.clone(), real.clone()
    box = (slice(None), slice(int(cy) - 1, int(cy) + 2), slice(int(cx) - 1, int(cx) + 2))
    inside[box] = -real[box]
    far_x = 0 if cx > real.shape[-1] / 2 else real.shape[-1] - 1
    assert abs(far_x - cx) > half + 2
    outside[:, :, far_x] = -real[:, :, far_x]
    assert head_mse(inside[None], real[None], semantic[None])[0] > 1e-3
    assert head_mse(outside[None], real[None], semantic[None]) == [0.0]


def test_the_unpaired_branch_needs_a_single_domain_model_and_domains_to_read(dancers, tmp_path):
    from vid2vid.config import DataConfig
    from vid2vid.data.dataset import FewShotVideoDataset
    from vid2vid.errors import UserError

    with pytest.raises(UserError, match="set data.max_domains"):
        DataConfig(root=str(dancers), unpaired_domains=2)
    with pytest.raises(UserError, match="none left after skipping 9"):
        FewShotVideoDataset(DataConfig(root=str(dancers), skip_domains=9))
    assert len(FewShotVideoDataset(DataConfig(root=str(dancers), seq_len=1, max_domains=1, max_clips=2)).clips) == 2


def test_face_refinement_trains_second_on_a_frozen_body_and_changes_only_the_head(dancers, tmp_path):
    from vid2vid.checkpoint import load_checkpoint
    from vid2vid.models.face_refiner import head_boxes

    def run(name: str, model: dict, **train) -> Path:
        cfg = {"data": {"root": str(dancers), "seq_len": 2, "num_examples": 1},
               "model": {"preset": "tiny", **model},
               "discriminator": {"ndf": 4, "layers": 2, "scales": 1},
               "train": {"max_steps": 2, "batch_size": 1, "single_frame_steps": 1, "double_every": 1, "workers": 0,
                         "image_every": 0, "log_every": 1, "progress": False, **train}}
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(cfg))
        assert main(["train", "--config", str(tmp_path / f"{name}.yaml"), "--run-dir", str(tmp_path / name),
                     "--quiet"]) == 0
        return latest_checkpoint(tmp_path / name)

    body = run("body", {})
    refined = run("face", {"face_refiner": True, "face_crop": 16}, init_from=str(body), train_only=["face_refiner"],
                  max_steps=3)
    before, after = load_checkpoint(body)["ema"], load_checkpoint(refined)["ema"]
    changed = {k.split(".")[0] for k, v in after.items() if k not in before or not torch.equal(v, before[k])}
    assert changed == {"face_refiner"}  # the body generator stayed frozen, batch-norm statistics included
    G = build_generator(tasks.get("pose").generator_config("tiny", 6, face_refiner=True, face_crop=16)).eval()
    with torch.no_grad():
        G.face_refiner.head.bias.fill_(0.5)  # a refiner that brightens what it touches
        semantic = torch.zeros(2, 6, 32, 32)
        semantic[0, 3, 4:10, 12:18] = 3 / 15  # a head (part 3 of 15) on the first map only
        frame = torch.zeros(2, 3, 32, 32)
        out = G.face_refiner(frame, semantic)
    boxes, present = head_boxes(semantic)
    assert present.tolist() == [True, False] and torch.equal(out[1], frame[1])
    cx, cy, half = boxes[0].tolist()
    assert (cx, cy) == (14.5, 6.5) and out[0, :, 6, 14].min() > 0.3 and out[0, :, 28, 28].abs().max() == 0


def test_train_only_names_a_part_the_generator_has(dancers, tmp_path):
    cfg = {"data": {"root": str(dancers), "seq_len": 1, "num_examples": 1}, "model": {"preset": "tiny"},
           "discriminator": {"ndf": 4, "layers": 2, "scales": 1},
           "train": {"max_steps": 1, "batch_size": 1, "workers": 0, "progress": False, "train_only": ["face"]}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["train", "--config", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "r"), "--quiet"]) == 2
