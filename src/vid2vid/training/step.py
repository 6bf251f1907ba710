"""One training step over a batch of sequences: for each frame t, generate x_t from the detached previous generated
frames (the shared ``unroll``), then one discriminator update and one generator update (``train_step``).
``generate_frame`` builds x_t and the loss context around it (the example the generator warped, its exact
correspondence, the temporal discriminator's windows).
"""

from __future__ import annotations

import torch

from vid2vid.data.batch import VideoBatch
from vid2vid.models.generator import pick
from vid2vid.models.multimodal import pool_by_class
from vid2vid.models.prediction import HISTORY
from vid2vid.models.unroll import unroll
from vid2vid.training.logger import RunLogger
from vid2vid.training.objective import FrameContext, Objective, weighted_sum


def train_step(G, run_g, objective: Objective, run_d, opt_g, opt_d, micro: list[VideoBatch], weights, scaler,
               use_amp: bool, amp_dtype: torch.dtype, logger: RunLogger | None, step: int,
               unpaired: VideoBatch | None = None) -> dict[str, float]:
    """One step over a sequence: for each frame, a D update then a G update. Returns mean loss terms.

    ``run_g`` / ``run_d`` are the replicated generator and objective (``distributed.replicate``): each update is one
    forward-backward pair through them covering every micro-batch, so under several processes the gradients are
    averaged while backward runs. The generator loss reads the discriminators directly (frozen)."""
    T = micro[0].semantics.shape[1]
    accum = len(micro)
    history: list[list[torch.Tensor]] = [[] for _ in micro]  # generated frames (detached), per micro-batch
    unpaired_history: list[torch.Tensor] = []  # the unpaired branch's generated frames (detached)
    sums: dict[str, float] = {}
    dev_type = micro[0].images.device.type
    amp = (scaler, use_amp, amp_dtype, dev_type)

    def add(terms: dict[str, torch.Tensor], total: torch.Tensor, name: str) -> None:
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach()) / (T * accum)
        sums[name] = sums.get(name, 0.0) + float(total.detach()) / (T * accum)

    for t in range(T):
        with torch.autocast(dev_type, dtype=amp_dtype, enabled=use_amp):
            outs = run_g(lambda g: [generate_frame(g, b, t, history[i], objective) for i, b in enumerate(micro)])
        _d_then_g(objective, run_d, opt_d, opt_g, amp, weights, add,
                  lambda obj: [obj.d_terms(out, ctx) for out, ctx in outs],
                  lambda: [objective.g_terms(out, ctx) for out, ctx in outs], accum)
        for i, (out, _) in enumerate(outs):
            history[i].append(out.image.detach().float())
        if unpaired is not None:  # performance cloning: another person's pose, adversarial terms only
            with torch.autocast(dev_type, dtype=amp_dtype, enabled=use_amp):
                out, ctx = run_g(lambda g: generate_frame(g, unpaired, t, unpaired_history, objective))
            _d_then_g(objective, run_d, opt_d, opt_g, amp, weights, add,
                      lambda obj: [obj.unpaired_d_terms(out, ctx, outs[0][1])],
                      lambda: [objective.unpaired_g_terms(out, ctx)])
            unpaired_history.append(out.image.detach().float())
        if not all(torch.isfinite(torch.tensor(v)) for v in sums.values()):
            raise FloatingPointError(f"non-finite loss at step {step}, frame {t}: {sums}")
        if logger is not None and t == T - 1:
            b, (out, _) = micro[0], outs[0]
            ex = b.example_images if G.uses_examples else None
            logger.frame_grid(step, ex, b.semantics[:, t], b.images[:, t], out)
    return sums


