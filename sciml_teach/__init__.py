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
from .bench.fno import FNOSetting, fno_data, fno_table, run_fno_setting
from .data_cache import cache_dir
from .half_fft import irfftn_half, rfftn_half
from .models import FNO, MLP, FNOConfig, SpectralConv, nonfinite_spectral_layers
from .precision import POLICIES, PrecisionPolicy, get_policy
from .problems import BurgersPINN, Poisson1D, cole_hopf, grf_1d, grf_periodic, relative_l2, train_pinn
from .quick import is_quick, pick
from .training import Callback, History, TrainConfig, param_dtype, train
from .viz import (FormatExplorer, LivePlot, PrecisionPanel, bar_chart, gradient_histogram, show,
                  summary_table)

__all__ = [
    "CapabilityReport", "capability_report", "resolve_device",
    "gradient_magnitudes", "lost_update_fraction", "range_fractions",
    "DTYPES", "bit_fields", "describe", "format_facts", "round_to", "smallest_surviving_update",
    "ulp", "update_survives",
    "MemoryReading", "SavedTensorMeter", "TimeStats", "format_bytes", "measure_memory",
    "memory_kind", "saved_bytes", "time_fn",
    "MLP",
    "cache_dir", "irfftn_half", "rfftn_half",
    "FNOSetting", "fno_data", "fno_table", "run_fno_setting",
    "FNO", "FNOConfig", "SpectralConv", "nonfinite_spectral_layers",
    "POLICIES", "PrecisionPolicy", "get_policy",
    "BurgersPINN", "Poisson1D", "cole_hopf", "grf_1d", "grf_periodic", "relative_l2", "train_pinn",
    "is_quick", "pick",
    "Callback", "History", "TrainConfig", "param_dtype", "train",
    "FormatExplorer", "LivePlot", "PrecisionPanel", "bar_chart", "gradient_histogram", "show",
    "summary_table",
]
