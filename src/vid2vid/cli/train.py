"""`vid2vid train`: train a generator from a YAML run config (single process or under torchrun)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vid2vid.cli.common import log
from vid2vid.devices import DEVICES

HELP = """\
Train few-shot vid2vid (or the single-domain vid2vid, or a baseline) from a YAML run config with sections
data / model / discriminator / loss / train (see src/vid2vid/configs/*.yaml; every key is documented in the
dataclass that owns it: DataConfig, GeneratorConfig (model), DiscriminatorConfig, LossWeights, TrainOptions).

Single process:   vid2vid train --config pose-tiny --data data/tiny_dancers --max-steps 40
Several:          torchrun --nproc_per_node 2 -m vid2vid.cli.main train --config ...  (gloo on CPU, nccl on CUDA)
The effective batch is train.batch_size x train.accum_steps x number of processes.
Stop with Ctrl-C at any time: a checkpoint is saved; continue with --resume."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a generator from a YAML config", description=HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True,
                   help="YAML run config, or a packaged one by name (pose-tiny, face-small, ...: `vid2vid configs`)")
    p.add_argument("--run-dir", help="where checkpoints, logs and images go (default runs/<config name>)")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --run-dir")
    p.add_argument("--max-steps", type=int, help="override train.max_steps")
    p.add_argument("--max-hours", type=float, help="override train.max_hours: stop, finished, once the run has trained "
                   "this long (summed over --resume sessions; 0 = no limit)")
    p.add_argument("--batch-size", type=int, help="override train.batch_size")
    p.add_argument("--device", choices=DEVICES, help="override train.device: auto (CUDA, then MPS, then the CPU), cpu, "
                   "cuda or mps")
    p.add_argument("--data", help="override data.root")
    p.add_argument("--workers", type=int, help="override train.workers")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vid2vid.training.loop import training_loop
    from vid2vid.training.options import load_run_config

    overrides = {"train": {"max_steps": args.max_steps, "max_hours": args.max_hours, "batch_size": args.batch_size,
                           "device": args.device, "workers": args.workers, "resume": True if args.resume else None,
                           "progress": False if args.quiet else None},
                 "data": {"root": args.data}}
    cfg = load_run_config(args.config, overrides)
    run_dir = Path(args.run_dir or Path("runs") / Path(args.config).stem.replace(".yaml", ""))
    path = training_loop(run_dir, cfg)
    if path is not None:
        log.info(f"checkpoint: {path}")
    return 0
