"""PDE problems, one per file: residuals written like the equations, samplers, reference solvers."""
from .burgers_trajectories import (BurgersConfig, burgers_dataset, cole_hopf_solution,
                                   solve_burgers)
from .darcy import DarcyConfig, darcy_coefficients, darcy_dataset, solve_darcy
from .grf import grf_1d, grf_periodic

__all__ = ["grf_1d", "grf_periodic",
           "BurgersConfig", "burgers_dataset", "cole_hopf_solution", "solve_burgers",
           "DarcyConfig", "darcy_coefficients", "darcy_dataset", "solve_darcy"]
