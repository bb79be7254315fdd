"""Runs repeated over seeds, from verified same starts: one seed is one draw of the initial weights.

A claim like "AMP matches float32" compares distributions over seeds (float32's own error varies
several times between draws), and within one seed every run must start from *the same* weights:
:func:`train_seeds` builds each run's model right after seeding and checks, before training, that
its weights equal the first build of that seed -- so a ``make_model`` whose weights come from
anything but torch's seeded generator (numpy's, a counter, a module shared between runs and
trained in place by the first) is caught instead of silently comparing different starts.
Introduced in notebooks/04_deeponet_amp.ipynb.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import dataclasses
import torch

from ..training import Callback, History, TrainConfig, train

LossFn = Callable[[torch.nn.Module], torch.Tensor]


def same_weights(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor]) -> bool:
    """True when two state dicts hold the same names, shapes and bit-identical values."""
    return a.keys() == b.keys() and all(a[k].shape == b[k].shape and torch.equal(a[k], b[k]) for k in a)


def seeded_model(make_model: Callable[[], torch.nn.Module], seed: int) -> torch.nn.Module:
    """``make_model()`` right after ``torch.manual_seed(seed)``: the initial weights of draw ``seed``."""
    torch.manual_seed(seed)
    return make_model()


def train_seeds(make_model: Callable[[], torch.nn.Module], runs: Mapping[str, tuple[LossFn, TrainConfig]],
                seeds: Sequence[int], error_fn: Callable[[torch.nn.Module], float] | None = None,
                callbacks_for: Callable[[str, int], Sequence[Callback]] | None = None
                ) -> dict[str, list[History]]:
    """Train every labelled ``(loss_fn, config)`` once per seed: ``{label: [History per seed]}``.

    Within a seed all runs start from the same weights (verified; RuntimeError if not) and train
    with ``config.seed = seed``. ``callbacks_for(label, seed)`` gives one run's callbacks.
    """
    out: dict[str, list[History]] = {label: [] for label in runs}
    for seed in seeds:
        start = {k: v.clone() for k, v in seeded_model(make_model, seed).state_dict().items()}
        for label, (loss_fn, config) in runs.items():
            model = seeded_model(make_model, seed)
            if not same_weights(model.state_dict(), start):
                raise RuntimeError(f"run {label!r}, seed {seed}: the model's initial weights differ from "
                                   "the seed's first build; make_model must draw them from the seed alone")
            callbacks = callbacks_for(label, seed) if callbacks_for else ()
            out[label].append(train(model, loss_fn, dataclasses.replace(config, seed=seed),
                                    error_fn=error_fn, callbacks=callbacks))
    return out


def initial_errors(make_model: Callable[[], torch.nn.Module], error_fn: Callable[[torch.nn.Module], float],
                   seeds: Sequence[int]) -> list[float]:
    """The error of each seed's untrained model: what "trained" must clearly beat."""
    with torch.no_grad():
        return [float(error_fn(seeded_model(make_model, seed))) for seed in seeds]
