"""Slim a training checkpoint down to what inference needs: the EMA generator (optionally fp16), its config and the
dataset description. This is how the demo checkpoint in ``vid2vid/assets`` was made:

    python -m vid2vid.inference.export runs/small_dancers/checkpoint-00004000.pt src/vid2vid/assets/demo_pose.pt
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from vid2vid.checkpoint import load_checkpoint

KEEP = ("generator_config", "dataset", "config", "step")


def export_checkpoint(src: str | Path, dst: str | Path, fp16: bool = True) -> Path:
    """Write the slim checkpoint atomically; returns its path."""
    state = load_checkpoint(src)
    weights = state.get("ema", state.get("generator"))
    slim = {k: state[k] for k in KEEP if k in state}
    slim["ema"] = {k: (v.half() if fp16 and v.is_floating_point() else v) for k, v in weights.items()}
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".tmp")
    torch.save(slim, tmp)
    os.replace(tmp, dst)
    return dst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src")
    parser.add_argument("dst")
    parser.add_argument("--fp32", action="store_true", help="keep float32 weights")
    args = parser.parse_args()
    path = export_checkpoint(args.src, args.dst, fp16=not args.fp32)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
