"""A dataset folder whose test split is some of another dataset's *training* domains (symlinks), to score a model on
domains it trained on with the same commands as on held-out ones (`eval checkpoint --data OUT`).

python results/learning/seen_split.py DATA OUT [N]   (the first N training domains, default 4)"""
import json
import sys
from pathlib import Path

data, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 4
meta = json.loads((data / "dataset.json").read_text())
seen = meta["splits"]["train"][:n]
(out / "test").mkdir(parents=True, exist_ok=True)
(out / "train").mkdir(exist_ok=True)
for domain in seen:
    link = out / "test" / domain
    if not link.exists():
        link.symlink_to(data / "train" / domain)
meta["splits"] = {"train": [], "test": seen}
(out / "dataset.json").write_text(json.dumps(meta, indent=1))
print(f"{out}: test split = training domains {', '.join(seen)} of {data}")
