"""Precision policies: which dtype holds the weights, which dtype does the arithmetic.

A :class:`PrecisionPolicy` is a frozen value, so float32 and AMP runs can live side by side in one
notebook (no process-wide default dtype is ever changed). The training loop uses a policy in four
lines -- a dtype for the parameters, an autocast-or-nullcontext, a GradScaler with ``enabled=...``
-- and has no ``if fp16:`` branches.

Pure policies (``fp64``, ``fp32``, ``fp16``, ``bf16``) keep parameters *and* compute in one dtype.
AMP policies (``amp-fp16``, ``amp-bf16``) keep float32 master weights and let ``torch.autocast``
run matmuls in half precision; ``amp-fp16`` adds dynamic loss scaling (a GradScaler), which is the
recipe of Hayford et al. 2024 (arXiv:2401.16645), Sec. 3 -- introduced in
notebooks/03_amp_recovery.ipynb.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from .placement import resolve_device


@dataclass(frozen=True)
class PrecisionPolicy:
    name: str                   # the policy's name, e.g. "amp-fp16"
    param_dtype: torch.dtype    # dtype of the parameters (the "master weights")
    compute_dtype: torch.dtype  # dtype the matmuls run in
    autocast: bool              # True: torch.autocast casts ops down; False: everything is param_dtype
    loss_scaling: bool          # True: a GradScaler multiplies the loss before backward
    description: str            # one line for tables and widgets

    def autocast_context(self, device: str | torch.device = "auto"):
        """``torch.autocast`` for AMP policies, a do-nothing context for pure ones."""
        device_type = resolve_device(device).type
        if not self.autocast:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device_type, dtype=self.compute_dtype)

    def make_scaler(self, device: str | torch.device = "auto", enabled: bool | None = None):
        """A GradScaler that is active only when the policy scales the loss.

        ``enabled`` overrides the policy (a lesson can switch loss scaling off to show why it is
        needed). A disabled scaler's ``scale``/``step``/``update`` are plain pass-throughs.
        """
        on = self.loss_scaling if enabled is None else enabled
        return torch.amp.GradScaler(resolve_device(device).type, enabled=on)

    def cast_model(self, model: torch.nn.Module) -> torch.nn.Module:
        """Move the model's floating-point parameters and buffers to ``param_dtype`` (in place)."""
        return model.to(dtype=self.param_dtype)

    def cast_input(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs follow the parameters' dtype; autocast does the down-casting for AMP policies."""
        return x.to(self.param_dtype) if x.is_floating_point() else x

    @property
    def storage_bits(self) -> int:
        """Bits of the dtype activations are stored in (what the memory lesson counts)."""
        dtype = self.compute_dtype if self.autocast else self.param_dtype
        return torch.finfo(dtype).bits


POLICIES: dict[str, PrecisionPolicy] = {
    p.name: p
    for p in [
        PrecisionPolicy("fp64", torch.float64, torch.float64, False, False,
                        "float64 everywhere (the reference)"),
        PrecisionPolicy("fp32", torch.float32, torch.float32, False, False,
                        "float32 everywhere (the usual default)"),
        PrecisionPolicy("fp16", torch.float16, torch.float16, False, False,
                        "pure float16: weights, gradients and optimizer state in float16"),
        PrecisionPolicy("bf16", torch.bfloat16, torch.bfloat16, False, False,
                        "pure bfloat16: float32's range, 8 bits of mantissa"),
        PrecisionPolicy("amp-fp16", torch.float32, torch.float16, True, True,
                        "float32 master weights, float16 autocast compute, dynamic loss scaling"),
        PrecisionPolicy("amp-bf16", torch.float32, torch.bfloat16, True, False,
                        "float32 master weights, bfloat16 autocast compute, no scaling needed"),
    ]
}


def get_policy(policy: str | PrecisionPolicy) -> PrecisionPolicy:
    """Look a policy up by name (a policy object is returned unchanged)."""
    if isinstance(policy, PrecisionPolicy):
        return policy
    if not isinstance(policy, str) or policy not in POLICIES:
        raise ValueError(f"unknown precision policy {policy!r}; valid names: {', '.join(POLICIES)}")
    return POLICIES[policy]
