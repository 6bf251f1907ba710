"""`vid2vid export`: a training checkpoint -> an inference-only generator (.safetensors, config as JSON metadata)."""

from __future__ import annotations

import argparse

from vid2vid.cli.common import log

HELP = """\
Keep what inference needs from a training checkpoint: one generator's weights (the EMA average by default) as
safetensors, fp16 unless --fp32, with its generator config, the dataset description (task, size, encoding) and its
provenance (source checkpoint, step, training config) as JSON in the file's metadata. `vid2vid generate`, `demo` and
`eval` read the result like a training checkpoint; it holds no optimiser or discriminator state and cannot resume
training. Read its metadata with safetensors: safe_open(path, "pt").metadata().

  vid2vid export --checkpoint runs/small_dancers/checkpoint-00019000.pt --out dancers.safetensors"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="slim a training checkpoint to an inference generator (.safetensors)",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="training checkpoint (.pt)")
    p.add_argument("--out", required=True, help="generator file to write (.safetensors)")
    p.add_argument("--weights", choices=("ema", "generator"), default="ema",
                   help="averaged (ema, default) or raw generator weights")
    p.add_argument("--fp32", action="store_true", help="keep float32 weights (default: float16, half the size)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vid2vid.inference.export import export_generator

    path = export_generator(args.checkpoint, args.out, fp16=not args.fp32, weights=args.weights)
    log.info(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0
