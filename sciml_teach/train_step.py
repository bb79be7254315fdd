"""One mixed-precision training step -- the code behind lesson 03's plain-PyTorch cell.

Read this file beside "One AMP training step, in plain PyTorch" in notebooks/03_amp_recovery.ipynb:
:meth:`TrainStep.__call__` runs the same calls in the same order, so from the same seed the two
give bit-for-bit the same losses (the lesson checks it over 30 steps, for float16 and bfloat16).

The recipe (Micikevicius et al. 2018, arXiv:1710.03740, Sec. 3; Hayford et al. 2024,
arXiv:2401.16645, Sec. 3):

* **float32 master weights** -- the parameters themselves stay float32, so a small update
  ``lr * step`` is added in float32 and is not rounded away (lesson 01);
* **autocast** -- ``torch.autocast`` runs matmuls in float16 or bfloat16 and keeps reductions
  such as the loss in float32; the weights are cast to 16 bits on the fly for each matmul;
* **loss scaling** (float16 only) -- a ``torch.amp.GradScaler`` multiplies the loss by S before
  backward, so small gradients do not flush to zero in float16; ``unscale_`` divides them by S
  again (in float32), ``step`` skips the update when a gradient is inf/NaN and ``update`` halves S
  after such a step and doubles it after ``growth_interval`` clean ones. bfloat16 has float32's
  range: its scaler is built disabled and every scaler call passes straight through.

``sciml_teach.training.train`` calls this step in its loop and adds the diagnostics beside it.
"""
from __future__ import annotations

from typing import Callable

import torch

from .checks import check_float
from .precision import PrecisionPolicy, get_policy


class TrainStep:
    """One training step and nothing else -- the timed part of :func:`~sciml_teach.training.train`,
    yours to call in your own loop::

        step = st.TrainStep(model, loss_fn, policy="amp-fp16")   # casts the model, builds Adam
        for _ in range(1000):
            loss = step()                                      # a detached tensor, no host sync
            # or step(batch): calls loss_fn(model, batch), e.g. new input functions each step

    ``max_norm`` clips the gradient norm after ``unscale_`` (None: no clipping). Pass your own
    ``optimizer`` or ``scaler`` to keep them (e.g. to checkpoint ``step.scaler.state_dict()``).
    Introduced in notebooks/03_amp_recovery.ipynb; docs/custom_loop.md uses it in a loop.
    """

    def __init__(self, model: torch.nn.Module, loss_fn: Callable[..., torch.Tensor],
                 policy: str | PrecisionPolicy = "fp32", optimizer: torch.optim.Optimizer | None = None,
                 scaler: torch.amp.GradScaler | None = None, lr: float = 1e-3,
                 adam_eps: float = 1e-8, loss_scaling: bool | None = None,
                 max_norm: float | None = None):
        self.policy = get_policy(policy)
        if optimizer is None:  # torch would refuse these only when the optimizer is built
            check_float("lr", lr, positive=True)
            check_float("adam_eps", adam_eps, positive=True)
        if max_norm is not None:
            check_float("max_norm", max_norm, positive=True)
        check_trainable(model)
        # float32 master weights for AMP policies; pure policies store float16/bfloat16 weights
        self.model, self.loss_fn = self.policy.cast_model(model), loss_fn
        self.device = next(model.parameters()).device
        self.optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr, eps=adam_eps)
        # a GradScaler for float16 AMP; for the others one built disabled (calls pass through)
        self.scaler = scaler or self.policy.make_scaler(self.device, enabled=loss_scaling)
        self.max_norm = max_norm

    def __call__(self, *batch) -> torch.Tensor:
        """One step on ``loss_fn(model, *batch)``: pass this step's data, e.g. a fresh batch of
        input functions for the operator losses (``step(branch)``), or nothing. Returns the
        loss (a detached scalar tensor; reading it with ``.item()`` syncs a GPU)."""
        self.optimizer.zero_grad(set_to_none=True)     # drop last step's gradients (no zero fill)
        with self.policy.autocast_context(self.device):  # matmuls in 16 bits, the loss in float32
            loss = self.loss_fn(self.model, *batch)      # () scalar
        # Checked on every call: a loss_fn may return something else for another batch. The
        # check reads a tensor's metadata only (type, size, requires_grad), never its value.
        check_loss(loss)
        self.scaler.scale(loss).backward()              # float32 .grad of S * loss
        self.scaler.unscale_(self.optimizer)            # .grad / S: true units, inf/NaN noted
        if self.max_norm is not None:                   # clip true gradients, never S * them
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.max_norm)
        self.scaler.step(self.optimizer)                # the update; skipped after inf/NaN
        self.scaler.update()                            # S / 2 after inf, S * 2 after a clean run
        return loss.detach()

    def scale(self) -> float:
        """The loss scale the next call will use (1.0 without a scaler); reading it syncs a GPU."""
        return self.scaler.get_scale() if self.scaler.is_enabled() else 1.0


def check_trainable(model) -> None:
    """A model TrainStep can train: a torch.nn.Module with at least one parameter."""
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be a torch.nn.Module (e.g. st.MLP([1, 32, 1])), "
                         f"got {type(model).__name__}")
    if next(model.parameters(), None) is None:
        raise ValueError(f"model ({type(model).__name__}) has no parameters to train: pass a "
                         f"network with weights, e.g. st.MLP([1, 32, 1])")


def check_loss(loss) -> None:
    """``loss_fn``'s result can be backpropagated: one number with a graph to the weights."""
    if not isinstance(loss, torch.Tensor):
        raise ValueError(f"loss_fn must return a scalar torch.Tensor computed from the model, got "
                         f"{type(loss).__name__} {loss!r}: a Python number has no gradient")
    if loss.numel() != 1:
        raise ValueError(f"loss_fn must return a scalar (one number), got a tensor of shape "
                         f"{tuple(loss.shape)}: reduce it, e.g. .mean()")
    if not loss.requires_grad:
        raise ValueError("loss_fn returned a tensor with no graph to the model's weights "
                         "(requires_grad=False): it was detached (.detach(), .item(), "
                         "torch.tensor(...)) or computed under torch.no_grad()")
