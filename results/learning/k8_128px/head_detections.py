"""One held-out frame of the shipped pose model with K = 4 and K = 8, beside the real frame, with the keypoint net's
head joints drawn (green rings: the driving joints; red: where the net found them): OUT.png (x3), OUT_zoom.png (the
frame's top-left corner, x3) and OUT_err.png (|generated - real| x4 for K = 4 and 8). The worst frames are listed
by head_swap.py (docs/learning.md, "Training with K up to 8"):

    PYTHONPATH=src python results/learning/k8_128px/head_detections.py CLIP FRAME OUT.png"""
import sys

import numpy as np
import torch
from PIL import Image, ImageDraw

from vid2vid.data.semantics import decode_image
from vid2vid.evaluation.evaluate import HEAD_JOINTS, generate_clip, scored_clips
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import load_keypoint_net

CHECKPOINT = "src/vid2vid/assets/demo_pose.safetensors"
DATA = "results/cpu/data/dancers-128px"
DETECTOR = "results/cpu/detectors/dancers-128px.safetensors"


def main(clip_index: int, frame: int, out: str) -> None:
    pipe, net = Pipeline.from_checkpoint(CHECKPOINT), load_keypoint_net(DETECTOR)
    ds, picked = scored_clips(DATA, 8)
    clip = picked[clip_index]
    with torch.no_grad():
        fake4, real, _, _ = generate_clip(pipe, ds, clip, 4, frame + 1)
        fake8 = generate_clip(pipe, ds, clip, 8, frame + 1)[0]
    driving = ds.load_keypoints(clip, [frame])[0]
    tiles = []
    for images in (real, fake4, fake8):
        found = net.detect(images[frame:frame + 1])[0]
        tile = Image.fromarray(decode_image(images[frame])).resize((384, 384), Image.NEAREST)
        draw = ImageDraw.Draw(tile)
        for j in HEAD_JOINTS:
            (gx, gy), (px, py) = (3 * driving[j][:2]).tolist(), (3 * found[j][:2]).tolist()
            draw.ellipse([gx - 3, gy - 3, gx + 3, gy + 3], outline=(0, 255, 0))
            draw.line([gx, gy, px, py], fill=(255, 0, 0))
            draw.ellipse([px - 2, py - 2, px + 2, py + 2], fill=(255, 0, 0))
        tiles.append(np.array(tile))
    Image.fromarray(np.concatenate(tiles, 1)).save(out)
    corner = np.concatenate([decode_image(x[frame])[:72, :64] for x in (real, fake4, fake8)], 1)
    Image.fromarray(corner).resize((192 * 3, 72 * 3), Image.NEAREST).save(out.replace(".png", "_zoom.png"))
    err = [((x[frame] - real[frame]).abs().mean(0).numpy() * 4 * 255).clip(0, 255).astype(np.uint8)
           for x in (fake4, fake8)]
    Image.fromarray(np.concatenate(err, 1)).resize((256 * 3, 128 * 3), Image.NEAREST).save(
        out.replace(".png", "_err.png"))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
