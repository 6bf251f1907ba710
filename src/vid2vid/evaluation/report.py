"""The benchmark's Markdown tables (the paper's Table 1 columns plus ours) and PNG plots (Fig. 7 style)."""

from __future__ import annotations

import math
from pathlib import Path

from vid2vid import tasks
from vid2vid.evaluation.task_scores import shown_methods
from vid2vid.files import save_figure_atomic, write_text_atomic


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


GENERIC_COLUMNS = [("fid", "FID ↓", 1), ("psnr", "PSNR ↑", 2), ("ssim", "SSIM ↑", 3), ("warp_error", "warp error ↓", 4),
                   ("identity_drift", "drift ↓", 4)]


def columns(dataset: str) -> list[tuple[str, str, int]]:
    """The table columns of a benchmark task (named by its dataset): its registry metrics, then the generic ones."""
    return [(m.key, m.label, m.digits) for m in tasks.get(dataset).metrics] + GENERIC_COLUMNS


def _cell(r: dict, key: str, digits: int) -> str:
    """A value, with ``± spread`` (half the range over seeds) when it was averaged over several seeds."""
    text = _fmt(r.get(key), digits)
    if r.get("seeds", 1) > 1 and r.get(f"{key}_spread") is not None:
        text += f" ± {_fmt(r[f'{key}_spread'], digits)}"
    return text


