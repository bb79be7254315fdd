"""Models: the PINN MLP, the DeepONet and the FNO (one file each)."""
from .mlp import MLP
from .fno import FNO, FNOConfig, nonfinite_spectral_layers
from .spectral import SpectralConv

__all__ = ["MLP", "FNO", "FNOConfig", "SpectralConv", "nonfinite_spectral_layers"]
