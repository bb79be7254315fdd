"""FNO settings: full vs mixed vs half spectral layers, with and without tanh.

Tu et al. 2024 (arXiv:2307.15034), Sec. 5 / Table 1 on your hardware: an FNO trained on Darcy
flow, 2-D Navier-Stokes (both from our own solvers) or 1-D Burgers under each spectral precision, with and without the tanh stabiliser, with
the foundation's AMP policy around it. A stress setting multiplies the inputs by
``--stress-scale`` (the same data in other units): the un-stabilised float16 spectrum overflows.

Status: ``overflow`` -- a forward pass on the training inputs gives inf/NaN in a spectral layer
(checked before training, which is then skipped); ``diverged``/``stalled`` -- as the training loop
reports; ``oom``; otherwise ``ok``. The spectral layers' half dtype is float16 everywhere, because
float16's 65504 is what overflows; on CPU the rest of the network uses bfloat16 autocast
(float16 matmuls are ~100x slower than float32 on most CPUs). Lesson 06 and
``python -m sciml_teach.bench fno`` run these functions. Introduced in
notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from ..checks import check_bool, check_choice, check_float
from ..placement import resolve_device
from ..metrics import mean_relative_l2
from ..models import FNO, FNOConfig, nonfinite_spectral_layers
from ..models.spectral import PRECISIONS, STABILIZERS
from ..placement import to_model, upcast
from ..precision import get_policy
from ..progress import progress
from ..problems import (BurgersConfig, DarcyConfig, NavierStokesConfig, burgers_dataset,
                        darcy_dataset, navier_stokes_dataset)
from ..quick import pick
from ..tables import format_table
from ..training import Callback, TrainConfig, train

COLUMNS = ["size", "resolution", "width", "modes", "batch", "seed", "input_scale",
           "spectral_precision", "stabilizer", "policy", "status", "rel_l2_error", "throughput",
           "memory_bytes", "memory_ratio", "note"]

TABLE_WIDTH = 100  # characters: a notebook's output shows about this many before wrapping
ERROR_POINTS = 10  # test-error evaluations per run (the live plot's error curve)

@dataclass(frozen=True)
class FNOSetting:
    precision: str            # spectral precision: "full", "mixed" or "half"
    stabilizer: str           # "none" or "tanh"
    amp: bool                 # False: fp32 policy; True: the device's AMP policy
    input_scale: float = 1.0  # inputs are multiplied by this (the stress setting uses > 1)

    def __post_init__(self):
        check_choice("FNOSetting.precision", self.precision, PRECISIONS)
        check_choice("FNOSetting.stabilizer", self.stabilizer, STABILIZERS)
        check_bool("FNOSetting.amp", self.amp)
        check_float("FNOSetting.input_scale", self.input_scale, positive=True)


SIZE_NAMES = ("lesson", "busy")
PROBLEMS = ("darcy", "burgers", "navier-stokes")   # what fno_data generates


@dataclass(frozen=True)
class FNOSize:
    """How big one FNO run is: the grid, the network and the batch (2-D: Darcy or Navier-Stokes).

    ``lesson`` is the size lessons and the default benchmark train; ``busy`` is one where the
    arithmetic, not kernel launches, sets a GPU's step time: 256 x 256 grid, 64 channels, 32
    modes per axis and a batch of 32 -- each activation is 32 x 64 x 256^2 values (0.5 GiB in
    float32), each spectral weight 64 x 64 x 64 x 32 complex numbers, so a step moves tens of GB
    and an H100 cannot hide it behind launch latency (at the lesson size a step is ~10 ms
    whatever the precision: launch-bound). Quick mode shrinks both to CPU sizes.
    """
    name: str                          # "lesson" or "busy"
    resolution: int | None             # Darcy cells per side (None: fno_data's default)
    modes: tuple[int, ...] | None      # Fourier modes per axis (None: fno_data's default)
    width: int                         # channels of the Fourier layers
    batch: int                         # training batch
    samples: tuple[int, int] | None    # (train, test) samples (None: fno_data's default)


def fno_size(name: str) -> FNOSize:
    """The ``lesson`` or ``busy`` size, in the current mode (quick or full)."""
    check_choice("size", name, SIZE_NAMES)
    if name == "lesson":
        return FNOSize("lesson", None, None, pick(24, 32), pick(16, 32), None)
    return FNOSize("busy", pick(64, 256), pick((16, 16), (32, 32)), pick(16, 64), pick(8, 32),
                   pick((24, 8), (160, 40)))


def settings(stress_scale: float) -> list[FNOSetting]:
    """Baseline, naive AMP, mixed and half +/- tanh; then the stress setting without and with tanh."""
    normal = [FNOSetting("full", "none", False), FNOSetting("full", "none", True)]
    normal += [FNOSetting(p, s, True) for p in ("mixed", "half") for s in ("none", "tanh")]
    stress = [FNOSetting(p, "none", True, stress_scale) for p in ("mixed", "half")]
    return normal + stress + [FNOSetting("mixed", "tanh", True, stress_scale)]


def setting_name(setting: FNOSetting) -> str:
    """'full-fp32', 'mixed-tanh', 'stress-half', ...: how ``--settings`` names a setting."""
    name = f"{setting.precision}{'-tanh' if setting.stabilizer == 'tanh' else ''}"
    name = f"{name}-{'amp' if setting.amp else 'fp32'}" if setting.precision == "full" else name
    return f"stress-{name}" if setting.input_scale != 1.0 else name


SETTING_NAMES = ("full-fp32", "full-amp", "mixed", "mixed-tanh", "half", "half-tanh",
                 "stress-mixed", "stress-half", "stress-mixed-tanh")


def policy_name(setting: FNOSetting, device: torch.device) -> str:
    """fp32, or the device's AMP policy: float16 on CUDA, bfloat16 on CPU (float16 is slow there)."""
    if not setting.amp:
        return "fp32"
    return "amp-fp16" if device.type == "cuda" else "amp-bf16"


