"""Where things run: which device ``"auto"`` means, and data that follows the model.

Every run in the course takes ``device="auto"``: the CUDA GPU when there is one, else the CPU
(:func:`resolve_device`); a learner can still force ``"cpu"``.

A float32 model and a float16 one, on the CPU or a GPU, run side by side in one notebook, so no
loss may assume a global default device or dtype: every loss, residual and metric moves its inputs
with :func:`to_model` and never creates a tensor on the default device. Losses are reduced in at
least float32 (:func:`upcast`): a float16 sum of squares overflows, and a float64 run stays
float64 end to end. Introduced in notebooks/02_float16_divergence.ipynb (pure float16 vs AMP).
"""
from __future__ import annotations

import torch

WIDE_FLOATS = (torch.float32, torch.float64)  # dtypes a loss may be reduced in


def param_dtype(model: torch.nn.Module) -> torch.dtype:
    """The dtype of the model's parameters: inputs are cast to it before the forward pass."""
    return next(model.parameters()).dtype


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of the model's parameters: data is moved there before the forward pass."""
    return next(model.parameters()).device


def to_model(model: torch.nn.Module, *tensors: torch.Tensor) -> list[torch.Tensor]:
    """``tensors`` on the model's device; floating ones also in its parameter dtype.

    Integer tensors (indices, labels) only move: casting them to float16 would corrupt them.
    Returns a list, so ``v, x = to_model(model, branch, points)`` reads like the call site.
    """
    device, dtype = model_device(model), param_dtype(model)
    return [t.to(device=device, dtype=dtype) if t.is_floating_point() else t.to(device)
            for t in tensors]


def upcast(x: torch.Tensor) -> torch.Tensor:
    """``x`` in float32 if it is in a 16-bit format; float32 and float64 are left as they are.

    Unlike ``x.float()`` this never downcasts: a float64 run keeps its float64 loss.
    """
    return x if x.dtype in WIDE_FLOATS else x.float()


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without a GPU is a clear error."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):  # "tpu", 3, None: torch's message lists 20 device types
        parsed = None
    if parsed is None or parsed.type not in {"cpu", "cuda"}:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {str(device)!r}")
    device = parsed
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is visible; use 'auto' or 'cpu'")
    return device
