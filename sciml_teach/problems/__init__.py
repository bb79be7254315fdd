"""PDE problems, one per file: residuals written like the equations, samplers, reference solvers."""
from .grf import grf_1d, grf_periodic

__all__ = ["grf_1d", "grf_periodic"]
