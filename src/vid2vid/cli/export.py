"""`vid2vid export`: a training checkpoint -> an inference-only generator (.safetensors, config as JSON metadata)."""

from __future__ import annotations

import argparse

from vid2vid.cli.common import add_num_examples, log

HELP = """\
Keep what inference needs from a training checkpoint: one generator's weights (the EMA average by default) as
safetensors, fp16 unless --fp32, with its generator config, the dataset description (task, size, encoding) and its
provenance (source checkpoint, step, training config) as JSON in the file's metadata. `vid2vid generate`, `demo` and
`eval` read the result like a training checkpoint; it holds no optimiser or discriminator state and cannot resume
training. Read its metadata with safetensors: safe_open(path, "pt").metadata().

  vid2vid export --checkpoint runs/small_dancers/checkpoint-00019000.pt --out dancers.safetensors
  vid2vid export --checkpoint face.safetensors --example-flow landmarks --out face-landmarks.safetensors

With --onnx DIR it writes the generator as ONNX graphs for K examples (-k) at the training size instead, to run with
ONNX Runtime anywhere: DIR/encoder.onnx (examples and their semantic maps -> the example code, once per video),
DIR/first.onnx (the first frame) and DIR/step.onnx (later frames, given the last n semantic maps and generated
frames), and DIR/onnx.json (the code's structure, the sizes, the dataset description and the generator config).
`vid2vid generate --runtime onnx` does this on the fly."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="slim a training checkpoint to an inference generator (.safetensors)",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True,
                   help="training checkpoint (.pt), or an exported generator (.safetensors) to write again with "
                   "another --example-flow")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", help="generator file to write (.safetensors)")
    target.add_argument("--onnx", metavar="DIR", help="write ONNX graphs to this folder instead (needs the onnx extra)")
    add_num_examples(p, default=2, what="examples the ONNX graphs take (with --onnx)")
    p.add_argument("--weights", choices=("ema", "generator"), default="ema",
                   help="averaged (ema, default) or raw generator weights")
    p.add_argument("--fp32", action="store_true", help="keep float32 weights (default: float16, half the size)")
    p.add_argument("--example-flow", choices=("learned", "parts", "landmarks"),
                   help="few-shot pose and face models: store this example flow setting in the file's generator "
                   "config, so generate, demo and eval use it by default (learned: the flow network; parts: computed "
                   "from the pose maps' body-part channels; landmarks: fitted from the 68 face landmarks of the "
                   "examples and driving frames); default: the checkpoint's")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vid2vid.inference.export import export_generator

    if args.onnx:
        from vid2vid.inference.export import export_onnx_folder

        folder = export_onnx_folder(args.checkpoint, args.onnx, args.num_examples, weights=args.weights,
                                    example_flow=args.example_flow)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        log.info(f"wrote {folder}: encoder, first and step graphs for K={args.num_examples} ({size:.1f} MB)")
        return 0
    path = export_generator(args.checkpoint, args.out, fp16=not args.fp32, weights=args.weights,
                            example_flow=args.example_flow)
    log.info(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0
