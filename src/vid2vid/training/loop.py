"""The training loop: ``training_loop(run_dir, cfg)`` runs a whole ``RunConfig`` (options.py).

Per step: one sequence per sample; its length follows the progressive schedule (optionally flow-only steps on the
exact flows, then single frames, then 2, 4, 8, ...), each step one ``train_step`` (step.py: per frame a
discriminator update, then a generator update). TTUR Adam, EMA of the generator, gradient accumulation, optional
CUDA mixed precision, torchrun-ready. Checkpoints are atomic; SIGINT/SIGTERM save before exiting.
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
from vid2vid.data.batch import collate_samples
from vid2vid.data.check import quick_check
from vid2vid.data.dataset import FewShotVideoDataset
from vid2vid.data.layout import read_meta
from vid2vid.errors import UserError
from vid2vid.files import folder_lock, write_text_atomic
from vid2vid.models.config import build_generator
from vid2vid.models.multimodal import fit_styles
from vid2vid.stopping import StopRequests
from vid2vid.training import distributed as dist
from vid2vid.training.flow_pretrain import flow_pretrain_step
from vid2vid.training.logger import RunLogger
from vid2vid.training.objective import Discriminators, Objective
from vid2vid.training.options import RunConfig, ran_config, resolve_generator
from vid2vid.training.sampler import StepBatchSampler
from vid2vid.training.schedule import ema_decay, progression
from vid2vid.training.step import train_step
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
        init_generator(G, o.init_from)
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
        start = f"starting from the generator of {o.init_from}" if o.init_from else "starting from scratch"
        log.info(f"--resume: no checkpoint in {run_dir}, {start}")
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
        return ckpt.save_checkpoint(run_dir, step, state, keep=o.keep_checkpoints, keep_every=o.keep_every)

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
                    err.__traceback__ = None  # its frames hold the loader: torch 2.11 then never stops the worker
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
