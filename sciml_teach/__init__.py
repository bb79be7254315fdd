"""sciml_teach: train scientific ML models faster and in less memory -- a course and a library.

Notebooks import only this module. The three results the course is built on:
mixed precision for PINNs/DeepONets (Hayford et al. 2024, arXiv:2401.16645), mixed-precision
Fourier Neural Operators (Tu et al. 2024, arXiv:2307.15034) and Zero Coordinate Shift
(Leng et al. 2024, arXiv:2311.00860).
"""
from .capability import CapabilityReport, capability_report, resolve_device
from .diagnostics import gradient_magnitudes, lost_update_fraction, range_fractions
from .formats import (DTYPES, bit_fields, describe, format_facts, round_to, smallest_surviving_update,
                      ulp, update_survives)
from .meters import (MemoryReading, SavedTensorMeter, TimeStats, format_bytes, measure_memory,
                     memory_kind, saved_bytes, time_fn)
from .models import MLP
from .precision import POLICIES, PrecisionPolicy, get_policy
from .problems import BurgersPINN, Poisson1D, cole_hopf, grf_1d, grf_periodic, relative_l2, train_pinn
from .quick import is_quick, pick
from .training import Callback, History, TrainConfig, param_dtype, train
from .viz import (FormatExplorer, LivePlot, PrecisionPanel, bar_chart, gradient_histogram, show,
                  summary_table)

# Operator learning and derivative strategies (issue 3: lessons 04-05).
from .bench.zcs import Case as SweepCase
from .bench.zcs import sweep as strategy_sweep
from .derivatives import (STRATEGIES, DataVect, DerivativeStrategy, Forward, FuncLoop, ZCS,
                          get_strategy, graph_nodes)
from .models import DeepONet, DeepONetConfig
from .problems import (OPERATOR_PROBLEMS, BurgersPeriodic, KirchhoffLovePlate, ReactionDiffusion,
                       collocation_points, data_loss, get_operator_problem, physics_loss,
                       relative_error, residual_loss)
from .viz.bars import StrategyPanel, strategy_bars, sweep_curves

__all__ = [
    "CapabilityReport", "capability_report", "resolve_device",
    "gradient_magnitudes", "lost_update_fraction", "range_fractions",
    "DTYPES", "bit_fields", "describe", "format_facts", "round_to", "smallest_surviving_update",
    "ulp", "update_survives",
    "MemoryReading", "SavedTensorMeter", "TimeStats", "format_bytes", "measure_memory",
    "memory_kind", "saved_bytes", "time_fn",
    "MLP",
    "POLICIES", "PrecisionPolicy", "get_policy",
    "BurgersPINN", "Poisson1D", "cole_hopf", "grf_1d", "grf_periodic", "relative_l2", "train_pinn",
    "is_quick", "pick",
    "Callback", "History", "TrainConfig", "param_dtype", "train",
    "FormatExplorer", "LivePlot", "PrecisionPanel", "bar_chart", "gradient_histogram", "show",
    "summary_table",
]
__all__ += [
    "SweepCase", "strategy_sweep", "StrategyPanel", "strategy_bars", "sweep_curves", "graph_nodes",
    "STRATEGIES", "DataVect", "DerivativeStrategy", "Forward", "FuncLoop", "ZCS", "get_strategy",
    "DeepONet", "DeepONetConfig",
    "OPERATOR_PROBLEMS", "BurgersPeriodic", "KirchhoffLovePlate", "ReactionDiffusion",
    "collocation_points", "data_loss", "get_operator_problem", "physics_loss", "relative_error",
    "residual_loss",
]
