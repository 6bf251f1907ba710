"""Heads of held-out dancers drawn with K = 4 and K = 8 examples, beside the real frames (docs/learning.md, "K = 8 at
128 px: the head"). Rows per clip: real, K = 4, K = 8; crops of 32x32 px around the driving nose, shown x3:

    PYTHONPATH=src python results/learning/k8_128px/head_crops.py CHECKPOINT DATA OUT.png [CLIPS]"""
import sys

import numpy as np
import torch
from PIL import Image

from vid2vid.evaluation.evaluate import generate_clip, scored_clips
from vid2vid.inference.pipeline import Pipeline


def crop(frame: torch.Tensor, x: float, y: float, half: int = 16) -> np.ndarray:
    img = ((frame.permute(1, 2, 0).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
    h, w = img.shape[:2]
    x0, y0 = int(min(max(x - half, 0), w - 2 * half)), int(min(max(y - half, 0), h - 2 * half))
    return img[y0:y0 + 2 * half, x0:x0 + 2 * half]


def main(checkpoint: str, data: str, out: str, clips: int = 3, frames: int = 32, shown: int = 8) -> None:
    pipe = Pipeline.from_checkpoint(checkpoint)
    ds, picked = scored_clips(data, clips)
    rows = []
    with torch.no_grad():
        for clip in picked[:clips]:
            keypoints = ds.load_keypoints(clip, list(range(frames)))
            fakes = {k: generate_clip(pipe, ds, clip, k, frames)[:2] for k in (4, 8)}
            real = fakes[4][1]
            at = np.linspace(0, frames - 1, shown).round().astype(int)
            for images in (real, fakes[4][0], fakes[8][0]):
                rows.append(np.concatenate([crop(images[t], *keypoints[t][0][:2].tolist()) for t in at], axis=1))
    grid = np.concatenate(rows, axis=0)
    Image.fromarray(grid).resize((grid.shape[1] * 3, grid.shape[0] * 3), Image.NEAREST).save(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], *(int(a) for a in sys.argv[4:]))
