"""Distributed set-up that works the same under plain `python` and under `torchrun` (gloo on CPU, nccl on CUDA):
the process group, and ``replicate``, which puts a network under DistributedDataParallel."""

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


def agreed_max(value: float, device: torch.device) -> float:
    """The largest of every process's ``value`` (the value itself in one process), so all ranks take one decision;
    ``device`` is this process's (nccl reduces only CUDA tensors)."""
    if not dist.is_initialized():
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return float(t.item())


class Replicated(torch.nn.Module):
    """Runs ``fn(module, *args)`` as its forward, so every use of the wrapped network, whichever of its methods it
    calls, goes through DistributedDataParallel's forward (which arms the gradient all-reduce of the next backward)."""

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, fn, *args, **kwargs):
        return fn(self.module, *args, **kwargs)


def replicate(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``module`` ready for one forward-backward pair per optimiser step: ``run(fn, ...)`` calls ``fn(module, ...)``.

    Several processes: a ``DistributedDataParallel`` (rank 0's weights and buffers broadcast at construction and
    buffers before each forward; gradients averaged bucket by bucket while backward runs). Parameters a step does not
    use (the flow network on a first frame, the face discriminator without keypoints) are allowed. One process: the
    same call convention, nothing else."""
    wrapped = Replicated(module)
    if not dist.is_initialized():
        return wrapped
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(wrapped, device_ids=[device.index] if device.type == "cuda" else None,
                                   find_unused_parameters=True)


def broadcast_module(module: torch.nn.Module) -> None:
    """Copy rank 0's parameters and buffers to every process."""
    if not dist.is_initialized():
        return
    for t in list(module.parameters()) + list(module.buffers()):
        dist.broadcast(t.data, src=0)


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
