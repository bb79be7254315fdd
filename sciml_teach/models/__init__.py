"""Models: the PINN MLP, the DeepONet and the FNO (one file each)."""
from .mlp import MLP

__all__ = ["MLP"]

from .deeponet import DeepONet, DeepONetConfig  # issue 3

__all__ += ["DeepONet", "DeepONetConfig"]
