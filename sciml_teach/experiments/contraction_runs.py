"""The half spectral contraction, two ways, measured against each other.

Tu et al. 2024 (arXiv:2307.15034, Sec. 4.1) write the half-precision complex product of a Fourier
layer as a three-operand einsum over real pairs -- spectrum, weights and a 2x2x2 table of the
complex multiplication rule -- and choose its pairwise order by a path search (opt_einsum). The
course's layer (:func:`sciml_teach.models.spectral.contract_pairs`) writes the same product as
one batched real matrix product per mode, [Re x, Im x] @ [[Re w, Im w], [-Im w, Re w]]. This
module keeps the einsum form as the candidate it replaced, checks that both give the complex
product, and times forward + backward of each (``python -m sciml_teach.bench gpu-report`` runs it
on the GPU, where the block form runs on tensor cores). Introduced in
notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

import functools
import itertools
import math
import statistics
import time
from typing import Callable

import opt_einsum
import torch

from ..models.factorized import FactorizedSpectralConv, half_equation, naive_path, pair_block
from ..models.spectral import contract_pairs
from ..placement import resolve_device

# COMPLEX_MULT[i, j, l]: how component i of x (0 real, 1 imag) times component j of w adds to
# component l of x*w: (a + ib)(c + id) = (ac - bd) + i(ad + bc).
COMPLEX_MULT = [[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [-1.0, 0.0]]]
EQUATIONS = {1: "bcxi,coxj,ijl->boxl", 2: "bcxyi,coxyj,ijl->boxyl"}
CANDIDATES = ("einsum-table", "block-bmm")


@functools.lru_cache(maxsize=64)
def contraction_path(equation: str, shapes: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, int], ...]:
    """The cheapest pairwise order for the 3-operand einsum, by opt_einsum's cost model.

    Several orders often cost the same flops; ties go to the order that does not touch operand 0
    (the batch of spectra) first, because a batch-sized intermediate is kept for backward.
    A pure function of the shapes, so caching it is safe.
    """
    def cost(pair):
        path = [pair, (0, 1)]
        return opt_einsum.contract_path(equation, *shapes, shapes=True, optimize=path)[1].opt_cost
    best = min(itertools.combinations(range(3), 2), key=lambda p: (cost(p), 0 in p))
    return (best, (0, 1))


def contract_einsum(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The replaced candidate: x (B, C, *K, 2), weight (C, O, *K, 2) -> (B, O, *K, 2) by a
    three-operand einsum with the complex-multiplication table, in the path-searched order."""
    equation = EQUATIONS[x.dim() - 3]
    table = torch.tensor(COMPLEX_MULT, dtype=x.dtype, device=x.device)   # (2, 2, 2)
    operands = (x, weight.to(x.dtype), table)
    path = contraction_path(equation, tuple(tuple(op.shape) for op in operands))
    return opt_einsum.contract(equation, *operands, optimize=list(path), backend="torch")


_CONTRACT = {"einsum-table": contract_einsum, "block-bmm": contract_pairs}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_contraction(candidate: str, x: torch.Tensor, weight: torch.Tensor, repeats: int = 20) -> float:
    """Median seconds of forward + backward of ``candidate`` on (x, weight)."""
    contract = _CONTRACT[candidate]
    times = []
    for _ in range(repeats + 3):                        # 3 warm-up calls (kernel choice, caches)
        _sync(x.device)
        start = time.perf_counter()
        contract(x, weight).float().sum().backward()
        _sync(x.device)
        times.append(time.perf_counter() - start)
    return statistics.median(times[3:])


