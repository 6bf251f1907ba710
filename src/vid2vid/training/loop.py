"""The training loop: ``training_loop(run_dir, cfg)`` runs a whole ``RunConfig`` (options.py).

Per step: one sequence per sample; its length follows the progressive schedule (optionally flow-only steps on the
exact flows, then single frames, then 2, 4, 8, ...). For each frame t: generate x_t from the detached previous
generated frames (the shared ``unroll``), one discriminator update, then one generator update. TTUR Adam, EMA of
the generator, gradient accumulation, optional CUDA mixed precision, torchrun-ready. Checkpoints are atomic;
SIGINT/SIGTERM save before exiting.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import signal
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
import yaml
from tqdm import tqdm

from vid2vid import checkpoint as ckpt
from vid2vid import tasks
from vid2vid.data.batch import VideoBatch, collate_samples
from vid2vid.data.check import quick_check
from vid2vid.data.dataset import FewShotVideoDataset
from vid2vid.data.layout import read_meta
from vid2vid.errors import UserError
from vid2vid.files import folder_lock, write_text_atomic
from vid2vid.models.config import build_generator
from vid2vid.models.generator import pick
from vid2vid.models.multimodal import fit_styles, pool_by_class
from vid2vid.models.prediction import HISTORY
from vid2vid.models.unroll import unroll
from vid2vid.stopping import StopRequests
from vid2vid.training import distributed as dist
from vid2vid.training.flow_pretrain import flow_pretrain_step
from vid2vid.training.logger import RunLogger
from vid2vid.training.objective import Discriminators, FrameContext, Objective, weighted_sum
from vid2vid.training.options import RunConfig, ran_config, resolve_generator
from vid2vid.training.sampler import StepBatchSampler
from vid2vid.training.schedule import ema_decay, progression
from vid2vid.training.warm_start import freeze_all_but, init_generator

log = logging.getLogger(__name__)


def training_loop(run_dir: str | Path, cfg: RunConfig) -> Path | None:
    """Train the run ``cfg`` (every section validated by its dataclass) in ``run_dir``; return the last checkpoint's
    path (None on processes other than rank 0). Rank 0 holds the folder's lock meanwhile: a second process training the
    same folder stops with an error instead of writing checkpoints and logs over the first one's."""
    with folder_lock(run_dir, "training", enabled=int(os.environ.get("RANK", "0")) == 0):
        return _train(run_dir, cfg)


