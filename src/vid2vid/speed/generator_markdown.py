"""The Markdown page of the generator speed report (`vid2vid bench generator`): the paper preset against the published
generator, the runtimes side by side, and every measurement; also rebuilt from a saved JSON report (``--render``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from vid2vid import tasks
from vid2vid.errors import UserError
from vid2vid.files import write_text_atomic

PUBLISHED = {("pose", 1): 3.05, ("pose", 2): 5.08, ("face", 1): 1.37, ("face", 2): 1.87,
             ("street", 1): 1.56, ("street", 2): 3.48}  # seconds per frame, 2-core CPU
TARGET = {1: 1.5, 2: 2.0}  # required speed-up of the paper preset over the published generator, fp32


def render(json_path: Path) -> Path:
    """Rewrite the Markdown report from an existing JSON report; the Markdown path."""
    try:
        data = json.loads(json_path.read_text())
        markdown = report_page(data["results"], data["meta"])
    except OSError as err:
        raise UserError(f"cannot read --render {json_path}: {err.strerror}") from None
    except (ValueError, KeyError, TypeError) as err:
        raise UserError(f"--render {json_path} is not a generator speed report ({err!r})") from None
    md = json_path.with_suffix(".md")
    write_text_atomic(md, markdown)
    return md


def report_page(rows: list[dict], meta: dict) -> str:
    lines = ["# Generator speed", "",
             f"CPU: {meta['cpu']}, torch {meta['torch']}; batch 1, random weights, inference mode; median of "
             f"{meta['frames']} frames after one warm-up, each frame with a full history. Each row is its own "
             "process (peak RSS = that process). `fast` = inference copy (spectral norm and batch norm folded) in "
             "channels_last; `eval` = the training model in eval mode (NCHW); `eval_cl` = eval + channels_last.",
             "", f"OMP_WAIT_POLICY={meta['omp_wait_policy']}. Load average (1 min) during the measurements: "
             f"{meta['load_min']:.1f} to {meta['load_max']:.1f} "
             f"on {os.cpu_count()} cores; above ~{meta['threads']} other work was competing for the cores and "
             "2-thread wall times are inflated (OpenMP threads wait for each other). The 1-thread process CPU time "
             "is robust to that and bounds the quiet-machine 2-thread time from above.",
             "", meta.get("note", ""), "",
             "## Paper preset against the published generator (seconds per frame, fp32 unless stated)", "",
             "| task | size (HxW) | K | published (2 thr) | ours, 2 thr wall | speed-up | ours, 1 thr CPU time | "
             "speed-up | target | ours bf16, 2 thr | bf16 speed-up | bf16 mean abs diff (image / H) | "
             "example encoding (once) | peak RSS |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def find(**kw):
        return next((r for r in rows if all(r.get(a) == b for a, b in kw.items())), None)

    for (task, k), pub in PUBLISHED.items():
        fp = find(preset="paper", task=task, k=k, dtype="fp32", variant="fast", device="cpu", threads=meta["threads"])
        if fp is None:
            continue
        one = find(preset="paper", task=task, k=k, dtype="fp32", variant="fast", device="cpu", threads=1)
        bf = find(preset="paper", task=task, k=k, dtype="bf16", variant="fast", device="cpu")
        one_cols = f"{one['step_cpu_s']:.2f} | {pub / one['step_cpu_s']:.2f}x" if one else "- | -"
        warps = bf is not None and bf.get("example_warp", tasks.get(task).generator.get("example_warp", True))
        flipped = " (warped example differs*)" if warps and not bf["bf16_same_example"] else ""
        bf_cols = (f"{bf['step_s']:.2f} | {pub / bf['step_s']:.2f}x | {bf['bf16_image_mean_abs_diff']:.4f} / "
                   f"{bf['bf16_hallucinated_mean_abs_diff']:.4f}{flipped}" if bf else "- | - | -")
        lines.append(f"| {task} | {fp['height']}x{fp['width']} | {k} | {pub:.2f} | {fp['step_s']:.2f} | "
                     f"{pub / fp['step_s']:.2f}x | {one_cols} | {TARGET[k]:.1f}x | {bf_cols} | "
                     f"{fp['encode_s']:.3f} s | {fp['peak_rss_mb']:.0f} MB |")
    lines += runtime_table(rows, meta)
    lines += ["", "Image and H differences are mean absolute differences on the [-1, 1] scale for the same inputs. "
              "*With random weights the attention over K = 2 examples is a near tie, so bf16 rounding can pick the "
              "other example to warp into the frame; H's own output (before that blending) differs by the H value.",
              "", "## All measurements", "",
              "| preset | task | size | K | device | dtype | variant | threads | params (M) | step (s) | steps (s) | "
              "step CPU time (s) | encode (s) | RSS after setup (MB) | peak RSS (MB) | load |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        steps = ", ".join(f"{t:.3f}" for t in r["step_all_s"])
        mem = f"{r['peak_rss_mb']:.0f}" + (f" (CUDA {r['peak_cuda_mb']:.0f})" if "peak_cuda_mb" in r else "")
        lines.append(f"| {r['preset']} | {r['task']} | {r['height']}x{r['width']} | {r['k']} | {r['device']} | "
                     f"{r['dtype']} | {r['variant']} | {r['threads']} | {r['parameters'] / 1e6:.2f} | "
                     f"{r['step_s']:.3f} | {steps} | {r['step_cpu_s']:.3f} | {r['encode_s']:.3f} | "
                     f"{r['setup_rss_mb']:.0f} | {mem} | "
                     f"{r['load_avg_1m']:.1f} |")
    return "\n".join(lines) + "\n"


def runtime_table(rows: list[dict], meta: dict) -> list[str]:
    """Frames per second of each configuration in PyTorch fp32, PyTorch bf16 autocast and ONNX Runtime, side by side."""
    keys = []
    for r in rows:
        key = (r["preset"], r["task"], r["k"], r["device"])
        if key not in keys and r["threads"] == meta["threads"]:
            keys.append(key)
    lines = ["", f"## Runtimes side by side ({meta['threads']} threads; frames per second, one frame step after the "
             "examples are encoded)", "",
             "| preset | task | size (HxW) | K | device | GFLOP / frame | PyTorch fp32 | PyTorch bf16 | ONNX Runtime | "
             "peak RSS fp32 / bf16 / ONNX (MB) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for preset, task, k, device in keys:
        found = {}
        for r in rows:
            key = (r["preset"], r["task"], r["k"], r["device"], r["threads"])
            if key == (preset, task, k, device, meta["threads"]):
                kind = "onnx" if r.get("runtime") == "onnx" else r["dtype"] if r["variant"] == "fast" else None
                found.setdefault(kind, r)
        fp = found.get("fp32")
        if fp is None:
            continue

        def fps(kind: str) -> str:
            return f"{1 / found[kind]['step_s']:.2f}" if kind in found else "-"

        rss = " / ".join(f"{found[k_]['peak_rss_mb']:.0f}" if k_ in found else "-" for k_ in ("fp32", "bf16", "onnx"))
        gflops = f"{fp['gflops']:.1f}" if "gflops" in fp else "-"
        lines.append(f"| {preset} | {task} | {fp['height']}x{fp['width']} | {k} | {device} | {gflops} | "
                     f"{fps('fp32')} | {fps('bf16')} | {fps('onnx')} | {rss} |")
    return lines