def fno_data(problem: str, resolution: int | None = None,
             samples: tuple[int, int] | None = None, modes: tuple[int, ...] | None = None) -> dict:
    """Normalised train/test tensors (B, 1, *N) for ``problem`` (one of :data:`PROBLEMS`), the
    FNO's modes, an input scale at which un-stabilised float16 spectra overflow, and the
    normalisation (``a_mean``, ``a_std``, ``u_std``) that other resolutions' data must share.

    ``resolution`` (2-D grid points per side; default 32 quick, 64 full) and ``samples`` (train,
    test; default 96/32 quick, 1000/200 full) size the data set; the GPU report uses 128x128.
    ``modes`` overrides the Fourier modes per axis (2-D: 16 from 128 points on, else 8 quick,
    12 full; the busy size keeps 32). Navier-Stokes learns w(0) -> w(1) (Li et al.'s set-up,
    :mod:`sciml_teach.problems.navier_stokes_data`).
    """
    check_choice("problem", problem, PROBLEMS)
    n_train, n_test = samples or (pick(96, 1000), pick(32, 200))
    if min(n_train, n_test) < 1:
        raise ValueError(f"samples must be two positive counts (train, test), got {samples!r}")
    if problem in ("darcy", "navier-stokes"):
        n = resolution or pick(32, 64)
        modes = tuple(modes) if modes else (16, 16) if n >= 128 else pick((8, 8), (12, 12))
        stress = 1e3
        if n < 2 * modes[0]:  # say so before solving hundreds of PDEs, not in the first layer
            raise ValueError(f"resolution {n} is too coarse for {modes} Fourier modes: use a "
                             f"resolution of at least {2 * modes[0]}")
        if problem == "darcy":
            data = darcy_dataset(n_train + n_test, DarcyConfig(resolution=n))
            a, u = data["a"], data["u"]                               # (M, n, n)
        else:
            data = navier_stokes_dataset(n_train + n_test, NavierStokesConfig(resolution=n))
            a, u = data["w0"], data["w1"]                             # (M, n, n)
    else:
        config = BurgersConfig(resolution=pick(64, 256), solver_resolution=pick(256, 1024),
                               dt=pick(2e-3, 1e-3))
        data = burgers_dataset(n_train + n_test, config)
        a, u = data["u0"], data["u"]                                  # (M, N)
        modes, stress = tuple(modes) if modes else pick((12,), (16,)), 1e4  # 64-256 points: a
        #                                                  DFT grows values less than 2-D
    a, u = a[:, None], u[:, None]                                     # (M, 1, *N)
    a_mean, a_std, u_std = a[:n_train].mean().item(), a[:n_train].std().item(), u[:n_train].std().item()
    a, u = (a - a_mean) / a_std, u / u_std
    return {"a_train": a[:n_train], "u_train": u[:n_train], "a_test": a[n_train:],
            "u_test": u[n_train:], "modes": modes, "resolution": a.shape[-1], "problem": problem,
            "stress_scale": stress, "a_mean": a_mean, "a_std": a_std, "u_std": u_std}


