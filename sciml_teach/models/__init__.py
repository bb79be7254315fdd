"""Models: the PINN MLP, the DeepONet and the FNO (one file each)."""
from .deeponet import DeepONet, DeepONetConfig
from .fno import FNO, FNOConfig, nonfinite_spectral_layers
from .mlp import MLP
from .multi_output import IndependentDeepONet, OutputTransform
from .spectral import SpectralConv

__all__ = ["MLP", "DeepONet", "DeepONetConfig", "FNO", "FNOConfig", "SpectralConv",
           "nonfinite_spectral_layers", "IndependentDeepONet", "OutputTransform"]
