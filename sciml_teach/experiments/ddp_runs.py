"""Data-parallel runs of the physics-informed DeepONet: what each rank of a torchrun job trains.

Lesson 07's problem (reaction-diffusion, learnt from the equation alone) trained by W processes
at once: each rank takes M / W of the M input functions, runs ZCS (or any strategy) under a
precision policy through the one :func:`~sciml_teach.training.train` loop, on a model that
:mod:`sciml_teach.distributed` wraps in DDP, with gradients sent in float32 or compressed to 16
bits. A run returns one flat row: step time, the bytes one rank saved for backward, the bytes
all-reduced per step, the final error, the loss curve over all M functions, how far the ranks'
weights drifted apart, and -- with ``reference=True`` -- the same training done by rank 0 alone
on all M functions (1 process x M), started from the same weights: the gradient of the first step
and the loss curve must match it.

Three deliberately broken variants (:data:`BROKEN`) show that the checks of
notebooks/08_beyond_one_device.ipynb can fail: ranks that forget to split the batch, an
all-reduce that sums without averaging, and a GradScaler that skips a step on one rank only.
:func:`launch_ddp` starts ``torchrun`` in a subprocess (a notebook cannot host several
processes) and reads back the JSON that rank 0 writes (:mod:`.ddp_launch`).
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.distributed as dist

from ..checks import check_choice, check_int
from ..derivatives import STRATEGIES
from ..distributed import (COMPRESSIONS, World, allreduce_bytes, check_split, compression_hook,
                           shard_functions, unwrap_ddp, wrap_ddp)
from ..models import DeepONet, DeepONetConfig
from ..precision import POLICIES, PrecisionPolicy, get_policy
from ..problems import ReactionDiffusion, collocation_points
from ..training import Callback, History, TrainConfig, TrainStep, train
from ..meters import SavedTensorMeter
from .operator_runs import physics_loss, relative_error

BROKEN = ("none", "no-split", "no-average", "one-rank-skips")
COLUMNS = ["ranks", "strategy", "policy", "compression", "seed", "broken", "per_rank",
           "allreduce_bytes", "step_time_s", "saved_bytes", "error", "grad_rel_diff",
           "rank_weight_diff", "status"]


@dataclass(frozen=True)
class DDPConfig:
    strategy: str = "zcs"          # derivative strategy each rank uses on its functions
    policy: str = "fp32"           # precision policy (autocast + GradScaler as on one device)
    compression: str = "fp32"      # dtype gradients travel in: "fp32", "fp16" or "bf16"
    n_functions: int = 8           # M: input functions per step over all ranks (M / W per rank)
    n_points: int = 200            # N: collocation points every function shares
    width: int = 32                # DeepONet width and features K
    steps: int = 20                # optimizer steps
    lr: float = 1e-3               # Adam learning rate
    seed: int = 0                  # the model's initial weights (the data is always seed 0's)
    broken: str = "none"           # a deliberately broken variant (see BROKEN), for the checks

    def __post_init__(self):
        check_choice("DDPConfig.strategy", self.strategy, list(STRATEGIES))
        check_choice("DDPConfig.policy", self.policy, list(POLICIES))
        check_choice("DDPConfig.compression", self.compression, list(COMPRESSIONS))
        check_choice("DDPConfig.broken", self.broken, BROKEN)
        for name in ["n_functions", "n_points", "width", "steps"]:
            check_int(f"DDPConfig.{name}", getattr(self, name), minimum=1)
        check_int("DDPConfig.seed", self.seed, minimum=0)


# --- the broken variants ---------------------------------------------------------------------

def _no_split(batch: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """BROKEN: every rank trains on all M functions (the batch is never shared out)."""
    return batch


def sum_allreduce_hook(process_group, bucket):
    """BROKEN: all-reduces the gradients but never divides by the world size (W times too big)."""
    future = dist.all_reduce(bucket.buffer(), async_op=True).get_future()
    return future.then(lambda fut: fut.value()[0])


class OneRankSkipsScaler(torch.amp.GradScaler):
    """BROKEN: on rank 1 alone, every 5th step counts as having an inf gradient and is skipped,
    as when each rank checks only its own gradients (FSDP's shards: hence its ShardedGradScaler,
    which all-reduces the verdict). DDP's ranks see the same all-reduced gradients, so a plain
    GradScaler always agrees with itself across ranks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._calls = 0

    def unscale_(self, optimizer):
        # once per step, whether TrainStep calls it (before clipping) or step() does
        super().unscale_(optimizer)
        if dist.get_rank() == 1 and self._calls % 5 == 0:
            for found in self._per_optimizer_states[id(optimizer)]["found_inf_per_device"].values():
                found.fill_(1.0)                     # this rank alone "found" an inf
        self._calls += 1


