"""Training on several processes with PyTorch's own engine, when launched by torchrun.

    torchrun --nproc-per-node 2 -m latentkit train --epochs 10

torchrun starts one process per rank and sets RANK, WORLD_SIZE and LOCAL_RANK; the trainer
then joins a process group (gloo on CPU, NCCL on CUDA), wraps G and D in
DistributedDataParallel and takes its share of every step's global batch. Launched any
other way, every function here is the single-process no-op.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.distributed as dist


def launched() -> bool:
    """Whether this process is one of several that torchrun started."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def local_device(device: torch.device) -> torch.device:
    """This rank's GPU (LOCAL_RANK) when training on CUDA, else `device`."""
    if device.type != "cuda" or not launched():
        return device
    local = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    torch.cuda.set_device(local)
    return local


@contextmanager
def process_group(device: torch.device) -> Iterator[None]:
    """Join torchrun's process group for the block (NCCL for CUDA, gloo otherwise), then leave
    it; outside torchrun, or when a group already exists, does nothing."""
    if not launched() or dist.is_initialized():
        yield
        return
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        yield
    finally:
        dist.destroy_process_group()


def wrap(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """`module` in DistributedDataParallel when there are several ranks (it averages gradients
    across them in the backward pass and starts every rank from rank 0's weights), else itself."""
    if world_size() == 1:
        return module
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None)


def mean_and_any(values: torch.Tensor, flags: list[bool]) -> tuple[list[float], list[bool]]:
    """Every rank's `values` averaged, and each flag true if it is on any rank, in one all-reduce,
    so that every rank takes the same decision (stop, checkpoint) at the same step."""
    packed = torch.cat([values.detach().float().flatten().cpu(), torch.tensor(flags, dtype=torch.float32)])
    if world_size() > 1:
        if dist.get_backend() == "nccl":  # NCCL reduces tensors on this rank's GPU only
            packed = packed.cuda()
        dist.all_reduce(packed)
        packed[:values.numel()] /= world_size()
    out = packed.tolist()
    return out[:values.numel()], [v > 0 for v in out[values.numel():]]


def any_rank(flag: bool) -> bool:
    """Whether `flag` is true on any rank (all ranks must call it)."""
    return mean_and_any(torch.zeros(0), [flag])[1][0]


def gather(obj: Any) -> list[Any]:
    """[obj of rank 0, obj of rank 1, ...] on every rank ([obj] alone without torchrun)."""
    if world_size() == 1:
        return [obj]
    found: list[Any] = [None] * world_size()
    dist.all_gather_object(found, obj)
    return found


def barrier() -> None:
    if world_size() > 1:
        dist.barrier()
