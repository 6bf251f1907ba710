"""`vid2vid demo`: the whole system on built-in data, no network and no files needed."""

from __future__ import annotations

import argparse
from pathlib import Path

from vid2vid.cli.common import add_task_argument, resolve_task, task_help

HELP = """\
Animate a synthetic dancer (or face, or city) never seen in training from K=2 example frames, using the checkpoint
shipped in the package for that task (or, if there is none, a tiny model trained on the spot). Writes
<out>/demo.mp4 (input | examples | output) and <out>/demo.png (examples | input | output | ground truth). Seconds
with a shipped checkpoint, a few minutes on a 2-core CPU without one."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="end-to-end demo on built-in synthetic data", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_task_argument(p, "--task", default="pose", help="what to animate (default pose): " + task_help())
    p.add_argument("--out", default="vid2vid_demo", help="output folder (default vid2vid_demo)")
    p.add_argument("--checkpoint", help="use this checkpoint instead of the packaged one")
    p.add_argument("--examples", type=int, default=2, help="K example frames (default 2)")
    p.add_argument("--frames", type=int, default=48, help="frames to generate (default 48)")
    p.add_argument("--train-steps", type=int, default=300,
                   help="training steps of the fallback model when no checkpoint is packaged (default 300)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vid2vid.errors import UserError
    from vid2vid.inference.demo import run_demo

    if args.examples < 1 or args.frames < 2:
        raise UserError("--examples must be >= 1 and --frames >= 2")
    result = run_demo(Path(args.out), Path(args.checkpoint) if args.checkpoint else None, args.examples,
                      args.frames, args.train_steps, progress=not args.quiet, task=resolve_task(args.task))
    print(f"wrote {result.video} ({result.frames} frames in {result.seconds:.1f} s) and {result.strip} "
          f"using {result.checkpoint}")
    return 0
