"""Where a training step's memory goes: weights, gradients, optimizer state, activations.

"Bytes saved for backward" (:class:`~sciml_teach.meters.SavedTensorMeter`) is only the part of the
memory that mixed precision shrinks. A learner who asks "why does AMP not halve my whole memory?"
needs the rest of the bill too, which :func:`memory_account` adds up for one training step by
walking tensors (``numel * element_size``, each storage counted once, in the first part that holds
it), so it is exact, the same on every machine, and independent of torch's allocator:

* ``param_bytes`` -- the parameters (and buffers) as the model stores them. Under AMP
  (``amp-fp16``/``amp-bf16``) these *are* the float32 master weights: this library's AMP keeps no
  second float32 copy, so AMP's parameters cost what float32's do. Pure ``fp16``/``bf16`` store
  them in 2 bytes.
* ``grad_bytes`` -- the ``.grad`` tensors after backward, in the parameters' dtype (float32 under
  AMP: autocast's backward casts the gradients back to the master weights' dtype).
* ``optimizer_bytes`` -- every tensor in the optimizer's state: Adam's ``exp_avg`` and
  ``exp_avg_sq`` (two tensors shaped and typed like each parameter) and its ``step`` counters
  (a 4-byte float32 scalar per parameter tensor); SGD without momentum holds nothing. An optimizer
  that keeps float32 master weights or Kahan compensation buffers in its state
  (:mod:`sciml_teach.half_updates`) has them counted here.
* ``weight_copy_bytes`` -- autocast's half-precision copies of the weights that autograd keeps for
  backward (the weight of a linear layer is needed for the gradient of its input). They exist only
  under AMP: 2 bytes per weight *on top of* the float32 master weights.
* ``activation_bytes`` -- everything else autograd saves for backward: layer inputs and outputs and
  a PINN's derivative graph. This is the part AMP halves (Hayford et al. 2024, Sec. 4).
* ``cuda_peak_bytes`` -- on a GPU, ``torch.cuda.max_memory_allocated`` during a second, un-metered
  step: everything the process held on that GPU at the allocator's worst moment, temporaries,
  workspaces and the process's other tensors included. Parts alive at different moments (the
  activations backward frees, the update's temporaries) do not all add up in it, so it need not
  equal ``total``. ``None`` on a CPU.

With Adam a float32 weight costs 4 (weight) + 4 (gradient) + 8 (two moments) = 16 bytes whatever
the policy computes in; AMP adds 2 more for the half copy. Only activations shrink, so AMP
approaches half the memory only when activations dominate (big batches, derivative graphs).
Introduced in notebooks/03_amp_recovery.ipynb (and used in notebooks/05_zero_coordinate_shift.ipynb).
"""
from __future__ import annotations

import gc
from dataclasses import dataclass, fields
from typing import Callable, Iterable

import torch

from .meters import _storage_of
from .placement import resolve_device

PARTS = ("param_bytes", "grad_bytes", "optimizer_bytes", "weight_copy_bytes", "activation_bytes")
ACCOUNT_COLUMNS = (*PARTS, "total_bytes", "cuda_peak_bytes")  # what MemoryAccount.as_row() writes
# view-like autograd nodes between a saved tensor and the cast that made it (weight.t() in linear)
_VIEW_NODES = ("TBackward", "ViewBackward", "TransposeBackward", "PermuteBackward", "ExpandBackward",
               "UnsqueezeBackward", "SqueezeBackward", "AliasBackward", "UnsafeViewBackward")


