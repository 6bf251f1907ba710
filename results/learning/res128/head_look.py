"""Close-ups of 128 px pose models' heads: 4 held-out clips x frames 3, 9, 15, each as generated (one tile per
model, in the order given; the shipped model when none is given) | real, 4x, cropped around the driving neck; green
circles the driving nose, neck and shoulders, yellow the keypoint net's detections of them (off the crop: the net
placed the joint elsewhere). docs/learning.md, "Where the 128 px pose error is" and "A sharper head":

    PYTHONPATH=src python results/learning/res128/head_look.py results/learning/res128/head_look_shipped_k2.png
    PYTHONPATH=src python results/learning/res128/head_look.py OUT.png CHECKPOINT [CHECKPOINT ...]

A checkpoint written CHECKPOINT#K is given K examples (default 2), e.g. the same model with 1, 2 and 4:
    ... head_look.py OUT.png src/vid2vid/assets/demo_pose.safetensors#1 src/vid2vid/assets/demo_pose.safetensors#4"""
import sys

import numpy as np
import torch
from PIL import Image, ImageDraw

from vid2vid.evaluation.evaluate import generate_clip, scored_clips
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import load_keypoint_net

ZOOM, TILE, FRAMES, JOINTS = 4, 192, (3, 9, 15), (0, 1, 2, 5)  # nose, neck, shoulders


def close_up(image: torch.Tensor, driving: torch.Tensor, detected: torch.Tensor) -> Image.Image:
    """One frame (3, H, W) in [-1, 1], zoomed, with the driving (green) and detected (yellow) joints, cropped
    around the neck."""
    pixels = ((image.permute(1, 2, 0).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
    h, w = pixels.shape[:2]
    im = Image.fromarray(pixels).resize((w * ZOOM, h * ZOOM), Image.NEAREST)
    draw = ImageDraw.Draw(im)
    for j in JOINTS:
        for points, colour in ((driving, (0, 255, 0)), (detected, (255, 255, 0))):
            x, y = (points[j, :2] * ZOOM).tolist()
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], outline=colour)
    cx, cy = (driving[1, :2] * ZOOM).tolist()
    half = TILE // 2
    return im.crop((int(cx - half), int(cy - half), int(cx + half), int(cy + half)))


def main(out: str, checkpoints: list[str]) -> None:
    specs = [(c.split("#")[0], int(c.split("#")[1]) if "#" in c else 2)
             for c in checkpoints or ["src/vid2vid/assets/demo_pose.safetensors"]]
    pipes = [(Pipeline.from_checkpoint(c), k) for c, k in specs]
    net = load_keypoint_net("results/gpu/detectors/dancers.safetensors")
    ds, clips = scored_clips("results/gpu/data/dancers", 8)
    rows = []
    for clip in clips[:4]:
        with torch.no_grad():
            fakes = [generate_clip(pipe, ds, clip, k, max(FRAMES) + 1)[:2] for pipe, k in pipes]
        driving = ds.load_keypoints(clip, list(range(max(FRAMES) + 1)))
        images = [fake for fake, _ in fakes] + [fakes[0][1]]  # each model's frames, then the real ones
        rows.append([close_up(image[f], driving[f], net.detect(image[f][None])[0]) for f in FRAMES for image in images])
    sheet = Image.new("RGB", (TILE * len(rows[0]), TILE * len(rows)))
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            sheet.paste(tile, (TILE * c, TILE * r))
    sheet.save(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
