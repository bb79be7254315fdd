"""ZCS and mixed precision together: train every {derivative strategy} x {precision policy} pair.

Leng et al. 2024 (arXiv:2311.00860) cut a physics-informed DeepONet's derivative graph from M
copies to one (Zero Coordinate Shift); Hayford et al. 2024 (arXiv:2401.16645) store the graph's
tensors in 16 bits (AMP). The two act on different things -- how many tensors, how many bytes
each -- so their savings should multiply. Neither paper combines them; the capstone measures it.
A *combination* is a pair ``(strategy, policy)``, e.g. ``("zcs", "amp-bf16")``.
Introduced in notebooks/07_capstone_zcs_amp.ipynb.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Mapping, Sequence

import torch

from ..models import DeepONet, DeepONetConfig
from ..problems import collocation_points
from ..training import Callback, History, TrainConfig, train
from .operator_runs import physics_loss

Combination = tuple[str, str]  # (derivative strategy, precision policy), e.g. ("zcs", "amp-bf16")


def combination_list(baseline: str, amp: str) -> list[Combination]:
    """The four pairs in table order: baseline+fp32 (the papers' setting), baseline+AMP,
    ZCS+fp32, ZCS+AMP."""
    return [(baseline, "fp32"), (baseline, amp), ("zcs", "fp32"), ("zcs", amp)]


def train_combination(problem, combination: Combination, branch: torch.Tensor,
                      points: torch.Tensor, model_config: DeepONetConfig, config: TrainConfig,
                      error_fn: Callable[[torch.nn.Module], float] | None = None,
                      callbacks: Sequence[Callback] = (), seed: int = 0,
                      model: torch.nn.Module | None = None) -> History:
    """Train a fresh physics-informed DeepONet with one strategy and one policy.

    The model's initial weights are drawn from ``seed`` (``torch.manual_seed`` right before it is
    built, and ``config.seed`` is set to it), so every combination with the same seed starts from
    the same weights, with the same data and optimizer: only the derivative strategy and
    ``config.policy`` (replaced by the combination's) change. Pass ``model`` to train your own
    (e.g. one whose initial weights you checked); it is trained in place.
    """
    strategy, policy = combination
    config = dataclasses.replace(config, policy=policy, seed=seed)
    if model is None:
        torch.manual_seed(seed)
        model = DeepONet(model_config)
    return train(model, physics_loss(problem, strategy, branch, points), config,
                 error_fn=error_fn, callbacks=callbacks)


def step_memory(problem, combination: Combination, n_functions: int, n_points: int,
                model_config: DeepONetConfig, seed: int = 0,
                device: str | torch.device = "auto") -> int:
    """Memory of one training step of a fresh model: the bytes autograd saves (the default
    ``TrainConfig.memory_kind``, the same count on every device). It depends on the sizes only
    (up to a few KiB when the meter's storage de-duplication meets a reused address)."""
    g = torch.Generator().manual_seed(seed)
    branch = problem.sample_branch(n_functions, g)                      # (M, m)
    points = collocation_points(n_points, problem.coord_dims, g)        # (N, D)
    history = train_combination(problem, combination, branch, points, model_config,
                                TrainConfig(steps=1, device=str(device)))
    return history.memory_bytes[0]


def combined_savings(runs: Mapping[Combination, History], baseline: str, amp: str) -> dict[str, dict]:
    """Memory and time factors relative to baseline+fp32: ZCS alone, AMP alone, both, and the
    product of the first two (equal to 'both' when the savings multiply).

    A factor is baseline+fp32's value divided by the combination's: 2.0 means half the memory
    (or twice as fast).
    """
    measures = {"memory": lambda h: h.memory_bytes[-1], "time": lambda h: h.median_step_time_s}
    out = {}
    for name, measure in measures.items():
        ref = measure(runs[baseline, "fp32"])
        factor = {"zcs": ref / measure(runs["zcs", "fp32"]), "amp": ref / measure(runs[baseline, amp]),
                  "both": ref / measure(runs["zcs", amp])}
        factor["product"] = factor["zcs"] * factor["amp"]
        out[name] = factor
    return out
