"""Weight updates that survive in pure bfloat16/float16: Kahan compensation, stochastic rounding.

Lesson 02 shows pure half-precision training stall: a weight w stored in bfloat16 ignores every
update smaller than half an ulp of w (ulp(1.0) = 7.8e-3), so Adam's ~lr-sized steps vanish. AMP
fixes that with float32 master weights (4 more bytes per weight). These wrappers fix it while the
weights stay 16-bit (Zamirai et al. 2020, "Revisiting BFloat16 Training", arXiv:2010.06192, Sec. 3;
the same Kahan scheme is the default of the optimi library for bfloat16 parameters):

1. The wrapped optimizer (Adam, SGD, ...) computes the new weight in float32 from the 16-bit
   weight, gradient and state: for the step only, each parameter, its gradient and its
   per-weight state are upcast; afterwards they are 16-bit again. So ``delta = new - old`` is
   the exact float32 update -- nothing is kept in float32 between steps.
2. ``delta`` is added to the 16-bit weight by one of three final classes:

   * :class:`NearestUpdates` -- round ``w + delta`` to nearest: the control; small deltas still vanish.
   * :class:`KahanUpdates` -- Kahan summation: a 16-bit compensation buffer ``c`` per weight keeps
     what rounding dropped, ``y = delta + c; w' = round(w + y); c = y - (w' - w)``, so dropped
     updates add up until they move the weight (2 more bytes per weight).
   * :class:`StochasticRoundingUpdates` -- round ``w + delta`` up or down at random with the
     probabilities that make the expected weight exactly ``w + delta`` (no extra memory; a
     seedable generator).

The inner optimizer's per-weight state (Adam's exp_avg, exp_avg_sq) is stored in the parameters'
dtype, as torch does for 16-bit parameters: in float16 Adam's second moment and eps = 1e-8
underflow (lesson 01), so use eps >= 1e-4 there; bfloat16 has float32's range.
Introduced at the end of notebooks/02_float16_divergence.ipynb, which first writes the Adam update,
the Kahan add and the stochastic-rounding add in plain torch and checks them, loss for loss,
against these classes.
"""
from __future__ import annotations

import torch

HALF_DTYPES = (torch.float16, torch.bfloat16)


def stochastic_round(x: torch.Tensor, dtype: torch.dtype,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """``x`` (float32) rounded to ``dtype`` up or down at random, so that E[result] = x.

    ``lo <= x <= hi`` are the two neighbours of ``x`` in ``dtype``; the result is ``hi`` with
    probability (x - lo) / (hi - lo). Values exactly representable are returned unchanged.
    """
    x = x.float()
    nearest = x.to(dtype)                                           # one of the two neighbours
    n32 = nearest.float()
    away = torch.where(x > n32, torch.inf, -torch.inf).to(dtype)    # towards x, past it
    other = torch.nextafter(nearest, away).float()                  # the other neighbour
    lo, hi = torch.minimum(n32, other), torch.maximum(n32, other)
    p_hi = ((x - lo) / (hi - lo)).nan_to_num(0.0)                   # inf - inf: keep nearest
    u = torch.rand(x.shape, generator=generator, device=x.device)
    chosen = torch.where(u < p_hi, hi, lo)
    return torch.where(n32 == x, n32, chosen).to(dtype)


class HalfUpdates:
    """Wraps a torch optimizer over 16-bit parameters; subclasses say how ``delta`` is added.

    Behaves like the optimizer it wraps for a training loop (``step``, ``zero_grad``,
    ``param_groups``, ``state``), e.g. ``TrainStep(model, loss_fn, "bf16", optimizer=...)``.
    ``state`` includes any buffers the wrapper adds, so memory meters count them.
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.dtype not in HALF_DTYPES:
                    raise ValueError(f"{type(self).__name__} is for float16/bfloat16 parameters, "
                                     f"got {p.dtype}: cast the model first (policy 'bf16' or 'fp16')")
        self.optimizer = optimizer
        self.extra: dict[torch.Tensor, dict[str, torch.Tensor]] = {}  # param -> wrapper's buffers

    @property
    def param_groups(self) -> list[dict]:
        return self.optimizer.param_groups

    @property
    def state(self) -> dict:
        """The inner optimizer's state per parameter, with this wrapper's buffers added."""
        keys = set(self.optimizer.state) | set(self.extra)
        return {p: {**self.optimizer.state.get(p, {}), **self.extra.get(p, {})} for p in keys}

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self, closure=None):
        """One update: the inner step in float32 on upcast copies, then ``_add`` per parameter."""
        loss = None
        if closure is not None:
            with torch.enable_grad():                               # as torch's optimizers do
                loss = closure()
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        kept = [(p.data, p.grad) for p in params]                   # the 16-bit tensors
        for p, (half, grad) in zip(params, kept):
            p.data = half.float()                                   # a copy for this step only
            p.grad = grad.float()
            self._cast_state(p, torch.float32)
        self.optimizer.step()
        for p, (half, grad) in zip(params, kept):
            new = p.data                                            # float32 result of the step
            p.data, p.grad = half, grad
            self._cast_state(p, half.dtype)
            self._add(p, new - half.float())
        return loss

    def _cast_state(self, p: torch.Tensor, dtype: torch.dtype) -> None:
        """Per-weight state (shaped like ``p``) to ``dtype``; step counters are left alone."""
        state = self.optimizer.state.get(p, {})
        for key, value in state.items():
            if isinstance(value, torch.Tensor) and value.is_floating_point() and value.shape == p.shape:
                state[key] = value.to(dtype)

    def _add(self, p: torch.Tensor, delta: torch.Tensor) -> None:
        """Add the float32 ``delta`` to the 16-bit ``p`` in place."""
        raise NotImplementedError


class NearestUpdates(HalfUpdates):
    """The control: ``w = round_to_nearest(w + delta)``; updates under half an ulp are lost."""

    def _add(self, p, delta):
        p.copy_(p.float() + delta)


class KahanUpdates(HalfUpdates):
    """Kahan-compensated updates with a 16-bit buffer ``compensation`` per weight
    (Zamirai et al. 2020, Sec. 3.2)."""

    def _add(self, p, delta):
        buffers = self.extra.setdefault(p, {"compensation": torch.zeros_like(p)})
        c = buffers["compensation"]
        old = p.float()
        y = delta + c.float()                   # this step's update plus what earlier ones lost
        p.copy_(old + y)                        # rounded to p's dtype
        c.copy_(y - (p.float() - old))          # what this rounding lost (exact in float32)


class StochasticRoundingUpdates(HalfUpdates):
    """``w = stochastic_round(w + delta)``: right on average (Zamirai et al. 2020, Sec. 3.1).
    ``seed`` fixes the random bits (a generator per device, made on first use)."""

    def __init__(self, optimizer: torch.optim.Optimizer, seed: int = 0):
        super().__init__(optimizer)
        self.seed = seed
        self._generators: dict[torch.device, torch.Generator] = {}

    def _add(self, p, delta):
        if p.device not in self._generators:
            self._generators[p.device] = torch.Generator(p.device).manual_seed(self.seed)
        p.copy_(stochastic_round(p.float() + delta, p.dtype, self._generators[p.device]))


REMEDIES = {"nearest": NearestUpdates, "kahan": KahanUpdates, "stochastic": StochasticRoundingUpdates}
