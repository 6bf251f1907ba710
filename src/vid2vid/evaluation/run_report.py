"""Report on a training run: loss curves and held-out-subject results as PNG, scores as JSON.

    vid2vid eval run --run-dir RUN_DIR [--out docs] [--name small_dancers] [--checkpoint C]

Reads RUN_DIR/log.jsonl for the curves and the newest checkpoint (EMA weights) for results on the dataset's held-out
test domains: for each held-out person, K=2 frames of one clip are the examples and another clip's poses drive the
generator; rows show examples | pose | output | ground truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vid2vid.checkpoint import latest_checkpoint, load_checkpoint
from vid2vid.data.layout import clip_dirs, frame_name, read_png
from vid2vid.errors import UserError
from vid2vid.evaluation.evaluate import Detectors, evaluate
from vid2vid.files import save_figure_atomic, write_image_atomic, write_text_atomic
from vid2vid.inference.pipeline import Pipeline
from vid2vid.inference.render import render_video
from vid2vid.inference.sources import ClipDriving, example_from_dataset

CURVES = ("G/total", "D/total", "G/gan", "G/perceptual", "G/feature_matching", "G/flow", "G/warp", "G/mask")


def plot_curves(log: Path, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_step = {}
    for line in log.read_text().splitlines():  # a resumed run logs some steps twice: the later line wins
        if line.strip():
            row = json.loads(line)
            by_step[row["step"]] = row
    rows = [by_step[s] for s in sorted(by_step)]
    fig, axes = plt.subplots(2, 4, figsize=(16, 6))
    for ax, key in zip(axes.flat, CURVES):
        pts = [(r["step"], r[key]) for r in rows if key in r]
        if pts:
            steps, values = zip(*pts)
            ax.plot(steps, values, lw=0.8)
            k = max(1, len(values) // 20)
            smooth = np.convolve(values, np.ones(k) / k, mode="valid")
            ax.plot(steps[k - 1:], smooth, lw=2)
        ax.set_title(key)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure_atomic(fig, out, dpi=90)
    plt.close(fig)


def run_report(run_dir: str | Path, out: str | Path = "docs", name: str = "small_dancers",
               checkpoint: str | Path | None = None, people: int = 3) -> dict:
    """Write <out>/<name>_losses.png, <name>_heldout.png and <name>_scores.json for a run; returns the scores."""
    run, out = Path(run_dir), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plot_curves(run / "log.jsonl", out / f"{name}_losses.png")
    ckpt = Path(checkpoint) if checkpoint else latest_checkpoint(run)
    if ckpt is None:
        raise UserError(f"{run} holds no checkpoint; give --checkpoint")
    pipe = Pipeline.from_checkpoint(ckpt)
    state = load_checkpoint(ckpt)
    root = Path(state["config"]["data"]["root"])
    rows, examples_all = [], []
    for domain in pipe.meta.splits["test"][: people]:
        clips = clip_dirs(root, "test", domain)
        n = len(list((clips[0] / "rgb").iterdir()))
        paths = [clips[0] / "rgb" / frame_name(int(i)) for i in np.linspace(0, n - 1, 2).round()]
        pairs = [example_from_dataset(pipe.meta, p) for p in paths]
        pipe.set_examples([r for r, _ in pairs], [s for _, s in pairs])
        drive = ClipDriving(clips[1], pipe.meta)
        _, kept = render_video(pipe, drive, [], out / "tmp_heldout.mp4", drive.fps, total=drive.count,
                               progress=False, keep_every=max(1, drive.count // 4))
        w = pipe.size[1]
        for i, picture in enumerate(kept[:4]):
            truth = read_png(clips[1] / "rgb" / frame_name(i * max(1, drive.count // 4)), 3)
            rows.append((picture[:, :w], picture[:, w:], truth))
            examples_all.append([r for r, _ in pairs])
    (out / "tmp_heldout.mp4").unlink(missing_ok=True)

    lines = []
    for (pose, output, truth), examples in zip(rows, examples_all):
        lines.append(np.concatenate([*examples, pose, output, truth], axis=1))
    grid = np.concatenate([np.pad(line, ((1, 1), (0, 0), (0, 0)), constant_values=255) for line in lines], axis=0)
    write_image_atomic(out / f"{name}_heldout.png", grid)
    scores = evaluate(pipe, root, 2, Detectors(), max_clips=8, max_frames=32)
    step = state["step"]
    result = {"checkpoint": str(ckpt), "step": step, **scores}
    write_text_atomic(out / f"{name}_scores.json", json.dumps(result, indent=2) + "\n")
    return result
