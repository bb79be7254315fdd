"""PDE problems, one per file: residuals written like the equations, samplers, reference solvers."""
from .burgers_pinn import BurgersPINN, cole_hopf
from .grf import grf_1d, grf_periodic
from .pinn import relative_l2, train_pinn
from .poisson1d import Poisson1D

__all__ = ["BurgersPINN", "cole_hopf", "grf_1d", "grf_periodic", "relative_l2", "train_pinn",
           "Poisson1D"]
