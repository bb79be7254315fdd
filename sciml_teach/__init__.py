"""sciml_teach: train scientific ML models faster and in less memory -- a course and a library.

Notebooks import only this module. The three results the course is built on:
mixed precision for PINNs/DeepONets (Hayford et al. 2024, arXiv:2401.16645), mixed-precision
Fourier Neural Operators (Tu et al. 2024, arXiv:2307.15034) and Zero Coordinate Shift
(Leng et al. 2024, arXiv:2311.00860).
"""
# Foundation: devices, precision, meters, the training loop (lessons 00-03)
from .capability import CapabilityReport, capability_report
from .course import LESSONS, Lesson, course_rows, lesson, lesson_steps
from .diagnostics import gradient_magnitudes, lost_update_fraction, range_fractions
from .formats import (DTYPES, bit_fields, describe, format_facts, round_to, smallest_surviving_update,
                      ulp, update_survives)
from .meters import (MemoryReading, SavedTensorMeter, TimeStats, format_bytes, measure_memory,
                     memory_kind, saved_bytes, time_fn)
from .metrics import mean_relative_l2, relative_l2
from .placement import model_device, param_dtype, resolve_device, to_model, upcast
from .precision import POLICIES, PrecisionPolicy, get_policy
from .memory_account import MemoryAccount, memory_account
from .half_updates import (HalfUpdates, KahanUpdates, NearestUpdates, StochasticRoundingUpdates,
                           stochastic_round)
from .quick import is_quick, pick, set_quick
from .threads import choose_threads, use_threads
from .tables import format_table
from .train_step import TrainStep
from .training import Callback, History, TrainConfig, train
from .cuda_graphs import CUDAGraphStep
from .experiments.launch_runs import launch_rows
from .experiments.descent import DescentTrace, descent_trace
# Models
from .models import FNO, MLP, DeepONet, DeepONetConfig, FNOConfig, SpectralConv, nonfinite_spectral_layers
# Problems and data
from .data_cache import cache_dir
from .problems import (OPERATOR_PROBLEMS, BurgersPeriodic, BurgersPINN, KirchhoffLovePlate, Poisson1D,
                       ReactionDiffusion, cole_hopf, collocation_points, get_operator_problem, grf_1d,
                       grf_periodic)
# Runs the lessons and benchmarks share: PINNs per policy, operator losses (lessons 02-05)
from .experiments import (ScaleTrace, clipped_step, clipping_norms, matmul_errors, matmul_times,
                          resume_runs, scale_trace)
from .experiments import initial_errors, same_weights, seeded_model, train_seeds
from .experiments import (SweepCase, data_loss, physics_loss, relative_error, residual_loss,
                          strategy_sweep, final_errors, seed_table, train_pinn, train_pinn_seeds)
# The whole memory bill of a step, per policy and per strategy (lessons 03, 05)
from .experiments import pinn_step_account, policy_memory_accounts, strategy_memory_accounts
# Each derivative strategy trained, and its cost against PDE order (lesson 05)
from .experiments.strategy_training import ROUNDING_DRIFT, TrainedCase, order_sweep, trained_accuracy
# Rescuing pure 16-bit training without float32 master weights (end of lesson 02)
from .experiments import remedy_optimizer, remedy_ratios, train_pinn_remedies
# Float16 gradients against float32 gradients: the authors' gradient divergence (lesson 02)
from .experiments.gradient_drift import GradientDrift, gradient_drift, gradient_gap, trajectory_drift
# Derivative strategies for physics-informed DeepONets (lessons 04-05)
from .derivatives import (STRATEGIES, DataVect, DerivativeStrategy, Forward, FuncLoop, ZCS,
                          get_strategy, graph_nodes)
# Stokes flow: a PDE system, three output fields, every strategy per field (lesson 05)
from .models import IndependentDeepONet, OutputTransform
from .problems import StokesCavity, StokesGrid, solve_stokes
from .experiments.stokes_runs import stokes_errors, stokes_model, stokes_rows, train_stokes
# Mixed-precision FNO (lesson 06)
from .half_fft import irfftn_half, rfftn_half
from .experiments import FNOSetting, fno_data, fno_table, run_fno_setting
from .experiments.resolution_errors import (crossover, grf_inputs, on_grid, resolution_errors,
                                           spectral_variant, train_reference_fno)
from .experiments.solver_round_off import solve_burgers_rounded, solver_round_off
from .viz.resolution import error_vs_resolution
# Navier-Stokes, the precision schedule, super-resolution, factorised weights (lesson 06)
from .problems import NavierStokesConfig, navier_stokes_dataset, solve_navier_stokes, taylor_green
from .models.factorized import FactorizedSpectralConv
from .models.fno import set_spectral_precision
from .experiments.fno_schedule import SCHEDULE, schedule_rows, superres_rows, train_schedule
from .experiments.fno_settings import train_fno_setting
from .experiments.contraction_runs import factorized_rows
# Display: live plots, figures, widget panels
from .viz import (FormatExplorer, LivePlot, PrecisionPanel, bar_chart, gradient_histogram, show,
                  summary_table)
