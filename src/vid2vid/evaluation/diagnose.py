"""`vid2vid eval diagnose`: does a few-shot model warp its examples, paste ghosts, or let the background drift?

On the held-out domains of a dataset with subject masks (people, faces), with K examples from *another* clip of the
same domain (as in evaluation and the demo), every test clip is generated frame by frame and measured:

- ``example_flow_epe``: end-point error (pixels) of the predicted example flow against the exact correspondence, on
  the target's subject pixels where the correspondence is valid (``zero_flow_epe``: the same for a zero flow).
- ``ghost_ratio``: mean |output - real| on ghost pixels (an example's subject is there, the target's is not) over the
  same on the other background pixels; 1.0 = no ghost. Pooled over all frames; per-frame range beside it.
- ``placebo_ratio``: the same ratio for the body masks of a clip of *another* held-out domain at the same frames (a
  body the model never saw): where bodies tend to be, the background is harder anyway, so this is the ghost ratio's
  floor for that model; ``ghost_excess`` = ghost_ratio / placebo_ratio is what the examples add (1.0 = no copying).
- ``ghost_l1_shown`` / ``ghost_l1_hidden``: the ghost pixels split by whether some example shows the background there
  (another example's subject is elsewhere: copying it is possible) or every example's subject hides it (nothing in
  the input shows that background: the generator can only guess it); ``ghost_hidden_share`` is the hidden part's
  share of the ghost pixels and ``ghost_ratio_shown`` the ratio on the shown part alone (with K = 1 all are hidden).
  Measured on the `cpu` benchmark's dancers (K = 2, raw weights): few-shot recipe 4 1.41 / 1.25 (excess 1.12),
  AdaIN 1.40 / 1.12 (1.25), Encoder 1.42 / 1.17 (1.21).
- ``example_share_in_ghost``: how much of the warped example the output holds on ghost pixels (``1 - m_e``; with
  example_fill ``1 - m_e m_f``, both examples; in blend mode times ``m_t`` when a previous frame exists); None when
  the frame is the decoder output (spade). At K >= 2 the ghost pixels include the unwarped examples' bodies, where
  the warped example shows background and copying it is right: read it with the ghost L1 beside it.
- ``prev_mask_mean``: mean of the previous-frame mask m_t (weight of the hallucinated image), frames 1..T-1.
- ``background_drift``: L1 on background pixels at the last frame over the same at frame 1, minus 1 (+0.66 =
  66 % worse by the end of the clip).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vid2vid.data.layout import frame_name, read_png
from vid2vid.errors import UserError
from vid2vid.evaluation.evaluate import check_compatible, example_frames, test_split, unroll_clip
from vid2vid.inference.pipeline import Pipeline


def _masks(ds, clip: int, frames: list[int]) -> torch.Tensor:
    """(N, H, W) bool subject masks of frames of a clip."""
    path = ds.clips[clip].path / "mask"
    return torch.stack([torch.from_numpy(read_png(path / frame_name(f), 1)[:, :, 0] > 127) for f in frames])


@torch.no_grad()
def diagnose(pipe: Pipeline, root: str | Path, k: int = 2, max_clips: int = 8, max_frames: int = 32) -> dict:
    """The measures of the module docstring for ``pipe``'s generator on the test split of ``root``."""
    ds = test_split(root)
    if "mask" not in ds.meta.extras:
        raise UserError(f"{root}: diagnose needs subject masks (mask/ folders, as people and faces have); this "
                        f"{ds.meta.kind} dataset has none")
    check_compatible(pipe, ds)
    if not pipe.uses_examples:
        raise UserError(f"{pipe.source}: diagnose measures example warping; this {pipe.gcfg.arch} model takes no "
                        f"examples")
    warps = pipe.gcfg.example_warp
    epe = zero_epe = n_epe = 0.0
    ghost_err, ghost_n, other_err, other_n, share, share_n = 0.0, 0, 0.0, 0, 0.0, 0
    hidden_err, hidden_n = 0.0, 0
    placebo_err, placebo_n, placebo_other_err, placebo_other_n = 0.0, 0, 0.0, 0
    frame_ratios, prev_masks, bg_l1 = [], [], []
    for clip in range(len(ds.clips))[:max_clips]:
        count = min(ds.clips[clip].frames, max_frames)
        refs = example_frames(ds, clip, k)
        outs, real, _, _ = unroll_clip(pipe, ds, clip, k, count)
        body = _masks(ds, clip, list(range(count)))
        example_bodies = torch.stack([_masks(ds, c, [f])[0] for c, f in refs])
        example_body, hides_all = example_bodies.any(0), example_bodies.all(0)
        strangers = [i for i, c in enumerate(ds.clips) if c.domain != ds.clips[clip].domain]
        placebo_body = None
        if strangers:  # bodies of another held-out person at the examples' frames, never shown to the model
            stranger = strangers[clip % len(strangers)]
            placebo_body = torch.stack([_masks(ds, stranger, [min(f, ds.clips[stranger].frames - 1)])[0]
                                        for _, f in refs]).any(0)
        clip_bg = []
        for t, out in enumerate(outs):
            fake = out.image[0].float().cpu().clamp(-1, 1)
            err = (fake - real[t]).abs().mean(0)
            ghost = example_body & ~body[t]
            other = ~example_body & ~body[t]
            background = ~body[t]
            clip_bg.append(float(err[background].mean()))
            if ghost.any() and other.any():
                ghost_err, ghost_n = ghost_err + float(err[ghost].sum()), ghost_n + int(ghost.sum())
                other_err, other_n = other_err + float(err[other].sum()), other_n + int(other.sum())
                hidden = ghost & hides_all
                hidden_err, hidden_n = hidden_err + float(err[hidden].sum()), hidden_n + int(hidden.sum())
                frame_ratios.append(float(err[ghost].mean() / err[other].mean().clamp_min(1e-6)))
            if placebo_body is not None:
                placebo, placebo_other = placebo_body & ~body[t], ~placebo_body & ~body[t]
                if placebo.any() and placebo_other.any():
                    placebo_err, placebo_n = placebo_err + float(err[placebo].sum()), placebo_n + int(placebo.sum())
                    placebo_other_err += float(err[placebo_other].sum())
                    placebo_other_n += int(placebo_other.sum())
            if out.mask is not None:
                prev_masks.append(float(out.mask.float().mean()))
            if not warps:
                continue
            index = int(out.example_index[0]) if out.example_index is not None else 0
            flow, valid = ds.load_correspondence(clip, t, *refs[index])
            on = (valid[0] > 0) & body[t]
            if on.any():
                pred = out.example_flow[0].float().cpu()
                epe += float((pred - flow).norm(dim=0)[on].sum())
                zero_epe += float(flow.norm(dim=0)[on].sum())
                n_epe += int(on.sum())
            if pipe.gcfg.compose != "spade" and ghost.any():
                hallucinate = out.example_mask[0, 0].float().cpu()
                if out.fill_mask is not None:  # example_fill: h_t only where neither example shows the frame
                    hallucinate = hallucinate * out.fill_mask[0, 0].float().cpu()
                kept = 1 - hallucinate
                if out.mask is not None and pipe.gcfg.compose == "blend":
                    kept = kept * out.mask[0, 0].float().cpu()
                share, share_n = share + float(kept[ghost].sum()), share_n + int(ghost.sum())
        bg_l1.append(clip_bg)
    length = min(len(c) for c in bg_l1)
    per_frame_bg = np.mean([c[:length] for c in bg_l1], axis=0)
    result = {
        "example_flow_epe": epe / n_epe if n_epe else None,
        "zero_flow_epe": zero_epe / n_epe if n_epe else None,
        "ghost_ratio": (ghost_err / ghost_n) / max(other_err / other_n, 1e-6) if ghost_n and other_n else None,
        "placebo_ratio": ((placebo_err / placebo_n) / max(placebo_other_err / placebo_other_n, 1e-6)
                          if placebo_n and placebo_other_n else None),
        "ghost_ratio_per_frame": [min(frame_ratios), max(frame_ratios)] if frame_ratios else None,
        "ghost_l1": ghost_err / ghost_n if ghost_n else None,  # the ratio's two sides, [-1, 1] units
        "ghost_l1_shown": (ghost_err - hidden_err) / (ghost_n - hidden_n) if ghost_n > hidden_n else None,
        "ghost_l1_hidden": hidden_err / hidden_n if hidden_n else None,
        "ghost_hidden_share": hidden_n / ghost_n if ghost_n else None,
        "other_background_l1": other_err / other_n if other_n else None,
        "example_share_in_ghost": share / share_n if share_n else None,
        "prev_mask_mean": float(np.mean(prev_masks)) if prev_masks else None,
        "background_drift": float(per_frame_bg[-1] / per_frame_bg[1] - 1) if length > 2 else None,
        "background_l1_first_last": [float(per_frame_bg[1]), float(per_frame_bg[-1])] if length > 2 else None,
        "k": k, "clips": len(bg_l1), "frames": length, "compose": pipe.gcfg.compose,
    }
    if result["ghost_l1_shown"] is not None and other_n:
        result["ghost_ratio_shown"] = result["ghost_l1_shown"] / max(other_err / other_n, 1e-6)
    if result["ghost_ratio"] is not None and result["placebo_ratio"]:
        result["ghost_excess"] = result["ghost_ratio"] / result["placebo_ratio"]
    return result
