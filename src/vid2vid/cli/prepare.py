"""`vid2vid data prepare`: turn a real video (or image folder) into a training clip of the dataset layout."""

from __future__ import annotations

import argparse

from vid2vid.cli.common import (add_size_argument, add_task_argument, add_verbosity, log, resolve_size, resolve_task,
                                task_help)

PREPARE_HELP = """\
Prepare a real video (mp4 or a folder of images) as one clip of a vid2vid dataset, offline:

  pose    mediapipe body pose -> OpenPose-18 skeleton map, DensePose-like part map, person mask, keypoints
  face    mediapipe FaceMesh -> 68-landmark face sketch, person mask, landmarks
  street  your label maps (--labels: ids 0..19, Cityscapes ids or the Cityscapes colour palette)

The person (or face) is cropped and scaled like the synthetic training data (crop fixed from the first frames;
--no-crop keeps the whole frame, scaled to cover and centre-cropped), keypoints are smoothed over time, and the
teacher optical flow is computed with OpenCV DIS. The video becomes domain DOMAIN (default: the file name) in the
train and test splits; --append adds further videos as more domains of the same dataset. Check the result with
`vid2vid data check DIR` and look at it with `vid2vid data preview DIR --out sheet.png`."""


def add_parser(data_sub: argparse._SubParsersAction) -> None:
    """Add `prepare` to the sub-commands of `vid2vid data`."""
    p = data_sub.add_parser("prepare", help="prepare a real video as a training dataset clip", description=PREPARE_HELP,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="mp4 (or any ffmpeg-readable video) or a folder of images")
    add_task_argument(p, "--task", required=True, help="which semantic maps to make: " + task_help())
    p.add_argument("--out", required=True, help="dataset folder (created; must be empty unless --append/--overwrite)")
    add_size_argument(p, "256, i.e. 256x256, street 256x512")
    p.add_argument("--no-crop", action="store_true", help="no person/face framing: scale to cover, crop the centre")
    p.add_argument("--labels", help="street: label-map video or image folder, one map per video frame")
    p.add_argument("--domain", help="domain (folder) name for this video (default: the input's file name)")
    p.add_argument("--split", choices=("train", "test", "both"), default="both",
                   help="which split(s) the clip goes to (default both)")
    p.add_argument("--max-frames", type=int, default=0, help="use at most this many frames (default: all)")
    p.add_argument("--stride", type=int, default=1, help="keep every N-th frame (default 1)")
    p.add_argument("--no-smooth", action="store_true", help="no temporal smoothing of keypoints")
    p.add_argument("--append", action="store_true", help="add this video as a new domain of the dataset in --out")
    p.add_argument("--overwrite", action="store_true", help="replace an existing dataset in --out")
    add_verbosity(p)
    p.set_defaults(func=run_prepare)


def run_prepare(args: argparse.Namespace) -> int:
    from vid2vid.data.real.prepare import prepare_video_dataset

    args.task = resolve_task(args.task)
    report = prepare_video_dataset(
        args.input, args.out, args.task, resolve_size(args.size, args.task), crop=not args.no_crop,
        labels=args.labels, domain=args.domain, split=args.split, max_frames=args.max_frames, stride=args.stride,
        smooth=not args.no_smooth, append=args.append, overwrite=args.overwrite, progress=not args.quiet)
    meta = report.meta
    log.info(f"wrote {report.frames} frames of {args.input} as domain '{report.domain}' ({args.task}, "
          f"{meta.width}x{meta.height}, {meta.fps:g} fps) to {args.out}")
    for note in report.notes:
        log.warning(f"note: {note}")
    return 0
