"""Resident memory over time of `vid2vid generate` on a looped street label video, sampled every 0.5 s from outside
(the model: the memory benchmark's tiny street model with 2 local enhancers, trained one step).

python results/speed/rss_trace/rss_trace.py HEIGHT FRAMES OUT_DIR
writes OUT_DIR/samples.json ([seconds, RSS MB] pairs) and prints the median and maximum of each quarter of the run.
"""
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from vid2vid.speed.memory import looped_label_video, street_checkpoint

height, frames, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
checkpoint, clip, h, w = street_checkpoint(out, height, 2, "tiny")
video = out / f"driving_{frames}.mp4"
looped_label_video(clip, video, frames, h, w)
child = subprocess.Popen([str(Path(sys.executable).parent / "vid2vid"), "generate", "--checkpoint", str(checkpoint),
                          "--driving", str(video), "--out", str(out / "out.mp4"), "--quiet"])
start, samples = time.time(), []
while child.poll() is None:
    status = Path(f"/proc/{child.pid}/status").read_text() if Path(f"/proc/{child.pid}/status").exists() else ""
    rss = [int(line.split()[1]) // 1024 for line in status.splitlines() if line.startswith("VmRSS")]
    if rss:
        samples.append((round(time.time() - start, 1), rss[0]))
    time.sleep(0.5)
(out / "samples.json").write_text(json.dumps(samples))
rss = np.array([r for t, r in samples if t > 15.0])  # after start-up (imports, model, first frames)
quarters = np.array_split(rss, 4)
print(f"{len(rss)} samples; median per quarter {[int(np.median(q)) for q in quarters]} MB; "
      f"max per quarter {[int(q.max()) for q in quarters]} MB")
