"""`vid2vid bench`: speed and memory benchmarks (vid2vid.speed) that write JSON + Markdown reports."""

from __future__ import annotations

import argparse

from vid2vid import tasks
from vid2vid.cli.common import add_task_argument, log

BENCH_HELP = """\
Measure this machine's speed and memory and write a JSON + Markdown report per benchmark to --out (default
bench_results/). Quality (FID, pose error, the paper's table) is `vid2vid eval`.

  generator  generator seconds per frame per preset, task and K, against the published generator (longest)
  memory     peak RSS of `vid2vid generate` on 300 vs 3,000 driving frames (about 2 min; needs scikit-video)
  synth      frames per second of the synthetic dataset generators
  perceptual seconds of the VGG19 perceptual loss per generator update, two ways of computing the real image's side

Timings assume an otherwise idle machine: other work on the same cores inflates wall-clock times (the reports
record the load average). `vid2vid bench BENCHMARK --help` says what each measures, its defaults and its target."""

DEFAULT_OUT = "bench_results"


def _generator_arguments(p: argparse.ArgumentParser) -> None:
    from vid2vid.speed.generator import SIZES

    p.add_argument("--presets", nargs="+", default=list(SIZES), metavar="PRESET",
                   help=f"generator presets: {', '.join(SIZES)} (default all)")
    p.add_argument("--tasks", nargs="+", default=list(SIZES["paper"]), metavar="TASK",
                   help=f"tasks with a published generator to compare with: {', '.join(SIZES['paper'])} (default all)")
    p.add_argument("--k", nargs="+", type=int, default=[1, 2], metavar="K",
                   help="numbers of example images (default 1 2)")
    p.add_argument("--frames", type=int, default=3, help="timed frames per measurement, median reported (default 3)")
    p.add_argument("--threads", type=int, default=2, help="torch threads per measurement (default 2)")
    p.add_argument("--no-bf16", action="store_true", help="skip the bf16 autocast measurements")
    p.add_argument("--no-onnx", action="store_true",
                   help="skip the ONNX Runtime measurements (run when onnxruntime is installed)")
    p.add_argument("--ablation", action="store_true", help="also time eval / eval_cl variants (paper pose K=1)")
    p.add_argument("--single-thread", action="store_true",
                   help="also measure fp32 with 1 thread: its process CPU time is a load-robust upper bound on the "
                        "quiet-machine 2-thread time")
    p.add_argument("--omp-wait-policy", default="PASSIVE",
                   help="OMP_WAIT_POLICY for the measuring processes ('' = inherit; default PASSIVE, which keeps "
                        "waiting OpenMP threads from spinning: that matters a lot when the cores are shared)")
    p.add_argument("--note", default="", help="free text for the report (e.g. machine load)")
    p.add_argument("--render", metavar="JSON", help="measure nothing: rewrite the Markdown next to this JSON report")


def _memory_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--frames", type=int, nargs="+", default=[300, 3000], metavar="N",
                   help="driving video lengths, shortest first; growth is last vs first (default 300 3000)")
    p.add_argument("--size", type=int, default=64,
                   help="face: square frame size of the tiny face model; street: frame height, width twice it "
                        "(default 64)")
    add_task_argument(p, "--task", default="face",
                      help="face (default: real talking-head video, mediapipe) or street (synthetic label video, "
                           "coarse-to-fine vid2vid model); pose is not measured (it streams like face)")
    p.add_argument("--enhancers", type=int, default=2, help="street: local enhancers of the model (default 2)")
    p.add_argument("--preset", default="tiny", help="street: generator preset (default tiny)")


def _synth_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", type=int, default=256, help="square frame size in pixels (default 256)")
    p.add_argument("--frames", type=int, default=64, help="frames per clip (default 64)")
    p.add_argument("--tasks", nargs="+", default=list(tasks.names()), metavar="TASK",
                   help=f"tasks whose synthetic data is timed: {', '.join(tasks.names())} (default all)")


def _perceptual_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", type=int, default=64, help="square frame size (default 64)")
    p.add_argument("--batch", type=int, default=4, help="frames per batch (default 4)")
    p.add_argument("--repeats", type=int, default=20, help="timed repeats, median reported (default 20)")


BENCHMARKS = {  # name: (module under vid2vid.speed, its options, one-line help)
    "generator": ("generator", _generator_arguments, "generator seconds per frame per preset, task and K"),
    "memory": ("memory", _memory_arguments, "peak RSS of `vid2vid generate` against video length"),
    "synth": ("synth", _synth_arguments, "frames per second of the synthetic dataset generators"),
    "perceptual": ("perceptual", _perceptual_arguments, "seconds of the VGG19 loss per generator update"),
}


def _module(name: str):
    import importlib

    return importlib.import_module(f"vid2vid.speed.{BENCHMARKS[name][0]}")


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("bench", help="speed and memory benchmarks (JSON + Markdown reports)",
                            description=BENCH_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_sub = parser.add_subparsers(dest="bench_command", metavar="{" + ",".join(BENCHMARKS) + "}", required=True)
    for name, (_, arguments, help_text) in BENCHMARKS.items():
        p = bench_sub.add_parser(name, help=help_text, description=_module(name).__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        arguments(p)
        p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                       help=f"folder for the JSON and Markdown reports (default {DEFAULT_OUT}/ in the current folder)")
        p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen benchmark and say where its report went."""
    written = _module(args.bench_command).run(args)
    log.info("wrote " + " and ".join(str(path) for path in written))
    return 0
