"""A training step leaves no reference cycles that hold tensors (issue 14).

A cycle keeps a step's whole derivative graph alive until Python's cyclic GC happens to run:
tens of MiB per step at lesson 05's sizes, and wrong CUDA peak readings on a GPU. With the
collector off and DEBUG_SAVEALL on, ``gc.collect()`` puts everything it would have freed into
``gc.garbage``; no tensor may be there. (torch.func's own pytree helpers leave a few small
function cycles per forward-mode step; they hold no tensors.)
"""
import gc

import pytest
import torch

import sciml_teach as st


@pytest.fixture
def cyclic_tensors():
    """Run a callable with the cyclic GC off; return the tensors only the GC would have freed."""
    enabled, debug = gc.isenabled(), gc.get_debug()
    gc.disable()

    def run(fn) -> list[torch.Tensor]:
        gc.set_debug(0)
        gc.collect()          # free what earlier tests left (a failed test's traceback, say) ...
        gc.garbage.clear()
        gc.set_debug(gc.DEBUG_SAVEALL)
        fn()
        gc.collect()          # ... so that only this step's cycles are kept here
        return [o for o in gc.garbage if isinstance(o, torch.Tensor)]
    try:
        yield run
    finally:
        gc.set_debug(debug)
        gc.garbage.clear()
        if enabled:
            gc.enable()


def _step(model, loss_fn, policy: str):
    with st.get_policy(policy).autocast_context("cpu"):
        loss = loss_fn(model)
    loss.backward()


@pytest.mark.parametrize("policy", ["fp32", "amp-bf16"])
@pytest.mark.parametrize("strategy", ["funcloop", "datavect", "zcs", "forward"])
def test_operator_loss_leaves_no_cyclic_tensors(cyclic_tensors, strategy, policy):
    problem = st.ReactionDiffusion()
    model = st.DeepONet(st.DeepONetConfig(width=16, depth=2, n_features=16))
    loss_fn = st.physics_loss(problem, strategy, problem.sample_branch(3),
                              st.collocation_points(20))
    garbage = cyclic_tensors(lambda: _step(model, loss_fn, policy))
    assert not garbage, f"{strategy}/{policy}: {len(garbage)} tensors held only by cycles"


@pytest.mark.parametrize("policy", ["fp32", "amp-bf16"])
@pytest.mark.parametrize("problem", [st.Poisson1D(n_collocation=16),
                                     st.BurgersPINN(n_collocation=32, n_initial=8, n_boundary=8,
                                                    n_test_x=4, n_test_t=4)],
                         ids=["poisson1d", "burgers"])
def test_pinn_loss_leaves_no_cyclic_tensors(cyclic_tensors, problem, policy):
    model = problem.make_model(8, 2)
    garbage = cyclic_tensors(lambda: _step(model, problem.loss, policy))
    assert not garbage, f"{problem.name}/{policy}: {len(garbage)} tensors held only by cycles"


@pytest.mark.parametrize("policy", ["fp32", "amp-bf16"])
def test_fno_loss_leaves_no_cyclic_tensors(cyclic_tensors, policy):
    model = st.FNO(st.FNOConfig(modes=(4,), width=8, layers=2, projection=8))
    a, u = torch.randn(4, 1, 16), torch.randn(4, 1, 16)               # (B, 1, N)

    def loss_fn(model):
        return st.upcast(model(*st.to_model(model, a)) - u).square().mean()
    garbage = cyclic_tensors(lambda: _step(model, loss_fn, policy))
    assert not garbage, f"FNO/{policy}: {len(garbage)} tensors held only by cycles"


def test_derivative_tree_is_not_a_self_referencing_closure(cyclic_tensors):
    """The recursive closure it used to be was the cycle that held every DeepONet step."""
    x = torch.linspace(0, 1, 5, dtype=torch.float64)[:, None].requires_grad_(True)  # (N, 1)
    garbage = cyclic_tensors(lambda: st.derivatives.derivative_tree(x.sin()[:, 0], x, [(3,)]))
    assert not garbage


def test_datavect_on_a_plain_model_leaves_no_cyclic_tensors(cyclic_tensors):
    """DataVect runs a model without pair methods under torch.func.vmap: no cycles there either."""
    class Plain(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.b, self.t = torch.nn.Linear(4, 3), torch.nn.Linear(2, 3)

        def forward(self, v, x):                    # (M, m), (N, D) -> (M, N)
            return self.b(v) @ torch.tanh(self.t(x)).T
    model, v, x = Plain(), torch.randn(3, 4), torch.rand(5, 2)

    def step():
        st.get_strategy("datavect").fields(model, v, x, [(2, 0)])[(2, 0)].sum().backward()
    assert not cyclic_tensors(step)