from .viz.bars import StrategyPanel, strategy_bars, sweep_curves
from .viz.memory import account_table, memory_bars
# Capstone: ZCS x mixed precision (lesson 07)
from .experiments import (Combination, combination_list, combined_savings, step_memory,
                          train_combination)
from .viz.capstone import CombinationPanel, combination_label, combination_table
# Beyond one device: data parallel with torch.distributed (lesson 08)
from .distributed import (BACKENDS, COMPRESSIONS, World, allreduce_bytes, bf16_allreduce_hook,
                          check_backend, check_split, compression_hook, ddp_device, init_world,
                          leave_world, shard_functions, unwrap_ddp, wrap_ddp)
from .experiments import DDPConfig, ddp_row, ddp_rows, launch_ddp, torchrun_command, train_ddp
from .experiments.ddp_launch import launch_script
from .viz.distributed import ddp_figure

__all__ = [
    "CapabilityReport", "capability_report", "resolve_device",
    "LESSONS", "Lesson", "course_rows", "lesson", "lesson_steps",
    "gradient_magnitudes", "lost_update_fraction", "range_fractions",
    "DTYPES", "bit_fields", "describe", "format_facts", "round_to", "smallest_surviving_update",
    "ulp", "update_survives",
    "MemoryReading", "SavedTensorMeter", "TimeStats", "format_bytes", "measure_memory",
    "memory_kind", "saved_bytes", "time_fn",
    "mean_relative_l2", "relative_l2", "model_device", "param_dtype", "to_model", "upcast",
    "POLICIES", "PrecisionPolicy", "get_policy",
    "MemoryAccount", "memory_account",
    "HalfUpdates", "KahanUpdates", "NearestUpdates", "StochasticRoundingUpdates", "stochastic_round",
    "is_quick", "pick", "set_quick", "format_table", "choose_threads", "use_threads",
    "Callback", "History", "TrainConfig", "TrainStep", "train", "CUDAGraphStep", "launch_rows",
    "DescentTrace", "descent_trace",
    "FNO", "MLP", "DeepONet", "DeepONetConfig", "FNOConfig", "SpectralConv", "nonfinite_spectral_layers",
    "cache_dir",
    "OPERATOR_PROBLEMS", "BurgersPeriodic", "BurgersPINN", "KirchhoffLovePlate", "Poisson1D",
    "ReactionDiffusion", "cole_hopf", "collocation_points", "get_operator_problem",
    "grf_1d", "grf_periodic",
    "SweepCase", "data_loss", "physics_loss", "relative_error", "residual_loss", "strategy_sweep",
    "final_errors", "seed_table", "train_pinn", "train_pinn_seeds",
    "ScaleTrace", "clipped_step", "clipping_norms", "matmul_errors", "matmul_times", "resume_runs",
    "scale_trace", "initial_errors", "same_weights", "seeded_model", "train_seeds",
    "remedy_optimizer", "remedy_ratios", "train_pinn_remedies",
    "GradientDrift", "gradient_drift", "gradient_gap", "trajectory_drift",
    "pinn_step_account", "policy_memory_accounts", "strategy_memory_accounts",
    "STRATEGIES", "DataVect", "DerivativeStrategy", "Forward", "FuncLoop", "ZCS", "get_strategy",
    "graph_nodes",
    "IndependentDeepONet", "OutputTransform", "StokesCavity", "StokesGrid", "solve_stokes",
    "stokes_errors", "stokes_model", "stokes_rows", "train_stokes",
    "irfftn_half", "rfftn_half", "FNOSetting", "fno_data", "fno_table", "run_fno_setting",
    "crossover", "grf_inputs", "on_grid", "resolution_errors", "spectral_variant",
    "train_reference_fno", "solve_burgers_rounded", "solver_round_off", "error_vs_resolution",
    "NavierStokesConfig", "navier_stokes_dataset", "solve_navier_stokes", "taylor_green",
    "FactorizedSpectralConv", "set_spectral_precision", "SCHEDULE", "schedule_rows",
    "superres_rows", "train_schedule", "factorized_rows", "train_fno_setting",
    "FormatExplorer", "LivePlot", "PrecisionPanel", "bar_chart", "gradient_histogram", "show",
    "summary_table", "StrategyPanel", "strategy_bars", "sweep_curves",
    "ROUNDING_DRIFT", "TrainedCase", "order_sweep", "trained_accuracy", "account_table", "memory_bars",
    "Combination", "combination_label", "combination_list", "combination_table", "combined_savings",
    "step_memory", "train_combination", "CombinationPanel",
    "BACKENDS", "COMPRESSIONS", "World", "allreduce_bytes", "bf16_allreduce_hook", "check_backend",
    "check_split", "compression_hook", "ddp_device", "init_world", "leave_world", "shard_functions",
    "unwrap_ddp", "wrap_ddp", "DDPConfig", "ddp_row", "ddp_rows", "launch_ddp", "launch_script",
    "torchrun_command",
    "train_ddp", "ddp_figure",
]
