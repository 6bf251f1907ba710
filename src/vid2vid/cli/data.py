"""`vid2vid data`: make synthetic datasets and check dataset folders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vid2vid import tasks
from vid2vid.cli.common import (add_num_examples, log, add_size_argument, add_task_argument, resolve_size, resolve_task,
                                task_help)

SYNTH_HELP = """\
Render a procedural few-shot video dataset with exact ground truth, split into training domains and held-out
test domains (people for dancers/faces, cities for streets) that are never seen in training.

  pose     (dancers) skeleton -> person: RGB, OpenPose-18 skeleton map, DensePose-like part map, mask, keypoints, flow
  face     (faces) sketch -> talking head: RGB, 68-landmark sketch, mask, iBUG-68 landmarks, flow
  street   (streets) segmentation -> street view: RGB, 20-class Cityscapes-style labels, flow

The layout on disk is documented in vid2vid/data/layout.py and the README. Reproducible: the same --seed gives the
same dataset.

  vid2vid data synth --task pose --out data/dancers --size 64"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("data", help="make synthetic datasets and check dataset folders",
                            description="Make synthetic datasets and check dataset folders.")
    data_sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    synth = data_sub.add_parser("synth", help="render a synthetic dataset", description=SYNTH_HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_task_argument(synth, "--task", help="the task whose synthetic dataset to render: " + task_help())
    add_task_argument(synth, "kind", nargs="?", help="the same as --task (older spelling)")
    synth.add_argument("--out", help="output folder (created; must be empty unless --overwrite)")
    synth.add_argument("--config", help="YAML file with any of the options below (flags given here override it)")
    synth.add_argument("--domains", type=int, help="number of domains in all (default 8)")
    synth.add_argument("--test-domains", type=int, help="how many of the domains are held out for testing (default 2)")
    synth.add_argument("--clips", type=int, help="clips per domain (default 4)")
    synth.add_argument("--frames", type=int, help="frames per clip (default 32)")
    add_size_argument(synth, "128, i.e. 128x128, street 128x256")
    synth.add_argument("--seed", type=int, help="random seed (default 0)")
    synth.add_argument("--workers", type=int, help="parallel processes (default: one per CPU core)")
    synth.add_argument("--overwrite", action="store_true", help="replace an existing dataset in --out")
    synth.set_defaults(func=run_synth)

    check = data_sub.add_parser("check", help="check a dataset folder and report every problem",
                                description="Walk a dataset folder and report every problem found, with the path and "
                                "what to do. Exit code 0 when clean, 1 when problems were found.")
    check.add_argument("root", help="dataset folder (the one holding dataset.json)")
    add_num_examples(check, 1, "examples you will draw per training sample")
    check.add_argument("--seq-len", type=int, default=1, help="frames per training sample you will use (default 1)")
    check.set_defaults(func=run_check)

    preview = data_sub.add_parser("preview", help="write a contact sheet PNG of a dataset",
                                  description="Write a PNG grid: one row per domain (training, then held-out), a few "
                                  "frames each, RGB next to the semantic map (and the part map for pose).")
    preview.add_argument("root", help="dataset folder")
    preview.add_argument("--out", required=True, help="PNG file to write")
    preview.add_argument("--domains", type=int, default=3, help="domains shown per split (default 3)")
    preview.add_argument("--frames", type=int, default=3, help="frames shown per domain (default 3)")
    preview.set_defaults(func=run_preview)

    from vid2vid.cli import prepare

    prepare.add_parser(data_sub)


def synth_options(args: argparse.Namespace):
    """SynthOptions from an optional YAML file, overridden by the flags given on the command line."""
    from vid2vid.config import from_mapping, load_yaml
    from vid2vid.data.synth.generate import SynthOptions
    from vid2vid.errors import UserError

    base = load_yaml(args.config, SynthOptions) if args.config else None
    mapping = {} if base is None else {k: v for k, v in vars(base).items()}
    if args.task and args.kind and resolve_task(args.task) != resolve_task(args.kind):
        raise UserError(f"give the task once: --task {args.task} or {args.kind}")
    task = args.task or args.kind or mapping.get("kind")
    task = resolve_task(task) if task else None
    size = None
    if task and (args.size or base is None):
        size = resolve_size(args.size, task) or tasks.get(task).size(128)
    flags = {"kind": task, "out": args.out, "domains": args.domains, "test_domains": args.test_domains,
             "clips": args.clips, "frames": args.frames, "seed": args.seed, "workers": args.workers,
             "height": size[0] if size else None, "width": size[1] if size else None}
    mapping.update({k: v for k, v in flags.items() if v is not None})
    for required in ("kind", "out"):
        if not mapping.get(required):
            raise UserError(f"give the dataset {'--task' if required == 'kind' else '--out DIR'} or put it in --config")
    return from_mapping(SynthOptions, mapping, where=args.config or "command line")


def run_synth(args: argparse.Namespace) -> int:
    from vid2vid.data.synth.generate import write_synthetic

    opts = synth_options(args)
    meta = write_synthetic(opts, overwrite=args.overwrite, progress=not args.quiet)
    log.info(f"wrote {meta.kind} ({meta.task}) to {opts.out}: {len(meta.splits['train'])} training and "
             f"{len(meta.splits['test'])} held-out domains x {opts.clips} clips x {opts.frames} frames at "
             f"{meta.width}x{meta.height}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from vid2vid.data.check import check_dataset

    problems = check_dataset(Path(args.root), num_examples=args.num_examples, seq_len=args.seq_len,
                             progress=not args.quiet)
    if not problems:
        print(f"{args.root}: no problems found")
        return 0
    for problem in problems:
        print(f"problem: {problem}", file=sys.stdout)
    print(f"{args.root}: {len(problems)} problem(s) found", file=sys.stdout)
    return 1


def run_preview(args: argparse.Namespace) -> int:
    from vid2vid.data.preview import contact_sheet

    path = contact_sheet(args.root, args.out, domains_per_split=args.domains, frames=args.frames)
    log.info(f"wrote {path}")
    return 0
