"""PDE problems, one per file: residuals written like the equations, samplers, reference solvers."""
# PINN problems (lessons 02-03)
from .burgers_pinn import BurgersPINN, cole_hopf
from .grf import grf_1d, grf_periodic
from .poisson1d import Poisson1D
# FNO data (lesson 06)
from .burgers_trajectories import (BurgersConfig, burgers_dataset, cole_hopf_solution,
                                   solve_burgers)
from .darcy import DarcyConfig, darcy_coefficients, darcy_dataset, solve_darcy
from .navier_stokes import (NavierStokesSolution, initial_vorticity, li_forcing,
                            solve_navier_stokes, taylor_green)
from .navier_stokes_data import NavierStokesConfig, navier_stokes_dataset
# Operator learning with DeepONets (lessons 04-05)
from .burgers_periodic import BurgersPeriodic
from .operators import OPERATOR_PROBLEMS, collocation_points, get_operator_problem
from .plate import KirchhoffLovePlate
from .reaction_diffusion import ReactionDiffusion
# Stokes flow, a PDE system with three output fields (lesson 05)
from .stokes import StokesCavity
from .stokes_solver import StokesGrid, solve_stokes

__all__ = ["BurgersPINN", "cole_hopf", "grf_1d", "grf_periodic", "Poisson1D",
           "BurgersConfig", "burgers_dataset", "cole_hopf_solution", "solve_burgers",
           "DarcyConfig", "darcy_coefficients", "darcy_dataset", "solve_darcy",
           "NavierStokesSolution", "initial_vorticity", "li_forcing", "solve_navier_stokes",
           "taylor_green", "NavierStokesConfig", "navier_stokes_dataset",
           "BurgersPeriodic", "KirchhoffLovePlate", "ReactionDiffusion", "OPERATOR_PROBLEMS",
           "collocation_points", "get_operator_problem", "StokesCavity", "StokesGrid", "solve_stokes"]