def _table(rows: dict[str, dict], columns: list, label: str) -> list[str]:
    lines = [f"| {label} | " + " | ".join(c[1] for c in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, r in rows.items():
        lines.append(f"| {name} | " + " | ".join(_cell(r, key, d) for key, _, d in columns) + " |")
    return lines


def y_range(values: list[float], least: float = 0.1) -> tuple[float, float]:
    """A panel's y limits: the values' range, widened to at least ``least`` of their mean magnitude so that a metric
    which barely moves (FID 26.79 against 26.81) reads flat instead of filling the panel."""
    finite = [v for v in values if math.isfinite(v)] or [0.0]
    low, high = min(finite), max(finite)
    half = max((high - low) * 0.55, least / 2 * abs(low + high) / 2, 1e-6)
    middle = (low + high) / 2
    return middle - half, middle + half


def _plot(path: Path, series: dict[str, dict], xlabel: str, keys: list[tuple[str, str]],
          reference: dict | None = None) -> None:
    """One panel per metric; ``reference`` (the real frames' scores) draws a dashed line, which also keeps a metric
    that barely moves from filling the panel (a 0.01 px change looked like a trend); without one, ``y_range``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2))
    axes = [axes] if len(keys) == 1 else axes
    xs = [int(x) for x in series]
    for ax, (key, title) in zip(axes, keys):
        values = [series[str(x)].get(key, float("nan")) for x in xs]
        ax.plot(xs, values, marker="o")
        limit = (reference or {}).get(key)
        if limit is not None and math.isfinite(limit):
            ax.axhline(limit, color="gray", linestyle="--", label="real frames")
            ax.legend(fontsize=8)
        elif any(math.isfinite(v) for v in values):  # (a panel with no score keeps matplotlib's own limits)
            ax.set_ylim(*y_range(values))
        ax.set_xscale("log", base=2)
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure_atomic(fig, path, dpi=100)
    plt.close(fig)


def _method_label(name: str, r: dict, seeds: int) -> str:
    """A method's row name; a row averaged over fewer seeds than the budget's says how many (no ± shows for one)."""
    scored = r.get("seeds")
    return name if scored is None or scored >= seeds else f"{name} ({scored} of {seeds} seeds)"


def _methods(out: Path, cols: list, scores: dict, s: dict, method_names: dict[str, str], title: str, sheet: str,
             intro: str = "") -> list[str]:
    """A methods table (a task's, or its second stage's ``scores``) with its picture."""
    lines = [f"### {title}", ""] + ([intro, ""] if intro else [])
    # Rows in the methods' own order, whatever order the seeds were scored in (runs spread over sessions).
    order = ([m for m in method_names if m in scores["methods"]]
             + [m for m in scores["methods"] if m not in method_names])
    rows = {_method_label(method_names.get(m, m), scores["methods"][m], s.get("seeds", 1)): scores["methods"][m]
            for m in order}
    rows["real frames (metric limit)"] = scores["floor"] or {}
    # Training time is the methods table's only (the K and domains studies score the same models again).
    timed = cols + [("train_hours", "training h", 2)] if any("train_hours" in r for r in rows.values()) else cols
    lines += _table(rows, timed, "method") + [""]
    unscored = [name for m, name in method_names.items() if m not in scores["methods"]]
    if unscored:
        lines += [f"Not scored yet: {'; '.join(unscored)}.", ""]
    if (out / sheet).exists():
        shown = shown_methods(scores)
        left_out = [name for m, name in method_names.items() if m not in shown]
        # (';' between rows: a method's name may hold a comma, as "few-shot vid2vid, fast preset")
        picture_rows = ([f"the examples (K={s.get('eval_k', s['train_k'])})", "the driving input"]
                        + [method_names[m] for m in shown if m in method_names] + ["the real frames"])
        lines += [f"Held-out clips, rows: {'; '.join(picture_rows)}: ![methods]({sheet})"
                  + (f" (not in the picture: {'; '.join(left_out)}. The picture is drawn from the models of the "
                     "current recipe in the run folder, which held none of theirs when it was drawn)"
                     if left_out else ""), ""]
    return lines


def _studies(out: Path, kind: str, scores: dict, cols: list, studies: list[tuple], suffix: str) -> list[str]:
    """The K and domains studies' tables and plots (``<kind>_<study><suffix>.png``)."""
    keys, plots, lines = [(c[0], c[1]) for c in cols[:2]], [], []
    for table, title, label, header, axis in studies:
        lines += [f"### {title}", ""]
        if not scores[table]:  # (a run stopped before its study, or the study's models still training)
            lines += ["Not scored yet.", ""]
            continue
        lines += _table({label.format(n): r for n, r in scores[table].items()}, cols, header) + [""]
        if len(scores[table]) > 1:  # a curve needs two points
            _plot(out / f"{kind}_{table}{suffix}.png", scores[table], axis, keys, scores["floor"])
            plots.append(f"![{'K' if table == 'k' else table}]({kind}_{table}{suffix}.png)")
    if plots:
        lines += [" ".join(plots), ""]
    return lines


def write_report(out: Path, results: dict, method_names: dict[str, str]) -> Path:
    """Write ``benchmark.md`` and ``<task>_k.png`` / ``<task>_domains.png`` into ``out``."""
    s = results["settings"]
    lines = ["# Few-shot vid2vid benchmark on synthetic data", "",
             f"Budget `{results['budget']}`: {s['preset']} preset, {s['size']} px, {s['steps']} training steps per "
             f"method (batch {s['batch_size']}, halved for tasks with twice-as-wide frames; single frames for the "
             f"first {s['single_frame_steps']} steps, then sequences of up to "
             f"{s['seq_len']} frames, strides 1-{s.get('max_frame_stride', 1)}), {s['domains'] - s['test_domains']} "
             f"training and {s['test_domains']} held-out domains, K drawn from 1..{s['train_k']} in training, examples "
             f"from other clips of the domain, {s.get('seeds', 1)} seed(s) per method (mean ± half the range). "
             f"Scored with the {'averaged (EMA)' if s.get('weights') == 'ema' else 'raw'} generator weights on "
             f"held-out domains only ({s['eval_clips']} clips x up to "
             f"{s['eval_frames']} frames). Run time {results.get('seconds', '?')} s (the `eval benchmark` processes "
             "added up; models trained outside them, then scored by them, count only in the 'training h' column, "
             "each run's own clock of its training steps on a machine shared with other jobs). "
             f"Produced by `vid2vid eval benchmark --budget {results['budget']}`.", "",
             "FID here is computed on few frames and is only comparable between rows of one table. The "
             "'real frames' row scores the ground-truth frames with the same metric networks: the floor (pose error) "
             "or ceiling (accuracy) any generator can reach; its drift is the real clips' own change of look from "
             "their first to their last quarter (a faithful video's level, not a bound: a frozen look scores 0). "
             "The metric networks train on the training domains "
             f"({s.get('detector_steps', '?')} steps; the street segmentation net "
             f"{s.get('segmentation_steps', s.get('detector_steps', '?'))}).", ""]
    for kind, task in results["tasks"].items():
        cols = columns(kind)
        lines += [f"## {kind}", ""]
        k = s.get("eval_k", s["train_k"])
        lines += _methods(out, cols, task, s, method_names, f"Methods (paper Table 1), K={k}", f"{kind}_methods.png")

        def k_study(at: str = "") -> tuple:
            return ("k", f"Effect of K{at} (few-shot vid2vid, seed 0, test-time examples; paper Fig. 7)", "K={}", "K",
                    "K (examples)")

        domains_study = ("domains", "Effect of the number of training domains (few-shot vid2vid, seed 0; paper Fig. 7)",
                         "{} domains", "training domains", "training domains")
        lines += _studies(out, kind, task, cols, [k_study(), domains_study], "")
        refined = task.get("refined")
        if refined is not None:  # the same models continued at a larger size (budgets.Refine)
            r = refined["settings"]
            px = f"{r['size']} px"
            intro = (f"The models above, continued at {px} from their final averaged weights with fresh discriminators "
                     f"on the same domains and clips rendered at {px}: {r['max_steps']} steps, the first "
                     f"{r['flow_pretrain_steps']} training the flow alone, then {r['single_frame_steps']} on single "
                     f"frames, then sequences doubling every {r['double_every']} steps. Scored at {px}, with a metric "
                     f"network trained on the training domains at {px}. Its 'training h' is the continued run's alone.")
            lines += _methods(out, cols, refined, s, method_names, f"Methods at {px}, K={k}",
                              f"{kind}_methods_{r['size']}px.png", intro)
            lines += _studies(out, kind, refined, cols, [k_study(f" at {px}")], f"_{r['size']}px")
    path = out / "benchmark.md"
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path
