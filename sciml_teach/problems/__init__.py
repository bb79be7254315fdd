"""PDE problems, one per file: residuals written like the equations, samplers, reference solvers."""
from .burgers_pinn import BurgersPINN, cole_hopf
from .burgers_trajectories import (BurgersConfig, burgers_dataset, cole_hopf_solution,
                                   solve_burgers)
from .darcy import DarcyConfig, darcy_coefficients, darcy_dataset, solve_darcy
from .grf import grf_1d, grf_periodic
from .pinn import relative_l2, train_pinn
from .poisson1d import Poisson1D

__all__ = ["BurgersPINN", "cole_hopf", "grf_1d", "grf_periodic", "relative_l2", "train_pinn",
           "Poisson1D",
           "BurgersConfig", "burgers_dataset", "cole_hopf_solution", "solve_burgers",
           "DarcyConfig", "darcy_coefficients", "darcy_dataset", "solve_darcy"]
