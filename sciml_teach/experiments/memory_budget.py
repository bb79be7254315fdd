"""How much memory a sweep may plan to use: free GPU memory, or the RAM the system can spare.

The strategy sweep skips configurations predicted to exceed this budget (``over_budget`` rows)
instead of running the machine out of memory (Leng et al. 2024, Sec. 4.4 ran FuncLoop out of GPU
memory). Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

import os
import warnings

import torch

from ..quick import pick

FALLBACK_BYTES = 4 * 2**30  # assumed available RAM when the system does not say


def available_memory() -> int:
    """Bytes of RAM available to new processes: psutil's figure where psutil is installed (every
    platform), else the free pages POSIX reports, else ``FALLBACK_BYTES`` with a warning."""
    try:
        import psutil  # optional: not a dependency of the package
    except ImportError:
        psutil = None
    if psutil is not None:
        return int(psutil.virtual_memory().available)
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf; some names are missing
        warnings.warn(f"cannot read the available RAM; assuming {FALLBACK_BYTES / 2**30:.0f} GiB "
                      "(pip install psutil for a real figure)", stacklevel=2)
        return FALLBACK_BYTES


def default_memory_budget(device: torch.device) -> int:
    """Half the free GPU memory, or a quarter of the available RAM (saved bytes are not all of a
    step's memory, and the machine may be shared); at most 4 GiB in quick mode, which must stay
    light on a laptop."""
    if device.type == "cuda":
        free = torch.cuda.mem_get_info(device)[0] // 2
    else:
        free = available_memory() // 4
    return pick(min(free, 4 * 2**30), free)