def saved_beyond(fn: Callable[[], object], parameter: torch.Tensor) -> int:
    """Bytes autograd saves while ``fn()`` runs (each storage once), leaving out ``parameter``'s
    own storage: a model holds its weights anyway, so keeping them for backward costs nothing,
    while a half copy of them (what the einsum keeps) is memory of its own."""
    kept: dict[tuple, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        kept[(t.device, t.untyped_storage().data_ptr())] = t.untyped_storage().nbytes()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()      # the graph, and all it kept, lives until fn() returns: no address is reused
    kept.pop((parameter.device, parameter.untyped_storage().data_ptr()), None)
    return sum(kept.values())


def contraction_rows(batch: int, channels: int, modes: tuple[int, ...],
                     dtype: torch.dtype = torch.float16, device: torch.device | str = "auto",
                     repeats: int = 20) -> list[dict]:
    """One row per candidate at this size: time of forward + backward, bytes kept for backward
    (beyond the weight parameter itself, see :func:`saved_beyond`) and the largest relative
    difference from the complex64 product. ``modes`` is the kept block
    (*K), e.g. (64, 32) for 32 modes per axis in 2-D (both signs of the first frequency)."""
    device = resolve_device(device)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, channels, *modes, 2, generator=generator).to(device, dtype)
    weight = (torch.rand(channels, channels, *modes, 2, generator=generator) / channels).to(device)
    x.requires_grad_(True)
    weight.requires_grad_(True)
    exact = torch.einsum("bc...,co...->bo...", torch.view_as_complex(x.detach().float()),
                         torch.view_as_complex(weight.detach()))          # (B, O, *K) complex64
    rows = []
    for candidate in CANDIDATES:
        out = torch.view_as_complex(_CONTRACT[candidate](x, weight).detach().float().contiguous())
        rows.append({"candidate": candidate, "dtype": str(dtype).removeprefix("torch."),
                     "batch": batch, "channels": channels, "modes": "x".join(map(str, modes)),
                     "device": device.type,
                     "seconds": time_contraction(candidate, x, weight, repeats),
                     "saved_bytes": saved_beyond(lambda: _CONTRACT[candidate](x, weight), weight),
                     "max_rel_diff": float((out - exact).abs().max() / exact.abs().max())})
    return rows


ORDERS = ("naive", "greedy", "optimal")   # left to right, and opt_einsum's two path searches


def order_path(order: str, equation: str, shapes) -> list[tuple[int, int]]:
    """The pairwise contraction order named ``order`` for an einsum of operands of ``shapes``."""
    if order == "naive":
        return naive_path(len(shapes))
    return list(opt_einsum.contract_path(equation, *shapes, shapes=True, optimize=order)[0])


def intermediate_sizes(equation: str, shapes, path) -> list[int]:
    """Elements of each intermediate the pairwise ``path`` creates (the last is the output)."""
    info = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize=path)[1]
    return [math.prod(info.size_dict[c] for c in entry[2].split("->")[1])
            for entry in info.contraction_list]


def factorized_rows(batch: int, channels: int, modes: tuple[int, ...], rank: int,
                    dtype: torch.dtype = torch.float16, device: torch.device | str = "auto",
                    repeats: int = 20) -> list[dict]:
    """The CP-factorised (TFNO) half contraction in each order of :data:`ORDERS`: the bytes of
    its intermediates (their sum and the largest, the output excluded), opt_einsum's flop count,
    forward + backward time and the largest relative difference from the complex128 product
    with the dense weight rebuilt from the factors. ``modes`` is the kept block (*K)."""
    device = resolve_device(device)
    torch.manual_seed(0)
    layer = FactorizedSpectralConv(channels, channels, (modes[0] // 2, modes[1]) if len(modes) == 2
                                   else modes, rank)
    x = torch.randn(batch, channels, *modes, 2).to(device, dtype).requires_grad_(True)
    factors = [f.to(device).detach().requires_grad_(True) for f in layer.factors]
    dense = torch.view_as_complex(layer.dense_weight().detach().double())   # (C, O, *K)
    exact = torch.einsum("bc...,co...->bo...", torch.view_as_complex(x.detach().double()),
                         dense.to(device))                                # (B, O, *K) complex128
    equation = half_equation(len(modes))
    shapes = [tuple(x.shape)] + [tuple(f.shape) + (2,) for f in factors]   # blocks: (..., 2, 2)
    rows, size = [], torch.finfo(dtype).bits // 8
    for order in ORDERS:
        path = order_path(order, equation, shapes)
        sizes = intermediate_sizes(equation, shapes, path)[:-1]

        def contract():
            blocks = [pair_block(f, dtype) for f in factors]
            return opt_einsum.contract(equation, x, *blocks, optimize=path, backend="torch")
        out = torch.view_as_complex(contract().detach().double().contiguous())
        seconds = _time(lambda: contract().float().sum().backward(), device, repeats)
        rows.append({"candidate": f"cp-{order}", "dtype": str(dtype).removeprefix("torch."),
                     "batch": batch, "channels": channels, "modes": "x".join(map(str, modes)),
                     "rank": rank, "device": device.type, "path": str(path),
                     "intermediate_bytes": size * sum(sizes),
                     "largest_intermediate_bytes": size * max(sizes),
                     "flops": opt_einsum.contract_path(equation, *shapes, shapes=True,
                                                       optimize=path)[1].opt_cost,
                     "seconds": seconds,
                     "max_rel_diff": float((out - exact).abs().max() / exact.abs().max())})
    return rows


def _time(step: Callable[[], object], device: torch.device, repeats: int) -> float:
    """Median seconds of ``step()`` after 2 warm-up calls."""
    times = []
    for _ in range(repeats + 2):
        _sync(device)
        start = time.perf_counter()
        step()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times[2:])