def _train(run_dir: str | Path, cfg: RunConfig) -> Path | None:
    o = cfg.train
    run_dir = Path(run_dir)
    device_ = dist.init(o.device)
    rank, world, main = dist.rank(), dist.world_size(), dist.is_main()
    torch.manual_seed(o.seed)

    # Everything that can be wrong with the config fails here, before any training.
    meta = read_meta(cfg.data.root)
    problems = quick_check(cfg.data.root, cfg.data.split)
    if problems:
        raise UserError(f"{problems[0]}" + (f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else "")
                        + f"; `vid2vid data check {cfg.data.root}` lists them all")
    gcfg = resolve_generator(cfg.model, meta.task, meta.semantic_channels)
    # validates seq_len against clips and K against domains; example correspondences only for example warping
    full = FewShotVideoDataset(cfg.data, correspondence=gcfg.example_warp, skip_bad=o.skip_bad_samples)
    if meta.height % gcfg.size_multiple or meta.width % gcfg.size_multiple:
        raise UserError(f"dataset {cfg.data.root} is {meta.width}x{meta.height}; this generator needs sizes that are "
                        f"multiples of {gcfg.size_multiple} (regenerate the data or lower num_downsamples)")
    coarse = 2 ** gcfg.enhancers  # coarse-to-fine training starts at 1/coarse of the frame
    if cfg.discriminator.smallest_map(meta.height // coarse, meta.width // coarse) < 4:
        raise UserError(f"{meta.width // coarse}x{meta.height // coarse} frames (the coarsest training scale) are too "
                        f"small for a {cfg.discriminator.layers}-layer, {cfg.discriminator.scales}-scale "
                        "discriminator; lower discriminator.layers or discriminator.scales")
    if cfg.data.unpaired_domains and gcfg.arch != "vid2vid":
        raise UserError("data.unpaired_domains (the unpaired branch) trains a single-person model: set model.arch "
                        "to vid2vid")
    if gcfg.face_refiner and not (meta.semantic == "skeleton" and "parts" in meta.extras):
        raise UserError(f"model.face_refiner finds the head in the pose task's part maps; {cfg.data.root} holds "
                        f"{meta.task} data")
    for option, on in (("multimodal_channels", gcfg.multimodal_channels), ("predictor", gcfg.predictor)):
        if on and meta.semantic != "labels":
            raise UserError(f"model.{option} needs label maps (the street task); {cfg.data.root} holds {meta.task} "
                            f"data ({meta.semantic} maps)")
    G = build_generator(gcfg).to(device_)
    face = tasks.get(meta.task).region_discriminator == "face-region"  # crops placed by COCO-18 head keypoints
    D = Discriminators(cfg.discriminator, cfg.loss, meta.semantic_channels, G.uses_examples, face).to(device_)
    objective = Objective(cfg.loss, D).to(device_)
    latest = ckpt.latest_checkpoint(run_dir) if o.resume else None
    if o.init_from and latest is None:  # a resumed run has its own weights
        init_generator(G, o.init_from, device_)
    if o.train_only:
        freeze_all_but(G, o.train_only)
    ema = copy.deepcopy(G).eval().requires_grad_(False)
    opt_g = torch.optim.Adam([p for p in G.parameters() if p.requires_grad], lr=o.lr_g, betas=(o.beta1, o.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=o.lr_d, betas=(o.beta1, o.beta2))
    use_amp = o.amp != "none" and device_.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and o.amp == "fp16")
    amp_dtype = torch.bfloat16 if o.amp == "bf16" else torch.float16

    step = 0
    seconds = 0.0  # training time of this run so far, over all its sessions (train.max_hours)
    if o.resume and latest is None and main:
        log.info(f"--resume: no checkpoint in {run_dir}, starting from scratch")
    if latest is not None:
        state = ckpt.load_checkpoint(latest, map_location=device_)
        G.load_state_dict(state["generator"])
        D.load_state_dict(state["discriminators"])
        ema.load_state_dict(state["ema"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        ckpt.set_rng_state(state["rng"])
        step = int(state["step"])
        seconds = float(state.get("train_seconds", 0.0))
    run_g = dist.replicate(G, device_)  # under torchrun: DistributedDataParallel (rank 0's weights broadcast)
    run_d = dist.replicate(objective, device_)
    dist.broadcast_module(ema)

    resolved = ran_config(cfg, gcfg)  # what runs, loadable as a run config
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomic(run_dir / "config.yaml", yaml.safe_dump(resolved, sort_keys=False))
    logger = RunLogger(run_dir, enabled=main, encoding=meta.semantic)

    def save() -> Path | None:
        if not main:
            return None
        state = {"generator": G.state_dict(), "discriminators": D.state_dict(), "ema": ema.state_dict(),
                 "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "step": step, "train_seconds": seconds,
                 "rng": ckpt.rng_state(), "config": resolved, "generator_config": asdict(gcfg), "dataset": asdict(meta)}
        return ckpt.save_checkpoint(run_dir, step, state, keep=o.keep_checkpoints)

    stop = StopRequests("training")  # Ctrl-C / SIGTERM: checkpoint after the current step; Ctrl-C twice: at once
    stop.__enter__()

    def phase(s: int) -> tuple[int, int]:  # (sequence length, enhancers in use) at step s; T = 0: flow pre-training
        if s < o.flow_pretrain_steps:
            return 0, gcfg.enhancers  # the flow network runs at full size from the start
        return progression(s - o.flow_pretrain_steps, o.single_frame_steps, o.double_every, cfg.data.seq_len,
                           gcfg.enhancers)

    start_step = step
    failure = ""  # a data file that could not be read mid-run
    skipped = 0  # unreadable samples skipped this session (train.skip_bad_samples)
    bar = tqdm(total=o.max_steps, initial=step, desc="train", unit="step", disable=not (o.progress and main))
    last_path = None
    budget = o.max_hours * 3600.0 or float("inf")
    if seconds >= budget and main:
        log.info(f"the run has trained {seconds / 3600:.2f} h, train.max_hours is {o.max_hours}: nothing to do")
    try:
        while step < o.max_steps and seconds < budget and stop.signal is None:
            T, active = phase(step)
            phase_end = step + 1
            while phase_end < o.max_steps and phase(phase_end) == (T, active):
                phase_end += 1
            pretrain = T == 0
            G.active_enhancers = ema.active_enhancers = active
            factor = 2 ** (gcfg.enhancers - active)  # the batch's downsampling at this coarse-to-fine stage
            T = 2 if pretrain else T  # the flow stage warps real frame 0 into frame 1
            dataset = full if T == cfg.data.seq_len else FewShotVideoDataset(replace(cfg.data, seq_len=T),
                                                                              correspondence=gcfg.example_warp,
                                                                              skip_bad=o.skip_bad_samples)
            unpaired_data = None
            if cfg.data.unpaired_domains and not pretrain:
                unpaired_data = FewShotVideoDataset(replace(
                    cfg.data, seq_len=T, skip_domains=cfg.data.skip_domains + cfg.data.max_domains,
                    max_domains=cfg.data.unpaired_domains, max_clips=0, unpaired_domains=0), correspondence=False)
            sampler = StepBatchSampler(len(dataset), o.batch_size, o.accum_steps, step, phase_end, o.seed, rank, world)
            loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler, num_workers=o.workers,
                                                 collate_fn=collate_samples, persistent_workers=False,
                                                 worker_init_fn=_ignore_stop_signals)
            batches = iter(loader)
            while step < phase_end and seconds < budget and stop.signal is None:
                t0 = time.perf_counter()
                try:
                    micro = [next(batches).to(device_).downsampled(factor) for _ in range(o.accum_steps)]
                except UserError as err:  # a file that broke past the quick check (a worker re-raises it)
                    failure = _one_line(err)
                    break
                except RuntimeError:  # a worker the same group signal reached before it could ignore it
                    if stop.signal is None:
                        raise
                    break
                skipped += int(sum(int(b.skipped.sum()) for b in micro))
                unpaired = None
                if unpaired_data is not None:  # another person's sequence, drawn as a pure function of the step
                    pick_rng = np.random.default_rng([o.seed, 13, step])
                    unpaired = collate_samples([unpaired_data[int(i)] for i in pick_rng.integers(
                        len(unpaired_data), size=o.batch_size)]).to(device_).downsampled(factor)
                if o.random_k and G.uses_examples and cfg.data.num_examples > 1:
                    k = 1 + int(np.random.default_rng([o.seed, 11, step]).integers(cfg.data.num_examples))
                    micro = [b.with_examples(k) for b in micro]
                if pretrain:
                    logs = flow_pretrain_step(run_g, opt_g, micro, cfg.loss)
                else:
                    logs = train_step(G, run_g, objective, run_d, opt_g, opt_d, micro, cfg.loss, scaler, use_amp,
                                      amp_dtype, logger if (o.image_every and step % o.image_every == 0) else None,
                                      step, unpaired)
                # The average starts with the GAN stage: flow-only steps leave the rest of G at its random start,
                # which a 0.999 average would keep for a thousand steps (measured: EMA EPE 9.96 vs 4.76 raw).
                decay = 0.0 if pretrain else ema_decay(step - o.flow_pretrain_steps, o.ema_beta)
                with torch.no_grad():
                    for p_ema, p in zip(ema.parameters(), G.parameters()):
                        p_ema.lerp_(p, 1.0 - decay)
                    for b_ema, b in zip(ema.buffers(), G.buffers()):
                        b_ema.copy_(b)
                step += 1
                seconds += time.perf_counter() - t0
                if o.max_hours:  # ranks stop at the same step
                    seconds = dist.agreed_max(seconds, device_)
                if step % o.log_every == 0 or step == o.max_steps:
                    logs["train/seq_len"] = 0.0 if pretrain else float(T)
                    if gcfg.enhancers:
                        logs["train/enhancers"] = float(active)
                    logs["train/sec_per_step"] = time.perf_counter() - t0
                    if skipped:
                        logs["train/skipped_samples"] = float(skipped)
                    logger.scalars(step, logs)
                post = {"T": T, "G": f"{logs['G/total']:.3f}", "D": f"{logs['D/total']:.3f}"}
                if o.max_hours:  # the step total is not what ends this run
                    post["hours"] = f"{seconds / 3600:.2f}/{o.max_hours:g}"
                bar.set_postfix(post)
                bar.update(1)
                # Flow-only steps are ~10x cheaper than GAN steps: checkpoint them 20x less often, and at their end.
                every = o.checkpoint_every * (20 if pretrain else 1)
                if (step % every == 0 or step == o.flow_pretrain_steps) and step < o.max_steps:
                    last_path = save()
            del batches, loader  # stops the workers (they ignore SIGTERM: an orphaned one would hang the exit)
            if failure:
                last_path = save()
                saved = f", saved {last_path}: continue with --resume once it is fixed" if last_path else ""
                raise UserError(f"{failure}; stopped at step {step}{saved}")
        G.active_enhancers = ema.active_enhancers = gcfg.enhancers
        spent = seconds >= budget
        if spent and step > start_step and main:
            log.info(f"train.max_hours ({o.max_hours}) reached at step {step}: finished")
        if G.styles is not None and (step >= o.max_steps or spent) and step > start_step and main:
            fit_styles([ema, G], _style_batches(full, device_))  # multimodal: the per-class feature mixtures
        # A finished run given again (e.g. the benchmark re-run) keeps its checkpoint instead of rewriting it.
        last_path = save() if latest is None or step > start_step else latest
        if world > 1:  # every process ends with the same weights (tests/test_training.py reads these lines)
            log.info(f"rank {rank}: weights sha256 {weights_digest(G, D, ema)}")
        if skipped and main:
            log.warning(f"skipped {skipped} unreadable training sample(s) (train.skip_bad_samples); run "
                        f"`vid2vid data check {cfg.data.root}` to find and fix them")
        if stop.signal is not None and main:
            log.warning(f"stopped by signal {stop.signal} at step {step}; saved {last_path}; continue with --resume")
    finally:
        bar.close()
        logger.close()
        stop.__exit__(None, None, None)
        dist.barrier()
    return last_path


def _style_batches(dataset: FewShotVideoDataset, device: torch.device, samples: int = 64):
    """(images, labels) of up to ``samples`` training sequences spread over the dataset, one sequence at a time."""
    for i in np.linspace(0, len(dataset) - 1, min(samples, len(dataset))).astype(int):
        sample = dataset[int(i)]
        yield sample.images.to(device), sample.semantics.to(device)


def weights_digest(*modules: torch.nn.Module) -> str:
    """SHA-256 of the modules' parameters, bit for bit. (Buffers such as batch-norm running statistics are updated by
    each process's own forward; DistributedDataParallel copies rank 0's before every forward, and rank 0 saves.)"""
    h = hashlib.sha256()
    for m in modules:
        for name, t in m.named_parameters():
            h.update(name.encode())
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _one_line(err: Exception) -> str:
    """A UserError's own message, also when a DataLoader worker wrapped it with its traceback."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return last.split("UserError: ", 1)[-1]


def _ignore_stop_signals(_worker: int) -> None:
    """DataLoader workers leave Ctrl-C / SIGTERM to the main process, which saves a checkpoint and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


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
    if G.uses_examples:  # the example the generator warped (attention's choice) is the one D and the losses see
        index = out.example_index if out.example_index is not None else torch.zeros_like(b.domain)
        example = pick(b.example_images, index)
        if b.example_flow.shape[2] == b.example_images.shape[1]:
            example_flow, example_valid = pick(b.example_flow[:, t], index), pick(b.example_valid[:, t], index)
            if out.fill_index is not None:  # the second example's correspondence teaches the filling flow and mask
                fill = out.fill_index
                fill_flow, fill_valid = pick(b.example_flow[:, t], fill), pick(b.example_valid[:, t], fill)
                fill_example = pick(b.example_images, fill)
    ctx = FrameContext(
        semantic=b.semantics[:, t], real=b.images[:, t], prev_real=b.images[:, t - 1] if t > 0 else None,
        teacher_flow=b.flow[:, t] if has_flow else None, example=example,
        keypoints=b.keypoints[:, t] if objective.d.face is not None else None,
        example_flow=example_flow, example_valid=example_valid, fill_flow=fill_flow, fill_valid=fill_valid,
        fill_example=fill_example)
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