def loss_and_error(data: dict, scale: float, batch: int, device: torch.device, seed: int = 0):
    """A minibatch MSE loss and the test relative L2 error, for :func:`sciml_teach.train`.

    Inputs go to the model's device and dtype; targets stay float32 and the loss is reduced in
    at least float32 (float64 for a float64 model).
    """
    a_train, u_train = (scale * data["a_train"]).to(device), data["u_train"].to(device)
    a_test, u_test = (scale * data["a_test"]).to(device), data["u_test"].to(device)
    generator = torch.Generator().manual_seed(seed)

    def loss_fn(model):
        idx = torch.randint(len(a_train), (batch,), generator=generator).to(device)  # (B,)
        pred = model(*to_model(model, a_train[idx]))                  # (B, 1, *N)
        return (upcast(pred) - u_train[idx]).square().mean()

    def error_fn(model):
        pred = model(*to_model(model, a_test))                         # (M, 1, *N)
        return mean_relative_l2(pred, u_test)
    return loss_fn, error_fn


def fno_model(setting: FNOSetting, data: dict, width: int, seed: int = 0) -> FNO:
    """The benchmark's FNO for ``setting`` on ``data``: 4 Fourier layers of ``width`` channels,
    the data's modes, float16 spectral parts; its weights drawn from ``seed``."""
    torch.manual_seed(seed)
    return FNO(FNOConfig(modes=data["modes"], width=width, layers=4, projection=pick(64, 128),
                         precision=setting.precision, stabilizer=setting.stabilizer,
                         half_dtype=torch.float16))


def run_fno_setting(setting: FNOSetting, data: dict, device: torch.device | str = "auto",
                    steps: int | None = None, callbacks: Sequence[Callback] = (),
                    memory: str = "autograd_saved", seed: int = 0, width: int | None = None,
                    batch: int | None = None) -> dict:
    """Train one configuration on ``data`` (from :func:`fno_data`) and return its row (the
    arguments as :func:`train_fno_setting`'s)."""
    return train_fno_setting(setting, data, device, steps, callbacks, memory, seed, width, batch)[0]


