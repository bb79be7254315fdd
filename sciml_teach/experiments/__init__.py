"""The runs lessons, panels and benchmarks share: one file per kind of run.

A problem (sciml_teach.problems) does not know how it is trained; these functions put a problem,
a model, a derivative strategy and a precision policy together and run them. Each one that runs
something takes ``device="auto"`` (CUDA when present, else CPU) or a config that names it.
"""
from .amp_practice import (ScaleTrace, clipped_step, clipping_norms, matmul_errors, matmul_times,
                           resume_runs, scale_trace)
from .capstone import Combination, combination_list, combined_savings, step_memory, train_combination
from .ddp_launch import launch_ddp, torchrun_command
from .ddp_runs import DDPConfig, ddp_row, ddp_rows, train_ddp
from .fno_settings import FNOSetting, fno_data, fno_table, fno_table_rows, run_fno_setting
from .memory_budget import available_memory, default_memory_budget
from .memory_runs import pinn_step_account, policy_memory_accounts, strategy_memory_accounts
from .operator_runs import data_loss, physics_loss, relative_error, residual_loss
from .pinn_runs import final_errors, policy_table_rows, seed_table, train_pinn, train_pinn_seeds
from .seed_runs import initial_errors, same_weights, seeded_model, train_seeds
from .remedy_runs import remedy_optimizer, remedy_ratios, train_pinn_remedies
from .strategy_runs import SweepCase, strategy_sweep

__all__ = ["ScaleTrace", "clipped_step", "clipping_norms", "matmul_errors", "matmul_times",
           "resume_runs", "scale_trace",
           "Combination", "combination_list", "combined_savings", "step_memory", "train_combination",
           "FNOSetting", "fno_data", "fno_table", "fno_table_rows", "run_fno_setting",
           "available_memory", "default_memory_budget",
           "pinn_step_account", "policy_memory_accounts", "strategy_memory_accounts",
           "data_loss", "physics_loss", "relative_error", "residual_loss",
           "final_errors", "policy_table_rows", "seed_table", "train_pinn",
           "train_pinn_seeds", "initial_errors", "same_weights", "seeded_model", "train_seeds",
           "remedy_optimizer", "remedy_ratios", "train_pinn_remedies",
           "SweepCase", "strategy_sweep",
           "DDPConfig", "ddp_row", "ddp_rows", "launch_ddp", "torchrun_command", "train_ddp"]
