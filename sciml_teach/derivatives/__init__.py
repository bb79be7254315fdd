"""Derivative strategies for physics-informed DeepONets: FuncLoop, DataVect, ZCS and forward mode.

All four return identical fields; they differ in memory and time (Leng et al. 2024,
arXiv:2311.00860). Pick one by name with :func:`get_strategy`.
Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

from .base import DerivativeStrategy, Request, derivative_tree, graph_nodes, normalise_requests
from .datavect import DataVect
from .forward import Forward
from .funcloop import FuncLoop
from .zcs import ZCS

STRATEGIES: dict[str, type[DerivativeStrategy]] = {
    cls.name: cls for cls in [FuncLoop, DataVect, ZCS, Forward]
}


def get_strategy(strategy: str | DerivativeStrategy) -> DerivativeStrategy:
    """A strategy by name ("funcloop", "datavect", "zcs", "forward"); objects pass through."""
    if isinstance(strategy, DerivativeStrategy):
        return strategy
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        raise ValueError(f"unknown derivative strategy {strategy!r}; valid names: "
                         f"{', '.join(STRATEGIES)}")
    return STRATEGIES[strategy]()


__all__ = ["DerivativeStrategy", "Request", "derivative_tree", "graph_nodes", "normalise_requests",
           "FuncLoop", "DataVect", "ZCS", "Forward", "STRATEGIES", "get_strategy"]
