"""The Fourier Neural Operator (Li et al. 2021, arXiv:2010.08895) with a choice of spectral precision.

Lifting, L Fourier layers ``v <- act(W v + K v)`` (K the spectral convolution of
:mod:`sciml_teach.models.spectral`), projection. The spectral layers can run in full, mixed or
half precision with an optional tanh stabiliser (Tu et al. 2024, arXiv:2307.15034, Sec. 4).
Introduced in notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from ..checks import check_choice, check_int, check_tensor
from ..half_fft import HALF_DTYPES
from .spectral import PRECISIONS, STABILIZERS, FourierLayerBase, SpectralConv


@dataclass(frozen=True)
class FNOConfig:
    in_channels: int = 1                # channels of the input function (grid coordinates are added)
    out_channels: int = 1               # channels of the output function
    modes: tuple[int, ...] = (16,)      # Fourier modes kept per axis; its length is the dimension
    width: int = 32                     # channels C of the Fourier layers
    layers: int = 4                     # number of Fourier layers L
    projection: int = 64                # hidden width of the projection
    precision: str = "full"             # spectral precision: "full", "mixed" or "half"
    stabilizer: str = "none"            # "none" or "tanh" (tanh just before each forward FFT)
    half_dtype: torch.dtype | None = None  # half parts' dtype; None: autocast's, else float16

    def __post_init__(self):
        for name in ["in_channels", "out_channels", "width", "layers", "projection"]:
            check_int(f"FNOConfig.{name}", getattr(self, name), minimum=1)
        modes = tuple(self.modes) if isinstance(self.modes, (list, tuple)) else (self.modes,)
        if len(modes) not in (1, 2):
            raise ValueError(f"FNOConfig.modes must hold 1 or 2 mode counts (a 1-D or 2-D grid), "
                             f"got {self.modes!r}")
        for i, m in enumerate(modes):
            check_int(f"FNOConfig.modes[{i}]", m, minimum=1)
        object.__setattr__(self, "modes", modes)  # a list becomes a tuple: still hashable
        check_choice("FNOConfig.precision", self.precision, PRECISIONS)
        check_choice("FNOConfig.stabilizer", self.stabilizer, STABILIZERS)
        if self.half_dtype is not None and self.half_dtype not in HALF_DTYPES:
            raise ValueError(f"FNOConfig.half_dtype must be None, torch.float16 or torch.bfloat16, "
                             f"got {self.half_dtype!r}")


def _pointwise(dims: int, c_in: int, c_out: int) -> nn.Module:
    """A linear map of the channels at every grid point (a 1x1 convolution)."""
    return (nn.Conv1d if dims == 1 else nn.Conv2d)(c_in, c_out, kernel_size=1)


def grid_coordinates(sizes: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
    """The uniform grid of [0, 1)^D as D channels: (1, D, *N)."""
    axes = [torch.arange(n, device=like.device, dtype=like.dtype) / n for n in sizes]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"))[None]      # (1, D, *N)


class FNOLayer(nn.Module):
    """One Fourier layer: ``act(W v + K v)`` with W pointwise and K spectral."""

    def __init__(self, config: FNOConfig, activation: bool):
        super().__init__()
        dims, width = len(config.modes), config.width
        self.spectral = SpectralConv(width, width, config.modes, config.precision,
                                     config.stabilizer, config.half_dtype)
        self.pointwise = _pointwise(dims, width, width)
        self.activation = nn.GELU() if activation else nn.Identity()

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        w_v = self.pointwise(v)                                   # (B, C, *N), autocast's dtype
        # The spectral part may come back in float16 while autocast computes in bfloat16: their
        # sum would promote to float32 and double the memory, so it follows the pointwise dtype.
        return self.activation(w_v + self.spectral(v).to(w_v.dtype))  # (B, C, *N)


class FNO(nn.Module):
    """Fourier Neural Operator on a 1-D or 2-D uniform grid: (B, in, *N) -> (B, out, *N)."""

    def __init__(self, config: FNOConfig = FNOConfig()):
        super().__init__()
        self.config = config
        dims = len(config.modes)
        self.lift = _pointwise(dims, config.in_channels + dims, config.width)
        self.layers = nn.ModuleList(FNOLayer(config, activation=i < config.layers - 1)
                                    for i in range(config.layers))
        self.project = nn.Sequential(_pointwise(dims, config.width, config.projection), nn.GELU(),
                                     _pointwise(dims, config.projection, config.out_channels))

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        """(B, in_channels, *N) -> (B, out_channels, *N). Steps:

        1. append the grid coordinates as channels: (B, in + D, *N);
        2. lift to ``width`` channels with a pointwise linear map;
        3. apply the L Fourier layers, ``v <- GELU(W v + K v)`` (no GELU after the last);
        4. project back with pointwise linear -> GELU -> pointwise linear.

        ``a`` is checked, never converted (as every model in the course): on the model's device
        and, outside autocast, in its weights' dtype -- pass ``st.to_model(model, a)``. A batch of
        B = 0 inputs gives an empty (0, out_channels, *N) batch under every spectral precision.
        """
        dims = len(self.config.modes)
        check_tensor("a", a, like=self.lift.weight)
        if a.dim() != 2 + dims or a.shape[1] != self.config.in_channels:
            raise ValueError(f"FNO expects (B, {self.config.in_channels}, *N) with {dims} grid "
                             f"axes, got {tuple(a.shape)}")
        grid = grid_coordinates(tuple(a.shape[2:]), a).expand(a.shape[0], -1, *a.shape[2:])
        v = self.lift(torch.cat([a, grid], dim=1))                # (B, C, *N)
        for layer in self.layers:
            v = layer(v)                                          # (B, C, *N)
        return self.project(v)                                    # (B, out, *N)


def set_spectral_precision(model: nn.Module, precision: str) -> None:
    """Switch every spectral layer of ``model`` (and an FNO's config) to ``precision``, in place.

    The seam of the precision schedule (Tu et al. 2024, arXiv:2307.15034; their training code
    switches the Fourier layers half -> mixed -> full at two chosen epochs): the weights are
    float32 in every precision, so training simply continues. Lesson 06, Navier-Stokes section.
    """
    check_choice("precision", precision, PRECISIONS)
    for module in model.modules():
        if isinstance(module, FourierLayerBase):
            module.precision = precision
        if isinstance(module, FNO):
            module.config = replace(module.config, precision=precision)


def nonfinite_spectral_layers(model: nn.Module, a: torch.Tensor) -> list[str]:
    """Names of the spectral layers whose output has inf/NaN on input ``a`` (run without grad).

    This is what the benchmark calls ``overflow``: a half-precision spectrum beyond 65504 turns
    into inf, and the inverse FFT spreads it as inf/NaN over the whole grid. Call it inside the
    same autocast context as training.
    """
    bad: list[str] = []
    hooks = [module.register_forward_hook(
                 lambda mod, inp, out, name=name: bad.append(name) if not torch.isfinite(out).all()
                 else None)
             for name, module in model.named_modules() if isinstance(module, FourierLayerBase)]
    try:
        with torch.no_grad():
            model(a)
    finally:
        for hook in hooks:
            hook.remove()
    return bad
