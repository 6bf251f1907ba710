"""Close-ups of the shipped 128 px pose model's heads: 4 held-out clips x frames 3, 9, 15, each as generated | real,
4x, cropped around the driving neck; green circles the driving nose, neck and shoulders, yellow the keypoint net's
detections of them (off the crop: the net placed the joint elsewhere). docs/learning.md, "Where the 128 px pose
error is":

    PYTHONPATH=src python results/learning/res128/head_look.py results/learning/res128/head_look_shipped_k2.png"""
import sys, torch, numpy as np
from PIL import Image, ImageDraw
from vid2vid.evaluation.evaluate import generate_clip, scored_clips
from vid2vid.inference.pipeline import Pipeline
from vid2vid.metrics import load_keypoint_net
pipe = Pipeline.from_checkpoint("src/vid2vid/assets/demo_pose.safetensors")
net = load_keypoint_net("results/gpu/detectors/dancers.safetensors")
ds, clips = scored_clips("results/gpu/data/dancers", 8)
rows = []
for clip in clips[:4]:
    with torch.no_grad():
        fake, real, sem, ex = generate_clip(pipe, ds, clip, 2, 16)
    drv = ds.load_keypoints(clip, list(range(16)))
    row = []
    for f in (3, 9, 15):
        tiles = []
        for img in (fake[f], real[f]):
            det = net.detect(img[None])[0]
            a = ((img.permute(1, 2, 0).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
            im = Image.fromarray(a).resize((512, 512), Image.NEAREST)
            d = ImageDraw.Draw(im)
            for j in (0, 1, 2, 5):
                x, y = drv[f, j, :2].tolist(); d.ellipse([x*4-4, y*4-4, x*4+4, y*4+4], outline=(0, 255, 0))
                x, y = det[j, :2].tolist(); d.ellipse([x*4-4, y*4-4, x*4+4, y*4+4], outline=(255, 255, 0))
            cx, cy = drv[f, 1, :2].tolist()
            box = [int(cx*4-96), int(cy*4-96), int(cx*4+96), int(cy*4+96)]
            tiles.append(im.crop(box))
        row += tiles
    rows.append(row)
W = Image.new("RGB", (192 * 6, 192 * len(rows)))
for r, row in enumerate(rows):
    for c, t in enumerate(row):
        W.paste(t, (192 * c, 192 * r))
W.save(sys.argv[1])
