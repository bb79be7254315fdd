"""Beyond one device: data parallelism over input functions with torch.distributed.

Every rank (one process; on GPUs, one GPU each) holds a full copy of the model and takes its own
share of the M input functions of a step, M / W of them for W ranks (:func:`shard_functions`). It runs the
usual :class:`~sciml_teach.training.TrainStep` -- ZCS or any derivative strategy, autocast and
the GradScaler exactly as on one device -- on a model wrapped in PyTorch's
``DistributedDataParallel`` (:func:`wrap_ddp`). During backward, DDP all-reduces the gradients in
buckets and divides them by W, so every rank steps with the gradient of the mean loss over all M
functions: the same gradient one process computes from all M (the loss is a mean over functions
and every rank has the same number of them), and the replicas stay identical.

What is sent between ranks is one gradient per parameter per step, whatever M, N or the derivative
strategy: ``parameters x bytes per element`` (:func:`allreduce_bytes`). DDP communication hooks
change those bytes (:func:`compression_hook`): PyTorch's ``fp16_compress_hook`` and
``bf16_compress_hook`` cast each bucket to 16 bits before the all-reduce and back after, halving
the traffic for about one 16-bit rounding of every gradient. ``bf16_compress_hook`` needs NCCL;
on gloo (CPUs) :func:`bf16_allreduce_hook` is ours, on the same pattern.

Nothing here communicates by hand: the process group, DDP and the hooks are torch.distributed's.
Lesson 08 first writes these steps in plain torch, as the file every rank runs (``ddp_step.py``:
``init_process_group``, the split by rank, DDP, a 16-bit hook, one step) and checks its gradient
against one process's; these functions are that program's library form.
Launch with ``torchrun --nproc_per_node=2 -m sciml_teach.bench ddp`` (``--standalone`` chooses a
free port); without torchrun, :func:`init_world` makes a world of one process. Introduced in
notebooks/08_beyond_one_device.ipynb.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from .placement import resolve_device

BACKENDS = ("gloo", "nccl")  # gloo: CPUs (and GPUs); nccl: NVIDIA GPUs only
COMPRESSIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
# the dtype gradients travel in: "fp32" sends them as they are (float32 master weights' gradients)

Hook = Callable[..., torch.futures.Future]  # hook(process_group, bucket): DDP's comm-hook signature


@dataclass(frozen=True)
class World:
    rank: int              # this process's place, 0 .. size - 1 (rank 0 writes files)
    size: int              # W: how many processes train together
    local_rank: int        # place among the processes on this machine (picks the GPU)
    backend: str           # "gloo" or "nccl"
    device: torch.device   # this rank's device: the CPU, or cuda:<local_rank>


def check_backend(backend: str, device: torch.device) -> str:
    """``"auto"`` -> NCCL on a GPU, gloo on the CPU; an unknown name or NCCL without a GPU is a
    ValueError saying what to use instead."""
    if backend == "auto":
        return "nccl" if device.type == "cuda" else "gloo"
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid: auto, {', '.join(BACKENDS)}")
    if backend == "nccl" and device.type != "cuda":
        raise ValueError("backend 'nccl' needs CUDA GPUs; on the CPU use 'gloo' (or 'auto')")
    return backend


def check_split(n_functions: int, world_size: int) -> int:
    """Functions per rank, M / W; a ValueError when the M functions cannot be shared out equally.

    Equal shares are what make the average of the ranks' gradients the gradient over all M: each
    rank's loss is a mean over its own functions."""
    if world_size > n_functions:
        raise ValueError(f"{world_size} ranks but only {n_functions} functions: every rank needs "
                         f"at least one; use at most {n_functions} ranks or more functions")
    if n_functions % world_size:
        raise ValueError(f"{n_functions} functions do not split equally over {world_size} ranks; "
                         f"choose M divisible by {world_size} (e.g. "
                         f"{n_functions - n_functions % world_size})")
    return n_functions // world_size


