"""Models: the PINN MLP, the DeepONet and the FNO (one file each)."""
from .mlp import MLP

__all__ = ["MLP"]