def _d_then_g(objective: Objective, run_d, opt_d, opt_g, amp: tuple, weights, add, d_terms, g_terms,
              accum: int = 1) -> None:
    """One D update from ``d_terms(objective)`` (term dicts, one per micro-batch; through the replicated objective),
    then one G update from ``g_terms()`` with D frozen; each sum of totals divided by ``accum``. D is trainable
    again afterwards."""
    scaler, use_amp, amp_dtype, dev_type = amp

    def update(opt, terms_of, name: str) -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast(dev_type, dtype=amp_dtype, enabled=use_amp):
            terms = terms_of()
            totals = [weighted_sum(t, weights) for t in terms]
        scaler.scale(sum(totals) / accum).backward()
        for t, total in zip(terms, totals):
            add(t, total, name)
        scaler.step(opt)

    objective.d.requires_grad_(True)
    update(opt_d, lambda: run_d(d_terms), "D/total")
    objective.d.requires_grad_(False)
    update(opt_g, g_terms, "G/total")
    scaler.update()
    objective.d.requires_grad_(True)


def generate_frame(G, b: VideoBatch, t: int, generated: list[torch.Tensor], objective: Objective):
    """x_t of micro-batch ``b`` from its detached generated history, and the loss context around it."""
    n = G.cfg.num_prev_frames
    prev_frames = prev_semantics = None
    if generated:
        prev_frames = torch.stack(generated[-n:], dim=1)
        prev_semantics = b.semantics[:, max(0, t - len(generated[-n:])):t]
    examples = (b.example_images, b.example_semantics) if G.uses_examples else (None, None)
    code = None
    if G.style_encoder is not None:  # multimodal: the real frame's per-class features (the encoder learns through H)
        code = G.encode_examples()
        code.class_features = pool_by_class(G.style_encoder(b.images[:, t]), b.semantics[:, t])
    out = unroll(G, b.semantics[:, t:t + 1], *examples, prev_frames=prev_frames, prev_semantics=prev_semantics,
                 code=code)[0]
    has_flow = t > 0 and bool(b.flow_valid[:, t].all())
    example = example_flow = example_valid = fill_flow = fill_valid = fill_example = None
    example_semantic = fill_semantic = None
    if G.uses_examples:  # the example the generator warped (attention's choice) is the one D and the losses see
        index = out.example_index if out.example_index is not None else torch.zeros_like(b.domain)
        example, example_semantic = pick(b.example_images, index), pick(b.example_semantics, index)
        if b.example_flow.shape[2] == b.example_images.shape[1]:
            example_flow, example_valid = pick(b.example_flow[:, t], index), pick(b.example_valid[:, t], index)
            if out.fill_index is not None:  # the second example's correspondence teaches the filling flow and mask
                fill = out.fill_index
                fill_flow, fill_valid = pick(b.example_flow[:, t], fill), pick(b.example_valid[:, t], fill)
                fill_example, fill_semantic = pick(b.example_images, fill), pick(b.example_semantics, fill)
    ctx = FrameContext(
        semantic=b.semantics[:, t], real=b.images[:, t], prev_real=b.images[:, t - 1] if t > 0 else None,
        teacher_flow=b.flow[:, t] if has_flow else None, example=example,
        keypoints=b.keypoints[:, t] if objective.d.face is not None else None,
        example_flow=example_flow, example_valid=example_valid, fill_flow=fill_flow, fill_valid=fill_valid,
        fill_example=fill_example, example_semantic=example_semantic, fill_semantic=fill_semantic)
    if G.predictor is not None and t > 0:  # future prediction: frame t's labels from the real ones before it
        ctx.predicted = G.predictor(b.semantics[:, max(0, t - HISTORY):t])[0]
    temporal = objective.d.temporal
    if temporal is not None:
        windows = temporal.windows(t + 1)
        if windows:
            scale, idx = windows[(t + len(generated)) % len(windows)]
            frames_so_far = generated + [out.image]
            ctx.fake_window = torch.stack([frames_so_far[i] for i in idx], dim=1)
            ctx.real_window = b.images[:, idx]
            ctx.flow_window = b.flow[:, idx[1:]]
            ctx.temporal_scale = scale
    return out, ctx
