"""Future video prediction scored as vid2vid 2018's section 5 does: the first N frames of each held-out clip are seen,
the next M are predicted, and the predicted frames are compared with the real ones.

Methods:
- ``labels``: ours: the model's predictor continues the label maps (its own predictions fed back), the video
  generator renders them, its history seeded with the last real frames seen (so the flow carries the video's look);
- ``pixels``: predicting pixels directly: a `FramePredictor` of the same size trained here on the training split's
  images (L1 to the next frame), rolled out from the last real frames;
- ``copy``: the last seen frame repeated;
- ``oracle``: the generator on the true future label maps (what perfect label prediction would give).

Per future step: PSNR and SSIM (mean over clips) and, for ``labels``, the accuracy of the predicted label maps; over
all predicted frames: FID against the real future frames.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from vid2vid.config import DataConfig
from vid2vid.data.dataset import FewShotVideoDataset
from vid2vid.errors import UserError
from vid2vid.evaluation.evaluate import check_compatible, test_split
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import FeatureStats, InceptionFeatures, fid_from_stats, psnr, ssim
from vid2vid.models.prediction import HISTORY, FramePredictor, predict_frames
from vid2vid.models.unroll import start_stream, stream_step

log = logging.getLogger(__name__)
METHODS = ("labels", "pixels", "copy", "oracle")


def train_pixel_predictor(root: str | Path, steps: int, seed: int = 0, batch_size: int = 4,
                          progress: bool = True) -> FramePredictor:
    """The pixel baseline: a FramePredictor on images trained ``steps`` steps on the training split of ``root``."""
    with torch.enable_grad():
        return _train_pixels(root, steps, seed, batch_size, progress)


def _train_pixels(root: str | Path, steps: int, seed: int, batch_size: int, progress: bool) -> FramePredictor:
    torch.manual_seed(seed)
    data = FewShotVideoDataset(DataConfig(root=str(root), seq_len=HISTORY + 1, num_examples=1, seed=seed),
                               correspondence=False)
    predictor = FramePredictor(3, "pixels")
    opt = torch.optim.Adam(predictor.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = np.random.default_rng(seed)
    for _ in tqdm(range(steps), desc="pixel predictor", disable=not progress):
        images = torch.stack([data[int(i)].images for i in rng.integers(len(data), size=batch_size)])
        predicted, _, _ = predictor(images[:, :HISTORY])
        loss = (predicted - images[:, HISTORY]).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return predictor.eval()


@torch.no_grad()
def evaluate_prediction(pipe: Pipeline, root: str | Path, observe: int = 4, predict: int = 8, max_clips: int = 8,
                        pixel_steps: int = 2000, progress: bool = True, test_root: str | Path | None = None) -> dict:
    """Scores of each method (module docstring) on the test split of ``test_root`` (default ``root``; e.g. new clips
    of the training cities from ``data.synth.generate.write_new_clips``); the pixel baseline trains on ``root``."""
    if pipe.model.predictor is None:
        raise UserError(f"{pipe.source} has no predictor: train it with model.predictor: true "
                        "(the street-vid2vid-predict-small config)")
    if observe < HISTORY or predict < 1:
        raise UserError(f"--observe must be >= {HISTORY} and --predict >= 1")
    ds = test_split(test_root or root)
    check_compatible(pipe, ds)
    clips = [c for c in range(len(ds.clips)) if ds.clips[c].frames >= observe + predict][:max_clips]
    if not clips:
        raise UserError(f"no test clip of {root} has {observe + predict} frames; lower --observe / --predict")
    pixels = train_pixel_predictor(root, pixel_steps, progress=progress)
    inception = InceptionFeatures()
    real_stats = FeatureStats()
    stats = {m: FeatureStats() for m in METHODS}
    per_step = {m: {"psnr": [], "ssim": []} for m in METHODS}
    accuracy = []
    for clip in tqdm(clips, desc="prediction", disable=not progress):
        loaded = [ds.load_frame(clip, f) for f in range(observe + predict)]
        semantics = torch.stack([s for s, _ in loaded]).to(pipe.device)
        real = torch.stack([x for _, x in loaded])
        future = real[observe:]
        predicted_labels = torch.cat(list(predict_frames(pipe.model.predictor, list(semantics[:observe, None]),
                                                         predict)))
        frames = {"labels": _render(pipe, semantics[:observe], real[:observe], predicted_labels),
                  "oracle": _render(pipe, semantics[:observe], real[:observe], semantics[observe:]),
                  "copy": real[observe - 1:observe].expand(predict, -1, -1, -1),
                  "pixels": torch.cat(list(predict_frames(pixels, list(real[:observe, None]), predict))).clamp(-1, 1)}
        accuracy.append((predicted_labels.argmax(1).cpu() == semantics[observe:].argmax(1).cpu()).float()
                        .flatten(1).mean(1).numpy())
        real_stats.update(inception(future))
        for m, fake in frames.items():
            stats[m].update(inception(fake))
            per_step[m]["psnr"].append(psnr(fake, future).numpy())
            per_step[m]["ssim"].append(ssim(fake, future).numpy())
    result = {"observe": observe, "predict": predict, "clips": len(clips), "pixel_steps": pixel_steps,
              "test": "new clips of the training domains" if test_root else "held-out domains",
              "frames": real_stats.count, "label_accuracy": np.mean(accuracy, 0).round(4).tolist(), "methods": {}}
    for m in METHODS:
        result["methods"][m] = {"fid": round(fid_from_stats(real_stats, stats[m]), 2),
                                "psnr": np.mean(per_step[m]["psnr"], 0).round(3).tolist(),
                                "ssim": np.mean(per_step[m]["ssim"], 0).round(4).tolist()}
    return result


def _render(pipe: Pipeline, seen: torch.Tensor, seen_frames: torch.Tensor, future: torch.Tensor) -> torch.Tensor:
    """The generator's frames for ``future`` (M, C, H, W), its history seeded with the real frames seen (N, 3, H, W)
    and their maps (N, C, H, W): the observed video's look is carried forward by the flow, as in the 2018 paper's
    prediction from observed frames."""
    n = pipe.model.cfg.num_prev_frames
    state = start_stream(pipe.model, pipe.examples, pipe.example_semantics, style_seed=pipe.style_seed,
                         prev_frames=seen_frames[-n:][None].to(seen.device), prev_semantics=seen[-n:][None])
    frames = []
    for semantic in future:
        out, state = stream_step(pipe.model, state, semantic[None])
        frames.append(out.image[0].float().cpu().clamp(-1, 1))
    return torch.stack(frames)


def markdown(result: dict) -> str:
    """The per-step table and FID of ``evaluate_prediction``'s result."""
    m, steps = result["methods"], range(1, result["predict"] + 1)
    names = {"labels": "predict labels, render (ours)", "pixels": "predict pixels", "copy": "copy last frame",
             "oracle": "true labels, render (upper bound)"}
    lines = ["# Future prediction", "",
             f"{result['clips']} clips ({result.get('test', 'held-out domains')}): {result['observe']} frames seen, "
             f"{result['predict']} predicted; "
             f"pixel baseline trained {result['pixel_steps']} steps. FID over the {result['frames']} predicted frames "
             "(few frames: compare only within this table).", "",
             "| method | FID | " + " | ".join(f"PSNR t+{s}" for s in steps) + " |",
             "|---|---|" + "---|" * len(steps)]
    for key in METHODS:
        lines.append(f"| {names[key]} | {m[key]['fid']:.1f} | " + " | ".join(f"{v:.2f}" for v in m[key]["psnr"])
                     + " |")
    lines += ["", "| method | " + " | ".join(f"SSIM t+{s}" for s in steps) + " |", "|---|" + "---|" * len(steps)]
    for key in METHODS:
        lines.append(f"| {names[key]} | " + " | ".join(f"{v:.3f}" for v in m[key]["ssim"]) + " |")
    lines += ["", "Predicted label maps, pixel accuracy per step: "
              + ", ".join(f"t+{s} {a:.3f}" for s, a in zip(steps, result["label_accuracy"]))]
    return "\n".join(lines) + "\n"