def train_fno_setting(setting: FNOSetting, data: dict, device: torch.device | str = "auto",
                      steps: int | None = None, callbacks: Sequence[Callback] = (),
                      memory: str = "autograd_saved", seed: int = 0, width: int | None = None,
                      batch: int | None = None) -> tuple[dict, FNO]:
    """Train one configuration on ``data`` (from :func:`fno_data`): its row and the trained FNO.

    ``steps`` defaults to 150 in quick mode and 2000 otherwise; ``callbacks`` go to the
    training loop (a live plot, for instance). ``device="auto"`` picks CUDA when present.
    ``memory`` is the TrainConfig.memory_kind: bytes saved for backward (lesson 06, the same on
    every machine) or "auto" (the CUDA peak on a GPU: the benchmark). ``seed`` draws the initial
    weights and the batch order: settings run with the same seed start from the same weights.
    ``width`` (channels) and ``batch`` default to 24 and 16 in quick mode, 32 and 32 otherwise.
    """
    device = resolve_device(device)
    policy = get_policy(policy_name(setting, device))
    width, batch = width or pick(24, 32), batch or pick(16, 32)
    row = {"problem": data["problem"], "resolution": data["resolution"], "width": width,
           "modes": "x".join(map(str, data["modes"])), "batch": batch,
           "input_scale": setting.input_scale, "spectral_precision": setting.precision,
           "stabilizer": setting.stabilizer, "policy": policy.name, "half_dtype": "float16",
           "rel_l2_error": math.nan, "throughput": math.nan, "memory_bytes": None, "note": "",
           "seed": seed}
    model = fno_model(setting, data, width, seed).to(device)
    probe = (setting.input_scale * data["a_train"][:batch]).to(device)
    with policy.autocast_context(device):
        bad = nonfinite_spectral_layers(model, probe)
    if bad:
        return {**row, "status": "overflow", "note": f"inf/NaN from {bad[0]}"}, model
    loss_fn, error_fn = loss_and_error(data, setting.input_scale, batch, device, seed)
    steps = steps or pick(150, 2000)
    # ERROR_POINTS test errors per run, so the live error panel draws a curve (diagnostics
    # run beside the timed step: the throughput is unchanged)
    history = train(model, loss_fn, TrainConfig(steps=steps, lr=3e-3, policy=policy,
                                                device=str(device),
                                                error_every=max(1, steps // ERROR_POINTS),
                                                memory_kind=memory, seed=seed),
                    error_fn=error_fn, callbacks=callbacks)
    error = history.final_error
    status = history.status if math.isfinite(error) else "diverged"
    return {**row, "status": status, "rel_l2_error": error, "note": history.reason,
            "throughput": batch / history.median_step_time_s,
            "memory_bytes": history.memory_bytes[-1]}, model


def with_memory_ratio(rows: Sequence[dict]) -> list[dict]:
    """Rows with ``memory_ratio``: memory over that of the first row with the same seed (full
    precision, the reference; the first row when rows have no seed)."""
    base = {}
    for r in rows:
        base.setdefault(r.get("seed"), r.get("memory_bytes"))
    return [{**r, "memory_ratio": r["memory_bytes"] / base[r.get("seed")]
             if base[r.get("seed")] and r.get("memory_bytes") else math.nan} for r in rows]


def fno_table(rows: Sequence[dict]) -> str:
    """The benchmark's table for ``rows`` (as the command line prints it)."""
    # split to fit a notebook's width, each part naming the setting of its rows
    return format_table(with_memory_ratio(rows), COLUMNS, width=TABLE_WIDTH,
                        keys=["spectral_precision", "stabilizer", "policy"])


def oom_row(setting: FNOSetting, data: dict, device: torch.device, **fields) -> dict:
    """The row of a setting that ran out of memory (``fields``: size, width, batch, seed)."""
    return {"problem": data["problem"], "resolution": data["resolution"],
            "modes": "x".join(map(str, data["modes"])), **fields,
            "input_scale": setting.input_scale, "spectral_precision": setting.precision,
            "stabilizer": setting.stabilizer, "policy": policy_name(setting, device),
            "status": "oom", "rel_l2_error": math.nan, "throughput": math.nan,
            "memory_bytes": None}


def fno_table_rows(problem: str, stress_scale: float | None = None, steps: int | None = None,
                   device: torch.device | str = "auto", resolution: int | None = None,
                   samples: tuple[int, int] | None = None,
                   on_row: Callable[[dict], None] | None = None, size: str = "lesson",
                   seeds: Sequence[int] = (0,), names: Sequence[str] | None = None) -> list[dict]:
    """Every setting of :func:`settings` (or those ``names`` lists, see :data:`SETTING_NAMES`)
    trained on ``problem``'s data for each of ``seeds``: the rows of Tu et al.'s table (an
    out-of-memory setting is an ``oom`` row), with their memory ratios. ``size`` is
    ``"lesson"`` or ``"busy"`` (:func:`fno_size`; explicit ``resolution``/``samples`` win).
    ``on_row(row)`` is called as each row is finished."""
    if stress_scale is not None:
        check_float("stress_scale", stress_scale, positive=True)
    if not list(seeds):
        raise ValueError("seeds must name at least one seed, e.g. [0, 1, 2]")
    for name in names or ():
        check_choice("settings", name, SETTING_NAMES)
    spec = fno_size(size)
    if size == "busy" and problem == "burgers":
        raise ValueError("the busy size is a 2-D size; got problem 'burgers' (use darcy or "
                         "navier-stokes)")
    device = resolve_device(device)
    data = fno_data(problem, resolution or spec.resolution, samples or spec.samples, spec.modes)
    chosen = [s for s in settings(stress_scale or data["stress_scale"])
              if names is None or setting_name(s) in names]
    fields = {"size": size, "width": spec.width, "batch": spec.batch}
    rows = []
    for seed in seeds:
        for setting in progress(chosen, f"FNO settings, seed {seed}"):
            try:
                row = run_fno_setting(setting, data, device, steps, memory="auto", seed=seed,
                                      width=spec.width, batch=spec.batch)
                rows.append({"size": size, **row})
            except torch.OutOfMemoryError:
                rows.append(oom_row(setting, data, device, **fields, seed=seed))
            if on_row is not None:
                on_row(rows[-1])
    return with_memory_ratio(rows)