@dataclass(frozen=True)
class _OneRankSkipsPolicy(PrecisionPolicy):
    """BROKEN: a policy whose GradScaler (loss scaling on) skips steps on rank 1 only."""

    def make_scaler(self, device="auto", enabled=None):
        return OneRankSkipsScaler(torch.device(device).type)


def _policy(config: DDPConfig) -> PrecisionPolicy:
    policy = get_policy(config.policy)
    if config.broken != "one-rank-skips":
        return policy
    fields = {f.name: getattr(policy, f.name) for f in dataclasses.fields(policy)}
    return _OneRankSkipsPolicy(**{**fields, "loss_scaling": True})


# --- one run on every rank -------------------------------------------------------------------

@dataclass(frozen=True)
class _Data:
    problem: ReactionDiffusion
    branch: torch.Tensor     # (M, m) training functions, all of them (each rank takes its share)
    points: torch.Tensor     # (N, 2) collocation points
    error_fn: Callable       # relative L2 error on test functions (unwraps DDP)


def make_data(config: DDPConfig) -> _Data:
    """The same data on every rank (seed 0): M training sources, N points, 8 test functions."""
    problem, g = ReactionDiffusion(), torch.Generator().manual_seed(0)
    branch = problem.sample_branch(config.n_functions, g)                # (M, m)
    points = collocation_points(config.n_points, problem.coord_dims, g)  # (N, 2)
    v_test = problem.sample_branch(8, g)                                 # (8, m)
    test_points, u_test = problem.reference(v_test, nx=21, nt=21)        # (441, 2), (8, 441)
    error = relative_error(v_test, test_points, u_test)
    return _Data(problem, branch, points, lambda model: error(unwrap_ddp(model)))


class _FirstGradient(Callback):
    """Keeps the gradient of step 0 as the optimizer saw it (averaged over ranks, unscaled)."""

    def __init__(self, model: torch.nn.Module):
        self.model, self.flat = model, None

    def on_step(self, history: History) -> None:
        if history.steps == 1:
            self.flat = _flat_grad(unwrap_ddp(self.model))


def _flat_grad(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.grad.detach().double().reshape(-1).cpu() for p in model.parameters()])


def _train_config(config: DDPConfig, policy, device: torch.device) -> TrainConfig:
    # memory at step 0 only (metered steps are not timed); error and diagnostics at the end.
    # train() decides "stalled"/"diverged" from this rank's own loss; a rank that stopped early
    # would leave the others waiting at the next all-reduce, so the rules are kept out of reach
    # (a run here goes to its last step; non-finite weights still end it, on every rank at once)
    return TrainConfig(steps=config.steps, lr=config.lr, policy=policy, device=str(device),
                       error_every=config.steps, diagnose_every=config.steps,
                       memory_every=config.steps + 1, seed=config.seed,
                       stall_window=config.steps, diverge_factor=1e30)


def _model(config: DDPConfig, data: _Data, device: torch.device) -> torch.nn.Module:
    torch.manual_seed(config.seed)  # the same initial weights on every rank (DDP checks)
    model_config = DeepONetConfig(n_sensors=data.problem.n_sensors, coord_dims=2,
                                  width=config.width, n_features=config.width)
    return get_policy(config.policy).cast_model(DeepONet(model_config).to(device))


