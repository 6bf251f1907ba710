"""`vid2vid generate`: a video from a driving video (or a dataset clip) and K example images, streamed to mp4."""

from __future__ import annotations

import argparse
from pathlib import Path

from vid2vid.cli.common import (add_checkpoint_argument, add_device_argument, add_example_flow_argument,
                                add_fill_depth_argument, add_finetune_all_examples_argument, log)

HELP = """\
Generate a video: the person / face / city of the K example images, moving like the driving input.

  vid2vid generate --checkpoint model.pt --driving dance.mp4 --examples me1.jpg me2.jpg --out out.mp4

--driving is a video file or image folder (pose / face: keypoints are detected with mediapipe; street: a label-map
video), or a clip folder of a vid2vid dataset (its semantic maps are used as they are). Examples are photos
(their semantic maps are detected the same way) or frames of a dataset (<clip>/rgb/000012.png). The output has the
driving input's frame count and frame rate, and its audio when present. Frames are processed one at a time, so
any length fits in memory.

Stopping and resuming: Ctrl-C or SIGTERM stops after the current frame and keeps the frames done as
<out>.partial.mp4 (playable) with the state to continue; the same command with --resume goes on from there and
writes <out> as an uninterrupted run would (bit-exact with --lossless). A file already at --out is replaced only
when the new one is complete."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate a video from a driving input and K examples", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_checkpoint_argument(p)
    p.add_argument("--driving", required=True, help="driving video, image folder or dataset clip folder")
    p.add_argument("--examples", nargs="*", default=[], metavar="IMAGE",
                   help="the K example images of the target person / face / city")
    p.add_argument("--out", required=True, help="output mp4")
    p.add_argument("--side-by-side", action="store_true", help="write driving | examples | output")
    p.add_argument("--attention", help="also write the attention maps (which example fed which region) to this mp4")
    p.add_argument("--finetune", type=int, default=0, metavar="N",
                   help="adapt the model to the examples for N steps first (the checkpoint is not changed)")
    add_finetune_all_examples_argument(p)
    p.add_argument("--no-crop", action="store_true", help="do not crop/frame the person or face (real inputs)")
    p.add_argument("--no-normalize", action="store_true",
                   help="do not rescale the driving pose to the example person's height and floor line")
    p.add_argument("--resume", action="store_true",
                   help="continue a run of the same command that was stopped (from <out>.partial.mp4)")
    p.add_argument("--runtime", choices=("torch", "onnx"), default="torch",
                   help="torch (default) or onnx: export the (finetuned) generator for the examples' K to ONNX first "
                        "and run it with ONNX Runtime (needs the onnx extra)")
    p.add_argument("--style-seed", type=int, metavar="N",
                   help="multimodal vid2vid models (street, multimodal_channels): draw the look of each class (road, "
                        "facades, cars, ...) from the distributions fitted in training with seed N; each seed gives "
                        "another video from the same labels (default: the mean look)")
    p.add_argument("--predict", type=int, default=0, metavar="M",
                   help="future prediction (street models trained with a predictor): after the driving input, predict "
                        "M more label maps from its last ones and generate them too (the video gets M frames longer)")
    p.add_argument("--lossless", action="store_true",
                   help="encode losslessly (RGB H.264, qp 0): exact frames, files ~10x larger")
    add_fill_depth_argument(p)
    add_example_flow_argument(p)
    add_device_argument(p)
    p.set_defaults(func=run)


def _file_id(path: Path) -> list:
    """What identifies an input for --resume: its path, and size + modification time of it (or of every file in it)."""
    path = path.resolve()
    if not path.exists():  # generate_video says so, in one line
        return [str(path), []]
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return [str(path), [[str(p.relative_to(path.parent)), p.stat().st_size, p.stat().st_mtime_ns] for p in files]]


def _job(args: argparse.Namespace) -> dict:
    """The inputs and options of a generate run: --resume continues only a stopped run with the same ones."""
    return {"checkpoint": _file_id(Path(args.checkpoint)), "driving": _file_id(Path(args.driving)),
            "examples": [_file_id(Path(p)) for p in args.examples], "side_by_side": args.side_by_side,
            "attention": str(Path(args.attention).resolve()) if args.attention else None,
            "finetune": args.finetune, "finetune_all_examples": args.finetune_all_examples, "no_crop": args.no_crop,
            "no_normalize": args.no_normalize,
            "lossless": args.lossless, "runtime": args.runtime, "style_seed": args.style_seed,
            "predict": args.predict, "fill_depth": args.fill_depth, "example_flow": args.example_flow}


def run(args: argparse.Namespace) -> int:
    from vid2vid.errors import UserError
    from vid2vid.inference.generate import GenerateRequest, generate_video

    if args.finetune < 0:
        raise UserError(f"--finetune takes a number of steps >= 0, got {args.finetune}")
    req = GenerateRequest(Path(args.checkpoint), Path(args.driving), tuple(Path(p) for p in args.examples),
                          Path(args.out), side_by_side=args.side_by_side,
                          attention_out=Path(args.attention) if args.attention else None, finetune=args.finetune,
                          finetune_all_examples=args.finetune_all_examples, crop=not args.no_crop,
                          normalize=not args.no_normalize, device=args.device,
                          runtime=args.runtime, lossless=args.lossless, resume=args.resume, progress=not args.quiet,
                          style_seed=args.style_seed, predict=args.predict, fill_depth=args.fill_depth,
                          example_flow=args.example_flow, job=_job(args))
    result = generate_video(req)
    if result.finetune_losses:
        log.info(f"finetuned {args.finetune} steps: loss {result.finetune_losses[0]:.3f} -> "
                 f"{result.finetune_losses[-1]:.3f}")
    stats = result.stats
    made = stats.frames - stats.resumed_from
    resumed = f" (continued from frame {stats.resumed_from + 1})" if stats.resumed_from else ""
    log.info(f"wrote {req.out}: {stats.frames} frames at {stats.fps:.3f} fps{resumed}; {made} generated in "
             f"{stats.seconds:.1f} s ({made / max(stats.seconds, 1e-9):.2f} frames/s){result.notes}")
    for warning in result.warnings:
        log.warning(f"warning: {warning}")
    return 0
