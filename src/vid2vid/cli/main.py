"""`vid2vid` entry point: dispatches sub-commands and turns user errors into one clear line."""

from __future__ import annotations

import argparse
import os
import sys

# Idle OpenMP threads sleep instead of spinning: on a CPU shared with other work, spinning made runs here up to 10x
# slower. Set OMP_WAIT_POLICY=ACTIVE yourself to override (must happen before torch is imported).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from vid2vid import __version__
from vid2vid.cli.common import add_verbosity, setup_logging
from vid2vid.errors import Stopped, UserError

DESCRIPTION = """\
Few-shot video-to-video synthesis: turn a video of semantic inputs (pose skeletons, face sketches, street
segmentation) into a photorealistic video of a person or place given only K example images of it.

Start with `vid2vid demo`, or make data with `vid2vid data synth --task pose --out data/dancers`.

Modes (`vid2vid configs` lists a config for each; model options go in the config's model section):
  few-shot vid2vid      the default (arch: fewshot); baselines arch: encoder | concat | adain
  fast preset           a lighter few-shot generator (pose-fast, face-fast, street-fast); `generate --runtime onnx`
  vid2vid 2018          one model per person or city, no examples (arch: vid2vid; street-vid2vid-small)
    foreground split    street classes like cars drawn by their own branch (foreground: true)
    coarse-to-fine      local enhancers double the resolution, grown during training (enhancers: N;
                        street-vid2vid-hd-small at 256x512, street-vid2vid-2k-paper at 2048x1024)
    multimodal          per-class features, a new look per seed (multimodal_channels: 3;
                        street-vid2vid-multimodal-small; `generate --style-seed N`)
    future prediction   predicts the next label maps, then renders them (predictor: true;
                        street-vid2vid-predict-small; `generate --predict M`, `eval predict`)
    face refinement     a residual face generator trained second on a frozen pose model (face_refiner: true;
                        pose-face-refine-small)
    unpaired branch     one person, plus other people's poses trained adversarially (data.unpaired_domains;
                        pose-vid2vid-unpaired-small; `eval checkpoint --held-out-motions N`)"""


def build_parser() -> argparse.ArgumentParser:
    from vid2vid.cli import app, bench, configs, data, demo, eval as eval_cli, export, generate, train

    parser = argparse.ArgumentParser(prog="vid2vid", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"vid2vid {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    data.add_parser(sub)
    configs.add_parser(sub)
    train.add_parser(sub)
    generate.add_parser(sub)
    demo.add_parser(sub)
    export.add_parser(sub)
    eval_cli.add_parser(sub)
    bench.add_parser(sub)
    app.add_parser(sub)
    for leaf in _leaves(parser):
        add_verbosity(leaf)
    return parser


def _leaves(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers of every runnable sub-command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [parser]
    return [leaf for a in subs for p in dict.fromkeys(a.choices.values()) for leaf in _leaves(p)]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    setup_logging(getattr(args, "quiet", False), getattr(args, "verbose", False))
    try:
        return int(args.func(args) or 0)
    except UserError as err:
        print(f"vid2vid {args.command}: error: {err}", file=sys.stderr)
        return 2
    except Stopped as err:
        print(f"vid2vid {args.command}: stopped: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(f"vid2vid {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
