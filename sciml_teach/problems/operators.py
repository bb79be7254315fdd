"""The operator-learning problems by name, and the collocation points they are trained on.

Each problem (reaction-diffusion, periodic Burgers, Kirchhoff-Love plate) gives its residual from
the fields a derivative strategy computes (Leng et al. 2024, Sec. 4). Introduced in
notebooks/04_deeponet_amp.ipynb and notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

import torch

from ..checks import check_int
from .burgers_periodic import BurgersPeriodic
from .plate import KirchhoffLovePlate
from .reaction_diffusion import ReactionDiffusion

OPERATOR_PROBLEMS = {"reaction_diffusion": ReactionDiffusion, "burgers": BurgersPeriodic,
                     "plate": KirchhoffLovePlate}


def get_operator_problem(name: str):
    """A problem with default parameters by name; ValueError lists the valid names."""
    if not isinstance(name, str) or name not in OPERATOR_PROBLEMS:
        raise ValueError(f"unknown operator problem {name!r}; valid names: "
                         f"{', '.join(OPERATOR_PROBLEMS)}")
    return OPERATOR_PROBLEMS[name]()


def collocation_points(n_points: int, dims: int = 2,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """Uniform random points in [0, 1]^dims, (N, D), float64, shared by all functions."""
    check_int("n_points", n_points, minimum=1)
    check_int("dims", dims, minimum=1)
    return torch.rand(n_points, dims, generator=generator, dtype=torch.float64)
