"""A short stage before adversarial training that fits only the flow/mask network W/M to the exact flows.

On real frames: the previous real frame's flow into the current one (teacher flow), and each sample's first example's
flow into the current frame (the exact correspondence), with their warp L1 and the example mask towards 1 - validity
(and, when ``loss.layout`` weighs it, the example's semantic map warped onto the frame's).
No discriminator, no VGG and no synthesis network run, so a step costs a small fraction of a GAN step; the GAN stage
then starts from warps that already land the example on the target body instead of teaching W from scratch through
the image losses.
"""

from __future__ import annotations

import torch

from vid2vid.data.batch import VideoBatch
from vid2vid.losses import flow as flow_losses
from vid2vid.models.outputs import pad_history
from vid2vid.training.objective import LossWeights, weighted_sum


def flow_terms(G: torch.nn.Module, b: VideoBatch, weights: LossWeights) -> dict[str, torch.Tensor]:
    """Flow/warp/mask terms of W on frame 1 of a 2-frame batch, with the real frame 0 as history (the layout term
    only when ``weights`` weigh it)."""
    n = G.cfg.num_prev_frames
    semantic, real, prev_real = b.semantics[:, 1], b.images[:, 1], b.images[:, 0]
    example = example_semantic = None
    if G.cfg.example_warp:
        example, example_semantic = b.example_images[:, 0], b.example_semantics[:, 0]
    out = G.flow(semantic, pad_history(b.semantics[:, :1], n), pad_history(b.images[:, :1], n), example_semantic,
                 example)
    terms = {}
    if bool(b.flow_valid[:, 1].all()):
        conf = flow_losses.teacher_confidence(prev_real, real, b.flow[:, 1])
        terms["G/flow"] = flow_losses.flow_l1(out.flow, b.flow[:, 1], conf)
        terms["G/warp"] = flow_losses.warp_l1(prev_real, real, out.flow, conf)
    if example is not None and b.example_flow.shape[2] > 0:
        valid = b.example_valid[:, 1, 0]
        terms["G/flow.example"] = flow_losses.flow_l1(out.example_flow, b.example_flow[:, 1, 0], valid)
        terms["G/warp.example"] = flow_losses.warp_l1(example, real, out.example_flow, valid)
        terms["G/mask.example"] = flow_losses.mask_l1(out.example_mask, valid)
        if weights.layout > 0:
            terms["G/layout.example"] = flow_losses.layout_l1(example_semantic, semantic, out.example_flow)
    return terms


def flow_pretrain_step(run_g: torch.nn.Module, opt_g: torch.optim.Optimizer, micro: list[VideoBatch],
                       weights: LossWeights) -> dict[str, float]:
    """One optimiser step of W/M over the micro-batches (one forward-backward pair through ``run_g``, the replicated
    generator); returns the mean terms (as the training loop logs them)."""
    opt_g.zero_grad(set_to_none=True)
    sums: dict[str, float] = {}

    def forward(g: torch.nn.Module):  # zero: keeps every process's all-reduce in step when nothing is fitted
        return [flow_terms(g, b, weights) for b in micro], sum(p.sum() for p in g.flow.parameters()) * 0.0

    per_batch, loss = run_g(forward)
    for terms in per_batch:
        if not terms:
            continue
        total = weighted_sum(terms, weights)
        loss = loss + total / len(micro)
        for k, v in {**terms, "G/total": total}.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach()) / len(micro)
    loss.backward()
    opt_g.step()
    sums.setdefault("G/total", 0.0)
    sums["D/total"] = 0.0
    return sums
