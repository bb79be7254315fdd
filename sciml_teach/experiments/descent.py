"""The descent condition of Hayford et al. 2024 (arXiv:2401.16645), measured along an AMP run.

Their analysis: the mixed-precision gradient g_mp stays a *descent direction* -- its inner product
with the float32 gradient g at the same weights is positive -- while ||g|| is large against the
rounding of the weights, ||g|| > c * L * ||theta||, with L a local Lipschitz constant of the
*gradient* (not of the loss). The course quotes c ~ 4e-3; the authors' public notebooks
(lu-group/mixed-precision-sciml: analysis-of-accuracy/theorem_one_validation.ipynb,
lipschitz-estimation-bounds/confirmation-of-theoretical-bounds.ipynb) use alpha = 2^-11
(float16's unit roundoff, ~4.9e-4) in their bound on the relative gradient error,
2 alpha ||theta|| / (||g|| / L + alpha ||theta||), which is below 1 exactly when
||g|| > alpha * L * ||theta||. The paper's own statement of the constant was not checked against its text;
:func:`descent_trace` records ||g|| / (L ||theta||) so any c can be compared.

As the authors do it, at every step of a float16 AMP run (autocast + GradScaler):

* g -- the float32 gradient (no autocast) at the step's weights, before the update;
* g_mp -- the gradient the mixed step used: after ``scaler.unscale_``, at the same weights;
* L_k = ||g_k - g_(k-1)|| / ||theta_k - theta_(k-1)|| -- a secant along the trajectory, from the
  float32 gradients of two consecutive steps (undefined, NaN, where the weights did not move:
  a skipped step);
* over the weight matrices only (no biases), as their ``get_grad``/``get_weight`` collect
  ``layer.weight`` of every linear layer.

Introduced in notebooks/03_amp_recovery.ipynb, "Is the AMP gradient still a descent direction?".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..checks import check_float, check_int
from ..placement import resolve_device
from ..train_step import TrainStep

ALPHA_FP16 = 2.0**-11   # float16's unit roundoff, the constant in the authors' notebooks
C_PAPER = 4e-3          # the constant the course quotes for the paper's condition


@dataclass(frozen=True)
class DescentTrace:
    steps: list[int]               # the step each row was measured at (skipped steps left out)
    loss: list[float]              # float32 loss at the step's weights
    theta: torch.Tensor            # (S, P) the weight matrices, flattened, before each step
    grad: torch.Tensor             # (S, P) the float32 gradient at those weights
    grad_mixed: torch.Tensor       # (S, P) the unscaled AMP gradient the step used
    lipschitz: list[float]         # secant estimate L per row (NaN on the first, or if theta stood)

    @property
    def grad_norm(self) -> list[float]:
        return self.grad.norm(dim=1).tolist()

    @property
    def theta_norm(self) -> list[float]:
        return self.theta.norm(dim=1).tolist()

    @property
    def inner(self) -> list[float]:
        """<g_mp, g> per row: positive means g_mp points downhill."""
        return (self.grad_mixed * self.grad).sum(dim=1).tolist()

    @property
    def cosine(self) -> list[float]:
        return torch.nn.functional.cosine_similarity(self.grad_mixed, self.grad, dim=1).tolist()

    def margin(self) -> list[float]:
        """||g|| / (L ||theta||): the condition ||g|| > c L ||theta|| holds where this exceeds c."""
        return [g / (lip * t) if math.isfinite(lip) and lip > 0 else math.nan
                for g, lip, t in zip(self.grad_norm, self.lipschitz, self.theta_norm)]

    def holds(self, c: float = C_PAPER) -> list[bool]:
        """Per row: does ||g|| > c L ||theta|| hold (False where L is undefined)?"""
        return [m > c for m in self.margin()]  # NaN > c is False


def weight_matrices(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The parameters with two or more dimensions: the layers' weights, not their biases."""
    return [p for p in model.parameters() if p.ndim >= 2]


def _flat(tensors) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1).float() for t in tensors])   # (P,)


def descent_trace(problem, steps: int, loss_weight: float = 1.0, loss_scaling: bool | None = None,
                  seed: int = 0, device: str | torch.device = "auto") -> DescentTrace:
    """Train ``problem``'s PINN with float16 AMP for ``steps`` steps and measure, before every
    update, the float32 gradient, the mixed gradient the step uses and the secant Lipschitz
    estimate (see the module docstring). ``loss_weight`` multiplies the loss (small units);
    ``loss_scaling=False`` switches the GradScaler off."""
    check_int("steps", steps, minimum=2)
    check_float("loss_weight", loss_weight, positive=True)
    torch.manual_seed(seed)
    model = problem.make_model().to(resolve_device(device))
    loss_fn = lambda m: loss_weight * problem.loss(m)                       # noqa: E731
    step = TrainStep(model, loss_fn, "amp-fp16", loss_scaling=loss_scaling)
    weights = weight_matrices(model)
    rows, lipschitz, previous = [], [], None
    for k in range(steps):
        theta = _flat(weights)                                              # (P,)
        loss = loss_fn(model)                                               # float32, no autocast
        grad = _flat(torch.autograd.grad(loss, weights))                    # (P,)
        step()                                                              # the AMP step itself
        mixed = _flat(p.grad for p in weights)                              # unscaled by the step
        if not torch.isfinite(mixed).all():                                 # a skipped step
            previous = None
            continue
        moved = previous is not None and not torch.equal(theta, previous[0])
        lipschitz.append(((grad - previous[1]).norm() / (theta - previous[0]).norm()).item()
                         if moved else math.nan)
        rows.append((k, loss.item(), theta, grad, mixed))
        previous = (theta, grad)
    if not rows:
        raise RuntimeError("every step was skipped (inf/NaN gradients): nothing to measure")
    ks, losses, thetas, grads, mixeds = zip(*rows)
    return DescentTrace(list(ks), list(losses), torch.stack(thetas), torch.stack(grads),
                        torch.stack(mixeds), lipschitz)
