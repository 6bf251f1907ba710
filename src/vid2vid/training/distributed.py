"""Distributed set-up that works the same under plain `python` and under `torchrun` (gloo on CPU, nccl on CUDA)."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

from vid2vid.devices import pick_device


def init(device: str = "auto") -> torch.device:
    """Join the process group when launched by torchrun; return this process's device (see ``devices.pick_device``)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = pick_device(device, local_rank)
    if dev.type == "cuda":
        torch.cuda.set_device(local_rank)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return dev


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main() -> bool:
    return rank() == 0


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def average_gradients(module: torch.nn.Module) -> None:
    """All-reduce and average the gradients of ``module`` across processes (no-op single-process)."""
    if not dist.is_initialized():
        return
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world_size()
    offset = 0
    for g in grads:
        g.copy_(flat[offset: offset + g.numel()].view_as(g))
        offset += g.numel()


def broadcast_module(module: torch.nn.Module) -> None:
    """Copy rank 0's parameters and buffers to every process."""
    if not dist.is_initialized():
        return
    for t in list(module.parameters()) + list(module.buffers()):
        dist.broadcast(t.data, src=0)


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
