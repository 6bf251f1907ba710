"""Head crops of held-out dancers: the body model, the same model with its trained face refiner, the real frame.

python results/lineage/face_refine_picture.py BODY_CHECKPOINT REFINED_CHECKPOINT DATA OUT.png
"""
import sys

import torch

from vid2vid.evaluation.evaluate import generate_clip, test_split
from vid2vid.files import write_image_atomic
from vid2vid.inference.pipeline import Pipeline
from vid2vid.models.discriminator import crop_boxes
from vid2vid.models.face_refiner import head_boxes

body, refined, data, out = sys.argv[1:5]
ds = test_split(data)
pipes = [Pipeline.from_checkpoint(c, device="cpu") for c in (body, refined)]
rows = []
for clip in (0, 2, 4, 6):
    fakes = [generate_clip(pipe, ds, clip, 2, 32)[:3] for pipe in pipes]
    real, semantics = fakes[0][1], fakes[0][2]
    frames = [4, 12, 20, 28]
    boxes, present = head_boxes(semantics[frames])
    boxes[:, 2] *= 1.5  # some context around the head
    tiles = []
    for images in (fakes[0][0], fakes[1][0], real):
        crops = crop_boxes(images[frames], boxes, 64)
        tiles.append(torch.cat(list(crops), dim=2))  # frames side by side
    rows.append(torch.cat(tiles, dim=1))  # body | refined | real, top to bottom
grid = torch.cat([torch.nn.functional.pad(r, (0, 0, 0, 4), value=1.0) for r in rows], dim=1)
write_image_atomic(out, ((grid.permute(1, 2, 0).clamp(-1, 1) + 1) * 127.5).round().byte().numpy())
print("wrote", out)