@dataclass(frozen=True)
class MemoryAccount:
    param_bytes: int              # parameters and buffers as stored (AMP: the float32 master weights)
    grad_bytes: int               # .grad tensors after backward
    optimizer_bytes: int          # optimizer state (Adam: exp_avg, exp_avg_sq, step counters)
    weight_copy_bytes: int        # autocast's 16-bit weight copies saved for backward (AMP only)
    activation_bytes: int         # other tensors saved for backward (inputs, outputs, derivative graph)
    cuda_peak_bytes: int | None = None  # allocator peak of a step on CUDA; None on a CPU

    @property
    def total(self) -> int:
        """The sum of the counted parts (the CUDA peak is a separate measurement, not a part)."""
        return sum(self.parts().values())

    def parts(self) -> dict[str, int]:
        """``{part name: bytes}`` in stacking order, for a stacked bar."""
        return {name: getattr(self, name) for name in PARTS}

    def as_row(self) -> dict:
        """The benchmark JSON columns: every field, plus ``total_bytes``."""
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "total_bytes": self.total}

    @classmethod
    def from_row(cls, row: dict) -> "MemoryAccount | None":
        """The account stored in a benchmark row, or None for rows written before it existed."""
        if any(row.get(name) is None for name in PARTS):
            return None
        return cls(**{name: int(row[name]) for name in PARTS},
                   cuda_peak_bytes=row.get("cuda_peak_bytes"))


class _Ledger:
    """Storages counted so far: a storage belongs to the first part that claims it."""

    def __init__(self) -> None:
        self.seen: dict[object, object] = {}  # storage key -> storage, kept alive while counting

    def claim(self, tensors: Iterable[torch.Tensor]) -> int:
        total = 0
        for t in tensors:
            key, nbytes, owner = _storage_of(t)
            if key not in self.seen:
                self.seen[key] = owner
                total += nbytes
        return total


def _state_tensors(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [v for state in optimizer.state.values() for v in state.values()
            if isinstance(v, torch.Tensor)]


def _is_weight_copy(t: torch.Tensor, params: set[int]) -> bool:
    """True when ``t`` is (a view of) a cast copy of a parameter: its autograd history is
    view nodes, then ToCopyBackward0, then the parameter's AccumulateGrad."""
    node = t.grad_fn
    for _ in range(4):
        name = type(node).__name__ if node is not None else ""
        if name.startswith("ToCopyBackward"):
            nxt = [n for n, _ in node.next_functions if n is not None]
            return len(nxt) == 1 and id(getattr(nxt[0], "variable", None)) in params
        if not name.startswith(_VIEW_NODES):
            return False
        node = next((n for n, _ in node.next_functions if n is not None), None)
    return False


class _SavedSorter:
    """Saved-tensor hooks that keep every tensor autograd saves, with whether it is a weight copy."""

    def __init__(self, params: set[int]) -> None:
        self.saved: list[tuple[torch.Tensor, bool]] = []
        self._params = params
        self.hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)

    def _pack(self, t: torch.Tensor) -> torch.Tensor:
        self.saved.append((t, _is_weight_copy(t, self._params)))
        return t


def _cuda_peak(step: Callable[[], object], device: torch.device) -> int:
    gc.collect()  # a graph left in a cycle by the metered step must not sit under this peak
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    step()
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device)


def memory_account(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                   step: Callable[[], object], device: str | torch.device = "auto") -> MemoryAccount:
    """Run ``step()`` -- one whole training step of ``model`` with ``optimizer`` (forward,
    backward, update), e.g. a :class:`~sciml_teach.training.TrainStep` -- and account its memory.

    Parameters, gradients and optimizer state are read after the step (Adam creates its state in
    its first step); saved tensors are caught while it runs. On CUDA the step runs a second time,
    without hooks, for the allocator's peak. See the module docstring for what each part holds.
    """
    device = resolve_device(device)
    params = list(model.parameters())
    sorter = _SavedSorter({id(p) for p in params})
    with sorter.hooks:
        step()
    ledger = _Ledger()
    param_bytes = ledger.claim(params + list(model.buffers()))
    grad_bytes = ledger.claim(p.grad for p in params if p.grad is not None)
    optimizer_bytes = ledger.claim(_state_tensors(optimizer))
    copies = ledger.claim(t for t, copy in sorter.saved if copy)
    activations = ledger.claim(t for t, copy in sorter.saved if not copy)
    sorter.saved.clear()  # let the step's graph go before a second step
    peak = _cuda_peak(step, device) if device.type == "cuda" else None
    return MemoryAccount(param_bytes, grad_bytes, optimizer_bytes, copies, activations, peak)
