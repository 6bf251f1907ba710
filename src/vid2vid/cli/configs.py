"""`vid2vid configs`: the run configs shipped in the package, usable by name (`vid2vid train --config pose-small`)."""

from __future__ import annotations

import argparse

HELP = """\
List the packaged run configs (one per task and generator preset: tiny = minutes on a CPU, small = hours on a CPU,
paper = the paper-size generator on GPUs), or print one to start your own:

  vid2vid configs                        # the list
  vid2vid configs pose-small > my.yaml   # a copy to edit
  vid2vid train --config pose-small --data data/small_dancers"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("configs", help="list the packaged run configs (or print one)", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", help="print this config (e.g. pose-small)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vid2vid.training.options import find_config, packaged_configs

    if args.name:
        print(find_config(args.name).read_text(encoding="utf-8"), end="")
        return 0
    found = packaged_configs()
    width = max(len(n) for n in found)
    for name, about in found.items():
        print(f"{name:{width}s}  {about}")
    return 0
