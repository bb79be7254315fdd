"""The whole memory bill of one training step, per precision policy and per derivative strategy.

Each run builds a fresh model, an Adam optimizer and one training step, and accounts it with
:func:`sciml_teach.memory_account.memory_account`: parameters, gradients, optimizer state,
autocast's weight copies and activations (and the CUDA peak on a GPU). The lesson-03 PINN per
policy answers "why does AMP not halve my memory?" (Hayford et al. 2024, Sec. 4: the savings come
from activations); the lesson-05 DeepONet per strategy shows that ZCS shrinks only activations too
(Leng et al. 2024). Introduced in notebooks/03_amp_recovery.ipynb and
notebooks/05_zero_coordinate_shift.ipynb; ``python -m sciml_teach.bench precision`` and ``zcs``
write the same parts as JSON columns.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from ..derivatives import STRATEGIES
from ..memory_account import MemoryAccount, memory_account
from ..placement import resolve_device
from ..precision import POLICIES, get_policy
from ..problems import Poisson1D
from ..quick import pick
from ..training import TrainStep
from .strategy_runs import strategy_step_account

WARMUP_STEPS = 40  # enough for a GradScaler starting at 2^16 to find a finite step
PINN_POLICIES = tuple(name for name in POLICIES if name != "fp64")  # fp32, fp16, bf16, amp-*


def pinn_step_account(problem, policy: str = "fp32", width: int = 32, depth: int = 3,
                      adam_eps: float = 1e-8, seed: int = 0, device: str | torch.device = "auto",
                      make_optimizer: Callable[[torch.nn.Module], torch.optim.Optimizer] | None = None
                      ) -> MemoryAccount:
    """The memory account of one Adam training step of ``problem``'s PINN under ``policy``.

    ``make_optimizer(model)`` replaces Adam, e.g. ``remedy_optimizer("kahan", 1e-3, 1e-8)`` with
    policy "bf16": its compensation buffers count as optimizer state (2 bytes per weight).
    Steps run first until the optimizer holds its state: Adam makes it in its first real step,
    and ``amp-fp16``'s GradScaler skips the first steps (their scaled gradients overflow).
    """
    device = resolve_device(device)
    torch.manual_seed(seed)
    model = get_policy(policy).cast_model(problem.make_model(width=width, depth=depth).to(device))
    optimizer = make_optimizer(model) if make_optimizer is not None else None
    step = TrainStep(model, problem.loss, policy, optimizer=optimizer, adam_eps=adam_eps)
    for _ in range(WARMUP_STEPS):
        if step.optimizer.state:
            break
        step()
    return memory_account(step.model, step.optimizer, step, device)


def policy_memory_accounts(problem=None, policies: Sequence[str] = PINN_POLICIES,
                           width: int = 32, depth: int = 3,
                           device: str | torch.device = "auto") -> dict[str, MemoryAccount]:
    """``{policy: MemoryAccount}`` for one training step of the lesson-03 PINN (default: the 1-D
    Poisson PINN; pass ``BurgersPINN()`` for the paper's 2048 points, where activations dominate).
    Pure float16 uses Adam eps 1e-4 (1e-8 is 0 in float16; the bytes do not depend on it).

    Measured (bytes are the same on every machine): Poisson, width 32, 128 points -- activations
    are 92% of float32's 454 KiB, so AMP comes to 0.55x; width 256, depth 4 -- weights, gradients
    and Adam's moments (16 bytes per weight, unchanged by AMP) weigh in, and AMP comes to 0.75x
    of float32's 7.4 MiB while pure 16-bit halves everything."""
    problem = problem if problem is not None else Poisson1D()
    return {get_policy(p).name: pinn_step_account(problem, p, width, depth,
                                                  1e-4 if get_policy(p).name == "fp16" else 1e-8,
                                                  device=device)
            for p in policies}


def strategy_memory_accounts(problem: str = "reaction_diffusion",
                             strategies: Sequence[str] = tuple(STRATEGIES),
                             n_functions: int | None = None, n_points: int | None = None,
                             width: int | None = None, policy: str = "fp32",
                             device: str | torch.device = "auto") -> dict[str, MemoryAccount]:
    """``{strategy: MemoryAccount}`` for one physics-informed DeepONet training step (lesson 05).

    Sizes default to M=8, N=500, width 64 in quick mode and M=20, N=2000, width 128 otherwise:
    DataVect's activations grow with M*N, so larger sizes quickly need gigabytes on a CPU.
    """
    M, N = n_functions or pick(8, 20), n_points or pick(500, 2000)
    width = width or pick(64, 128)
    return {s: strategy_step_account(problem, s, M, N, policy, width, device=device)
            for s in strategies}