def shard_functions(batch: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """This rank's contiguous share of a batch of functions: (M, m) -> (M / W, m)."""
    per_rank = check_split(batch.shape[0], world_size)
    return batch[rank * per_rank:(rank + 1) * per_rank]                 # (M / W, m)


def ddp_device(ranks: int) -> str:
    """Where ``ranks`` processes should run on this machine: "cuda" when it has a GPU for each
    (NCCL), else "cpu" (gloo) -- e.g. 2 ranks in Colab with one GPU run on its CPU."""
    return "cuda" if torch.cuda.device_count() >= ranks else "cpu"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def init_world(device: str | torch.device = "auto", backend: str = "auto") -> World:
    """Join the process group torchrun describes in the environment (RANK, WORLD_SIZE, LOCAL_RANK,
    MASTER_ADDR, MASTER_PORT), or make a world of one when started without torchrun.

    On a GPU each rank takes GPU ``local_rank``: more ranks on a machine than GPUs is a ValueError
    saying how to run instead (fewer ranks, or the CPU with gloo)."""
    device = resolve_device(device)
    backend = check_backend(backend, device)
    rank, size = _env_int("RANK", 0), _env_int("WORLD_SIZE", 1)
    local_rank = _env_int("LOCAL_RANK", 0)
    if device.type == "cuda":
        ranks_here, gpus = _env_int("LOCAL_WORLD_SIZE", 1), torch.cuda.device_count()
        if ranks_here > gpus:
            raise ValueError(f"{ranks_here} ranks on this machine but {gpus} GPU(s): one GPU per "
                             f"rank; use --nproc_per_node={gpus}, or --device cpu (gloo) to run "
                             f"{ranks_here} processes on the CPU")
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        if "MASTER_ADDR" in os.environ:   # torchrun (or a launcher like it) set up a rendezvous
            dist.init_process_group(backend, rank=rank, world_size=size)
        else:                             # a world of one, in this process's memory
            rank, size, local_rank = 0, 1, 0
            dist.init_process_group(backend, rank=0, world_size=1, store=dist.HashStore())
    return World(dist.get_rank(), dist.get_world_size(), local_rank, backend, device)


def leave_world() -> None:
    """Leave the process group (a no-op when there is none)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def bf16_allreduce_hook(process_group, bucket):  # no annotations: DDP checks them
    """Our bfloat16 gradient compression for gloo, where PyTorch's ``bf16_compress_hook`` refuses
    (it needs NCCL): the same pattern as PyTorch's ``fp16_compress_hook`` -- cast the bucket to
    bfloat16, divide by the world size (before the sum, as PyTorch does, so a float16 sum could not
    overflow), all-reduce, cast back into the float32 bucket. Half the bytes of float32."""
    group = process_group if process_group is not None else dist.group.WORLD
    buffer = bucket.buffer()                                        # flat float32 gradients
    compressed = buffer.to(torch.bfloat16).div_(group.size())
    future = dist.all_reduce(compressed, group=group, async_op=True).get_future()

    def decompress(fut) -> torch.Tensor:
        buffer.copy_(fut.value()[0])                                # back to float32, in place
        return buffer
    return future.then(decompress)


def compression_hook(compression: str, backend: str) -> tuple[Hook | None, str]:
    """(hook, its name) for gradients sent as ``compression`` ("fp32", "fp16" or "bf16");
    "fp32" is DDP's own all-reduce (no hook)."""
    if compression not in COMPRESSIONS:
        raise ValueError(f"unknown compression {compression!r}; valid: {', '.join(COMPRESSIONS)}")
    if compression == "fp32":
        return None, "none (DDP's float32 all-reduce)"
    # imported here: a torch built without distributed support still imports sciml_teach
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
    if compression == "fp16":
        return default_hooks.fp16_compress_hook, "fp16_compress_hook (PyTorch)"
    if backend == "nccl":
        return default_hooks.bf16_compress_hook, "bf16_compress_hook (PyTorch)"
    return bf16_allreduce_hook, "bf16_allreduce_hook (sciml_teach, for gloo)"


def wrap_ddp(model: torch.nn.Module, world: World, hook: Hook | None = None) -> DistributedDataParallel:
    """``model`` (already on ``world.device`` and in its policy's dtype) inside DDP, which
    broadcasts rank 0's weights to every rank now and averages gradients during every backward
    (through ``hook`` when one is given). Pass the result to ``TrainStep`` or ``train`` as usual."""
    ids = [world.device.index] if world.device.type == "cuda" else None
    ddp = DistributedDataParallel(model, device_ids=ids)
    if hook is not None:
        ddp.register_comm_hook(None, hook)
    return ddp


def unwrap_ddp(model: torch.nn.Module) -> torch.nn.Module:
    """The model inside DDP (the model itself when it is not wrapped): for evaluation and saving."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def allreduce_bytes(model: torch.nn.Module, compression: str = "fp32") -> int:
    """Bytes one rank hands to the all-reduce per step: every gradient element once, in the
    dtype it travels in -- the parameters' own without a hook (4 bytes for float32 master
    weights), 2 bytes with an fp16/bf16 hook. A ring all-reduce sends about 2 (W - 1) / W times
    this over each rank's link."""
    if compression not in COMPRESSIONS:
        raise ValueError(f"unknown compression {compression!r}; valid: {', '.join(COMPRESSIONS)}")
    params = [p for p in unwrap_ddp(model).parameters() if p.requires_grad]
    if compression == "fp32":
        return sum(p.numel() * p.element_size() for p in params)
    return sum(p.numel() for p in params) * torch.finfo(COMPRESSIONS[compression]).bits // 8