def _single_process(model, config: DDPConfig, data: _Data) -> dict:
    """Rank 0 alone, all M functions, no DDP: the first step's gradient and saved bytes, then the
    whole run's loss curve and step time."""
    loss_fn = physics_loss(data.problem, config.strategy, data.branch, data.points)
    probe = TrainStep(copy.deepcopy(model), loss_fn, config.policy, lr=config.lr)
    with SavedTensorMeter() as meter:
        probe()
    history = train(model, loss_fn, _train_config(config, config.policy, _device(model)),
                    callbacks=[Callback()])
    return {"grad": _flat_grad(probe.model), "saved_bytes": meter.bytes, "loss": history.loss,
            "step_time_s": history.median_step_time_s}


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def _across_ranks(value: float | torch.Tensor, op, device) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=torch.float64, device=device).clone()
    dist.all_reduce(t, op=op)
    return t.cpu()


def train_ddp(config: DDPConfig, world: World, data: _Data, reference: bool = False) -> dict:
    """Train ``config`` on this rank (every rank calls it with the same arguments); a row."""
    check_split(config.n_functions, world.size)
    model = _model(config, data, world.device)
    single = _single_process(copy.deepcopy(model), config, data) if reference and world.rank == 0 else None
    hook, hook_name = compression_hook(config.compression, world.backend)
    if config.broken == "no-average":
        hook, hook_name = sum_allreduce_hook, "sum_allreduce_hook (BROKEN: no average)"
    ddp = wrap_ddp(model, world, hook)
    split = _no_split if config.broken == "no-split" else shard_functions
    mine = split(data.branch, world.rank, world.size)                  # (M / W, m)
    first = _FirstGradient(ddp)
    history = train(ddp, physics_loss(data.problem, config.strategy, mine, data.points),
                    _train_config(config, _policy(config), world.device),
                    error_fn=data.error_fn, callbacks=[first])
    device = world.device
    loss = _across_ranks(history.loss, dist.ReduceOp.SUM, device) / world.size  # mean over all M
    flat = torch.cat([p.detach().reshape(-1) for p in ddp.parameters()])
    drift = (_across_ranks(flat, dist.ReduceOp.MAX, device)
             - _across_ranks(flat, dist.ReduceOp.MIN, device)).abs().max().item()
    row = {"ranks": world.size, "backend": world.backend, "device": world.device.type,
           **dataclasses.asdict(config), "per_rank": mine.shape[0], "hook": hook_name,
           "params": sum(p.numel() for p in ddp.parameters()),
           "allreduce_bytes": allreduce_bytes(ddp, config.compression),
           "step_time_s": _across_ranks(history.median_step_time_s, dist.ReduceOp.MAX, device).item(),
           "saved_bytes": int(_across_ranks(history.memory_bytes[0], dist.ReduceOp.MAX, device)),
           "skipped": [int(s) for s in _gather_int(sum(history.skipped), device)],
           "error": history.final_error, "status": history.status,
           "rank_weight_diff": drift, "loss": loss.tolist()}
    if single is not None:
        ref = single["grad"]
        row.update(grad_rel_diff=((first.flat - ref).norm() / ref.norm()).item(),
                   reference_saved_bytes=single["saved_bytes"], reference_loss=single["loss"],
                   reference_step_time_s=single["step_time_s"])
    return row


def _gather_int(value: int, device) -> list[int]:
    out = [torch.zeros(1, dtype=torch.int64, device=device) for _ in range(dist.get_world_size())]
    dist.all_gather(out, torch.tensor([value], dtype=torch.int64, device=device))
    return [int(t.item()) for t in out]


def ddp_rows(configs: Sequence[DDPConfig], world: World, reference: bool = False,
             on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """Train every config on every rank, one after the other; ``on_row`` is called on rank 0."""
    rows, data = [], None
    for config in configs:
        if data is None or data.branch.shape[0] != config.n_functions \
                or data.points.shape[0] != config.n_points:
            data = make_data(config)
        rows.append(train_ddp(config, world, data, reference))
        if on_row is not None and world.rank == 0:
            on_row(rows[-1])
    return rows


def ddp_row(rows: Sequence[dict], **keys) -> dict:
    """The one row whose fields equal ``keys``, e.g. ``ddp_row(rows, strategy="zcs",
    compression="fp32")``; a ValueError when none or several match."""
    hits = [r for r in rows if all(r.get(k) == v for k, v in keys.items())]
    if len(hits) != 1:
        raise ValueError(f"{len(hits)} rows have {keys}; give keys that pick exactly one")
    return hits[0]
